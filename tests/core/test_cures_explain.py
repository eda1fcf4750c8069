"""The step's events, the ledger's split of ∂L/∂a and the waterfall under skips and norms.

Networks are real ones from the core (make_network + run_pass) with residual blocks every
1 and 2 layers and batch or layer norm; the expectations are written here from issue 15's
definitions (the order of the events, W_{j+1}ᵀδ_{j+1} + ∂L/∂a_e, r = δ/∂L/∂ẑ), not from
the code under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from vanishgui.core.activations import parse_activation
from vanishgui.core.cure_steps import gradient_paths, norm_back_step, norm_step, skip_step
from vanishgui.core.cures import skip_sources
from vanishgui.core.experiment import classic
from vanishgui.core.explain import chain_rule, ledger_footer, paths_footer
from vanishgui.core.network import Pass, make_network, run_pass
from vanishgui.core.numbers import num
from vanishgui.core.trace import KINDS, LAYER_KINDS, PHASES, Trace
from vanishgui.core.waterfall import caption, waterfall

CURES = list(itertools.product(("none", "batch", "layer"), (None, 1, 2)))


def cured_pass(norm: str, every: int | None, *, width: int = 3, hidden: int = 5,
               samples: int = 4, act: str = "sigmoid", seed: int = 0,
               weights: list[np.ndarray] | None = None) -> Pass:
    rng = np.random.default_rng(seed)
    layers = (2,) + (width,) * hidden + (1,)
    acts = [parse_activation(act)] * (len(layers) - 1)
    ws = weights or [rng.normal(0, 1.2, (layers[i + 1], layers[i]))
                     for i in range(len(layers) - 1)]
    net = make_network(layers, acts, ws, norm=norm, residual=every)
    x = rng.normal(size=(samples, layers[0]))
    y = rng.uniform(size=(samples, layers[-1]))
    return run_pass(net, x, y, "mse")


def expected_events(layers: tuple[int, ...], norm: str,
                    every: int | None) -> list[tuple[str, str, int, int]]:
    """(phase, kind, layer, neuron) as issue 15 and trace.py's docstring describe them."""
    sizes = layers[1:]
    depth = len(sizes)
    skips = skip_sources(depth, every)
    normed = [norm != "none" and m < depth for m in range(1, depth + 1)]
    out: list[tuple[str, str, int, int]] = []
    for m in range(1, depth + 1):
        n = sizes[m - 1]
        if normed[m - 1]:
            out += [("forward", "linear", m, j) for j in range(n)]
            out.append(("forward", "norm", m, 0))
        out += [("forward", "forward", m, j) for j in range(n)]
        if skips[m - 1] is not None:
            out.append(("forward", "skip", m, 0))
    out.append(("loss", "loss", 0, 0))
    for m in range(depth, 0, -1):
        n = sizes[m - 1]
        for end, src in enumerate(skips, start=1):
            if src == m:  # the skip hands ∂L/∂a_e to its source before the source's δ
                out.append(("backward", "skip_back", end, 0))
        if normed[m - 1]:
            out += [("backward", "delta_hat", m, j) for j in range(n)]
            out.append(("backward", "norm_back", m, 0))
        else:
            out += [("backward", "delta", m, j) for j in range(n)]
        out += [("backward", "gradient", m, j) for j in range(n)]
    out += [("update", "update", m, j) for m in range(1, depth + 1) for j in range(sizes[m - 1])]
    return out


# -- the events --------------------------------------------------------------------------


def test_the_plain_classic_trace_is_unchanged() -> None:
    exp = classic()
    trace = Trace.of(exp)
    assert trace.plain and len(trace) == 13
    assert [(e.phase, e.kind, e.layer, e.neuron) for e in map(trace.__getitem__, range(13))] \
        == expected_events(exp.layers, "none", None)
    old = Trace(exp.layers)
    assert [trace[k] for k in range(13)] == [old[k] for k in range(13)]
    rv = trace.reveal(13)
    assert not rv.normed.any() and not rv.skipped.any() and not rv.skip_back.any()


@pytest.mark.parametrize(("norm", "every"), CURES, ids=str)
@pytest.mark.parametrize("layers", [(2, 3, 3, 3, 3, 3, 1), (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                                    (2, 4, 4, 4, 4, 2)], ids=str)
def test_the_cures_events_come_in_order(layers, norm, every) -> None:
    trace = Trace(layers, norm, skip_sources(len(layers) - 1, every))
    want = expected_events(layers, norm, every)
    got = [trace[k] for k in range(len(trace))]
    assert [e.index for e in got] == list(range(len(want)))
    assert [(e.phase, e.kind, e.layer, e.neuron) for e in got] == want
    assert trace.plain == (norm == "none" and every is None)
    ends = 0
    for phase in PHASES:  # the phases tile the step
        start, end = trace.phase_range(phase)
        assert start == ends and {trace[k].phase for k in range(start, end)} == {phase}
        ends = end
    assert ends == len(trace)
    for e in got:  # every event found again by its name
        if e.kind != "loss":
            assert trace.index_of(e.kind, e.layer, e.neuron) == e.index
        assert e.kind in KINDS


@pytest.mark.parametrize(("norm", "every"), [("batch", 2), ("layer", 1), ("none", 2)], ids=str)
def test_each_event_reveals_its_own_part_in_order(norm, every) -> None:
    layers = (2, 3, 3, 3, 3, 3, 1)
    trace = Trace(layers, norm, skip_sources(6, every))
    before = trace.reveal(0)
    for k in range(len(trace)):
        e = trace[k]
        after = trace.reveal(k + 1)
        assert after.event == e
        i = e.layer - 1
        changed = {name for name in ("forward", "delta", "gradient", "update", "linear",
                                     "normed", "skipped", "delta_hat", "skip_back")
                   if not np.array_equal(getattr(before, name), getattr(after, name))}
        want = {"forward": {"forward"} | (set() if norm != "none" and e.layer < 6 else
                                          {"linear"}),
                "linear": {"linear"}, "norm": {"normed"}, "skip": {"skipped"},
                "delta": {"delta", "delta_hat"}, "delta_hat": {"delta_hat"},
                "norm_back": {"delta"}, "skip_back": {"skip_back"},
                "gradient": {"gradient"}, "update": {"update"}, "loss": set()}[e.kind]
        assert changed == want, (k, e)
        if e.kind in LAYER_KINDS:
            assert e.neuron == 0
        if e.kind == "norm":  # the norm only once every z of its layer is computed
            assert after.linear[i] == layers[e.layer] and after.forward[i] == 0
        if e.kind == "skip":  # the skip adds in after the block end's every activation
            assert after.forward[i] == layers[e.layer]
        if e.kind == "skip_back":  # before its source's first gradient at the norm or δ
            src = skip_sources(6, every)[i]
            assert src is not None and after.delta_hat[src - 1] == 0
            assert after.delta[e.layer - 1] == layers[e.layer]
        assert after.loss == (k >= trace.phase_start["loss"])
        before = after


# -- the ledger's two paths -------------------------------------------------------------------


@pytest.mark.parametrize(("norm", "every"), [c for c in CURES if c != ("none", None)], ids=str)
def test_the_two_paths_sum_to_the_cores_gradient(norm, every) -> None:
    p = cured_pass(norm, every)
    depth = p.depth
    skips = skip_sources(depth, every)
    checked_skip = checked_norm = 0
    for layer, sample in itertools.product(range(1, depth + 1), range(len(p.inputs))):
        for neuron in range(p.network.layers[layer]):
            g = gradient_paths(p, layer, neuron, 0, sample)
            i = layer - 1
            assert g.grad_a == p.grad_a[i][sample, neuron]
            if layer < depth:  # through layer j+1: W_{j+1}ᵀδ_{j+1}, written out here
                through = sum(p.network.weights[layer][k, neuron] * p.delta[layer][sample, k]
                              for k in range(p.network.layers[layer + 1]))
                assert g.through == pytest.approx(through, rel=1e-12, abs=1e-300)
            ends = [e for e, s in enumerate(skips, start=1) if s == layer]
            if ends:
                assert g.skip_end == ends[0]
                assert g.skip == p.grad_a[ends[0] - 1][sample, neuron]
                assert g.through + g.skip == pytest.approx(g.grad_a, rel=1e-12, abs=1e-18)
                checked_skip += 1
            else:
                assert g.skip_end is None and g.skip is None
            if norm != "none" and layer < depth:
                assert g.norm_ratio is not None
                assert g.norm_ratio * g.grad_z_hat == pytest.approx(g.delta, rel=1e-13)
                assert g.delta == p.delta[i][sample, neuron]
                assert g.grad_z_hat == p.grad_a[i][sample, neuron] * p.dact[i][sample, neuron]
                checked_norm += 1
            else:
                assert g.norm_ratio is None
    assert checked_skip > 0 or every is None
    assert checked_norm > 0 or norm == "none"


@pytest.mark.parametrize(("norm", "every"), [("batch", 1), ("layer", 2), ("none", 2),
                                             ("batch", None)], ids=str)
def test_the_ledger_claims_no_plain_product_where_a_cure_is_on_the_path(norm, every) -> None:
    p = cured_pass(norm, every, width=1, hidden=6, samples=3)  # a chain: one path per layer
    for layer in range(1, p.depth + 1):
        rule = chain_rule(p, layer, 0, 0, 1)
        on_path = (norm != "none" and layer < p.depth) or any(
            s is not None and s >= layer for s in skip_sources(p.depth, every))
        if on_path:
            assert rule.factors == () and rule.product is None and rule.paths is not None
            assert ledger_footer(rule) == ""
            text = paths_footer(rule)
            assert "f'(z)·w" not in text and "Product of" not in text
            g = rule.paths
            assert num(g.grad_a) in text and num(g.delta) in text
            assert num(rule.sample_gradient) in text and num(rule.gradient) in text
            if g.skip is not None:
                assert num(g.through) in text and num(g.skip) in text and "×1" in text
            if g.norm_ratio is not None:
                assert f"×{num(g.norm_ratio)}" in text
        else:  # the output layer's weight: the plain single path, as before
            assert rule.paths is None and rule.factors
            assert rule.product == pytest.approx(rule.sample_gradient, rel=1e-12)


def test_a_plain_chain_keeps_its_factor_list() -> None:
    p = cured_pass("none", None, width=1, hidden=4, samples=1)
    rule = chain_rule(p, 1, 0, 0)
    assert rule.paths is None and len(rule.factors) == 11
    assert "Each layer scales the gradient by its f'(z)·w" in ledger_footer(rule)


# -- the event's numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_the_norms_numbers_are_the_batchs_or_the_samples(norm) -> None:
    p = cured_pass(norm, 2, samples=5)
    for layer in range(1, p.depth):
        z = p.z[layer - 1]
        for sample in range(5):
            n = norm_step(p, layer, sample)
            if norm == "batch":  # per unit over the batch, biased variance
                mu, var = z.mean(axis=0), z.var(axis=0)
                assert n.mean == pytest.approx(tuple(mu), rel=1e-12, abs=1e-15)
                assert n.std == pytest.approx(tuple(np.sqrt(var)), rel=1e-12)
                root = np.sqrt(var + 1e-5)
                hat = (z[sample] - mu) / root * p.network.gammas[layer - 1] \
                    + p.network.betas[layer - 1]
            else:  # per sample over the units
                mu, var = z[sample].mean(), z[sample].var()
                assert n.mean == pytest.approx((mu,), rel=1e-12, abs=1e-15)
                assert n.std == pytest.approx((math.sqrt(var),), rel=1e-12)
                hat = (z[sample] - mu) / math.sqrt(var + 1e-5)
            assert n.z_hat == pytest.approx(tuple(hat), rel=1e-10, abs=1e-12)
            back = norm_back_step(p, layer, sample)
            for r, g, d in zip(back.ratio, back.grad_z_hat, back.delta):
                assert r is not None and r * g == pytest.approx(d, rel=1e-13)


def test_the_skip_adds_the_sources_activation_and_passes_its_gradient_back() -> None:
    p = cured_pass("layer", 2)
    for end, src in enumerate(skip_sources(p.depth, 2), start=1):
        if src is None:
            continue
        for sample in range(len(p.inputs)):
            k = skip_step(p, end, sample)
            assert k.source == src
            for f, added, a in zip(k.f, k.added, k.a):
                assert f + added == pytest.approx(a, rel=1e-15)
            assert k.added == tuple(p.a[src - 1][sample])
            assert k.a == tuple(p.a[end - 1][sample])
            for t, g, s in zip(k.through, k.grad_end, k.grad_source):
                assert t + g == pytest.approx(s, rel=1e-12, abs=1e-18)


# -- the waterfall -----------------------------------------------------------------------------


@pytest.mark.parametrize(("norm", "every"), CURES, ids=str)
def test_the_waterfall_telescopes_under_skips_and_norms(norm, every) -> None:
    p = cured_pass(norm, every, hidden=6)
    skips = skip_sources(p.depth, every)
    for layer, sample in itertools.product(range(1, p.depth + 1), range(len(p.inputs))):
        w = waterfall(p, layer, 0, 0, sample)
        assert w.stop is None and w.revived is None
        values = [f.value for f in w.factors]
        assert all(v is not None and v > 0 for v in values)
        want = np.linalg.norm(p.delta[layer - 1][sample]) / np.linalg.norm(p.grad_a[-1][sample])
        assert math.prod(values) == pytest.approx(want, rel=1e-12)
        assert w.reaching == pytest.approx(want, rel=1e-12)
        for f in w.factors:  # the running line is the product so far
            assert f.running is not None
        assert w.factors[-1].running == pytest.approx(math.prod(values), rel=1e-13)
        # a skip part exactly where a skip's source lies on the way back
        sources = sorted((s for s in skips if s is not None and s >= layer), reverse=True)
        assert [f.layer for f in w.factors if f.kind == "skip"] == sources
        for f in w.factors:
            if f.kind == "skip":
                nxt = f.layer + 1
                through = np.linalg.norm(p.delta[nxt - 1][sample] @ p.network.weights[nxt - 1])
                assert f.value == pytest.approx(
                    np.linalg.norm(p.grad_a[f.layer - 1][sample]) / through, rel=1e-12)
        normed = norm != "none" and layer < p.depth
        assert (w.bound is None) == normed
        text = caption(w)
        if normed:
            assert "can enlarge the gradient" in text and "at most" not in text
        if sources:
            assert "skip part" in text and "×1" in text


def test_a_skip_carries_the_gradient_past_a_dead_layer() -> None:
    """A ReLU chain whose layer 3 is dead (z₃ < 0 for the sample): along the layers the
    gradient is 0, but the skip from layer 2 to 3 hands ∂L/∂a₃ back to layer 2."""
    relu = parse_activation("relu")
    ws = [np.array([[v]]) for v in (1.0, 1.0, -1.0, 1.0, 1.0)]
    net = make_network((1,) * 6, [relu] * 5, ws, residual=1)
    p = run_pass(net, np.array([[1.0]]), np.array([[0.0]]), "mse")
    assert p.dact[2][0, 0] == 0.0  # relu'(z₃) = 0
    w = waterfall(p, 1, 0, 0, 0)
    assert w.revived is not None and w.stop is None
    assert w.reaching == pytest.approx(abs(p.delta[0][0, 0]) / abs(p.grad_a[-1][0, 0]),
                                       rel=1e-12)
    assert w.reaching > 0
    text = caption(w)
    assert "exactly 0" in text and "factor of 1" in text and "goes on" in text
