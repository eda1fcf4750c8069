"""The live plot panels, and the hub that creates them and paces their redraws.

A panel is one module plus one :data:`PANELS` row (its title, class, group and order in
the group); the main window derives its layout from the rows, so a new panel needs no
other edit. The main window makes one :class:`PlotHub` per session and docks its panels::

    hub = PlotHub(session, presentation, window)
    for name, panel in hub.panels.items():
        dock(PANELS[name].title, panel)

Panels only mark themselves dirty when the Session signals; the hub's single timer
redraws the dirty panels that are visible at most once a frame (~60 Hz), however fast
training steps, and never a hidden panel.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from ...core.curves import history_csv
from ...core.experiment import write_atomic
from ..model.presentation import Presentation
from ..model.session import Session
from .base import PlotPanel, adopt_strays, top_level_widgets
from .boundary import BoundaryPanel
from .dact import DactPanel
from .flow import FlowPanel
from .gradients import GradientsPanel
from .loss import LossPanel
from .updates import UpdatesPanel
from .waterfall import WaterfallPanel


@dataclass(frozen=True)
class PanelSpec:
    """One plot panel: its dock title, class, group (panels of a group share a tab stack;
    groups sit side by side, "now" first) and order within the group (first in front)."""

    title: str
    cls: type[PlotPanel]
    group: str
    order: int


GROUPS = ("now", "training")  # what the current pass shows; what training has done

# name -> row. The names are the ones lesson files use (core.scene.PLOTS; a test checks).
PANELS: dict[str, PanelSpec] = {
    "gradients": PanelSpec("Gradient per layer over training", GradientsPanel, "training", 0),
    "flow": PanelSpec("Gradient flow now", FlowPanel, "now", 0),
    "dact": PanelSpec("σ'(z) now", DactPanel, "now", 1),
    "waterfall": PanelSpec("Waterfall", WaterfallPanel, "now", 2),
    "loss": PanelSpec("Loss", LossPanel, "training", 2),
    "updates": PanelSpec("Weight change per layer", UpdatesPanel, "training", 1),
    "boundary": PanelSpec("Decision boundary", BoundaryPanel, "training", 3),
}

FRAME_MS = 16  # the hub's timer: at most ~60 redraws a second per panel
FRAME_BUDGET_S = 0.025  # redraw work in one frame; the panels left over go next frame


class Pacer(QObject):
    """One redraw timer for some plot panels: the dirty, visible ones redraw at most once
    a frame, a costly one less often (its own throttle), a hidden one not at all."""

    def __init__(self, panels: dict[str, PlotPanel], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panels = panels
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._on_frame)
        self._turn = 0  # the panel that goes first in the next frame
        for name, panel in panels.items():
            panel.setObjectName(f"plot_{name}")
            panel.needs_redraw.connect(self._on_redraw_changed)

    def _on_redraw_changed(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def _on_frame(self) -> None:
        """Redraw the due panels, taking turns: once FRAME_BUDGET_S is spent the others
        wait for the next frame, so one timer event never holds the window up for the
        cost of every panel together."""
        now = time.monotonic()
        started = time.perf_counter()
        names = list(self.panels)
        first = self._turn % len(names) if names else 0
        waiting = False
        for name in names[first:] + names[:first]:
            panel = self.panels[name]
            if not (panel.dirty and panel.isVisible()):
                continue
            if time.perf_counter() - started > FRAME_BUDGET_S:
                self._turn = names.index(name)  # it goes first next frame
                waiting = True
                break
            if not panel.refresh(now):
                waiting = True  # throttled: come round again
        if waiting:
            self.timer.start()

    def flush(self) -> None:
        """Redraw every dirty panel now, shown or not (screenshots, tests)."""
        now = time.monotonic()
        for panel in self.panels.values():
            panel.refresh(now, force=True)


class PlotHub(Pacer):
    """Creates every plot panel of :data:`PANELS` for a session, and paces them."""

    def __init__(self, session: Session, presentation: Presentation,
                 parent: QObject | None = None) -> None:
        panels: dict[str, PlotPanel] = {}
        for name, spec in PANELS.items():
            before = top_level_widgets()
            panels[name] = panel = spec.cls(session, presentation)
            adopt_strays(panel, before)
        super().__init__(panels, parent)
        self.session = session
        self.presentation = presentation

    @staticmethod
    def groups() -> list[list[str]]:
        """The panel names of each group, groups in GROUPS' order (then any other), each
        group in its rows' order."""
        names = sorted(PANELS, key=lambda n: PANELS[n].order)
        known = [g for g in GROUPS if any(PANELS[n].group == g for n in names)]
        extra = sorted({PANELS[n].group for n in names} - set(GROUPS))
        return [[n for n in names if PANELS[n].group == g] for g in known + extra]

    def export_history_csv(self, path: str | Path) -> None:
        """Write the training history (every recorded step, every layer) as CSV.

        Atomic, as the experiment file is; raises OSError if it cannot be written.
        """
        write_atomic(path, history_csv(self.session.trainer.history))


__all__ = ["GROUPS", "PANELS", "Pacer", "PanelSpec", "PlotHub", "PlotPanel"]
