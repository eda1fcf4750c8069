"""Colours of the diagram: colour-blind-safe, and the same in every view.

Weights use the Okabe–Ito blue (positive) and vermillion (negative). |δ| uses viridis on
a log scale from 1e-12 to 1: dark purple is a gradient that has all but vanished,
yellow a healthy one. Exactly 0 and non-finite values have colours of their own.
"""

from __future__ import annotations

import math

import numpy as np
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

# viridis, 9 anchors (matplotlib's), interpolated linearly
_VIRIDIS = np.array([
    [0.267004, 0.004874, 0.329415], [0.282623, 0.140926, 0.457517],
    [0.253935, 0.265254, 0.529983], [0.206756, 0.371758, 0.553117],
    [0.163625, 0.471133, 0.558148], [0.127568, 0.566949, 0.550556],
    [0.134692, 0.658636, 0.517649], [0.266941, 0.748751, 0.440573],
    [0.477504, 0.821444, 0.318195], [0.741388, 0.873449, 0.149561],
    [0.993248, 0.906157, 0.143936],
])


def viridis(t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    x = t * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    f = x - i
    r, g, b = _VIRIDIS[i] * (1 - f) + _VIRIDIS[i + 1] * f
    return QColor.fromRgbF(float(r), float(g), float(b))


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
