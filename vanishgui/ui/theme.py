"""Themes: QSS files in resources/themes whose colours are named once at the top.

A theme file starts with declarations such as ``@ink: #1a1a1a;`` and uses ``@ink`` below.
Font sizes are not written in the files: they use ``@base_pt``, ``@title_pt`` and
``@formula_pt``, which :func:`apply_theme` computes from the zoom, so one zoom setting
scales every widget (the projector's zoom ladder).
"""

from __future__ import annotations

import re

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from . import resources

BASE_POINT_SIZE = 11.0
THEMES = {"light": "Light", "projector-light": "High contrast, light",
          "projector-dark": "High contrast, dark"}
ZOOM_LADDER = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0)

_DECLARATION = re.compile(r"^\s*@([a-z_]+)\s*:\s*([^;]+);\s*$", re.M)


def load_qss(name: str, zoom: float = 1.0) -> str:
    """The theme's stylesheet with its named colours and the zoomed sizes filled in."""
    text = resources.text("themes", f"{name}.qss")
    names = {m.group(1): m.group(2).strip() for m in _DECLARATION.finditer(text)}
    names.update({
        "base_pt": f"{BASE_POINT_SIZE * zoom:.1f}pt",
        "title_pt": f"{BASE_POINT_SIZE * zoom * 1.35:.1f}pt",
        "formula_pt": f"{BASE_POINT_SIZE * zoom * 1.2:.1f}pt",
    })
    body = _DECLARATION.sub("", text)
    for key in sorted(names, key=len, reverse=True):  # @ink_soft before @ink
        body = body.replace(f"@{key}", names[key])
    leftover = re.search(r"@[a-z_]+", body)
    if leftover:
        raise ValueError(f"theme {name}: {leftover.group(0)} is used but never named")
    return body


def apply_theme(app: QApplication, name: str = "light", zoom: float = 1.0) -> None:
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE * zoom)
    app.setFont(font)
    app.setStyleSheet(load_qss(name, zoom))


def next_zoom(zoom: float, direction: int) -> float:
    """The next rung of the zoom ladder up (+1) or down (−1)."""
    rungs = list(ZOOM_LADDER)
    if direction > 0:
        return next((z for z in rungs if z > zoom + 1e-9), rungs[-1])
    return next((z for z in reversed(rungs) if z < zoom - 1e-9), rungs[0])
