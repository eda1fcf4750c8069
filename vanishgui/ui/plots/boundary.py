"""Decision boundary: the network's output over the input plane, with the samples on top.

For a 2-input network the output is an image (Okabe–Ito blue for 0 through white to
vermillion for 1, pale so the samples stand out) with the 0.5 contour drawn for a
classifier; the samples are dots coloured by class. For a 1-input network it is the
fitted curve ŷ(x) with the samples. Other networks get a short message. Predicting the
grid is the costly part: it runs on the training worker, between steps, and this panel
redraws at most ten times a second.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget
from shiboken6 import isValid

from ...core.curves import (
    PLANE_LIMIT,
    OutputGrid,
    fitted_curve,
    output_grid,
    plane_extent,
    special_counts,
)
from ...core.numbers import num
from ..model import training_loop
from ..model.palette import mix
from ..model.presentation import Presentation
from ..model.session import Session
from .base import (
    CLASS_COLORS,
    CLASS_PALE,
    FIT_COLOR,
    INK,
    NONFINITE_COLOR,
    TARGET_COLOR,
    PlotPanel,
    finite_only,
    make_plot_widget,
    pen,
    style_legend,
    style_plot,
    style_plot_axis,
)

MAX_DOTS = 4000  # samples drawn (the data sets are shuffled, so the first N are a fair look)
PALE = CLASS_PALE  # how far the image's colours are blended towards white
LUT_SIZE = 256


def diverging_map(pale: float = PALE) -> pg.ColorMap:
    """Class 0's colour (0) → their mix (½) → class 1's (1), lightened by ``pale``. Not
    through white: white is a neuron not yet computed, in the same window."""
    white = QColor("#ffffff")
    zero, one = CLASS_COLORS
    middle = mix(zero, one, 0.5)
    return pg.ColorMap([0.0, 0.5, 1.0], [mix(c, white, pale) for c in (zero, middle, one)])


def diverging_lut(pale: float = PALE) -> np.ndarray:
    """(LUT_SIZE, 4) uint8 colours of :func:`diverging_map`."""
    lut = diverging_map(pale).getLookupTable(nPts=LUT_SIZE, alpha=True)
    return np.asarray(lut, dtype=np.uint8)


def to_rgba(values: np.ndarray, lo: float, hi: float, lut: np.ndarray) -> np.ndarray:
    """Colour-map a 2-D array; inf/NaN become the non-finite colour."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    t = np.zeros(v.shape)
    span = hi - lo if hi > lo else 1.0
    t[ok] = np.clip((v[ok] - lo) / span, 0.0, 1.0)
    rgba = lut[(t * (len(lut) - 1)).round().astype(np.intp)]
    rgba[~ok] = NONFINITE_COLOR.lighter(150).getRgb()
    return rgba


class BoundaryPanel(PlotPanel):
    min_interval_s = 0.1  # at most 10 Hz: the costly panel

    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.lut = diverging_lut()
        self.widget = make_plot_widget(self)
        self.plot: pg.PlotItem = self.widget.getPlotItem()
        self.plot.showGrid(x=False, y=False)
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.widget)
        self.stack.addWidget(self.message)
        self.body.addLayout(self.stack)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), width=18, interactive=False,
                                        colorMap=self._colormap(), label="ŷ",
                                        colorMapMenu=False)
        self.colorbar.layout.setContentsMargins(0, 10, 0, 10)  # room for the end labels
        self.plot.layout.addItem(self.colorbar, 2, 5)
        self.mode = "plane"  # "plane" (2 inputs), "line" (1 input) or "none"
        self.extent = (-1.0, 1.0, -1.0, 1.0)
        self.levels = (0.0, 1.0)
        self.grid: OutputGrid | None = None
        self.image = pg.ImageItem(axisOrder="row-major")
        self.contour = pg.IsocurveItem(level=0.5, axisOrder="row-major")
        self.dots = pg.ScatterPlotItem()
        self.fit = pg.PlotDataItem()
        self.fit_x = np.zeros(0)
        self.fit_y = np.zeros(0)
        self.background = training_loop.Background(self)

    def _colormap(self) -> pg.ColorMap:
        return diverging_map()

    # -- items ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        exp = self.session.experiment
        n_in = exp.layers[0]
        self.mode = {2: "plane", 1: "line"}.get(n_in, "none")
        if self.plot.legend is not None:
            # the legend's rows go first, while what they sample is alive; a row whose
            # C++ side is already gone is dropped, not touched (the monkey's seed 20240611
            # crashed the process in LegendItem.clear())
            legend = self.plot.legend
            legend.items = [(sample, label) for sample, label in legend.items
                            if isValid(sample) and isValid(label)]
            legend.clear()
        self.plot.clear()
        if self.plot.legend is None:
            self.plot.addLegend(offset=(-8, 8))
        self.plot.legend.clear()
        style_legend(self.plot.legend, self.sizes)
        if self.mode == "none":
            self.message.setText(
                f"The decision boundary is drawn for networks with 1 or 2 inputs; this one "
                f"has {n_in}.")
            self.message.setStyleSheet(f"font-size: {self.sizes['title']}pt;")
            self.stack.setCurrentWidget(self.message)
            self.set_header("Decision boundary")
            return
        self.stack.setCurrentWidget(self.widget)
        if self.mode == "plane":
            self._build_plane()
        else:
            self._build_line()

    def _targets_shown(self) -> tuple[np.ndarray, np.ndarray]:
        """The samples drawn; a coordinate beyond ±PLANE_LIMIT (as the plane's extent
        does) is drawn at it, so the view's range stays finite."""
        t = self.session.trainer
        x, y = t.inputs[:MAX_DOTS], t.targets[:MAX_DOTS]
        return (np.clip(x, -PLANE_LIMIT, PLANE_LIMIT), np.clip(y, -PLANE_LIMIT, PLANE_LIMIT))

    def _build_plane(self) -> None:
        s = self.sizes
        exp = self.session.experiment
        t = self.session.trainer
        self.extent = plane_extent(t.inputs)
        x0, x1, y0, y1 = self.extent
        sigmoid_out = exp.activations[-1].name == "sigmoid"
        if exp.classification or sigmoid_out:
            self.levels = (0.0, 1.0)
        else:  # a regression on the plane: the targets' range sets the colours
            y = t.targets[:, 0][np.isfinite(t.targets[:, 0])]
            self.levels = (float(y.min()), float(y.max())) if y.size else (0.0, 1.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.contour = pg.IsocurveItem(level=0.5, pen=pen(INK, s["line"]),
                                       axisOrder="row-major")
        self.contour.setParentItem(self.image)
        self.contour.setVisible(self.levels == (0.0, 1.0))
        x, y = self._targets_shown()
        target = y[:, 0]
        if exp.classification:
            brushes = [pg.mkBrush(CLASS_COLORS[1] if v > 0.5 else CLASS_COLORS[0])
                       for v in target.tolist()]
        else:  # the image's colours at full strength
            rgba = to_rgba(target[:, None], *self.levels, diverging_lut(pale=0.0))[:, 0]
            brushes = [pg.mkBrush(QColor(*c)) for c in rgba.tolist()]
        keep = np.isfinite(x).all(axis=1)
        self.dots = pg.ScatterPlotItem(x=x[keep, 0], y=x[keep, 1], size=s["symbol"],
                                       pen=pen(QColor("#ffffff"), 1.2),
                                       brush=[b for b, k in zip(brushes, keep) if k])
        self.plot.addItem(self.dots)
        self.plot.legend.setVisible(exp.classification)
        if exp.classification:
            for color, name in zip(CLASS_COLORS, ("class 0", "class 1")):
                sample = pg.ScatterPlotItem(size=s["symbol"], brush=pg.mkBrush(color),
                                            pen=pen(QColor("#ffffff"), 1.2))
                self.plot.legend.addItem(sample, name)
            self.plot.legend.addItem(pg.PlotDataItem(pen=pen(INK, s["line"])), "ŷ = 0.5")
        self.colorbar.setVisible(True)
        self.colorbar.setLevels(self.levels)
        style_plot_axis(self.colorbar.axis, self.sizes)
        self.colorbar.getAxis("left").setLabel(
            "ŷ", color=INK.name(), **{"font-size": f"{self.sizes['label']}pt"})
        self.plot.setAspectLocked(True)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        style_plot(self.plot, self.sizes, left="x₂", bottom="x₁")

    def _build_line(self) -> None:
        s = self.sizes
        self.plot.setAspectLocked(False)
        x, y = self._targets_shown()
        self.fit = pg.PlotDataItem(pen=pen(FIT_COLOR, s["line"] + 0.5), connect="finite")
        self.plot.addItem(self.fit)
        keep = np.isfinite(x[:, 0]) & np.isfinite(y[:, 0])
        self.dots = pg.ScatterPlotItem(x=x[keep, 0], y=y[keep, 0], size=s["symbol"] + 2,
                                       brush=pg.mkBrush(TARGET_COLOR),
                                       pen=pen(QColor("#ffffff"), 1.2))
        self.plot.addItem(self.dots)
        self.plot.legend.setVisible(True)
        self.plot.legend.addItem(self.fit, "network ŷ(x)")
        self.plot.legend.addItem(self.dots, "samples (x, target)")
        self.colorbar.setVisible(False)
        self.plot.enableAutoRange()
        style_plot(self.plot, self.sizes, left="y", bottom="x")

    # -- numbers -------------------------------------------------------------------------
    def redraw(self) -> None:
        """Predicting the grid runs on the training worker (between steps); the picture
        follows when it is done. A forced redraw (screenshot, test) computes it here."""
        if self.mode == "none":
            return
        trainer, mode, extent = self.session.trainer, self.mode, self.extent

        def compute() -> tuple[int, object]:
            net, step = trainer.network, trainer.step_count
            if mode == "plane":
                return step, output_grid(net, extent)
            return step, fitted_curve(net, trainer.inputs)

        if self.forced:
            self.background.cancel()
            self._show(trainer, mode, compute())
        else:
            self.background.submit(compute, lambda result: self._show(trainer, mode, result))

    def refresh(self, now: float | None = None, *, force: bool = False) -> bool:
        if force and self.background.waiting:
            self.dirty = True  # a forced redraw does not leave the picture to come later
        return super().refresh(now, force=force)

    def _show(self, trainer: object, mode: str, result: object) -> None:
        if trainer is not self.session.trainer or mode != self.mode:
            return  # the experiment changed meanwhile: a newer request follows
        if isinstance(result, Exception):
            self.set_header(f"Decision boundary: could not be computed ({result}).")
            return
        assert isinstance(result, tuple)
        step, data = result
        if mode == "plane":
            assert isinstance(data, OutputGrid)
            self.grid = data
            values = data.values
            x0, x1, y0, y1 = data.extent
            # The rect with every image: it scales the pixels, so it needs the image's size.
            self.image.setImage(to_rgba(values, *self.levels, self.lut), autoLevels=False,
                                rect=QRectF(x0, y0, x1 - x0, y1 - y0))
            if self.contour.isVisible():
                self.contour.setData(np.where(np.isfinite(values), values, 0.0))
            what = ("white: ŷ = 0.5 (undecided), black line: the boundary"
                    if self.contour.isVisible() else "colour: ŷ")
            self.set_header(f"ŷ after {step} steps  ·  {what}{self._notes(values)}")
        else:
            self.fit_x, self.fit_y = data  # type: ignore[misc]
            y = finite_only(self.fit_y)
            beyond = int(np.count_nonzero(np.abs(y) > PLANE_LIMIT))
            # drawn at the limit, so the view's range (its width) stays a finite number
            self.fit.setData(self.fit_x, np.clip(y, -PLANE_LIMIT, PLANE_LIMIT),
                             connect="finite")
            note = (f"  ·  |ŷ| over {num(PLANE_LIMIT)} at {beyond} points (drawn at "
                    f"{num(PLANE_LIMIT)})" if beyond else "")
            self.set_header(f"Fitted curve ŷ(x) after {step} steps{note}"
                            f"{self._notes(self.fit_y)}")

    @staticmethod
    def _notes(values: np.ndarray) -> str:
        counts = special_counts(values)
        return f"  ·  output inf/NaN at {counts.nonfinite} points" if counts.nonfinite else ""
