"""The only place that finds resource files (icons, themes, lessons, examples).

Installed, they are the package data ``vanishgui.resources``; frozen by PyInstaller,
they sit in ``resources/`` beside the executable's data. Nothing is fetched.
"""

from __future__ import annotations

import sys
from importlib import resources as _res
from pathlib import Path


def root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(str(_res.files("vanishgui.resources")))


def path(*parts: str) -> Path:
    return root().joinpath(*parts)


def text(*parts: str) -> str:
    return path(*parts).read_text(encoding="utf-8")


def app_icon():
    """The application's icon (window, task bar, dock), drawn from the SVG master."""
    from PySide6.QtGui import QIcon

    return QIcon(str(path("icons", "vanishgui.svg")))


def is_bundled(candidate: str | Path) -> bool:
    """Whether a file lies inside the shipped resources (an example, a lesson)."""
    try:
        Path(candidate).resolve().relative_to(root().resolve())
    except (ValueError, OSError):
        return False
    return True
