"""The events of one training step, in the order the app animates them, and a Player.

A step's events are, for a network with layer sizes n0, n1, …, nL:

1. ``forward``: for layer 1..L, for each neuron j: z = Σ w·a_prev + b, then a = f(z);
2. ``loss``: one event, the loss against the targets;
3. ``backward``: for layer L down to 1: each neuron's δ = f'(z)·∂L/∂a, then each
   neuron's weight gradients ∂L/∂w = δ·a_prev (its incoming row of W, and its bias);
4. ``update``: for layer 1..L, each neuron's incoming weights: w_new = w_old − η·∂L/∂w.

With the cures (:mod:`.cures`) a layer takes events of its own. A normalised hidden layer
computes each neuron's z (``linear``), then normalises the layer at once (``norm``: μ and
σ, ẑ), then each neuron's a = f(ẑ) (``forward``); on the way back each neuron's ∂L/∂ẑ =
f'(ẑ)·∂L/∂a (``delta_hat``), then the gradient through the norm gives every neuron's δ =
∂L/∂z at once (``norm_back``: batch norm couples the batch, layer norm the layer's
units). The last layer e of a residual block adds its source's activation after its own
(``skip``, layer e), and on the way back, just before the source's first event, the
source's ∂L/∂a gains ∂L/∂a_e along the skip (``skip_back``, layer e as well). Without a
norm or a skip the events are exactly the four phases above (13 for the classic chain).

The :class:`Trace` computes event k from k by arithmetic over a few runs of events (one
or two per layer and phase), so a 64 × 256 network's hundreds of thousands of events
cost no memory. The :class:`Player` is a cursor over a Trace (no timer): ``position`` p
means events 0..p−1 have happened, so p = 0 is the start of the step and p = len(trace)
its end. Views draw "the state at position p"; stepping back is exact because nothing is
ever undone, only redrawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cures import skip_sources

PHASES = ("forward", "loss", "backward", "update")
KINDS = ("forward", "loss", "delta", "gradient", "update", "linear", "norm", "skip",
         "delta_hat", "norm_back", "skip_back")
# kinds that are one event for a whole layer (``neuron`` is 0)
LAYER_KINDS = ("norm", "skip", "norm_back", "skip_back")


@dataclass(frozen=True)
class Event:
    """One thing that happens in a step. ``layer`` is 1-based; 0 for the loss event. A
    layer-wide event (LAYER_KINDS) has neuron 0; a skip's events name the block's end."""

    index: int
    phase: str  # one of PHASES
    kind: str  # one of KINDS
    layer: int
    neuron: int


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Reveal:
    """How much of each layer is done at a position: what a view may show.

    Per-layer arrays are indexed from 0 for layer 1 and count neurons, in the order the
    events visit them (neuron 0 first). The boolean arrays say whether a layer's one
    event has happened; a layer without a norm or a skip never has it.
    """

    position: int
    forward: np.ndarray  # neurons whose a = f(ẑ) is computed (and z, ẑ)
    loss: bool
    delta: np.ndarray  # neurons whose δ = ∂L/∂z is computed
    gradient: np.ndarray  # neurons whose weight gradients are computed
    update: np.ndarray  # neurons whose incoming weights are updated
    event: Event | None  # the last event that happened (None at the start)
    linear: np.ndarray = field(default_factory=_empty)  # neurons whose z is computed
    normed: np.ndarray = field(default_factory=_empty)  # the norm's μ, σ and ẑ are shown
    skipped: np.ndarray = field(default_factory=_empty)  # the block's end added its skip
    delta_hat: np.ndarray = field(default_factory=_empty)  # neurons with ∂L/∂ẑ computed
    skip_back: np.ndarray = field(default_factory=_empty)  # the skip passed ∂L/∂a_e back


class Trace:
    """The ordered events of a step for the given layer sizes (input layer first); with
    ``norm`` ("batch" or "layer", every hidden layer) and ``skips`` (per weight layer, the
    hidden layer whose activation it adds, or None) the cures' events too."""

    def __init__(self, layers: tuple[int, ...], norm: str = "none",
                 skips: Sequence[int | None] = ()) -> None:
        self.layers = tuple(layers)
        sizes = np.array(self.layers[1:], dtype=np.int64)
        self.depth = depth = len(sizes)
        self._sizes = sizes
        self.neurons = int(sizes.sum())
        self.norm = norm
        self.skips: tuple[int | None, ...] = tuple(skips) or (None,) * depth
        normed = [norm != "none" and layer < depth for layer in range(1, depth + 1)]
        self.normed_layers = tuple(i + 1 for i, n in enumerate(normed) if n)
        # the block end whose skip starts at each source layer
        ends = {src: end for end, src in enumerate(self.skips, start=1) if src is not None}
        runs: list[tuple[str, str, int, int]] = []  # (phase, kind, layer, count)
        for layer in range(1, depth + 1):
            n = int(sizes[layer - 1])
            if normed[layer - 1]:
                runs += [("forward", "linear", layer, n), ("forward", "norm", layer, 1)]
            runs.append(("forward", "forward", layer, n))
            if self.skips[layer - 1] is not None:
                runs.append(("forward", "skip", layer, 1))
        runs.append(("loss", "loss", 0, 1))
        for layer in range(depth, 0, -1):
            n = int(sizes[layer - 1])
            if layer in ends:
                runs.append(("backward", "skip_back", ends[layer], 1))
            if normed[layer - 1]:
                runs += [("backward", "delta_hat", layer, n), ("backward", "norm_back", layer, 1)]
            else:
                runs.append(("backward", "delta", layer, n))
            runs.append(("backward", "gradient", layer, n))
        runs += [("update", "update", layer, int(sizes[layer - 1]))
                 for layer in range(1, depth + 1)]
        self._runs = runs
        counts = np.array([r[3] for r in runs], dtype=np.int64)
        self._counts = counts
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.length = int(counts.sum())
        self._run_of = {(kind, layer): k for k, (_ph, kind, layer, _n) in enumerate(runs)}
        self.phase_start = {ph: int(self._starts[next(k for k, r in enumerate(runs)
                                                      if r[0] == ph)]) for ph in PHASES}
        # per kind: the runs' indices and their layers (0-based), for reveal()
        self._by_kind = {
            kind: (np.array([k for k, r in enumerate(runs) if r[1] == kind], dtype=np.int64),
                   np.array([r[2] - 1 for r in runs if r[1] == kind], dtype=np.int64))
            for kind in KINDS}

    @classmethod
    def of(cls, experiment: Any) -> Trace:
        """The trace of an experiment's (or a Network's) layers, norm and residual blocks."""
        layers = tuple(experiment.layers)
        norm = getattr(experiment, "norm", "none")
        skips = skip_sources(len(layers) - 1, getattr(experiment, "residual", None))
        return cls(layers, norm, skips)

    @property
    def plain(self) -> bool:
        """No norm and no skip: the four phases' events only."""
        return not self.normed_layers and all(s is None for s in self.skips)

    def __len__(self) -> int:
        return self.length

    def phase_range(self, phase: str) -> tuple[int, int]:
        """[start, end) of a phase's event indices."""
        i = PHASES.index(phase)
        start = self.phase_start[phase]
        end = self.phase_start[PHASES[i + 1]] if i + 1 < len(PHASES) else self.length
        return start, end

    def __getitem__(self, k: int) -> Event:
        if k < 0:
            k += self.length
        if not 0 <= k < self.length:
            raise IndexError(k)
        r = int(np.searchsorted(self._starts, k, side="right")) - 1
        phase, kind, layer, _n = self._runs[r]
        return Event(k, phase, kind, layer, k - int(self._starts[r]))

    def index_of(self, kind: str, layer: int, neuron: int) -> int:
        """The event index of a (kind, layer, neuron); layer is 1-based. Under a norm,
        "delta" names the layer's ``norm_back`` event (where δ is known)."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "loss":
            return self.phase_start["loss"]
        if not 1 <= layer <= self.depth:
            raise IndexError(f"layer {layer} is outside 1..{self.depth}")
        size = int(self._sizes[layer - 1])
        if not 0 <= neuron < size:
            raise IndexError(neuron)
        if kind == "delta" and layer in self.normed_layers:
            kind = "norm_back"
        run = self._run_of.get((kind, layer))
        if run is None:
            raise ValueError(f"layer {layer} has no {kind} event")
        if kind in LAYER_KINDS:
            neuron = 0
        return int(self._starts[run]) + neuron

    def reveal(self, position: int) -> Reveal:
        """What is done once the first ``position`` events have happened."""
        p = max(0, min(int(position), self.length))
        done = np.clip(p - self._starts, 0, self._counts)

        def per_layer(kind: str) -> np.ndarray:
            runs, layers = self._by_kind[kind]
            out = np.zeros(self.depth, dtype=np.int64)
            out[layers] = done[runs]
            return out

        forward = per_layer("forward")
        linear = np.maximum(per_layer("linear"), forward)
        delta = per_layer("delta")
        norm_back = per_layer("norm_back").astype(bool)
        delta = np.where(norm_back, self._sizes, delta)
        delta_hat = np.maximum(per_layer("delta_hat"), delta)
        event = self[p - 1] if p > 0 else None
        return Reveal(p, forward, p > self.phase_start["loss"], delta, per_layer("gradient"),
                      per_layer("update"), event, linear, per_layer("norm").astype(bool),
                      per_layer("skip").astype(bool), delta_hat,
                      per_layer("skip_back").astype(bool))


class Player:
    """A cursor over a Trace. It has no timer: an animation calls :meth:`advance`."""

    def __init__(self, trace: Trace, on_move: Callable[[int], None] | None = None) -> None:
        self.trace = trace
        self.position = 0
        self._on_move = on_move

    def __len__(self) -> int:
        return len(self.trace)

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position == len(self.trace)

    @property
    def event(self) -> Event | None:
        """The last event that happened."""
        return self.trace[self.position - 1] if self.position else None

    @property
    def phase(self) -> str | None:
        e = self.event
        return e.phase if e else None

    def seek(self, position: int) -> int:
        p = max(0, min(int(position), len(self.trace)))
        if p != self.position:
            self.position = p
            if self._on_move:
                self._on_move(p)
        return p

    def advance(self, n: int = 1) -> int:
        return self.seek(self.position + n)

    def next_phase(self) -> int:
        """To the end of the current phase, or of the next one when already there."""
        for phase in PHASES:
            _, end = self.trace.phase_range(phase)
            if end > self.position:
                return self.seek(end)
        return self.position

    def previous_phase(self) -> int:
        """To the start of the current phase, or of the previous one when already there."""
        for phase in reversed(PHASES):
            start, _ = self.trace.phase_range(phase)
            if start < self.position:
                return self.seek(start)
        return self.seek(0)

    def reveal(self) -> Reveal:
        return self.trace.reveal(self.position)
