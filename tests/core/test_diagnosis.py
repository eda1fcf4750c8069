"""The diagnosis names the cause (issue 13): one network per kind whose cause is beyond
doubt, the healthy case, and the properties (gradient scale and, at step 0, the learning
rate change no finding)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.diagnosis import KINDS, Finding, diagnose, layer_list
from vanishgui.core.experiment import Experiment, load_experiment, parse_experiment
from vanishgui.core.network import first_non_finite
from vanishgui.core.training import History

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def experiment(layers, hidden="sigmoid", output="sigmoid", *, weights=None, biases=None,
               inputs=((0.5,),), targets=((1.0,),), loss="squared", lr=0.1,
               init=None) -> Experiment:
    net: dict = {"layers": list(layers), "hidden_activation": hidden,
                 "output_activation": output,
                 "init": init or {"scheme": "xavier_uniform", "seed": 0}}
    if weights is not None:
        net["weights"] = weights
    if biases is not None:
        net["biases"] = biases
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1, "network": net,
        "data": {"inputs": [list(r) for r in inputs], "targets": [list(r) for r in targets]},
        "training": {"loss": loss, "optimizer": "sgd", "learning_rate": lr}})


def chain(depth: int, w: float, b: float, **kw) -> Experiment:
    """A chain of one neuron a layer, every weight ``w`` and bias ``b``."""
    return experiment([1] * (depth + 1), weights=[[[w]]] * depth, biases=[[b]] * depth, **kw)


def after(e: Experiment, steps: int = 0) -> list[Finding]:
    t = e.trainer()
    t.train(steps)
    return diagnose(t.preview(), t.history)


def kinds(found: list[Finding]) -> list[str]:
    return [f.kind for f in found]


def healthy() -> Experiment:
    x = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    y = [(0.2,), (0.8,), (0.8,), (0.2,)]
    return experiment([2, 4, 1], hidden="tanh", output="sigmoid", inputs=x, targets=y,
                      lr=0.5)


# -- one network per kind ----------------------------------------------------------------
def test_a_healthy_network_has_no_finding() -> None:
    assert after(healthy()) == []
    assert after(healthy(), 5) == []


def test_ten_sigmoid_layers_vanish_and_the_evidence_carries_the_numbers() -> None:
    e = load_experiment(EXAMPLES / "deep-chain-sigmoid.json")
    t = e.trainer()
    p = t.preview()
    [f] = diagnose(p, t.history)
    assert f.kind == "vanishing"
    g = np.array([np.abs(gw).mean() for gw in p.grad_weights])
    share = g / g[-1]
    assert f.layers == tuple(i + 1 for i in range(p.depth) if share[i] < 1 / 100)
    assert 1 in f.layers and p.depth not in f.layers
    product = float(np.prod([d.mean() for d in p.dact[:-1]]))
    from vanishgui.core.numbers import num, ratio
    assert ratio(share[0]) in f.evidence and num(product) in f.evidence


def test_sigmoid_slopes_of_0_25_times_weights_of_8_explode() -> None:
    """Every z is 0 (w = 8, b = −4, a = 0.5), so each layer going back multiplies δ by
    8 × 0.25 = 2: layer 1 of 9 gets 2⁸ = 256 times the output layer's gradient."""
    p = chain(9, 8.0, -4.0).trainer().preview()
    assert all(np.allclose(z, 0.0) for z in p.z)
    [f] = diagnose(p)
    assert f.kind == "exploding"
    assert f.layers == (1, 2)  # 256 and 128 times; layer 3 gets 64
    assert "256 times" in f.evidence


def test_half_the_units_dead_in_a_layer_is_named_and_explains_the_vanishing_below() -> None:
    x = [(1.0, 0.5), (0.5, 1.0), (0.2, 0.3)]
    y = [(1.0,), (0.0,), (1.0,)]
    w1 = [[1.0, 1.0]] * 4
    w2 = [[1.0, 1.0, 1.0, 1.0]] * 4
    w3 = [[0.5, 0.5, 0.5, 0.5]]
    # layer 2: units 1 and 2 get bias −100 (dead for every sample), 3 and 4 are alive
    e = experiment([2, 4, 4, 1], hidden="relu", output="sigmoid", inputs=x, targets=y,
                   weights=[w1, w2, w3], biases=[[0.0] * 4, [-100, -100, 0, 0], [0.0]])
    found = after(e)
    dead = [f for f in found if f.kind == "dead-units"]
    assert len(dead) == 1 and dead[0].layers == (2,)
    assert "layer 2: 2 of 4" in dead[0].evidence
    # all four dead: the output layer's inputs are all 0, so its gradient is exactly 0
    # and there is no ratio to call vanishing: the dead units are the finding
    e = experiment([2, 4, 4, 1], hidden="relu", output="sigmoid", inputs=x, targets=y,
                   weights=[w1, w2, w3], biases=[[0.0] * 4, [-100] * 4, [0.0]])
    p = e.trainer().preview()
    assert not np.abs(p.grad_weights[-1]).any()
    found = diagnose(p)
    assert kinds(found) == ["dead-units"] and "layer 2: 4 of 4" in found[0].evidence


def test_exploding_relu_activations_saturate_the_sigmoid_output() -> None:
    """The issue's case: ReLU layers with weight 3 and target 0; relu' = 1 everywhere,
    σ'(z_out) = 0, and the output layer's gradient is exactly 0 (no ratio)."""
    e = experiment([1] * 21, hidden="relu", output="sigmoid", weights=[[[3.0]]] * 20,
                   biases=[[0.0]] * 20, inputs=((1.0,),), targets=((0.0,),), loss="bce")
    p = e.trainer().preview()
    assert all((d == 1).all() for d in p.dact[:-1]) and (p.dact[-1] == 0).all()
    found = diagnose(p)
    assert kinds(found) == ["saturated-output"]
    assert found[0].layers == (20,)
    assert "for all of the (sample, output) pairs" in found[0].evidence


def test_a_saturated_output_is_not_also_called_vanishing() -> None:
    e = load_experiment(EXAMPLES / "deep-chain-sigmoid.json")
    doc = e.to_json()
    doc["network"]["biases"] = [[0.0]] * (len(doc["network"]["layers"]) - 2) + [[14.0]]
    doc["data"]["targets"] = [[0.0]]
    p = parse_experiment(doc).trainer().preview()
    g = np.array([np.abs(gw).mean() for gw in p.grad_weights])
    assert g[0] / g[-1] < 1 / 100  # the vanishing rule alone would fire
    assert kinds(diagnose(p)) == ["saturated-output"]


def test_a_learning_rate_of_1e_9_makes_tiny_steps_once_a_step_is_trained() -> None:
    e = healthy()
    small = dataclasses.replace(e, learning_rate=1e-9)
    assert after(small) == []  # never judged from a previewed update
    [f] = after(small, 1)
    assert f.kind == "tiny-steps" and f.layers == (1, 2)
    assert after(e, 1) == []


def plateau_history(depth: int, rows: int, loss_step: float, late: float) -> History:
    h = History(depth)
    for k in range(rows):
        grads = np.ones(depth) * (1.0 if k == 0 else late)
        h.record(0.6931 + loss_step * k, math.nan, grads, grads, np.ones(depth),
                 np.full(depth, 1e-2))
    return h


def test_a_stalled_loss_with_every_gradient_gone_at_every_depth_is_a_plateau() -> None:
    p = healthy().trainer().preview()
    [f] = diagnose(p, plateau_history(p.depth, 40, 0.0, 1e-4))
    assert f.kind == "plateau" and f.layers == (1, 2)
    assert diagnose(p, plateau_history(p.depth, 19, 0.0, 1e-4)) == []  # too few rows
    assert diagnose(p, plateau_history(p.depth, 40, 1e-3, 1e-4)) == []  # still moving
    assert diagnose(p, plateau_history(p.depth, 40, 0.0, 1e-2)) == []  # gradients left


def test_a_learning_rate_too_large_diverges_and_says_where_first() -> None:
    """A linear network with a step 10 times too large: each step multiplies the error,
    until a number overflows."""
    e = experiment([2, 4, 1], hidden="linear", output="linear", lr=10.0,
                   inputs=[(0.0, 1.0), (1.0, 0.0), (1.0, 1.0)], targets=[(1.0,), (2.0,), (3.0,)])
    t = e.trainer()
    t.train(2000, stop_on_divergence=True)
    h = t.history
    assert h.diverged_at_step is not None
    assert h.diverged_in in ("forward", "loss", "gradient", "update")
    [f] = diagnose(t.preview(), h)
    assert f.kind == "diverged" and f.layers == (h.diverged_layer,)
    assert f"step {h.diverged_at_step:,}" in f.evidence


def test_an_overflow_in_the_forward_pass_is_found_at_its_layer() -> None:
    p = chain(4, 1e200, 0.0, hidden="linear", output="linear").trainer().preview()
    assert first_non_finite(p) == ("forward", 2)  # 1e200 × 1e200 overflows in layer 2
    [f] = diagnose(p)
    assert f.kind == "diverged" and f.layers == (2,) and "layer 2" in f.evidence


# -- properties ------------------------------------------------------------------------
CASES = {
    "healthy": healthy,
    "vanishing": lambda: load_experiment(EXAMPLES / "deep-chain-sigmoid.json"),
    "exploding": lambda: chain(9, 8.0, -4.0),
    "saturated": lambda: experiment([1] * 21, hidden="relu", weights=[[[3.0]]] * 20,
                                    biases=[[0.0]] * 20, targets=((0.0,),), loss="bce"),
    "circles": lambda: load_experiment(EXAMPLES / "deep-sigmoid-circles.json"),
}


def scaled(p, c: float):
    return dataclasses.replace(
        p, grad_weights=tuple(g * c for g in p.grad_weights),
        grad_biases=tuple(g * c for g in p.grad_biases),
        delta=tuple(d * c for d in p.delta), grad_a=tuple(d * c for d in p.grad_a))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("c", [1e-6, 0.3, 7.0, 1e5])
def test_scaling_every_gradient_leaves_the_findings_unchanged(name, c) -> None:
    p = CASES[name]().trainer().preview()
    assert diagnose(scaled(p, c)) == diagnose(p)


@pytest.mark.parametrize("name", CASES)
def test_at_step_0_the_learning_rate_changes_no_finding(name) -> None:
    e = CASES[name]()
    found = [after(dataclasses.replace(e, learning_rate=lr)) for lr in (1e-9, 0.1, 1e3)]
    assert found[0] == found[1] == found[2]


def test_every_finding_is_one_sentence_of_a_known_kind() -> None:
    for make in CASES.values():
        for f in after(make()):
            assert f.kind in KINDS
            assert f.evidence.endswith(".") and f.evidence.count(". ") == 0
            assert list(f.layers) == sorted(set(f.layers))


def test_layer_lists_read_as_a_person_would_write_them() -> None:
    assert layer_list([3]) == "layer 3"
    assert layer_list([1, 2]) == "layers 1 and 2"
    assert layer_list([1, 2, 3, 4]) == "layers 1–4"
    assert layer_list([1, 2, 5]) == "layers 1, 2 and 5"


def test_a_loss_that_more_than_doubled_marks_a_step_size_divergence() -> None:
    from vanishgui.core.diagnosis import loss_growth

    assert loss_growth(plateau_history(2, 30, 0.0, 1.0)) is None  # flat
    grown = plateau_history(2, 30, 0.1, 1.0)  # 0.69 → 3.59
    first, last = loss_growth(grown)
    assert first == pytest.approx(0.6931) and last == pytest.approx(0.6931 + 2.9)
