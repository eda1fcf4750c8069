"""The main window on the classic example: every number shown equals the core's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.core.numbers import num
from vanishgui.core.trace import Trace
from vanishgui.ui.diagram.view import LEGEND
from vanishgui.ui.model import palette
from vanishgui.ui.model.describe import status_line
from vanishgui.ui.model.session import Selection


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.diagram.view, k, mod)


def label_text(window, layer: int) -> str:
    return window.diagram.scene.labels[layer][0].text()


def shown_state(window) -> dict:
    """Everything the window shows that depends on the player's position."""
    scene = window.diagram.scene
    return {
        "labels": [lab.text() for row in scene.labels for lab in row],
        "fills": [c.name() for item in scene.neuron_items for c in item.fills],
        "status": window.transport.status.text(),
        "title": window.diagram.title.text(),
        "formula": window.diagram.formula.text(),
        "loss": scene.loss_box.text,
        "edges": [item.weights.copy() for item in scene.edge_items],
    }


def test_opens_on_the_classic_example(window):
    exp = window.session.experiment
    assert exp.layers == (1, 1, 1, 1)
    assert [a.name for a in exp.activations] == ["sigmoid"] * 3
    scene = window.diagram.scene
    assert [len(i.centres) for i in scene.neuron_items] == [1, 1, 1, 1]
    assert len(scene.edge_items) == 3
    assert window.transport.status.text() == "Ready · event 0 of 13"
    assert label_text(window, 0) == "x = 0.5"


def test_every_event_shows_the_core_numbers_and_rewinds_exactly(window, qtbot):
    s = window.session
    p = s.current
    trace = Trace(p.network.layers)
    first = shown_state(window)
    for k in range(len(trace)):
        key(qtbot, window, Qt.Key.Key_Right)
        assert s.position == k + 1
        e = trace[k]
        assert window.transport.status.text() == status_line(trace, k + 1)
        formula = window.diagram.formula.text()
        rv = s.reveal()
        for i in range(p.depth):
            text = label_text(window, i + 1)
            if rv.forward[i]:
                assert f"z = {num(p.z[i][0, 0])}" in text
                assert f"a = {num(p.a[i][0, 0])}" in text
            else:
                assert text == ""
            if rv.delta[i]:
                assert f"σ'(z) = {num(p.dact[i][0, 0])}" in text
                assert f"δ = {num(p.delta[i][0, 0])}" in text
            else:
                assert "δ" not in text
        if e.kind == "forward":
            assert formula.endswith(f"a = Sigmoid(z) = {num(p.a[e.layer - 1][0, 0])}")
            assert f"= {num(p.z[e.layer - 1][0, 0])}" in formula
        elif e.kind == "loss":
            assert f"L = {num(p.loss)}" in formula
            assert num(p.loss) in window.diagram.scene.loss_box.text
        elif e.kind == "delta":
            assert f"= {num(p.delta[e.layer - 1][0, 0])}" in formula
        elif e.kind == "gradient":
            assert num(p.grad_weights[e.layer - 1][0, 0]) in formula
        else:
            assert num(p.update.weights[e.layer - 1][0, 0]) in formula
            shown = window.diagram.scene.edge_items[e.layer - 1].weights
            assert shown[0, 0] == p.update.weights[e.layer - 1][0, 0]
        # the neuron of a forward/delta event is coloured by its value once shown
        if e.kind == "delta":
            window.diagram.scene._finish_fade()
            fill = window.diagram.scene.neuron_items[e.layer].fills[0]
            assert fill.name() == palette.delta_color(p.delta[e.layer - 1][0, 0]).name()
    assert s.position == len(trace)
    for _ in range(len(trace)):
        key(qtbot, window, Qt.Key.Key_Left)
    assert s.position == 0
    window.diagram.scene._finish_fade()
    back = shown_state(window)
    assert back["labels"] == first["labels"]
    assert back["fills"] == first["fills"]
    assert back["status"] == first["status"]
    assert back["loss"] == first["loss"]
    for a, b in zip(back["edges"], first["edges"]):
        np.testing.assert_array_equal(a, b)


def test_inspector_shows_the_clicked_neuron(window, qtbot):
    s = window.session
    s.to_end()
    s.select(Selection(2, 0))
    r = window.inspector.report
    p = s.current
    assert r is not None
    assert (r.z, r.a, r.dact, r.delta) == (
        p.z[1][0, 0], p.a[1][0, 0], p.dact[1][0, 0], p.delta[1][0, 0])
    assert window.inspector.table.item(0, 1).text() == num(p.network.weights[1][0, 0])
    assert window.inspector.table.item(0, 2).text() == num(p.grad_weights[1][0, 0])
    assert f"δ = {num(p.delta[1][0, 0])}" in window.inspector.values.text()


def _click_scene(qtbot, window, point: QPointF) -> None:
    view = window.diagram.view
    pos: QPoint = view.mapFromScene(point)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_clicking_w1_shows_its_chain_rule_product(window, qtbot):
    lay = window.diagram.scene.layout
    a, b = lay.position(0, 0), lay.position(1, 0)
    _click_scene(qtbot, window, (a + b) / 2)
    s = window.session
    assert s.selection == Selection(1, 0, 0)
    rule = window.ledger.rule
    grad = s.current.grad_weights[0][0, 0]
    assert rule is not None and rule.product is not None
    assert abs(rule.product - grad) <= 1e-12 * abs(grad)
    # the ledger lists 7 factors: ∂L/∂ŷ, then σ' and w for each later layer, σ'(z₁), x
    table = window.ledger.table
    assert table.rowCount() == 7
    assert table.item(6, 3).text() == num(rule.product)
    assert [table.item(r, 2).text() for r in (1, 3, 5)] == ["0.25"] * 3
    # every σ' factor is at most 0.25 and the running product shrinks in magnitude
    dacts = [f.value for f in rule.factors if f.kind == "dact"]
    assert all(0 < d <= 0.25 for d in dacts)


def test_clicking_a_neuron_selects_it(window, qtbot):
    _click_scene(qtbot, window, window.diagram.scene.layout.position(3, 0))
    assert window.session.selection == Selection(3, 0)


@pytest.mark.parametrize(
    ("keys", "mod", "expected"),
    [
        ((Qt.Key.Key_Right,), Qt.KeyboardModifier.NoModifier, 1),
        ((Qt.Key.Key_N,), Qt.KeyboardModifier.NoModifier, 1),
        ((Qt.Key.Key_PageDown,), Qt.KeyboardModifier.NoModifier, 1),
        ((Qt.Key.Key_End,), Qt.KeyboardModifier.NoModifier, 13),
        ((Qt.Key.Key_End, Qt.Key.Key_Left), Qt.KeyboardModifier.NoModifier, 12),
        ((Qt.Key.Key_End, Qt.Key.Key_P), Qt.KeyboardModifier.NoModifier, 12),
        ((Qt.Key.Key_End, Qt.Key.Key_PageUp), Qt.KeyboardModifier.NoModifier, 12),
        ((Qt.Key.Key_End, Qt.Key.Key_Home), Qt.KeyboardModifier.NoModifier, 0),
        ((Qt.Key.Key_Right,), Qt.KeyboardModifier.ShiftModifier, 3),  # end of forward
        ((Qt.Key.Key_Right, Qt.Key.Key_Right), Qt.KeyboardModifier.ShiftModifier, 4),  # loss
    ],
)
def test_step_shortcuts(window, qtbot, keys, mod, expected):
    for k in keys:
        m = mod if k in (Qt.Key.Key_Right, Qt.Key.Key_Left) else Qt.KeyboardModifier.NoModifier
        key(qtbot, window, k, m)
    assert window.session.position == expected


def test_previous_phase_shortcut(window, qtbot):
    window.session.seek(6)  # inside backward
    key(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert window.session.position == 4  # start of backward


def test_space_plays_and_pauses(window, qtbot):
    s = window.session
    s.set_speed(16.0)
    key(qtbot, window, Qt.Key.Key_Space)
    assert s.playing
    qtbot.waitUntil(lambda: s.position >= 2, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not s.playing
    stopped = s.position
    qtbot.wait(150)
    assert s.position == stopped


def test_play_runs_to_the_end_of_the_step(window, qtbot):
    s = window.session
    s.set_speed(float("inf"))
    with qtbot.waitSignal(s.playing_changed, timeout=3000, check_params_cb=lambda v: not v):
        key(qtbot, window, Qt.Key.Key_Space)
    assert s.position == len(s.trace)


def test_train_reset_shortcuts(window, qtbot):
    s = window.session
    w0 = [w.copy() for w in s.trainer.network.weights]
    key(qtbot, window, Qt.Key.Key_T)
    assert s.trainer.step_count == 1
    ref = classic().trainer()
    ref.step()
    for a, b in zip(ref.network.weights, s.trainer.network.weights):
        np.testing.assert_array_equal(a, b)
    assert s.position == s.trace.phase_start["update"]
    key(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert s.training
    qtbot.waitUntil(lambda: s.trainer.step_count > 50, timeout=5000)
    key(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert not s.training
    key(qtbot, window, Qt.Key.Key_R)
    assert s.trainer.step_count == 0
    for a, b in zip(w0, s.trainer.network.weights):
        np.testing.assert_array_equal(a, b)


def test_stepping_past_the_end_commits_the_step(window, qtbot):
    s = window.session
    key(qtbot, window, Qt.Key.Key_End)
    key(qtbot, window, Qt.Key.Key_Right)
    assert s.trainer.step_count == 1
    assert s.position == 0


def test_a_malformed_file_leaves_the_experiment_loaded(window, qtbot, tmp_path):
    before = window.session.experiment
    window.session.train_step()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "vanishgui-experiment", "version": 1, "network": {"layers": '
                   '[1, 10000, 1]}, "data": {"inputs": [[0.5]], "targets": [[1]]}, '
                   '"training": {"loss": "squared", "learning_rate": 0.5}}')
    assert not window.open_path(bad)
    assert window.session.experiment is before
    assert window.session.trainer.step_count == 1
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "network.layers[1]" in boxes[0].text()
    assert "10000" in boxes[0].text()
    for b in boxes:
        b.close()


def test_open_and_save_round_trip(window, tmp_path):
    s = window.session
    s.train_step()
    path = tmp_path / "saved.vanishgui.json"
    assert window.save_to(path)
    doc = json.loads(path.read_text())
    assert doc["network"]["weights"][0] == s.trainer.network.weights[0].tolist()
    window.on_new()
    assert window.open_path(path)
    for a, b in zip(s.trainer.network.weights, s.experiment.build_network().weights):
        np.testing.assert_array_equal(a, b)


def test_controls_rebuild_the_diagram(window, qtbot):
    c = window.controls
    c.hidden_layers.setValue(5)
    c.width.setValue(4)
    with qtbot.waitSignal(window.session.experiment_changed, timeout=2000):
        pass
    scene = window.diagram.scene
    assert [len(i.centres) for i in scene.neuron_items] == [1, 4, 4, 4, 4, 4, 1]
    assert len(scene.edge_items) == 6
    assert sum(i.weights.size for i in scene.edge_items) == 4 + 4 * 16 + 4
    assert sum(i.shown_edges for i in scene.edge_items) == 4 + 4 * 16 + 4
    c.hidden_act.combo.setCurrentIndex(c.hidden_act.combo.findData("relu"))
    with qtbot.waitSignal(window.session.experiment_changed, timeout=2000):
        pass
    assert [a.name for a in window.session.experiment.activations] == ["relu"] * 5 + ["sigmoid"]
    assert "ReLU" in scene.headers[1].text()


def test_controls_refuse_what_the_core_refuses(window, qtbot):
    c = window.controls
    c.output_act.combo.setCurrentIndex(c.output_act.combo.findData("relu"))
    assert c.apply() is not None  # relu output with squared loss is fine
    before = window.session.experiment
    c.loss.setCurrentIndex(c.loss.findData("bce"))
    assert c.apply() is None
    assert "bce needs outputs between 0 and 1" in c.error.text()
    assert window.session.experiment is before


def test_a_wide_network_draws_batched_edges(qtbot):
    from vanishgui.cli.window import build_window
    from vanishgui.ui.model.session import Session

    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2] + [64] * 8 + [1], "hidden_activation": "tanh"},
           "data": {"dataset": "circles", "samples": 32},
           "training": {"loss": "mse", "learning_rate": 0.1}}
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    scene = w.diagram.scene
    assert len(scene.edge_items) == 9  # one item per layer pair, not one per edge
    assert not scene.layout.small and scene.labels == []
    assert "layer 3, neuron 5" in scene.neuron_tooltip(3, 4)


def test_while_training_the_edges_are_redrawn_a_bounded_share_at_a_time(qtbot, monkeypatch):
    """63 layer pairs of 256×256 weights cost ~90 ms to redraw; while training runs each
    redraw does at most EDGE_BUDGET_S of that and the rest follows on the next ticks, in
    turn, until every layer pair shows the current weights."""
    from vanishgui.cli.window import build_window
    from vanishgui.ui.diagram import scene as scene_module
    from vanishgui.ui.model.session import Session

    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2] + [256] * 63 + [1], "hidden_activation": "relu"},
           "data": {"dataset": "circles", "samples": 16},
           "training": {"loss": "bce", "learning_rate": 0.001}}
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    scene = w.diagram.scene
    s = w.session
    s.train_now(1)
    monkeypatch.setattr(scene_module, "EDGE_BUDGET_S", 0.002)
    monkeypatch.setattr(type(s), "training", property(lambda self: True))
    scene._on_pass_changed()
    scene.refresh()
    assert 0 < len(scene._stale_edges) < 63  # some done, the rest waiting
    assert scene._throttle.isActive()  # and asked for
    qtbot.waitUntil(lambda: not scene._stale_edges, timeout=10_000)
    for item, w_now in zip(scene.edge_items, s.current.network.weights):
        np.testing.assert_array_equal(item.weights, w_now)


def test_a_large_network_says_which_weights_its_lines_show(qtbot, window):
    """63 hidden layers of 256 hold 4,064,000 weights; the diagram draws the strongest of each
    layer pair and says how many, in numbers that are the lines' own count."""
    from vanishgui.cli.window import build_window
    from vanishgui.ui.model.session import Session

    assert window.diagram.drawn.isHidden()  # the classic chain: every weight is a line
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2] + [256] * 63 + [1], "hidden_activation": "relu"},
           "data": {"dataset": "circles", "samples": 16},
           "training": {"loss": "bce", "learning_rate": 0.001}}
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    w.show()
    scene = w.diagram.scene
    drawn = sum(item.shown_edges for item in scene.edge_items)
    total = sum(wt.size for wt in w.session.current.network.weights)
    assert drawn < total == 4_064_000
    assert w.diagram.drawn.isVisible()
    assert f"strongest {drawn:,} of the {total:,} weights" in w.diagram.drawn.text()


def test_shortcuts_dialog_lists_every_shortcut(window):
    from vanishgui.ui.shell.actions import ACTIONS
    from vanishgui.ui.shell.main_window import ShortcutsDialog

    d = ShortcutsDialog(ACTIONS, window)
    assert d.table.rowCount() == sum(1 for a in ACTIONS if a.shortcuts)
    for a in window.actions_by_name.values():
        assert a.toolTip()


def test_export_diagram(window, tmp_path):
    png, svg = tmp_path / "d.png", tmp_path / "d.svg"
    assert window.export_png(png)
    window.export_svg(svg)
    assert png.stat().st_size > 1000
    assert "<svg" in svg.read_text()


def test_screenshot_command(tmp_path, qtbot):
    from PySide6.QtGui import QImage

    from vanishgui.cli.gui import main

    out = tmp_path / "shot.png"
    assert main(["--screenshot", str(out), "--at", "backward:3", "--size", "1280x720"]) == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 720)
    colours = {img.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 720, 16)}
    assert len(colours) > 20  # a drawn window, not a blank one


def test_every_control_has_a_tooltip(window):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
    )

    missing = []
    for kind in (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit):
        for w in window.findChildren(kind):
            if not w.isVisibleTo(window) or w.parent() is None:
                continue
            if type(w).__name__ == "QScrollBar":
                continue
            if type(w).__name__ in ("QLineEdit",) and isinstance(w.parent(), (QAbstractSpinBox,
                                                                              QComboBox)):
                continue  # the editor inside a spin box or combo box
            tip = w.toolTip()
            action = getattr(w, "defaultAction", lambda: None)()
            if not tip and action is not None:
                tip = action.toolTip()
            if not tip and not w.objectName().startswith("qt_"):  # Qt's own dock buttons
                missing.append(f"{type(w).__name__} {w.objectName()!r}")
    assert not missing, missing


def test_window_state_is_remembered(qtbot, tmp_path):
    from vanishgui.cli.window import build_window
    from vanishgui.ui.shell.main_window import settings

    w = build_window(restore=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.resize(1234, 777)
    qtbot.waitUntil(lambda: w.width() == 1234)
    w.docks["ledger"].hide()
    path = tmp_path / "e.vanishgui.json"
    assert w.save_to(path)
    w.close()
    assert settings().value("files/last") == str(path)
    assert str(path) in settings().value("files/recent")
    w2 = build_window(restore=True)
    qtbot.addWidget(w2)
    w2.show()
    qtbot.waitExposed(w2)
    # (offscreen's screen is 800×600, so Qt clamps the restored size; the dock state is exact)
    assert settings().value("window/geometry") is not None
    assert not w2.docks["ledger"].isVisibleTo(w2)


def test_unsaved_changes_are_asked_about(window, monkeypatch, tmp_path):
    s = window.session
    s.train_step()
    assert s.modified
    asked = []
    monkeypatch.setattr(window, "ask_to_save", lambda before: asked.append(before) or "cancel")
    window.on_new()
    assert asked == ["starting a new experiment"]
    assert s.trainer.step_count == 1  # nothing was thrown away
    monkeypatch.setattr(window, "ask_to_save", lambda before: "discard")
    window.on_new()
    assert s.trainer.step_count == 0 and not s.modified
    s.train_step()
    path = tmp_path / "kept.vanishgui.json"
    s.path = path
    monkeypatch.setattr(window, "ask_to_save", lambda before: "save")
    assert window.maybe_proceed("closing")
    assert path.exists() and not s.modified


def test_a_shipped_example_is_never_overwritten_by_save(window):
    from vanishgui.ui.shell import resources

    example = resources.path("examples", "classic.json")
    before = example.read_bytes()
    assert window.open_path(example)
    assert window.session.path is None  # Save will ask for a new name
    window.session.train_step()
    assert example.read_bytes() == before


def test_numbers_too_small_to_read_are_hidden_and_shown_on_hover(window, qtbot):
    from vanishgui.core.experiment import load_experiment
    from vanishgui.ui.shell import resources

    scene = window.diagram.scene
    assert not scene.labels_hidden and scene.labels[1][0].isVisible()
    window.session.set_experiment(load_experiment(resources.path("examples",
                                                                 "deep-chain-sigmoid.json")))
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.diagram.scene.labels_hidden, timeout=3000)
    assert not window.diagram.scene.labels[1][0].isVisible()
    assert "δ =" in window.diagram.scene.neuron_tooltip(1, 0)


def test_a_control_past_the_memory_budget_says_so_instead_of_applying(window, qtbot):
    """The controls' own maximums (63 hidden layers of 256, 100,000 samples) once built a
    network needing ~65 GB: MemoryError, then errors from a half-built session."""
    c = window.controls
    c.dataset.setCurrentIndex(c.dataset.findData("circles"))
    assert c.apply() is not None
    before = window.session.experiment
    c.hidden_layers.setValue(63)
    c.width.setValue(256)
    c.samples.setValue(100_000)
    assert c.apply() is None
    assert "more than the 1.5 GiB vanishgui allows" in c.error.text()
    assert "fewer samples" in c.error.text() and "\n" not in c.error.text()
    assert window.session.experiment is before
    c.samples.setValue(200)  # the same network on 200 samples fits
    assert c.apply() is not None
    assert window.session.experiment.layers == (2, *[256] * 63, 1)


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_picture_that_cannot_be_written_says_so_and_leaves_nothing(window, tmp_path,
                                                                     monkeypatch, kind):
    """A full disk: SVG export reported success and left a 0-byte file; PNG left 0 bytes."""
    import errno
    import os

    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    path = tmp_path / f"diagram.{kind}"
    export = window.export_png if kind == "png" else window.export_svg
    assert not export(path)
    assert "No space left on device" in window.export_error
    assert "\n" not in window.export_error and str(path.name) in window.export_error
    assert list(tmp_path.iterdir()) == []  # no partial file, no temp file
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert export(path) and path.stat().st_size > 100


def test_a_chain_opens_with_the_ledger_on_w1(window):
    """The lesson's subject is w₁: on a chain the ledger shows its chain of factors at
    once, not an empty table; a wide network opens with nothing selected."""
    s = window.session
    assert s.selection == Selection(1, 0, 0)
    rule = window.ledger.rule
    assert rule is not None and (rule.layer, rule.neuron, rule.source) == (1, 0, 0)
    assert window.ledger.table.rowCount() > 0
    s.set_experiment(parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2, 3, 1], "hidden_activation": "sigmoid"},
        "data": {"dataset": "circles", "samples": 8},
        "training": {"loss": "bce", "learning_rate": 0.5}}))
    assert s.selection is None and window.ledger.rule is None
    s.set_experiment(classic())
    assert s.selection == Selection(1, 0, 0) and window.ledger.rule is not None


@pytest.mark.parametrize(("size", "projector", "kind"), [
    ((1920, 1080), False, "wide"), ((1600, 860), False, "wide"), ((1599, 1080), False, "laptop"),
    ((1920, 859), False, "laptop"), ((1366, 768), False, "laptop"), ((1300, 700), False, "laptop"),
    ((1299, 768), False, "projector"), ((1280, 720), False, "projector"),
    ((1024, 768), False, "projector"), ((960, 540), False, "projector"),
    ((1920, 1080), True, "projector")])
def test_the_layout_follows_the_screen_s_room(size, projector, kind):
    from vanishgui.ui.shell.layouts import layout_for

    assert layout_for(*size, projector) == kind


def _opened(qtbot, monkeypatch, kind):
    """A window whose screen counts as ``kind`` (the tests' screen is 1920×1080, so the
    thresholds move; real small screens are read back on Xvfb)."""
    from vanishgui.cli.window import build_window
    from vanishgui.ui.model.session import Session
    from vanishgui.ui.shell import layouts

    big = (4000, 4000)
    if kind != "wide":
        monkeypatch.setattr(layouts, "WIDE", big)
    if kind == "projector":
        monkeypatch.setattr(layouts, "LAPTOP", big)
    w = build_window(Session(classic()), restore=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.layout_name == kind
    qtbot.waitUntil(lambda: len(_fronts(w)[1]) == 1)  # the tab bars settle
    return w


def _fronts(w):
    plots = [w.docks[f"plot_{n}"] for n in w.plots.panels]
    return plots, [dock for dock in plots if not dock.visibleRegion().isEmpty()]


@pytest.mark.parametrize("kind", ["laptop", "projector"])
def test_smaller_screens_get_one_large_plot_beside_the_diagram(qtbot, monkeypatch, kind):
    """Laptop and projector layouts: one large plot on the right at full height, the
    others in tabs behind it (never squashed); the ledger under the diagram; the controls
    on the left (laptop) or in a tab beside the ledger (projector)."""
    w = _opened(qtbot, monkeypatch, kind)
    d = w.docks
    plots, shown = _fronts(w)
    assert len(shown) == 1  # one large plot at a time
    assert set(plots[1:]) <= set(w.tabifiedDockWidgets(plots[0]))
    assert all(w.dockWidgetArea(p) == Qt.DockWidgetArea.RightDockWidgetArea for p in plots)
    assert shown[0].height() > 0.8 * w.centralWidget().height()  # the window's height
    assert w.dockWidgetArea(d["ledger"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    ledger = d["ledger"].geometry()
    diagram = w.centralWidget().geometry()
    assert ledger.top() >= diagram.bottom() and ledger.right() <= shown[0].geometry().left()
    tabbed_controls = d["controls"] in w.tabifiedDockWidgets(d["ledger"])
    assert tabbed_controls == (kind == "projector")
    # G brings the next plot to the front, Shift+G the one before
    first = shown[0]
    w.show_next_plot(+1)
    _p, now = _fronts(w)
    assert now != [first] and len(now) == 1
    w.show_next_plot(-1)
    assert _fronts(w)[1] == [first]
    assert w.action("next_plot").shortcut().toString() == "G"


def test_a_short_screen_puts_the_ledger_behind_the_plot(qtbot, monkeypatch):
    """Under 700 px of height (1080p at QT_SCALE_FACTOR=2) the diagram needs the whole
    column: ledger, inspector and controls are tabs behind the large plot."""
    from vanishgui.ui.shell import layouts

    monkeypatch.setattr(layouts, "SHORT", 4000)
    w = _opened(qtbot, monkeypatch, "projector")
    d = w.docks
    plots, shown = _fronts(w)
    behind = set(w.tabifiedDockWidgets(plots[0]))
    assert {d["ledger"], d["inspector"], d["controls"]} <= behind
    assert shown[0].height() > 0.8 * w.centralWidget().height()
    assert w.dockWidgetArea(d["ledger"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_a_lesson_on_a_small_projector_folds_the_colour_key(qtbot, monkeypatch):
    """A screen under 1300 px with a lesson open: the plots go under the diagram and the
    colour key's rows fold away for them (in projector mode at 1280×720 they had left the
    σ'(z) plots ~50 px); its words move to the |δ| bar's tooltip. Leaving the lesson
    shows the key again, in either mode."""
    from vanishgui.ui.lesson.player import LessonPlayer, builtin_lessons

    w = _opened(qtbot, monkeypatch, "projector")
    key = w.diagram.swatches
    player = w.findChild(LessonPlayer)
    player.open_path(builtin_lessons()[0])
    assert key.isHidden()
    player.leave()
    assert not key.isHidden()
    w.projector.enter()
    try:
        assert not key.isHidden()  # projector mode alone keeps it
        player.open_path(builtin_lessons()[0])
        assert key.isHidden()
        assert w.dockWidgetArea(w.docks["plot_flow"]) == Qt.DockWidgetArea.BottomDockWidgetArea
        tip = w.diagram.colorbar.toolTip()
        assert all(text in tip for _color, text in LEGEND)
        folded = w.diagram.minimum_height()  # the rows it frees go to the plots
        w.diagram.fold_key(False)
        assert w.diagram.minimum_height() == folded + key.heightForWidth(w.diagram.width())
        w.diagram.fold_key(True)
        player.leave()
        assert not key.isHidden() and "exactly 0" not in w.diagram.colorbar.toolTip()
        player.open_path(builtin_lessons()[0])
        assert key.isHidden()
    finally:
        w.projector.leave()
    assert not key.isHidden()


def test_an_empty_ledger_gives_its_room_to_the_diagram(qtbot, monkeypatch):
    from vanishgui.ui.model.session import Selection

    w = _opened(qtbot, monkeypatch, "projector")
    full = w.docks["ledger"].height()
    w.session.select(None)
    qtbot.waitUntil(lambda: w.docks["ledger"].height() < full - 100)
    empty = w.docks["ledger"].height()
    assert not w.ledger.table.isVisible()
    w.session.select(Selection(1, 0, 0))
    qtbot.waitUntil(lambda: w.docks["ledger"].height() > empty + 40)
    assert w.ledger.table.isVisible()


def test_a_wide_screen_keeps_both_plot_groups_side_by_side(window):
    assert window.layout_name == "wide"
    d = window.docks
    assert d["controls"] not in window.tabifiedDockWidgets(d["ledger"])
    _plots, shown = _fronts(window)
    assert len(shown) == 2  # what the pass shows now, beside what training has done
    assert all(window.dockWidgetArea(p) == Qt.DockWidgetArea.BottomDockWidgetArea for p in shown)


def test_the_about_box_keeps_the_weight_in_the_factor(window, monkeypatch) -> None:
    """It said "shrink by up to 4× at every sigmoid layer", which drops the weight: a
    layer scales the gradient by σ'(z)·w, and only σ'(z) is at most 0.25."""
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda _p, _t, text: shown.append(text))
    window.on_about()
    [text] = shown
    assert "σ'(z) × w" in text and "at most 0.25" in text and "4×" not in text
