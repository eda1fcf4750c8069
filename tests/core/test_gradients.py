"""The backward pass against central finite differences and against a hand calculation.

Finite differences here are Richardson-extrapolated central differences (a Romberg
tableau over h, h/2, h/4, …, keeping the level whose successive estimates agree best),
whose estimates of gradients of ordinary size are good to ~1e-10 relative: the 1e-6
the issue asks for is checked with room to spare.
Where a gradient is smaller than finite differences can resolve at all (a vanished
gradient: ~eps·|L|/h, e.g. 1e-13 in a deep leaky-ReLU net), the comparison falls back to
that resolution; those values are checked to 1e-9 against torch in test_against_torch.

For activations with a kink (relu, leaky_relu, prelu, elu, selu) every network is drawn
so that no |z| is within 1e-3 of the kink, and every finite-difference evaluation checks
that no z changed side (the step is shrunk when one does), so the differences never
straddle a kink.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vanishgui.core import losses
from vanishgui.core.activations import NAMES as ACTIVATION_NAMES
from vanishgui.core.activations import Activation, parse_activation
from vanishgui.core.experiment import parse_experiment
from vanishgui.core.network import Network, make_network, run_pass

EPS = float(np.finfo(np.float64).eps)
KINKED = frozenset({"relu", "leaky_relu", "prelu", "elu", "selu"})
MARGIN = 1e-3  # no |z| this close to a kink
RTOL = 1e-6
NOISE = 32.0  # finite differences resolve nothing below NOISE·eps·|L|/h
LOSSES = ("squared", "mse", "bce")

# Every activation, plus the parameterised and aliased spellings.
ACTIVATION_SPECS: list = [
    *ACTIVATION_NAMES,
    "silu",
    {"name": "leaky_relu", "negative_slope": 0.2},
    {"name": "elu", "alpha": 0.5},
]


def _spec_id(spec) -> str:
    if isinstance(spec, str):
        return spec
    return "-".join(f"{k}={v}" if k != "name" else str(v) for k, v in spec.items())


# -- building random cases --------------------------------------------------------------


class _Crossed(Exception):
    """A finite-difference evaluation moved some z across a kink."""


def _kink_signs(net: Network, zs) -> list[np.ndarray | None]:
    return [np.sign(z) if act.name in KINKED else None for z, act in zip(zs, net.activations)]


def _forward(net: Network, x: np.ndarray, shift: tuple[int, tuple, float] | None = None):
    """z of every layer and the output; ``shift`` = (layer, index, t) adds t to one z."""
    zs = []
    a = x
    with np.errstate(all="ignore"):
        for i, (w, b, act, alpha) in enumerate(
            zip(net.weights, net.biases, net.activations, net.alphas)
        ):
            z = a @ w.T + b
            if shift is not None and shift[0] == i:
                z = z.copy()
                z[shift[1]] += shift[2]
            zs.append(z)
            a = act.forward(z, alpha)
    return zs, a


def random_case(
    seed: int,
    hidden,
    output,
    depth: int,
    *,
    max_width: int = 4,
    batch: int = 3,
    loss: str = "squared",
    layers: list[int] | None = None,
) -> tuple[Network, np.ndarray, np.ndarray]:
    """A random network and batch with no |z| within MARGIN of a kink.

    The sizes are ``layers`` when given, else drawn (widths 1 to ``max_width``).
    """
    rng = np.random.default_rng(seed)
    hidden_act = parse_activation(hidden)
    output_act = parse_activation(output)
    acts = [hidden_act] * (depth - 1) + [output_act]
    given = layers
    for _ in range(200):
        layers = given or [int(n) for n in rng.integers(1, max_width + 1, depth + 1)]
        weights = [
            rng.normal(0.0, 1.2 / math.sqrt(n_in), (n_out, n_in))
            for n_in, n_out in itertools.pairwise(layers)
        ]
        biases = [rng.normal(0.0, 0.5, n) for n in layers[1:]]
        alphas = [float(rng.uniform(0.05, 0.5)) if a.learnable else None for a in acts]
        net = make_network(layers, acts, weights, biases, alphas)
        x = rng.normal(0.0, 1.0, (batch, layers[0]))
        if loss == "bce":
            y = rng.uniform(0.0, 1.0, (batch, layers[-1]))
        else:
            y = rng.normal(0.0, 1.0, (batch, layers[-1]))
        zs, _ = _forward(net, x)
        if all(
            act.name not in KINKED or np.abs(z).min() >= MARGIN
            for z, act in zip(zs, net.activations)
        ):
            return net, x, y
    raise AssertionError("could not draw a network away from the kinks")


# -- finite differences -----------------------------------------------------------------


def _romberg(phi: Callable[[float], float], h0: float, levels: int = 6) -> tuple[float, float]:
    """phi'(0) from a Romberg tableau of central differences; returns (estimate, h used)."""
    rows: list[list[float]] = []
    best: tuple[float, float, float] | None = None
    for k in range(levels):
        h = h0 / 2**k
        row = [(phi(h) - phi(-h)) / (2.0 * h)]
        for j in range(1, k + 1):
            row.append(row[j - 1] + (row[j - 1] - rows[k - 1][j - 1]) / (4**j - 1))
        rows.append(row)
        if k:
            err = abs(row[k] - rows[k - 1][k - 1])
            if best is None or err < best[1]:
                best = (row[k], err, h)
    assert best is not None
    return best[0], best[2]


def fd_derivative(
    loss_of: Callable[[float], tuple[list[np.ndarray], np.ndarray]],
    net: Network,
    y: np.ndarray,
    loss: str,
    base_signs: list[np.ndarray | None],
    scale: float,
) -> tuple[float, float]:
    """(d/dt L at t = 0, the finite differences' resolution there).

    ``loss_of(t)`` returns the (zs, output) of the perturbed network.
    """
    h0 = 1e-2
    while True:

        def phi(t: float) -> float:
            zs, out = loss_of(t)
            for s, z in zip(base_signs, _kink_signs(net, zs)):
                if s is not None and not np.array_equal(s, z):
                    raise _Crossed
            return losses.loss_value(loss, out, y)

        try:
            value, h = _romberg(phi, h0)
        except _Crossed:
            h0 /= 8.0
            assert h0 > 1e-9, "cannot keep the finite differences off the kinks"
            continue
        return value, NOISE * EPS * max(scale, 1e-300) / h


def _with(net: Network, *, weights=None, biases=None, alphas=None) -> Network:
    return net.with_parameters(
        tuple(weights) if weights is not None else net.weights,
        tuple(biases) if biases is not None else net.biases,
        tuple(alphas) if alphas is not None else net.alphas,
    )


def _assert_close(what: str, analytic, estimate, noise) -> None:
    analytic = np.asarray(analytic, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    assert analytic.shape == estimate.shape, what
    assert np.isfinite(analytic).all(), f"{what}: not finite: {analytic}"
    err = np.abs(analytic - estimate)
    bad = err > RTOL * np.abs(analytic) + noise
    if bad.any():
        i = np.unravel_index(int(np.argmax(np.where(bad, err, -1))), err.shape)
        raise AssertionError(
            f"{what}{list(i)}: backward pass {analytic[i]!r}, finite differences "
            f"{estimate[i]!r} (relative error {err[i] / abs(estimate[i]):.3g}); "
            f"{int(bad.sum())} of {bad.size} entries disagree"
        )


def check_pass_against_fd(net: Network, x: np.ndarray, y: np.ndarray, loss: str) -> None:
    """grad_weights, grad_biases, grad_alphas and delta of run_pass vs finite differences."""
    p = run_pass(net, x, y, loss)
    base = _kink_signs(net, p.z)
    scale = abs(p.loss)

    def param_loss(kind: str, layer: int, index: tuple):
        def loss_of(t: float):
            if kind == "alpha":
                al = list(net.alphas)
                al[layer] = al[layer] + t
                return _forward(_with(net, alphas=al), x)
            arrays = [a.copy() for a in (net.weights if kind == "w" else net.biases)]
            arrays[layer][index] += t
            perturbed = _with(net, weights=arrays) if kind == "w" else _with(net, biases=arrays)
            return _forward(perturbed, x)

        return loss_of

    for layer in range(net.depth):
        for kind, analytic in (("w", p.grad_weights[layer]), ("b", p.grad_biases[layer])):
            est = np.empty_like(analytic)
            noise = np.empty_like(analytic)
            for idx in np.ndindex(analytic.shape):
                est[idx], noise[idx] = fd_derivative(
                    param_loss(kind, layer, idx), net, y, loss, base, scale
                )
            name = "grad_weights" if kind == "w" else "grad_biases"
            _assert_close(f"{name}[{layer}]", analytic, est, noise)

        if net.activations[layer].learnable:
            assert isinstance(p.grad_alphas[layer], float)
            est, noise = fd_derivative(param_loss("alpha", layer, ()), net, y, loss, base, scale)
            _assert_close(f"grad_alphas[{layer}]", p.grad_alphas[layer], est, noise)
        else:
            assert p.grad_alphas[layer] is None

        delta = p.delta[layer]
        est = np.empty_like(delta)
        noise = np.empty_like(delta)
        for idx in np.ndindex(delta.shape):

            def z_loss(t: float, layer=layer, idx=idx):
                return _forward(net, x, (layer, idx, t))

            est[idx], noise[idx] = fd_derivative(z_loss, net, y, loss, base, scale)
        _assert_close(f"delta[{layer}]", delta, est, noise)


CASES = [
    (spec, loss, depth)
    for spec in ACTIVATION_SPECS
    for loss in LOSSES
    for depth in (1, 4, 10)
    if not (loss == "bce" and depth == 1 and spec != "sigmoid")  # depth 1: output only
]


@pytest.mark.parametrize(
    ("spec", "loss", "depth"),
    CASES,
    ids=[f"{_spec_id(s)}-{loss}-depth{d}" for s, loss, d in CASES],
)
def test_backward_matches_finite_differences(spec, loss: str, depth: int) -> None:
    # bce is only defined for a sigmoid output; the activation under test is then hidden.
    output = "sigmoid" if loss == "bce" else spec
    seed = sum(map(ord, f"{_spec_id(spec)}/{loss}/{depth}"))
    net, x, y = random_case(seed, spec, output, depth, loss=loss)
    check_pass_against_fd(net, x, y, loss)


@pytest.mark.parametrize("loss", LOSSES)
def test_backward_matches_finite_differences_mixed_activations(loss: str) -> None:
    """One network using every activation, each in its own layer."""
    rng = np.random.default_rng(7)
    names = list(rng.permutation(ACTIVATION_NAMES))
    if loss == "bce":
        names = [n for n in names if n != "sigmoid"] + ["sigmoid"]
    acts = [parse_activation(n) for n in names]
    depth = len(acts)
    for seed in range(100):
        r = np.random.default_rng(seed)
        layers = [int(n) for n in r.integers(1, 4, depth + 1)]
        weights = [r.normal(0, 1.2 / math.sqrt(i), (o, i)) for i, o in itertools.pairwise(layers)]
        biases = [r.normal(0, 0.5, o) for o in layers[1:]]
        alphas = [0.3 if a.learnable else None for a in acts]
        net = make_network(layers, acts, weights, biases, alphas)
        x = r.normal(0, 1, (2, layers[0]))
        y = r.uniform(0, 1, (2, layers[-1]))
        zs, _ = _forward(net, x)
        if all(a.name not in KINKED or np.abs(z).min() >= MARGIN for z, a in zip(zs, acts)):
            break
    check_pass_against_fd(net, x, y, loss)


# -- the textbook example, by hand ---------------------------------------------------------


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def test_classic_example_by_hand() -> None:
    """1-1-1-1 sigmoid net, x = 0.5, y = 1, squared loss, SGD at lr 0.5: the chain rule."""
    w1, w2, w3 = 0.8, -1.2, 1.5
    b1, b2, b3 = 0.1, 0.2, -0.3
    x, y, lr = 0.5, 1.0, 0.5

    # forward
    z1 = w1 * x + b1
    a1 = _sigmoid(z1)
    z2 = w2 * a1 + b2
    a2 = _sigmoid(z2)
    z3 = w3 * a2 + b3
    a3 = _sigmoid(z3)
    loss = 0.5 * (a3 - y) ** 2
    # σ'(z) = σ(z)(1 − σ(z))
    s1 = math.exp(-z1) / (1.0 + math.exp(-z1)) ** 2
    s2 = math.exp(-z2) / (1.0 + math.exp(-z2)) ** 2
    s3 = math.exp(-z3) / (1.0 + math.exp(-z3)) ** 2
    # backward: δ3 = ∂L/∂a3 · σ'(z3), then δ_l = δ_{l+1} · w_{l+1} · σ'(z_l)
    dl_da3 = a3 - y
    d3 = dl_da3 * s3
    d2 = d3 * w3 * s2
    d1 = d2 * w2 * s1
    # ∂L/∂w_l = δ_l · a_{l−1}, ∂L/∂b_l = δ_l
    gw3, gw2, gw1 = d3 * a2, d2 * a1, d1 * x
    # one SGD step
    new_w = (w1 - lr * gw1, w2 - lr * gw2, w3 - lr * gw3)
    new_b = (b1 - lr * d1, b2 - lr * d2, b3 - lr * d3)

    exp = parse_experiment({
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {
            "layers": [1, 1, 1, 1],
            "hidden_activation": "sigmoid",
            "output_activation": "sigmoid",
            "weights": [[[w1]], [[w2]], [[w3]]],
            "biases": [[b1], [b2], [b3]],
        },
        "data": {"inputs": [[x]], "targets": [[y]]},
        "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": lr},
    })
    trainer = exp.trainer()
    p = trainer.step()

    def scalars(arrays) -> list[float]:
        out = []
        for a in arrays:
            a = np.asarray(a)
            assert a.size == 1
            out.append(float(a.reshape(-1)[0]))
        return out

    rel = 1e-13
    assert scalars(p.z) == pytest.approx([z1, z2, z3], rel=rel)
    assert scalars(p.a) == pytest.approx([a1, a2, a3], rel=rel)
    assert scalars(p.dact) == pytest.approx([s1, s2, s3], rel=1e-12)
    assert scalars(p.grad_a)[-1] == pytest.approx(dl_da3, rel=rel)
    assert scalars(p.delta) == pytest.approx([d1, d2, d3], rel=1e-12)
    assert scalars(p.grad_weights) == pytest.approx([gw1, gw2, gw3], rel=1e-12)
    assert scalars(p.grad_biases) == pytest.approx([d1, d2, d3], rel=1e-12)
    assert p.loss == pytest.approx(loss, rel=rel)
    assert scalars(trainer.network.weights) == pytest.approx(list(new_w), rel=1e-14)
    assert scalars(trainer.network.biases) == pytest.approx(list(new_b), rel=1e-14)
    assert p.update is not None
    assert scalars(p.update.weights) == pytest.approx(list(new_w), rel=1e-14)
    # The point of the example: the gradient shrinks on its way back.
    assert all(0.0 < s <= 0.25 for s in (s1, s2, s3))
    assert abs(gw1) < abs(gw2) < abs(gw3)


# -- properties over shapes ---------------------------------------------------------------

_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


@st.composite
def shapes(draw):
    depth = draw(st.integers(1, 6))
    layers = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    batch = draw(st.integers(1, 5))
    hidden = draw(st.sampled_from(ACTIVATION_NAMES))
    loss = draw(st.sampled_from(LOSSES))
    output = "sigmoid" if loss == "bce" else draw(st.sampled_from(ACTIVATION_NAMES))
    seed = draw(st.integers(0, 2**32 - 1))
    return layers, batch, hidden, output, loss, seed


def _case_from(layers, batch, hidden, output, loss, seed):
    rng = np.random.default_rng(seed)
    depth = len(layers) - 1
    acts = [parse_activation(hidden)] * (depth - 1) + [parse_activation(output)]
    weights = [rng.normal(0, 1.2 / math.sqrt(i), (o, i)) for i, o in itertools.pairwise(layers)]
    biases = [rng.normal(0, 0.5, o) for o in layers[1:]]
    alphas = [float(rng.uniform(0.05, 0.5)) if a.learnable else None for a in acts]
    net = make_network(layers, acts, weights, biases, alphas)
    x = rng.normal(0, 1, (batch, layers[0]))
    y = rng.uniform(0, 1, (batch, layers[-1])) if loss == "bce" else rng.normal(0, 1, (batch,
                                                                                       layers[-1]))
    return net, x, y


@_SETTINGS
@given(shapes())
def test_pass_shapes_and_chain_rule_identities(case) -> None:
    layers, batch, _, _, loss, _ = case
    net, x, y = _case_from(*case)
    p = run_pass(net, x, y, loss)
    depth = len(layers) - 1
    assert p.depth == depth
    for seq in (p.z, p.a, p.dact, p.grad_a, p.delta, p.grad_weights, p.grad_biases):
        assert len(seq) == depth
    for i in range(depth):
        n_in, n_out = layers[i], layers[i + 1]
        for arr in (p.z[i], p.a[i], p.dact[i], p.grad_a[i], p.delta[i]):
            assert arr.shape == (batch, n_out)
            assert arr.dtype == np.float64
            assert np.isfinite(arr).all()
        assert p.grad_weights[i].shape == (n_out, n_in)
        assert p.grad_biases[i].shape == (n_out,)
        assert np.isfinite(p.grad_weights[i]).all()
        assert np.isfinite(p.grad_biases[i]).all()
        act = net.activations[i]
        if act.learnable:
            assert math.isfinite(p.grad_alphas[i])
        else:
            assert p.grad_alphas[i] is None
        # the chain rule, one identity at a time
        a_prev = x if i == 0 else p.a[i - 1]
        np.testing.assert_allclose(p.z[i], a_prev @ net.weights[i].T + net.biases[i], rtol=1e-12)
        np.testing.assert_allclose(p.delta[i], p.grad_a[i] * p.dact[i], rtol=1e-12, atol=0)
        np.testing.assert_allclose(p.grad_weights[i], p.delta[i].T @ a_prev, rtol=1e-12,
                                   atol=1e-300)
        np.testing.assert_allclose(p.grad_biases[i], p.delta[i].sum(axis=0), rtol=1e-12,
                                   atol=1e-300)
        if i:
            np.testing.assert_allclose(p.grad_a[i - 1], p.delta[i] @ net.weights[i],
                                       rtol=1e-12, atol=1e-300)
        if act.name == "sigmoid":
            assert ((p.dact[i] >= 0.0) & (p.dact[i] <= 0.25)).all()
    # ∂L/∂ŷ and L, straight from the definitions
    yh = p.a[-1]
    k = layers[-1]
    if loss == "squared":
        want_grad, want_loss = (yh - y) / batch, float(np.sum(0.5 * (yh - y) ** 2) / batch)
    elif loss == "mse":
        want_grad = 2 * (yh - y) / (batch * k)
        want_loss = float(np.sum((yh - y) ** 2) / (batch * k))
    else:
        want_grad = (yh - y) / np.maximum(yh * (1 - yh), 1e-12) / (batch * k)
        want_loss = float(-np.sum(y * np.log(yh) + (1 - y) * np.log1p(-yh)) / (batch * k))
    np.testing.assert_allclose(p.grad_a[-1], want_grad, rtol=1e-12, atol=1e-300)
    assert p.loss == pytest.approx(want_loss, rel=1e-12)


@_SETTINGS
@given(shapes())
def test_directional_derivative_matches_finite_differences(case) -> None:
    """<∇L, v> for a random direction v through every parameter, vs d/dt L(θ + t·v)."""
    layers, batch, hidden, output, loss, seed = case
    depth = len(layers) - 1
    net, x, y = random_case(seed, hidden, output, depth, batch=batch, loss=loss, layers=layers)
    assert net.layers == tuple(layers)
    p = run_pass(net, x, y, loss)
    rng = np.random.default_rng(seed ^ 0x5EED)
    vw = [rng.normal(size=w.shape) for w in net.weights]
    vb = [rng.normal(size=b.shape) for b in net.biases]
    va = [float(rng.normal()) if a is not None else None for a in net.alphas]
    terms = [*(gw * v for gw, v in zip(p.grad_weights, vw)),
             *(gb * v for gb, v in zip(p.grad_biases, vb)),
             *(np.array([ga * v]) for ga, v in zip(p.grad_alphas, va) if v is not None)]
    analytic = sum(float(t.sum()) for t in terms)
    magnitude = sum(float(np.abs(t).sum()) for t in terms)

    def loss_of(t: float):
        moved = _with(
            net,
            weights=[w + t * v for w, v in zip(net.weights, vw)],
            biases=[b + t * v for b, v in zip(net.biases, vb)],
            alphas=[a + t * v if a is not None else None for a, v in zip(net.alphas, va)],
        )
        return _forward(moved, x)

    est, noise = fd_derivative(loss_of, net, y, loss, _kink_signs(net, p.z), abs(p.loss))
    assert abs(analytic - est) <= RTOL * magnitude + noise, (analytic, est)


_Z = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_Z, min_size=1, max_size=20))
def test_sigmoid_derivative_is_between_0_and_a_quarter(zs) -> None:
    z = np.array(zs)
    d = parse_activation("sigmoid").derivative(z)
    assert ((d >= 0.0) & (d <= 0.25)).all()
    assert parse_activation("sigmoid").derivative(np.array([0.0]))[0] == 0.25


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.sampled_from(ACTIVATION_SPECS), st.floats(-30.0, 30.0, allow_nan=False),
       st.floats(0.05, 2.0))
def test_activation_derivative_matches_finite_differences(spec, z, alpha) -> None:
    act: Activation = parse_activation(spec)
    a = alpha if act.learnable else None
    h = 1e-5
    if act.name in KINKED and abs(z) < 1e-3:
        z = 1e-3 if z >= 0 else -1e-3
    if act.name == "softplus" and abs(z - 20.0) < 1e-3:
        z = 20.0 + (1e-3 if z >= 20.0 else -1e-3)
    zz = np.array([z - 2 * h, z - h, z + h, z + 2 * h])
    f = act.forward(zz, a)
    fd = (8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * h)
    d = float(act.derivative(np.array([z]), act.forward(np.array([z]), a), a)[0])
    assert d == pytest.approx(fd, rel=1e-6, abs=1e-9)
    bound = act.max_derivative
    if bound is not None:
        assert abs(d) <= bound * (1 + 1e-7)


def test_derivative_at_the_kinks_is_the_left_pieces() -> None:
    zero = np.array([0.0])
    assert parse_activation("relu").derivative(zero)[0] == 0.0
    assert parse_activation("leaky_relu").derivative(zero)[0] == 0.01
    leaky = parse_activation({"name": "leaky_relu", "negative_slope": 0.2})
    assert leaky.derivative(zero)[0] == 0.2
    assert parse_activation("prelu").derivative(zero, alpha=0.3)[0] == 0.3
    assert parse_activation("prelu").derivative(zero)[0] == 0.25  # PReLU's initial slope
    assert parse_activation("elu").derivative(zero)[0] == 1.0
    assert parse_activation({"name": "elu", "alpha": 0.5}).derivative(zero)[0] == 0.5
    for name in ("relu", "leaky_relu", "prelu", "elu", "selu"):
        assert parse_activation(name).forward(zero)[0] == 0.0


@pytest.mark.parametrize(
    "spec", ["sigmoid", "tanh", "relu", "selu", "gelu", "swish", "softplus", "linear",
             {"name": "leaky_relu", "negative_slope": 3.0}, {"name": "elu", "alpha": 2.0}],
    ids=_spec_id)
def test_max_derivative_is_the_largest_derivative(spec) -> None:
    """The stated bound is reached (to 1e-9) and never exceeded."""
    act = parse_activation(spec)
    z = np.concatenate([np.linspace(-12.0, 30.0, 42_001), np.linspace(1.41, 1.42, 10_001),
                        np.linspace(2.39, 2.41, 20_001), [0.0, -1e-12]])
    d = act.derivative(z)
    bound = act.max_derivative
    assert bound is not None
    assert d.max() <= bound * (1 + 4 * EPS)
    assert bound - d.max() < 1e-9
