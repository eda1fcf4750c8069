"""The transport bar: step, play, phase, train and reset, a speed choice and a status line."""

from __future__ import annotations

import math

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QWidget

from .describe import status_line
from .session import SPEEDS, Session


def speed_label(speed: float) -> str:
    return "instant" if math.isinf(speed) else f"{speed:g}×"


class TransportBar(QWidget):
    def __init__(self, session: Session, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.buttons: dict[str, QToolButton] = {}
        for name in ("start", "previous_phase", "previous", "play", "next", "next_phase", "end",
                     None, "train_step", "train", "reset"):
            if name is None:
                lay.addSpacing(16)
                continue
            b = QToolButton(self)
            b.setDefaultAction(actions[name])
            lay.addWidget(b)
            self.buttons[name] = b
        self.train_n = QSpinBox(self)
        self.train_n.setRange(1, 1_000_000)
        self.train_n.setValue(200)
        self.train_n.setToolTip("How many steps 'Train N' runs")
        self.train_n_button = QToolButton(self)
        self.train_n_button.setText("Train N")
        self.train_n_button.setToolTip("Train this many steps, then pause")
        self.train_n_button.clicked.connect(lambda: session.train(self.train_n.value()))
        lay.addWidget(self.train_n)
        lay.addWidget(self.train_n_button)
        lay.addSpacing(12)
        self.speed_label = QLabel("Speed", self)
        lay.addWidget(self.speed_label)
        self.speed = QComboBox(self)
        for s in SPEEDS:
            self.speed.addItem(speed_label(s), s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip("How fast Play moves through the events (instant: a whole step "
                              "at once)")
        self.speed.currentIndexChanged.connect(self._on_speed_picked)
        lay.addWidget(self.speed)
        lay.addSpacing(12)
        self.status = QLabel(self)
        self.status.setObjectName("statusLine")
        self.status.setToolTip("Where you are in the current training step")
        lay.addWidget(self.status, 1)
        self.steps = QLabel(self)
        self.steps.setToolTip("Training steps so far, and the training speed")
        lay.addWidget(self.steps)
        session.cursor_moved.connect(self._on_cursor_moved)
        session.experiment_changed.connect(self._on_experiment_changed)
        session.trained.connect(self._on_trained)
        session.speed_changed.connect(self._on_speed_changed)
        self._on_cursor_moved(session.position)
        self._on_trained(session.trainer.step_count)

    def _on_experiment_changed(self) -> None:
        self._on_cursor_moved(self.session.position)
        self._on_trained(self.session.trainer.step_count)  # a new experiment starts at 0

    def _on_speed_picked(self, index: int) -> None:
        self.session.set_speed(self.speed.itemData(index))

    def _on_speed_changed(self, speed: float) -> None:
        i = self.speed.findData(speed)
        if i >= 0 and i != self.speed.currentIndex():
            self.speed.setCurrentIndex(i)

    def _on_cursor_moved(self, position: int) -> None:
        self.status.setText(status_line(self.session.trace, position))

    def _on_trained(self, steps: int) -> None:
        rate = self.session.steps_per_second
        extra = f" · {rate:,.0f} steps/s" if self.session.training and rate else ""
        self.steps.setText(f"step {steps:,}{extra}")
