"""Colours: one meaning per colour in every view, each with a legend (issue 11).

|δ| of a neuron goes from pale salmon (1e-12 or less: the gradient has all but vanished)
to dark red (1 or more) on a log scale: the colour fades as the gradient does. Viridis is
kept for one thing only: a layer's depth in the plots. Weights are sky blue (positive)
and brown (negative); activations light to dark grey; the current event orange, δ on
its way back reddish purple, the selection violet; exactly 0 black, inf/NaN magenta, a
neuron not yet computed white. :data:`MEANINGS` lists the diagram's, and a test checks
that no two meanings of a view lie within ΔE2000 10 of each other (maps compared at 64
samples), with :func:`delta_e2000`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

POSITIVE = QColor("#56B4E9")  # a positive weight (Okabe–Ito sky blue)
NEGATIVE = QColor("#8C510A")  # a negative weight (brown)
HIGHLIGHT = QColor("#E69F00")  # Okabe–Ito orange: the edges and neuron of the current event
BACKWARD = QColor("#CC79A7")  # Okabe–Ito reddish purple: δ travelling back
SELECTION = QColor("#9400D3")  # violet: the weight or neuron clicked
ZERO = QColor("#000000")  # a gradient that underflowed to exactly 0
NONFINITE = QColor("#FF00FF")  # inf or NaN
PENDING = QColor("#FFFFFF")  # a neuron not yet computed: empty
NOTICE = QColor("#FFF3B0")  # the background of the "exactly 0" notice
OUTLINE = QColor("#333333")
TEXT = QColor("#1a1a1a")
# The chain-rule waterfall's two kinds of factor (≥ ΔE2000 16 from every other meaning of
# the main window, and 39 apart, lighter and darker for a reader without red-green):
SIGMA_PART = QColor("#A88058")  # tan: a σ'(z) part, the slope of an activation
WEIGHT_PART = QColor("#005848")  # dark teal: a weight part

DELTA_DECADES = (-12, 0)  # log10 range of the |δ| colour scale
# |δ| from 1e-12 (pale) to 1 (dark red): ColorBrewer's Reds from its fourth class on
DELTA_STOPS = ("#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d")
ACTIVATION_STOPS = ("#c6c6c6", "#3a3a3a")  # an activation of 0 (light) to 1 (dark)

VIRIDIS = pg.colormap.get("viridis")  # matplotlib's, as pyqtgraph ships it: layer depth


LEVELS = 1024  # colour steps along each scale: finer than any screen can show


def ramp(stops: tuple[str, ...], t: np.ndarray) -> np.ndarray:
    """RGB (0–255) at positions ``t`` in 0..1 along evenly spaced colour stops."""
    rgb = np.array([[QColor(c).red(), QColor(c).green(), QColor(c).blue()] for c in stops],
                   dtype=float)
    x = np.clip(np.asarray(t, dtype=float), 0.0, 1.0) * (len(stops) - 1)
    i = np.minimum(x.astype(int), len(stops) - 2)
    f = (x - i)[..., None]
    out: np.ndarray = rgb[i] * (1 - f) + rgb[i + 1] * f
    return out


def _table(stops: tuple[str, ...]) -> list[QColor]:
    rgb = np.rint(ramp(stops, np.linspace(0.0, 1.0, LEVELS))).astype(int)
    return [QColor(int(r), int(g), int(b)) for r, g, b in rgb]


def _viridis_table() -> list[QColor]:
    rgba = VIRIDIS.map(np.linspace(0.0, 1.0, LEVELS), mode="byte")
    return [QColor(int(r), int(g), int(b)) for r, g, b, _a in rgba]


_VIRIDIS_TABLE = _viridis_table()
_DELTA_TABLE = _table(DELTA_STOPS)
_ACTIVATION_TABLE = _table(ACTIVATION_STOPS)


def _levels(t: np.ndarray) -> np.ndarray:
    levels: np.ndarray = np.rint(np.clip(t, 0.0, 1.0) * (LEVELS - 1)).astype(np.intp)
    return levels


def viridis(t: float) -> QColor:
    """The viridis colour at ``t`` (clipped to 0..1): a layer's depth in the plots."""
    return QColor(_VIRIDIS_TABLE[int(_levels(np.asarray(t, dtype=float)))])


def delta_scale(t: float) -> QColor:
    """The |δ| colour at ``t`` along its scale (0: 1e-12 or less, 1: 1 or more)."""
    return QColor(_DELTA_TABLE[int(_levels(np.asarray(t, dtype=float)))])


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
    out = [_DELTA_TABLE[i] for i in idx.tolist()]
    for j in np.flatnonzero(~np.isfinite(v) | (v == 0)).tolist():
        out[j] = NONFINITE if not math.isfinite(v[j]) else ZERO
    return out


def delta_color(value: float) -> QColor:
    return QColor(delta_colors(np.asarray([value], dtype=float))[0])


def activation_colors(values: np.ndarray) -> list[QColor]:
    """A light-to-dark grey for every activation value: values in 0..1 as they
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


# -- the rule: one meaning per colour ------------------------------------------------------

SAMPLES = 64  # a colour map is compared at this many evenly spaced colours


def rgb(color: QColor) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def map_samples(stops: tuple[str, ...]) -> list[tuple[int, int, int]]:
    rgb_ = np.rint(ramp(stops, np.linspace(0.0, 1.0, SAMPLES))).astype(int)
    return [(int(r), int(g), int(b)) for r, g, b in rgb_]


def depth_samples(end: float) -> list[tuple[int, int, int]]:
    """Viridis from 0 to ``end`` (the plots stop before its palest yellow)."""
    rgba = VIRIDIS.map(np.linspace(0.0, end, SAMPLES), mode="byte")
    return [(int(r), int(g), int(b)) for r, g, b, _a in rgba]


# What each colour of the diagram means, as its legend says it (maps: their samples)
MEANINGS: dict[str, list[tuple[int, int, int]]] = {
    "|δ| of a neuron": map_samples(DELTA_STOPS),
    "activation": map_samples(ACTIVATION_STOPS),
    "exactly 0": [rgb(ZERO)],
    "inf / NaN": [rgb(NONFINITE)],
    "not yet computed": [rgb(PENDING)],
    "positive weight": [rgb(POSITIVE)],
    "negative weight": [rgb(NEGATIVE)],
    "this event": [rgb(HIGHLIGHT)],
    "δ going back": [rgb(BACKWARD)],
    "selected": [rgb(SELECTION)],
    "the diagnosis strip": [rgb(NOTICE)],
}


def srgb_to_lab(colors: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours given as 0–255 triples (shape (..., 3))."""
    c = np.asarray(colors, dtype=float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ m.T / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(xyz > d ** 3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    lab: np.ndarray = np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                                200 * (f[..., 1] - f[..., 2])], axis=-1)
    return lab


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005), broadcasting."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=float), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=float), -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    hs = h1p + h2p
    h_bar = np.where(c1p * c2p == 0, hs, np.where(np.abs(h1p - h2p) <= 180, hs / 2,
                                                  np.where(hs < 360, (hs + 360) / 2,
                                                           (hs - 360) / 2)))
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    sc, sh = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * theta)) * rc
    out: np.ndarray = np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2
                              + rt * (dc / sc) * (dhh / sh))
    return out


def closest_meanings(meanings: dict[str, list[tuple[int, int, int]]]
                     ) -> list[tuple[float, str, str]]:
    """Every pair of meanings with the smallest ΔE2000 between any of their colours,
    closest first."""
    labs = {name: srgb_to_lab(np.array(colors)) for name, colors in meanings.items()}
    names = list(labs)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d = delta_e2000(labs[a][:, None, :], labs[b][None, :, :])
            out.append((float(d.min()), a, b))
    return sorted(out)


def readable_text_on(color: QColor) -> QColor:
    return QColor("#000000") if color.lightnessF() > 0.55 else QColor("#ffffff")


def mix(a: QColor, b: QColor, t: float) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(
        a.redF() * (1 - t) + b.redF() * t,
        a.greenF() * (1 - t) + b.greenF() * t,
        a.blueF() * (1 - t) + b.blueF() * t,
    )
