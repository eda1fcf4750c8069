"""Presentation: the one model of how the window looks — theme, zoom and projector mode.

Every size a view draws at (tick labels, axis titles, plot headers, legends, line widths,
markers) derives from :attr:`Presentation.zoom` through :meth:`Presentation.sizes`, and
every view that draws re-reads it on :attr:`Presentation.changed`. Projector mode is a
theme plus a zoom (Mu's habit), not a second user interface: the flag only says which
theme and which remembered zoom to use, and lets a shell hide editing widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

ZOOM_LADDER = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0)
PROJECTOR_ZOOM = 1.75  # 11 pt × 1.75 ≈ 26 px at 96 dpi: at least 24 px on a 1080p projector
PROJECTOR_TEXT_PX = 24  # no text a projector shows is smaller (the diagram hides its own)
THEMES = {"light": "Light", "projector-light": "High contrast, light",
          "projector-dark": "High contrast, dark"}

# Plot sizes (points, or pixels for lines and markers) at zoom 1 and at the projector's
# zoom; any other zoom lies on the line through the two.
_NORMAL = {"tick": 12.0, "label": 13.0, "title": 14.0, "legend": 11.0, "line": 2.5,
           "symbol": 9.0}
_PROJECTOR = {"tick": 18.0, "label": 19.0, "title": 20.0, "legend": 18.0, "line": 4.5,
              "symbol": 14.0}


def sizes_at(zoom: float) -> dict[str, float]:
    """The plot sizes at ``zoom`` (exactly today's normal and projector sizes at 1 and 1.75)."""
    t = (zoom - 1.0) / (PROJECTOR_ZOOM - 1.0)
    return {k: round(_NORMAL[k] + t * (_PROJECTOR[k] - _NORMAL[k]), 2) for k in _NORMAL}


def next_zoom(zoom: float, direction: int) -> float:
    """The next rung of the zoom ladder up (+1) or down (−1)."""
    rungs = list(ZOOM_LADDER)
    if direction > 0:
        return next((z for z in rungs if z > zoom + 1e-9), rungs[-1])
    return next((z for z in reversed(rungs) if z < zoom - 1e-9), rungs[0])


class Presentation(QObject):
    """Theme, zoom and the projector flag, with one ``changed`` signal."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._theme = "light"
        self._zoom = 1.0
        self._projector = False

    @property
    def theme(self) -> str:
        return self._theme

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def projector(self) -> bool:
        """Projector mode: full screen, high contrast, editing widgets put away."""
        return self._projector

    @property
    def large(self) -> bool:
        """Whether views should use their large layout (projector mode, or a big zoom)."""
        return self._projector or self._zoom >= PROJECTOR_ZOOM - 1e-9

    def sizes(self) -> dict[str, float]:
        return sizes_at(self._zoom)

    def set(self, *, theme: str | None = None, zoom: float | None = None,
            projector: bool | None = None) -> None:
        """Change any of the three; ``changed`` is emitted once, and only if one changed."""
        new = (self._theme if theme is None else theme,
               self._zoom if zoom is None else float(zoom),
               self._projector if projector is None else bool(projector))
        if new[0] not in THEMES:
            raise ValueError(f"unknown theme {new[0]!r}; expected one of {', '.join(THEMES)}")
        if not ZOOM_LADDER[0] <= new[1] <= ZOOM_LADDER[-1]:
            raise ValueError(f"zoom {new[1]} is outside {ZOOM_LADDER[0]}–{ZOOM_LADDER[-1]}")
        if new != (self._theme, self._zoom, self._projector):
            self._theme, self._zoom, self._projector = new
            self.changed.emit()
