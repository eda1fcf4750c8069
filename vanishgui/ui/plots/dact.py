"""σ'(z) now: every neuron's activation derivative at the shown sample, layer by layer.

Left: one point per neuron (x = its layer, spread sideways when the layer is wide), a
dashed line at each layer's largest possible derivative (0.25 for the sigmoid), and
beneath, the bound on the whole chain, ∏ max f'(z) (0.25ᴸ). Right: the hidden
activation f(z) and its derivative f'(z) over z ∈ [−8, 8] with every neuron of that
activation marked at its z on both: saturated neurons sit on the flat tails, where
f'(z) ≈ 0. A z beyond the plotted range is drawn at the edge as a triangle pointing out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QWidget

from ...core.curves import (
    CURVE_RANGE,
    ActivationCurve,
    activation_curve,
    bound_sentence,
    derivative_bound,
)
from ...core.diagnosis import layer_list
from ...core.network import Pass
from ...core.numbers import num
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
    depth_colors,
    notes_text,
    pen,
    style_plot,
)

SATURATING = frozenset({"sigmoid", "tanh"})  # f'(z) → 0 on both tails
SPREAD = 0.32  # half-width of a layer's column of points
JITTER_SEED = 20240611
MIN_COLUMN_PX = 190  # the narrowest a curve plot gets when the three stand in a row
MAX_POINTS = 1024  # per scatter: more cost tens of ms a redraw and only pile up in a column


def per_layer_limit(depth: int) -> int:
    """How many neurons of each layer are drawn at most."""
    return max(8, MAX_POINTS // max(1, depth))


def drawn(values: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the finite values to draw: all of them if there are at most ``limit``;
    else ``limit`` of them at evenly spaced ranks, the smallest and the largest included,
    so the column keeps its spread. In index order."""
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) <= limit:
        return finite
    order = finite[np.argsort(values[finite], kind="stable")]
    ranks = np.unique(np.rint(np.linspace(0, len(order) - 1, limit)).astype(np.intp))
    return np.sort(order[ranks])


def spread_offsets(n: int, layer: int) -> np.ndarray:
    """Sideways display offsets for a layer's n points: none for one, jitter when wide."""
    if n <= 1:
        return np.zeros(n)
    width = min(SPREAD, 0.04 * n)
    rng = np.random.default_rng([JITTER_SEED, layer])  # the same every redraw
    return rng.uniform(-width, width, n)


class DactPanel(PlotPanel):
    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setBackground("w")
        self.layers_plot: pg.PlotItem = self.view.addPlot(row=0, col=0, rowspan=2)
        self.f_plot: pg.PlotItem = self.view.addPlot(row=0, col=1)
        self.df_plot: pg.PlotItem = self.view.addPlot(row=1, col=1)
        self.bound_label = QLabel(self)
        self.bound_label.setObjectName("dactBound")
        self.bound_label.setWordWrap(True)
        layout = self.view.ci.layout
        layout.setColumnStretchFactor(0, 3)
        layout.setColumnStretchFactor(1, 2)
        for plot in (self.layers_plot, self.f_plot, self.df_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.hideButtons()
        self.layers_plot.setMouseEnabled(x=False, y=True)
        self.bound_text = pg.TextItem("", color=BOUND_COLOR, anchor=(1.0, 1.0))
        self.d_label = "f'(z)"
        self.points = pg.ScatterPlotItem()
        self.bound_lines = pg.PlotDataItem()
        self.f_curve = pg.PlotDataItem()
        self.df_curve = pg.PlotDataItem()
        self.f_marks = pg.ScatterPlotItem()
        self.df_marks = pg.ScatterPlotItem()
        self.curve_layers: list[int] = []
        self.curve_where = "every layer"
        self.curve: ActivationCurve | None = None
        self.bound = derivative_bound(session.experiment.activations)
        session.sample_changed.connect(self._on_sample_changed)
        session.selection_changed.connect(self.mark_dirty)
        self.selected_mark = pg.ScatterPlotItem()
        self.body.addWidget(self.view, 1)
        self.body.addWidget(self.bound_label)
        self.curves_arranged = "stacked"  # see curve_arrangement()
        self.layers_plot.getViewBox().sigResized.connect(self._fit_bound_text)
        self.layers_plot.getViewBox().sigResized.connect(self._fit_ticks)
        # the plots' room changes when the sentence under them rewraps (a new network's
        # text), not only when the panel resizes: arrange again then (a 3-line sentence
        # had left stacked curves 151 px)
        self.view.installEventFilter(self)

    def curve_arrangement(self, width: int, height: int) -> str:
        """Where f(z) and f'(z) go beside the per-layer points, for a view of that size:
        'stacked' (one over the other) when each still gets MIN_VIEW_PX, else 'row' (three
        plots side by side) when each gets MIN_COLUMN_PX of width, else 'derivative'
        (f'(z) alone: the curve the σ' ≤ 0.25 lesson is about). Never squashed."""
        overhead = self._overhead()
        if height >= 2 * (MIN_VIEW_PX + overhead):
            return "stacked"
        if width >= 3 * MIN_COLUMN_PX:
            return "row"
        return "derivative"

    def _overhead(self) -> float:
        """The px a plot here spends outside its view box: measured on the per-layer
        plot (it spans the view's height) once laid out, else estimated."""
        spent = self.view.height() - self.layers_plot.getViewBox().height()
        laid_out = self.layers_plot.getViewBox().height() > 0 and spent > 0
        return max(float(spent), axis_room(self.sizes)) if laid_out else axis_room(self.sizes)

    def _fit_bound_label(self) -> None:
        """The sentence under the plots gives way to them when both do not fit, and comes
        back when there is room: the plots are never squashed for it."""
        overhead = self._overhead()
        label = self.bound_label
        shown = not label.isHidden()
        room = self.view.height() + (label.height() if shown else 0)
        margin = 0 if shown else HYSTERESIS_PX  # no flipping at the threshold
        # measured at the width it wraps to (a panel-wide guess undercounted the lines of
        # the longer hidden-layer sentence and left the plots 151 px)
        m = self.body.contentsMargins()
        width = label.width() if shown and label.width() > 0 else \
            self.width() - m.left() - m.right()
        show = room - label.heightForWidth(width) >= MIN_VIEW_PX + overhead + margin
        if show != shown:
            label.setVisible(show)

    def _arrange_curves(self) -> None:
        self._fit_bound_label()
        kind = self.curve_arrangement(self.view.width(), self.view.height())
        if kind == self.curves_arranged:
            return
        ci = self.view.ci
        for plot in (self.f_plot, self.df_plot):
            if plot in ci.items:
                ci.removeItem(plot)
            elif plot.scene() is not None:
                plot.scene().removeItem(plot)
        if kind == "stacked":
            ci.addItem(self.f_plot, row=0, col=1)
            ci.addItem(self.df_plot, row=1, col=1)
        elif kind == "row":
            ci.addItem(self.f_plot, row=0, col=1, rowspan=2)
            ci.addItem(self.df_plot, row=0, col=2, rowspan=2)
            ci.layout.setColumnStretchFactor(2, 2)
        else:
            ci.addItem(self.df_plot, row=0, col=1, rowspan=2)
            # out of the layout but still owned by the scene: a plot that belongs to no
            # scene crashed the interpreter's exit (its C++ side deleted out of order)
            self.view.scene().addItem(self.f_plot)
        self.f_plot.setVisible(kind != "derivative")
        # both keep the fixed z range, unlinked: pyqtgraph aligns linked views by pixel,
        # and the two y axes' widths differ (f(z)'s "1.0", f'(z)'s "0.25"), which shifted
        # f'(z)'s range by 1.8 and left 11% of its curve outside; a hidden f(z) left 52%
        for plot in (self.f_plot, self.df_plot):
            plot.setXRange(*CURVE_RANGE, padding=0.03)
        self.curves_arranged = kind

    def _fit_bound_text(self, *_args: object) -> None:
        """The bound's label is shown only where it fits whole in its plot."""
        width = self.layers_plot.getViewBox().width()
        text = self.bound_text
        fits = text.textItem.boundingRect().width() <= width - 8
        if fits != text.isVisible():
            text.setVisible(fits)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange_curves()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._arrange_curves()
        return False

    def _on_sample_changed(self, _sample: int) -> None:
        self.mark_dirty()

    # -- items ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        s = self.sizes
        net = self.session.trainer.network
        acts = net.activations
        self.bound = derivative_bound(acts)
        same = len({a.name for a in acts}) == 1
        d_label = acts[0].info.derivative_label if same else "f'(z)"
        self.d_label = d_label
        # -- left: every neuron's f'(z), by layer
        lp = self.layers_plot
        lp.clear()
        self.bound_lines = pg.PlotDataItem(pen=pen(BOUND_COLOR, s["line"], dashed=True),
                                           connect="finite")
        lp.addItem(self.bound_lines)
        self.points = pg.ScatterPlotItem(size=s["symbol"], pen=pen(INK, 1.0))
        lp.addItem(self.points)
        # the selected neuron's point, ringed in the selection's colour
        self.selected_mark = pg.ScatterPlotItem(size=s["symbol"] * 2.2,
                                                pen=pen(palette.SELECTION, 3.5), brush=None)
        lp.addItem(self.selected_mark)
        maxima = [m for m in self.bound.per_layer if m is not None]
        # The dashed line's label, above it from the left end (no legend to hide points;
        # anchored at the right end, a narrow plot cut "max σ'(z)" to "x σ'(z)")
        self.bound_text = pg.TextItem("", color=BOUND_COLOR, anchor=(0.0, 1.0))
        font = QFont()
        font.setPointSizeF(s["legend"] + 1)
        font.setBold(True)
        self.bound_text.setFont(font)
        if maxima:
            # short, so a narrow plot keeps it whole: the dashed line is the bound
            name = d_label if same else "f'(z)"
            self.bound_text.setText(f"{name} ≤ {num(max(maxima))}" if len(set(maxima)) == 1
                                    else "max f'(z) of each layer")
            self.bound_text.setPos(0.45, max(maxima))
        lp.addItem(self.bound_text, ignoreBounds=True)
        self._fit_bound_text()
        self._x_range = None  # a new network: its x range is set afresh
        self._fit_ticks()  # the layer numbers, and the x range with room for the end ones
        if maxima:
            top = max(maxima)
            # Headroom above the largest possible f'(z) for the line's label.
            lp.setYRange(-0.04 * top, 1.3 * top, padding=0)
        else:
            lp.enableAutoRange(axis="y")
        style_plot(lp, self.sizes, left=d_label, bottom="layer")
        # -- right: the hidden activation's curves with the neurons on them
        act = acts[0]  # the hidden activation (the output's when there is no hidden layer)
        for plot, marks_attr, label in (
            (self.f_plot, "f_marks", "f(z)"),
            (self.df_plot, "df_marks", act.info.derivative_label),
        ):
            plot.clear()
            line = pg.PlotDataItem(pen=pen(INK, s["line"]))
            plot.addItem(line)
            marks = pg.ScatterPlotItem(size=s["symbol"], pen=pen(INK, 1.0))
            plot.addItem(marks)
            setattr(self, marks_attr, marks)
            if plot is self.f_plot:
                self.f_curve = line
            else:
                self.df_curve = line
            plot.setXRange(*CURVE_RANGE, padding=0.03)
            style_plot(plot, self.sizes, left=label,
                       bottom=self._z_label() if plot is self.df_plot else None)
        self._set_bound_text()
        self._arrange_curves()  # the sizes may have changed (projector mode, zoom)

    def _z_label(self) -> str:
        """'z', or 'ẑ (after the norm)' when the activations take normalised inputs."""
        return "ẑ (after the norm)" if self.session.trainer.network.norm != "none" else "z"

    def _set_bound_text(self) -> None:
        s = self.sizes
        text = bound_sentence(self.session.trainer.network.activations)
        # A style sheet, not setFont: the app's style sheet would override a font.
        self.bound_label.setStyleSheet(
            f"color: {INK.name()}; font-size: {s['title']}pt; font-weight: bold;")
        self.bound_label.setText(text)

    # -- numbers -------------------------------------------------------------------------
    def redraw(self) -> None:
        p = self.session.current
        sample = min(self.session.sample, len(p.inputs) - 1)
        depth = p.depth
        colors = depth_colors(depth)
        xs, ys, brushes = [], [], []
        left_out = 0  # inf/NaN derivatives cannot be drawn: they are counted instead
        limit = per_layer_limit(depth)
        self.thinned = 0  # the widest layer whose points were thinned to ``limit``
        for i in range(depth):
            d = p.dact[i][sample]
            keep = drawn(d, limit)
            finite = int(np.isfinite(d).sum())
            left_out += int(d.size - finite)
            if len(keep) < finite:
                self.thinned = max(self.thinned, finite)
            xs.append((i + 1 + spread_offsets(len(d), i))[keep])
            ys.append(d[keep])
            brushes += [pg.mkBrush(colors[i])] * len(keep)
        x = np.concatenate(xs) if xs else np.zeros(0)
        y = np.concatenate(ys) if ys else np.zeros(0)
        self.points.setData(x=x, y=y, brush=brushes)
        self._mark_selected(p, sample)
        self._fit_ticks()  # the tick font and the view's width are final by now
        seg_x, seg_y = [], []
        for i, m in enumerate(self.bound.per_layer):
            if m is not None:
                seg_x += [i + 1 - 0.42, i + 1 + 0.42, np.nan]
                seg_y += [m, m, np.nan]
        self.bound_lines.setData(np.array(seg_x, dtype=np.float64),
                                 np.array(seg_y, dtype=np.float64), connect="finite")
        self._draw_curves(p)
        self._draw_marks(p, sample, colors)
        act = p.network.activations[0]
        where = "" if self.curve_where == "every layer" else f" ({self.curve_where})"
        tails = ", saturated neurons on the flat tails" if act.name in SATURATING else ""
        thinned = (f"  ·  {limit} of {self.thinned} neurons a layer drawn, smallest to "
                   "largest" if self.thinned else "")
        self.set_header(f"Sample {sample + 1}, step {p.step}  ·  right: {act.info.label}"
                        f"{where}{tails}" + thinned + notes_text(0, left_out))

    def _fit_ticks(self, *_args: object) -> None:
        """As many layer numbers under the plot as fit its width (a fixed ~16 ran
        "11", "13", "15" together in a 150-px plot of 20 layers); again on resize."""
        depth = self.session.experiment.depth
        axis = self.layers_plot.getAxis("bottom")
        font = axis.style.get("tickFont") or axis.font()
        label = QFontMetrics(font).horizontalAdvance(str(depth)) + 14
        room = self.layers_plot.getViewBox().width() or 16 * label
        fits = max(2, int(room // label))
        step = max(1, -(-depth // fits))
        # every step-th layer, and the last; one that would crowd the last is left out
        ticks = [(i + 1, str(i + 1)) for i in range(depth)
                 if (i % step == 0 and depth - 1 - i >= step) or i == depth - 1]
        if ticks != getattr(self, "_ticks", None):
            self._ticks = ticks
            axis.setTicks([ticks])
        # room at both ends for half a label: pyqtgraph hides a label that would stick
        # out of its axis, and the last layer's number went missing in a narrow plot
        half = (label - 14) / 2 + 3
        margin = max(0.6, half * (depth + 1.2) / max(room, 1.0))
        x_range = (1 - margin, depth + margin)
        if x_range != getattr(self, "_x_range", None):  # redraw calls this on every frame
            self._x_range = x_range
            self.layers_plot.setXRange(*x_range, padding=0)

    def _mark_selected(self, p: Pass, sample: int) -> None:
        """Ring the selected neuron's f'(z) (the diagnosis's "Show me" selects the output
        neuron of a saturated output, or a dead unit), where its point is drawn."""
        sel = self.session.selection
        x = y = np.zeros(0)
        if sel is not None and not sel.is_weight and 1 <= sel.layer <= p.depth:
            d = p.dact[sel.layer - 1][sample]
            if sel.neuron < len(d) and np.isfinite(d[sel.neuron]):
                offset = spread_offsets(len(d), sel.layer - 1)[sel.neuron]
                x, y = np.array([sel.layer + offset]), np.array([d[sel.neuron]])
        self.selected_mark.setData(x=x, y=y)

    def _draw_curves(self, p: Pass) -> None:
        """f and f' of layer 1's activation (at its current PReLU slope, if learnable),
        and which layers share exactly that function."""
        net = p.network
        act, alpha = net.activations[0], net.alphas[0]
        self.curve_layers = [i for i, (a, al) in enumerate(zip(net.activations, net.alphas))
                             if i == 0 or (a == act and al == alpha)]
        self.curve = activation_curve(act, alpha)
        self.f_curve.setData(self.curve.z, self.curve.value)
        self.df_curve.setData(self.curve.z, self.curve.derivative)
        self.curve_where = ("every layer" if len(self.curve_layers) == p.depth
                            else layer_list([i + 1 for i in self.curve_layers]))

    def _draw_marks(self, p: Pass, sample: int, colors: list[QColor]) -> None:
        lo, hi = CURVE_RANGE
        zs, fa, fd, brushes, symbols = [], [], [], [], []
        limit = per_layer_limit(len(self.curve_layers))
        for i in self.curve_layers:
            # where the activation's input sits: ẑ after a norm, and f(ẑ) before a skip
            # adds its block's input (issue 15)
            z, a, d = p.f_input(i + 1)[sample], p.f_output(i + 1)[sample], p.dact[i][sample]
            ok = np.isfinite(z) & np.isfinite(a) & np.isfinite(d)
            keep = drawn(np.where(ok, z, np.nan), limit)
            z, a, d = z[keep], a[keep], d[keep]
            # display only: a z beyond the plotted range is drawn at the curve's end (a
            # triangle pointing out), so the view stays on the curve (a linear layer's
            # f(z) = 1e308 made its range overflow)
            low, high = z < lo, z > hi
            zs.append(np.clip(z, lo, hi))
            c = self.curve
            fa.append(np.where(low, c.value[0], np.where(high, c.value[-1], a)))
            fd.append(np.where(low, c.derivative[0], np.where(high, c.derivative[-1], d)))
            brushes += [pg.mkBrush(colors[i])] * len(z)
            symbols += ["t2" if v > hi else "t3" if v < lo else "o" for v in z.tolist()]
        x = np.concatenate(zs) if zs else np.zeros(0)
        self.f_marks.setData(x=x, y=np.concatenate(fa) if fa else x, brush=brushes,
                             symbol=symbols)
        self.df_marks.setData(x=x, y=np.concatenate(fd) if fd else x, brush=brushes,
                              symbol=symbols)
