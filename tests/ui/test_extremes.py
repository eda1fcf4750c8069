"""Numerical extremes in the live window: every activation × initialiser, the deepest and
widest network, the smallest and largest learning rates, noise 0 and 1, inputs of 10⁶.

Each case trains a few steps with every plot shown (the plot wall) and checks that no
exception escaped, that every plot holds the core's numbers or says why it cannot draw
them (exact zeros are drawn at the axis floor and counted; inf/NaN are counted), and that
the divergence banner shows exactly when training diverged.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEventLoop, QTimer

from vanishgui.cli.window import build_window
from vanishgui.core import activations, datasets, initializers
from vanishgui.core.curves import layer_grad_mean_abs
from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.core.numbers import num
from vanishgui.ui.model import palette
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.plots.dact import per_layer_limit


def spin() -> None:
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()


@pytest.fixture(scope="module")
def wall(qapp):
    """One window for the module, all six plots shown and live."""
    w = build_window(Session(classic()), restore=False)
    w.resize(1600, 900)
    w.show()
    spin()
    w.set_plot_wall(True)
    spin()
    yield w
    w.session.pause()
    w.close()
    w.deleteLater()
    spin()


@pytest.fixture
def window(wall):
    yield wall
    wall.session.pause()


def experiment(layers, hidden="sigmoid", output="sigmoid", init=None, data=None, lr=0.5,
               loss="mse", **training):
    network = {"layers": list(layers), "hidden_activation": hidden, "output_activation": output}
    if init is not None:
        network["init"] = init
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1, "network": network,
        "data": data or {"dataset": "circles", "samples": 24},
        "training": {"loss": loss, "learning_rate": lr, **training}})


def run(window, exp, steps: int = 3) -> None:
    """Open the experiment, train ``steps`` steps, walk through the shown step's events."""
    s = window.session
    s.set_experiment(exp)
    for _ in range(steps):
        s.train_step()
    s.to_start()
    s.next_phase()  # end of the forward pass
    s.step_forward()
    s.to_end()
    s.step_back()
    spin()


# -- what every case must show ------------------------------------------------------------
def check_history_panel(panel, block: np.ndarray) -> None:
    """Every value is a point of its layer's line, under a cross at the floor (exactly 0,
    counted in the header) or counted in the header (inf/NaN)."""
    assert len(panel.curves) == block.shape[1]
    for i, curve in enumerate(panel.curves):
        _, y = curve.getOriginalDataset()
        column = block[:, i]
        drawn = np.isfinite(column) & (column > 0)
        y = np.zeros(0) if y is None else y
        assert len(y) == len(column)
        np.testing.assert_array_equal(np.isfinite(y), drawn)
        np.testing.assert_array_equal(y[drawn], column[drawn])
    zeros = int(np.count_nonzero(block == 0))
    nonfinite = int(np.count_nonzero(~np.isfinite(block)))
    _, zy = panel.zeros.getOriginalDataset()
    # one cross a step: every layer's exact 0 at that step is drawn at the same point
    steps_with_zeros = int(np.count_nonzero((block == 0).any(axis=1)))
    assert (0 if zy is None else len(zy)) == steps_with_zeros
    header = panel.header.text()
    assert header
    assert (f"{zeros} exactly 0" in header) == bool(zeros), header
    assert (f"{nonfinite} inf/NaN" in header) == bool(nonfinite), header


def check_shown(window) -> None:
    s = window.session
    plots = window.plots
    plots.flush()
    h = s.trainer.history
    # the banner shows exactly when training has diverged
    assert (not window.diagram.banner.isHidden()) == (s.diverged_at is not None)
    # gradient and weight-change history
    check_history_panel(plots.panels["gradients"], h.layer(plots.panels["gradients"].column))
    check_history_panel(plots.panels["updates"], h.layer("update_mean_abs"))
    # gradient flow now: one bar per layer, each labelled; zeros as "0" and a cross
    flow = plots.panels["flow"]
    values = layer_grad_mean_abs(s.current)
    np.testing.assert_array_equal(flow.values, values)
    for v, label in zip(values, flow.labels):
        if not label.isVisible():
            continue
        text = label.textItem.toPlainText()
        assert text
        if v == 0:
            assert text == "0"
        elif math.isnan(v):
            assert text == "NaN"
        elif math.isinf(v):
            assert text == "∞"
    assert len(flow.zero_marks.data) == np.count_nonzero(values == 0)
    zeros, nonfinite = np.count_nonzero(values == 0), np.count_nonzero(~np.isfinite(values))
    assert (f"{zeros} exactly 0" in flow.header.text()) == bool(zeros)
    assert (f"{nonfinite} inf/NaN" in flow.header.text()) == bool(nonfinite)
    # loss: drawn where finite, the rest counted
    loss_panel = plots.panels["loss"]
    _, y = loss_panel.loss_curve.getOriginalDataset()
    loss = h.loss
    y = np.zeros(0) if y is None else y
    np.testing.assert_array_equal(np.isfinite(y), np.isfinite(loss))
    bad = int(np.count_nonzero(~np.isfinite(loss)))
    assert (f"{bad} inf/NaN" in loss_panel.header.text()) == bool(bad)
    # σ'(z): one point per neuron with a finite derivative
    dact = plots.panels["dact"]
    sample = min(s.sample, len(s.current.inputs) - 1)
    finite = sum(int(np.isfinite(d[sample]).sum()) for d in s.current.dact)
    total = sum(d[sample].size for d in s.current.dact)
    # a dense layer's column is thinned to per_layer_limit points, its spread kept
    limit = per_layer_limit(s.current.depth)
    counts = [int(np.isfinite(d[sample]).sum()) for d in s.current.dact]
    assert len(dact.points.data) == sum(min(c, limit) for c in counts)
    assert ("neurons a layer drawn" in dact.header.text()) == any(c > limit for c in counts)
    if finite < total:  # the points not drawn are counted
        assert f"{total - finite} inf/NaN" in dact.header.text(), dact.header.text()
    # decision boundary: an image of the output, or a fitted curve, or a message
    boundary = plots.panels["boundary"]
    if boundary.mode == "plane":
        assert boundary.grid is not None and boundary.image.image is not None
        nonfinite = int(np.count_nonzero(~np.isfinite(boundary.grid.values)))
        assert (f"inf/NaN at {nonfinite} points" in boundary.header.text()) == bool(nonfinite)
    elif boundary.mode == "line":
        assert len(boundary.fit_x) > 0
    # every panel has a header: no blank plot
    for name, panel in plots.panels.items():
        assert panel.header.text(), name


# -- the matrix -----------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", activations.NAMES)
def test_every_initialiser_with(window, hidden):
    """A small deep network (9 weight layers of 4) for each initialiser."""
    for scheme in initializers.SCHEMES:
        run(window, experiment([2] + [4] * 8 + [1], hidden, init={"scheme": scheme, "seed": 3}))
        check_shown(window)


def test_the_deepest_widest_network(window):
    """63 hidden layers of 256 (the controls' limits): layer 1's gradient is decades below
    the output's, and the window says by how much."""
    exp = experiment([2] + [256] * 63 + [1], data={"dataset": "circles", "samples": 16})
    run(window, exp, steps=2)
    check_shown(window)
    s = window.session
    values = layer_grad_mean_abs(s.current)
    assert 0 < values[0] < 1e-30 * values[-1]  # vanished, but not to exactly 0
    assert "layer 1 has 1/" in window.plots.panels["gradients"].header.text()
    assert window.plots.panels["flow"].labels[0].textItem.toPlainText().startswith("1/")
    s.seek(s.trace.phase_range("backward")[1])  # the whole backward pass, 16 000+ events
    s.select(Selection(1, 0, 0))
    assert window.ledger.rule is not None
    assert window.ledger.rule.gradient == s.current.grad_weights[0][0, 0]


@pytest.mark.parametrize("lr", [1e-4, 10.0])
@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "linear"])
def test_learning_rates_at_both_ends(window, qtbot, lr, hidden):
    exp = experiment([1] + [4] * 5 + [1], hidden, "linear", lr=lr,
                     init={"scheme": "normal", "std": 2.0, "seed": 1},
                     data={"dataset": "sine", "samples": 32})
    s = window.session
    s.set_experiment(exp)
    s.train(200)
    qtbot.waitUntil(lambda: not s.training, timeout=20_000)
    check_shown(window)
    if s.diverged_at is not None:
        assert not window.diagram.banner.isHidden()
        assert f"step {s.diverged_at}" in window.diagram.banner.text()
        window.actions_by_name["reset"].trigger()
        check_shown(window)  # the banner goes with the history
        assert window.diagram.banner.isHidden()


@pytest.mark.parametrize("noise", [0.0, datasets.MAX_NOISE])
def test_data_without_and_with_maximal_noise(window, noise):
    for name, (d_in, d_out, classification, _) in datasets.DATASETS.items():
        if name == "classic":
            continue
        out = "sigmoid" if classification else "linear"
        exp = experiment([d_in, 8, 8, d_out], "tanh", out, loss="bce" if classification
                         else "mse", data={"dataset": name, "samples": 64, "noise": noise})
        run(window, exp)
        check_shown(window)


MILLION = {"inputs": [[1e6, -1e6], [-1e6, 1e6], [1e6, 1e6], [-1e6, -1e6]],
           "targets": [[1.0], [0.0], [1.0], [0.0]]}


@pytest.mark.parametrize("hidden", activations.NAMES)
def test_inputs_of_a_million(window, hidden):
    run(window, experiment([2, 4, 4, 4, 1], hidden, data=MILLION))
    check_shown(window)


EXTREME = {"inputs": [[1e308, -1e308], [1e308, 1e308], [-1e308, 0.0], [0.5, -0.5]],
           "targets": [[1.0], [0.0], [1.0], [0.0]]}


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_inputs_whose_range_overflows(window, qtbot, hidden):
    """Inputs of ±1e308: their range (2e308) overflows a float. The decision boundary and
    every auto-ranged plot raised "Cannot set range [-inf, inf]" (issue 17, #6); now every
    panel draws, its views finite, the samples inside the plane's extent."""
    run(window, experiment([2, 3, 3, 1], hidden, data=EXTREME, lr=0.1))
    check_shown(window)
    check_views_finite(window, qtbot)
    boundary = window.plots.panels["boundary"]
    x0, x1, y0, y1 = boundary.grid.extent
    assert all(math.isfinite(v) for v in (x0, x1, y0, y1, x1 - x0, y1 - y0))


def test_weights_of_1e308(window, qtbot):
    """Weights of 1e308 on a 1-input network: the fitted curve ŷ(x) runs from −1.5e308 to
    1.5e308, a range that overflows; every panel still draws, its views finite."""
    exp = parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [1, 2, 1], "hidden_activation": "linear",
                    "output_activation": "linear",
                    "weights": [[[1e308], [1e308]], [[1.0, 0.5]]],
                    "biases": [[0.0, 0.0], [0.0]]},
        "data": {"inputs": [[-1.0], [0.25], [1.0]], "targets": [[0.0], [1.0], [0.0]]},
        "training": {"loss": "mse", "learning_rate": 0.1}})
    run(window, exp, steps=0)  # one step makes every weight inf or NaN
    check_shown(window)
    check_views_finite(window, qtbot)
    boundary = window.plots.panels["boundary"]
    y = boundary.fit_y[np.isfinite(boundary.fit_y)]
    assert boundary.mode == "line" and y.max() > 1e308 and y.min() < -1e308
    # the header counts what is drawn at the edge, as the core's numbers have it
    beyond = int(np.count_nonzero(np.abs(y) > 1e300))
    assert f"|ŷ| over 1.00e300 at {beyond} points (drawn at 1.00e300)" in boundary.header.text()
    _, drawn = boundary.fit.getOriginalDataset()
    assert np.nanmax(np.abs(drawn)) == 1e300


def check_views_finite(window, qtbot) -> None:
    """Paint the whole window, then read every plot's view back: finite ranges."""
    window.repaint()
    qtbot.wait(50)
    for name, panel in window.plots.panels.items():
        for view in panel.findChildren(pg.GraphicsView):
            view.viewport().repaint()
            for item in view.scene().items():
                if isinstance(item, pg.ViewBox):
                    for lo, hi in item.viewRange():
                        assert math.isfinite(lo) and math.isfinite(hi), name
                        assert math.isfinite(hi - lo), name


def test_gradients_that_underflow_to_zero_are_shown_as_zero(window):
    """Sigmoid neurons at z ≈ ±10⁶ have σ'(z) = 0 exactly: their gradient is 0, shown as 0
    (a cross at the log axis's floor, the label "0", black in the diagram), never hidden."""
    exp = experiment([2, 3, 1], "sigmoid", data=MILLION,
                     init={"scheme": "uniform", "low": 0.5, "high": 1.0, "seed": 0})
    run(window, exp, steps=2)
    check_shown(window)
    s = window.session
    assert layer_grad_mean_abs(s.current)[0] == 0.0
    flow = window.plots.panels["flow"]
    assert flow.labels[0].textItem.toPlainText() == "0"
    assert "1 exactly 0" in flow.header.text()
    gradients = window.plots.panels["gradients"]
    assert "exactly 0" in gradients.header.text()
    assert gradients.legend.getLabel(gradients.zeros) is not None  # "= 0 (at the floor)"
    # the diagram: δ of layer 1 is exactly 0 for the first sample, drawn in the zero colour
    s.seek(s.trace.phase_range("backward")[1])
    window.diagram.scene._finish_fade()
    assert s.current.delta[0][0, 0] == 0.0
    assert window.diagram.scene.neuron_items[1].fills[0].name() == palette.ZERO.name()
    # the ledger of a weight into layer 1 gives ∂L/∂w = 0
    s.select(Selection(1, 0, 0))
    assert window.ledger.rule.gradient == 0.0
    assert f"= {num(0.0)}." in window.ledger.footer.text()


def test_dead_relus_show_zero_gradients(window):
    """Every ReLU of the first layer starts below 0 (constant negative weights): dead."""
    exp = experiment([2, 4, 4, 1], "relu", init={"scheme": "constant", "value": -0.5},
                     data={"inputs": [[1.0, 1.0], [2.0, 0.5]], "targets": [[1.0], [0.0]]})
    run(window, exp)
    check_shown(window)
    values = layer_grad_mean_abs(window.session.current)
    assert values[0] == 0.0 and values[1] == 0.0
    assert "exactly 0" in window.plots.panels["flow"].header.text()


def test_exploding_to_inf_stops_training_with_the_banner(window, qtbot):
    exp = experiment([1] + [8] * 10 + [1], "linear", "linear", lr=10.0,
                     init={"scheme": "normal", "std": 3.0, "seed": 2},
                     data={"dataset": "sine", "samples": 16})
    s = window.session
    s.set_experiment(exp)
    with qtbot.waitSignal(s.diverged, timeout=20_000):
        s.train()
    qtbot.waitUntil(lambda: not s.training, timeout=5000)
    check_shown(window)
    assert "inf or NaN" in window.diagram.banner.text()
    s.train_step()  # stepping on with NaN weights is allowed and shown, not an exception
    s.to_end()
    check_shown(window)


def test_non_finite_derivatives_are_counted(window, qtbot):
    exp = experiment([1] + [8] * 10 + [1], "gelu", "linear", lr=10.0,
                     init={"scheme": "normal", "std": 3.0, "seed": 2},
                     data={"dataset": "sine", "samples": 16})
    s = window.session
    s.set_experiment(exp)
    while s.diverged_at is None or s.trainer.step_count < s.diverged_at + 3:
        s.train_step()
    check_shown(window)
