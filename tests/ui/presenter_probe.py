"""Run by test_presenter.py in a child process on an Xvfb with two X screens (a laptop
and a projector; no window manager). Starts a lesson, opens the presenter view, moves
through scenes, and prints JSON: which QScreen each window is on, and what each shows."""

import json
import os
import sys

from PySide6.QtCore import QElapsedTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.ui.lesson.player import install
from vanishgui.ui.model.session import Session

app = QApplication(sys.argv[:1])
window = build_window(Session(), restore=False)
window.resize(1000, 700)
window.show()
player = install(window)  # the installed player (a second install returns it)


def settle(ms: int = 300) -> None:
    timer = QElapsedTimer()
    timer.start()
    while timer.elapsed() < ms:
        app.processEvents()


settle()
screens = QGuiApplication.screens()
out = {"screens": [s.name() for s in screens],
       "primary": screens.index(QGuiApplication.primaryScreen()),
       "enabled_before_lesson": window.actions_by_name["presenter_view"].isEnabled()}
player.open_path(os.environ["VANISHGUI_PROBE_LESSON"])
player.instant = True
settle()
window.actions_by_name["presenter_view"].trigger()
settle(800)
presenter = player.presenter


def state() -> dict:
    return {"main_screen": screens.index(window.screen()),
            "presenter_screen": screens.index(presenter.screen()),
            "main_geometry": window.geometry().getRect(),
            "presenter_geometry": presenter.geometry().getRect(),
            "main_title": window.findChild(type(presenter.scene_label), "lessonTitle").text()
            if window.findChild(type(presenter.scene_label), "lessonTitle") else None,
            "scene": presenter.scene_label.text(), "next": presenter.next_label.text(),
            "notes": presenter.notes.text(), "step": presenter.step.text(),
            "clock": presenter.clock.text(), "index": player.index}


out["first"] = state()
player.go_to(5)
settle()
out["sixth"] = state()
window.session.train_now(3)
settle()
out["trained"] = state()
player.leave()
settle()
out["after_leave"] = {"presenter": player.presenter is None,
                      "checked": window.actions_by_name["presenter_view"].isChecked()}
print(json.dumps(out))
