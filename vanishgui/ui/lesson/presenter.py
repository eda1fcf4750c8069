"""The presenter view: with a second screen, the lesson's main window goes full screen on
the projector and a small window on the laptop screen shows the teacher the scene's
notes, the next scene's title, the time since the lesson started and the current step.

Screens: the laptop is the primary screen, the projector the first other one. With one
screen there is no presenter view (Lesson → Presenter view is disabled and says why).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ...core.scene import Lesson, Scene


class LessonPlayer(Protocol):
    """What the presenter view reads of the lesson player (which imports this module, so
    it is described here: no import loop)."""

    lesson: Lesson | None
    index: int
    session: Any
    scene_changed: Any

    def presenter_closed(self) -> None: ...


def screens_for_presenting() -> tuple[QScreen, QScreen] | None:
    """(laptop, projector): the primary screen and the first other one; None with one."""
    screens = QGuiApplication.screens()
    primary = QGuiApplication.primaryScreen()
    others = [s for s in screens if s is not primary]
    if primary is None or not others:
        return None
    return primary, others[0]


def elapsed_text(seconds: float) -> str:
    """'12:05' (minutes:seconds), '1:02:09' past an hour."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class PresenterWindow(QWidget):
    """The teacher's window: this scene and its notes, the next scene, time and step."""

    def __init__(self, player: LessonPlayer) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("presenterWindow")
        self.setWindowTitle("vanishgui — presenter view")
        self.player = player
        self.started = time.monotonic()
        self.scene_label = QLabel(self)
        self.scene_label.setObjectName("presenterScene")
        self.scene_label.setWordWrap(True)
        self.notes = QLabel(self)
        self.notes.setObjectName("presenterNotes")
        self.notes.setWordWrap(True)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.notes)
        self.next_label = QLabel(self)
        self.next_label.setObjectName("presenterNext")
        self.next_label.setWordWrap(True)
        self.clock = QLabel(self)
        self.clock.setObjectName("presenterClock")
        self.step = QLabel(self)
        self.step.setObjectName("presenterStep")
        lay = QVBoxLayout(self)
        lay.addWidget(self.scene_label)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.next_label)
        lay.addWidget(self.clock)
        lay.addWidget(self.step)
        big = self.font()
        big.setPointSizeF(big.pointSizeF() * 1.6)
        for w in (self.scene_label, self.clock):
            w.setFont(big)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        player.scene_changed.connect(self.refresh)
        player.session.trained.connect(self._show_step)
        player.session.cursor_moved.connect(self._show_step)
        player.session.experiment_changed.connect(self._show_step)
        self.refresh()

    def refresh(self) -> None:
        p = self.player
        lesson = p.lesson
        if lesson is None:
            self.scene_label.setText("No lesson is running.")
            self.notes.setText("")
            self.next_label.setText("")
            self._show_step()
            return
        scene: Scene = lesson.scenes[p.index]
        n = len(lesson.scenes)
        self.scene_label.setText(f"Scene {p.index + 1} of {n}: {scene.title}")
        notes = scene.notes or "(No notes for this scene; the class reads:)\n\n" + scene.text
        self.notes.setText(notes)
        upcoming = lesson.scenes[p.index + 1].title if p.index + 1 < n else None
        self.next_label.setText(f"Next: {upcoming}" if upcoming else "Next: the lesson ends here.")
        self._show_step()

    def _tick(self) -> None:
        self.clock.setText(f"Elapsed {elapsed_text(time.monotonic() - self.started)}")

    def _show_step(self, *_args: object) -> None:
        s = self.player.session
        self.step.setText(f"Training step {s.trainer.step_count:,} · event {s.position} of "
                          f"{len(s.trace)}")
        self._tick()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        self.player.presenter_closed()
        super().closeEvent(event)


def place(main: QWidget, presenter: QWidget, laptop: QScreen, projector: QScreen) -> None:
    """The main window full screen on the projector, the presenter on the laptop. With no
    window manager these are requests; each window is also given its screen's geometry."""
    main.show()
    handle = main.windowHandle()
    if handle is not None:
        handle.setScreen(projector)
    main.setGeometry(projector.geometry())
    main.showFullScreen()
    presenter.show()
    handle = presenter.windowHandle()
    if handle is not None:
        handle.setScreen(laptop)
    presenter.setGeometry(laptop.availableGeometry())
