"""The events of one step (Trace), what is revealed at a position, and the Player."""

from __future__ import annotations

import numpy as np
import pytest

from vanishgui.core.trace import PHASES, Event, Player, Trace


def expected_events(layers: tuple[int, ...]) -> list[tuple[str, str, int, int]]:
    """(phase, kind, layer, neuron) in the order trace.py's docstring gives."""
    sizes = layers[1:]
    depth = len(sizes)
    out = [("forward", "forward", layer, j)
           for layer in range(1, depth + 1) for j in range(sizes[layer - 1])]
    out.append(("loss", "loss", 0, 0))
    for layer in range(depth, 0, -1):
        out += [("backward", "delta", layer, j) for j in range(sizes[layer - 1])]
        out += [("backward", "gradient", layer, j) for j in range(sizes[layer - 1])]
    out += [("update", "update", layer, j)
            for layer in range(1, depth + 1) for j in range(sizes[layer - 1])]
    return out


def as_tuples(trace: Trace) -> list[tuple[str, str, int, int]]:
    events = [trace[k] for k in range(len(trace))]
    assert [e.index for e in events] == list(range(len(trace)))
    return [(e.phase, e.kind, e.layer, e.neuron) for e in events]


def test_classic_network_has_13_events_in_order() -> None:
    trace = Trace((1, 1, 1, 1))
    assert len(trace) == 13
    assert as_tuples(trace) == [
        ("forward", "forward", 1, 0),
        ("forward", "forward", 2, 0),
        ("forward", "forward", 3, 0),
        ("loss", "loss", 0, 0),
        ("backward", "delta", 3, 0),
        ("backward", "gradient", 3, 0),
        ("backward", "delta", 2, 0),
        ("backward", "gradient", 2, 0),
        ("backward", "delta", 1, 0),
        ("backward", "gradient", 1, 0),
        ("update", "update", 1, 0),
        ("update", "update", 2, 0),
        ("update", "update", 3, 0),
    ]
    assert trace[3] == Event(3, "loss", "loss", 0, 0)


UNEVEN = [(2, 3, 1), (3, 1, 4, 2), (1, 5), (4, 4, 4), (5, 1, 1, 7, 2, 1), (256, 1)]


@pytest.mark.parametrize("layers", UNEVEN, ids=str)
def test_uneven_widths(layers) -> None:
    trace = Trace(layers)
    n = sum(layers[1:])
    assert len(trace) == 4 * n + 1
    assert as_tuples(trace) == expected_events(layers)
    # the phases' ranges cover the events of that phase, in order, with no gap
    ends = 0
    for phase in PHASES:
        start, end = trace.phase_range(phase)
        assert start == ends
        assert {trace[k].phase for k in range(start, end)} == {phase}
        ends = end
    assert ends == len(trace)


def test_the_largest_network_is_computed_not_stored() -> None:
    layers = (256,) * 65  # 64 weight layers of 256
    trace = Trace(layers)
    want = expected_events(layers)
    assert len(trace) == len(want) == 4 * 64 * 256 + 1
    rng = np.random.default_rng(0)
    for k in [0, 1, 16383, 16384, 16385, len(want) - 1, *rng.integers(0, len(want), 500)]:
        e = trace[int(k)]
        assert (e.phase, e.kind, e.layer, e.neuron) == want[k]
        assert trace.index_of(e.kind, e.layer, e.neuron) == k


@pytest.mark.parametrize("layers", [(1, 1, 1, 1), *UNEVEN], ids=str)
def test_index_of_inverts_getitem(layers) -> None:
    trace = Trace(layers)
    for k in range(len(trace)):
        e = trace[k]
        assert trace.index_of(e.kind, e.layer, e.neuron) == k
    for kind in ("forward", "delta", "gradient", "update"):
        for layer, size in enumerate(layers[1:], start=1):
            with pytest.raises(IndexError):
                trace.index_of(kind, layer, size)
            with pytest.raises(IndexError):
                trace.index_of(kind, layer, -1)


def test_getitem_bounds() -> None:
    trace = Trace((2, 3, 1))
    assert trace[-1] == trace[len(trace) - 1]
    assert trace[-len(trace)] == trace[0]
    for bad in (len(trace), len(trace) + 5, -len(trace) - 1):
        with pytest.raises(IndexError):
            trace[bad]


@pytest.mark.parametrize("layers", [(1, 1, 1, 1), (2, 3, 1), (3, 1, 4, 2)], ids=str)
def test_reveal_counts_the_events_before_the_position(layers) -> None:
    trace = Trace(layers)
    events = expected_events(layers)
    depth = len(layers) - 1
    for p in range(len(trace) + 1):
        r = trace.reveal(p)
        done = events[:p]
        assert r.position == p
        for kind, counts in (("forward", r.forward), ("delta", r.delta),
                             ("gradient", r.gradient), ("update", r.update)):
            want = [sum(1 for e in done if e[1] == kind and e[2] == layer)
                    for layer in range(1, depth + 1)]
            assert list(counts) == want, (p, kind)
            # and the events visit each layer's neurons from neuron 0 up
            for layer in range(1, depth + 1):
                neurons = [e[3] for e in done if e[1] == kind and e[2] == layer]
                assert neurons == list(range(len(neurons)))
        assert r.loss == any(e[1] == "loss" for e in done)
        if p == 0:
            assert r.event is None
        else:
            assert (r.event.phase, r.event.kind, r.event.layer, r.event.neuron) == events[p - 1]
    # positions outside the step are clamped
    for p, q in ((-3, 0), (len(trace) + 4, len(trace))):
        a, b = trace.reveal(p), trace.reveal(q)
        assert a.position == q
        for name in ("forward", "delta", "gradient", "update"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    end = trace.reveal(len(trace))
    sizes = list(layers[1:])
    for counts in (end.forward, end.delta, end.gradient, end.update):
        assert list(counts) == sizes


def test_player_steps_and_seeks_with_clamping() -> None:
    moves: list[int] = []
    player = Player(Trace((1, 1, 1, 1)), on_move=moves.append)
    assert len(player) == 13
    assert player.position == 0 and player.at_start and not player.at_end
    assert player.event is None and player.phase is None
    assert player.advance() == 1  # next
    assert player.event == Event(0, "forward", "forward", 1, 0)
    assert player.phase == "forward"
    assert player.advance(3) == 4
    assert player.event.kind == "loss" and player.phase == "loss"
    assert player.advance(-1) == 3  # previous
    assert player.event.layer == 3
    assert player.seek(-100) == 0 and player.at_start
    assert player.advance(-1) == 0  # cannot go before the start
    assert player.seek(1000) == 13 and player.at_end
    assert player.advance() == 13  # nor past the end
    assert player.event.kind == "update" and player.phase == "update"
    assert moves == [1, 4, 3, 0, 13]  # told only when the position changes
    r = player.reveal()
    assert r.position == 13 and list(r.update) == [1, 1, 1]


def test_player_phase_jumps() -> None:
    player = Player(Trace((2, 3, 1)))  # n = 4: forward [0,4) loss [4,5) backward [5,13)
    ends = []
    for _ in range(6):
        ends.append(player.next_phase())
    assert ends == [4, 5, 13, 17, 17, 17]
    starts = []
    for _ in range(6):
        starts.append(player.previous_phase())
    assert starts == [13, 5, 4, 0, 0, 0]
    # from inside a phase: to that phase's end, or back to its start
    player.seek(7)
    assert player.next_phase() == 13
    player.seek(7)
    assert player.previous_phase() == 5
    player.seek(2)
    assert player.previous_phase() == 0
    player.seek(2)
    assert player.next_phase() == 4


def test_index_of_rejects_layers_and_kinds_outside_the_network() -> None:
    """Layer 0 or −1 must not wrap around to the last layers; an unknown kind is an error."""
    trace = Trace((1, 1, 1, 1))
    for kind, layer in (("forward", 0), ("update", -1), ("delta", 0), ("gradient", 4)):
        with pytest.raises(IndexError):
            trace.index_of(kind, layer, 0)
    with pytest.raises(ValueError):
        trace.index_of("bogus", 1, 0)
