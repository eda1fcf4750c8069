"""Training while the window stays live: pause, train N, divergence, responsiveness."""

from __future__ import annotations

import gc
import statistics
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from vanishgui.cli.startup import settle_memory
from vanishgui.cli.window import build_window
from vanishgui.core.diagnosis import diagnose
from vanishgui.core.experiment import parse_experiment
from vanishgui.ui.model.session import Session


def experiment(**training):
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2, 8, 8, 8, 8, 8, 8, 1]},
           "data": {"dataset": "circles", "samples": 200},
           "training": {"loss": "bce", "learning_rate": 0.5, **training}}
    return parse_experiment(doc)


@pytest.fixture
def live(qtbot):
    w = build_window(Session(experiment()), restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.session.pause()


def test_pausing_stops_the_step_counter_at_once(live, qtbot):
    s = live.session
    s.train()
    qtbot.waitUntil(lambda: s.trainer.step_count > 20, timeout=5000)
    t0 = time.perf_counter()
    s.pause()
    stopped_after = time.perf_counter() - t0
    count = s.trainer.step_count
    qtbot.wait(200)  # the event loop runs; no further step may happen
    assert s.trainer.step_count == count
    assert stopped_after < 0.1
    assert not s.training


def test_train_n_steps_then_pause(live, qtbot):
    s = live.session
    live.transport.train_n.setValue(37)
    live.transport.train_n_button.click()
    qtbot.waitUntil(lambda: not s.training, timeout=10_000)
    assert s.trainer.step_count == 37
    assert len(s.trainer.history.loss) == 37
    # the pass shown is the next step's, at the trained weights
    ref = experiment().trainer()
    ref.train(37)
    for a, b in zip(ref.network.weights, s.current.network.weights):
        np.testing.assert_array_equal(a, b)


def diverged(qtbot, doc, train):
    """A window on ``doc``, trained by ``train(session)`` until it diverges: the window
    and the diverged signal's (step, layer)."""
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.session.diverged, timeout=10_000) as blocker:
        train(w.session)
    return w, blocker.args


def test_divergence_stops_training_and_shows_a_banner(qtbot):
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [1, 4, 4, 4, 4, 4, 1], "hidden_activation": "linear",
                       "output_activation": "linear",
                       "init": {"scheme": "normal", "std": 2.0, "seed": 1}},
           "data": {"dataset": "sine", "samples": 32},
           "training": {"loss": "mse", "learning_rate": 10}}
    w, (step, layer) = diverged(qtbot, doc, Session.train)
    s = w.session
    assert step == s.trainer.history.diverged_at_step
    assert 1 <= layer <= 6
    qtbot.waitUntil(lambda: not s.training, timeout=2000)
    assert s.trainer.step_count == step + 1  # it stopped at the step that overflowed
    assert w.diagram.banner.isVisibleTo(w)
    # the banner names the cause the core found, not "the gradient exploded" for any NaN
    [found] = diagnose(s.current, s.trainer.history)
    assert found.kind == "diverged" and found.layers == (layer,)
    assert found.evidence in w.diagram.banner.text()
    assert f"step {step:,}" in w.diagram.banner.text()
    assert "lower the learning rate" in w.diagram.banner.text()  # it grew over the steps
    assert "after the loss grew from" in found.evidence
    w.plots.flush()  # every panel draws the non-finite history without raising
    # with every plot on screen the diagram steps aside, and the banner comes with the plots
    w.set_plot_wall(True)
    assert not w.diagram.isVisible() and w.wall_banner.isVisibleTo(w)
    assert w.wall_banner.text() == w.diagram.banner.text()
    w.set_plot_wall(False)
    assert not w.wall_banner.isVisibleTo(w) and w.diagram.banner.isVisibleTo(w)
    w.set_plot_wall(True)
    s.reset()
    assert not w.diagram.banner.isVisibleTo(w) and not w.wall_banner.isVisibleTo(w)


@pytest.mark.slow  # a timing test: run alone (make test-slow), not beside other workers
def test_the_window_stays_responsive_while_training(live, qtbot):
    """A timer on the GUI thread fires on time while training runs continuously."""
    s = live.session
    gaps: list[float] = []
    last = [time.perf_counter()]
    interval_ms = 20

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000 - interval_ms)
        last[0] = now

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    # as the app does before it shows its window: what exists now is out of the
    # collector's sight (here that is every earlier test's leftovers too: a full
    # collection of them took up to 250 ms)
    settle_memory()
    try:
        s.train()
        timer.start()
        last[0] = time.perf_counter()
        qtbot.wait(5000)
        timer.stop()
        s.pause()
    finally:
        gc.unfreeze()
    assert s.trainer.step_count > 100
    lateness = [max(0.0, g) for g in gaps]
    print(f"timer lateness over 5 s: median {statistics.median(lateness):.1f} ms, "
          f"max {max(lateness):.1f} ms, {s.trainer.step_count} steps")
    assert statistics.median(lateness) < 50
    assert max(lateness) < 200


def test_a_first_pass_that_overflows_blames_the_weights_not_the_learning_rate(qtbot):
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [1, 1, 1, 1, 1], "hidden_activation": "linear",
                       "output_activation": "linear", "weights": [[[1e200]]] * 4},
           "data": {"inputs": [[1.0]], "targets": [[1.0]]},
           "training": {"loss": "squared", "learning_rate": 0.1}}
    w, args = diverged(qtbot, doc, Session.train_step)
    assert args == [0, 2]  # step 0; 1e200 × 1e200 overflows in layer 2
    text = w.diagram.banner.text()
    assert "forward pass (z or a) of layer 2" in text
    assert "Smaller starting weights" in text and "learning rate" not in text


def test_exactly_zero_gradients_are_named_in_the_diagnosis_strip(qtbot):
    """Dead ReLUs: every pre-activation is negative, so no gradient flows back at all."""
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [1, 3, 3, 1], "hidden_activation": "relu",
                       "init": {"scheme": "constant", "value": -1.0, "seed": 0}},
           "data": {"inputs": [[0.5]], "targets": [[1.0]]},
           "training": {"loss": "squared", "learning_rate": 0.5}}
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    w.show()
    g = w.session.current.grad_weights
    assert not (g[0].any() or g[1].any() or g[2].any())  # a = 0 feeds the output too
    strip = w.diagram.strip
    assert strip.isVisibleTo(w)
    assert [f.kind for f in strip.findings] == ["dead-units"]
    assert strip.findings == diagnose(w.session.current, w.session.trainer.history)
    assert strip.findings[0].layers == (1, 2)  # the hidden layers: the output has no f'=0
    assert w.diagram.banner.isHidden()  # not a divergence
    w.session.set_experiment(parse_experiment({**doc, "network": {
        "layers": [1, 3, 1], "hidden_activation": "tanh"}}))  # healthy: no strip
    assert w.session.diagnosis() == [] and not strip.isVisibleTo(w)
