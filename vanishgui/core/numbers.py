"""How numbers are written for people, on screen and in reports: 3 significant figures, a
real minus sign, sub- and superscript digits. Formatting only: it makes no new numbers.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPER = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def subscript(n: int) -> str:
    """w₁₂ for w12: the index of a weight or layer."""
    return str(n).translate(_SUB)


def superscript(n: int) -> str:
    """0.25³, 10⁻⁶: a power."""
    return str(n).translate(_SUPER)


def num(x: float | None, digits: int = 3) -> str:
    """0.263, −1.10e−2, 0, inf, NaN."""
    if x is None:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    if x == 0:
        return "0"
    mag = abs(x)
    if 1e-3 <= mag < 1e4:
        text = f"{x:.{digits}g}"
        if "e" in text:  # .3g switches to e-notation at 1000 and up
            text = f"{x:.0f}"
    else:
        mant, exp = f"{x:.{digits - 1}e}".split("e")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", MINUS)


def ratio(x: float | None) -> str:
    """A fraction for a person: '1/4096' for small ratios, '0.54' near 1."""
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 0.5:
        return f"{x:.2g}"
    inv = 1 / abs(x)
    sign = MINUS if x < 0 else ""
    if inv < 1e4:
        return f"{sign}1/{inv:,.0f}"
    return f"{sign}1/{num(inv, 2)}"  # '1/6.8e5': short enough to sit over a narrow bar
