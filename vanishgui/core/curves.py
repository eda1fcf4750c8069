"""The numbers behind the live plots, so the plot panels only pick entries and draw.

Everything a plot shows that is more than an entry of a recorded array comes from
here: an activation function sampled over z, the per-layer mean |∂L/∂W| of a pass and
its ratio to the output layer, the bound ∏ max f'(z) on the chain of derivatives, the
network's output over the input plane (the decision boundary) or line (a fitted curve),
and the training history as CSV. Like all of ``vanishgui.core`` it never imports Qt.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .activations import Activation
from .network import Network, Pass
from .numbers import num, superscript
from .training import History

CURVE_RANGE = (-8.0, 8.0)  # z range of the activation curves
CURVE_POINTS = 401
GRID_POINTS = 96  # decision-boundary grid, per side, at most
GRID_MIN_POINTS = 16  # ... and at least
GRID_BUDGET = 5e8  # multiply-adds one grid's prediction may take (a few tens of ms)
FIT_POINTS = 256
PLANE_MARGIN = 0.15  # fraction of the data's extent added on every side


# -- activations -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ActivationCurve:
    """f(z) and f'(z) sampled over z."""

    activation: Activation
    z: np.ndarray
    value: np.ndarray
    derivative: np.ndarray


def activation_curve(
    activation: Activation,
    alpha: float | None = None,
    z_range: tuple[float, float] = CURVE_RANGE,
    points: int = CURVE_POINTS,
) -> ActivationCurve:
    """The activation and its derivative over ``z_range`` (PReLU takes its slope ``alpha``)."""
    z = np.linspace(z_range[0], z_range[1], points)
    with np.errstate(all="ignore"):
        value = activation.forward(z, alpha)
        derivative = activation.derivative(z, value, alpha)
    return ActivationCurve(activation, z, np.asarray(value, dtype=np.float64),
                           np.asarray(derivative, dtype=np.float64))


@dataclass(frozen=True)
class DerivativeBound:
    """How large the chain of activation derivatives can be.

    ``per_layer[l]`` is max f'(z) of layer l+1 (None when unbounded); ``reaching[l]`` is
    the product of the maxima of layers l+1 … L, the most the derivatives can pass on to
    layer l+1's gradient (None when a factor is unbounded). ``common`` is the maximum
    every layer shares, when they all share one (0.25 for an all-sigmoid network), so
    that ``reaching[0] == common ** depth``.
    """

    per_layer: tuple[float | None, ...]
    reaching: tuple[float | None, ...]
    common: float | None

    @property
    def depth(self) -> int:
        return len(self.per_layer)

    @property
    def product(self) -> float | None:
        """∏ max f'(z) over every layer: the bound on the derivatives reaching layer 1."""
        return self.reaching[0] if self.reaching else None


def derivative_bound(activations: tuple[Activation, ...] | list[Activation]) -> DerivativeBound:
    per_layer = tuple(a.max_derivative for a in activations)
    reaching: list[float | None] = [None] * len(per_layer)
    running: float | None = 1.0
    for i in range(len(per_layer) - 1, -1, -1):
        m = per_layer[i]
        running = None if running is None or m is None else running * m
        reaching[i] = running
    distinct = set(per_layer)
    common = per_layer[0] if len(distinct) == 1 and per_layer[0] is not None else None
    return DerivativeBound(per_layer, tuple(reaching), common)


def bound_sentence(activations: tuple[Activation, ...] | list[Activation]) -> str:
    """What the activation derivatives alone allow layer 1's gradient, compared with the
    output layer's: one f'(z) factor per hidden layer (the depth table's L and 0.25ᴸ).

    It says what the bound bounds: the derivatives alone, with each layer's weight
    multiplying on top (issue 12: the panel had said "3 derivatives, ≤ 0.25³" for the
    classic net, counting the output's σ', which layer 1 and the output layer share)."""
    hidden = list(activations[:-1])
    if not hidden:
        return "No hidden layer: the output layer's gradient is the only one."
    b = derivative_bound(hidden)
    n = len(hidden)
    count = (f"Layer 1's gradient has {n} more f'(z) factor{'s' * (n != 1)} than the output "
             f"layer's (one per hidden layer)")
    if b.product is None:
        return f"{count}; some have no upper bound, so their product has no fixed limit."
    if b.common is not None:
        power = f"{num(b.common)}{superscript(n)} = " if n > 1 else ""
        return (f"{count}, each ≤ {num(b.common)}: their product is ≤ {power}"
                f"{num(b.product)}. Weights multiply on top.")
    return (f"{count}: their product is ≤ ∏ max f'(z) = {num(b.product)}. "
            "Weights multiply on top.")


# -- gradients ---------------------------------------------------------------------------


def layer_grad_mean_abs(p: Pass) -> np.ndarray:
    """Mean |∂L/∂W| of every layer of a pass, first layer first (the History's figure)."""
    with np.errstate(all="ignore"):
        return np.array([np.abs(g).mean() for g in p.grad_weights], dtype=np.float64)


def ratios_to_output(values: np.ndarray) -> NDArray[np.float64]:
    """Each layer's value over the output layer's (the last); NaN where undefined."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v.copy()
    out = float(v[-1])
    if out == 0 or not math.isfinite(out):
        return np.full(v.shape, np.nan)
    with np.errstate(all="ignore"):
        r = v / out
    r[~np.isfinite(r)] = np.nan
    return r


@dataclass(frozen=True)
class SpecialCounts:
    """How many entries are exactly zero, and how many are inf or NaN."""

    zeros: int
    nonfinite: int


def special_counts(values: np.ndarray) -> SpecialCounts:
    v = np.asarray(values, dtype=np.float64)
    return SpecialCounts(int(np.count_nonzero(v == 0)), int(np.count_nonzero(~np.isfinite(v))))


# -- the network's output over its inputs --------------------------------------------------


def plane_extent(
    inputs: np.ndarray, margin: float = PLANE_MARGIN
) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around the finite 2-D inputs, with a margin; (−1, 1, −1, 1) if none."""
    return (*_span(inputs[:, 0], margin), *_span(inputs[:, 1], margin))


PLANE_LIMIT = 1e300  # |x| of a plotted extent: its width and a view's padding stay finite


def _span(values: np.ndarray, margin: float) -> tuple[float, float]:
    """(lo, hi) around the finite values with a margin on each side. Values beyond
    ±PLANE_LIMIT count as at it, so the width cannot overflow (±1e308 did: "[-inf, inf]")."""
    v = np.asarray(values, dtype=np.float64)
    v = np.clip(v[np.isfinite(v)], -PLANE_LIMIT, PLANE_LIMIT)
    if v.size == 0:
        return -1.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    width = hi - lo
    if width <= 0:
        width = max(1.0, abs(lo))
        return max(-PLANE_LIMIT, lo - width / 2), min(PLANE_LIMIT, hi + width / 2)
    return max(-PLANE_LIMIT, lo - margin * width), min(PLANE_LIMIT, hi + margin * width)


@dataclass(frozen=True, eq=False)
class OutputGrid:
    """The network's first output over a grid of the input plane.

    ``values[j, i]`` is the output at (xs[i], ys[j]) (rows are y). ``extent`` is the
    rectangle the grid's cells cover, (x0, x1, y0, y1).
    """

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray
    extent: tuple[float, float, float, float]


def grid_points(network: Network, budget: float = GRID_BUDGET) -> int:
    """Grid points per side for a network: GRID_POINTS, fewer for a network so large that
    predicting the whole grid would cost more than ``budget`` multiply-adds."""
    per_sample = sum(a * b for a, b in zip(network.layers, network.layers[1:]))
    n = math.isqrt(int(budget // max(per_sample, 1)))
    return max(GRID_MIN_POINTS, min(GRID_POINTS, n))


def output_grid(
    network: Network,
    extent: tuple[float, float, float, float],
    points: int | None = None,
) -> OutputGrid:
    """Predict at the centres of a points × points grid of cells covering ``extent``
    (``points`` defaults to :func:`grid_points` of the network)."""
    if points is None:
        points = grid_points(network)
    x0, x1, y0, y1 = extent
    dx = (x1 - x0) / points
    dy = (y1 - y0) / points
    xs = x0 + dx * (np.arange(points) + 0.5)
    ys = y0 + dy * (np.arange(points) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    out = network.predict(np.column_stack([gx.ravel(), gy.ravel()]))
    return OutputGrid(xs, ys, np.asarray(out[:, 0], dtype=np.float64).reshape(points, points),
                      extent)


def fitted_curve(
    network: Network, inputs: np.ndarray, points: int = FIT_POINTS,
    margin: float = PLANE_MARGIN,
) -> tuple[np.ndarray, np.ndarray]:
    """(x, ŷ) of a 1-input network over the inputs' range with a margin (first output)."""
    lo, hi = _span(inputs[:, 0], margin)
    x = np.linspace(lo, hi, points)
    out = network.predict(x[:, None])
    return x, np.asarray(out[:, 0], dtype=np.float64)


# -- the history as a table --------------------------------------------------------------


def history_columns(history: History) -> list[tuple[str, np.ndarray]]:
    """(name, column) for every recorded figure: step, loss, accuracy, then per layer."""
    cols: list[tuple[str, np.ndarray]] = [
        ("step", history.steps),
        ("loss", history.loss),
        ("accuracy", history.accuracy),
    ]
    for name in History.PER_LAYER:
        block = history.layer(name)
        for layer in range(history.depth):
            cols.append((f"{name}_layer{layer + 1}", block[:, layer]))
    return cols


def history_csv(history: History) -> str:
    """The history as CSV: a header row, then one row per recorded step.

    Floats are written with ``repr`` (they read back exactly); inf and NaN as ``inf``,
    ``-inf`` and ``nan``, which most spreadsheet and numpy readers understand.
    """
    cols = history_columns(history)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(name for name, _ in cols)
    for row in zip(*(c.tolist() for _, c in cols)):
        writer.writerow(repr(v) if isinstance(v, float) else str(v) for v in row)
    return out.getvalue()
