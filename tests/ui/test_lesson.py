"""Lesson mode: every scene of the built-in lessons plays and shows the core's numbers,
Page Down / Page Up move through the scenes, and a bad lesson is refused naming the scene."""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QMessageBox

from vanishgui.cli.args import parse_args
from vanishgui.cli.gui import plan
from vanishgui.core.experiment import Experiment
from vanishgui.core.lesson import (
    CompareAction,
    DeepenAction,
    PlayAction,
    Scene,
    SwitchAction,
    TrainAction,
    depth_row,
    parse_lesson,
)
from vanishgui.core.numbers import num, ratio
from vanishgui.core.report import layer_rows
from vanishgui.ui.lesson.player import (
    apply_lesson_cli,
    builtin_lessons,
    install,
    lesson_path,
    read_lesson,
)
from vanishgui.ui.model.session import Selection
from vanishgui.ui.shell import resources
from vanishgui.ui.shell.projector import font_pixels

LESSONS = builtin_lessons()


@pytest.fixture
def player(window):
    p = install(window)
    p.instant = True
    return p


@pytest.fixture
def comparisons(monkeypatch) -> list[tuple]:
    """Stands in for vanishgui.ui.compare, recording every comparison asked for."""
    calls: list[tuple] = []
    fake = types.ModuleType("vanishgui.ui.compare.window")
    fake.open_comparison = lambda *args: calls.append(args)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vanishgui.ui.compare.window", fake)
    return calls


def app_pixels() -> int:
    """The pixel size of the application's text (the theme's zoom sets it)."""
    return QFontInfo(QApplication.font()).pixelSize()


def press(qtbot, window, key) -> None:
    qtbot.keyClick(window.diagram.view, key)


def wait_idle(qtbot, player) -> None:
    qtbot.waitUntil(lambda: player.running is None, timeout=20_000)


def same_arrays(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


class Expected:
    """What the core alone says the window should show after a scene's steps so far."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.trainer = experiment.trainer()

    def load(self, experiment: Experiment) -> None:
        self.__init__(experiment)

    def check(self, window) -> None:
        s = window.session
        assert s.experiment is self.experiment
        assert s.trainer.step_count == self.trainer.step_count
        assert same_arrays(s.trainer.network.weights, self.trainer.network.weights)
        p = self.trainer.preview()
        assert same_arrays(s.current.grad_weights, p.grad_weights)
        assert s.current.loss == p.loss


def check_show(window, scene: Scene) -> None:
    s = window.session
    show = scene.show
    if show.at is not None:
        assert s.position == show.at.position(s.trace)
    if show.select is not None:
        t = show.select
        assert s.selection == Selection(t.layer, t.neuron, t.source)
    for name in show.panels:
        dock = window.docks[name if name in ("controls", "ledger", "inspector")
                            else f"plot_{name}"]
        assert dock.isVisible()


def check_table(player) -> None:
    table = player.panel.table
    assert table.rowCount() == len(player.rows)
    for r, row in enumerate(player.rows):
        cells = [table.item(r, c).text() for c in range(4)]
        assert cells == [str(row.hidden_layers), num(row.bound), num(row.product),
                         ratio(row.ratio)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_scene_runs_its_steps_and_shows_the_cores_numbers(window, player, qtbot, path,
                                                                 comparisons) -> None:
    assert player.open_path(path)
    lesson = player.lesson
    for scene in lesson.scenes:
        assert player.index == scene.index
        panel = player.panel
        assert panel.heading.text() == scene.title
        assert panel.body.text() == scene.text
        assert f"scene {scene.index + 1} of {len(lesson.scenes)}" in panel.place.text()
        expected = Expected(scene.experiment)
        deepened = 0
        for k, step in enumerate(scene.steps):
            a = step.action
            if k >= scene.auto_steps:  # the auto steps ran as the scene opened
                before = player.done
                player.next()
                assert player.done == before + 1
            wait_idle(qtbot, player)
            s = window.session
            if isinstance(a, PlayAction):
                phase = "update" if a.phase == "step" else a.phase
                assert s.position == s.trace.phase_range(phase)[1]
            elif isinstance(a, TrainAction):
                expected.trainer.train(a.steps, stop_on_divergence=True)  # as the window
                expected.check(window)
            elif isinstance(a, DeepenAction):
                expected.load(a.experiments[step.part])
                expected.check(window)
                deepened += 1
                assert len(player.rows) == deepened
                assert player.rows[-1] == depth_row(expected.trainer.preview())
                assert player.rows[-1].ratio == layer_rows(s.current)[0]["ratio"]
                check_table(player)
                check_show(window, scene)
            elif isinstance(a, SwitchAction):
                expected.load(a.experiment)
                expected.check(window)
                check_show(window, scene)
            else:
                assert isinstance(a, CompareAction)
                assert comparisons[-1] == (window, s.experiment, a.setting, list(a.values))
            expected.check(window)
        if not scene.steps:
            check_show(window, scene)
            expected.check(window)
        player.next()  # on to the next scene (the last scene stays)
    assert player.index == len(lesson.scenes) - 1
    assert len(comparisons) == sum(isinstance(a, CompareAction) for s in lesson.scenes
                                   for a in s.actions)


def test_page_down_and_page_up_move_through_scenes(window, player, qtbot) -> None:
    s = window.session
    press(qtbot, window, Qt.Key.Key_PageDown)  # not in a lesson: the next event
    assert s.position == 1 and player.lesson is None
    assert player.open_path(LESSONS[0])
    assert player.index == 0 and player.dock.isVisible()
    press(qtbot, window, Qt.Key.Key_PageDown)  # scene 0 has no steps
    assert player.index == 1 and s.position == 0
    press(qtbot, window, Qt.Key.Key_PageDown)  # scene 1: play the forward pass
    wait_idle(qtbot, player)
    assert player.index == 1 and s.position == s.trace.phase_range("forward")[1]
    assert player.panel.coming.text().startswith("Page Down: next scene")
    press(qtbot, window, Qt.Key.Key_Right)
    assert player.index == 2
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert player.index == 1 and s.position == 0  # the scene starts again
    press(qtbot, window, Qt.Key.Key_Left)
    assert player.index == 0
    press(qtbot, window, Qt.Key.Key_N)  # N and P still step through events
    assert s.position == 1
    window.actions_by_name["leave_lesson"].trigger()
    assert player.lesson is None and not player.dock.isVisible()
    press(qtbot, window, Qt.Key.Key_PageDown)  # the keys are back with the events
    assert s.position == 2 and player.index == 0
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert s.position == 1


def test_the_lesson_menu_lists_the_built_in_lessons(window, player) -> None:
    names = [a.text() for a in window.menus["Lesson"].actions() if a.text()]
    assert names[:7] == ["Why gradients vanish", "Dying ReLU",
                         "The other side: exploding gradients", "Where the weights start",
                         "Not every small gradient is vanishing", "The other cures",
                         "Sigmoid at the output"]
    assert names[7:10] == ["&Next scene", "&Previous scene", "&Leave lesson"]
    file_menu = [a.text() for a in window.menus["File"].actions()]
    assert file_menu.index("Open &lesson…") < file_menu.index("&Save")
    assert not window.actions_by_name["lesson_next"].isEnabled()
    window.actions_by_name["lesson_initialisation"].trigger()
    assert player.lesson is not None and player.lesson.title == "Where the weights start"
    window.actions_by_name["leave_lesson"].trigger()
    assert player.lesson is None


def test_a_malformed_lesson_is_refused_naming_the_scene(window, player, qtbot,
                                                        tmp_path: Path) -> None:
    doc = json.loads(LESSONS[0].read_text(encoding="utf-8"))
    doc["scenes"][3]["show"]["select"] = "9:1"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    keys = window.actions_by_name["next"].shortcuts()
    assert not player.open_path(bad)
    message = window.last_error
    assert message.startswith("broken.json: scenes[3] (“Backward: the chain rule”): "
                              "show.select: expected LAYER:NEURON")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    assert window.findChild(QMessageBox, "errorDialog").text() == message
    assert player.lesson is None and window.actions_by_name["next"].shortcuts() == keys


def test_a_played_animation_stops_at_the_end_of_its_phase(window, player, qtbot) -> None:
    player.instant = False
    lesson = read_lesson(LESSONS[0])
    backward = next(s for s in lesson.scenes if s.title == "Backward: the chain rule")
    player.start(lesson, backward.index)
    s = window.session
    for speed in (16.0, math.inf):  # animated, and the transport's "instant"
        player.go_to(backward.index)
        s.set_speed(speed)
        with qtbot.waitSignal(player.step_finished, timeout=10_000):
            player.next()
        assert s.position == s.trace.phase_range("backward")[1] and not s.playing
        assert s.trainer.step_count == 0


def test_next_while_training_pauses_it(window, player, qtbot) -> None:
    doc = json.loads(LESSONS[0].read_text(encoding="utf-8"))
    doc["scenes"] = doc["scenes"][-2:]  # a long training run, then one more scene
    doc["scenes"][0]["actions"] = [{"do": "train", "steps": 100_000}]
    player.start(parse_lesson(doc, "long.json", None, resources.path("examples")))
    s = window.session
    with qtbot.waitSignal(s.training_changed):
        player.next()
    qtbot.waitUntil(lambda: s.trainer.step_count > 0)
    assert player.running is not None
    assert player.panel.coming.text() == "Training… (Page Down: finish now)"
    player.next()
    assert player.running is None and not s.training
    assert 0 < s.trainer.step_count < 100_000
    player.next()
    assert player.index == 1


def test_the_command_line_shows_a_scene_as_it_ends(window, qtbot) -> None:
    path, _ = lesson_path("vanishing-gradient")
    player = apply_lesson_cli(window, read_lesson(path), 5, run_steps=True)
    assert player is install(window)  # the one the window already has
    assert player.scene.title == "The product shrinks with depth"
    assert [r.hidden_layers for r in player.rows] == [2, 5, 10]
    assert window.session.experiment.layers == (1,) * 12
    check_table(player)
    other = resources.path("lessons", "initialisation.json")
    apply_lesson_cli(window, read_lesson(lesson_path(str(other))[0]), 1)
    assert player.scene.title == "Xavier (Glorot)" and window.session.trainer.step_count == 0


@pytest.mark.parametrize(("argv", "message"), [
    (["--lesson", "vanishing-gradient", "--scene", "12"], "--scene must be from 1 to 11"),
    (["--lesson", "nonsense"],
     "--lesson expects a lesson file or one of vanishing-gradient, dying-relu, exploding, "
     "initialisation, not-vanishing, other-cures, sigmoid-output"),
])
def test_bad_lesson_arguments_stop_before_any_window(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        plan(parse_args(["--screenshot", "never.png", *argv]), headless=True)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_lesson_panel_is_large_print_and_follows_the_zoom(window, player, qtbot) -> None:
    player.open_path(LESSONS[0])
    panel = player.panel
    base = app_pixels()
    assert font_pixels(panel.heading) >= 1.5 * base
    assert font_pixels(panel.body) >= 1.2 * base
    assert font_pixels(panel.table) >= 1.1 * base
    assert panel.body.textFormat() == Qt.TextFormat.PlainText
    before = font_pixels(panel.body)
    window.projector.set_zoom(2.0)  # the text grows with the zoom, its boost fades
    try:
        qtbot.waitUntil(lambda: font_pixels(panel.body) >= 1.5 * before)
        zoomed = app_pixels()
        assert font_pixels(panel.body) >= zoomed
        assert font_pixels(panel.heading) >= 1.3 * zoomed
    finally:
        window.projector.set_zoom(1.0)
    qtbot.waitUntil(lambda: font_pixels(panel.body) == before)


def test_the_depth_table_is_never_narrower_than_its_columns(window, player, qtbot) -> None:
    """At twice the zoom (24-px type on a small projector) the lesson column keeps room
    for every column of the depth table whole: "layer 1 ÷ output" lost 6 px at 1024×768."""
    player.open_path(LESSONS[0])
    for index in range(len(player.lesson.scenes)):  # to the scene with the depth table
        player.go_to(index)
        player.finish_scene()
        if len(player.rows) > 1:
            break
    panel = player.panel
    window.projector.set_zoom(2.0)
    try:
        table = panel.table
        qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() > 1)
        window.give_left_side(window.docks["lesson"], 0.05)  # as narrow as Qt allows
        qtbot.wait(50)
        header = table.horizontalHeader()
        fm = header.fontMetrics()
        for c in range(table.columnCount()):
            texts = [table.horizontalHeaderItem(c).text()]
            texts += [table.item(r, c).text() for r in range(table.rowCount())]
            need = max(fm.horizontalAdvance(line) for t in texts for line in t.split("\n"))
            assert header.sectionSize(c) >= need, texts[0]
        assert table.width() >= header.length()
    finally:
        window.projector.set_zoom(1.0)


def test_the_side_by_side_scene_opens_the_comparison_window(window, player, qtbot) -> None:
    from vanishgui.ui.compare.window import comparisons

    lesson = read_lesson(LESSONS[0])
    last = lesson.scenes[-1]
    (action,) = last.actions
    assert isinstance(action, CompareAction)
    player.start(lesson, last.index)
    player.next()
    qtbot.waitUntil(lambda: len(comparisons(window)) == 1)
    shown = comparisons(window)[0]
    try:
        assert len(shown.comparison.networks) == len(action.values)
        assert [n.hidden_activation.name for n in shown.comparison.networks] == \
            ["sigmoid", "relu"]
    finally:
        shown.close()


def test_the_controls_open_under_the_lesson_not_over_it(window, player, qtbot,
                                                       tmp_path: Path) -> None:
    doc = json.loads(LESSONS[0].read_text(encoding="utf-8"))
    doc["scenes"][0]["show"]["panels"] = ["controls"]
    path = tmp_path / "controls.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert player.open_path(path)
    qtbot.waitUntil(lambda: not window.docks["controls"].visibleRegion().isEmpty())
    assert not player.dock.visibleRegion().isEmpty()
    player.leave()
    assert not player.dock.isVisible() and window.docks["controls"].isVisible()
