"""Themes: QSS files in resources/themes whose colours are named once at the top.

A theme file starts with declarations such as ``@ink: #1a1a1a;`` and uses ``@ink`` below.
Font sizes are not written in the files: they use ``@base_pt``, ``@title_pt`` and
``@formula_pt``, which :func:`apply_theme` computes from the zoom, so one zoom setting
scales every widget (the projector's zoom ladder, see :mod:`vanishgui.ui.model.presentation`).
"""

from __future__ import annotations

import re
from string import Template

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from ..model.presentation import THEMES, ZOOM_LADDER, next_zoom
from . import resources

BASE_POINT_SIZE = 11.0

_DECLARATION = re.compile(r"^\s*@([a-z_]+)\s*:\s*([^;]+);\s*$", re.M)


class _Qss(Template):
    delimiter = "@"


def load_qss(name: str, zoom: float = 1.0) -> str:
    """The theme's stylesheet with its named colours and the zoomed sizes filled in."""
    text = resources.text("themes", f"{name}.qss")
    names = {m.group(1): m.group(2).strip() for m in _DECLARATION.finditer(text)}
    # a projector's type is large already: its titles and formulas stand out by weight,
    # not size, so they wrap onto fewer lines of a 1024×768 screen
    title, formula = (1.1, 1.0) if name.startswith("projector") else (1.35, 1.2)
    names.update({
        "base_pt": f"{BASE_POINT_SIZE * zoom:.1f}pt",
        "title_pt": f"{BASE_POINT_SIZE * zoom * title:.1f}pt",
        "formula_pt": f"{BASE_POINT_SIZE * zoom * formula:.1f}pt",
    })
    try:
        return _Qss(_DECLARATION.sub("", text)).substitute(names)
    except KeyError as e:
        raise ValueError(f"theme {name}: @{e.args[0]} is used but never named") from None


def apply_theme(app: QApplication, name: str = "light", zoom: float = 1.0) -> None:
    """Set the application's font and stylesheet; an unchanged stylesheet is not set again
    (restyling every live widget is the most expensive thing Qt does here)."""
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE * zoom)
    if font != app.font():
        app.setFont(font)
    qss = load_qss(name, zoom)
    if qss != app.styleSheet():
        app.setStyleSheet(qss)


__all__ = ["BASE_POINT_SIZE", "THEMES", "ZOOM_LADDER", "apply_theme", "load_qss", "next_zoom"]
