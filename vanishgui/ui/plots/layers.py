"""A per-layer figure of the training history over steps: one line per layer, log y.

The gradient and weight-change panels are this with a different History column. Lines
are coloured by depth (dark purple = layer 1, far from the loss); the legend sits beside
the plot so it never hides a line. A log axis has no 0, so exact zeros are drawn as
crosses at the axis floor (legend "= 0, at the floor") and counted in the title;
inf and NaN leave a gap, are counted in the title, and the step where training diverged
gets a dashed line.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ...core.curves import special_counts
from ..session import Session
from .base import (
    INK,
    NONFINITE_COLOR,
    PlotPanel,
    depth_colors,
    layer_name,
    log_floor,
    log_safe,
    pen,
    set_title,
    style_legend,
    style_plot,
)

MAX_LEGEND_ENTRIES = 10


def legend_layers(depth: int) -> list[int]:
    """Which layers (0-based) get a legend entry: all of a shallow net, else a spread."""
    if depth <= MAX_LEGEND_ENTRIES:
        return list(range(depth))
    picks = np.linspace(0, depth - 1, MAX_LEGEND_ENTRIES).round().astype(int)
    return sorted(set(picks.tolist()))


class LayerHistoryPanel(PlotPanel):
    """Lines of ``History.layer(figure)`` against ``History.steps``, one per layer."""

    figure = "grad_mean_abs"
    title = "Per-layer figure"
    y_label = "value"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.controls = QHBoxLayout()
        self.controls.setContentsMargins(6, 2, 6, 0)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.plot: pg.PlotItem = self.view.addPlot(row=0, col=0)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.hideButtons()
        self.plot.setLogMode(x=False, y=True)
        vb = self.plot.getViewBox()
        vb.setAutoVisible(y=True)  # y autoscale fits the steps in view
        self.legend = pg.LegendItem()
        self.view.addItem(self.legend, row=0, col=1)
        self.curves: list[pg.PlotDataItem] = []
        self.zeros = pg.PlotDataItem()
        self.diverged_line = pg.InfiniteLine(angle=90, movable=False)
        self.floor = 1e-12
        self.counts = special_counts(np.zeros(0))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(self.controls)
        lay.addWidget(self.view, 1)

    # -- data ------------------------------------------------------------------------------
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, (rows, depth) block) to draw, straight from the History."""
        h = self.session.trainer.history
        return h.steps, h.layer(self.figure)

    def plot_title(self) -> str:
        return self.title

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
        # Deepest first in the legend, so it reads top-down like the lines usually do.
        for i in reversed(legend_layers(depth)):
            self.legend.addItem(self.curves[i], layer_name(i, depth))
        self.zeros = pg.PlotDataItem(pen=None, symbol="x", symbolSize=s["symbol"] + 3,
                                     symbolPen=pen(INK, 2), name="= 0 (at the floor)")
        self.plot.addItem(self.zeros)
        self.legend.addItem(self.zeros, "= 0 (drawn at the floor)")
        self.diverged_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pen(NONFINITE_COLOR, s["line"], dashed=True),
            label="diverged", labelOpts={"position": 0.9, "color": NONFINITE_COLOR,
                                         "fill": (255, 255, 255, 200)})
        self.diverged_line.setVisible(False)
        self.plot.addItem(self.diverged_line, ignoreBounds=True)
        style_plot(self.plot, self.projector, self.plot_title(), left=self.y_label,
                   bottom="training step")
        style_legend(self.legend, self.projector)

    def redraw(self) -> None:
        steps, block = self.data()
        steps = np.asarray(steps, dtype=np.float64)
        self.floor = log_floor(block)
        colors = depth_colors(len(self.curves))
        for i, curve in enumerate(self.curves):
            column = block[:, i] if block.ndim == 2 and i < block.shape[1] else np.zeros(0)
            curve.setData(steps[: len(column)], log_safe(column), connect="finite")
        zero_rows, zero_layers = np.nonzero(block == 0) if block.size else ((), ())
        if len(zero_rows):
            brushes = [pg.mkBrush(colors[j]) for j in zero_layers]
            self.zeros.setData(steps[zero_rows], np.full(len(zero_rows), self.floor),
                               symbolBrush=brushes)
        else:
            self.zeros.setData([], [])
        self.counts = special_counts(block)
        diverged = self.session.trainer.history.diverged_at_step
        self.diverged_line.setVisible(diverged is not None)
        if diverged is not None:
            self.diverged_line.setValue(diverged)
        set_title(self.plot, self.plot_title() + self._notes(), self.projector)
        self._on_drawn()

    def _on_drawn(self) -> None:
        """Hook for subclasses, after the lines were set."""

    def _notes(self) -> str:
        notes = []
        if self.counts.zeros:
            notes.append(f"{self.counts.zeros} exactly 0 (× at the floor)")
        if self.counts.nonfinite:
            notes.append(f"{self.counts.nonfinite} inf/NaN (gaps)")
        return ("  ·  " + ", ".join(notes)) if notes else ""
