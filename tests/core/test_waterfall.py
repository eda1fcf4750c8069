"""The chain-rule waterfall against the ledger and against the pass's own arrays.

On the classic chain every part is the magnitude of the ledger's factor of the same
name; on a wide network the parts are recomputed here from z, a, W and δ and their
product must telescope to ‖∂L/∂a_l‖ / ‖∂L/∂ŷ‖; a dead ReLU stops the path at an exact 0;
the bound is the product of the largest f'(z) passed; the sample picks the row.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.experiment import classic, load_experiment, parse_experiment
from vanishgui.core.explain import chain_rule
from vanishgui.core.network import Pass
from vanishgui.core.waterfall import caption, vector_norm, waterfall

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def chain(weights: list[float], *, hidden: str = "sigmoid", output: str = "sigmoid",
          inputs: list[list[float]] | None = None, targets: list[list[float]] | None = None,
          loss: str = "squared", biases: list[float] | None = None) -> Pass:
    """A chain of one neuron a layer with the given weights, its first pass."""
    n = len(weights)
    network = {"layers": [1] * (n + 1), "hidden_activation": hidden,
               "output_activation": output, "weights": [[[w]] for w in weights],
               "init": {"scheme": "xavier_uniform", "seed": 0}}
    if biases is not None:
        network["biases"] = [[b] for b in biases]
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1, "network": network,
        "data": {"inputs": inputs or [[0.5]], "targets": targets or [[1.0]]},
        "training": {"loss": loss, "optimizer": "sgd", "learning_rate": 0.5},
    }).trainer().preview()


def circles() -> Pass:
    return load_experiment(EXAMPLES / "deep-sigmoid-circles.json").trainer().preview()


def numbers_in(text: str) -> list[float]:
    """'1/75', '1.3', '1/2.4e4' in a caption, as numbers, in order (powers like 0.25³
    are left out: they are the bound's spelling, checked on their own)."""
    out = []
    for m in re.finditer(r"(?<![\w.])(1/)?(\d+(?:\.\d+)?(?:e[−-]?\d+)?)(?![\d³⁰¹²⁴⁵⁶⁷⁸⁹])", text):
        v = float(m.group(2).replace("−", "-"))
        out.append(1 / v if m.group(1) else v)
    return out


# -- the classic chain: the ledger's factors ----------------------------------------------


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_on_the_classic_chain_the_parts_are_the_ledgers_factors(layer) -> None:
    exp = classic()
    trainer = exp.trainer()
    for _ in range(3):  # the first pass, and after training moved the weights
        p = trainer.preview()
        w = waterfall(p, layer, 0, 0)
        ledger = [f for f in chain_rule(p, layer, 0, 0).factors if f.kind in ("dact", "weight")]
        assert [f.symbol for f in w.factors] == [f.symbol for f in ledger]
        assert [f.kind for f in w.factors] == [f.kind for f in ledger]
        for part, factor in zip(w.factors, ledger):
            assert part.value == pytest.approx(abs(factor.value), rel=1e-12)
            assert part.log10 == pytest.approx(math.log10(abs(factor.value)), abs=1e-12)
        # the running product is the ledger's, less ∂L/∂ŷ and the input a₀
        product = math.prod(abs(f.value) for f in ledger)
        assert w.reaching == pytest.approx(product, rel=1e-12)
        trainer.train(40)


def test_the_classic_weight_three_lifts_the_line_over_the_sigma_bound() -> None:
    """The issue's case: at w₃ = −1.59 the factor after σ'(z₃)·w₃ is 0.36, above 0.25,
    which bounds the σ' parts only; the caption says what its bound bounds."""
    w = waterfall(classic().trainer().preview(), 1, 0, 0)
    f = {f.symbol: f for f in w.factors}
    assert f["w₃"].value == pytest.approx(1.5901143571236198, rel=1e-12)
    assert f["w₃"].log10 > 0  # a factor above 1: its bar stands up
    assert f["w₃"].running == pytest.approx(0.36157, abs=1e-5) and f["w₃"].bound == 0.25
    assert f["w₃"].running > f["w₃"].bound
    assert w.dact_product is not None and w.bound is not None
    assert w.dact_product <= w.bound  # what the bound does bound
    text = caption(w)
    assert "3 σ' parts multiply to" in text and "(at most 0.25³ = 1/64)" in text
    assert "2 weight parts multiply to" in text and "‖δ₁‖" in text


# -- a wide network: each part from the arrays, and the telescoping -----------------------


def test_on_a_wide_network_the_parts_telescope_to_the_running_line() -> None:
    p = circles()
    depth = p.depth
    assert max(p.network.layers[1:-1]) > 1
    for sample in (0, 17, 199):
        g_out = np.linalg.norm(p.grad_a[-1][sample])
        for layer in range(1, depth + 1):
            w = waterfall(p, layer, 0, 0, sample)
            assert len(w.factors) == 2 * (depth - layer) + 1
            for f in w.factors:
                m = f.layer
                delta = p.dact[m - 1][sample] * p.grad_a[m - 1][sample]
                if f.kind == "dact":
                    expected = np.linalg.norm(delta) / np.linalg.norm(p.grad_a[m - 1][sample])
                else:
                    w_m = p.network.weights[m - 1]
                    expected = np.linalg.norm(w_m.T @ delta) / np.linalg.norm(delta)
                assert f.value == pytest.approx(expected, rel=1e-12), (layer, f.symbol)
            product = math.prod(f.value for f in w.factors[:-1])
            line = np.linalg.norm(p.grad_a[layer - 1][sample]) / g_out
            assert product == pytest.approx(line, rel=1e-12)
            assert w.grad_a_ratio == pytest.approx(line, rel=1e-12)
            assert w.reaching == pytest.approx(
                np.linalg.norm(p.delta[layer - 1][sample]) / g_out, rel=1e-12)
            for f in w.factors:  # the line's log is the sum of the bars'
                assert f.running_log10 == pytest.approx(math.log10(f.running), abs=1e-12)
    # the parts are layer norms: wide, a weight part is no single |w|
    w = waterfall(p, 1, 0, 0)
    w2 = next(f for f in w.factors if f.symbol == "W₂")
    assert all(abs(w2.value - abs(x)) > 1e-6 for x in p.network.weights[1].ravel())


def test_a_wide_networks_waterfall_depends_on_the_weights_layer_not_on_the_weight() -> None:
    p = circles()
    a, b = waterfall(p, 2, 0, 0), waterfall(p, 2, 5, 7)
    assert [f.value for f in a.factors] == [f.value for f in b.factors]
    assert (b.neuron, b.source) == (5, 7)


def test_the_output_layers_weight_has_one_part_its_own_sigma_prime() -> None:
    p = circles()
    w = waterfall(p, p.depth, 0, 3, 4)
    [f] = w.factors
    assert f.kind == "dact" and f.symbol == "σ'(z₇)"
    assert f.value == pytest.approx(p.dact[-1][4, 0], rel=1e-12)
    assert w.grad_a_ratio == 1.0
    assert "output layer, so no weight part" in caption(w)


# -- zeros and inf -------------------------------------------------------------------------


def test_a_dead_relu_stops_the_gradient_at_an_exact_zero() -> None:
    """w₂ < 0 and a positive a₁: z₂ < 0, relu'(z₂) = 0. The path stops there."""
    p = chain([1.0, -1.0, 1.0], hidden="relu")
    assert p.z[1][0, 0] < 0
    w = waterfall(p, 1, 0, 0)
    assert [f.symbol for f in w.factors] == ["σ'(z₃)", "w₃", "relu'(z₂)", "w₂", "relu'(z₁)"]
    assert w.stop is not None and w.stop.factor == 2 and w.stop.reason == "zero"
    dead = w.factors[2]
    assert dead.value == 0.0 and dead.log10 is None
    assert dead.running == 0.0 and dead.running_log10 is None
    for f in w.factors[3:]:  # 0/0: nothing reaches them
        assert f.value is None and f.log10 is None and f.running == 0.0
    assert w.factors[1].value == pytest.approx(1.0) and w.factors[1].log10 is not None
    assert w.reaching == 0.0 and w.dact_product is None
    assert np.linalg.norm(p.delta[0][0]) == 0.0  # the true ‖δ₁‖ for this sample
    text = caption(w)
    assert text.startswith("Gradient stops here: exactly 0 at relu'(z₂)")
    assert "no gradient reaches W₂" in text
    # and for the weight in the dead layer itself: its own σ' part is the 0
    w2 = waterfall(p, 2, 0, 0)
    assert w2.stop is not None and w2.stop.factor == len(w2.factors) - 1


def test_a_zero_output_gradient_has_nothing_to_follow() -> None:
    p = chain([1.0, 1.0], hidden="linear", output="linear", targets=[[0.5]])
    assert p.grad_a[-1][0, 0] == 0.0
    w = waterfall(p, 1, 0, 0)
    assert w.stop is not None and w.stop.factor is None and w.stop.reason == "zero"
    assert all(f.value is None and f.running == 0.0 for f in w.factors)
    assert "∂L/∂ŷ is exactly 0" in caption(w)


def test_an_overflowing_pass_is_not_divided() -> None:
    p = chain([1e200, 1e200, 1e200], hidden="linear", output="linear")
    w = waterfall(p, 1, 0, 0)
    assert w.stop is not None and w.stop.reason == "nonfinite"
    assert all(f.value is None or math.isfinite(f.value) for f in w.factors)
    assert "inf or NaN" in caption(w)


def test_norms_of_tiny_and_huge_gradients_neither_underflow_nor_overflow() -> None:
    assert np.linalg.norm(np.array([1e-170, 1e-170])) == 0.0  # squaring underflows
    assert vector_norm(np.array([1e-170, -1e-170])) == pytest.approx(math.sqrt(2) * 1e-170,
                                                                       rel=1e-15)
    assert vector_norm(np.array([1e200, 1e200])) == pytest.approx(math.sqrt(2) * 1e200,
                                                                   rel=1e-15)
    assert vector_norm(np.zeros(3)) == 0.0
    assert vector_norm(np.array([1.0, np.inf])) == math.inf
    assert math.isnan(vector_norm(np.array([1.0, np.nan])))
    # a sigmoid chain of 60 layers: the gradient at layer 1 is ~1e−40, still a part
    p = chain([1.0] * 60)
    w = waterfall(p, 1, 0, 0)
    assert w.stop is None and w.reaching is not None and 0 < w.reaching < 1e-35


# -- the bound -------------------------------------------------------------------------------


def test_the_bound_is_the_product_of_the_largest_slopes_passed() -> None:
    w = waterfall(classic().trainer().preview(), 1, 0, 0)
    assert [f.bound for f in w.factors] == [0.25, 0.25, 0.0625, 0.0625, 0.015625]
    assert [f.max_derivative for f in w.factors] == [0.25, None, 0.25, None, 0.25]
    relu = waterfall(chain([1.0, 1.0, 1.0], hidden="relu"), 1, 0, 0)
    assert [f.bound for f in relu.factors] == [0.25] * 5  # a sigmoid output, ReLU hidden
    tanh = waterfall(chain([0.5, 0.5, 0.5], hidden="tanh", output="tanh"), 1, 0, 0)
    assert [f.bound for f in tanh.factors] == [1.0] * 5
    assert tanh.dact_product is not None and tanh.dact_product <= 1.0
    prelu = waterfall(chain([1.0, 1.0, 1.0], hidden="prelu"), 1, 0, 0)
    assert [f.bound for f in prelu.factors] == [0.25, 0.25, None, None, None]
    assert prelu.bound is None and prelu.unbounded == ("PReLU",)
    assert "PReLU has no fixed largest slope" in caption(prelu)
    for w_ in (w, relu, tanh):  # each σ' part under its own activation's largest slope
        for f in w_.factors:
            if f.kind == "dact":
                assert f.max_derivative is not None and f.value is not None
                assert f.value <= f.max_derivative


# -- the sample, and the caption's numbers ---------------------------------------------------


def test_the_sample_picks_the_row() -> None:
    p = circles()
    a, b = waterfall(p, 1, 0, 0, 0), waterfall(p, 1, 0, 0, 5)
    assert a.sample == 0 and b.sample == 5
    assert a.factors[0].value == pytest.approx(float(p.dact[-1][0, 0]), rel=1e-12)
    assert b.factors[0].value == pytest.approx(float(p.dact[-1][5, 0]), rel=1e-12)
    assert a.factors[0].value != b.factors[0].value
    with pytest.raises(ValueError, match="sample 200"):
        waterfall(p, 1, 0, 0, 200)
    with pytest.raises(ValueError, match="layer 8"):
        waterfall(p, 8, 0, 0)
    with pytest.raises(ValueError, match="no weight"):
        waterfall(p, 1, 8, 0)


@pytest.mark.parametrize("example", ["deep-sigmoid-circles", "deep-chain-tanh", "classic"])
def test_the_captions_numbers_are_the_products(example) -> None:
    p = (classic() if example == "classic"
         else load_experiment(EXAMPLES / f"{example}.json")).trainer().preview()
    w = waterfall(p, 1, 0, 0)
    sample = 0
    g = [np.linalg.norm(x[sample]) for x in p.grad_a]
    d = [np.linalg.norm(x[sample]) for x in p.delta]
    dact = math.prod(d[m] / g[m] for m in range(p.depth))
    weights = math.prod(g[m - 1] / d[m] for m in range(1, p.depth))
    reaching = d[0] / g[-1]
    text = caption(w)
    head, rest = text.split(" (at most ", 1)
    bound, tail = rest.split("); ", 1)
    shown = numbers_in(head) + numbers_in(tail)
    # the count of σ' parts, their product, the count of weight parts, their product, ‖δ₁‖
    assert shown[0] == p.depth and shown[2] == p.depth - 1
    for value, true in zip((shown[1], shown[3], shown[4]), (dact, weights, reaching)):
        assert value == pytest.approx(true, rel=0.05), text  # two significant figures
    assert numbers_in(bound.split("= ")[-1])[0] == pytest.approx(w.bound, rel=0.05), bound
    assert w.bound == math.prod(a.max_derivative for a in p.network.activations)


def test_weights_of_eight_make_the_gradient_grow_past_the_sigma_bound() -> None:
    """w = 8, b = −4 keeps every z at 0 (σ' = 0.25, its largest): the σ' parts sit on
    their bound and the weights' ×8 outgrow them, ×2 a layer."""
    p = chain([8.0] * 11, biases=[-4.0] * 11)
    assert np.all(np.concatenate([z.ravel() for z in p.z[1:]]) == 0.0)
    w = waterfall(p, 1, 0, 0)
    assert [f.value for f in w.factors if f.kind == "dact"] == [0.25] * 11
    assert [f.value for f in w.factors if f.kind == "weight"] == [8.0] * 10
    assert [f.log10 for f in w.factors if f.kind == "weight"] == [math.log10(8.0)] * 10
    assert w.dact_product == w.bound == 0.25 ** 11
    assert w.reaching == pytest.approx(256.0, rel=1e-12)
    assert caption(w).endswith("together ‖δ₁‖ is 256 × ‖∂L/∂ŷ‖.")
