"""A per-layer figure of the training history over steps: one line per layer, log y.

The gradient and weight-change panels are this with a different History column. Lines
are coloured by depth (dark purple = layer 1, far from the loss); the legend sits beside
the plot so it never hides a line. A log axis has no 0, so exact zeros are drawn as
crosses at the axis floor (with a legend entry) and counted in the header; inf and NaN
leave a gap, are counted in the header, and the step where training diverged gets a
dashed line.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.curves import SpecialCounts, special_counts
from ...core.numbers import subscript
from ..model.presentation import Presentation
from ..model.session import Session
from .base import (
    INK,
    MARKER_BINS,
    NONFINITE_COLOR,
    PlotPanel,
    decade_axes,
    depth_colors,
    layer_name,
    log_floor,
    log_safe,
    min_max_decimate,
    notes_text,
    pen,
    style_legend,
    style_plot,
    zero_markers,
)

MAX_LEGEND_ENTRIES = 10
MIN_DECADES = 2.0  # the y axis always spans at least this many decades
ZERO_LEGEND = "= 0 (at the floor)"


def legend_layers(depth: int, most: int = MAX_LEGEND_ENTRIES) -> list[int]:
    """Which layers (0-based) get a legend entry: all of a shallow net, else a spread
    from layer 1 (the one that matters) to the output; with room for one, layer 1."""
    most = max(1, most)
    if depth <= most:
        return list(range(depth))
    if most == 1:
        return [0]
    picks = np.linspace(0, depth - 1, most).round().astype(int)
    return sorted(set(picks.tolist()))


class LayerHistoryPanel(PlotPanel):
    """Lines of ``History.layer(figure)`` against ``History.steps``, one per layer."""

    figure = "grad_mean_abs"
    y_label = "value"
    # with a norm: γ's and β's own History columns (issue 15), drawn for one hidden layer,
    # the selected one (layer 1 when nothing in a hidden layer is selected)
    norm_figures: tuple[str, str] | None = None

    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.plot: pg.PlotItem = self.view.addPlot(row=0, col=0, axisItems=decade_axes())
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.hideButtons()
        self.plot.setLogMode(x=False, y=True)
        self._placeholder_range = False  # the view shows steps 0-10 before any training
        vb = self.plot.getViewBox()
        vb.setAutoVisible(y=True)  # y autoscale fits the steps in view
        vb.setLimits(minYRange=MIN_DECADES)  # log₁₀ units: never zoom in to less than this

        # The legend beside the plot, at the top of its column at its own height.
        self.legend = pg.LegendItem()
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        side = self.view.addLayout(row=0, col=1)
        side.addItem(self.legend, row=0, col=0)
        filler = side.addLabel("", row=1, col=0)
        filler.setMinimumHeight(0)  # it only keeps the legend at the top: no height of its own
        filler.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        side.layout.setRowStretchFactor(1, 1)
        side.layout.setRowSpacing(0, 0)
        self.view.ci.layout.setColumnStretchFactor(0, 1)
        self.view.ci.layout.setColumnStretchFactor(1, 0)
        self.curves: list[pg.PlotDataItem] = []
        self.norm_curves: list[pg.PlotDataItem] = []  # γ, β of norm_layer, with a norm
        self.norm_layer = 0  # 0-based
        self.listed_layers: list[int] = []  # the layers the legend lists (0-based)
        self.zeros = pg.PlotDataItem()
        self.diverged_line = pg.InfiniteLine(angle=90, movable=False)
        self.floor = 1e-12
        self.counts = SpecialCounts(0, 0)
        self.body.addWidget(self.view)
        # the view also shrinks when the header above it wraps onto another line, with no
        # resize of the panel (and the legend's fixed height keeps the plot's own size):
        # the legend then cut 'layer 1' in lesson scene 8
        self.view.installEventFilter(self)
        session.selection_changed.connect(self._on_selection_changed)

    def _on_selection_changed(self) -> None:
        if self.norm_curves and self._selected_hidden_layer() != self.norm_layer:
            self.stale = True  # the γ, β lines' colour and names
            self.mark_dirty()

    def _selected_hidden_layer(self) -> int:
        sel = self.session.selection
        depth = self.session.experiment.depth
        if sel is not None and 1 <= sel.layer < depth:
            return sel.layer - 1
        return 0

    def shows_norm(self) -> bool:
        h = self.session.trainer.history
        return self.norm_figures is not None and h.norm and h.depth > 1

    def eventFilter(self, obj, event) -> bool:
        if obj is getattr(self, "view", None) and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self.fit_legend)
        return False

    # -- data ------------------------------------------------------------------------------
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, (rows, depth) block) to draw, straight from the History."""
        h = self.session.trainer.history
        return h.steps, h.layer(self.figure)

    def header_text(self, steps: np.ndarray, block: np.ndarray) -> str:
        return self.y_label + " per layer"

    # -- drawing ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        s = self.sizes
        self.plot.clear()
        self.legend.clear()
        depth = self.session.experiment.depth
        colors = depth_colors(depth)
        self.curves = []
        for i in range(depth):
            curve = pg.PlotDataItem(pen=pen(colors[i], s["line"]), connect="finite",
                                    name=layer_name(i, depth))
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self.plot.addItem(curve)
            self.curves.append(curve)
        self.norm_curves = []
        if self.shows_norm():
            layer = self.norm_layer = self._selected_hidden_layer()
            for symbol, style in (("γ", Qt.PenStyle.DashLine), ("β", Qt.PenStyle.DotLine)):
                line = pen(colors[layer], s["line"] + 1)
                line.setStyle(style)
                curve = pg.PlotDataItem(pen=line, connect="finite",
                                        name=f"{symbol}{subscript(layer + 1)}")
                curve.setClipToView(True)
                self.plot.addItem(curve)
                self.norm_curves.append(curve)
        self.zeros = pg.PlotDataItem(pen=None, symbol="x", symbolSize=s["symbol"] + 5,
                                     symbolPen=pen(INK, 2), name=ZERO_LEGEND)
        self.plot.addItem(self.zeros)
        self.diverged_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pen(NONFINITE_COLOR, s["line"], dashed=True),
            label="diverged", labelOpts={"position": 0.9, "color": NONFINITE_COLOR,
                                         "fill": (255, 255, 255, 200)})
        self.diverged_line.setVisible(False)
        self.plot.addItem(self.diverged_line, ignoreBounds=True)
        self._fill_legend(legend_layers(depth))
        style_plot(self.plot, self.sizes, left=self.y_label, bottom="training step")
        style_legend(self.legend, self.sizes)

    def redraw(self) -> None:
        steps, block = self.data()
        steps = np.asarray(steps, dtype=np.float64)
        self.floor = log_floor(block)
        colors = depth_colors(len(self.curves))
        width = max(200, int(self.plot.getViewBox().width()))
        x, ys = min_max_decimate(steps, log_safe(block), width)
        # one recorded step is a point, not a line: drawn as a dot, or the plot looked
        # empty after the one clipped step of a lesson scene
        one = len(steps) == 1
        for i, curve in enumerate(self.curves):
            # a dot only where there is a value to draw: a scatter of NaN alone (an exact 0
            # or inf on the log axis) made pyqtgraph's bounds warn on every repaint
            dots = one and bool(np.isfinite(ys[:, i]).any())
            had = curve.opts.get("symbol") is not None
            if had and not dots:  # off before the new data, which may be NaN
                curve.setSymbol(None)
            curve.setData(x, ys[:, i], connect="finite")
            if dots and not had:  # on after it, which is finite
                curve.setSymbolSize(self.sizes["symbol"] + 2)
                curve.setSymbolBrush(colors[i])
                curve.setSymbolPen(None)
                curve.setSymbol("o")
        self.draw_norm(steps, width)
        zero_rows, zero_layers = zero_markers(block == 0, steps, MARKER_BINS)
        if len(zero_rows):
            brushes = [pg.mkBrush(c) for c in colors]
            self.zeros.setData(steps[zero_rows], np.full(len(zero_rows), self.floor),
                               symbolBrush=[brushes[j] for j in zero_layers.tolist()])
        else:
            self.zeros.setData([], [])
        self._show_zero_legend(bool(len(zero_rows)))
        self.fit_legend()
        # and again once the dock's layout has settled: a panel just brought to the front
        # (a lesson scene's) still had its old height here, and cut 'layer 1'
        QTimer.singleShot(0, self, self.fit_legend)
        self.counts = special_counts(block)
        diverged = self.session.trainer.history.diverged_at_step
        self.diverged_line.setVisible(diverged is not None)
        if diverged is not None:
            self.diverged_line.setValue(diverged)
        if not len(steps):  # nothing trained yet: say how to start, not an empty axis
            self.set_header(f"{self.y_label} per layer · no training steps yet: press T for "
                            "one step, Shift+T to train until paused")
            self.plot.setRange(xRange=(0, 10), yRange=(-8, 0), padding=0)
            self._placeholder_range = True
            return
        if self._placeholder_range:
            # setRange turned auto-range off for good: the view stayed on steps 0-10 while
            # training ran to 39,000. Follow the data again (a user's own zoom, made later,
            # is kept until they press the plot's "A" button).
            self.plot.enableAutoRange()
            self._placeholder_range = False
        self.set_header(self.header_text(steps, block)
                        + notes_text(self.counts.zeros, self.counts.nonfinite))

    def norm_columns(self) -> tuple[str, str] | None:
        """The two History columns the γ and β lines show now (None: not shown)."""
        return self.norm_figures

    def draw_norm(self, steps: np.ndarray, width: int) -> None:
        """γ's and β's lines for the selected hidden layer, as the History has them."""
        columns = self.norm_columns()
        if not self.norm_curves:
            return
        shown = columns is not None
        for curve in self.norm_curves:
            curve.setVisible(shown)
        if columns is None:
            return
        h = self.session.trainer.history
        block = np.column_stack([h.layer(name)[:, self.norm_layer] for name in columns])
        x, ys = min_max_decimate(steps, log_safe(block), width)
        for k, curve in enumerate(self.norm_curves):
            curve.setData(x, ys[:, k], connect="finite")

    def fit_legend(self) -> None:
        """List as many layers as the plot's height shows in full: in a short plot the
        lowest rows were cut off (layer 1, the one that matters, on a 10-layer chain).
        Layer 1 is always listed, and the output layer whenever two rows fit."""
        if not self.curves or not self.legend.items:
            return
        label = self.legend.items[0][1]
        row = label.boundingRect().height()
        rows = len(self.legend.items)
        extra = self.legend.boundingRect().height() - rows * row  # the legend's margins
        room = self.view.height() - self.legend.pos().y() - extra - 4
        if row <= 0 or room <= 0:
            return
        depth = len(self.curves)
        zeros = 1 if self.legend.getLabel(self.zeros) is not None else 0  # its own row
        zeros += len(self.norm_curves)  # γ's and β's rows
        want = legend_layers(depth, min(MAX_LEGEND_ENTRIES, int(room // row) - zeros))
        if want != self.listed_layers:
            self._fill_legend(want)
            self._relayout()
        # then what is drawn: while the legend runs past the view's bottom (the estimate
        # missed by a row in one run of lesson scene 8), one entry fewer
        while len(self.listed_layers) > 1 and self._legend_cut():
            fewer = legend_layers(depth, len(self.listed_layers) - 1)
            if fewer == self.listed_layers:
                break
            self._fill_legend(fewer)
            self._relayout()

    def _relayout(self) -> None:
        """Fit the layout to the view again at once: a legend taller than the view had
        made it taller than the view, and it kept that height after the legend shrank
        (the plot's bottom axis stayed out of sight)."""
        layout = self.view.ci.layout
        layout.invalidate()
        layout.activate()
        self.view.ci.setGeometry(self.view.range)

    def _legend_cut(self) -> bool:
        """Whether the legend's last row runs past what the view shows, or its column
        (taller than the plot) pushes the plot's own bottom axis out of sight: at 1920
        ×1080 the history plots lost their "training step" axis that way."""
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        if self.plot.sceneBoundingRect().bottom() > shown.bottom() + 1:
            return True
        return any(label.sceneBoundingRect().bottom() > shown.bottom() - 2
                   for _sample, label in self.legend.items)

    def _fill_legend(self, layers: list[int]) -> None:
        zeros = self.legend.getLabel(self.zeros) is not None
        self.legend.clear()
        depth = len(self.curves)
        # Deepest first, so the legend reads top-down as the lines usually stack.
        for i in reversed(layers):
            self.legend.addItem(self.curves[i], layer_name(i, depth))
        for curve in self.norm_curves:
            self.legend.addItem(curve, curve.name())
        if zeros:
            self.legend.addItem(self.zeros, ZERO_LEGEND)
        self.listed_layers = layers

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_legend()
        QTimer.singleShot(0, self, self.fit_legend)  # the legend's own layout, settled

    def _show_zero_legend(self, show: bool) -> None:
        listed = self.legend.getLabel(self.zeros) is not None
        if show and not listed:
            self.legend.addItem(self.zeros, ZERO_LEGEND)
        elif listed and not show:
            self.legend.removeItem(self.zeros)
        if show != listed:
            self.fit_legend()  # the "exactly 0" row takes a layer's place
