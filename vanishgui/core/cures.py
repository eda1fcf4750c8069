"""The other cures for vanishing gradients: residual blocks and normalisation.

Residual blocks (``network.residual = {"every": k}``): hidden layers are numbered 1…H and
layer 1 is the stem. Layers 2…H form consecutive blocks of k layers, [2…k+1], [k+2…2k+1],
…; a trailing group of fewer than k layers is not a block. The last layer e of a block
[s…e] passes on a_e = f_e(ẑ_e) + a_{s−1}. The output layer never has a skip.

Normalisation (``network.norm``) of every hidden layer's linear output z:
ẑ = γ ⊙ (z − μ)/√(σ² + 1e−5) + β, with μ and σ² (biased) per unit over the batch
(``"batch"``, ``torch.nn.BatchNorm1d`` in training mode) or per sample over the layer's
units (``"layer"``, ``torch.nn.LayerNorm(width)``).

:func:`cured_pass` is the forward and backward pass through them that
:func:`~.network.run_pass` records when a network has either; :func:`forward` the forward
pass alone (prediction, and batch norm's statistics of the training set).

numpy only, like all of ``vanishgui.core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from . import losses

if TYPE_CHECKING:
    from .activations import Activation


class Network(Protocol):
    """What the cures read of a :class:`~.network.Network` (network imports this module,
    so it is described here rather than imported: no import loop)."""

    @property
    def weights(self) -> tuple[np.ndarray, ...]: ...
    @property
    def biases(self) -> tuple[np.ndarray, ...]: ...
    @property
    def alphas(self) -> tuple[float | None, ...]: ...
    @property
    def activations(self) -> tuple[Activation, ...]: ...
    @property
    def norm(self) -> str: ...
    @property
    def gammas(self) -> tuple[np.ndarray, ...]: ...
    @property
    def betas(self) -> tuple[np.ndarray, ...]: ...
    @property
    def skip_from(self) -> tuple[int | None, ...]: ...
    @property
    def depth(self) -> int: ...

NORMS = ("none", "batch", "layer")
NORM_EPS = 1e-5  # torch's default eps for both BatchNorm1d and LayerNorm
MAX_EVERY = 63  # a block is at most the 63 hidden layers past the stem


def skip_sources(depth: int, every: int | None) -> tuple[int | None, ...]:
    """Per weight layer (0-based list, layer 1 first): the hidden layer (1-based) whose
    activation is added to this layer's output, or None."""
    sources: list[int | None] = [None] * depth
    if every is None:
        return tuple(sources)
    hidden = depth - 1
    start = 2
    while start + every - 1 <= hidden:
        end = start + every - 1
        sources[end - 1] = start - 1
        start = end + 1
    return tuple(sources)


def block_widths_problem(layers: tuple[int, ...], every: int) -> tuple[int, int] | None:
    """The first block (its source layer s−1 and its end e, 1-based hidden layers) whose
    layers from s−1 to e do not all have the same width; None if every block is fine."""
    for end, source in enumerate(skip_sources(len(layers) - 1, every), start=1):
        if source is not None and len(set(layers[source:end + 1])) > 1:
            return source, end
    return None


class Normalised(NamedTuple):
    """One hidden layer's normalisation in a pass: ẑ and what its backward pass needs.
    (A NamedTuple: made once per layer and step, it costs a third of a frozen dataclass.)"""

    z_hat: np.ndarray  # γ ⊙ x̂ + β
    centred: np.ndarray  # z − μ
    mean: np.ndarray  # μ: (width,) for batch norm, (B, 1) for layer norm
    var: np.ndarray  # σ², biased, shaped as μ
    inv_std: np.ndarray  # 1/√(σ² + eps), shaped as μ

    @property
    def x_hat(self) -> np.ndarray:
        """(z − μ)/√(σ² + eps)."""
        x_hat: np.ndarray = self.centred * self.inv_std
        return x_hat


def statistics(z: np.ndarray, norm: str) -> tuple[np.ndarray, np.ndarray]:
    """μ and the biased σ² of z: per unit over the batch ("batch", shape (width,)) or per
    sample over the units ("layer", shape (B, 1))."""
    mean, var, _ = _moments(z, norm)
    return mean, var


def _moments(z: np.ndarray, norm: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """μ, σ² and z − μ. The batch's sums are ones · z (a BLAS product, three times as
    fast here as np.add.reduce over axis 0; the order of the additions differs, by
    rounding)."""
    if norm == "batch":
        count = z.shape[0]
        ones = _ones(count)
        mean = (ones @ z) / count
        centred = z - mean
        return mean, (ones @ (centred * centred)) / count, centred
    count = z.shape[1]
    mean = _add_reduce(z, 1, keepdims=True) / count
    centred = z - mean
    return mean, _add_reduce(centred * centred, 1, keepdims=True) / count, centred


def normalise(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, norm: str,
              stats: tuple[np.ndarray, np.ndarray] | None = None) -> Normalised:
    """ẑ of a layer's linear output z (B, width); ``stats`` (μ, σ²) from elsewhere (the
    whole training set, outside a training step), else z's own."""
    if stats is None:
        mean, var, centred = _moments(z, norm)
    else:
        mean, var = stats
        centred = z - mean
    inv_std = 1.0 / np.sqrt(var + NORM_EPS)
    if norm == "batch":  # γ/√(σ² + eps) is one vector: one product over (B, width), not two
        z_hat = centred * (inv_std * gamma)
    else:
        z_hat = (centred * inv_std) * gamma
    z_hat += beta
    return Normalised(z_hat, centred, mean, var, inv_std)


def normalise_backward(
    grad_z_hat: np.ndarray, n: Normalised, gamma: np.ndarray, norm: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂z, ∂L/∂γ, ∂L/∂β) from ∂L/∂ẑ, the statistics being those of the batch (or the
    sample): ∂L/∂z = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + eps) with g = γ ⊙ ∂L/∂ẑ, the
    means over what μ was taken over."""
    if norm == "batch":
        # Everything per unit is a vector: the means are ∂L/∂β·γ/B and ∂L/∂γ·γ/B, and
        # x̂ = (z − μ)·(1/√(σ² + eps)) is never formed over (B, width).
        count = grad_z_hat.shape[0]
        ones = _ones(count)
        inv_std = n.inv_std
        grad_gamma = (ones @ (grad_z_hat * n.centred)) * inv_std
        grad_beta = ones @ grad_z_hat
        scale = gamma * inv_std
        delta = grad_z_hat * scale
        delta -= n.centred * (grad_gamma * (scale * inv_std / count))
        delta -= grad_beta * (scale / count)
        return delta, grad_gamma, grad_beta
    x_hat = n.x_hat
    gx = grad_z_hat * x_hat
    count = grad_z_hat.shape[1]
    g = grad_z_hat * gamma
    delta = g - _add_reduce(g, 1, keepdims=True) / count
    delta -= x_hat * (_add_reduce(gx * gamma, 1, keepdims=True) / count)
    delta *= n.inv_std
    return delta, _add_reduce(gx, 0), _add_reduce(grad_z_hat, 0)


_add_reduce = np.add.reduce


@lru_cache(maxsize=8)
def _ones(count: int) -> np.ndarray:
    """A vector of ``count`` ones that sums a batch's rows (shared: never written to)."""
    ones = np.ones(count)
    ones.flags.writeable = False
    return ones


# -- the pass through the cures ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Forward:
    """A forward pass with the cures: per layer z, ẑ, f(ẑ), a and the norm (or None)."""

    z: list[np.ndarray]
    z_hat: list[np.ndarray]
    f: list[np.ndarray]
    a: list[np.ndarray]
    norms: list[Normalised | None]

    @property
    def stats(self) -> tuple[tuple[np.ndarray, np.ndarray] | None, ...]:
        return tuple(None if n is None else (n.mean, n.var) for n in self.norms)


def forward(
    network: Network,
    inputs: np.ndarray,
    stats: tuple[tuple[np.ndarray, np.ndarray] | None, ...] | None,
) -> Forward:
    """The forward pass through norms and skips; the norms take ``stats`` (μ, σ² per
    layer) when given, else the statistics of what passes through them."""
    norm = network.norm
    hidden = network.depth - 1 if norm != "none" else 0
    skips = network.skip_from or (None,) * network.depth
    out = Forward([], [], [], [], [])
    a = inputs
    with np.errstate(all="ignore"):
        for i, (w, b, act, alpha) in enumerate(zip(network.weights, network.biases,
                                                   network.activations, network.alphas)):
            z = a @ w.T + b
            n: Normalised | None = None
            if i < hidden:
                n = normalise(z, network.gammas[i], network.betas[i], norm,
                              None if stats is None else stats[i])
                z_hat = n.z_hat
            else:
                z_hat = z
            f = act.forward(z_hat, alpha)
            source = skips[i]
            a = f if source is None else f + out.a[source - 1]
            out.z.append(z)
            out.z_hat.append(z_hat)
            out.f.append(f)
            out.a.append(a)
            out.norms.append(n)
    return out


class CuredPass(NamedTuple):
    """What :func:`~.network.run_pass` records, through norms and residual blocks; the
    per-layer tuples are indexed from 0 for layer 1 (see :class:`~.network.Pass`)."""

    loss: float
    z: tuple[np.ndarray, ...]
    z_hat: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    dact: tuple[np.ndarray, ...]
    grad_a: tuple[np.ndarray, ...]
    grad_z_hat: tuple[np.ndarray, ...]
    delta: tuple[np.ndarray, ...]
    grad_weights: tuple[np.ndarray, ...]
    grad_biases: tuple[np.ndarray, ...]
    grad_alphas: tuple[float | None, ...]
    grad_gammas: tuple[np.ndarray | None, ...]
    grad_betas: tuple[np.ndarray | None, ...]
    norm_mean: tuple[np.ndarray | None, ...]
    norm_var: tuple[np.ndarray | None, ...]
    skip_from: tuple[int | None, ...]


def cured_pass(network: Network, inputs: np.ndarray, targets: np.ndarray,
               loss_name: str) -> CuredPass:
    """Forward and backward pass of the averaged loss over the batch, through the norms
    (the batch's own statistics) and the skips."""
    depth = network.depth
    fwd = forward(network, inputs, None)
    norm = network.norm
    skips = network.skip_from or (None,) * depth
    # ∂L/∂a of a skip's source gains ∂L/∂a of its block's end
    skip_to = {source - 1: end for end, source in enumerate(skips) if source is not None}
    grad_as: list[np.ndarray] = [inputs] * depth  # every entry set below
    dacts = list(grad_as)
    deltas = list(grad_as)
    grad_z_hats = list(grad_as)
    gws = list(grad_as)
    gbs = list(grad_as)
    galphas: list[float | None] = [None] * depth
    ggammas: list[np.ndarray | None] = [None] * depth
    gbetas: list[np.ndarray | None] = [None] * depth
    with np.errstate(all="ignore"):
        out = fwd.a[-1]
        loss = losses.loss_value(loss_name, out, targets)
        grad = losses.loss_gradient(loss_name, out, targets)
        for i in range(depth - 1, -1, -1):
            act = network.activations[i]
            z_hat = fwd.z_hat[i]
            d = act.derivative(z_hat, fwd.f[i], network.alphas[i])
            g = grad * d  # ∂L/∂ẑ: the skip's sum passes ∂L/∂a on to f(ẑ) unchanged
            n = fwd.norms[i]
            if n is None:
                delta = g
                gbs[i] = np.add.reduce(delta, 0)
            else:
                delta, ggammas[i], gbetas[i] = normalise_backward(g, n, network.gammas[i], norm)
                # batch norm: the bias cancels in z − μ, so its gradient is exactly 0
                gbs[i] = (np.zeros_like(network.biases[i]) if norm == "batch"
                          else np.add.reduce(delta, 0))
            grad_as[i] = grad
            dacts[i] = d
            grad_z_hats[i] = g
            deltas[i] = delta
            gws[i] = delta.T @ (fwd.a[i - 1] if i else inputs)
            if act.learnable:
                galphas[i] = float(np.sum(grad * np.minimum(z_hat, 0.0)))
            if i:
                grad = delta @ network.weights[i]
                end = skip_to.get(i - 1)
                if end is not None:
                    grad = grad + grad_as[end]
    return CuredPass(
        loss=loss,
        z=tuple(fwd.z),
        z_hat=tuple(fwd.z_hat),
        a=tuple(fwd.a),
        dact=tuple(dacts),
        grad_a=tuple(grad_as),
        grad_z_hat=tuple(grad_z_hats),
        delta=tuple(deltas),
        grad_weights=tuple(gws),
        grad_biases=tuple(gbs),
        grad_alphas=tuple(galphas),
        grad_gammas=tuple(ggammas),
        grad_betas=tuple(gbetas),
        norm_mean=tuple(None if n is None else n.mean for n in fwd.norms),
        norm_var=tuple(None if n is None else n.var for n in fwd.norms),
        skip_from=tuple(skips),
    )
