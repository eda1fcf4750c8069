"""The diagnosis in the window (issue 13): the strip under the diagram says what the core
finds, "Show me" selects the evidence and brings its plot forward, a comparison's
headers name each network's findings, and a lesson scene shows the finding it is about."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.diagnosis import diagnose, layer_list
from vanishgui.core.experiment import load_experiment, parse_experiment
from vanishgui.ui.model import palette
from vanishgui.ui.model.findings import NAMES, line
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.shell.theme import apply_theme

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def opened(qtbot, experiment, size=(1900, 1000)):
    apply_theme(QApplication.instance())
    w = build_window(Session(experiment), restore=False)
    qtbot.addWidget(w)
    w.picture_size = size  # the layout a screen of this size gets
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.arrange()
    return w


def saturated():
    """The issue's case: ReLU layers of weight 3, target 0, a sigmoid output at 1.0."""
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [1] * 21, "hidden_activation": "relu",
                    "output_activation": "sigmoid", "weights": [[[3.0]]] * 20,
                    "biases": [[0.0]] * 20},
        "data": {"inputs": [[1.0]], "targets": [[0.0]]},
        "training": {"loss": "bce", "learning_rate": 0.1}})


def front(w, name):
    dock = w.docks[f"plot_{name}"]
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def test_the_strip_says_what_the_core_finds_in_full_on_a_wide_screen(qtbot) -> None:
    w = opened(qtbot, load_experiment(EXAMPLES / "deep-chain-sigmoid.json"))
    assert w.layout_name == "wide"
    s = w.session
    want = diagnose(s.current, s.trainer.history)
    assert [f.kind for f in want] == ["vanishing"]
    strip = w.diagram.strip
    assert strip.isVisibleTo(w) and strip.findings == want
    assert strip.lines() == [line(want[0])]
    shown = strip.rows[0][0].text()
    assert "Vanishing gradient." in shown and "∂L/∂W" in shown and "1/" in shown
    # under the diagram's view, not over its title
    assert strip.geometry().top() > w.diagram.view.geometry().bottom()


def test_a_laptop_or_projector_strip_is_one_short_line_with_the_sentence_as_tooltip(
        qtbot) -> None:
    w = opened(qtbot, load_experiment(EXAMPLES / "deep-chain-sigmoid.json"), (1366, 768))
    assert w.layout_name == "laptop"
    strip = w.diagram.strip
    [f] = strip.findings
    label = strip.rows[0][0]
    assert strip.lines() == [f"Vanishing gradient ({layer_list(f.layers)})"]
    assert label.toolTip() == line(f)
    assert label.heightForWidth(label.width()) <= 1.6 * label.fontMetrics().lineSpacing()


def test_show_me_on_a_vanishing_gradient_selects_layer_1_and_outlines_its_bar(qtbot) -> None:
    w = opened(qtbot, load_experiment(EXAMPLES / "deep-sigmoid-circles.json"))
    w.show_panel("dact")
    assert not front(w, "flow")
    strip = w.diagram.strip
    assert strip.findings[0].kind == "vanishing"
    qtbot.mouseClick(strip.rows[0][1], Qt.MouseButton.LeftButton)
    assert w.session.selection == Selection(1, 0)
    assert front(w, "flow")
    flow = w.plots.panels["flow"]
    flow.flush()
    pens = flow.bars.opts["pens"]
    assert pens[0].color().name() == palette.SELECTION.name()  # layer 1's bar, read back
    assert all(p.color().name() != palette.SELECTION.name() for p in pens[1:])


def test_show_me_on_a_saturated_output_rings_the_output_neurons_slope(qtbot) -> None:
    w = opened(qtbot, saturated())
    strip = w.diagram.strip
    assert [f.kind for f in strip.findings] == ["saturated-output"]
    assert w.action("show_evidence").shortcut().toString() == "D"
    w.activateWindow()
    w.diagram.view.setFocus()
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w.diagram.view, Qt.Key.Key_D)  # D: the first line's Show me
    assert w.session.selection == Selection(20, 0)
    assert front(w, "dact")
    dact = w.plots.panels["dact"]
    dact.flush()
    x, y = dact.selected_mark.getData()
    assert list(y) == [float(w.session.current.dact[-1][0][0])] == [0.0]
    assert abs(x[0] - 20) < 0.5  # the output layer's column


def test_show_me_on_dead_units_selects_a_dead_one(qtbot) -> None:
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2, 4, 4, 1], "hidden_activation": "relu",
                       "weights": [[[1.0, 1.0]] * 4, [[1.0] * 4] * 4, [[0.5] * 4]],
                       "biases": [[0.0] * 4, [1.0, -100.0, -100.0, 1.0], [0.0]]},
           "data": {"inputs": [[1.0, 0.5], [0.5, 1.0]], "targets": [[1.0], [0.0]]},
           "training": {"loss": "squared", "learning_rate": 0.1}}
    w = opened(qtbot, parse_experiment(doc))
    [f] = [f for f in w.diagram.strip.findings if f.kind == "dead-units"]
    w.show_evidence(f)
    assert w.session.selection == Selection(2, 1)  # unit 2 of layer 2, dead for both
    assert not w.session.current.dact[1][:, 1].any()


def test_training_updates_the_strip_and_tiny_steps_show_the_weight_changes(qtbot) -> None:
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2, 4, 1], "hidden_activation": "tanh"},
           "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
                    "targets": [[0.2], [0.8], [0.8], [0.2]]},
           "training": {"loss": "squared", "learning_rate": 1e-9}}
    w = opened(qtbot, parse_experiment(doc))
    strip = w.diagram.strip
    assert strip.findings == [] and not strip.isVisibleTo(w)  # never from a preview
    w.session.train_step()
    qtbot.waitUntil(lambda: strip.isVisibleTo(w))
    assert [f.kind for f in strip.findings] == ["tiny-steps"]
    w.show_evidence(strip.findings[0])
    assert front(w, "updates")
    w.session.reset()
    qtbot.waitUntil(lambda: not strip.isVisibleTo(w))


def test_a_comparison_heads_each_network_with_its_findings(qtbot) -> None:
    from vanishgui.core.compare import make_comparison
    from vanishgui.ui.compare.window import ComparisonWindow

    apply_theme(QApplication.instance())
    base = load_experiment(EXAMPLES / "deep-sigmoid-circles.json")
    cw = ComparisonWindow(make_comparison(base, "activation", ["sigmoid", "relu"]))
    qtbot.addWidget(cw)
    cw.show()
    sigmoid, relu = cw.columns
    found = sigmoid.session.diagnosis()
    assert [f.kind for f in found] == ["vanishing"]
    assert f"vanishing gradient ({layer_list(found[0].layers)})" in sigmoid.header.text()
    assert line(found[0]) in sigmoid.header.toolTip()
    assert relu.session.diagnosis() == [] and "gradient (" not in relu.header.text()
    assert not sigmoid.panel.strip.isVisible()  # said once, in the header


def test_a_lesson_scene_shows_the_finding_it_is_about(window, qtbot) -> None:
    from vanishgui.ui.lesson.player import LessonPlayer, builtin_lessons

    player = window.findChild(LessonPlayer)
    player.open_path(builtin_lessons()[0])
    scene = next(s for s in player.lesson.scenes if s.finding)
    assert scene.finding == "vanishing"
    player.go_to(scene.index)
    panel = player.panel
    assert not panel.finding.isVisible()  # not before the scene's actions ran
    player.finish_scene()
    [f] = [f for f in window.session.diagnosis() if f.kind == "vanishing"]
    assert panel.finding.isVisible()
    assert panel.finding.text() == f"The diagnosis: {line(f)}"
    assert NAMES[f.kind] in panel.finding.text()


def test_beside_a_lesson_on_a_narrow_screen_the_strip_gives_way_to_the_lessons_line(
        qtbot) -> None:
    """At 1024×768 the plots go under the diagram beside the lesson; the strip's 24-px
    lines left them under 160 px, and the lesson's column says the scene's finding."""
    from vanishgui.ui.lesson.player import LessonPlayer, builtin_lessons

    w = opened(qtbot, load_experiment(EXAMPLES / "deep-chain-sigmoid.json"), (1024, 768))
    strip = w.diagram.strip
    assert strip.isVisible()  # vanishing, without a lesson
    player = w.findChild(LessonPlayer)
    player.open_path(builtin_lessons()[0])
    scene = next(s for s in player.lesson.scenes if s.finding)
    player.go_to(scene.index)
    player.finish_scene()
    assert w.session.diagnosis() and not strip.isVisible()
    assert player.panel.finding.isVisible()
    player.leave()
    assert strip.isVisible() and strip.lines()


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_every_kind_has_a_name_and_a_plot(kind) -> None:
    from vanishgui.core.diagnosis import KINDS
    from vanishgui.ui.model.findings import PANEL
    from vanishgui.ui.plots import PANELS

    assert kind in KINDS and PANEL[kind] in PANELS
    assert set(NAMES) == set(KINDS) == set(PANEL)
