"""The compared networks' gradients on shared log axes, one colour per network.

Above the plots, one line in large type says what each network's first layer gets
now ("Layer 1's gradient now: ■ Sigmoid 4.89e−9  ■ ReLU 0.0621"). Left: mean |∂L/∂W|
of every layer of the shown step, against the layer, one line per network, so a
sigmoid net's line falls decades towards layer 1 while a ReLU net's stays level.
Right: over training, each network's layer 1 (solid) and output layer (dashed).

Every number comes from the core (:func:`~vanishgui.core.curves.layer_grad_mean_abs`,
the History); this module only maps them to the screen. It is a plot panel: it redraws
at most once a frame, on its window's Pacer, however fast the networks train.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ...core.curves import layer_grad_mean_abs
from ...core.numbers import num
from ..model.presentation import Presentation
from ..model.session import Session
from ..plots.base import (
    HYSTERESIS_PX,
    INK,
    MIN_VIEW_PX,
    PlotPanel,
    adopt_strays,
    axis_room,
    log_floor,
    log_safe,
    make_plot_widget,
    pen,
    style_plot,
    top_level_widgets,
)

NETWORK_COLORS = (QColor("#FF7F00"), QColor("#1B7837"), QColor("#E7298A"), QColor("#000080"))
# the networks' own, in their order: none near the diagrams' meanings (test_colours)
MIN_DECADES = 2.4  # a log axis spanning fewer decades labels its minor ticks


def swatch(color: QColor) -> str:
    """A coloured square for rich text, linking a name to its line."""
    return f'<span style="color:{color.name()}">■</span>'


class GradientComparison(PlotPanel):
    """The readout and the two plots for 2–4 sessions: a plot panel like the main window's
    (marked dirty by any network's signals, redrawn by a :class:`~vanishgui.ui.plots.Pacer`
    at most once a frame), drawing every network's numbers."""

    def __init__(self, sessions: Sequence[Session], labels: Sequence[str],
                 presentation: Presentation, parent: QWidget | None = None) -> None:
        before = top_level_widgets()
        super().__init__(sessions[0], presentation, parent)
        self.sessions = list(sessions)
        self.labels = list(labels)
        self.colors = list(NETWORK_COLORS[: len(self.sessions)])
        self.readout = self.header  # the panel's header line is the layer-1 readout
        self.readout.setObjectName("compareReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.now_header = QLabel(self)
        self.train_header = QLabel(self)
        for header in (self.now_header, self.train_header):
            header.setWordWrap(True)
        self.now_widget = make_plot_widget(self)
        self.now_plot: pg.PlotItem = self.now_widget.getPlotItem()
        self.now_plot.setLogMode(x=False, y=True)
        self.now_plot.setMouseEnabled(x=False, y=True)
        self.train_widget = make_plot_widget(self)
        self.train_plot: pg.PlotItem = self.train_widget.getPlotItem()
        self.train_plot.setLogMode(x=False, y=True)
        self.train_plot.getViewBox().setAutoVisible(y=True)
        self.train_plot.getViewBox().setLimits(minYRange=MIN_DECADES)
        self._placeholder_range = False  # the view shows steps 0-10 before any training
        self.now_plot.getViewBox().sigResized.connect(self._fit_x)
        grid = QGridLayout()
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.now_header, 0, 0)
        grid.addWidget(self.train_header, 0, 1)
        grid.addWidget(self.now_widget, 1, 0)
        grid.addWidget(self.train_widget, 1, 1)
        grid.setRowStretch(1, 1)
        self.body.addLayout(grid)
        adopt_strays(self, before)  # the plots' menus go with this widget
        self.now_curves: list[pg.PlotDataItem] = []
        self.value_labels: list[pg.TextItem] = []
        self.first_curves: list[pg.PlotDataItem] = []
        self.last_curves: list[pg.PlotDataItem] = []
        self.values: list[np.ndarray] = []  # what the left plot shows, per network
        for other in self.sessions[1:]:  # the first is the panel's own session
            other.experiment_changed.connect(self._on_experiment_changed)
            other.pass_changed.connect(self._on_pass_changed)
            other.trained.connect(self._on_trained_changed)
        self._style_header()

    def plots_height(self) -> int:
        """The least height for the taller plot heading and a view box of MIN_VIEW_PX with
        its axis, at the current width (the splitter had left the plots 4 and 26 px on a
        1024×768 projector)."""
        half = max(1, (self.width() - 24) // 2)
        headers = max(h.heightForWidth(half) for h in (self.now_header, self.train_header))
        return int(headers + MIN_VIEW_PX + axis_room(self.sizes) + 16)

    def readout_height(self) -> int:
        return self.readout.heightForWidth(max(1, self.width() - 8)) + 2

    def minimumSizeHint(self) -> QSize:
        """The plots' least height: the readout folds away first (the value beside each
        network's layer-1 point says the same number)."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), self.plots_height()))

    def _fit_readout(self) -> None:
        shown = not self.readout.isHidden()
        room = self.height() - self.plots_height()
        show = room >= self.readout_height() + (0 if shown else HYSTERESIS_PX)
        if show != shown:
            self.readout.setVisible(show)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_readout()

    def _style_header(self) -> None:
        super()._style_header()
        s = self.sizes
        self.header.setStyleSheet(f"color: {INK.name()}; font-size: {s['title'] + 4}pt;")
        for header in (getattr(self, "now_header", None), getattr(self, "train_header", None)):
            if header is not None:
                header.setStyleSheet(f"color: {INK.name()}; font-size: {s['title']}pt;")

    # -- drawing -------------------------------------------------------------------------
    def rebuild(self) -> None:
        s = self.sizes
        width = s["line"] + 1
        self.now_plot.clear()
        self.train_plot.clear()
        font = QFont()
        font.setPointSizeF(s["legend"] + 2)
        font.setBold(True)
        self.now_curves, self.value_labels = [], []
        self.first_curves, self.last_curves = [], []
        for color in self.colors:
            curve = pg.PlotDataItem(pen=pen(color, width), symbol="o",
                                    symbolSize=s["symbol"] + 3, symbolPen=pen(color, 1),
                                    symbolBrush=pg.mkBrush(color), connect="finite")
            self.now_plot.addItem(curve)
            self.now_curves.append(curve)
            label = pg.TextItem("", color=color, anchor=(1.0, 0.5))
            label.setFont(font)
            self.now_plot.addItem(label, ignoreBounds=True)
            self.value_labels.append(label)
            for dashed, out in ((False, self.first_curves), (True, self.last_curves)):
                c = pg.PlotDataItem(pen=pen(color, width, dashed=dashed), connect="finite")
                c.setClipToView(True)
                c.setDownsampling(auto=True, method="peak")
                self.train_plot.addItem(c)
                out.append(c)
        depths = [s.experiment.depth for s in self.sessions]
        widest = max(depths)
        step = max(1, math.ceil(widest / 12))
        same = len(set(depths)) == 1
        ticks = [(i, f"{i}\nout" if same and i == widest else str(i))
                 for i in range(1, widest + 1) if (i - 1) % step == 0 or i == widest]
        self.now_plot.getAxis("bottom").setTicks([ticks])
        style_plot(self.now_plot, s, left="mean |∂L/∂W|",
                   bottom="layer (1 = next to the input)")
        style_plot(self.train_plot, s, left="mean |∂L/∂W|",
                   bottom="training step")

    def _left_edge(self, widest: int) -> float:
        """The x where the view starts so that the value labels, right-aligned at 0.8,
        fit whole: solves x0 = 0.8 − L·(right − x0)/W for the labels' width L in px and
        the view's width W in px (the old share, −0.35 − 0.12·depth, when W is unknown)."""
        fallback = -0.35 - 0.12 * widest
        width = self.now_plot.getViewBox().width()
        need = max((label.textItem.boundingRect().width() for label in self.value_labels),
                   default=0.0) + 12
        right = widest + 0.4
        if width <= 2 * need:
            return fallback
        return min(fallback, (0.8 - need * right / width) / (1 - need / width))

    def _fit_x(self) -> None:
        """Room on the left for the layer-1 values (measured: a fixed share cut "8.56e−7"
        in a narrow plot) and on the right for the last tick's "out"; again whenever the
        view's width changes (the readout folding away changed it after a redraw, and
        the values were cut at the plot's edge)."""
        if not getattr(self, "values", None):  # a resize before the first redraw
            return
        widest = max(len(v) for v in self.values)
        left = self._left_edge(widest)
        width = self.now_plot.getViewBox().width()
        axis = self.now_plot.getAxis("bottom")
        half = QFontMetrics(axis.style.get("tickFont") or axis.font()).horizontalAdvance(
            "out") / 2 + 6
        right = widest + 0.4
        if width > 4 * half:  # px to data units, the right edge's own share included
            share = half / width
            right = max(right, (widest - share * left) / (1 - share))
        self.now_plot.setXRange(left, right, padding=0)

    def redraw(self) -> None:
        self.values = [layer_grad_mean_abs(s.current) for s in self.sessions]
        floor = log_floor(*self.values)
        base = math.log10(floor)
        top = base
        for curve, label, v in zip(self.now_curves, self.value_labels, self.values):
            x = np.arange(1, len(v) + 1, dtype=np.float64)
            shown = log_safe(v)
            shown[v == 0] = floor  # exactly 0: drawn on the floor
            curve.setData(x, shown, connect="finite")
            finite = shown[np.isfinite(shown)]
            if finite.size:
                top = max(top, math.log10(float(finite.max())))
            first = float(v[0])
            label.setText(num(first))
            y = first if math.isfinite(first) and first > 0 else floor
            label.setPos(0.8, math.log10(y))
        # above the highest point and three decades at least
        self._fit_x()
        self.now_plot.setYRange(base - 0.2, max(top, base + MIN_DECADES) + 0.4, padding=0)
        step = self.sessions[0].current.step
        self.now_header.setText(f"Gradient per layer at step {step:,} (log scale)")
        trained = False
        for s, first, last in zip(self.sessions, self.first_curves, self.last_curves):
            h = s.trainer.history
            steps = np.asarray(h.steps, dtype=np.float64)
            block = h.layer("grad_mean_abs")
            trained = trained or bool(len(steps))
            first.setData(steps, log_safe(block[:, 0]), connect="finite")
            last.setData(steps, log_safe(block[:, -1]), connect="finite")
        if trained:
            self.train_header.setText("Over training: layer 1 (solid) and output layer "
                                      "(dashed)")
            if self._placeholder_range:  # follow the data again (setRange stopped that)
                self.train_plot.enableAutoRange()
                self._placeholder_range = False
        else:
            self.train_header.setText("Over training: nothing yet (T trains one step, "
                                      "Shift+T until paused)")
            self.train_plot.setRange(xRange=(0, 10), yRange=(-8, 0), padding=0)
            self._placeholder_range = True
        self.readout.setText(self.readout_text())

    def readout_text(self) -> str:
        parts = []
        for label, color, v, s in zip(self.labels, self.colors, self.values, self.sessions):
            text = f"{swatch(color)}&nbsp;{label}&nbsp;<b>{num(float(v[0]))}</b>"
            if s.diverged_at is not None:
                text += f" (diverged at step {s.diverged_at:,})"
            parts.append(text)
        return "Layer 1's gradient now: &nbsp; " + " &nbsp;&nbsp; ".join(parts)
