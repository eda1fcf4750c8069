"""What the cures do to one step's numbers, ready for the captions, the ledger and the
waterfall: a layer's norm (μ, σ, ẑ; r = δ/∂L/∂ẑ on the way back), a residual block's skip
(a_e = f(ẑ_e) + a_{s−1}; ∂L/∂a_{s−1} = W_sᵀδ_s + ∂L/∂a_e), and ∂L/∂a of a unit split by
the path it came along. Taken from a recorded :class:`~vanishgui.core.network.Pass`; layers
are 1-based and ``sample`` picks the row of the batch a view is showing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cures import NORM_EPS
from .network import Pass

MAX_UNITS = 8  # units of a layer spelled out; the rest are counted


@dataclass(frozen=True)
class GradientPaths:
    """∂L/∂a_j of one unit and sample split by the way it came, then on to δ_j.

    ∂L/∂a_j = ``through`` (W_{j+1}ᵀδ_{j+1}, or ∂L/∂ŷ at the output) + ``skip`` (∂L/∂a_e
    of the block that layer j feeds, passed back with a factor of 1; None when layer j is
    no skip's source); ∂L/∂ẑ_j = f'(ẑ_j)·∂L/∂a_j; δ_j = r·∂L/∂ẑ_j, r being what the
    gradient through the norm does for this sample and unit (None without a norm, or
    when ∂L/∂ẑ_j is 0 and r is no ratio). Every number is the core's, as recorded."""

    layer: int
    neuron: int
    sample: int
    is_output: bool
    through: float  # W_{j+1}ᵀδ_{j+1} for this unit, or ∂L/∂ŷ
    skip_end: int | None  # e, the end of the block whose skip starts at layer j
    skip: float | None  # ∂L/∂a_e of this unit
    grad_a: float  # the core's ∂L/∂a_j
    dact: float  # f'(ẑ_j)
    dact_label: str  # "σ'", …
    dact_bound: float | None  # the largest f' can be (0.25 for σ'), None when unbounded
    grad_z_hat: float  # the core's ∂L/∂ẑ_j
    norm: str  # "none", "batch" or "layer" (this layer's)
    norm_ratio: float | None  # r = δ_j / ∂L/∂ẑ_j
    delta: float  # the core's δ_j
    a_in: float  # a_{j−1} of the weight's source


def norm_of(p: Pass, layer: int) -> str:
    """The norm of layer ``layer`` (1-based): the network's for a hidden layer, "none" for
    the output."""
    return p.network.norm if layer < p.depth else "none"


def skip_end_of(p: Pass, layer: int) -> int | None:
    """The block end e whose skip starts at layer ``layer`` (adds its a to a_e), or None."""
    for end in range(layer + 1, p.depth + 1):
        if p.skip_source(end) == layer:
            return end
    return None


def cured_on_path(p: Pass, layer: int) -> bool:
    """A norm or a skip lies between the loss and δ of layer ``layer``: the gradient is no
    plain product of f'(z)·w, one per layer."""
    if any(norm_of(p, m) != "none" for m in range(layer, p.depth + 1)):
        return True
    return any(skip_end_of(p, m) is not None for m in range(layer, p.depth + 1))


def through_next(p: Pass, layer: int, sample: int) -> np.ndarray:
    """W_{l+1}ᵀδ_{l+1} for one sample: ∂L/∂a_l through layer l+1 alone (the core's
    ∂L/∂a_l when layer l is no skip's source)."""
    if skip_end_of(p, layer) is None:
        return np.asarray(p.grad_a[layer - 1][sample])
    with np.errstate(all="ignore"):
        out: np.ndarray = p.delta[layer][sample] @ p.network.weights[layer]
    return out


def gradient_paths(p: Pass, layer: int, neuron: int, source: int,
                   sample: int = 0) -> GradientPaths:
    """∂L/∂a of W_layer[neuron, ·]'s unit split by path, and on through f' and the norm."""
    i = layer - 1
    is_output = layer == p.depth
    end = skip_end_of(p, layer)
    through = float(p.grad_a[i][sample, neuron]) if is_output else \
        float(through_next(p, layer, sample)[neuron])
    g_hat = float(p.grad_z_hat[i][sample, neuron]) if p.grad_z_hat else \
        float(p.delta[i][sample, neuron])
    delta = float(p.delta[i][sample, neuron])
    norm = norm_of(p, layer)
    ratio_ = None
    if norm != "none" and g_hat != 0.0:
        with np.errstate(all="ignore"):
            ratio_ = delta / g_hat
    return GradientPaths(
        layer=layer, neuron=neuron, sample=sample, is_output=is_output, through=through,
        skip_end=end, skip=None if end is None else float(p.grad_a[end - 1][sample, neuron]),
        grad_a=float(p.grad_a[i][sample, neuron]), dact=float(p.dact[i][sample, neuron]),
        dact_label=p.network.activations[i].info.derivative_label.replace("(z)", ""),
        dact_bound=p.network.activations[i].max_derivative,
        grad_z_hat=g_hat, norm=norm, norm_ratio=ratio_, delta=delta,
        a_in=float(p.layer_input(layer)[sample, source]))


NORM_NAMES = {"batch": "batch norm", "layer": "layer norm"}


def activation_values(p: Pass, layer: int) -> np.ndarray:
    """f(ẑ) of layer ``layer`` (1-based), every sample: what its activation gives before
    a skip adds anything (the layer's a itself when it ends no block). The core's own
    forward function on the recorded ẑ, so the same numbers as the pass's."""
    if p.skip_source(layer) is None:
        return p.a[layer - 1]
    net = p.network
    with np.errstate(all="ignore"):
        out: np.ndarray = net.activations[layer - 1].forward(p.f_input(layer),
                                                           net.alphas[layer - 1])
    return out


@dataclass(frozen=True)
class NormStep:
    """A layer's normalisation for one sample: μ and σ = √σ² (per unit for batch norm,
    over the batch; for layer norm one pair, this sample's, over the units), and each
    unit's z and ẑ = γ·(z − μ)/√(σ² + 10⁻⁵) + β; at most MAX_UNITS units listed."""

    layer: int
    norm: str
    sample: int
    batch_size: int
    units: tuple[int, ...]
    mean: tuple[float, ...]  # per listed unit (batch) or one value (layer)
    std: tuple[float, ...]
    root: tuple[float, ...]  # √(σ² + 10⁻⁵), what z − μ is divided by, shaped as ``std``
    z: tuple[float, ...]
    z_hat: tuple[float, ...]
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    hidden_units: int


def norm_step(p: Pass, layer: int, sample: int = 0) -> NormStep:
    i = layer - 1
    mean, var = p.norm_mean[i], p.norm_var[i]
    if mean is None or var is None:
        raise ValueError(f"layer {layer} has no norm")
    width = p.network.layers[layer]
    units = tuple(range(min(width, MAX_UNITS)))
    if p.network.norm == "batch":
        mu = tuple(float(mean[u]) for u in units)
        v = tuple(float(var[u]) for u in units)
    else:
        mu = (float(mean[sample, 0]),)
        v = (float(var[sample, 0]),)
    sd = tuple(math.sqrt(x) for x in v)
    root = tuple(math.sqrt(x + NORM_EPS) for x in v)
    return NormStep(
        layer=layer, norm=p.network.norm, sample=sample, batch_size=len(p.inputs),
        units=units, mean=mu, std=sd, root=root,
        z=tuple(float(p.z[i][sample, u]) for u in units),
        z_hat=tuple(float(p.f_input(layer)[sample, u]) for u in units),
        gamma=tuple(float(p.network.gammas[i][u]) for u in units),
        beta=tuple(float(p.network.betas[i][u]) for u in units),
        hidden_units=width - len(units))


@dataclass(frozen=True)
class SkipStep:
    """A block's end adding its source's activation, for one sample: a_e = f(ẑ_e) +
    a_{s−1}, unit by unit (at most MAX_UNITS listed); on the way back, ∂L/∂a_{s−1} =
    W_sᵀδ_s + ∂L/∂a_e, the skip passing ∂L/∂a_e back with a factor of 1."""

    end: int
    source: int
    sample: int
    units: tuple[int, ...]
    f: tuple[float, ...]  # f(ẑ_e)
    added: tuple[float, ...]  # a_{s−1}
    a: tuple[float, ...]  # the core's a_e
    through: tuple[float, ...]  # W_sᵀδ_s (s = source + 1)
    grad_end: tuple[float, ...]  # ∂L/∂a_e
    grad_source: tuple[float, ...]  # the core's ∂L/∂a_{s−1}
    hidden_units: int


def skip_step(p: Pass, end: int, sample: int = 0) -> SkipStep:
    source = p.skip_source(end)
    if source is None:
        raise ValueError(f"layer {end} ends no residual block")
    width = p.network.layers[end]
    units = tuple(range(min(width, MAX_UNITS)))
    f = activation_values(p, end)[sample]
    through = through_next(p, source, sample)

    def pick(v: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v[u]) for u in units)

    return SkipStep(
        end=end, source=source, sample=sample, units=units, f=pick(f),
        added=pick(p.a[source - 1][sample]), a=pick(p.a[end - 1][sample]),
        through=pick(through), grad_end=pick(p.grad_a[end - 1][sample]),
        grad_source=pick(p.grad_a[source - 1][sample]), hidden_units=width - len(units))


@dataclass(frozen=True)
class NormBackStep:
    """The gradient through a layer's norm for one sample: each unit's ∂L/∂ẑ, δ = ∂L/∂z
    and r = δ/∂L/∂ẑ (None where ∂L/∂ẑ is 0); at most MAX_UNITS units listed."""

    layer: int
    norm: str
    sample: int
    units: tuple[int, ...]
    grad_z_hat: tuple[float, ...]
    delta: tuple[float, ...]
    ratio: tuple[float | None, ...]
    hidden_units: int


def norm_back_step(p: Pass, layer: int, sample: int = 0) -> NormBackStep:
    i = layer - 1
    if norm_of(p, layer) == "none":
        raise ValueError(f"layer {layer} has no norm")
    width = p.network.layers[layer]
    units = tuple(range(min(width, MAX_UNITS)))
    g = tuple(float(p.grad_z_hat[i][sample, u]) for u in units)
    d = tuple(float(p.delta[i][sample, u]) for u in units)
    return NormBackStep(
        layer=layer, norm=p.network.norm, sample=sample, units=units, grad_z_hat=g, delta=d,
        ratio=tuple(None if gv == 0.0 else dv / gv for gv, dv in zip(g, d)),
        hidden_units=width - len(units))


