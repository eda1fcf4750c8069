"""Themes are QSS files in resources/themes with named colours; this applies one."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from . import resources

BASE_POINT_SIZE = 11.0


def apply_theme(app: QApplication, name: str = "light") -> None:
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(resources.text("themes", f"{name}.qss"))
