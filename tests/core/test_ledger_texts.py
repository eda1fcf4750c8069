"""The ledger's footer and the σ' panel's sentence say only what the numbers beside them
show (issue 12: "every sigmoid layer shrinks it by 4× or more" dropped the weight factor,
and was printed unchanged under ReLU chains)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.activations import parse_activation
from vanishgui.core.curves import bound_sentence
from vanishgui.core.experiment import load_experiment, parse_experiment
from vanishgui.core.explain import batch_average_note, chain_rule, crossings, ledger_footer
from vanishgui.core.numbers import num
from vanishgui.core.scene import depth_row

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources/examples"


def example(name: str, **change):
    doc = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    for key, value in change.items():
        doc["network"][key] = value
    return parse_experiment(doc).trainer().preview()


def test_the_classic_footer_gives_each_layer_its_slope_times_its_weight() -> None:
    p = example("classic")
    rule = chain_rule(p, 1, 0, 0)
    text = ledger_footer(rule)
    # layer m's factor is σ'(z_m)·w_m, computed here from the pass itself
    for m in (3, 2):
        scale = float(p.dact[m - 1][0, 0]) * float(p.network.weights[m - 1][0, 0])
        assert f"layer {m} ×{num(scale)}" in text
    w3 = float(p.network.weights[2][0, 0])
    assert abs(w3) > 1 and abs(float(p.dact[2][0, 0]) * w3) > 0.25  # the 0.36
    assert "σ'(z) alone is at most 0.25" in text
    assert "|w| > 1 enlarges the factor (w₃)" in text and "|w| < 1 shrinks it (w₂)" in text
    assert "4×" not in text and "shrinks it by" not in text
    assert f"Product of the 7 factors: {num(rule.product)}." in text


def test_a_relu_footer_names_the_dead_unit_and_claims_no_sigmoid_bound_for_it() -> None:
    p = example("classic", hidden_activation="relu")
    assert float(p.dact[1][0, 0]) == 0.0  # the dead ReLU network (w₂ < 0)
    text = ledger_footer(chain_rule(p, 1, 0, 0))
    assert "relu'(z₂) is exactly 0, so no gradient gets past: the product is 0." in text
    assert "relu'(z) alone is at most 1" in text
    assert "layer 2 ×0," in text or "layer 2 ×0." in text
    # σ' is named only for the sigmoid output layer, the one σ' on this path
    assert text.count("σ'") == 1 and "layer 3 ×" in text


def test_the_relu_chain_footer_bounds_relu_by_1() -> None:
    p = load_experiment(EXAMPLES / "deep-chain-relu.json").trainer().preview()
    rule = chain_rule(p, 1, 0, 0)
    text = ledger_footer(rule)
    cross = crossings(rule)
    assert [c.layer for c in cross] == list(range(10, 1, -1))
    hidden = [c for c in cross if c.label == "relu'"]
    assert all(c.dact == 1.0 for c in hidden)
    assert "relu'(z) alone is at most 1" in text
    # the factors the footer names multiply, with the rest of the rows, to the product
    ratio = np.prod([c.scale for c in cross])
    facs = rule.factors
    assert ratio * facs[0].value * facs[-2].value * facs[-1].value == \
        pytest.approx(rule.product, rel=1e-12)


def test_a_long_chain_footer_stays_short_and_counts_right() -> None:
    p = load_experiment(EXAMPLES / "saturated-relu-chain.json").trainer().preview()
    text = ledger_footer(chain_rule(p, 1, 0, 0))
    assert "layer 20 ×0, layer 19 ×3, layer 18 ×3, …, layer 2 ×3." in text
    assert "σ'(z₂₀) is exactly 0" in text
    assert "w₁₉, w₁₈ and 16 more" in text  # 18 weights of 3 listed as two and a count
    assert len(text) < 330


@pytest.mark.parametrize(("loss", "samples", "outputs", "factor"),
                         [("squared", 4, 1, 4), ("mse", 4, 2, 8), ("bce", 3, 2, 6),
                          ("squared", 1, 1, 1)])
def test_the_batch_average_note_names_the_factor_every_delta_carries(
        loss: str, samples: int, outputs: int, factor: int) -> None:
    rng = np.random.default_rng(0)
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2, 3, outputs], "hidden_activation": "sigmoid",
                       "output_activation": "sigmoid",
                       "init": {"scheme": "xavier_uniform", "seed": 0}},
           "data": {"inputs": rng.normal(size=(samples, 2)).tolist(),
                    "targets": rng.uniform(size=(samples, outputs)).round().tolist()},
           "training": {"loss": loss, "optimizer": "sgd", "learning_rate": 0.1,
                        "momentum": 0.0, "batch_size": None}}
    p = parse_experiment(doc).trainer().preview()
    note = batch_average_note(p)
    if factor == 1:
        assert note == ""
        return
    assert f"×1/{factor}" in note
    # the factor is real: ∂L/∂ŷ is the per-sample derivative divided by it
    y, t = p.output, p.targets
    per_sample = {"squared": y - t, "mse": 2 * (y - t),
                  "bce": (y - t) / (y * (1 - y))}[loss]
    np.testing.assert_allclose(p.grad_a[-1] * factor, per_sample, rtol=1e-12)


@pytest.mark.parametrize("name", ["classic", "deep-chain-sigmoid", "deep-chain-relu",
                                  "deep-sigmoid-circles"])
def test_the_sigma_panel_counts_depth_as_the_depth_table_does(name: str) -> None:
    p = load_experiment(EXAMPLES / f"{name}.json").trainer().preview()
    row = depth_row(p)
    text = bound_sentence(p.network.activations)
    assert f"has {row.hidden_layers} more f'(z) factors" in text
    assert f"{num(row.bound)}." in text
    # the bound bounds the derivatives: their product, never the gradient's ratio
    assert "their product is ≤" in text and "Weights multiply on top." in text


def test_the_sigma_sentence_with_mixed_or_unbounded_slopes() -> None:
    sig, tanh = parse_activation("sigmoid"), parse_activation("tanh")
    assert bound_sentence([sig, tanh, sig]).endswith(
        "their product is ≤ ∏ max f'(z) = 0.25. Weights multiply on top.")
    assert bound_sentence([sig]) == "No hidden layer: the output layer's gradient is the only one."
