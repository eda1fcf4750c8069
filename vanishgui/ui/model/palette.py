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


def viridis(t: float) -> QColor:
    """The viridis colour at ``t`` (clipped to 0..1)."""
    return QColor(VIRIDIS.map(min(1.0, max(0.0, t)), mode="qcolor"))


def delta_position(value: float) -> float:
    """Where |value| sits on the |δ| scale, 0 (1e-12 or less) to 1 (1 or more)."""
    lo, hi = DELTA_DECADES
    mag = abs(value)
    if mag == 0 or not math.isfinite(mag):
        return 0.0
    return min(1.0, max(0.0, (math.log10(mag) - lo) / (hi - lo)))


def delta_color(value: float) -> QColor:
    if not math.isfinite(value):
        return QColor(NONFINITE)
    if value == 0:
        return QColor(ZERO)
    return viridis(delta_position(value))


def activation_color(a: float) -> QColor:
    """A light-to-dark grey-blue shade for an activation value (squashed to 0..1)."""
    if not math.isfinite(a):
        return QColor(NONFINITE)
    t = 0.5 + 0.5 * math.tanh(a) if not 0.0 <= a <= 1.0 else a
    light = np.array([0.96, 0.97, 0.98])
    dark = np.array([0.30, 0.36, 0.45])
    r, g, b = light * (1 - t) + dark * t
    return QColor.fromRgbF(float(r), float(g), float(b))


def readable_text_on(color: QColor) -> QColor:
    return QColor("#000000") if color.lightnessF() > 0.55 else QColor("#ffffff")


def mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(
        a.redF() * (1 - t) + b.redF() * t,
        a.greenF() * (1 - t) + b.greenF() * t,
        a.blueF() * (1 - t) + b.blueF() * t,
    )
