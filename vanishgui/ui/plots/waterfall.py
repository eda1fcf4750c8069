"""The chain-rule waterfall: for the selected weight, log₁₀ of each factor from the loss back.

Each bar runs from the running product before its factor to the product after it, so a
factor below 1 hangs down and one above 1 stands up; σ' parts and weight parts have a
colour each, and a skip part (where a residual block's skip adds ∂L/∂a of its end with a
factor of 1) a third, narrower, marked "×1" (see :mod:`vanishgui.core.waterfall`). The
running product ‖·‖/‖∂L/∂ŷ‖ is the line with markers, and the product of
the largest f'(z) passed so far (the bound on the σ' parts) the dashed line. x is the
layer, running backwards from the loss on the left: layer m's σ' part stands at m, its
weight part at m − ½, so a layer number under the axis is true. Every number comes from
:func:`vanishgui.core.waterfall.waterfall`; the bars are drawn in log₁₀ coordinates on a
log axis (pyqtgraph's bars have no log mode), the lines as values. An exactly-0 part
hangs to the axis floor and gets a cross and a "0" there. With no weight selected the
plot gives way to a hint.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from ...core.waterfall import Waterfall, caption, waterfall
from ..model import palette
from ..model.presentation import Presentation
from ..model.session import Session
from .base import (
    BOUND_COLOR,
    HYSTERESIS_PX,
    INK,
    MIN_VIEW_PX,
    PlotPanel,
    axis_room,
    log_safe,
    make_plot_widget,
    pen,
    style_plot,
)
from .flow import Bars

BAR_WIDTH = 0.36  # factors stand half a layer apart
MIN_DECADES = 2.4  # fewer make a log axis label its minor ticks
HEAD = 0.3  # decades of room above and below what is drawn
TICK_GAP_PX = 10
HINT = ("Click an edge (a weight) in the diagram: this shows each factor on its "
        "gradient's way back from the loss.")
START = "∂L/∂ŷ"  # the x tick where every path starts (the running product is 1 there)
SKIP_WIDTH = 0.16  # a skip part's bar, between layer s's σ' part and W_{s+1}'s
SKIP_X = 0.25  # …at s + 0.25
# the diagram's skip green: ΔE2000 ≥ 13 from every colour of the main window
SKIP_PART = QColor("#009900")


def factor_x(kind: str, layer: int) -> float:
    """x of a factor: layer m's σ' part at m, its weight part W_m at m − ½, between z_m
    and a_{m−1}, and a skip part (``layer`` its source s) at s + ¼; the x axis runs
    backwards, from the loss on the left to layer 1."""
    if kind == "skip":
        return layer + SKIP_X
    return float(layer) if kind == "dact" else layer - 0.5


class WaterfallPanel(PlotPanel):
    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.widget = make_plot_widget()
        self.plot: pg.PlotItem = self.widget.getPlotItem()
        self.plot.setLogMode(x=False, y=True)
        self.plot.setMouseEnabled(x=False, y=True)
        self.plot.invertX(True)  # from the loss (the output layer) on the left back to layer 1
        self.legend = QLabel()
        self.legend.setObjectName("waterfallLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.hint = QLabel(HINT)
        self.hint.setObjectName("waterfallHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.widget, 1)
        column.addWidget(self.legend)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(page)
        self.stack.addWidget(self.hint)
        self.body.addWidget(self.stack, 1)
        self.waterfall: Waterfall | None = None
        self.sigma_bars = Bars(x=[], y0=[], height=[], width=BAR_WIDTH)
        self.weight_bars = Bars(x=[], y0=[], height=[], width=BAR_WIDTH)
        self.skip_bars = Bars(x=[], y0=[], height=[], width=SKIP_WIDTH)
        self.skip_labels: list[pg.TextItem] = []
        self._legend_skip = False  # the legend names the skip part (a skip is on the path)
        self.running_line = pg.PlotDataItem()
        self.bound_line = pg.PlotDataItem()
        self.zero_marks = pg.ScatterPlotItem()
        self.zero_label = pg.TextItem("0")
        self.floor = -12.0  # log₁₀ of the axis floor, where an exact 0 is drawn
        self.symbols: list[tuple[float, str]] = []  # (x, symbol): START, then each factor
        self.positions: list[float] = []  # each factor's x
        self._ticks: list[tuple[float, str]] | None = None
        self.plot.getViewBox().sigResized.connect(self._fit_ticks)
        self.plot.getViewBox().sigResized.connect(self._fit_legend)
        session.selection_changed.connect(self.mark_dirty)
        session.sample_changed.connect(self._on_sample_changed)

    def _on_sample_changed(self, _sample: int) -> None:
        self.mark_dirty()

    # -- items ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        s = self.sizes
        self.plot.clear()
        self.sigma_bars = Bars(x=[], y0=[], height=[], width=BAR_WIDTH,
                               brush=pg.mkBrush(palette.SIGMA_PART),
                               pen=pen(palette.SIGMA_PART.darker(150), 1.5))
        self.weight_bars = Bars(x=[], y0=[], height=[], width=BAR_WIDTH,
                                brush=pg.mkBrush(palette.WEIGHT_PART),
                                pen=pen(palette.WEIGHT_PART.darker(150), 1.5))
        self.skip_bars = Bars(x=[], y0=[], height=[], width=SKIP_WIDTH,
                              brush=pg.mkBrush(SKIP_PART), pen=pen(SKIP_PART.darker(150), 1.5))
        self.skip_labels = []
        self.plot.addItem(self.sigma_bars)
        self.plot.addItem(self.weight_bars)
        self.plot.addItem(self.skip_bars)
        self.bound_line = pg.PlotDataItem(pen=pen(BOUND_COLOR, s["line"], dashed=True),
                                          connect="finite", name="bound")
        # markers smaller than the other plots': a thin weight bar stays in sight
        self.running_line = pg.PlotDataItem(
            pen=pen(INK, s["line"]), symbol="o", symbolSize=max(5.0, 0.7 * s["symbol"]),
            symbolBrush=pg.mkBrush(INK), symbolPen=pen(INK, 1.0), connect="finite",
            name="running product")
        self.plot.addItem(self.bound_line)
        self.plot.addItem(self.running_line)
        self.zero_marks = pg.ScatterPlotItem(symbol="x", size=s["symbol"] + 5,
                                             pen=pen(INK, 2.5), brush=pg.mkBrush(INK))
        self.plot.addItem(self.zero_marks)
        # "0" over the cross: the floor is where a log axis draws an exact 0, not a value
        self.zero_label = pg.TextItem("0", color=INK, anchor=(0.5, 1.3))
        font = QFont()
        font.setPointSizeF(s["legend"] + 1)
        font.setBold(True)
        self.zero_label.setFont(font)
        self.zero_label.setVisible(False)
        self.plot.addItem(self.zero_label, ignoreBounds=True)
        style_plot(self.plot, s, left="share of ‖∂L/∂ŷ‖", bottom="from the loss back")
        self._ticks = None
        self._set_legend()
        # Style sheets, not setFont: the app's style sheet would override a set font.
        self.hint.setStyleSheet(f"color: {INK.name()}; font-size: {s['title'] + 2}pt;")

    def _set_legend(self) -> None:
        s = self.sizes

        def swatch(color: QColor, mark: str) -> str:
            return f'<span style="color: {color.name()}; font-weight: bold;">{mark}</span>'

        gap = "&nbsp;&nbsp;&nbsp;"
        self.legend.setStyleSheet(f"color: {INK.name()}; font-size: {s['legend']}pt;")
        skip = ""
        if self._legend_skip:
            skip = f"{swatch(SKIP_PART, '■')} skip part: adds ∂L/∂a of the block's end ×1{gap}"
        self.legend.setText(
            f"{swatch(palette.SIGMA_PART, '■')} σ' part{gap}"
            f"{swatch(palette.WEIGHT_PART, '■')} weight part{gap}{skip}"
            f"{swatch(INK, '—●—')} running product{gap}"
            f"{swatch(BOUND_COLOR, '– –')} ∏ max f'(z), the bound on the σ' parts")
        self._fit_legend()

    def _fit_legend(self, *_args: object) -> None:
        """The legend under the plot gives way when the plot would be squashed under
        MIN_VIEW_PX for it, and comes back with HYSTERESIS_PX more room."""
        label = self.legend
        shown = not label.isHidden()
        room = self.widget.height() + (label.height() + 2 if shown else 0)
        need = label.heightForWidth(max(1, self.stack.width())) + 2
        margin = 0 if shown else HYSTERESIS_PX
        show = room - need >= MIN_VIEW_PX + axis_room(self.sizes) + margin
        if show != shown:
            label.setVisible(show)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_legend()

    # -- numbers -------------------------------------------------------------------------
    def redraw(self) -> None:
        p = self.session.current
        sel = self.session.selection
        sample = min(self.session.sample, len(p.inputs) - 1)
        sizes = p.network.layers
        valid = (sel is not None and sel.source is not None and 1 <= sel.layer <= p.depth
                 and 0 <= sel.neuron < sizes[sel.layer]
                 and 0 <= sel.source < sizes[sel.layer - 1])
        if not valid:
            self.waterfall = None
            self._clear()
            self.stack.setCurrentIndex(1)
            self.set_header(f"Step {p.step}  ·  no weight selected")
            return
        assert sel is not None and sel.source is not None
        w = waterfall(p, sel.layer, sel.neuron, sel.source, sample)
        self.waterfall = w
        skip = any(f.kind == "skip" for f in w.factors)
        if skip != self._legend_skip:
            self._legend_skip = skip
            self._set_legend()
        self.stack.setCurrentIndex(0)
        self._draw(w)
        self.set_header(f"Sample {sample + 1}, step {p.step}  ·  {caption(w)}")

    def _clear(self) -> None:
        """No weight selected: nothing of an earlier one stays in the (hidden) plot."""
        for bars, width in ((self.sigma_bars, BAR_WIDTH), (self.weight_bars, BAR_WIDTH),
                            (self.skip_bars, SKIP_WIDTH)):
            bars.setOpts(x=np.zeros(0), y0=np.zeros(0), height=np.zeros(0), width=width)
        self._label_skips([])
        for line in (self.running_line, self.bound_line):
            line.setData([], [])
        self.zero_marks.setData(x=[], y=[])
        self.zero_label.setVisible(False)
        self.symbols, self.positions = [], []

    def _draw(self, w: Waterfall) -> None:
        befores: list[float | None] = [0.0 if w.stop is None or w.stop.factor is not None
                                       else None]
        befores += [f.running_log10 for f in w.factors[:-1]]
        logs = [v for f in w.factors for v in (f.running_log10,) if v is not None]
        bounds = [math.log10(f.bound) for f in w.factors if f.bound]
        lo = min([0.0, *logs, *bounds])
        hi = max([0.0, *logs, *bounds])
        zero = [i for i, f in enumerate(w.factors) if f.value == 0.0]
        self.floor = math.floor(lo) - 1.0 if zero else lo
        self.positions = [factor_x(f.kind, f.layer) for f in w.factors]
        bars: dict[str, tuple[list[float], list[float], list[float]]] = {
            "dact": ([], [], []), "weight": ([], [], []), "skip": ([], [], [])}
        marks: list[tuple[float, float]] = []  # (x, log₁₀ y) of each skip part's "×1"
        for at, f, before in zip(self.positions, w.factors, befores):
            if f.kind == "skip" and f.running_log10 is not None:
                marks.append((at, max(f.running_log10, before if before is not None
                                      else f.running_log10)))
            if before is None or f.value is None:
                continue  # not reached, or inf/NaN (or a skip that revives): no bar
            xs, y0s, heights = bars[f.kind]
            xs.append(at)
            if f.log10 is None:  # exactly 0: down to the floor
                y0s.append(self.floor)
                heights.append(before - self.floor)
            else:
                after = before + f.log10
                y0s.append(min(before, after))
                heights.append(abs(f.log10))
        for item, kind, bw in ((self.sigma_bars, "dact", BAR_WIDTH),
                               (self.weight_bars, "weight", BAR_WIDTH),
                               (self.skip_bars, "skip", SKIP_WIDTH)):
            xs, y0s, heights = bars[kind]
            item.setOpts(x=np.array(xs), y0=np.array(y0s), height=np.array(heights),
                         width=bw)
        self._label_skips(marks)
        x = np.array([self.start_x(w), *self.positions])
        start = 1.0 if w.stop is None or w.stop.factor is not None else math.nan
        running = [start] + [math.nan if f.running is None else f.running for f in w.factors]
        bound = [1.0] + [math.nan if f.bound is None else f.bound for f in w.factors]
        for line, values in ((self.running_line, running), (self.bound_line, bound)):
            y = log_safe(np.array(values))
            if np.isnan(y).all():  # pyqtgraph's markers warn on an all-NaN line
                line.setData([], [])
            else:
                line.setData(x, y, connect="finite")
        self.zero_marks.setData(x=np.array([self.positions[i] for i in zero], dtype=np.float64),
                                y=np.full(len(zero), self.floor))
        self.zero_label.setVisible(bool(zero))
        if zero:
            self.zero_label.setPos(self.positions[zero[0]], self.floor)
        self.symbols = [(float(x[0]), START)] + [(px, f.symbol) for px, f in
                                                 zip(self.positions, w.factors)]
        bottom = min(lo, self.floor) - HEAD
        top = max(hi + HEAD, bottom + MIN_DECADES)
        self.plot.setYRange(bottom, top, padding=0)
        self._ticks = None
        self._fit_ticks()

    def _label_skips(self, marks: list[tuple[float, float]]) -> None:
        """A "×1" over each skip part: the factor the skip passes ∂L/∂a of its end with."""
        while len(self.skip_labels) < len(marks):
            label = pg.TextItem("×1", color=SKIP_PART.darker(130), anchor=(0.5, 1.1))
            font = QFont()
            font.setPointSizeF(self.sizes["legend"])
            font.setBold(True)
            label.setFont(font)
            self.plot.addItem(label, ignoreBounds=True)
            self.skip_labels.append(label)
        for k, label in enumerate(self.skip_labels):
            label.setVisible(k < len(marks))
            if k < len(marks):
                label.setPos(marks[k][0], marks[k][1])

    @staticmethod
    def start_x(w: Waterfall) -> float:
        """Where ∂L/∂ŷ stands: half a layer past the output's σ' part."""
        return w.factors[0].layer + 0.5

    def _fit_ticks(self, *_args: object) -> None:
        """The factors' symbols under their bars when they fit the plot's width; else the
        layer numbers under the σ' parts (x is the layer: the numbers are true), as many
        as fit (a deep chain's 40 symbols ran together), the weight's own layer always.
        Again on every resize."""
        if not self.symbols:
            return
        axis = self.plot.getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        room = self.plot.getViewBox().width() or 400.0
        left, right = self.symbols[0][0], self.symbols[-1][0]  # the x axis runs backwards

        def span_for(ticks: list[tuple[float, str]]) -> tuple[float, float]:
            # room at both ends for half a label: pyqtgraph hides one that sticks out
            first = metrics.horizontalAdvance(ticks[0][1]) / 2 + 4
            last = metrics.horizontalAdvance(ticks[-1][1]) / 2 + 4
            width = left - right + 0.6
            return (right - max(0.3, last * width / room), left + max(0.3, first * width / room))

        def fits(ticks: list[tuple[float, str]]) -> bool:
            x0, x1 = span_for(ticks)
            px = room / (x1 - x0)
            widths = [metrics.horizontalAdvance(t) for _x, t in ticks]
            return all((widths[k] + widths[k + 1]) / 2 + TICK_GAP_PX
                       <= (ticks[k][0] - ticks[k + 1][0]) * px for k in range(len(ticks) - 1))

        full = self.symbols
        dact_at = [(x, str(round(x))) for x, _t in self.symbols[1:] if x == round(x)]

        def candidates() -> Iterator[list[tuple[float, str]]]:
            yield full
            for step in range(1, len(dact_at) + 1):
                picked = dact_at[::-1][::step][::-1]  # counted from the weight's own layer
                yield [(left, "ŷ"), *picked]
                yield picked

        chosen = next((t for t in candidates() if fits(t)), dact_at[-1:])
        # the σ' part stands over its layer's number, the weight part half a layer before
        label = "from the loss back" if chosen is full else "layer"
        if chosen != self._ticks:
            self._ticks = chosen
            axis.setTicks([chosen])
            self.plot.setLabel("bottom", label, color=INK.name(),
                               **{"font-size": f"{self.sizes['label']}pt"})
        self.plot.setXRange(*span_for(chosen), padding=0)
