"""Networks compared side by side: lockstep, the shared plots, the menu, files, the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QMessageBox, QToolBar

from vanishgui.cli.args import parse_args
from vanishgui.cli.gui import plan
from vanishgui.core.compare import load_comparison, make_comparison, save_comparison
from vanishgui.core.curves import layer_grad_mean_abs
from vanishgui.core.experiment import Experiment, load_experiment, parse_experiment
from vanishgui.core.explain import zero_gradient_layers
from vanishgui.core.numbers import num
from vanishgui.core.report import layer_rows
from vanishgui.core.training import History
from vanishgui.ui.compare.diagrams import best_grid
from vanishgui.ui.compare.menu import install
from vanishgui.ui.compare.window import (
    ComparisonWindow,
    comparisons,
    default_file_name,
    open_comparison,
    open_comparison_file,
    show_comparison_for_picture,
)
from vanishgui.ui.shell.theme import apply_theme

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def chain() -> Experiment:
    return load_experiment(EXAMPLES / "deep-chain-sigmoid.json")


def assert_same_history(got: History, want: History) -> None:
    assert got.total_steps == want.total_steps
    assert got.diverged_at_step == want.diverged_at_step
    assert got.steps.tobytes() == want.steps.tobytes()
    assert got.loss.tobytes() == want.loss.tobytes()
    assert got.accuracy.tobytes() == want.accuracy.tobytes()  # NaN bits compare too
    for name in History.PER_LAYER:
        assert got.layer(name).tobytes() == want.layer(name).tobytes(), name


def shown(qtbot, cw: ComparisonWindow) -> ComparisonWindow:
    apply_theme(QApplication.instance())  # as the app starts: light theme, zoom 1
    qtbot.addWidget(cw)
    cw.show()
    qtbot.waitExposed(cw)
    cw.activateWindow()
    cw.columns[0].panel.view.setFocus()
    return cw


@pytest.fixture
def three(qtbot) -> ComparisonWindow:
    cw = shown(qtbot, ComparisonWindow(make_comparison(chain(), "activation",
                                                       ["sigmoid", "tanh", "relu"])))
    yield cw
    cw.lockstep.pause()


def key(qtbot, cw, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(cw.columns[0].panel.view, k, mod)


def counts(cw) -> list[int]:
    return [s.trainer.step_count for s in cw.sessions]


# -- lockstep --------------------------------------------------------------------------------


def test_three_networks_train_100_steps_in_lockstep_as_each_would_alone(three, qtbot) -> None:
    cw = three
    assert cw.labels == ["Sigmoid", "Tanh", "ReLU"]
    seen: list[list[int]] = []
    cw.sessions[0].trained.connect(lambda _n: seen.append(counts(cw)))
    with qtbot.waitSignal(cw.lockstep.training_changed, timeout=30_000,
                          check_params_cb=lambda on: not on):
        cw.lockstep.train(100)
    assert counts(cw) == [100, 100, 100]
    assert seen and all(len(set(c)) == 1 for c in seen)  # equal whenever the views were told
    for session, experiment in zip(cw.sessions, cw.comparison.networks):
        alone = experiment.trainer()
        alone.train(100)
        assert_same_history(session.trainer.history, alone.history)
        for w, w_alone in zip(session.trainer.network.weights, alone.network.weights):
            assert w.tobytes() == w_alone.tobytes()


def test_keys_move_every_network_together(three, qtbot) -> None:
    cw = three
    key(qtbot, cw, Qt.Key.Key_T)
    assert counts(cw) == [1, 1, 1]
    update = cw.sessions[0].trace.phase_start["update"]
    assert [s.position for s in cw.sessions] == [update] * 3  # the new step's gradients
    key(qtbot, cw, Qt.Key.Key_Home)
    for k in (Qt.Key.Key_Right, Qt.Key.Key_N, Qt.Key.Key_PageDown):
        key(qtbot, cw, k)
    assert [s.position for s in cw.sessions] == [3, 3, 3]
    key(qtbot, cw, Qt.Key.Key_Left)
    key(qtbot, cw, Qt.Key.Key_P)
    assert [s.position for s in cw.sessions] == [1, 1, 1]
    key(qtbot, cw, Qt.Key.Key_End)
    assert all(s.player.at_end for s in cw.sessions)
    key(qtbot, cw, Qt.Key.Key_Home)
    assert [s.position for s in cw.sessions] == [0, 0, 0]
    key(qtbot, cw, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    forward_end = cw.sessions[0].trace.phase_range("forward")[1]
    assert [s.position for s in cw.sessions] == [forward_end] * 3
    key(qtbot, cw, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert [s.position for s in cw.sessions] == [0, 0, 0]
    key(qtbot, cw, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert cw.lockstep.training and cw.actions_by_name["train"].isChecked()
    qtbot.waitUntil(lambda: cw.lockstep.step_count >= 5, timeout=10_000)
    key(qtbot, cw, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert not cw.lockstep.training and not cw.actions_by_name["train"].isChecked()
    assert len(set(counts(cw))) == 1
    key(qtbot, cw, Qt.Key.Key_R)
    assert counts(cw) == [0, 0, 0]
    assert all(s.trainer.history.count == 0 for s in cw.sessions)
    assert cw.transport.steps.text() == "step 0"


def test_play_runs_every_network_to_the_end_of_its_step(three, qtbot) -> None:
    cw = three
    cw.transport.speed.setCurrentIndex(cw.transport.speed.count() - 2)  # 16×
    with qtbot.waitSignal(cw.lockstep.playing_changed, timeout=20_000,
                          check_params_cb=lambda on: not on):
        key(qtbot, cw, Qt.Key.Key_Space)
    assert all(s.player.at_end for s in cw.sessions)
    assert counts(cw) == [0, 0, 0]
    key(qtbot, cw, Qt.Key.Key_Right)  # past the end: every network commits its step
    assert counts(cw) == [1, 1, 1]
    assert [s.position for s in cw.sessions] == [0, 0, 0]


def test_networks_of_different_depths_step_through_their_own_events(qtbot) -> None:
    c = make_comparison(chain(), "depth", [2, 9])
    cw = shown(qtbot, ComparisonWindow(c))
    short, long = cw.sessions
    assert len(short.trace) < len(long.trace)
    assert not cw.shared_events and cw.columns[0].panel.title.isVisibleTo(cw.columns[0])
    for _ in range(len(short.trace) + 2):
        cw.lockstep.step_forward()
    assert short.player.at_end and not long.player.at_end
    assert counts(cw) == [0, 0]  # the short one waits for the long one
    n = len(short.trace)
    assert cw.transport.status.text() == f"events {n} of {n} · {n + 2} of {len(long.trace)}"
    cw.lockstep.to_end()
    cw.lockstep.step_forward()
    assert counts(cw) == [1, 1]


def test_training_stops_for_every_network_when_one_diverges(qtbot) -> None:
    doc = copy.deepcopy(chain().to_json())
    doc["training"]["learning_rate"] = 10.0
    doc["network"]["output_activation"] = "linear"
    c = make_comparison(parse_experiment(doc), "activation", ["sigmoid", "relu"])
    cw = shown(qtbot, ComparisonWindow(c))
    with qtbot.waitSignal(cw.lockstep.training_changed, timeout=30_000,
                          check_params_cb=lambda on: not on):
        cw.lockstep.train()
    sigmoid, relu = cw.sessions
    assert relu.diverged_at == 157 and sigmoid.diverged_at is None
    assert counts(cw) == [158, 158]
    assert cw.columns[1].panel.banner.isVisibleTo(cw.columns[1].panel)
    cw.gradients.flush()
    assert "diverged at step 157" in cw.gradients.readout.text()


# -- what the window shows ---------------------------------------------------------------------


def test_the_plots_show_the_core_numbers(three, qtbot) -> None:
    cw = three
    cw.lockstep.train_now(30)
    qtbot.waitUntil(lambda: not cw.gradients.dirty, timeout=5000)
    for s, values, curve, first, last in zip(cw.sessions, cw.gradients.values,
                                             cw.gradients.now_curves,
                                             cw.gradients.first_curves,
                                             cw.gradients.last_curves):
        want = layer_grad_mean_abs(s.current)
        assert values.tobytes() == want.tobytes()
        # (the items keep the values given; getData would be their log₁₀)
        assert np.array_equal(curve.xData, np.arange(1, 11))
        assert curve.yData.tobytes() == want.tobytes()
        h = s.trainer.history
        assert first.yData.tobytes() == h.layer("grad_mean_abs")[:, 0].tobytes()
        assert last.yData.tobytes() == h.layer("grad_mean_abs")[:, -1].tobytes()
        assert np.array_equal(first.xData, h.steps)
    text = cw.gradients.readout.text()
    for label, values in zip(cw.labels, cw.gradients.values):
        assert label in text and num(float(values[0])) in text
    assert [lab.toPlainText() for lab in cw.gradients.value_labels] == [
        num(float(v[0])) for v in cw.gradients.values]
    assert cw.gradients.now_header.text() == "Gradient per layer at step 30 (log scale)"
    # sigmoid's first layer gets decades less than ReLU's: the point of the picture
    assert cw.gradients.values[0][0] < 1e-3 * cw.gradients.values[2][0]
    assert cw.transport.steps.text() == "step 30"
    update = cw.sessions[0].trace.phase_start["update"]
    assert cw.transport.status.text() == f"event {update} of {len(cw.sessions[0].trace)}"


def test_a_wide_chain_gets_rows_and_a_squarer_network_columns() -> None:
    assert best_grid(2, 1600, 420, 3650, 464, 41, 45, 180) == (2, 1)
    assert best_grid(4, 1600, 420, 2750, 2494, 41, 45, 180) == (1, 4)
    assert best_grid(4, 1000, 1000, 1000, 1000, 41, 45, 180) == (2, 2)


def test_the_window_is_titled_with_its_networks(three) -> None:
    assert three.windowTitle() == "Compare activation: Sigmoid vs Tanh vs ReLU — vanishgui"
    assert all(f"&nbsp;{label}" in c.header.text()
               for c, label in zip(three.columns, three.labels))
    # the shared title says what each column's would (the start's hint with it, once)
    assert three.event_title.text().startswith(three.columns[0].panel.title.text())
    three.lockstep.step_forward()
    assert three.event_title.text() == three.columns[0].panel.title.text()


def test_each_network_is_headed_by_its_loss_once_the_forward_pass_reaches_it(three) -> None:
    """A long chain's loss box is drawn small; its header says the same loss, large."""
    lock = three.lockstep
    lock.to_start()
    assert [c.loss_text() for c in three.columns] == ["loss ?"] * 3
    assert all("loss ?" in c.header.text() for c in three.columns)
    lock.train_now(20)  # shown at the end of the backward pass: the loss is known
    for c in three.columns:
        want = f"loss {num(c.session.current.loss)}"
        assert c.loss_text() == want and want in c.header.text()
    losses = {c.session.current.loss for c in three.columns}
    assert len(losses) == 3  # three activations, three different losses


# -- the main window's Compare menu --------------------------------------------------------------


@pytest.fixture
def installed(window):
    install(window)
    return window


def test_the_compare_menu_and_toolbar_button(installed, qtbot) -> None:
    w = installed
    titles = [a.text() for a in w.menu("Compare").actions() if a.text()]
    assert titles == ["Compare with… ReLU", "Compare with… Tanh", "Compare with… Sigmoid",
                      "Compare with… Leaky ReLU", "Compare with… GELU",
                      "Sigmoid vs ReLU, deep chain",
                      "Compare initialisers (normal(1), Xavier, He)",
                      "Compare depths (2, 5, 8 hidden layers)",
                      "Compare residual: off, every 2", "Compare norm: none, batch, layer",
                      "Compare clipping: off, max norm 1",
                      "Open comparison…", "Save comparison…"]
    assert not w.actions_by_name["compare_sigmoid"].isEnabled()  # the classic is sigmoid
    # the classic's one sample cannot take batch norm; its width-1 layers take skips
    norm = w.actions_by_name["compare_norm"]
    assert not norm.isEnabled() and "batch" in norm.toolTip()
    assert w.actions_by_name["compare_residual"].isEnabled()
    assert w.actions_by_name["compare_clip"].isEnabled()
    # The toolbar opens the comparison where it teaches: the deep chain, not the classic
    # (whose ReLU copy is dead, w₂ < 0), and the open network stays as it is (issue 12).
    bar = w.findChild(QToolBar, "compareToolBar")
    assert bar is not None and bar.actions() == [w.actions_by_name["compare_deep_chain"]]
    before = w.session.experiment
    w.actions_by_name["compare_deep_chain"].trigger()
    (cw,) = comparisons(w)
    qtbot.addWidget(cw)
    assert w.session.experiment is before
    assert cw.labels == ["Sigmoid", "ReLU"]
    assert [n.activations[0].name for n in cw.comparison.networks] == ["sigmoid", "relu"]
    assert [n.depth - 1 for n in cw.comparison.networks] == [9, 9]
    assert cw.size() == w.size()
    rows = [layer_rows(c.session.current) for c in cw.columns]
    assert rows[0][0]["ratio"] < 1e-5 < 1 < rows[1][0]["ratio"]  # the lesson, not a dead net
    assert not any("Dead network" in c.header.text() for c in cw.columns)


def test_the_cures_menu_opens_a_residual_comparison(installed, qtbot) -> None:
    w = installed
    w.session.set_experiment(load_experiment(EXAMPLES / "deep-chain-sigmoid.json"))
    w.actions_by_name["compare_residual"].trigger()
    (cw,) = comparisons(w)
    qtbot.addWidget(cw)
    assert cw.labels == ["No skips", "Skips every 2"]
    assert [n.residual for n in cw.comparison.networks] == [None, 2]
    rows = [layer_rows(c.session.current) for c in cw.columns]
    assert rows[1][0]["ratio"] > 100 * rows[0][0]["ratio"]  # the +1 path reaches layer 1


def test_a_dead_network_is_labelled_in_words(installed, qtbot) -> None:
    """On the classic example the ReLU copy is dead (w₂ < 0 makes relu(z₂) = 0): its header says
    so, from the core's zero-gradient layers."""
    w = installed
    w.actions_by_name["compare_relu"].trigger()
    (cw,) = comparisons(w)
    qtbot.addWidget(cw)
    sig, relu = cw.columns
    # relu(z₂) = 0: nothing passes back through layer 2, and the output's input is 0
    assert zero_gradient_layers(relu.session.current) == (1, 2, 3)
    assert zero_gradient_layers(sig.session.current) == ()
    assert "<b>Dead network</b>: layers 1–3 get exactly 0 gradient and cannot learn" \
        in relu.header.text()
    assert "Dead network" not in sig.header.text()


def test_compare_depths_follows_the_open_experiment(installed, qtbot) -> None:
    w = installed
    w.session.set_experiment(chain())
    act = w.actions_by_name["compare_depths"]
    assert act.isEnabled() and act.text() == "Compare depths (1, 4, 9 hidden layers)"
    w.session.set_experiment(load_experiment(EXAMPLES / "deep-chain-relu.json"))
    assert not w.actions_by_name["compare_relu"].isEnabled()
    assert w.actions_by_name["compare_sigmoid"].isEnabled()
    act.trigger()
    (cw,) = comparisons(w)
    qtbot.addWidget(cw)
    assert [n.depth - 1 for n in cw.comparison.networks] == [1, 4, 9]


def test_open_comparison_for_a_lesson(window, qtbot) -> None:
    cw = open_comparison(window, chain(), "init", [{"scheme": "normal", "std": 1}, "he_normal"])
    qtbot.addWidget(cw)
    assert cw.isVisible() and cw.labels == ["Normal (std 1)", "He normal"]
    bad = open_comparison(window, chain(), "activation", ["relu", "relu"])
    assert bad is None
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "values[1]" in box.text()
    assert comparisons(window) == [cw]


def test_a_bad_comparison_file_gets_a_dialog_and_keeps_what_is_open(installed, qtbot,
                                                                     tmp_path) -> None:
    w = installed
    good = tmp_path / "good.comparison.json"
    save_comparison(good, make_comparison(chain(), "activation", ["sigmoid", "relu"]))
    cw = open_comparison_file(w, good)
    qtbot.addWidget(cw)
    assert cw.path == good
    doc = json.loads(good.read_text(encoding="utf-8"))
    doc["values"][1] = "relu7"
    bad = tmp_path / "bad.comparison.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert open_comparison_file(w, bad) is None
    box = w.findChild(QMessageBox, "errorDialog")
    qtbot.waitUntil(box.isVisible)
    assert str(bad) in box.text() and "values[1]" in box.text()
    assert "\n" not in box.text()
    assert comparisons(w) == [cw]
    assert w.session.experiment.layers == (1, 1, 1, 1)  # the main window's is untouched


def test_save_comparison_writes_the_set_up(three, tmp_path) -> None:
    path = tmp_path / "three.comparison.json"
    three.lockstep.train_now(3)
    assert three.save(path)
    loaded = load_comparison(path)
    assert loaded.setting == "activation" and loaded.labels == ("Sigmoid", "Tanh", "ReLU")
    assert loaded.base.to_json() == three.comparison.base.to_json()  # the start, not step 3
    assert not three.save(tmp_path / "missing-folder" / "x.json")
    assert "missing-folder" in three.last_error and "unchanged" in three.last_error


def test_a_first_save_is_offered_a_name_from_the_networks() -> None:
    assert default_file_name(["Sigmoid", "ReLU"]) == "sigmoid-vs-relu.comparison.json"
    assert default_file_name(["Normal (std 1)", "He normal"]) == (
        "normal-std-1-vs-he-normal.comparison.json")


def test_save_comparison_without_one_open_says_so(installed) -> None:
    installed.actions_by_name["save_comparison"].trigger()
    assert installed.last_error.startswith("Open one first")


# -- the screenshot's command line ---------------------------------------------------------------


def test_a_comparison_picture_trains_then_draws(window, qtbot) -> None:
    window.session.set_experiment(chain())
    comparison = make_comparison(chain(), "activation", ["sigmoid", "relu"])
    cw = show_comparison_for_picture(window, comparison, ("trained", 40))
    qtbot.addWidget(cw)
    assert counts(cw) == [40, 40]
    assert not cw.gradients.dirty
    assert cw.gradients.now_header.text() == "Gradient per layer at step 40 (log scale)"
    assert cw.diagrams.shape == (2, 1)  # two long chains: a row each
    assert not cw.grab().isNull()


BAD_SPECS = (
    ("colour:red,blue", None, "--compare: expects"),
    ("activation", None, "--compare: expects"),
    ("activation:relu", None, "values"),
    ("depth:one,two", None, "whole numbers"),
    ("activation:sigmoid,relu", "trained:x", "--at: expects"),
    ("activation:sigmoid,relu", "sideways:3", "--at: expects"),
)


def test_bad_compare_arguments_stop_before_any_window(window, capsys) -> None:
    for spec, at, message in BAD_SPECS:
        argv = ["--screenshot", "never.png", "--compare", spec, *(["--at", at] if at else [])]
        with pytest.raises(SystemExit) as stop:
            plan(parse_args(argv), headless=True)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert message in err, (spec, at, err)
    assert comparisons(window) == []


def test_a_comparison_opened_in_projector_mode_takes_its_look(window, qtbot) -> None:
    window.projector.enter()
    try:
        cw = open_comparison(window, chain(), "activation", ["sigmoid", "relu"])
        qtbot.addWidget(cw)
        assert cw.projector and cw.gradients.projector and cw.isFullScreen()
        # as the main window's: no menu bar (shortcuts stay), no status line, one row
        assert not cw.menuBar().isVisible()
        assert not cw.transport.status.isVisible() and cw.transport.steps.isVisible()
        cw.activateWindow()
        cw.columns[0].panel.view.setFocus()
        qtbot.waitUntil(cw.isActiveWindow)
        key(qtbot, cw, Qt.Key.Key_Right)
        assert cw.sessions[0].position == 1
    finally:
        window.projector.leave()
    assert not cw.projector and not cw.gradients.projector
    assert cw.menuBar().isVisible() and cw.transport.status.isVisible()


def test_the_plots_keep_their_height_and_the_readout_folds_first(three, qtbot) -> None:
    """A short window: the splitter cannot squash the plots under MIN_VIEW_PX (they were
    4 and 26 px on a 1024×768 projector); the readout, which repeats the values beside
    the layer-1 points, folds away instead, and comes back with the room."""
    from vanishgui.ui.plots.base import MIN_VIEW_PX

    g = three.gradients
    three.resize(1000, 900)
    total = sum(three.splitter.sizes())
    three.splitter.setSizes([total, 0])  # the diagrams ask for everything
    qtbot.waitUntil(lambda: g.readout.isHidden())
    assert g.height() >= g.plots_height()
    for plot in (g.now_plot, g.train_plot):
        assert plot.getViewBox().height() >= MIN_VIEW_PX
    three.resize(1000, 1200)
    three.share_height()  # as the window does when first shown: the readout's room too
    qtbot.waitUntil(lambda: not g.readout.isHidden())


def test_the_layer_one_values_and_the_last_tick_stay_inside_the_plot(three, qtbot) -> None:
    """Read back after a resize: each value label lies inside the view box (a range
    worked out for the old width cut "8.56e−7" to ".56e−7"), and so does "out"."""
    g = three.gradients
    for width in (1400, 700):
        three.resize(width, 900)
        g.flush()
        qtbot.wait(50)
        view = g.now_plot.getViewBox()
        inside = view.sceneBoundingRect()
        for label in g.value_labels:
            box = label.mapRectToScene(label.boundingRect())
            assert inside.left() <= box.left() and box.right() <= inside.right(), width
        x0, x1 = view.viewRange()[0]
        widest = max(len(v) for v in g.values)
        axis = g.now_plot.getAxis("bottom")
        half = QFontMetrics(axis.style.get("tickFont") or axis.font()).horizontalAdvance(
            "out") / 2
        assert (x1 - widest) / (x1 - x0) * view.width() >= half, width


def test_a_comparison_says_its_start_once_not_in_every_column(three) -> None:
    three.lockstep.to_start()
    assert three.event_title.text().startswith("Ready. Press")
    assert all(c.panel.formula.isHidden() for c in three.columns)
    three.lockstep.step_forward()
    assert not any(c.panel.formula.isHidden() for c in three.columns)
