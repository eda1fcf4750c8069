"""The comparison window's transport bar: the main window's buttons, driving a Lockstep."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from ..model.lockstep import Lockstep, event_counts
from ..model.presentation import Presentation
from ..views.transport import SlimBar, add_buttons, add_speed_choice, two_rows


class ComparisonTransport(SlimBar):
    """Buttons for the shared actions, a speed choice, where the first network is, the step."""

    def __init__(self, lockstep: Lockstep, actions: dict[str, QAction],
                 parent: QWidget | None = None, *,
                 presentation: Presentation | None = None) -> None:
        super().__init__(parent)
        self.lockstep = lockstep
        lay, second = two_rows(self)  # as the main window's: buttons, then the status
        self.buttons = add_buttons(self, lay, actions)
        lay.addSpacing(12)
        self.speed_label, self.speed = add_speed_choice(
            self, lay, "How fast Play moves through the events (instant: a whole step at once)")
        self.speed.currentIndexChanged.connect(self._on_speed_picked)
        lay.addStretch(1)
        self.status = QLabel(self)
        self.status.setObjectName("statusLine")
        self.status.setToolTip("Where the networks are in their training step")
        self.status.setWordWrap(True)
        second.addWidget(self.status, 1)
        self.steps = QLabel(self)
        self.steps.setObjectName("compareSteps")
        self.steps.setToolTip("Training steps so far (the same for every network)")
        second.addWidget(self.steps)
        self._rows = (lay, second)
        lockstep.changed.connect(self._on_lockstep_changed)
        for s in lockstep.sessions:
            s.cursor_moved.connect(self._on_lockstep_changed)
        self._on_lockstep_changed()
        self.follow(presentation)

    def set_slim(self, slim: bool) -> None:
        """Hide the speed choice too (projector mode), as the main window's slim bar does."""
        super().set_slim(slim)
        for w in (self.speed_label, self.speed):
            w.setVisible(not slim)

    def _on_speed_picked(self, index: int) -> None:
        self.lockstep.set_speed(self.speed.itemData(index))

    def _on_lockstep_changed(self, *_args) -> None:
        self.status.setText(event_counts(self.lockstep.sessions))
        rate = self.lockstep.steps_per_second
        extra = f" · {rate:,.0f} steps/s each" if self.lockstep.training and rate else ""
        self.steps.setText(f"step {self.lockstep.step_count:,}{extra}")
