"""The live plot panels, and the hub that creates them and paces their redraws.

The main window makes one :class:`PlotHub` per session and docks its panels::

    hub = PlotHub(session, window)
    for name, panel in hub.panels.items():
        dock(hub.titles[name], panel)

Panels only mark themselves dirty when the Session signals; the hub's single timer
redraws the dirty panels that are visible at most once a frame (~60 Hz), however fast
training steps, and never a hidden panel.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from ...core.curves import history_csv
from ...core.experiment import write_atomic
from ..session import Session
from .base import PlotPanel
from .boundary import BoundaryPanel
from .dact import DactPanel
from .flow import FlowPanel
from .gradients import GradientsPanel
from .loss import LossPanel
from .updates import UpdatesPanel

# name -> (dock title, panel class), in the order the docks should appear
PANELS: dict[str, tuple[str, type[PlotPanel]]] = {
    "gradients": ("Gradient per layer over training", GradientsPanel),
    "flow": ("Gradient flow now", FlowPanel),
    "dact": ("σ'(z) now", DactPanel),
    "loss": ("Loss", LossPanel),
    "updates": ("Weight change per layer", UpdatesPanel),
    "boundary": ("Decision boundary", BoundaryPanel),
}

FRAME_MS = 16  # the hub's timer: at most ~60 redraws a second per panel


class PlotHub(QObject):
    """Creates every plot panel for a session and owns the one redraw timer."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.titles: dict[str, str] = {name: title for name, (title, _) in PANELS.items()}
        self.panels: dict[str, PlotPanel] = {
            name: cls(session) for name, (_, cls) in PANELS.items()
        }
        for name, panel in self.panels.items():
            panel.setObjectName(f"plot_{name}")
            panel.needs_redraw.connect(self._on_redraw_changed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._on_frame)
        self.projector = False

    def _on_redraw_changed(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def _on_frame(self) -> None:
        now = time.monotonic()
        waiting = False
        for panel in self.panels.values():
            if panel.dirty and panel.isVisible() and not panel.refresh(now):
                waiting = True  # throttled: come round again
        if waiting:
            self.timer.start()

    def flush(self) -> None:
        """Redraw every dirty panel now, shown or not (screenshots, tests)."""
        now = time.monotonic()
        for panel in self.panels.values():
            panel.refresh(now, force=True)

    def set_projector(self, on: bool) -> None:
        """Large fonts and thick lines in every panel."""
        self.projector = bool(on)
        for panel in self.panels.values():
            panel.set_projector(on)

    def export_history_csv(self, path: str | Path) -> None:
        """Write the training history (every recorded step, every layer) as CSV.

        Atomic, as the experiment file is; raises OSError if it cannot be written.
        """
        write_atomic(path, history_csv(self.session.trainer.history))


__all__ = ["PANELS", "PlotHub", "PlotPanel"]
