"""The backward pass through norms and residual blocks against central finite differences.

The loss is recomputed here by a forward pass of its own (numpy, written from issue 15's
definitions, not the core's code), with a hook that adds t to one entry of z, ẑ or a of
one layer; parameters are perturbed through ``Network.with_parameters``. The estimates are
Richardson-extrapolated central differences over h and h/2 on smooth activations (tanh,
sigmoid), good to ~1e-10 relative: every gradient must agree to 1e-6, or, for one that is
analytically 0 (a bias under batch norm), lie within the differences' resolution.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vanishgui.core import losses
from vanishgui.core.activations import parse_activation
from vanishgui.core.cures import skip_sources
from vanishgui.core.network import Network, make_network, run_pass

RTOL = 1e-6
H = 1e-3
EPS_NORM = 1e-5


def reference_loss(net: Network, every: int | None, x: np.ndarray, y: np.ndarray, loss: str,
                   hook: tuple[str, int, tuple[int, ...], float] | None = None) -> float:
    """The loss by issue 15's definitions; ``hook`` = (what, layer, index, t) adds t to
    z, z_hat or a of that layer (0-based) at that index."""
    depth = net.depth
    skips = skip_sources(depth, every)
    outs: list[np.ndarray] = []
    a = x

    def nudge(kind: str, i: int, v: np.ndarray) -> np.ndarray:
        if hook is not None and hook[0] == kind and hook[1] == i:
            v = v.copy()
            v[hook[2]] += hook[3]
        return v

    for i in range(depth):
        z = nudge("z", i, a @ net.weights[i].T + net.biases[i])
        if net.norm != "none" and i < depth - 1:
            axis = 0 if net.norm == "batch" else 1
            mu = z.mean(axis=axis, keepdims=True)
            var = ((z - mu) ** 2).mean(axis=axis, keepdims=True)
            z_hat = net.gammas[i] * (z - mu) / np.sqrt(var + EPS_NORM) + net.betas[i]
        else:
            z_hat = z
        z_hat = nudge("z_hat", i, z_hat)
        name = net.activations[i].name
        f = np.tanh(z_hat) if name == "tanh" else 1.0 / (1.0 + np.exp(-z_hat))
        a = f if skips[i] is None else f + outs[skips[i] - 1]
        a = nudge("a", i, a)
        outs.append(a)
    return losses.loss_value(loss, a, y)


def derivative(fn) -> float:
    def central(h: float) -> float:
        return (fn(h) - fn(-h)) / (2 * h)

    return (4 * central(H / 2) - central(H)) / 3


def check(what: str, analytic, estimate: np.ndarray, scale: float) -> None:
    analytic = np.asarray(analytic, dtype=np.float64)
    assert analytic.shape == estimate.shape, what
    # the differences' resolution: rounding of the loss over h, with room
    noise = 1e-10 * scale
    err = np.abs(analytic - estimate)
    bad = err > RTOL * np.abs(estimate) + noise
    assert not bad.any(), (f"{what}: backward {analytic[bad]}, finite differences "
                           f"{estimate[bad]}")


def build(norm: str, every: int | None, seed: int, given: bool) -> tuple[Network, np.ndarray,
                                                                         np.ndarray]:
    rng = np.random.default_rng(seed)
    layers = [3, 4, 4, 4, 4, 2]
    acts = [parse_activation("tanh")] * 4 + [parse_activation("sigmoid")]
    weights = [rng.normal(0.0, 0.8, (m, n)) for n, m in itertools.pairwise(layers)]
    biases = [rng.normal(0.0, 0.3, m) for m in layers[1:]]
    kw: dict = {"norm": norm, "residual": every}
    if norm != "none" and given:
        kw["gammas"] = [rng.uniform(0.5, 1.5, m) for m in layers[1:-1]]
        kw["betas"] = [rng.normal(0.0, 0.5, m) for m in layers[1:-1]]
    net = make_network(layers, acts, weights, biases, **kw)
    x = rng.normal(0.0, 1.0, (5, 3))
    y = rng.uniform(0.1, 0.9, (5, 2))
    return net, x, y


CASES = [
    (norm, every, loss, given)
    for norm in ("none", "batch", "layer")
    for every in (None, 1, 2)
    for loss, given in (("mse", False), ("squared", True))
    if (norm, every) != ("none", None)  # the plain network: test_gradients.py
]


@pytest.mark.parametrize(("norm", "every", "loss", "given"), CASES,
                         ids=[f"{n}-every{e}-{lo}{'-given' if g else ''}"
                              for n, e, lo, g in CASES])
def test_gradients_through_norms_and_skips_match_finite_differences(norm, every, loss,
                                                                    given) -> None:
    net, x, y = build(norm, every, seed=len(CASES) + CASES.index((norm, every, loss, given)),
                      given=given)
    p = run_pass(net, x, y, loss)
    assert p.loss == pytest.approx(reference_loss(net, every, x, y, loss), rel=1e-13)
    scale = abs(p.loss)

    def params(kind: str, i: int, idx: tuple[int, ...], t: float) -> Network:
        arrays = {k: [v.copy() for v in getattr(net, k)] for k in
                  ("weights", "biases", "gammas", "betas")}
        arrays[kind][i][idx] += t
        return net.with_parameters(tuple(arrays["weights"]), tuple(arrays["biases"]),
                                   net.alphas, tuple(arrays["gammas"]), tuple(arrays["betas"]))

    hidden = net.depth - 1
    for i in range(net.depth):
        kinds = [("weights", p.grad_weights[i]), ("biases", p.grad_biases[i])]
        if norm != "none" and i < hidden:
            kinds += [("gammas", p.grad_gammas[i]), ("betas", p.grad_betas[i])]
        else:
            assert p.grad_gammas[i] is None and p.grad_betas[i] is None
        for kind, analytic in kinds:
            est = np.empty_like(analytic)
            for idx in np.ndindex(analytic.shape):
                est[idx] = derivative(lambda t, kind=kind, i=i, idx=idx: reference_loss(
                    params(kind, i, idx, t), every, x, y, loss))
            check(f"{kind}[{i}]", analytic, est, scale)
        for kind, analytic in (("z", p.delta[i]), ("z_hat", p.grad_z_hat[i]),
                               ("a", p.grad_a[i])):
            est = np.empty_like(analytic)
            for idx in np.ndindex(analytic.shape):
                est[idx] = derivative(lambda t, kind=kind, i=i, idx=idx: reference_loss(
                    net, every, x, y, loss, (kind, i, idx, t)))
            check(f"dL/d{kind}[{i}]", analytic, est, scale)
        if norm == "batch" and i < hidden:
            assert not p.grad_biases[i].any()  # exactly 0: the bias cancels in z − μ


def test_the_skip_passes_the_gradient_on_with_a_factor_of_one() -> None:
    """∂L/∂a of a block's source = W_{s}ᵀδ_{s} (through the next layer) + ∂L/∂a of the
    block's end (along the skip)."""
    net, x, y = build("layer", 1, seed=3, given=True)
    p = run_pass(net, x, y, "mse")
    # blocks [2], [3], [4]: their sources are 1, 2, 3; the output has no skip
    assert p.skip_from == (None, 1, 2, 3, None)
    for source, end in ((1, 2), (2, 3), (3, 4)):
        through = p.delta[source] @ net.weights[source]
        np.testing.assert_allclose(p.grad_a[source - 1], through + p.grad_a[end - 1],
                                   rtol=1e-13)
    np.testing.assert_allclose(p.grad_a[3], p.delta[4] @ net.weights[4], rtol=1e-13)
