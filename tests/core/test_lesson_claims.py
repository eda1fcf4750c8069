"""Every scene of every built-in lesson says something true of the core's numbers (issue 12).

Each scene is played in the core as the app plays it (train N steps, switch to a changed
copy, deepen, compare side by side) and its text's claim is checked on the numbers of
that state: a ratio, a loss that stalls or falls, a difference between activations, a
finding of the diagnosis. "How much gradient reaches a layer" is its mean |∂L/∂W|,
worked out here from the pass's ∂L/∂W, not taken from the report or the plots.
A scene without a check here fails: a new scene needs its claim tested.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.activations import SELU_ALPHA, SELU_SCALE, parse_activation
from vanishgui.core.compare import make_comparison
from vanishgui.core.diagnosis import dead_units, diagnose, loss_growth
from vanishgui.core.experiment import Experiment
from vanishgui.core.lesson import (
    CompareAction,
    DeepenAction,
    Lesson,
    PlayAction,
    Scene,
    SwitchAction,
    TrainAction,
    load_lesson,
    parse_lesson,
)
from vanishgui.core.network import Pass
from vanishgui.core.training import History, Trainer

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
EXAMPLES = RESOURCES / "examples"
FILES = sorted((RESOURCES / "lessons").glob("*.json"))
LESSONS: dict[str, Lesson] = {p.stem: load_lesson(p, EXAMPLES) for p in FILES}
LN2 = math.log(2)


# -- the numbers ------------------------------------------------------------------------


def g(p: Pass) -> np.ndarray:
    """Mean |∂L/∂W| per layer, first layer first: how much gradient reaches each layer."""
    return np.array([np.abs(gw).mean() for gw in p.grad_weights])


def share(p: Pass) -> float:
    """Layer 1's mean |∂L/∂W| over the output layer's."""
    out = g(p)
    return float(out[0] / out[-1])


def delta(p: Pass) -> np.ndarray:
    """Mean |δ| = mean |∂L/∂z| per layer."""
    return np.array([np.abs(d).mean() for d in p.delta])


def dact(p: Pass, layer: int) -> float:
    """f'(z) of a chain's one neuron in ``layer`` (1-based), for sample 1."""
    return float(p.dact[layer - 1][0, 0])


def zs(p: Pass) -> list[float]:
    return [float(z[0, 0]) for z in p.z]


def kinds(state: State) -> list[str]:
    return [f.kind for f in diagnose(state.p, state.history)]


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class State:
    """What the window shows after some of a scene's steps: the pass about to be trained
    (the app shows the next step's pass), the history so far, the whole data set's loss."""

    experiment: Experiment
    p: Pass
    history: History
    loss: float
    weights: tuple[np.ndarray, ...]
    steps: int

    @classmethod
    def of(cls, experiment: Experiment, t: Trainer) -> State:
        return cls(experiment, t.preview(), copy.deepcopy(t.history), t.full_loss(),
                   tuple(w.copy() for w in t.network.weights), t.step_count)


def play(scene: Scene) -> list[State | list[State]]:
    """The scene's states, as the app reaches them: [opening, after step 1, …].

    Training stops at a divergence, as the window's does; a comparison gives the state of
    each of its networks, untrained (it opens in its own window)."""
    exp = scene.experiment
    t = exp.trainer()
    out: list[State | list[State]] = [State.of(exp, t)]
    for step in scene.steps:
        a = step.action
        if isinstance(a, TrainAction):
            t.train(a.steps, stop_on_divergence=True)
        elif isinstance(a, DeepenAction):
            exp = a.experiments[step.part]
            t = exp.trainer()
        elif isinstance(a, SwitchAction):
            exp = a.experiment
            t = exp.trainer()
        elif isinstance(a, CompareAction):
            both = make_comparison(exp, a.setting, list(a.values)).networks
            out.append([State.of(e, e.trainer()) for e in both])
            continue
        else:
            assert isinstance(a, PlayAction)  # plays what is shown: no number changes
        out.append(State.of(exp, t))
    return out


def variant(scene: Scene, change: dict) -> Experiment:
    """The experiment a built-in scene names, with a change, read as a lesson reads it."""
    stem = next(stem for stem, lesson in LESSONS.items() if scene in lesson.scenes)
    raw = json.loads((RESOURCES / "lessons" / f"{stem}.json").read_text("utf-8"))
    spec = raw["scenes"][scene.index]["experiment"]
    doc = {"format": "vanishgui-lesson", "version": 1, "title": "t", "scenes": [
        {"title": "s", "text": "t.", "experiment": spec},
        {"title": "v", "text": "t.", "actions": [{"do": "switch", "change": change}]}]}
    (action,) = parse_lesson(doc, "t.json", None, EXAMPLES).scenes[1].actions
    assert isinstance(action, SwitchAction)
    return action.experiment


def train_copy(experiment: Experiment, steps: int) -> Trainer:
    t = experiment.trainer()
    t.train(steps, stop_on_divergence=True)
    return t


# -- "Why gradients vanish" -------------------------------------------------------------


def tiny_network(scene: Scene, states) -> None:
    e = scene.experiment
    assert e.layers == (1, 1, 1, 1)  # one input, two hidden layers of one neuron, one output
    assert {a.name for a in e.activations} == {"sigmoid"}
    x, y = e.data()
    assert x.tolist() == [[0.5]] and y.tolist() == [[1.0]]


def forward_pass(scene: Scene, states) -> None:
    p = states[-1].p
    for i in range(p.depth):  # z = w·a + b, a = σ(z)
        w, b = p.network.weights[i][0, 0], p.network.biases[i][0]
        z = w * float(p.layer_input(i + 1)[0, 0]) + b
        assert zs(p)[i] == pytest.approx(z, rel=1e-15)
        assert float(p.a[i][0, 0]) == pytest.approx(sigmoid(z), rel=1e-15)
    assert scene.show.select is not None and scene.show.select.layer == 1


def the_loss(scene: Scene, states) -> None:
    p = states[0].p
    y_hat, y = float(p.output[0, 0]), float(p.targets[0, 0])
    assert scene.experiment.loss == "squared"
    assert p.loss == pytest.approx(0.5 * (y_hat - y) ** 2, rel=1e-15)


def chain_rule(scene: Scene, states) -> None:
    """∂L/∂w₁ is one product: (ŷ − y)·σ'(z₃)·w₃·σ'(z₂)·w₂·σ'(z₁)·x."""
    p = states[-1].p
    w = [float(m[0, 0]) for m in p.network.weights]
    product = float(p.output[0, 0] - p.targets[0, 0]) * dact(p, 3) * w[2] * dact(p, 2) \
        * w[1] * dact(p, 1) * float(p.inputs[0, 0])
    assert float(p.grad_weights[0][0, 0]) == pytest.approx(product, rel=1e-12)


def sigma_at_most_a_quarter(scene: Scene, states) -> None:
    """σ' alone is at most 0.25; σ'(z)·w, the layer's factor, can be larger or smaller."""
    p = states[-1].p
    slopes = [dact(p, layer) for layer in (1, 2, 3)]
    assert max(slopes) <= 0.25
    grid = np.linspace(-10, 10, 20001)
    s = 1 / (1 + np.exp(-grid))
    assert float((s * (1 - s)).max()) == 0.25  # at z = 0 exactly
    # each hidden layer's factor on ∂L/∂w₁: its slope times the weight out of it
    factors = [abs(dact(p, i + 1) * float(p.network.weights[i + 1][0, 0])) for i in range(2)]
    factors.append(abs(dact(p, 3) * float(p.network.weights[2][0, 0])))  # the ledger's w₃
    assert any(f > 0.25 for f in factors)  # larger than σ' can ever be alone
    assert any(f < dact(p, i + 1) for i, f in enumerate(factors[:2]))  # a weight under 1
    assert "at most 0.25" in scene.text and "σ'(z)·w" in scene.text


def product_shrinks(scene: Scene, states) -> None:
    shares = []
    for state, h in zip(states[1:], (2, 5, 10), strict=True):
        p = state.p
        assert p.depth - 1 == h and all(n == 1 for n in p.network.layers)
        product = math.prod(dact(p, layer) for layer in range(1, h + 1))
        assert product <= 0.25**h  # the σ'(z) alone: at most 0.25ᴸ
        shares.append(share(p))
    assert shares == sorted(shares, reverse=True) and max(shares) < 1  # weights don't help
    assert shares[-1] < 1e-6
    assert "vanishing" in kinds(states[-1])


def weights_stop_moving(scene: Scene, states) -> None:
    start, end = states
    assert "9 hidden" in scene.text and start.p.depth - 1 == 9
    # both inputs reach the output layer as almost the same number
    a_last = start.p.a[-2][:, 0]
    assert abs(a_last[0] - a_last[1]) < 1e-4
    # so the output layer can only move ŷ to the average target, and the loss levels off
    y_hat = end.p.output[:, 0]
    assert abs(y_hat[0] - y_hat[1]) < 1e-4 and abs(y_hat.mean() - 0.5) < 0.01
    loss = end.history.loss
    assert loss[-1] < loss[0] and end.loss > 0.1  # well above 0
    assert loss[-1] > 0.125 * (1 - 1e-4)  # never under predicting 0.5 for both
    assert abs(loss[-1] - loss[-20]) < 1e-3 * loss[-1]  # levelled off
    # layer 1's weight change stays orders of magnitude under the output layer's
    upd = end.history.layer("update_mean_abs")
    assert float((upd[:, 0] / upd[:, -1]).max()) < 1e-3
    assert share(end.p) < 1e-3
    lr = scene.experiment.learning_rate  # with SGD a weight's change is lr × its gradient
    last = end.history.layer("grad_mean_abs")[-1]
    assert upd[-1] == pytest.approx(lr * last, rel=1e-12)


def tanh_saturates(scene: Scene, states) -> None:
    sigmoid_start, switched, after50, after300 = states
    assert share(sigmoid_start.p) < 1e-5
    assert switched.experiment.hidden_activation.name == "tanh"
    assert [w.tolist() for w in switched.weights] == [w.tolist() for w in sigmoid_start.weights]
    assert share(switched.p) > 0.5  # close to the output layer's
    assert "vanishing" not in kinds(switched)
    last_hidden = switched.p.depth - 1
    assert dact(switched.p, last_hidden) > 0.9  # tanh' near 1 before training
    assert after50.steps == 50 and share(after50.p) < 1 / 100
    assert dact(after50.p, last_hidden) < 0.25  # near the output, z is out where tanh is flat
    assert share(after300.p) < share(after50.p) and share(after300.p) < 1 / 300
    assert "vanishing" in kinds(after300)


def relu_and_friends(scene: Scene, states) -> None:
    relu, *relatives = states
    p = relu.p
    assert relu.experiment.hidden_activation.name == "relu" and p.depth - 1 == 6
    assert zs(p)[1] < 0  # layer 2's z is below zero
    gr = g(p)
    assert np.all(gr[:3] == 0) and np.all(gr[3:] > 0)  # layers 1–3 get exactly 0
    for layer in range(1, 7):  # slope exactly 1 where z > 0, exactly 0 where z < 0
        assert dact(p, layer) == (1.0 if zs(p)[layer - 1] > 0 else 0.0)
    names = [s.experiment.hidden_activation.name for s in relatives]
    assert names == ["leaky_relu", "prelu", "elu", "selu"]
    slope2 = {"leaky_relu": lambda z: 0.01, "prelu": lambda z: 0.25,
              "elu": math.exp, "selu": lambda z: SELU_SCALE * SELU_ALPHA * math.exp(z)}
    firsts = []
    for s in relatives:
        z2 = zs(s.p)[1]
        assert z2 < 0
        assert dact(s.p, 2) == pytest.approx(slope2[s.experiment.hidden_activation.name](z2),
                                             rel=1e-12)
        assert g(s.p)[0] > 0  # layer 1's bar comes back
        firsts.append(share(s.p))
    assert len({round(f, 6) for f in firsts}) == len(firsts)  # by a different amount each


def swish_and_gelu(scene: Scene, states) -> None:
    swish, gelu, relu, swish8, gelu8, relu8 = states
    assert [s.experiment.hidden_activation.name for s in states] == \
        ["swish", "gelu", "relu", "swish", "gelu", "relu"]
    assert swish.p.depth - 1 == 10 and "10 hidden" in scene.text
    hidden = range(1, 11)
    assert all(abs(z - 0.2) < 0.01 for z in zs(swish.p)[:10])  # every z near 0.2
    assert all(0.55 < dact(swish.p, layer) < 0.65 for layer in hidden)  # about 0.6
    z0 = np.zeros((1, 1))
    for s in (swish, gelu):  # at z = 0 the slope is 0.5
        assert float(s.experiment.hidden_activation.derivative(z0)[0, 0]) == pytest.approx(0.5)
    assert all(dact(relu.p, layer) == 1.0 for layer in hidden)
    # a chain of them near 0 shrinks the gradient, far less than sigmoid on the same chain
    assert share(swish.p) < 1 / 100 and share(gelu.p) < 1 / 50
    assert share(relu.p) > 10 * share(swish.p) and share(relu.p) > 5 * share(gelu.p)
    sigmoid_chain = variant(scene, {"network.hidden_activation": "sigmoid"})
    assert share(sigmoid_chain.trainer().preview()) < 1e-4 * share(swish.p)
    # with the input 8 every z is near 8 and they pass the gradient as ReLU does
    assert swish8.p.inputs.tolist() == gelu8.p.inputs.tolist() == relu8.p.inputs.tolist() \
        == [[8.0]]
    for s in (swish8, gelu8):
        assert all(7.9 < z < 9.1 for z in zs(s.p)[:10])
        assert all(abs(dact(s.p, layer) - 1) < 0.01 for layer in hidden)
        assert share(s.p) == pytest.approx(share(relu8.p), rel=0.05)


def side_by_side(scene: Scene, states) -> None:
    sig_state, relu_state = states[-1]
    assert [s.experiment.hidden_activation.name for s in states[-1]] == ["sigmoid", "relu"]
    assert [w.tolist() for w in sig_state.weights] == [w.tolist() for w in relu_state.weights]
    sig = sig_state.experiment.trainer()
    sig.train(20)
    assert abs(sig.full_loss() - LN2) < 1e-4  # within about 20 steps: ln 2
    sig.train(180)
    p = sig.preview()
    assert float(np.abs(p.output - 0.5).max()) < 0.01  # ŷ ≈ 0.5 for every point
    assert abs(sig.full_loss() - LN2) < 1e-4
    assert np.all(g(p) < 1e-5)  # every layer's gradient is tiny
    assert 0.4 < share(p) < 0.7  # layer 1 about half of the output layer's
    assert "vanishing" not in [f.kind for f in diagnose(p, sig.history)]
    relu = relu_state.experiment.trainer()
    relu.train(200)
    assert relu.full_loss() < 0.5 * LN2  # the ReLU copy's loss keeps falling
    assert relu.history.loss[-1] < relu.history.loss[100]


# -- "Where the weights start" ----------------------------------------------------------


def delta_factors(p: Pass) -> np.ndarray:
    """mean |δ| of each hidden layer over the layer after it: the scale a layer gives."""
    d = delta(p)
    return d[:-1] / d[1:]


def circles_start(scheme: str, act: str = "sigmoid") -> Callable[[Scene], None]:
    def check(scene: Scene) -> None:
        e = scene.experiment
        assert e.layers == (2, 8, 8, 8, 8, 8, 8, 1) and e.dataset == "circles"
        assert e.init.scheme == scheme and e.hidden_activation.name == act
    return check


def normal_start(scene: Scene, states) -> None:
    circles_start("normal")(scene)
    start, end = states
    assert scene.experiment.init.param("std") == 1.0
    assert 1 / 1000 < share(start.p) < 1 / 100  # small, not hopeless (about 1/322)
    xavier = LESSONS["initialisation"].scenes[1]
    assert xavier.experiment.init.scheme == "xavier_uniform"
    xp = xavier.experiment.trainer().preview()
    assert np.all(delta_factors(start.p) > delta_factors(xp))  # the weights make up for σ'
    assert end.steps == 1000 and end.loss < LN2 - 0.1  # it learns


def xavier_start(scene: Scene, states) -> None:
    circles_start("xavier_uniform")(scene)
    start, end = states
    assert share(start.p) < 1 / 10_000  # about 1/45,000
    normal = LESSONS["initialisation"].scenes[0].experiment.trainer().preview()
    assert share(normal) > 100 * share(start.p)  # more than a hundred times smaller
    assert np.all(delta_factors(start.p) < 1)  # every hidden layer shrinks the gradient
    for w, (fan_in, fan_out) in zip(start.weights, zip(scene.experiment.layers,
                                                         scene.experiment.layers[1:])):
        assert np.abs(w).max() <= math.sqrt(6 / (fan_in + fan_out))  # spread √(2/(in+out))
    z0 = np.zeros((1, 1))
    assert float(parse_activation("sigmoid").derivative(z0)[0, 0]) == \
        float(parse_activation("tanh").derivative(z0)[0, 0]) / 4  # 4× less than assumed
    assert end.steps == 1000 and abs(end.loss - LN2) < 1e-3  # stays at ln 2


def he_start(scene: Scene, states) -> None:
    circles_start("he_normal")(scene)
    start, end = states
    assert share(start.p) < 1 / 1000  # far below the output layer's
    normal = LESSONS["initialisation"].scenes[0].experiment.trainer().network.weights
    for he_w, n_w in zip(start.weights[1:], normal[1:]):  # after the first: half as spread
        assert 0.4 < he_w.std() / n_w.std() < 0.6
    assert end.steps == 1000 and abs(end.loss - LN2) < 1e-3


def fitting_start(scheme: str, act: str, low: float) -> Callable[[Scene, list], None]:
    def check(scene: Scene, states) -> None:
        circles_start(scheme, act)(scene)
        start, end = states
        assert share(start.p) > low
        assert scene.experiment.learning_rate == 0.2
        assert "vanishing" not in kinds(start)
        assert end.steps == 300 and end.loss < 0.1  # far below ln 2
    return check


def xavier_tanh(scene: Scene, states) -> None:
    fitting_start("xavier_uniform", "tanh", 0.5)(scene, states)  # close to the output's
    hidden = delta_factors(states[0].p)[:-1]  # hidden layer to hidden layer
    assert np.all((hidden > 0.5) & (hidden < 2))  # the gradient keeps about its size


def he_relu(scene: Scene, states) -> None:
    fitting_start("he_normal", "relu", 1.0)(scene, states)  # at least as tall
    z = np.concatenate([z.ravel() for z in states[0].p.z[:-1]])
    assert 0.35 < float(np.mean(z < 0)) < 0.65  # blocked about half the time


def lecun_selu(scene: Scene, states) -> None:
    fitting_start("lecun_normal", "selu", 0.1)(scene, states)  # within reach
    for w, fan_in in zip(states[0].weights, scene.experiment.layers):
        assert 0.5 < w.std() * math.sqrt(fan_in) < 1.5  # spread √(1/fan_in)


def sigmoid_starts_side_by_side(scene: Scene, states) -> None:
    circles_start("xavier_uniform")(scene)
    variants = states[-1]
    assert [s.experiment.init.scheme for s in variants] == \
        ["normal", "xavier_uniform", "he_normal"]
    losses = [train_copy(s.experiment, 1000).full_loss() for s in variants]
    assert losses[0] < LN2 - 0.1  # only normal(1.0) learns within 1000 steps
    assert all(abs(loss - LN2) < 1e-3 for loss in losses[1:])


# -- "The other side: exploding gradients" ----------------------------------------------


def doubles(scene: Scene, states) -> None:
    p = states[-1].p
    assert p.depth - 1 == 10
    assert set(zs(p)) == {0.0}  # every z exactly 0
    for layer in range(1, 11):
        factor = dact(p, layer) * float(p.network.weights[layer][0, 0])
        assert dact(p, layer) == 0.25 and factor == 2.0
    assert share(p) == 1024.0  # 2¹⁰, exactly
    assert "exploding" in kinds(states[-1])


def one_step(scene: Scene, states) -> None:
    before, after = states
    assert after.steps == 1
    w1_before, w1_after = float(before.weights[0][0, 0]), float(after.weights[0][0, 0])
    assert w1_after > 4 * w1_before  # thrown far: five times what it was
    out_change = abs(float(after.weights[-1][0, 0] - before.weights[-1][0, 0]))
    assert abs(w1_after - w1_before) > 100 * out_change
    assert zs(after.p)[0] > 37 and dact(after.p, 1) == 0.0  # σ'(z) exactly 0
    assert g(after.p)[0] == 0.0
    assert "vanishing" in kinds(after)
    t = scene.experiment.trainer()  # from then on: layer 1 never gets a gradient again
    t.train(6)
    assert g(t.preview())[0] == 0.0 and np.array_equal(t.network.weights[0], after.weights[0])


def diverged(scene: Scene, states) -> None:
    start, end = states
    assert start.p.depth == 2 and scene.experiment.learning_rate == 2.0
    assert 1 / 10 < share(start.p) < 10  # close to the output layer's: nothing explodes
    assert kinds(start) == []
    h = end.history
    assert h.diverged_at_step is not None and end.steps == h.diverged_at_step + 1 < 200
    assert loss_growth(h) is not None  # the loss grew first
    finite = h.loss[np.isfinite(h.loss)]
    assert np.all(np.diff(finite) > 0)  # step after step
    assert float(np.nanmax(np.where(np.isfinite(h.loss), h.loss, np.nan))) > 1e100
    assert "diverged" in kinds(end) and "exploding" not in kinds(end)
    own = train_copy(replace(scene.experiment, learning_rate=0.1), 200)
    assert own.history.diverged_at_step is None  # its own rate of 0.1 trains smoothly
    assert own.full_loss() < 0.1 * own.history.loss[0]


# -- "Dying ReLU" -----------------------------------------------------------------------


def dead_neuron(scene: Scene, states) -> None:
    start, end = states
    p = start.p
    assert p.network.activations[0].name == "relu" and p.depth == 3
    assert float(p.network.weights[1][0, 0]) < 0 and zs(p)[1] < 0
    assert dact(p, 2) == 0.0
    assert all(np.all(gw == 0) for gw in p.grad_weights)  # every weight's gradient, exactly
    assert float(p.grad_biases[-1][0]) != 0  # but the output's bias learns
    assert "dead-units" in kinds(start)
    assert all(np.array_equal(a, b) for a, b in zip(start.weights, end.weights))
    assert end.steps == 100 and end.loss < start.loss  # the loss falls all the same


def dying(scene: Scene, states) -> None:
    start, end = states
    assert scene.experiment.layers == (2, 8, 8, 8, 1)
    assert scene.experiment.learning_rate == 2.0
    dead0 = [len(dead_units(start.p, layer)) for layer in (1, 2, 3)]
    assert sum(dead0) > 0 and max(dead0) < 4  # a few, fewer than half of any layer
    dead = [len(dead_units(end.p, layer)) for layer in (1, 2, 3)]
    assert sum(dead) > sum(dead0) and dead[-1] == 8  # the last hidden layer, end to end
    assert "dead-units" in kinds(end)
    assert abs(end.loss - LN2) < 1e-3


def leaky(scene: Scene, states) -> None:
    start, end = states
    assert scene.experiment.hidden_activation.name == "leaky_relu"
    assert scene.experiment.learning_rate == 2.0
    t = scene.experiment.trainer()
    for _ in range(100):  # never a dead unit, at any step
        p = t.step()
        assert all(len(dead_units(p, layer)) == 0 for layer in (1, 2, 3))
        assert np.all(g(p) > 0)
    assert "dead-units" not in kinds(end)
    assert end.loss >= start.loss  # the loss does not fall either


def smaller_step(scene: Scene, states) -> None:
    start, end = states
    assert scene.experiment.hidden_activation.name == "relu"
    assert scene.experiment.learning_rate == 0.5
    dying_start = LESSONS["dying-relu"].scenes[1].experiment.trainer().preview()
    for layer in (1, 2, 3):  # the same few dead at the start
        assert np.array_equal(dead_units(start.p, layer), dead_units(dying_start, layer))
        alive0 = set(range(8)) - set(dead_units(start.p, layer).tolist())
        assert alive0.isdisjoint(dead_units(end.p, layer).tolist())  # the others stay alive
        assert len(dead_units(end.p, layer)) < 4
    assert "dead-units" not in kinds(end)
    assert end.loss < 0.1


# -- "Sigmoid at the output" ------------------------------------------------------------


def y_minus_y(p: Pass) -> float:
    return float(p.output[0, 0] - p.targets[0, 0])


def cancels(scene: Scene, states) -> None:
    p = states[-1].p
    assert p.depth == 1 and zs(p) == [4.0] and p.loss_name == "bce"
    assert dact(p, 1) < 0.02  # flat there
    dl_dz = float(p.delta[0][0, 0])
    assert dl_dz == pytest.approx(y_minus_y(p) / len(p.inputs), rel=1e-12)
    assert float(p.grad_a[0][0, 0]) * dact(p, 1) == pytest.approx(dl_dz, rel=1e-12)


def too_far_out(scene: Scene, states) -> None:
    _, z20, z30, z40 = states
    assert [zs(s.p)[0] for s in (z20, z30, z40)] == [20.0, 30.0, 40.0]
    assert float(z20.p.delta[0][0, 0]) == pytest.approx(y_minus_y(z20.p), rel=1e-9)
    at30 = float(z30.p.delta[0][0, 0])
    assert 0 < at30 < 0.15 * y_minus_y(z30.p)  # about a tenth
    assert float(z40.p.delta[0][0, 0]) == 0.0 and dact(z40.p, 1) == 0.0
    assert np.all(z40.p.grad_weights[0] == 0)
    assert kinds(z40) == ["saturated-output"]
    s = lambda z: sigmoid(z) * (1 - sigmoid(z))  # noqa: E731
    assert s(27.0) > 1e-12 > s(28.0)  # |z| below about 27: above the 1e-12 floor
    assert sigmoid(36.0) < 1.0 == sigmoid(37.0)  # ŷ rounds to exactly 1 from z ≈ 37


def deep_saturates(scene: Scene, states) -> None:
    state = states[-1]
    p = state.p
    assert p.depth - 1 == 19 and "Nineteen hidden" in scene.text
    assert all(float(w[0, 0]) == 3.0 for w in p.network.weights)
    assert all(dact(p, layer) == 1.0 for layer in range(1, 20))
    assert zs(p)[-1] == 3.0**20 and float(p.output[0, 0]) == 1.0 and dact(p, 20) == 0.0
    assert all(np.all(gw == 0) for gw in p.grad_weights)
    assert kinds(state) == ["saturated-output"]


def squared_keeps(scene: Scene, states) -> None:
    bce4, sq4, sq0 = states
    assert sq4.experiment.loss == sq0.experiment.loss == "squared"
    assert zs(bce4.p) == zs(sq4.p) == [4.0] and zs(sq0.p) == [0.0]
    ratio = float(sq4.p.delta[0][0, 0]) / float(bce4.p.delta[0][0, 0])
    assert ratio == pytest.approx(dact(sq4.p, 1), rel=1e-12) and ratio < 0.25
    bce0 = replace(sq0.experiment, loss="bce")
    at0 = float(sq0.p.delta[0][0, 0]) / float(bce0.trainer().preview().delta[0][0, 0])
    assert at0 == 0.25  # a quarter at z = 0, exactly


# -- "Not every small gradient is vanishing" --------------------------------------------


def tiny_rate(scene: Scene, states) -> None:
    start, end = states
    assert scene.experiment.learning_rate == 1e-6
    assert 1 / 10 < share(start.p) < 10 and kinds(start) == []
    upd = end.history.last_update_mean_abs
    last = end.history.layer("grad_mean_abs")[-1]
    assert upd == pytest.approx(1e-6 * last, rel=1e-6)  # a millionth of its gradient
    assert np.allclose(g(end.p), g(start.p), rtol=1e-3)  # the gradients stay as they were
    assert abs(end.loss - start.loss) < 1e-4 * start.loss
    assert "tiny-steps" in kinds(end) and "vanishing" not in kinds(end)


def adam(scene: Scene, states) -> None:
    start, end = states
    assert scene.experiment.optimizer == "adam" and end.steps == 50
    assert 1e-7 < share(start.p) < 1e-5 and 1e-7 < share(end.p) < 1e-5  # about a millionth
    upd = end.history.layer("update_mean_abs")
    assert float((upd[:, 0] / upd[:, -1]).min()) > 0.4  # close to the output layer's
    lr = scene.experiment.learning_rate
    assert np.all(upd[0] <= lr * (1 + 1e-9)) and np.all(upd[0] > 0.5 * lr)  # about lr
    sgd = replace(scene.experiment, optimizer="sgd")
    t = sgd.trainer()
    t.step()
    u = t.history.last_update_mean_abs
    assert u[0] / u[-1] < 1e-5  # with SGD the step shows the ratio
    assert "vanishing" in kinds(end)


def plateau(scene: Scene, states) -> None:
    start, end = states
    assert start.p.depth == 2 and scene.experiment.dataset == "sine"
    loss = end.history.loss
    assert abs(loss[-1] - loss[-100]) < 0.01 * loss[-1]  # the loss has levelled off
    assert loss[-1] < 0.6 * loss[0]  # after fitting what it can
    assert np.all(g(end.p) <= 1e-3 * g(start.p))  # about a thousandth, every layer
    assert share(end.p) > 1 / 10  # layer 1 still gets a fair share
    assert "plateau" in kinds(end) and "vanishing" not in kinds(end)


# -- the other cures (issue 15) ---------------------------------------------------------------


def chain_vanishes(scene: Scene, states) -> None:
    (start,) = states
    p = start.p
    assert p.depth - 1 == 9 and all(a.name == "sigmoid" for a in p.network.activations)
    factors = [abs(dact(p, m) * float(p.network.weights[m - 1][0, 0]))
               for m in range(2, p.depth + 1)]
    assert max(factors) < 0.3  # "below 0.3 at every layer"
    assert 1e-7 < share(p) < 1e-5  # "about a million times below"
    assert "vanishing" in kinds(start)


def skips_every_two(scene: Scene, states) -> None:
    before, after = states
    assert before.p.network.residual is None and after.p.network.residual == 2
    # the same weights: only the skips differ
    for a, b in zip(before.p.network.weights, after.p.network.weights):
        np.testing.assert_array_equal(a, b)
    assert share(after.p) > 1e4 * share(before.p) and share(after.p) > 1 / 100
    assert "vanishing" in kinds(before) and "vanishing" not in kinds(after)


def circles_nine_by_eight(norm: str) -> Callable[[Scene, list], None]:
    def check(scene: Scene, states) -> None:
        start, end = states
        p = start.p
        assert p.network.layers == (2, *[8] * 9, 1) and p.network.norm == norm
        assert scene.experiment.dataset == "circles" and scene.experiment.samples == 200
        assert end.steps == 300
        if norm == "batch":
            assert end.loss < 0.1 < math.log(2)  # "far below ln 2"
            assert share(p) > 1 / 100
        else:  # stalls at ln 2, layer 1 far below the output layer from the start
            assert abs(end.loss - math.log(2)) < 1e-3
            assert share(p) < 1e-4
    return check


def norms_side_by_side(scene: Scene, states) -> None:
    _start, nets = states
    assert [s.p.network.norm for s in nets] == ["none", "batch", "layer"]
    for a, b in zip(nets[0].p.network.weights, nets[1].p.network.weights):
        np.testing.assert_array_equal(a, b)  # "from the same starting weights"


def clipping_bounds_the_step(scene: Scene, states) -> None:
    start, _played, stepped = states
    p = start.p
    assert scene.experiment.clip_norm == 1.0
    assert all(float(w[0, 0]) == 8.0 for w in p.network.weights)
    assert all(float(b[0]) == -4.0 for b in p.network.biases)
    # the same step without clipping, from the same weights
    free = replace(scene.experiment, clip_norm=None).trainer()
    free.train(1)
    clipped_step = stepped.history.layer("update_mean_abs")[-1]
    free_step = free.history.layer("update_mean_abs")[-1]
    scale = free_step / clipped_step
    assert np.allclose(scale, scale[0], rtol=1e-9)  # one factor for every layer
    assert round(float(scale[0])) == 165  # "about 165 times smaller"
    assert round(clipped_step[0] / clipped_step[-1]) == 1024  # layer 1 moves 1024×
    assert share(p) == 1024.0


CLAIMS: dict[tuple[str, str], Callable[[Scene, list], None]] = {
    ("other-cures", "A chain that vanishes"): chain_vanishes,
    ("other-cures", "Skips every 2 hidden layers"): skips_every_two,
    ("other-cures", "9 hidden sigmoid layers of 8 on circles"): circles_nine_by_eight("none"),
    ("other-cures", "Batch norm"): circles_nine_by_eight("batch"),
    ("other-cures", "Layer norm"): circles_nine_by_eight("layer"),
    ("other-cures", "Side by side"): norms_side_by_side,
    ("other-cures", "Clipping bounds the step"): clipping_bounds_the_step,
    ("vanishing-gradient", "A tiny network"): tiny_network,
    ("vanishing-gradient", "Forward pass"): forward_pass,
    ("vanishing-gradient", "The loss"): the_loss,
    ("vanishing-gradient", "Backward: the chain rule"): chain_rule,
    ("vanishing-gradient", "σ'(z) is at most 0.25"): sigma_at_most_a_quarter,
    ("vanishing-gradient", "The product shrinks with depth"): product_shrinks,
    ("vanishing-gradient", "Weights that stop moving"): weights_stop_moving,
    ("vanishing-gradient", "Tanh"): tanh_saturates,
    ("vanishing-gradient", "ReLU and friends"): relu_and_friends,
    ("vanishing-gradient", "Swish and GELU"): swish_and_gelu,
    ("vanishing-gradient", "Side by side"): side_by_side,
    ("initialisation", "Large random weights"): normal_start,
    ("initialisation", "Xavier (Glorot)"): xavier_start,
    ("initialisation", "He (Kaiming)"): he_start,
    ("initialisation", "Xavier suits tanh"): xavier_tanh,
    ("initialisation", "He suits ReLU"): he_relu,
    ("initialisation", "LeCun suits SELU"): lecun_selu,
    ("initialisation", "The three sigmoid starts side by side"): sigmoid_starts_side_by_side,
    ("exploding", "A chain that doubles the gradient"): doubles,
    ("exploding", "What one step does"): one_step,
    ("exploding", "A step too large is something else"): diverged,
    ("dying-relu", "A dead neuron"): dead_neuron,
    ("dying-relu", "Dying while training"): dying,
    ("dying-relu", "Leaky ReLU does not die"): leaky,
    ("dying-relu", "A smaller step"): smaller_step,
    ("sigmoid-output", "Cross-entropy cancels σ'(z)"): cancels,
    ("sigmoid-output", "Too far out"): too_far_out,
    ("sigmoid-output", "Deep networks get there too"): deep_saturates,
    ("sigmoid-output", "The squared loss keeps σ'(z)"): squared_keeps,
    ("not-vanishing", "A tiny learning rate"): tiny_rate,
    ("not-vanishing", "Adam hides the ratio"): adam,
    ("not-vanishing", "A plateau"): plateau,
}

SCENES = [(stem, scene) for stem, lesson in LESSONS.items() for scene in lesson.scenes]


@pytest.mark.parametrize(("stem", "scene"), SCENES,
                         ids=[f"{stem}:{s.index + 1}" for stem, s in SCENES])
def test_the_scene_says_what_the_core_shows(stem: str, scene: Scene) -> None:
    check = CLAIMS.get((stem, scene.title))
    assert check is not None, f"{stem}: scene {scene.index + 1} (“{scene.title}”) has no " \
                              "test of its claim here"
    with np.errstate(divide="ignore", invalid="ignore"):
        check(scene, play(scene))


def test_every_claim_belongs_to_a_scene() -> None:
    assert set(CLAIMS) == {(stem, s.title) for stem, s in SCENES}


# -- the words every text uses ----------------------------------------------------------

NUMBER = r"(?:\d+|L|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty)"
# words that may stand between a count and "layers": "10 sigmoid layers" must say hidden
KIND = r"(?:hidden|weight|deep|more|sigmoid|tanh|relu|leaky|prelu|elu|selu|swish|gelu|linear)"
COUNT = rf"\b{NUMBER}\s+((?:{KIND}\s+){{0,2}})layers?\b"
TEXTS = [(stem, s.title, s.text) for stem, s in SCENES] + \
    [(stem, "(description)", lesson.description) for stem, lesson in LESSONS.items()]


@pytest.mark.parametrize(("stem", "title", "text"), TEXTS,
                         ids=[f"{stem}:{title}" for stem, title, _ in TEXTS])
def test_depth_is_counted_in_hidden_layers(stem: str, title: str, text: str) -> None:
    """"A chain of 9 hidden layers", never "a ten-layer chain" or "11 weight layers"."""
    assert not re.search(r"\w-layers?\b", text), text
    assert "weight layer" not in text.lower()
    for m in re.finditer(COUNT, text, flags=re.IGNORECASE):
        assert "hidden" in m.group(1).lower(), m.group(0)


@pytest.mark.parametrize(("stem", "title", "text"), TEXTS,
                         ids=[f"{stem}:{title}" for stem, title, _ in TEXTS])
def test_no_text_measures_the_gradient_by_a_norm(stem: str, title: str, text: str) -> None:
    """One measure everywhere, mean |∂L/∂W| (the plots'); a norm is not it. ("Batch
    norm" and "layer norm", the cures, are other things.)"""
    assert not re.search(r"(?<!batch )(?<!layer )\bnorms?\b", text, flags=re.IGNORECASE), text
    assert "‖" not in text


def test_the_depth_check_catches_the_old_wording() -> None:
    """The two checks above refuse what the old lesson said."""
    old = "Press Page Down to train this ten-layer sigmoid chain for 200 steps"
    assert re.search(r"\w-layers?\b", old)
    bad = list(re.finditer(COUNT, "a chain of 11 sigmoid layers", flags=re.IGNORECASE))
    assert bad and "hidden" not in bad[0].group(1)
    good = list(re.finditer(COUNT, "a chain of 9 hidden sigmoid layers", flags=re.IGNORECASE))
    assert good and "hidden" in good[0].group(1)


# -- the questions the built-in lessons ask (predict, then reveal) ---------------------------

# (lesson, scene number): the choice (1-based) whose range holds the core's value once the
# scene's actions have run, and that value as the reveal shows it
QUESTIONS = {
    ("vanishing-gradient", 6): (4, "1/4.9e6"),  # 10 hidden sigmoid layers
    ("vanishing-gradient", 8): (3, "1/596"),  # tanh after 300 steps
    ("dying-relu", 1): (1, "yes"),  # still dead after 100 steps
    ("exploding", 2): (2, "no"),  # one step and the chain has saturated: vanishing now
    ("initialisation", 2): (1, "0.693"),  # Xavier stays at ln 2
}


def test_every_built_in_question_is_listed() -> None:
    asked = {(name, s.index + 1) for name, lesson in LESSONS.items() for s in lesson.scenes
             if s.question is not None}
    assert asked == set(QUESTIONS)


@pytest.mark.parametrize(("name", "number"), sorted(QUESTIONS))
def test_each_question_reveals_the_cores_value_in_one_choice(name: str, number: int) -> None:
    from vanishgui.core.question import evaluate

    scene = LESSONS[name].scenes[number - 1]
    assert scene.question is not None
    last = play(scene)[-1]
    assert isinstance(last, State)
    answer = evaluate(scene.question, last.p, last.history)
    holder, shown = QUESTIONS[(name, number)]
    assert answer.holder == holder - 1, (answer, scene.question.choices)
    assert answer.shown == shown
    # the choices are real alternatives: at least one other choice holds none of it
    assert len(scene.question.choices) >= 2
