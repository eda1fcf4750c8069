"""Lesson mode: a guided tour of scenes played back in the main window.

The :class:`LessonPlayer` keeps the lesson's place (which scene, how many of its steps have
run, the depth table) and drives the Session; the
:class:`~vanishgui.ui.lesson.panel.LessonPanel` dock shows the scene. In lesson mode Page
Down and → run the scene's next step (play the backward pass, train, one more depth, …)
or, when none is left, open the next scene; Page Up and ← go back one scene. Those keys
are lent by the event-stepping actions (which keep N and P) and given back on leaving.
A scene with a question waits before its first step for the class's guess: keys 1–4 (or a
click on a choice) answer and run the step; Page Down skips the question and runs it. Keys
1–4 are bound only while a question waits. Once every step has run, the panel reveals the
answer (:func:`vanishgui.core.question.evaluate`).
:func:`install` adds all of this to a shell (the main window, through its Shell surface).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from ...core.jsonfile import show_value
from ...core.question import MAX_CHOICES
from ...core.scene import (
    CompareAction,
    DeepenAction,
    DepthRow,
    Lesson,
    PlayAction,
    Scene,
    Step,
    SwitchAction,
    TrainAction,
    depth_row,
)
from ..model.session import Selection
from ..shell import dialogs, resources
from ..shell.actions import ActionSpec
from ..shell.shell import Shell
from .panel import LessonPanel
from .presenter import PresenterWindow, place, screens_for_presenting

LESSON_FILTER = "vanishgui lessons (*.json);;All files (*)"
LESSON_SHARE = 0.3  # of the window's width, for the lesson dock
FIRST_LESSON = "vanishing-gradient"  # listed first in the Lesson menu
# keys the event-stepping actions lend to the lesson while it is open
LENT_KEYS = {"next": ("PgDown", "Right"), "previous": ("PgUp", "Left")}
NAV = (
    ActionSpec("lesson_next", "&Next scene", "In a lesson: the scene's next step, or the next "
               "scene", ("PgDown", "Right"), "Lesson", short="Next ▶"),
    ActionSpec("lesson_previous", "&Previous scene", "In a lesson: back to the scene before",
               ("PgUp", "Left"), "Lesson", short="◀ Back"),
    ActionSpec("leave_lesson", "&Leave lesson", "Close the lesson; the network it shows stays "
               "open", (), "Lesson", short="Leave"),
)
# in no menu (the buttons are in the panel); their keys are bound only while a question waits
ANSWERS = tuple(
    ActionSpec(f"lesson_answer_{k}", f"Answer {k}", f"In a lesson's question: the class "
               f"chooses answer {k}, then the scene goes on", (str(k),))
    for k in range(1, MAX_CHOICES + 1))


def builtin_lessons() -> list[Path]:
    """The lesson files that ship with the app, the main lesson first."""
    files = resources.path("lessons").glob("*.json")
    return sorted(files, key=lambda p: (p.stem != FIRST_LESSON, p.stem))


def lesson_title(path: Path) -> str:
    """A lesson's title for a menu, without checking the rest of the file."""
    try:
        title = json.loads(path.read_text(encoding="utf-8-sig")).get("title")
    except (OSError, ValueError, AttributeError):
        title = None
    return title.strip() if isinstance(title, str) and title.strip() else path.stem


def read_lesson(path: str | Path) -> Lesson:
    """A lesson file; its experiments may name the built-in examples. A bad file raises
    :class:`~vanishgui.core.lesson.LessonError`, whose text names the scene and field."""
    from ...core.lesson import load_lesson  # parsing is loaded when a lesson opens

    return load_lesson(path, resources.path("examples"))


def try_read_lesson(path: str | Path) -> tuple[Lesson | None, str]:
    """(the lesson, "") or (None, the one-sentence reason it cannot be read)."""
    from ...core.lesson import LessonError

    try:
        return read_lesson(path), ""
    except LessonError as e:
        return None, str(e)


class LessonPlayer(QObject):
    """Plays a lesson in a window: enters scenes, runs their steps, lends the keys."""

    lesson_changed = Signal()  # a lesson opened, or was left
    scene_changed = Signal()  # a new scene, or a step of it started or finished
    step_finished = Signal()

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self._window = shell.widget()
        self.session = shell.session
        self.lesson: Lesson | None = None
        self.index = 0
        self.done = 0  # how many of the scene's steps have started
        self.rows: list[DepthRow] = []  # the depth table of a "deepen" scene
        self.running: Step | None = None
        self.decided = False  # the scene's question was answered or skipped
        self.guess: int | None = None  # the class's answer (0-based), None if skipped
        self.instant = False  # play without animating (tests, screenshots)
        self._play_until: int | None = None
        self._lent: dict[str, list[QKeySequence]] = {}
        self._placed = False  # the dock holds the window's left side for this lesson
        self.panel = LessonPanel(self, self._window)
        self.dock = shell.add_dock("lesson", "Lesson", self.panel,
                                   Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock.hide()
        self._add_actions()
        self.panel.use_actions(self.actions)
        self.scene_changed.connect(self._route_answer_keys)
        self._window.installEventFilter(self)
        self.session.cursor_moved.connect(self._on_cursor_moved)
        self.session.playing_changed.connect(self._on_playing_changed)
        self.session.training_changed.connect(self._on_training_changed)

    # -- the menus -----------------------------------------------------------------------
    def _add_actions(self) -> None:
        w = self.shell
        for path in builtin_lessons():
            title = lesson_title(path)
            spec = ActionSpec(f"lesson_{path.stem.replace('-', '_')}", title,
                              f"Start the built-in lesson “{title}”", (), "Lesson")
            w.add_action(spec, lambda _=False, p=path: self.open_path(p))
        w.menu("Lesson").addSeparator()
        self.actions = {spec.name: w.add_action(spec, handler) for spec, handler in zip(
            NAV, (self.next, self.previous, self.leave))}
        for act in self.actions.values():  # their keys belong to stepping until a lesson opens
            act.setShortcuts([])
            act.setEnabled(False)
        self.answer_actions = [w.add_action(spec, lambda _=False, k=k: self.answer(k))
                               for k, spec in enumerate(ANSWERS)]
        for act in self.answer_actions:
            act.setShortcuts([])
            act.setEnabled(False)
        self.presenter: PresenterWindow | None = None
        self.presenter_action = w.add_action(
            ActionSpec("presenter_view", "P&resenter view",
                       "With a second screen: the lesson full screen on the projector, and "
                       "the scene's notes, the next scene, the time and the step on this "
                       "screen", (), "Lesson", checkable=True),
            self.toggle_presenter)
        self.lesson_changed.connect(self._enable_presenter)
        self._enable_presenter()
        spec = ActionSpec("open_lesson", "Open &lesson…",
                          "Open a lesson file: scenes written by a teacher")
        opener = w.add_action(spec, self.on_open_lesson)
        w.menu("File").insertAction(w.action("save"), opener)

    # -- the presenter view --------------------------------------------------------------
    def _enable_presenter(self) -> None:
        act = self.presenter_action
        two = screens_for_presenting() is not None
        act.setEnabled(self.lesson is not None and two)
        act.setToolTip(act.statusTip() if two else
                       "The presenter view needs a second screen (a projector); there is one")
        if self.lesson is None and self.presenter is not None:
            self.presenter.close()

    def toggle_presenter(self, *_args: object) -> None:
        if self.presenter is not None:
            self.presenter.close()
            return
        screens = screens_for_presenting()
        if self.lesson is None or screens is None:
            self.presenter_action.setChecked(False)
            return
        self.presenter = PresenterWindow(self)
        place(self._window, self.presenter, *screens)
        self.presenter_action.setChecked(True)

    def presenter_closed(self) -> None:
        self.presenter = None
        self.presenter_action.setChecked(False)

    def on_open_lesson(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._window, "Open lesson",
                                              str(resources.path("lessons")), LESSON_FILTER)
        if path:
            self.open_path(path)

    # -- opening and leaving -------------------------------------------------------------
    @property
    def scene(self) -> Scene | None:
        return None if self.lesson is None else self.lesson.scenes[self.index]

    def open_path(self, path: str | Path, scene: int = 0) -> bool:
        """Open a lesson file; a bad one gets a dialog naming the scene and field."""
        lesson, why = try_read_lesson(path)
        if lesson is None:
            self.shell.show_error("This lesson could not be opened", why)
            return False
        return self.start(lesson, scene)

    def start(self, lesson: Lesson, scene: int = 0) -> bool:
        """Enter lesson mode at a scene (0-based); False if the user keeps unsaved work."""
        if self.lesson is None and not self.shell.maybe_proceed("starting a lesson"):
            return False
        if self.lesson is None:
            self._lend_keys()
        self.lesson = lesson
        self.session.forget_path()  # the lesson's networks are not the file that was open
        if not self._placed:  # the lesson takes the whole height of the left side: its
            self._placed = True  # text must be read from the back of the room
            self.shell.give_left_side(self.dock, LESSON_SHARE)
        for act in self.actions.values():
            act.setEnabled(True)
        self.lesson_changed.emit()
        self.go_to(scene)
        return True

    def leave(self) -> None:
        if self.lesson is None:
            return
        self._stop()
        self.lesson = None
        self._return_keys()
        for act in self.actions.values():
            act.setEnabled(False)
        self.shell.take_back_left_side(self.dock)
        self._placed = False
        self.lesson_changed.emit()
        self.scene_changed.emit()

    def _lend_keys(self) -> None:
        for name, keys in LENT_KEYS.items():
            lent = [QKeySequence(k) for k in keys]
            act = self.shell.action(name)
            self._lent[name] = act.shortcuts()
            act.setShortcuts([k for k in act.shortcuts() if k not in lent])
        for spec in NAV:
            self.actions[spec.name].setShortcuts([QKeySequence(k) for k in spec.shortcuts])

    def _return_keys(self) -> None:
        for act in self.actions.values():
            act.setShortcuts([])
        for name, keys in self._lent.items():
            self.shell.action(name).setShortcuts(keys)
        self._lent.clear()

    # -- moving through the lesson -------------------------------------------------------
    def go_to(self, index: int) -> None:
        """Open scene ``index`` afresh: its experiment, what it shows, its auto steps."""
        if self.lesson is None:
            return
        self._stop()
        self.index = max(0, min(index, len(self.lesson.scenes) - 1))
        self.done = 0
        self.rows = []
        self.decided = False
        self.guess = None
        scene = self.lesson.scenes[self.index]
        self.session.set_experiment(scene.experiment, modified=False)
        self._apply_show()
        self.scene_changed.emit()
        self._run_auto_steps()

    def next(self) -> None:
        """The scene's next step; the next scene when none is left. A running step ends now."""
        scene = self.scene
        if scene is None:
            return
        if self.running is not None:
            self._hurry()
        elif self.done < len(scene.steps):
            if self.asking:  # Page Down with no answer (a clicker has no number keys)
                self.decided = True
            self._run(scene.steps[self.done])
        elif self.lesson is not None and self.index + 1 < len(self.lesson.scenes):
            self.go_to(self.index + 1)

    @property
    def asking(self) -> bool:
        """The scene's question waits for the class: its auto steps have run, no other."""
        scene = self.scene
        return (scene is not None and scene.question is not None and not self.decided
                and self.running is None and self.done == scene.auto_steps)

    @property
    def revealed(self) -> bool:
        """Every step of a scene with a question has run: the answer can be shown."""
        scene = self.scene
        return (scene is not None and scene.question is not None and self.decided
                and self.running is None and self.done == len(scene.steps))

    def answer(self, choice: int) -> None:
        """The class chose ``choice`` (0-based): the scene's next step runs."""
        scene = self.scene
        if not self.asking or scene is None or scene.question is None \
                or not 0 <= choice < len(scene.question.choices):
            return
        self.decided = True
        self.guess = choice
        self._run(scene.steps[self.done])

    def _route_answer_keys(self) -> None:
        """Keys 1–4 answer while a question waits, and are free otherwise."""
        scene = self.scene
        count = len(scene.question.choices) if self.asking and scene is not None \
            and scene.question is not None else 0
        for k, (act, spec) in enumerate(zip(self.answer_actions, ANSWERS)):
            on = k < count
            act.setEnabled(on)
            act.setShortcuts([QKeySequence(key) for key in spec.shortcuts] if on else [])

    def previous(self) -> None:
        """Back one scene (the first scene starts again)."""
        if self.lesson is not None:
            self.go_to(self.index - 1)

    def finish_scene(self, *, compare: bool = False) -> None:
        """Run the scene's remaining steps now, waiting for each (screenshots, tests).

        A comparison opens another window, so it is skipped unless ``compare`` is set.
        """
        scene = self.scene
        while scene is not None and self.done < len(scene.steps):
            if self.asking:  # a screenshot of the scene as it ends: no guess
                self.decided = True
            step = scene.steps[self.done]
            if isinstance(step.action, CompareAction) and not compare:
                self.done += 1
                continue
            self._run(step)
            if self.running is not None:
                loop = QEventLoop()
                self.step_finished.connect(loop.quit)
                if self.running is not None:
                    loop.exec()
                self.step_finished.disconnect(loop.quit)

    # -- the steps -----------------------------------------------------------------------
    def _run(self, step: Step) -> None:
        self.done += 1
        self.running = step
        self.scene_changed.emit()
        a = step.action
        s = self.session
        if isinstance(a, PlayAction):
            phase = "forward" if a.phase == "step" else a.phase
            start = s.trace.phase_range(phase)[0]
            until = len(s.trace) if a.phase == "step" else s.trace.phase_range(phase)[1]
            s.seek(start)
            if self.instant or (a.speed is not None and math.isinf(a.speed)):
                s.seek(until)
                self._finish()
                return
            if a.speed is not None:
                s.set_speed(a.speed)
            self._play_until = until
            s.play()
        elif isinstance(a, TrainAction):
            s.train(a.steps)
        elif isinstance(a, DeepenAction):
            s.set_experiment(a.experiments[step.part], modified=False)
            self._apply_show()
            self.rows.append(depth_row(s.current))
            self._finish()
        elif isinstance(a, SwitchAction):
            s.set_experiment(a.experiment, modified=False)
            self._apply_show()
            self._finish()
        else:
            self._compare(a)
            self._finish()

    def _compare(self, a: CompareAction) -> None:
        self.shell.open_comparison(self.session.experiment, a.setting, list(a.values))

    def _finish(self) -> None:
        if self.running is None:
            return
        self.running = None
        self._play_until = None
        self.scene_changed.emit()
        self.step_finished.emit()
        self._run_auto_steps()

    def _run_auto_steps(self) -> None:
        scene = self.scene
        while scene is not None and self.running is None and self.done < scene.auto_steps:
            self._run(scene.steps[self.done])

    def _hurry(self) -> None:
        """Next pressed while a step runs: an animation jumps to its end, training pauses."""
        until, self._play_until = self._play_until, None
        self.session.pause()
        if until is not None:
            self.session.seek(until)
        self._finish()

    def _stop(self) -> None:
        self.running = None
        self._play_until = None
        self.session.pause()

    def _apply_show(self) -> None:
        scene = self.scene
        if scene is None:
            return
        show = scene.show
        s = self.session
        if show.select is not None:
            t = show.select
            s.select(Selection(t.layer, t.neuron, t.source))
        if show.at is not None:
            s.seek(show.at.position(s.trace))
        for name in show.panels:  # the controls under the lesson, not in a tab in front of it
            self.shell.show_panel(name, below=self.dock if name == "controls" else None)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        # A window state saved with the lesson open would show an empty lesson dock on the
        # next start: once the window has restored its state, put it away again.
        if event.type() == QEvent.Type.Show and obj is getattr(self, "_window", None):
            QTimer.singleShot(0, self._on_window_shown)
        return False

    def _on_window_shown(self) -> None:
        if self.lesson is None:
            self.dock.hide()

    # -- what the session says -----------------------------------------------------------
    def _on_cursor_moved(self, position: int) -> None:
        until = self._play_until
        if until is not None and position >= until:
            self._play_until = None
            self.session.pause()
            self.session.seek(until)  # "instant" jumps past the end of the phase
            self._finish()

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing and self._play_until is not None:  # paused by hand
            self._finish()

    def _on_training_changed(self, training: bool) -> None:
        if not training and isinstance(getattr(self.running, "action", None), TrainAction):
            self._finish()


def install(shell: Shell) -> LessonPlayer:
    """Add lesson mode to a shell (once): the Lesson menu, File → Open lesson…, the dock."""
    player = shell.widget().findChild(LessonPlayer)
    if not isinstance(player, LessonPlayer):
        player = LessonPlayer(shell)
    return player


def lesson_path(name: str) -> tuple[Path | None, str]:
    """A built-in lesson by its file name (such as vanishing-gradient) or a lesson file:
    (its path, "") or (None, why not)."""
    builtin = {p.stem: p for p in builtin_lessons()}
    path = builtin.get(name, Path(name))
    if not path.is_file():
        return None, (f"--lesson expects a lesson file or one of {', '.join(builtin)}, "
                      f"got {show_value(name)}")
    return path, ""


def apply_lesson_cli(shell: Shell, lesson: Lesson, scene: int = 0, *,
                     run_steps: bool = False) -> LessonPlayer:
    """``--lesson NAME --scene K``: start a lesson (read and checked already) at a scene
    (0-based). With ``run_steps`` the scene's steps run at once (except a comparison,
    which opens another window), so a screenshot shows the scene as it ends."""
    player = install(shell)
    dialogs.settle()  # the window's own dock layout first, or a stale tab bar is drawn
    player.instant = run_steps
    player.start(lesson, scene)
    if run_steps:
        player.finish_scene()
    return player
