"""Colours of the diagram: colour-blind-safe, and the same in every view.

Weights use the Okabe–Ito blue (positive) and vermillion (negative). |δ| uses viridis on
a log scale from 1e-12 to 1: dark purple is a gradient that has all but vanished,
yellow a healthy one. Exactly 0 and non-finite values have colours of their own.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

POSITIVE = QColor("#0072B2")  # Okabe–Ito blue
NEGATIVE = QColor("#D55E00")  # Okabe–Ito vermillion
HIGHLIGHT = QColor("#E69F00")  # Okabe–Ito orange: the edges of the current event
BACKWARD = QColor("#CC79A7")  # Okabe–Ito reddish purple: δ travelling back
ZERO = QColor("#000000")  # a gradient that underflowed to exactly 0
NONFINITE = QColor("#FF00FF")  # inf or NaN
PENDING = QColor("#E6E6E6")  # a neuron not yet computed
OUTLINE = QColor("#333333")
TEXT = QColor("#1a1a1a")

DELTA_DECADES = (-12, 0)  # log10 range of the |δ| colour scale

VIRIDIS = pg.colormap.get("viridis")  # matplotlib's, as pyqtgraph ships it


LEVELS = 1024  # colour steps along each scale: finer than any screen can show


def _viridis_table() -> list[QColor]:
    rgba = VIRIDIS.map(np.linspace(0.0, 1.0, LEVELS), mode="byte")
    return [QColor(int(r), int(g), int(b)) for r, g, b, _a in rgba]


def _activation_table() -> list[QColor]:
    t = np.linspace(0.0, 1.0, LEVELS)[:, None]
    light = np.array([0.96, 0.97, 0.98])
    dark = np.array([0.30, 0.36, 0.45])
    return [QColor.fromRgbF(float(r), float(g), float(b))
            for r, g, b in light * (1 - t) + dark * t]


_VIRIDIS_TABLE = _viridis_table()
_ACTIVATION_TABLE = _activation_table()


def _levels(t: np.ndarray) -> np.ndarray:
    levels: np.ndarray = np.rint(np.clip(t, 0.0, 1.0) * (LEVELS - 1)).astype(np.intp)
    return levels


def viridis(t: float) -> QColor:
    """The viridis colour at ``t`` (clipped to 0..1)."""
    return QColor(_VIRIDIS_TABLE[int(_levels(np.asarray(t, dtype=float)))])


def delta_positions(values: np.ndarray) -> np.ndarray:
    """Where each |value| sits on the |δ| scale, 0 (1e-12 or less) to 1 (1 or more); 0 for
    zero or non-finite values."""
    lo, hi = DELTA_DECADES
    mag = np.abs(np.asarray(values, dtype=float))
    ok = np.isfinite(mag) & (mag > 0)
    with np.errstate(all="ignore"):
        t = (np.log10(np.where(ok, mag, 1.0)) - lo) / (hi - lo)
    return np.where(ok, np.clip(t, 0.0, 1.0), 0.0)


def delta_colors(values: np.ndarray) -> list[QColor]:
    """The |δ| colour of every value; the same as :func:`delta_color` one by one. The
    colours are shared: copy one before changing it."""
    v = np.asarray(values, dtype=float).ravel()
    idx = _levels(delta_positions(v))
    out = [_VIRIDIS_TABLE[i] for i in idx.tolist()]
    for j in np.flatnonzero(~np.isfinite(v) | (v == 0)).tolist():
        out[j] = NONFINITE if not math.isfinite(v[j]) else ZERO
    return out


def delta_color(value: float) -> QColor:
    return QColor(delta_colors(np.asarray([value], dtype=float))[0])


def activation_colors(values: np.ndarray) -> list[QColor]:
    """A light-to-dark grey-blue shade for every activation value: values in 0..1 as they
    are, others squashed into 0..1 by 0.5 + 0.5·tanh. Shared colours, as above."""
    a = np.asarray(values, dtype=float).ravel()
    finite = np.isfinite(a)
    inside = (a >= 0.0) & (a <= 1.0)
    with np.errstate(all="ignore"):
        t = np.where(inside, a, 0.5 + 0.5 * np.tanh(np.where(finite, a, 0.0)))
    out = [_ACTIVATION_TABLE[i] for i in _levels(t).tolist()]
    for j in np.flatnonzero(~finite).tolist():
        out[j] = NONFINITE
    return out


def activation_color(a: float) -> QColor:
    return QColor(activation_colors(np.asarray([a], dtype=float))[0])


def readable_text_on(color: QColor) -> QColor:
    return QColor("#000000") if color.lightnessF() > 0.55 else QColor("#ffffff")


def mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(
        a.redF() * (1 - t) + b.redF() * t,
        a.greenF() * (1 - t) + b.greenF() * t,
        a.blueF() * (1 - t) + b.blueF() * t,
    )
