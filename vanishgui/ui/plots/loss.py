"""Loss over training (a checkbox switches to a log axis), and, for a
classification data set, the accuracy beneath it on the same steps."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QWidget

from ...core.curves import special_counts
from ...core.numbers import num
from ..model.presentation import Presentation
from ..model.session import Session
from .base import (
    ACCURACY_COLOR,
    HYSTERESIS_PX,
    INK,
    LOSS_COLOR,
    MARKER_BINS,
    MIN_VIEW_PX,
    NONFINITE_COLOR,
    PlotPanel,
    axis_room,
    finite_only,
    log_floor,
    log_safe,
    make_plot_widget,
    min_max_decimate,
    notes_text,
    pen,
    style_plot,
    zero_markers,
)


class LossPanel(PlotPanel):
    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.log_y = QCheckBox("Log scale", self)
        self.log_y.setObjectName("lossLogScale")
        self.log_y.setChecked(False)
        self.log_y.setToolTip("A log axis shows the loss's progress over many decades")
        self.log_y.toggled.connect(self._on_log_scale_changed)
        self.loss_widget = make_plot_widget(self)
        self.loss_plot: pg.PlotItem = self.loss_widget.getPlotItem()
        self.loss_plot.getViewBox().setAutoVisible(y=True)
        self.accuracy_widget = make_plot_widget(self)
        self.accuracy_plot: pg.PlotItem = self.accuracy_widget.getPlotItem()
        self.accuracy_plot.setXLink(self.loss_plot)
        self.accuracy_plot.setYRange(-0.08, 1.12, padding=0)  # room for the 0 and 1 labels
        self.accuracy_plot.setMouseEnabled(x=True, y=False)
        self.loss_curve = pg.PlotDataItem()
        self.zeros = pg.PlotDataItem()
        self.accuracy_curve = pg.PlotDataItem()
        self.diverged_line = pg.InfiniteLine(angle=90, movable=False)
        self.counts = special_counts(np.zeros(0))
        self.add_control(self.log_y)
        self.body.addWidget(self.loss_widget, 3)
        self.body.addWidget(self.accuracy_widget, 2)

    @property
    def classification(self) -> bool:
        return self.session.experiment.classification

    def rebuild(self) -> None:
        s = self.sizes
        self.loss_plot.clear()
        log = self.log_y.isChecked()
        self.loss_plot.setLogMode(x=False, y=log)
        # On a log axis (log₁₀ units) show at least one decade.
        self.loss_plot.getViewBox().setLimits(minYRange=1.0 if log else None)
        self.loss_curve = pg.PlotDataItem(pen=pen(LOSS_COLOR, s["line"]), connect="finite",
                                          name="loss")
        self.loss_curve.setClipToView(True)
        self.loss_curve.setDownsampling(auto=True, method="peak")
        self.loss_plot.addItem(self.loss_curve)
        self.zeros = pg.PlotDataItem(pen=None, symbol="x", symbolSize=s["symbol"] + 3,
                                     symbolPen=pen(INK, 2), name="loss = 0")
        self.loss_plot.addItem(self.zeros)
        self.diverged_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pen(NONFINITE_COLOR, s["line"], dashed=True),
            label="diverged", labelOpts={"position": 0.9, "color": NONFINITE_COLOR,
                                         "fill": (255, 255, 255, 200)})
        self.diverged_line.setVisible(False)
        self.loss_plot.addItem(self.diverged_line, ignoreBounds=True)
        style_plot(self.loss_plot, self.sizes, left="loss",
                   bottom=None if self.classification else "training step")
        self.accuracy_plot.clear()
        self.accuracy_curve = pg.PlotDataItem(pen=pen(ACCURACY_COLOR, s["line"]), connect="finite",
                                              name="accuracy")
        self.accuracy_curve.setClipToView(True)
        self.accuracy_curve.setDownsampling(auto=True, method="peak")
        self.accuracy_plot.addItem(self.accuracy_curve)
        style_plot(self.accuracy_plot, self.sizes, left="accuracy",
                   bottom="training step")
        self._fit_accuracy()

    def _fit_accuracy(self) -> None:
        """The accuracy plot, under the loss, for a classification, when both plots get
        at least MIN_VIEW_PX; else the loss alone (the header says the accuracy)."""
        overhead = axis_room(self.sizes)
        room = self.loss_widget.height() + (self.accuracy_widget.height()
                                            if self.accuracy_widget.isVisible() else 0)
        need = 2 * (MIN_VIEW_PX + overhead)
        shown = not self.accuracy_widget.isHidden()
        # hysteresis: a panel in a layout that follows its size hint would otherwise flip
        # between the two at the threshold, resize after resize
        show = self.classification and room >= need + (0 if shown else HYSTERESIS_PX)
        if show != shown:
            self.accuracy_widget.setVisible(show)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_accuracy()

    def redraw(self) -> None:
        h = self.session.trainer.history
        steps = np.asarray(h.steps, dtype=np.float64)
        loss = h.loss
        log = self.log_y.isChecked()
        width = max(200, int(self.loss_plot.getViewBox().width()))
        shown = np.column_stack([log_safe(loss) if log else finite_only(loss),
                                 finite_only(h.accuracy)])
        x, ys = min_max_decimate(steps, shown, width)
        self.loss_curve.setData(x, ys[:, 0], connect="finite")
        zero, _ = zero_markers((loss == 0)[:, None], steps, MARKER_BINS)
        if log and len(zero):
            self.zeros.setData(steps[zero], np.full(len(zero), log_floor(loss)))
        else:
            self.zeros.setData([], [])
        if self.classification:
            self.accuracy_curve.setData(x, ys[:, 1], connect="finite")
        diverged = h.diverged_at_step
        self.diverged_line.setVisible(diverged is not None)
        if diverged is not None:
            self.diverged_line.setValue(diverged)
        self.counts = special_counts(loss)
        text = f"Loss ({self.session.experiment.loss})"
        if len(loss):
            text += f": {num(float(loss[-1]), 4)} at step {int(steps[-1])}"
            if self.classification:
                text += f"  ·  accuracy {num(float(h.accuracy[-1]), 3)}"
        self.set_header(text + notes_text(self.counts.zeros if log else 0,
                                          self.counts.nonfinite))

    def mark_plots(self) -> list[pg.PlotItem]:
        return [self.loss_plot, self.accuracy_plot]  # the label on the loss

    def _on_log_scale_changed(self, _on: bool) -> None:
        self.stale = True
        self.loss_plot.enableAutoRange()
        self.mark_dirty()
