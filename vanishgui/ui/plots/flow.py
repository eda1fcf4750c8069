"""Gradient flow now: one bar per layer of the shown pass's mean |∂L/∂W|, log y.

Each bar is labelled with its ratio to the output layer ("1/4096"), so the geometric
shrinking reads off directly. The bars are drawn in log₁₀ coordinates on a log axis
(pyqtgraph's bars have no log mode of their own); an exactly-zero gradient gets an empty
bar, a cross at the axis floor and the label "0"; inf or NaN gets its label in magenta.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from ...core.curves import layer_grad_mean_abs, ratios_to_output, special_counts
from ...core.numbers import num, ratio
from ..model import palette
from ..model.presentation import Presentation
from ..model.session import Session
from .base import (
    INK,
    NONFINITE_COLOR,
    PlotPanel,
    depth_colors,
    log_floor,
    make_plot_widget,
    notes_text,
    pen,
    style_plot,
)

BAR_WIDTH = 0.7
MAX_LABELS = 16  # more layers than this: label every k-th bar and the output


def ratio_label(r: float) -> str:
    """'1/4096' below the output layer's gradient, '×12' above it, '1' for the output."""
    if not math.isfinite(r):
        return "—"
    if r == 1:
        return "1"
    if r < 1:
        return ratio(r)
    return "×" + num(r)


class Bars(pg.BarGraphItem):
    """Bars that ignore the curve options of pyqtgraph's right-click Plot Options menu.

    PlotItem applies its Transforms, Downsample, Clip-to-view and Alpha options to every
    data item it holds, and BarGraphItem has none of those methods, so ticking one raised.
    None of them means anything for one bar per layer.
    """

    def setDownsampling(self, *_args: object) -> None: ...

    def setClipToView(self, *_args: object) -> None: ...

    def setFftMode(self, *_args: object) -> None: ...

    def setSubtractMeanMode(self, *_args: object) -> None: ...

    def setAlpha(self, *_args: object) -> None: ...


class FlowPanel(PlotPanel):
    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.widget = make_plot_widget(self)
        self.plot: pg.PlotItem = self.widget.getPlotItem()
        self.plot.setLogMode(x=False, y=True)
        self.plot.setMouseEnabled(x=False, y=True)
        self._y_span: tuple[float, float] | None = None  # base and height of the bars, log₁₀
        self.plot.getViewBox().sigResized.connect(self._fit_y)
        self.values = np.zeros(0)
        self.ratios = np.zeros(0)
        self.floor = 1e-12
        self.bars = Bars(x=[], height=[], width=BAR_WIDTH)
        self.zero_marks = pg.ScatterPlotItem()
        self.labels: list[pg.TextItem] = []
        self.body.addWidget(self.widget)
        # the selected neuron's layer: its bar outlined in the selection's colour (the
        # diagnosis's "Show me" selects the layer it names)
        session.selection_changed.connect(self.mark_dirty)

    def rebuild(self) -> None:
        s = self.sizes
        depth = self.session.experiment.depth
        self.plot.clear()
        self.bars = Bars(x=np.arange(1, depth + 1), height=np.zeros(depth),
                                    width=BAR_WIDTH)
        self.plot.addItem(self.bars)
        self.zero_marks = pg.ScatterPlotItem(symbol="x", size=s["symbol"] + 5,
                                             pen=pen(INK, 2.5), brush=pg.mkBrush(INK))
        self.plot.addItem(self.zero_marks)
        font = QFont()
        font.setPointSizeF(s["legend"] + 1)
        font.setBold(True)
        self.labels = []
        step = 1 if depth <= MAX_LABELS else math.ceil(depth / MAX_LABELS)
        for i in range(depth):
            label = pg.TextItem("", color=INK, anchor=(0.5, 1.0))
            label.setFont(font)
            label.setVisible(i % step == 0 or i == depth - 1)
            self.plot.addItem(label, ignoreBounds=True)
            self.labels.append(label)
        ticks = [(i + 1, str(i + 1) if i < depth - 1 else f"{i + 1}\nout")
                 for i in range(depth) if i % step == 0 or i == depth - 1]
        self.plot.getAxis("bottom").setTicks([ticks])
        self.plot.setXRange(0.4, depth + 0.6, padding=0)
        style_plot(self.plot, self.sizes, left="mean |∂L/∂W|", bottom="layer")

    def redraw(self) -> None:
        p = self.session.current
        self.values = layer_grad_mean_abs(p)
        self.ratios = ratios_to_output(self.values)
        depth = len(self.values)
        colors = depth_colors(depth)
        v = self.values
        ok = np.isfinite(v) & (v > 0)
        self.floor = log_floor(v)
        base = math.log10(self.floor)
        tops = np.full(depth, base)
        tops[ok] = np.log10(v[ok])  # a log axis's coordinate is log₁₀ of the value
        top = float(tops.max()) if depth else 0.0
        self.bars.setOpts(x=np.arange(1, depth + 1), y0=np.full(depth, base),
                          height=tops - base, width=BAR_WIDTH,
                          brushes=[pg.mkBrush(c) for c in colors],
                          pens=[pen(palette.SELECTION, 5) if i + 1 == self.selected_layer()
                                else pen(c.darker(140), 1.5) for i, c in enumerate(colors)])
        zero = np.flatnonzero(v == 0)
        self.zero_marks.setData(x=zero + 1.0, y=np.full(len(zero), base))
        # Many bars: label every k-th (always the first layer and the output), so the
        # labels never run into each other.
        every = max(1, math.ceil(depth / 8))
        for i, label in enumerate(self.labels):
            label.setVisible(i % every == 0 or i == depth - 1)
            value = v[i]
            if not math.isfinite(value):
                text, color = ("NaN" if math.isnan(value) else "∞"), NONFINITE_COLOR
            elif value == 0:
                text, color = "0", INK
            else:
                text, color = ratio_label(self.ratios[i]), INK
            label.setText(text)
            label.setColor(color)
            # "0" above its ×; the first layer's label starts at its bar's left edge, as
            # centred it ran past the axis ("1/1.0e6" read "1.0e6")
            label.setAnchor((0.0 if i == 0 else 0.5, 1.6 if value == 0 else 1.0))
            label.setPos(i + 1 - (BAR_WIDTH / 2 if i == 0 else 0.0), tops[i])
        # At least three decades (fewer make a log axis label its minor ticks), and room
        # above the tallest bar for its label.
        self._y_span = (base, max(top, base + 2.4) - base)
        self._fit_y()

        counts = special_counts(v)
        self.set_header(f"Step {p.step}  ·  labels: ratio to the output layer"
                        + notes_text(counts.zeros, counts.nonfinite, "empty bar, × at the floor"))

    def selected_layer(self) -> int | None:
        sel = self.session.selection
        return None if sel is None or sel.layer < 1 else sel.layer

    def _fit_y(self, *_args: object) -> None:
        """The y range: the bars, and above the tallest the labels' height in decades at
        the view's own height (a fixed 0.6 decade cut the top label of a short plot).
        Again on every resize of the view."""
        if self._y_span is None:
            return
        base, span = self._y_span
        height = self.plot.getViewBox().height()
        label_px = max((label.textItem.boundingRect().height() for label in self.labels),
                       default=0.0) + 4
        head = 0.6 if height <= 2 * label_px else max(0.6, label_px * span / (height - label_px))
        self.plot.setYRange(base, base + span + head, padding=0)
