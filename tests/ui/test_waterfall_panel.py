"""The chain-rule waterfall panel, read back from the pyqtgraph items it draws.

The bars are the core's log₁₀ parts (and so, on the classic chain, log₁₀ of the ledger's
factors); the y axis draws true powers of ten; the panel follows the selection, the sample
and each new pass; an exact 0 is drawn at the floor and said in words.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from axes import draw_specs
from test_colours import MIN_DELTA_E, main_window_meanings

from vanishgui.core.experiment import classic, load_experiment, parse_experiment
from vanishgui.core.explain import chain_rule
from vanishgui.core.waterfall import caption, waterfall
from vanishgui.ui.model import palette
from vanishgui.ui.model.presentation import PROJECTOR_ZOOM, Presentation
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.plots import PANELS
from vanishgui.ui.plots.waterfall import HINT, START, WaterfallPanel

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def circles():
    return load_experiment(EXAMPLES / "deep-sigmoid-circles.json")


def dead_relu_chain():
    """w₂ < 0 after a positive a₁: relu'(z₂) = 0, the gradient stops at layer 2."""
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [1, 1, 1, 1], "hidden_activation": "relu",
                    "output_activation": "sigmoid", "weights": [[[1.0]], [[-1.0]], [[1.0]]],
                    "init": {"scheme": "xavier_uniform", "seed": 0}},
        "data": {"inputs": [[0.5]], "targets": [[1.0]]},
        "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": 0.5}})


@pytest.fixture
def make_panel(qtbot):
    def make(exp=None, width=700, height=520, presentation=None):
        session = Session(exp or classic())
        panel = WaterfallPanel(session, presentation)
        qtbot.addWidget(panel)
        panel.resize(width, height)
        panel.show()
        qtbot.waitExposed(panel)
        panel.flush()
        qtbot.wait(20)  # laid out: the ticks fit the view's final width
        return session, panel

    return make


def drawn_bars(panel) -> dict[float, tuple[float, float, str]]:
    """x → (bottom, top, kind) of every bar drawn, in log₁₀ (the axis's coordinates)."""
    out = {}
    for item, kind in ((panel.sigma_bars, "dact"), (panel.weight_bars, "weight")):
        x = np.asarray(item.opts["x"], dtype=float)
        y0 = np.asarray(item.opts["y0"], dtype=float)
        h = np.asarray(item.opts["height"], dtype=float)
        for xi, bottom, height in zip(x, y0, h):
            out[float(xi)] = (float(bottom), float(bottom + height), kind)
    return out


def at(f) -> float:
    """Where a factor stands: layer m's σ' part at x = m, its weight part at m − ½."""
    return float(f.layer) if f.kind == "dact" else f.layer - 0.5


def parse_power(text: str) -> float | None:
    """'1', '0.01', '10⁻⁵', '10¹' as a number; None if it is something else."""
    t = text.strip()
    m = re.fullmatch(r"10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", t)
    if m:
        return 10.0 ** int(m.group(1).translate(SUPERSCRIPT))
    try:
        return float(t)
    except ValueError:
        return None


def read_ticks(axis: pg.AxisItem) -> list[tuple[float, str]]:
    """(tick value, string) for each string the axis draws: its tickStrings watched
    while its draw specs are made, kept only where the string is drawn."""
    pairs: list[tuple[float, str]] = []
    real = axis.tickStrings

    def watch(values, scale, spacing):
        strings = real(values, scale, spacing)
        pairs.extend(zip(values, strings))
        return strings

    axis.tickStrings = watch
    try:
        specs = draw_specs(axis)
    finally:
        del axis.tickStrings
    drawn = {text for _rect, _flags, text in specs[2]}
    return [(v, s) for v, s in pairs if s and s in drawn]


# -- the bars, the lines ---------------------------------------------------------------------


def test_the_bars_are_log10_of_the_ledgers_factors_on_the_classic_chain(make_panel):
    session, panel = make_panel()
    assert session.selection == Selection(1, 0, 0)  # a chain opens on w₁
    p = session.current
    ledger = [f for f in chain_rule(p, 1, 0, 0).factors if f.kind in ("dact", "weight")]
    bars = drawn_bars(panel)
    assert sorted(bars) == [1.0, 1.5, 2.0, 2.5, 3.0]
    before = 0.0  # the path starts at ∂L/∂ŷ, a share of 1
    for factor, x in zip(ledger, (3.0, 2.5, 2.0, 1.5, 1.0)):
        bottom, top, kind = bars[x]
        log = math.log10(abs(factor.value))
        assert kind == factor.kind
        assert top - bottom == pytest.approx(abs(log), abs=1e-12)
        # down for a factor under 1, up for one over: from the product before to after
        assert (bottom, top) == pytest.approx(sorted((before, before + log)), abs=1e-12)
        before += log
    assert [t for _x, t in panel.plot.getAxis("bottom")._tickLevels[0]] == [
        START, *(f.symbol for f in ledger)]
    # the running line through the products, the dashed bound 0.25, 0.25², 0.25³
    w = panel.waterfall
    x, y = panel.running_line.getOriginalDataset()
    np.testing.assert_array_equal(x, [3.5, 3.0, 2.5, 2.0, 1.5, 1.0])
    assert panel.plot.getViewBox().xInverted()  # the loss on the left, layer 1 on the right
    np.testing.assert_allclose(y, [1.0, *(f.running for f in w.factors)], rtol=1e-15)
    _, by = panel.bound_line.getOriginalDataset()
    np.testing.assert_array_equal(by, [1.0, 0.25, 0.25, 0.0625, 0.0625, 0.015625])
    assert panel.bound_line.opts["pen"].style() != pg.QtCore.Qt.PenStyle.SolidLine
    assert caption(w) in panel.header.text()


def test_the_bars_are_the_cores_parts_on_a_wide_network(make_panel):
    session, panel = make_panel(circles())
    session.select(Selection(2, 3, 1))
    session.set_sample(9)
    panel.flush()
    expected = waterfall(session.current, 2, 3, 1, 9)
    assert panel.waterfall == expected
    bars = drawn_bars(panel)
    assert len(bars) == len(expected.factors) == 11
    before = 0.0
    for f in expected.factors:
        bottom, top, kind = bars[at(f)]
        assert kind == f.kind and f.log10 is not None and f.running_log10 is not None
        assert top - bottom == pytest.approx(abs(f.log10), abs=1e-12)
        assert (bottom, top) == pytest.approx(sorted((before, f.running_log10)), abs=1e-12)
        before = f.running_log10
    assert "Sample 10" in panel.header.text()


def test_the_y_axis_draws_true_powers_of_ten(make_panel, qtbot):
    for exp, selection, width in ((circles(), Selection(1, 0, 0), 460),
                                  (classic(), Selection(1, 0, 0), 700),
                                  (dead_relu_chain(), Selection(1, 0, 0), 900)):
        session, panel = make_panel(exp, width=width)
        session.select(selection)
        panel.flush()
        qtbot.wait(20)
        axis = panel.plot.getAxis("left")
        assert axis.logMode and axis.autoSIPrefixScale * axis.scale == 1.0
        assert axis.labelUnitPrefix == ""
        ticks = read_ticks(axis)
        assert len(ticks) >= 3, ticks
        for value, text in ticks:
            assert value == round(value), (value, text)  # whole decades only
            number = parse_power(text)
            assert number is not None and math.isclose(number, 10.0 ** value, rel_tol=1e-9), (
                text, value)
        lo, hi = panel.plot.getViewBox().viewRange()[1]
        drawn = [y for b in drawn_bars(panel).values() for y in b[:2]]
        assert lo <= min(drawn) and max(drawn) <= hi  # every bar in view


@pytest.mark.parametrize("width", [300, 460, 900])
@pytest.mark.parametrize("example", ["classic", "circles", "saturated-relu-chain"])
def test_the_factor_labels_never_run_together(make_panel, qtbot, width, example):
    exp = classic() if example == "classic" else (
        circles() if example == "circles" else
        load_experiment(EXAMPLES / "saturated-relu-chain.json"))
    session, panel = make_panel(exp, width=width)
    session.select(Selection(1, 0, 0))
    panel.flush()
    qtbot.wait(20)
    specs = draw_specs(panel.plot.getAxis("bottom"))
    labels = sorted(((rect.left(), rect.right(), text) for rect, _f, text in specs[2]))
    for (_l, right, a), (left, _r, b) in itertools.pairwise(labels):
        assert right <= left, (a, b)
    last = panel.waterfall.factors[-1]
    assert labels[-1][2] in (last.symbol, str(last.layer))  # the weight's layer is named
    for x, text in panel.plot.getAxis("bottom")._tickLevels[0]:
        if text.isdigit():  # a layer number stands at its layer: a number on an axis is true
            assert float(text) == x, (text, x)


# -- following the session -------------------------------------------------------------------


def test_it_follows_the_selection_and_shows_a_hint_without_a_weight(make_panel, qtbot):
    session, panel = make_panel(circles())
    assert session.selection is None
    assert panel.stack.currentWidget() is panel.hint and panel.hint.text() == HINT
    assert panel.hint.isVisible() and not panel.widget.isVisible()
    assert panel.header.text() == "Step 0  ·  no weight selected"
    assert panel.waterfall is None
    with qtbot.waitSignal(panel.needs_redraw):
        session.select(Selection(3, 2, 4))
    panel.flush()
    assert panel.stack.currentIndex() == 0 and panel.waterfall is not None
    assert panel.waterfall.layer == 3
    assert len(drawn_bars(panel)) == 2 * (session.current.depth - 3) + 1
    session.select(Selection(3, 2))  # a neuron, not a weight
    panel.flush()
    assert panel.stack.currentWidget() is panel.hint and panel.waterfall is None
    session.select(Selection(7, 0, 5))
    panel.flush()
    assert panel.waterfall is not None and len(drawn_bars(panel)) == 1
    session.select(None)
    panel.flush()
    assert panel.stack.currentWidget() is panel.hint


def test_it_redraws_each_new_pass_and_sample(make_panel, qtbot):
    session, panel = make_panel(circles())
    session.select(Selection(1, 0, 0))
    panel.flush()
    first = panel.waterfall
    for _ in range(3):
        session.train_step()
    assert panel.dirty
    panel.flush()
    assert session.current.step == 3 and "step 3" in panel.header.text()
    assert panel.waterfall == waterfall(session.current, 1, 0, 0, 0)
    assert panel.waterfall != first
    with qtbot.waitSignal(panel.needs_redraw):
        session.set_sample(4)
    panel.flush()
    assert panel.waterfall == waterfall(session.current, 1, 0, 0, 4)
    bars = drawn_bars(panel)
    for f in panel.waterfall.factors:
        bottom, top, _kind = bars[at(f)]
        assert top - bottom == pytest.approx(abs(f.log10), abs=1e-12)
    session.set_experiment(classic())  # new shapes: a chain again, w₁ selected
    panel.flush()
    assert len(drawn_bars(panel)) == 5


def test_a_dead_path_is_drawn_to_the_floor_and_said(make_panel):
    _, panel = make_panel(dead_relu_chain())
    w = panel.waterfall
    assert w.stop is not None and w.stop.factor == 2
    bars = drawn_bars(panel)
    assert sorted(bars) == [2.0, 2.5, 3.0]  # nothing drawn past the 0 (relu'(z₂))
    bottom, top, kind = bars[2.0]
    assert kind == "dact" and bottom == panel.floor
    assert top == pytest.approx(w.factors[1].running_log10, abs=1e-12)
    assert panel.floor < min(f.running_log10 for f in w.factors[:2])
    zx, zy = panel.zero_marks.getData()
    assert list(zx) == [2.0] and list(zy) == [panel.floor]
    assert panel.zero_label.isVisible() and panel.zero_label.toPlainText() == "0"
    assert "Gradient stops here: exactly 0 at relu'(z₂)" in panel.header.text()
    _, y = panel.running_line.getData()  # log₁₀ of what is drawn: no −inf for the 0
    assert not np.isinf(y).any()
    assert np.isnan(y[3:]).all() and np.isfinite(y[:3]).all()


# -- colours, legend, the hub ---------------------------------------------------------------


def test_the_two_parts_have_colours_of_their_own_and_a_legend(make_panel):
    meanings = {**main_window_meanings(), "σ' part": [palette.rgb(palette.SIGMA_PART)],
                "weight part": [palette.rgb(palette.WEIGHT_PART)]}
    close = [c for c in palette.closest_meanings(meanings)
             if c[0] < MIN_DELTA_E and "part" in c[1] + c[2]]
    assert not close, close
    _, panel = make_panel()
    assert panel.sigma_bars.opts["brush"].color() == palette.SIGMA_PART
    assert panel.weight_bars.opts["brush"].color() == palette.WEIGHT_PART
    legend = panel.legend.text()
    assert palette.SIGMA_PART.name() in legend and "σ' part" in legend
    assert palette.WEIGHT_PART.name() in legend and "weight part" in legend
    assert "running product" in legend and "bound on the σ' parts" in legend
    assert panel.legend.isVisible()


def test_the_panel_is_a_now_panel_and_grows_in_projector_mode(make_panel):
    assert PANELS["waterfall"].cls is WaterfallPanel and PANELS["waterfall"].group == "now"
    pres = Presentation()
    _, panel = make_panel(presentation=pres, width=900, height=700)
    small = panel.plot.getAxis("left").style["tickFont"].pointSizeF()
    pres.set(projector=True, zoom=PROJECTOR_ZOOM)
    panel.flush()
    assert panel.plot.getAxis("left").style["tickFont"].pointSizeF() > small
    assert len(drawn_bars(panel)) == 5  # redrawn after the rebuild


def test_an_overflowed_pass_draws_nothing_infinite(make_panel):
    exp = parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [1, 1, 1, 1], "hidden_activation": "linear",
                    "output_activation": "linear", "weights": [[[1e200]], [[1e200]], [[1e200]]],
                    "init": {"scheme": "xavier_uniform", "seed": 0}},
        "data": {"inputs": [[0.5]], "targets": [[1.0]]},
        "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": 0.5}})
    _, panel = make_panel(exp)
    assert panel.waterfall is not None and panel.waterfall.stop is not None
    assert "inf or NaN" in panel.header.text()
    for bars in (panel.sigma_bars, panel.weight_bars):
        for key in ("y0", "height"):
            assert np.isfinite(np.asarray(bars.opts[key], dtype=float)).all()
    for line in (panel.running_line, panel.bound_line):
        _, y = line.getData()
        assert y is None or not np.isinf(y).any()
    assert panel.running_line.getData()[1] is None  # nothing to draw from an inf ∂L/∂ŷ
    lo, hi = panel.plot.getViewBox().viewRange()[1]
    assert math.isfinite(lo) and math.isfinite(hi)


def test_editing_a_weight_redraws_the_waterfall_from_the_new_pass(make_panel, qtbot):
    """Editing w₂ in the inspector recomputes the pass (Session.edit_weight): the w₂ bar
    is then log₁₀ of the new |w₂|, and every bar log₁₀ of the new ledger's factor."""
    session, panel = make_panel()
    old = session.current
    with qtbot.waitSignal(session.pass_changed):
        session.edit_weight(2, 0, 0, -3.0)
    assert panel.dirty
    panel.flush()
    p = session.current
    assert p is not old and p.network.weights[1][0, 0] == -3.0
    bars = drawn_bars(panel)
    bottom, top, kind = bars[1.5]  # w₂ stands half a layer before layer 1's σ'
    assert kind == "weight" and top - bottom == pytest.approx(math.log10(3.0), abs=1e-12)
    ledger = [f for f in chain_rule(p, 1, 0, 0).factors if f.kind in ("dact", "weight")]
    for f, x in zip(ledger, (3.0, 2.5, 2.0, 1.5, 1.0)):
        b, t, _kind = bars[x]
        assert t - b == pytest.approx(abs(math.log10(abs(f.value))), abs=1e-12)
    assert panel.waterfall == waterfall(p, 1, 0, 0)


def test_dragging_the_inspectors_slider_moves_the_pass_ledger_and_waterfall_together(
        qtbot) -> None:
    """The full window: w₃ selected, its slider dragged with the keyboard; the pass, the
    ledger's w₃ row and the waterfall's w₃ bar all show the same new weight."""
    from PySide6.QtCore import Qt

    from vanishgui.cli.window import build_window
    from vanishgui.core.experiment import classic
    from vanishgui.ui.model.session import Selection, Session

    w = build_window(Session(classic()), restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    s = w.session
    s.select(Selection(3, 0, 0))  # w₃, into the output
    inspector, ledger = w.inspector, w.ledger
    slider = inspector.weight_slider
    before = float(s.current.network.weights[2][0, 0])
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # one page: a tenth of the slider's span
    after = float(s.current.network.weights[2][0, 0])
    assert after != before and after == pytest.approx(inspector.weight_box.value(), abs=1e-4)
    s.select(Selection(1, 0, 0))  # the ledger and waterfall of w₁ cross w₃
    w.plots.flush()
    rule = ledger.rule
    w3 = next(f for f in rule.factors if f.symbol == "w₃")
    assert w3.value == after
    panel = w.plots.panels["waterfall"]
    assert panel.waterfall == waterfall(s.current, 1, 0, 0)
    bottom, top, kind = drawn_bars(panel)[2.5]  # w₃ stands half a layer before σ'(z₂)
    assert kind == "weight"
    assert top - bottom == pytest.approx(math.log10(abs(after)), abs=1e-12)
