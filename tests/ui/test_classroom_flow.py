"""Issue 16's classroom flow: training at a pace a class can watch, Space pausing whatever
runs, and edits of the training settings that keep the network being trained."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.core.optimizers import OptimizerConfig
from vanishgui.ui.model.session import PACES, Session
from vanishgui.ui.model.training_loop import TrainingLoop
from vanishgui.ui.shell.projector import font_pixels


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.diagram.view, k, mod)


def counter(window) -> int:
    """The step counter as the transport bar shows it ("step 1,234 · 5 steps/s")."""
    found = re.match(r"step ([\d,]+)", window.transport.steps.text())
    assert found, window.transport.steps.text()
    return int(found.group(1).replace(",", ""))


def pick_pace(window, pace: float) -> None:
    box = window.transport.pace
    box.setCurrentIndex(box.findData(pace))
    assert window.session.pace == pace


def moons(**training):
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2, 4, 4, 1], "hidden_activation": "tanh"},
        "data": {"dataset": "moons", "samples": 11, "seed": 2},
        "training": {"loss": "bce", "learning_rate": 0.3, **training}})


# -- training pace ---------------------------------------------------------------------------
def test_the_pace_choice_offers_slow_paces_and_full_speed_by_default(window):
    box = window.transport.pace
    assert [box.itemData(i) for i in range(box.count())] == list(PACES)
    assert [box.itemText(i) for i in range(box.count())] == [
        "1 step/s", "2 steps/s", "5 steps/s", "10 steps/s", "30 steps/s", "100 steps/s",
        "full speed"]
    assert box.currentText() == "full speed" and window.session.pace == float("inf")
    window.session.set_pace(10.0)  # the Session's pace shows in the box
    assert box.currentText() == "10 steps/s"


@pytest.mark.slow  # wall-clock timing: run alone (make test-slow), not beside another worker
def test_at_5_steps_a_second_every_step_is_counted_and_drawn(window, qtbot):
    """At 5 steps/s the counter advances 20 ± 2 over 4 s of wall clock, every step is
    announced, and every step reaches the gradients plot (its curve grows one point at a
    time: each length from the first step to the last is drawn)."""
    s = window.session
    window.docks["plot_gradients"].raise_()
    panel = window.plots.panels["gradients"]
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    drawn: list[int] = []
    redraw = panel.redraw

    def recording_redraw() -> None:
        redraw()
        drawn.append(len(panel.curves[0].xData))

    panel.redraw = recording_redraw
    announced: list[int] = []
    s.trained.connect(announced.append)
    pick_pace(window, 5.0)
    window.actions_by_name["train"].trigger()  # Shift+T
    assert s.training
    qtbot.waitUntil(lambda: counter(window) >= 1, timeout=2000)
    t0, n0 = time.perf_counter(), counter(window)
    qtbot.waitUntil(lambda: time.perf_counter() - t0 >= 4.0, timeout=6000)
    n1 = counter(window)
    rate = re.search(r"· ([\d.]+) steps?/s$", window.transport.steps.text())
    s.pause()
    assert rate and 4 <= float(rate.group(1)) <= 6, window.transport.steps.text()
    assert 18 <= n1 - n0 <= 22, (n0, n1)
    last = s.trainer.step_count
    assert announced == list(range(1, last + 1))  # each step announced on its own
    qtbot.waitUntil(lambda: not panel.dirty, timeout=2000)
    assert set(range(1, last + 1)) <= set(drawn), sorted(set(range(1, last + 1)) - set(drawn))
    assert len(panel.curves[0].xData) == len(s.trainer.history.steps) == last


def test_the_pace_can_change_while_training(window, qtbot):
    s = window.session
    pick_pace(window, 1.0)
    s.train()
    qtbot.waitUntil(lambda: s.trainer.step_count >= 1, timeout=2000)
    t0 = time.perf_counter()
    pick_pace(window, float("inf"))  # the step due in up to 1 s comes at once, and more
    qtbot.waitUntil(lambda: s.trainer.step_count >= 200, timeout=5000)
    assert time.perf_counter() - t0 < 3.0
    pick_pace(window, 2.0)
    qtbot.wait(50)  # the slice in flight ends and is announced
    n0 = s.trainer.step_count
    t0 = time.perf_counter()
    qtbot.waitUntil(lambda: time.perf_counter() - t0 >= 2.0, timeout=4000)
    assert 3 <= s.trainer.step_count - n0 <= 5
    s.pause()


def test_a_paced_loop_on_its_own_paces_by_the_wall_clock(qtbot):
    steps: list[float] = []
    loop = TrainingLoop(lambda: bool(steps.append(time.perf_counter())), lambda: len(steps),
                        lambda: None, lambda: loop.stop())
    loop.set_pace(20.0)
    loop.start(10)
    qtbot.waitUntil(lambda: not loop.active, timeout=5000)
    assert len(steps) == 10
    gaps = np.diff(steps)
    assert abs(steps[-1] - steps[0] - 9 / 20) < 0.1  # 9 gaps of 50 ms
    assert gaps.min() > 0.025  # no two steps in a burst
    with pytest.raises(ValueError):
        loop.set_pace(0.0)


def test_projector_mode_keeps_the_pace_and_shows_the_counter_large(window, qtbot):
    t = window.transport
    window.projector.enter()
    try:
        assert t.pace.isVisible() and t.steps.isVisible()
        assert not t.status.isVisible()
        assert font_pixels(t.steps) >= 1.4 * font_pixels(t.buttons["next"])
        assert font_pixels(t.steps) >= 30
        pick_pace(window, 30.0)
        window.session.train()
        qtbot.waitUntil(lambda: window.session.steps_per_second > 0, timeout=3000)
        window.session.train_step()  # announced: the counter is written again
        assert re.fullmatch(r"step \d+", t.steps.text())  # large, and without the rate
        window.session.pause()
    finally:
        window.projector.leave()
    assert t.pace.isVisible()
    assert font_pixels(t.steps) == font_pixels(t.status)


# -- Space ---------------------------------------------------------------------------------
def test_space_pauses_training_and_resumes_it(window, qtbot):
    s = window.session
    pick_pace(window, 30.0)
    key(qtbot, window, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert s.training
    qtbot.waitUntil(lambda: s.trainer.step_count >= 3, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not s.training and not s.playing  # paused, and no animation started
    assert s.paused == "training"
    assert not window.actions_by_name["train"].isChecked()
    n = s.trainer.step_count
    qtbot.wait(150)
    assert s.trainer.step_count == n
    key(qtbot, window, Qt.Key.Key_Space)  # what was paused last resumes: training
    assert s.training and not s.playing
    assert window.actions_by_name["train"].isChecked()
    qtbot.waitUntil(lambda: s.trainer.step_count > n, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not s.training and not s.playing


def test_space_pauses_playback_and_resumes_it(window, qtbot):
    s = window.session
    s.set_speed(8.0)
    key(qtbot, window, Qt.Key.Key_Space)  # nothing paused: play the step's events
    assert s.playing and s.paused is None
    qtbot.waitUntil(lambda: s.position >= 2, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not s.playing and s.paused == "playback"
    at = s.position
    key(qtbot, window, Qt.Key.Key_Space)
    assert s.playing and not s.training
    qtbot.waitUntil(lambda: s.position > at, timeout=3000)  # on from where it was
    key(qtbot, window, Qt.Key.Key_Space)
    # training started and paused after playback: Space resumes training, not playback
    s.train()
    key(qtbot, window, Qt.Key.Key_Space)
    assert s.paused == "training"
    key(qtbot, window, Qt.Key.Key_Space)
    assert s.training and not s.playing
    s.pause()
    s.reset()  # R starts afresh: Space plays the events again
    key(qtbot, window, Qt.Key.Key_Space)
    assert s.playing and not s.training
    s.pause()


def test_space_resumes_a_train_n_with_the_steps_it_had_left(window, qtbot):
    s = window.session
    pick_pace(window, 30.0)
    window.transport.train_n.setValue(40)
    window.transport.train_n_button.click()
    qtbot.waitUntil(lambda: s.trainer.step_count >= 5, timeout=3000)
    key(qtbot, window, Qt.Key.Key_Space)
    done = s.trainer.step_count
    assert not s.training and done < 40
    pick_pace(window, float("inf"))
    key(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not s.training, timeout=5000)
    assert s.trainer.step_count == 40


# -- edits that keep the network -------------------------------------------------------------
def test_a_learning_rate_edit_mid_training_keeps_the_weights_and_marks_the_plots(window,
                                                                                  qtbot):
    s, c = window.session, window.controls
    old_lr = s.experiment.learning_rate
    pick_pace(window, 30.0)
    s.train()
    qtbot.waitUntil(lambda: s.trainer.step_count >= 8, timeout=3000)
    c.lr.spin.setValue(0.1)
    assert c.apply() is not None
    assert s.training  # training goes on, with the new rate
    k = s.marks[-1].step
    assert s.marks[-1].text == "lr 0.1" and k >= 8
    assert s.experiment.learning_rate == 0.1
    assert window.transport.status.text() == (
        f"From step {k}: learning rate {old_lr:g} → 0.1; the weights and the history are kept.")
    qtbot.waitUntil(lambda: s.trainer.step_count >= k + 12, timeout=3000)
    # the notice stays while training moves the cursor
    assert window.transport.status.text().startswith(f"From step {k}:")
    s.pause()
    m = s.trainer.step_count
    ref = classic().trainer()
    ref.train(k)
    ref.retune(OptimizerConfig("sgd", 0.1), None)
    ref.train(m - k)
    for a, b in zip(ref.network.weights, s.trainer.network.weights):
        assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(ref.history.loss, s.trainer.history.loss)
    assert s.current.update.learning_rate == 0.1  # the step shown next, at the new rate
    panel = window.plots.panels["gradients"]
    panel.flush()
    lines = [line for _plot, line in panel.mark_lines.lines]
    assert [(line.value(), line.label.toPlainText()) for line in lines] == [(k, "lr 0.1")]


def test_dragging_a_setting_between_steps_leaves_one_mark_per_setting(window, qtbot):
    s, c = window.session, window.controls
    key(qtbot, window, Qt.Key.Key_T)
    for lr in (0.2, 0.25, 0.3):
        c.lr.spin.setValue(lr)
        c.apply()
    c.optimizer.setCurrentIndex(c.optimizer.findData("adam"))
    c.apply()
    assert [(m.step, m.text) for m in s.marks] == [(1, "lr 0.3"), (1, "Adam")]
    assert s.trainer.step_count == 1 and s.trainer.state.t == 0  # Adam starts afresh
    assert "optimiser SGD → Adam (its state starts afresh)" in window.transport.status.text()


def test_an_edit_between_steps_keeps_the_position_and_weights(window, qtbot):
    s, c = window.session, window.controls
    key(qtbot, window, Qt.Key.Key_T)
    key(qtbot, window, Qt.Key.Key_T)
    s.seek(5)
    weights = [w.copy() for w in s.trainer.network.weights]
    c.momentum.setValue(0.9)
    assert c.apply() is not None
    assert s.position == 5 and s.trainer.step_count == 2
    for a, b in zip(weights, s.trainer.network.weights):
        np.testing.assert_array_equal(a, b)
    assert s.current.step == 2 and s.marks[-1].text == "momentum 0.9"
    c.apply()  # nothing changed since: nothing happens
    assert len(s.marks) == 1


def test_a_batch_size_edit_goes_on_from_the_epochs_position(qtbot):
    w = build_window(Session(moons(batch_size=4)), restore=False)
    qtbot.addWidget(w)
    s, c = w.session, w.controls
    order = s.trainer._order(0)
    s.train_step()  # samples order[0:4]
    c.batch.setValue(3)
    assert c.apply() is not None
    assert s.current.batch.tolist() == order[4:7].tolist()  # the next step shown
    assert s.marks[-1].text == "batch 3" and s.trainer.step_count == 1
    s.train_step()
    assert s.current.batch.tolist() == order[7:10].tolist()


def test_a_shape_edit_makes_a_new_network_and_says_so(window, qtbot):
    s, c = window.session, window.controls
    for _ in range(5):
        key(qtbot, window, Qt.Key.Key_T)
    c.lr.spin.setValue(0.2)
    c.apply()
    assert s.marks
    c.hidden_layers.setValue(c.hidden_layers.value() + 1)
    assert c.apply() is not None
    assert s.trainer.step_count == 0 and s.trainer.history.count == 0 and not s.marks
    assert s.experiment.depth == 4
    assert counter(window) == 0
    assert window.transport.status.text() == (
        "The depth changed: a new network at step 0 (5 trained steps cleared).")
    for a, b in zip(s.trainer.network.weights, s.experiment.build_network().weights):
        np.testing.assert_array_equal(a, b)
    c.hidden_act.combo.setCurrentIndex(c.hidden_act.combo.findData("tanh"))
    c.seed.setValue(c.seed.value() + 1)
    c.apply()
    assert window.transport.status.text() == (
        "The activations and the seed changed: a new network at step 0.")


def test_clipping_is_an_edit_that_keeps_the_network_and_skips_or_a_norm_are_not(qtbot):
    s = Session(moons())
    said: list[str] = []
    s.edited.connect(said.append)
    s.train_now(3)
    weights = s.trainer.network.weights
    s.edit(replace(s.experiment, clip_norm=0.5))
    assert s.trainer.clip_norm == 0.5 and s.trainer.network.weights is weights
    assert s.current.update.grad_norm is not None  # the next step is clipped
    assert (s.trainer.step_count, s.marks[-1].text) == (3, "clip 0.5")
    assert said[-1] == "From step 3: clipping off → 0.5; the weights and the history are kept."
    s.edit(replace(s.experiment, residual=1))
    assert s.trainer.step_count == 0 and s.trainer.network.skip_from
    assert said[-1] == ("The skip connections changed: a new network at step 0 (3 trained "
                        "steps cleared).")
    s.edit(replace(s.experiment, norm="layer", learning_rate=0.1))
    assert said[-1] == "The normalisation changed: a new network at step 0."
    assert s.trainer.optimizer.learning_rate == 0.1 and s.trainer.clip_norm == 0.5


def test_the_controls_keep_the_cures_when_another_control_changes(qtbot):
    exp = replace(moons(), clip_norm=2.0, residual=1, norm="layer")
    w = build_window(Session(exp), restore=False)
    qtbot.addWidget(w)
    s, c = w.session, w.controls
    s.train_step()
    c.lr.spin.setValue(0.05)
    assert c.apply() is not None
    assert s.trainer.step_count == 1  # kept: the skips, the norm and clipping went along
    assert (s.experiment.clip_norm, s.experiment.residual, s.experiment.norm) == (
        2.0, 1, "layer")
