"""The live plot panels against the core's arrays, and their pacing and robustness.

Every number a panel draws is checked against the array it comes from: σ'(z) points
against ``Pass.dact``, the flow bars against the per-layer mean |∂L/∂W|, the history
lines against ``History``; then zeros, inf and NaN must draw without an exception and
without inf reaching a plot item.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QGridLayout, QWidget

from vanishgui.core import curves
from vanishgui.core.activations import parse_activation
from vanishgui.core.experiment import parse_experiment
from vanishgui.core.numbers import num
from vanishgui.core.scene import depth_row
from vanishgui.core.training import History
from vanishgui.ui.model.presentation import PROJECTOR_ZOOM, Presentation, sizes_at
from vanishgui.ui.model.session import Session
from vanishgui.ui.plots import FRAME_MS, PANELS, PlotHub
from vanishgui.ui.plots.base import MIN_VIEW_PX
from vanishgui.ui.plots.flow import ratio_label

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def experiment(layers, *, hidden="sigmoid", output="sigmoid", data=None, loss="bce",
               lr=0.5, weights=None, batch_size=None):
    network = {"layers": list(layers), "hidden_activation": hidden,
               "output_activation": output, "init": {"scheme": "xavier_uniform", "seed": 0}}
    if weights is not None:
        network["weights"] = weights
    training = {"loss": loss, "optimizer": "sgd", "learning_rate": lr}
    if batch_size is not None:
        training["batch_size"] = batch_size
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1, "network": network,
        "data": data or {"dataset": "circles", "samples": 40, "noise": 0.05, "seed": 0},
        "training": training,
    })


def deep_sigmoid():
    return experiment([2, 6, 6, 6, 6, 1])


def zero_gradients():
    """ReLU with every weight −0.5 and positive inputs: every z ≤ 0, every ∂L/∂W exactly 0."""
    layers = [2, 3, 3, 1]
    weights = [np.full((layers[i + 1], layers[i]), -0.5).tolist() for i in range(3)]
    return experiment(layers, hidden="relu", loss="squared", weights=weights,
                      data={"inputs": [[1.0, 2.0], [0.5, 0.25], [3.0, 1.0]],
                            "targets": [[1.0], [0.0], [1.0]]})


def diverging():
    """A deep linear net at learning rate 10: overflows to inf, then NaN, within steps."""
    return experiment([1, 6, 6, 6, 6, 1], hidden="linear", output="linear", loss="squared",
                      lr=10.0, data={"dataset": "sine", "samples": 30, "noise": 0.1, "seed": 0})


@pytest.fixture
def make_hub(qtbot):
    """A hub whose panels are all shown in one grid, like the docks of the window."""
    keep = []  # qtbot holds widgets weakly; the grid must outlive the test

    def make(exp=None):
        session = Session(exp or deep_sigmoid())
        hub = PlotHub(session, Presentation())
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        for i, panel in enumerate(hub.panels.values()):
            grid.addWidget(panel, i // 3, i % 3)
        qtbot.addWidget(grid_widget)
        grid_widget.resize(1200, 700)
        grid_widget.show()
        keep.append(grid_widget)
        hub.flush()
        return session, hub

    return make


def graphics_items(panel, kind):
    items = []
    for view in panel.findChildren(pg.GraphicsView):
        items += [it for it in view.scene().items() if isinstance(it, kind)]
    return items


def assert_no_inf_drawn(hub):
    """No plot item holds inf; log axes hold no zeros or negatives (they would be −inf)."""
    for name, panel in hub.panels.items():
        for item in graphics_items(panel, pg.PlotDataItem):
            x, y = item.getData()  # what is drawn (log₁₀ on a log axis)
            if x is None:
                continue
            assert not np.isinf(x).any() and not np.isinf(y).any(), (name, item.name())
        for item in graphics_items(panel, pg.ScatterPlotItem):
            x, y = item.getData()
            assert np.isfinite(x).all() and np.isfinite(y).all(), name
        for item in graphics_items(panel, pg.BarGraphItem):
            for key in ("y0", "height"):
                assert np.isfinite(np.asarray(item.opts[key], dtype=float)).all(), name


# -- the panels and the hub ----------------------------------------------------------------


def test_hub_makes_every_panel_and_draws_it(make_hub):
    _, hub = make_hub()
    assert list(hub.panels) == list(PANELS)
    for name, panel in hub.panels.items():
        assert isinstance(panel, PANELS[name].cls)
        assert panel.redraw_count >= 1 and not panel.dirty
        assert panel.header.text()


def test_dact_points_are_the_pass_dact_at_the_sample(make_hub):
    session, hub = make_hub()
    panel = hub.panels["dact"]
    for sample in (0, 7):
        session.set_sample(sample)
        hub.flush()
        p = session.current
        x, y = panel.points.getData()
        expected = np.concatenate([p.dact[i][sample] for i in range(p.depth)])
        np.testing.assert_array_equal(y, expected)
        layer = np.concatenate([np.full(len(p.dact[i][sample]), i + 1)
                                for i in range(p.depth)])
        assert np.all(np.abs(x - layer) <= 0.33)
        # Marked on the curves: z clipped to the plotted range, a and f'(z) exactly.
        fx, fy = panel.f_marks.getData()
        dx, dy = panel.df_marks.getData()
        z = np.concatenate([p.z[i][sample] for i in panel.curve_layers])
        np.testing.assert_array_equal(fx, np.clip(z, *curves.CURVE_RANGE))
        np.testing.assert_array_equal(dx, fx)
        # a and f'(z) exactly; a z off the range at the curve's end, where it is drawn
        c = panel.curve
        lo, hi = curves.CURVE_RANGE
        a = np.concatenate([p.a[i][sample] for i in panel.curve_layers])
        d = np.concatenate([p.dact[i][sample] for i in panel.curve_layers])
        np.testing.assert_array_equal(
            fy, np.where(z < lo, c.value[0], np.where(z > hi, c.value[-1], a)))
        np.testing.assert_array_equal(
            dy, np.where(z < lo, c.derivative[0], np.where(z > hi, c.derivative[-1], d)))
    # The bound: a dashed segment at 0.25 per layer, and in words the hidden layers' 0.25ᴸ,
    # the depth table's count and bound (issue 12: it had said 0.25ᴸ⁺¹, counting the
    # output's σ', while the depth table said 0.25ᴸ)
    _, by = panel.bound_lines.getOriginalDataset()
    assert set(by[np.isfinite(by)].tolist()) == {0.25}
    row = depth_row(p)
    assert row.hidden_layers == 4 and row.bound == 0.25 ** 4
    assert f"has 4 more f'(z) factors than the output layer's (one per hidden layer), each ≤ " \
           f"0.25: their product is ≤ 0.25⁴ = {num(row.bound)}." in panel.bound_label.text()
    assert panel.curve is not None
    np.testing.assert_array_equal(panel.curve.derivative,
                                  curves.activation_curve(parse_activation("sigmoid")).derivative)


def test_flow_bars_are_the_mean_abs_weight_gradient(make_hub):
    session, hub = make_hub()
    panel = hub.panels["flow"]
    p = session.current
    expected = np.array([np.abs(g).mean() for g in p.grad_weights])
    np.testing.assert_array_equal(panel.values, expected)
    np.testing.assert_array_equal(panel.values, curves.layer_grad_mean_abs(p))
    tops = np.asarray(panel.bars.opts["y0"]) + np.asarray(panel.bars.opts["height"])
    np.testing.assert_allclose(10.0 ** tops, expected, rtol=1e-12)
    assert panel.labels[-1].textItem.toPlainText() == "1"
    assert panel.labels[0].textItem.toPlainText() == ratio_label(expected[0] / expected[-1])
    assert expected[0] < expected[-1]  # a deep sigmoid net: the first layer gets less


def test_gradient_history_holds_every_step(make_hub):
    session, hub = make_hub()
    steps = 25
    for _ in range(steps):
        session.train_step()
    hub.flush()
    h = session.trainer.history
    panel = hub.panels["gradients"]
    assert len(panel.curves) == session.experiment.depth
    for i, curve in enumerate(panel.curves):
        x, y = curve.getOriginalDataset()
        assert len(x) == steps
        np.testing.assert_array_equal(x, h.steps)
        np.testing.assert_array_equal(y, h.grad_mean_abs[:, i])
    panel.accumulated.setChecked(True)
    hub.flush()
    for i, curve in enumerate(panel.curves):
        np.testing.assert_array_equal(curve.getOriginalDataset()[1], h.layer("grad_cumsum")[:, i])
    assert "Σ" in panel.plot.getAxis("left").labelText
    updates = hub.panels["updates"]
    for i, curve in enumerate(updates.curves):
        np.testing.assert_array_equal(curve.getOriginalDataset()[1],
                                      h.layer("update_mean_abs")[:, i])


def test_loss_and_accuracy(make_hub, qtbot):
    session, hub = make_hub()
    for _ in range(10):
        session.train_step()
    hub.flush()
    panel = hub.panels["loss"]
    h = session.trainer.history
    x, y = panel.loss_curve.getOriginalDataset()
    np.testing.assert_array_equal(x, h.steps)
    np.testing.assert_array_equal(y, h.loss)
    # short (the 1200×700 grid): the loss alone, never squashed, the header says the
    # accuracy; with room, the accuracy plot under it
    assert not panel.accuracy_widget.isVisibleTo(panel)
    assert f"accuracy {num(float(h.accuracy[-1]), 3)}" in panel.header.text()
    panel.setParent(None)  # a window of its own, as tall as a 1080p screen allows
    qtbot.addWidget(panel)
    panel.resize(600, 1000)
    panel.show()
    qtbot.waitUntil(lambda: panel.accuracy_widget.isVisibleTo(panel))
    qtbot.wait(20)  # laid out
    assert panel.loss_widget.getPlotItem().getViewBox().height() >= MIN_VIEW_PX
    assert panel.accuracy_plot.getViewBox().height() >= MIN_VIEW_PX
    np.testing.assert_array_equal(panel.accuracy_curve.getOriginalDataset()[1], h.accuracy)
    panel.log_y.setChecked(True)
    hub.flush()
    assert panel.loss_curve.opts["logMode"][1]
    np.testing.assert_array_equal(panel.loss_curve.getOriginalDataset()[1], h.loss)
    # A regression hides the accuracy.
    session.set_experiment(diverging())
    hub.flush()
    assert not panel.accuracy_widget.isVisibleTo(panel)


def test_decision_boundary_is_the_network_output_grid(make_hub):
    session, hub = make_hub()
    panel = hub.panels["boundary"]
    t = session.trainer
    assert panel.mode == "plane"
    expected = curves.output_grid(t.network, curves.plane_extent(t.inputs))
    np.testing.assert_array_equal(panel.grid.values, expected.values)
    assert panel.image.image.shape == (*expected.values.shape, 4)
    # The image covers exactly the grid's extent, cell (0, 0) at the bottom left.
    x0, x1, y0, y1 = expected.extent
    rect = panel.image.mapRectToParent(panel.image.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
        (x0, x1, y0, y1))
    lut = panel.lut
    corner = expected.values[0, 0]
    np.testing.assert_array_equal(panel.image.image[0, 0],
                                  lut[round(corner * (len(lut) - 1))])
    assert len(panel.dots.getData()[0]) == len(t.inputs)
    before = panel.grid.values.copy()
    for _ in range(5):
        session.train_step()
    hub.flush()
    np.testing.assert_array_equal(panel.grid.values,
                                  curves.output_grid(t.network, panel.extent).values)
    assert not np.array_equal(before, panel.grid.values)


def test_one_input_shows_the_fitted_curve_and_more_inputs_a_message(make_hub):
    session, hub = make_hub(experiment([1, 4, 1], loss="squared",
                                       data={"dataset": "sine", "samples": 20}))
    panel = hub.panels["boundary"]
    assert panel.mode == "line"
    x, y = curves.fitted_curve(session.trainer.network, session.trainer.inputs)
    fx, fy = panel.fit.getOriginalDataset()
    np.testing.assert_array_equal(fx, x)
    np.testing.assert_array_equal(fy, y)
    session.set_experiment(experiment([3, 2, 1], data={
        "inputs": [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]], "targets": [[0.0], [1.0]]}))
    hub.flush()
    assert panel.mode == "none"
    assert panel.stack.currentWidget() is panel.message
    assert "3" in panel.message.text()


def test_new_experiment_rebuilds_for_its_depth(make_hub):
    session, hub = make_hub()
    session.set_experiment(experiment([2, 4, 4, 4, 4, 4, 4, 4, 1]))
    hub.flush()
    assert len(hub.panels["gradients"].curves) == 8
    assert len(hub.panels["flow"].labels) == 8
    assert len(hub.panels["dact"].points.getData()[0]) == 7 * 4 + 1


# -- zeros, inf and NaN ----------------------------------------------------------------------


def test_exact_zero_gradients_are_shown_at_the_floor(make_hub):
    session, hub = make_hub(zero_gradients())
    for _ in range(3):
        session.train_step()
    hub.flush()
    h = session.trainer.history
    assert (h.grad_mean_abs == 0).all()
    panel = hub.panels["gradients"]
    zx, zy = panel.zeros.getOriginalDataset()
    # every layer's 0 at a step sits on the same point: one marker a step, all counted
    assert list(zx) == list(h.steps)
    assert np.all(zy == panel.floor) and panel.floor > 0
    assert f"{h.grad_mean_abs.size} exactly 0" in panel.header.text()
    assert panel.legend.getLabel(panel.zeros) is not None
    flow = hub.panels["flow"]
    assert [lab.textItem.toPlainText() for lab in flow.labels] == ["0"] * 3
    assert len(flow.zero_marks.getData()[0]) == 3
    assert_no_inf_drawn(hub)


def test_diverged_training_draws_without_inf(make_hub):
    session, hub = make_hub(diverging())
    for _ in range(40):
        session.train_step()
    hub.flush()
    h = session.trainer.history
    assert h.diverged_at_step is not None
    assert curves.special_counts(h.grad_mean_abs).nonfinite > 0
    assert_no_inf_drawn(hub)
    panel = hub.panels["gradients"]
    assert panel.diverged_line.isVisible()
    assert panel.diverged_line.value() == h.diverged_at_step
    assert "inf/NaN" in panel.header.text()
    # The finite steps before it are still drawn.
    y = panel.curves[-1].getOriginalDataset()[1]
    assert np.isfinite(y[: h.diverged_at_step]).all()
    assert "inf/NaN" in hub.panels["loss"].header.text() or np.isfinite(h.loss).all()


def test_log_helpers_never_produce_inf():
    from vanishgui.ui.plots.base import finite_only, log_floor, log_safe

    v = np.array([0.0, -1.0, np.inf, -np.inf, np.nan, 1e-3, 5e-324])
    safe = log_safe(v)
    assert np.isnan(safe[:5]).all() and safe[5] == 1e-3
    assert np.isnan(finite_only(v)[2:5]).all()
    floor = log_floor(v)
    assert 0 < floor <= 5e-324 and math.isfinite(math.log10(floor))
    assert log_floor(np.zeros(3)) == 1e-12
    assert log_floor(np.array([3e-5])) == pytest.approx(1e-6)


# -- pacing ----------------------------------------------------------------------------------


def test_many_steps_make_one_redraw_and_hidden_panels_wait(qtbot):
    session = Session(deep_sigmoid())
    hub = PlotHub(session, Presentation())
    shown, hidden = hub.panels["loss"], hub.panels["updates"]
    qtbot.addWidget(shown)
    qtbot.addWidget(hidden)
    shown.show()
    qtbot.waitUntil(lambda: shown.redraw_count == 1 and not hub.timer.isActive())
    for _ in range(30):
        session.train_step()  # 30 × pass_changed and trained, no event loop in between
    assert shown.dirty
    qtbot.waitUntil(lambda: not shown.dirty and not hub.timer.isActive())
    assert shown.redraw_count == 2
    assert hidden.redraw_count == 0 and hidden.dirty
    hidden.show()
    qtbot.waitUntil(lambda: hidden.redraw_count == 1)
    np.testing.assert_array_equal(hidden.curves[0].getOriginalDataset()[1],
                                  session.trainer.history.layer("update_mean_abs")[:, 0])


def test_continuous_training_redraws_at_most_once_a_frame(make_hub, qtbot):
    session, hub = make_hub()
    panel = hub.panels["gradients"]
    before = panel.redraw_count
    start = time.monotonic()
    with qtbot.waitSignal(session.training_changed, timeout=20_000,
                          check_params_cb=lambda on: not on):
        session.train(400)
    elapsed = time.monotonic() - start
    qtbot.waitUntil(lambda: not hub.timer.isActive())
    redraws = panel.redraw_count - before
    assert 1 <= redraws <= elapsed * 1000 / FRAME_MS + 2
    assert len(panel.curves[0].getOriginalDataset()[0]) == session.trainer.history.count


def test_boundary_is_throttled_to_ten_per_second(make_hub):
    session, hub = make_hub()
    panel = hub.panels["boundary"]
    now = time.monotonic()
    session.train_step()
    assert panel.refresh(now + 1.0)
    session.train_step()
    assert panel.interval() >= 0.1
    assert not panel.refresh(now + 1.05)  # within 0.1 s of the last: stays dirty
    assert panel.dirty
    assert panel.refresh(now + 1.0 + panel.interval() + 1e-3)


def test_grid_shrinks_for_huge_networks():
    small = experiment([2, 8, 8, 1]).build_network()
    huge = experiment([2] + [256] * 40 + [1]).build_network()
    assert curves.grid_points(small) == curves.GRID_POINTS
    assert curves.GRID_MIN_POINTS <= curves.grid_points(huge) < curves.GRID_POINTS


def test_projector_mode_enlarges_fonts(make_hub):
    _, hub = make_hub()
    hub.presentation.set(projector=True, zoom=PROJECTOR_ZOOM)
    hub.flush()
    big = sizes_at(PROJECTOR_ZOOM)
    for panel in hub.panels.values():
        assert panel.projector
    axis = hub.panels["gradients"].plot.getAxis("left")
    assert axis.style["tickFont"].pointSizeF() == big["tick"] == 18
    assert f"{big['title']}pt" in hub.panels["flow"].header.styleSheet()
    pens = hub.panels["gradients"].curves[0].opts["pen"]
    assert pens.widthF() == big["line"] == 4.5


# -- history CSV -----------------------------------------------------------------------------


def test_export_history_csv(make_hub, tmp_path):
    session, hub = make_hub()
    for _ in range(6):
        session.train_step()
    path = tmp_path / "history.csv"
    hub.export_history_csv(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    h = session.trainer.history
    depth = session.experiment.depth
    assert rows[0][:3] == ["step", "loss", "accuracy"]
    assert len(rows[0]) == 3 + len(History.PER_LAYER) * depth
    assert len(rows) == 1 + len(h.steps)
    col = rows[0].index("grad_mean_abs_layer1")
    assert [float(r[col]) for r in rows[1:]] == h.grad_mean_abs[:, 0].tolist()
    assert [float(r[1]) for r in rows[1:]] == h.loss.tolist()


def test_history_csv_keeps_nan_and_inf():
    h = History(2)
    h.record(1.0, math.nan, np.array([0.0, 1.0]), np.ones(2), np.ones(2), np.ones(2))
    h.record(math.inf, 0.5, np.array([math.nan, 2.0]), np.ones(2), np.ones(2), np.ones(2))
    lines = curves.history_csv(h).splitlines()
    assert lines[1].split(",")[:4] == ["0", "1.0", "nan", "0.0"]
    assert lines[2].split(",")[:4] == ["1", "inf", "0.5", "nan"]


# -- the core helpers the panels draw from ---------------------------------------------------


def test_derivative_bound_and_ratios():
    sig, relu = parse_activation("sigmoid"), parse_activation("relu")
    b = curves.derivative_bound([sig] * 4)
    assert b.common == 0.25 and b.product == 0.25**4
    assert b.reaching == (0.25**4, 0.25**3, 0.25**2, 0.25)
    mixed = curves.derivative_bound([relu, sig])
    assert mixed.common is None and mixed.product == 0.25
    assert curves.derivative_bound([parse_activation("gelu")]).product is not None
    assert curves.derivative_bound([parse_activation("prelu"), sig]).product is None
    np.testing.assert_array_equal(curves.ratios_to_output(np.array([1.0, 2.0, 4.0])),
                                  [0.25, 0.5, 1.0])
    assert np.isnan(curves.ratios_to_output(np.array([1.0, 0.0]))).all()
    assert np.isnan(curves.ratios_to_output(np.array([1.0, np.nan]))).all()


def test_plane_extent_ignores_non_finite_inputs():
    x = np.array([[0.0, 1.0], [np.nan, 3.0], [2.0, np.inf]])
    x0, x1, y0, y1 = curves.plane_extent(x, margin=0.5)
    assert (x0, x1, y0, y1) == (-1.0, 3.0, 0.0, 4.0)
    assert curves.plane_extent(np.full((2, 2), np.nan)) == (-1.0, 1.0, -1.0, 1.0)


def test_panel_plots_export_through_pyqtgraph(make_hub, tmp_path):
    """The context menu's Export… (PNG, SVG, CSV) works on the panels' own plots."""
    import pyqtgraph.exporters as exporters

    session, hub = make_hub(zero_gradients())
    for _ in range(3):
        session.train_step()
    hub.flush()
    plot = hub.panels["gradients"].plot
    svg = tmp_path / "gradients.svg"
    exporters.SVGExporter(plot).export(str(svg))
    assert "<svg" in svg.read_text(encoding="utf-8")
    table = tmp_path / "gradients.csv"
    exporters.CSVExporter(plot).export(str(table))
    assert table.read_text(encoding="utf-8").strip()
    png = tmp_path / "flow.png"
    exporters.ImageExporter(hub.panels["flow"].plot).export(str(png))
    assert png.stat().st_size > 0


def test_history_curves_keep_every_spike_and_the_newest_step_when_decimated():
    from vanishgui.ui.plots.base import min_max_decimate, zero_markers

    steps = np.arange(12_000, dtype=np.float64)
    ys = np.ones((12_000, 2))
    ys[5_003, 0] = 1e6  # one spike
    ys[7_000, 1] = 1e-9  # one dip
    x, out = min_max_decimate(steps, ys, 500)
    assert len(x) <= 2 * 500 + 24 and out.shape == (len(x), 2)
    assert out[:, 0].max() == 1e6 and out[:, 1].min() == 1e-9
    assert x[-1] == steps[-1] and out[-1, 0] == 1.0
    short_x, _ = min_max_decimate(steps[:900], ys[:900], 500)
    assert short_x is steps[:900] or np.array_equal(short_x, steps[:900])
    zero = np.zeros((12_000, 64), dtype=bool)
    zero[:, 5:] = True  # layers 6… are exactly 0 at every step
    rows, layers = zero_markers(zero, steps, 800)
    assert len(rows) == 800 and set(layers.tolist()) == {5}


# -- redraw cost on big networks (the window answers while they train) ----------------------
def test_a_dense_layers_points_are_thinned_but_keep_their_spread(make_hub):
    """Six layers of 256: 1,536 σ' values would pile up in six columns at ~50 ms a redraw;
    each column keeps per_layer_limit of them, its smallest and largest included."""
    from vanishgui.ui.plots.dact import per_layer_limit

    session, hub = make_hub(experiment([2] + [256] * 5 + [1], hidden="tanh"))
    panel = hub.panels["dact"]
    p = session.current
    limit = per_layer_limit(p.depth)
    assert limit < 256
    x, y = panel.points.getData()
    for i in range(p.depth):
        d = p.dact[i][0]
        column = y[np.abs(x - (i + 1)) <= 0.33]
        assert len(column) == min(len(d), limit)
        assert set(column) <= set(d)  # values of the core, none made up
        assert column.min() == d.min() and column.max() == d.max()
    assert f"{limit} of 256 neurons a layer drawn" in panel.header.text()
    fx, _ = panel.f_marks.getData()
    assert len(fx) == sum(min(len(p.z[i][0]), per_layer_limit(len(panel.curve_layers)))
                          for i in panel.curve_layers)


def test_the_pacer_spreads_costly_redraws_over_frames(make_hub, monkeypatch):
    """One timer event never pays for every panel: past FRAME_BUDGET_S the rest wait for
    the next frame, and they take turns, so every panel is redrawn within a few frames."""
    from vanishgui.ui import plots

    _session, hub = make_hub()
    done = []
    for name, panel in hub.panels.items():
        def slow(name=name):
            time.sleep(plots.FRAME_BUDGET_S * 1.2)
            done.append(name)
        monkeypatch.setattr(panel, "redraw", slow)
        panel.mark_dirty()
    frames = 0
    while len(done) < len(hub.panels):
        before = len(done)
        for panel in hub.panels.values():
            panel._last_redraw = -math.inf  # every panel is due
        hub._on_frame()
        frames += 1
        assert len(done) - before == 1  # one costly redraw a frame
        assert frames <= len(hub.panels)
    assert sorted(done) == sorted(hub.panels)


def test_the_decision_boundary_is_computed_off_the_gui_thread(make_hub, qtbot, monkeypatch):
    """While training, the boundary's grid is predicted on the training worker and the
    picture follows; a forced redraw (screenshot, test) computes it at once."""
    import threading

    from vanishgui.ui.plots import boundary

    session, hub = make_hub()
    panel = hub.panels["boundary"]
    threads = []
    real = boundary.output_grid

    def spy(net, extent):
        threads.append(threading.current_thread())
        return real(net, extent)

    monkeypatch.setattr(boundary, "output_grid", spy)
    session.train_now(5)
    panel._last_redraw = -math.inf
    assert panel.refresh()  # the live path: a request to the worker
    qtbot.waitUntil(lambda: "after 5 steps" in panel.header.text(), timeout=5000)
    assert threads and threads[-1] is not threading.main_thread()
    np.testing.assert_array_equal(panel.grid.values, real(session.trainer.network,
                                                          panel.extent).values)
    session.train_now(2)
    panel._last_redraw = -math.inf
    assert panel.refresh()
    assert hub.panels["boundary"].background.waiting or "after 7 steps" in panel.header.text()
    hub.flush()  # forced: the picture of step 7 now, whatever the worker is doing
    assert "after 7 steps" in panel.header.text()
    assert threads[-1] is threading.main_thread()


def _texts_outside_their_view(panel) -> list[str]:
    """The shown TextItems of a panel that do not lie wholly inside their view box."""
    out = []
    for plot in graphics_items(panel, pg.PlotItem):
        vb = plot.getViewBox()
        shown = vb.sceneBoundingRect().adjusted(-1, -1, 1, 1)
        for item in plot.items:  # addedItems leaves out those added with ignoreBounds
            if (isinstance(item, pg.TextItem) and item.isVisible()
                    and item.toPlainText() and not shown.contains(
                        item.textItem.sceneBoundingRect())):
                out.append(item.toPlainText())
    return out


@pytest.mark.parametrize("width", [400, 480, 900])  # a projector column is 460 px
def test_bar_labels_and_the_bound_stay_inside_their_plots(qtbot, width):
    """Read back from the view: the first layer's ratio label ran past the axis in a
    narrow plot ("1/1.0e6" read "1.0e6"), and the σ' bound's label lost its start
    ("max σ'(z)" read "x σ'(z)")."""
    session = Session(experiment([2] + [1] * 10 + [1], loss="squared", data={
        "inputs": [[0.5, 0.5]], "targets": [[1.0]]}))
    hub = PlotHub(session, Presentation())
    for name in ("flow", "dact"):
        panel = hub.panels[name]
        qtbot.addWidget(panel)
        panel.resize(width, 520)
        panel.show()
        qtbot.waitExposed(panel)
    hub.flush()
    qtbot.wait(50)  # the text items follow their view's transform when it is drawn
    flow = hub.panels["flow"]
    assert flow.labels[0].toPlainText().startswith("1/")  # the vanishing first layer
    for name in ("flow", "dact"):
        assert not _texts_outside_their_view(hub.panels[name]), name


# -- x axes whose labels never collide, and plots inside their views ------------------------


def drawn_labels(axis: pg.AxisItem) -> list[tuple[str, float, float]]:
    """(text, left, right) of every label the axis draws, read from its draw specs."""
    from axes import draw_specs

    specs = draw_specs(axis)
    return sorted((text, rect.left(), rect.right()) for rect, _flags, text in specs[2])


@pytest.mark.parametrize("width", [140, 200, 320, 700])
@pytest.mark.parametrize("last", [9, 480, 39_000, 2_500_000])
def test_a_step_axis_never_runs_its_labels_together(qtbot, width, last) -> None:
    """pyqtgraph 0.14 drew "2000" into "4000" in a narrow history plot."""
    from vanishgui.ui.plots.base import decade_axes

    w = pg.PlotWidget(axisItems=decade_axes())
    qtbot.addWidget(w)
    w.resize(width, 240)
    w.show()
    qtbot.waitExposed(w)
    w.getPlotItem().plot(np.linspace(0, last, 50), np.linspace(1, 2, 50))
    w.getPlotItem().setXRange(0, last, padding=0.05)
    axis = w.getPlotItem().getAxis("bottom")
    # the axis grows to its labels' height on its first paint, and draws them on the next
    qtbot.waitUntil(lambda: len(drawn_labels(axis)) >= (2 if width >= 200 else 1),
                    timeout=2000)
    labels = drawn_labels(axis)
    by_x = sorted(labels, key=lambda t: t[1])
    for (a, _l, right), (b, left, _r) in itertools.pairwise(by_x):
        assert right <= left, (a, b, width, last)
    assert len(labels) >= (2 if width >= 200 else 1), labels
    for text, _l, _r in labels:  # and each is a number in view
        lo, hi = w.getPlotItem().viewRange()[0]
        assert lo <= float(text) <= hi


def test_a_history_plot_keeps_its_axis_in_sight_beside_a_tall_legend(qtbot) -> None:
    """A ten-layer legend taller than the view made the layout taller than the view:
    the plot's "training step" axis ran out of sight, and stayed out after the legend
    shrank. Read back: the plot item lies inside what its view shows."""
    from vanishgui.core.experiment import load_experiment
    from vanishgui.ui.plots.gradients import GradientsPanel

    s = Session(load_experiment(EXAMPLES / "deep-chain-sigmoid.json"))
    s.trainer.train(30)
    s.announce_training()
    panel = GradientsPanel(s)
    qtbot.addWidget(panel)
    for height in (900, 300, 700):
        panel.resize(420, height)
        panel.show()
        panel.flush()
        qtbot.wait(30)
        view = panel.view
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        assert panel.plot.sceneBoundingRect().bottom() <= shown.bottom() + 1, height
        assert panel.legend.sceneBoundingRect().bottom() <= shown.bottom() + 1, height


@pytest.mark.parametrize("width", [260, 420, 900])
def test_the_layer_numbers_under_sigma_prime_never_run_together(qtbot, width) -> None:
    """20 layers in a narrow σ'(z) plot drew "11131517"; then "19" into "20"."""
    from vanishgui.core.experiment import load_experiment
    from vanishgui.ui.plots.dact import DactPanel

    s = Session(load_experiment(EXAMPLES / "saturated-relu-chain.json"))
    panel = DactPanel(s)
    qtbot.addWidget(panel)
    panel.resize(width, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    qtbot.wait(30)
    if not panel.layers_plot.isVisible():  # too small: f'(z) alone (curve_arrangement)
        return
    labels = sorted(drawn_labels(panel.layers_plot.getAxis("bottom")), key=lambda t: t[1])
    assert labels[0][0] == "1" and labels[-1][0] == "20", labels  # both ends shown
    for (a, _l, right), (b, left, _r) in itertools.pairwise(labels):
        assert right <= left, (a, b, width)
