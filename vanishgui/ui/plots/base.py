"""What every plot panel shares: dirty marking, redraw on demand, styling, projector mode.

A panel never redraws in a signal handler. The Session's signals only mark it dirty
(and, after ``experiment_changed``, stale: its items must be rebuilt for new shapes);
the :class:`~vanishgui.ui.plots.PlotHub`'s one timer then calls :meth:`PlotPanel.refresh`
on dirty panels that are visible, so a panel redraws at most once a frame however fast
training steps, and a hidden panel not at all.

Display helpers here map numbers to the screen (log-safe copies, an axis floor for
exact zeros, colours); they never make new numbers.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..model import training_loop
from ..model.palette import NONFINITE, OUTLINE, TEXT, viridis
from ..model.presentation import Presentation
from ..model.session import Mark, Session

# One meaning per colour, none near the diagram's (palette.MEANINGS) or viridis, which
# here means a layer's depth and nothing else; test_colours checks ΔE2000 ≥ 10.
LOSS_COLOR = QColor("#0000FF")
ACCURACY_COLOR = QColor("#808000")
BOUND_COLOR = QColor("#FF7F00")  # the largest f'(z) can be
CLASS_COLORS = (QColor("#7570B3"), QColor("#C51B7D"))  # class 0, class 1
FIT_COLOR = QColor("#1B7837")  # the network's output ŷ over x (one input)
TARGET_COLOR = QColor("#C51B7D")  # a target y (one input): a class-1 target is one too
CLASS_PALE = 0.65  # the boundary's background: each class's colour this far to white
INK = QColor(TEXT)
GRID_ALPHA = 0.25
VIRIDIS_END = 0.9  # viridis' last tenth is a yellow too pale on white

Sizes = dict[str, float]  # Presentation.sizes(): tick, label, title, legend, line, symbol


def depth_colors(depth: int) -> list[QColor]:
    """One colour per layer, ordered by depth: dark purple (layer 1) to green-yellow."""
    if depth <= 1:
        return [viridis(VIRIDIS_END)] * depth
    return [viridis(VIRIDIS_END * i / (depth - 1)) for i in range(depth)]


def pen(color: QColor, width: float, dashed: bool = False) -> pg.QtGui.QPen:
    p = pg.mkPen(QColor(color), width=width)
    if dashed:
        p.setDashPattern([4.0, 3.0])
    return p


def log_safe(values: np.ndarray) -> np.ndarray:
    """A copy for a log axis: positive finite values kept, everything else NaN."""
    v = np.array(values, dtype=np.float64)
    v[~(np.isfinite(v) & (v > 0))] = np.nan
    return v


def finite_only(values: np.ndarray) -> np.ndarray:
    """A copy for a linear axis: finite values kept, inf and NaN as NaN."""
    v = np.array(values, dtype=np.float64)
    v[~np.isfinite(v)] = np.nan
    return v


def log_floor(*arrays: np.ndarray) -> float:
    """The bottom of a log axis: one decade under the smallest positive finite value.

    Exact zeros are drawn here (a log axis has no 0). 1e−12 when nothing is positive.
    """
    smallest = math.inf
    for a in arrays:
        v = np.asarray(a, dtype=np.float64)
        v = v[np.isfinite(v) & (v > 0)]
        if v.size:
            smallest = min(smallest, float(v.min()))
    if not math.isfinite(smallest):
        return 1e-12
    exponent = max(math.floor(math.log10(smallest)) - 1, -323)  # 1e-324 is 0.0
    return min(10.0 ** exponent, smallest)




def layer_name(index: int, depth: int) -> str:
    """'layer 3', or 'layer 7 (out)' for the output layer; ``index`` is 0-based."""
    return f"layer {index + 1}" + (" (out)" if index == depth - 1 else "")


MARKER_BINS = 800  # exactly-0 markers: at most this many across the x axis


def min_max_decimate(x: np.ndarray, ys: np.ndarray,
                     width: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~2 points per pixel column: each bin of rows becomes its lowest and highest
    value (NaN where a bin has none), so a spike survives and the cost of drawing stops
    growing with the history. ``ys`` is (rows, curves); short histories pass unchanged."""
    n = len(x)
    if n <= 2 * width:
        return x, ys
    k = -(-n // width)  # rows per bin
    bins = n // k
    head = ys[: bins * k].reshape(bins, k, ys.shape[1])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bin gives NaN
        lo, hi = np.nanmin(head, axis=1), np.nanmax(head, axis=1)
    xs = x[: bins * k].reshape(bins, k)
    out_x = np.column_stack([xs[:, 0], xs[:, -1]]).ravel()
    out_y = np.stack([lo, hi], axis=1).reshape(2 * bins, ys.shape[1])
    if bins * k < n:  # the last rows as they are: the newest step is always drawn exactly
        out_x = np.concatenate([out_x, x[bins * k:]])
        out_y = np.concatenate([out_y, ys[bins * k:]])
    return out_x, out_y


def zero_markers(zero: np.ndarray, steps: np.ndarray, bins: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """(rows, layers) of the exactly-0 markers to draw: at most one per ``bins``-th of the
    x range, for the lowest layer that is 0 in that row. Every exact 0 sits at the same
    height (the axis floor), so markers closer than a bin would cover each other; drawing
    them all made a long history of zeros ~10⁶ markers (seconds a redraw, GBs of memory).
    ``zero`` is the (rows, layers) mask of exact zeros."""
    rows = np.flatnonzero(zero.any(axis=1))
    if not len(rows):
        return rows, rows
    x = steps[rows]
    lo, hi = float(x[0]), float(x[-1])
    b = ((x - lo) / (hi - lo) * (bins - 1)).astype(np.int64) if hi > lo else x * 0
    _, first = np.unique(b, return_index=True)
    keep = rows[first]
    return keep, zero[keep].argmax(axis=1)


class DecadeAxis(pg.AxisItem):
    """A y axis whose log mode labels only whole decades when one is in view.

    pyqtgraph labels the 2…9 minor ticks too when few decades are visible, which at a
    classroom font size piles up into an unreadable column.
    """

    def logTickStrings(self, values, scale, spacing):
        strings = super().logTickStrings(values, scale, spacing)
        lo, hi = sorted(self.range)
        if math.floor(hi) < math.ceil(lo):  # no decade in view: keep every label
            return strings
        return [s if abs(v - round(v)) < 1e-6 else "" for s, v in zip(strings, values)]


class StepAxis(pg.AxisItem):
    """A linear x axis whose labels never run into each other. pyqtgraph 0.14 checks
    only how much of the axis its labels fill, so "2000" ran into "4000" in a narrow
    history plot: here the labelled spacing (1, 2 or 5 × 10ⁿ) leaves every label its
    own width and a gap, and the minor ticks carry no label."""

    GAP_PX = 14

    def tickSpacing(self, minVal, maxVal, size):
        try:
            return self._fitting_spacing(minVal, maxVal, size)
        except (OverflowError, ValueError, ZeroDivisionError):  # a range near float's end
            return super().tickSpacing(minVal, maxVal, size)

    def _fitting_spacing(self, minVal, maxVal, size):
        span = maxVal - minVal
        if self.logMode or span <= 0 or size <= 0 or not math.isfinite(span):
            return super().tickSpacing(minVal, maxVal, size)
        fm = QFontMetricsF(self.style.get("tickFont") or self.font())

        def drawn(major: float) -> list[tuple[float, float]] | None:
            """The (left, right) px of each label of this spacing that pyqtgraph will
            draw: it hides a label that would stick out past either end of the axis
            (hideOverlappingLabels; a 140-px plot's "0" and "500" were both hidden, and it
            showed no label at all). None when there are too many to be any use."""
            first, last = math.ceil(minVal / major), math.floor(maxVal / major)
            if last - first > 200:
                return None
            values = [k * major for k in range(first, last + 1)]
            # the class's own method: a caller watching this axis's drawn labels sees
            # only the ones drawn
            texts = type(self).tickStrings(self, values, self.autoSIPrefixScale * self.scale,
                                           major)
            out = []
            for value, text in zip(values, texts):
                x = (value - minVal) / span * size
                # measured as pyqtgraph measures it (a box a little wider than the text)
                half = fm.boundingRect(QRectF(0, 0, 100, 100), Qt.AlignmentFlag.AlignCenter,
                                       text).width() / 2
                if x - half >= 0 and x + half <= size:
                    out.append((x - half, x + half))
            return out

        def fits(major: float, gap: float) -> bool:
            labels = drawn(major)
            return bool(labels) and all(b[0] - a[1] >= gap
                                        for a, b in itertools.pairwise(labels))

        base = 10.0 ** math.floor(math.log10(span / max(1.0, size / 40.0)))
        steps = [step for k in range(40) for m in (1, 2, 5)
                 if math.isfinite(step := base * m * 10.0 ** k) and step <= 4 * span]
        if not steps or not math.isfinite(maxVal) or not math.isfinite(minVal):
            return super().tickSpacing(minVal, maxVal, size)
        # the smallest spacing whose drawn labels keep a gap: the most labels that fit
        # (the axis asks on every repaint while training: it stops at the first)
        # a narrow plot where none keeps the full gap: labels that merely do not touch
        major = next((s for s in steps if fits(s, self.GAP_PX)),
                     next((s for s in steps if fits(s, 4)), steps[-1]))
        m = round(major / 10.0 ** math.floor(math.log10(major)))
        return [(major, 0.0), (major / (2 if m == 1 else m), 0.0)]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setStyle(maxTextLevel=0)  # labels on the spacing chosen to fit, none between


def decade_axes() -> dict[str, pg.AxisItem]:
    return {"left": DecadeAxis("left"), "bottom": StepAxis("bottom")}


def top_level_widgets() -> set[QWidget]:
    return set(QApplication.topLevelWidgets())


def adopt_strays(owner: QWidget, before: set[QWidget]) -> int:
    """Give ``owner`` the parentless widgets made since ``before`` (pyqtgraph makes each
    plot's context menus and option panels without a parent, so they would outlive their
    window: ~55 widgets a plot). They keep their window flags, so right-click Export… and
    View All work as before; they are deleted with ``owner``. Returns how many."""
    adopted = 0
    for w in top_level_widgets() - before:
        if w is not owner and w.parent() is None and not w.isVisible():
            w.setParent(owner, w.windowFlags())
            adopted += 1
    return adopted


def make_plot_widget(parent: QWidget | None = None) -> pg.PlotWidget:
    """A white plot; the context menu keeps pyqtgraph's Export… (PNG, SVG, CSV)."""
    w = pg.PlotWidget(parent, background="w", axisItems=decade_axes())
    w.setAntialiasing(True)
    item = w.getPlotItem()
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    item.hideButtons()  # the "A" autoscale button; the menu still has "View All"
    return w


def style_plot(item: pg.PlotItem, s: Sizes, left: str | None = None,
               bottom: str | None = None) -> None:
    """Dark axes with large tick labels, plain numbers (no "×0.001" SI scaling).

    The right-click menu keeps View All, the axes' ranges and Export…; pyqtgraph's "Plot
    Options" submenu is left out: its FFT, dy/dx, averaging and alpha transforms mean
    nothing for these plots, and ticking them on bars or markers raised."""
    item.setMenuEnabled(False, True)
    for side in ("left", "bottom", "right"):
        style_plot_axis(item.getAxis(side), s)
    label_style = {"color": INK.name(), "font-size": f"{s['label']}pt"}
    if left is not None:
        item.setLabel("left", left, **label_style)
    if bottom is not None:
        item.setLabel("bottom", bottom, **label_style)


def style_plot_axis(axis: pg.AxisItem, s: Sizes) -> None:
    font = QFont()
    font.setPointSizeF(s["tick"])
    axis.setPen(pg.mkPen(OUTLINE, width=s["tick"] / 12))
    axis.setTextPen(pg.mkPen(INK))
    axis.setTickFont(font)
    # pyqtgraph 0.14's enableAutoSIPrefix(False) still scales the tick numbers (×1000 on a
    # 0.001–0.25 axis) and only hides the note: no range may scale them at all
    axis.enableAutoSIPrefix(False)
    axis.setSIPrefixEnableRanges(())
    axis.updateAutoSIPrefix()
    axis.setStyle(tickTextOffset=round(s["tick"] / 3))


def style_legend(legend: pg.LegendItem, s: Sizes) -> None:
    """Large dark labels on white; for entries added before and after."""
    legend.setLabelTextSize(f"{s['legend']}pt")
    legend.setLabelTextColor(INK)
    for _, label in legend.items:
        label.setText(label.text)  # setAttr alone does not re-render a label
    legend.setBrush(pg.mkBrush(255, 255, 255, 220))
    legend.setPen(pg.mkPen(OUTLINE))


def notes_text(zeros: int, nonfinite: int, zero_how: str = "× at the floor") -> str:
    """'· 3 exactly 0 (× at the floor), 2 inf/NaN (gaps)', or '' when there are none."""
    notes = []
    if zeros:
        notes.append(f"{zeros} exactly 0 ({zero_how})")
    if nonfinite:
        notes.append(f"{nonfinite} inf/NaN (not drawn)")
    return ("  ·  " + ", ".join(notes)) if notes else ""


NONFINITE_COLOR = QColor(NONFINITE)
MARK_LABEL_AT = 0.97  # a mark's label: this far up its plot (the diverged line's is 0.9)


def marks_by_step(marks: list[Mark]) -> list[tuple[int, str]]:
    """One (step, text) per marked step, in step order: marks made at the same step (a
    weight edited, then a setting changed) share one line and one label."""
    texts: dict[int, list[str]] = {}
    for m in marks:
        if m.text not in texts.setdefault(m.step, []):
            texts[m.step].append(m.text)
    return [(step, ", ".join(texts[step])) for step in sorted(texts)]


class MarkLines:
    """The Session's marks on one panel's history plots: a thin dashed line at each marked
    step, labelled on the first plot. The lines' steps count in the x range, so a mark
    just past the newest step is in view."""

    def __init__(self) -> None:
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._drawn: tuple[object, ...] | None = None

    def forget(self) -> None:
        """The plots were cleared (a rebuild): their lines went with them."""
        self.lines = []
        self._drawn = None

    def draw(self, plots: list[pg.PlotItem], marks: list[Mark], s: Sizes) -> None:
        shown = marks_by_step(marks)
        key = (tuple(shown), tuple(id(p) for p in plots), s["line"], s["legend"])
        if key == self._drawn:
            return
        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines = []
        font = QFont()
        font.setPointSizeF(s["legend"])
        for k, plot in enumerate(plots):
            for step, text in shown:
                line = pg.InfiniteLine(
                    pos=step, angle=90, movable=False,
                    pen=pen(INK, max(1.0, s["line"] / 2), dashed=True),
                    label=text if k == 0 else None,
                    labelOpts={"position": MARK_LABEL_AT, "color": INK,
                               "fill": (255, 255, 255, 200), "anchors": [(0, 0), (0, 0)]})
                if k == 0:
                    line.label.setFont(font)
                line.setToolTip(f"before step {step}: {text}")
                plot.addItem(line)
                self.lines.append((plot, line))
        self._drawn = key


ENLARGE_TIP = "Enlarge (E); Esc returns"
BUTTON_GAP = 4  # px between the header and its ⤢
ENLARGED_TIP = "Back to every panel (Esc or E)"


def enlarge_button(parent: QWidget) -> QToolButton:
    """The small ⤢ button of a plot or the diagram; the panel only emits a request."""
    button = QToolButton(parent)
    button.setObjectName("enlargeButton")
    button.setText("⤢")
    button.setToolTip(ENLARGE_TIP)
    button.setAccessibleName("Enlarge")
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
    button.hide()  # until a window that can enlarge the panel offers it
    return button


MIN_VIEW_PX = 160  # a plot's view box is never drawn shorter (issue 11): a panel gives up
# a second plot or a sentence before it squashes one
HYSTERESIS_PX = 48  # and takes it back only with this much more room


def axis_room(sizes: Sizes) -> float:
    """The px a plot spends outside its view box (an axis, its title, margins)."""
    return (sizes["tick"] + sizes["label"]) * 96 / 72 * 1.6 + 16


class PlotPanel(QWidget):
    """Base of the plot panels: the model in the constructor, redraws when told.

    Subclasses implement :meth:`rebuild` (create items for the current shapes) and
    :meth:`redraw` (put the current numbers into them). ``min_interval_s`` throttles a
    costly panel below the hub's frame rate.
    """

    needs_redraw = Signal()  # dirty (again): the hub's timer should come round
    enlarge_requested = Signal()  # the ⤢ button: the window shows this panel alone (or back)
    min_interval_s = 0.0
    # A panel whose redraw is slow (a huge network) waits this many times its last
    # redraw's duration before the next, so it never takes more than ~1/(1+k) of the time.
    COST_FACTOR = 4.0

    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        # A panel on its own (tests, previews) gets a presentation of its own.
        self.presentation = presentation or Presentation(self)
        # A header line above the plot (live numbers and notes; it wraps, unlike a
        # plot title, which would force the plot's minimum width), a row for controls,
        # and the body the subclass fills.
        self.header = QLabel(self)
        self.header.setObjectName("plotHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.controls = QHBoxLayout()
        self._control_widgets: list[QWidget] = []  # what add_control put in the row
        self.controls.setContentsMargins(0, 0, 0, 0)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(0)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        outer.setSpacing(2)
        # ⤢ at the header's right end: a row of its own would take a plot's height
        self.enlarge_button = enlarge_button(self)
        self.enlarge_button.clicked.connect(self.enlarge_requested)
        self._enlarge_offered = False
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(BUTTON_GAP)
        head.addWidget(self.header, 1)
        head.addWidget(self.enlarge_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)
        outer.addLayout(self.controls)
        outer.addLayout(self.body, 1)
        self.controls.addStretch(1)
        self._style_header()
        self.dirty = True
        self.stale = True  # items must be rebuilt before the next redraw
        self.redraw_count = 0
        self.redraw_seconds = 0.0  # how long the last redraw took
        self._last_redraw = -math.inf
        self.forced = False
        self.mark_lines = MarkLines()
        session.experiment_changed.connect(self._on_experiment_changed)
        session.marks_changed.connect(self.mark_dirty)
        session.pass_changed.connect(self._on_pass_changed)
        session.trained.connect(self._on_trained_changed)
        self.presentation.changed.connect(self._on_presentation_changed)

    # -- marking -------------------------------------------------------------------------
    def mark_dirty(self) -> None:
        self.dirty = True
        self.needs_redraw.emit()

    def _on_experiment_changed(self) -> None:
        self.stale = True
        self.mark_dirty()

    def _on_pass_changed(self) -> None:
        self.mark_dirty()

    def _on_trained_changed(self, _steps: int) -> None:
        self.mark_dirty()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.dirty:
            self.needs_redraw.emit()

    # -- drawing -------------------------------------------------------------------------
    def interval(self) -> float:
        """Seconds to wait after a redraw before the next one."""
        return max(self.min_interval_s, self.COST_FACTOR * self.redraw_seconds)

    def due(self, now: float) -> bool:
        """Dirty, visible and past its throttle interval."""
        return self.dirty and self.isVisible() and now - self._last_redraw >= self.interval()

    def refresh(self, now: float | None = None, *, force: bool = False) -> bool:
        """Redraw if due (or, with ``force``, if dirty at all); True if it redrew."""
        now = time.monotonic() if now is None else now
        if not (self.dirty and (force or self.due(now))):
            return False
        if training_loop.busy():  # the trainer is the worker's until its slice ends
            if not force:
                return False  # the Pacer comes round again next frame
            training_loop.hold_all()
        started = time.perf_counter()
        self.forced = force  # a forced redraw (screenshot, test) computes everything now
        if self.stale:
            self.rebuild()
            self.mark_lines.forget()
            self.stale = False
        self.redraw()
        self.mark_lines.draw(self.mark_plots(), self.session.marks, self.sizes)
        self.dirty = False
        self._last_redraw = now
        self.redraw_seconds = time.perf_counter() - started
        self.redraw_count += 1
        return True

    def flush(self) -> bool:
        """Redraw now if anything changed (screenshots, tests); True if it redrew."""
        return self.refresh(force=True)

    def rebuild(self) -> None:
        """Create the plot items for the current experiment's shapes."""

    def redraw(self) -> None:
        """Draw the current data into the items ``rebuild`` made (each panel has its own)."""

    def mark_plots(self) -> list[pg.PlotItem]:
        """The plots (over training steps) that draw the Session's marks; none by default."""
        return []

    @property
    def projector(self) -> bool:
        """Whether the panel draws at its large (projector) sizes."""
        return self.presentation.large

    def _on_presentation_changed(self) -> None:
        """New sizes: restyle the header now, rebuild the plot items on the next frame."""
        self._style_header()
        self.stale = True
        self.mark_dirty()

    def _style_header(self) -> None:
        # Style sheets, not setFont: the app's style sheet would override a set font.
        s = self.sizes
        self.header.setStyleSheet(f"color: {INK.name()}; font-size: {s['title']}pt;")
        # a square as tall as a header line: beside the header it adds no height
        self.enlarge_button.setStyleSheet(f"font-size: {s['title']}pt; padding: 0px; "
                                          "border: none; background: transparent;")
        self.header.ensurePolished()  # its font is the style sheet's from here on
        line = self.header.fontMetrics().height()
        self.enlarge_button.setFixedSize(line, line)
        self._fit_enlarge_button()
        for w in self._control_widgets:
            w.setStyleSheet(f"font-size: {s['legend'] + 1}pt;")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_controls()
        self._fit_enlarge_button()

    def _fit_enlarge_button(self) -> None:
        """The ⤢ steps aside where it would cost the plot height: where the header, made
        narrower by it, would wrap to another line (a narrow plot on a small projector lost
        up to 86 px). E still enlarges the plot under the mouse. Back only with
        HYSTERESIS_PX more width than it needs, so a header that changes every step does
        not make it blink."""
        button = self.enlarge_button
        if not self._enlarge_offered:
            return
        shown = not button.isHidden()
        row = self.contentsRect().width() - 8  # the outer layout's margins
        full = self.header.heightForWidth(row)
        taken = button.width() + BUTTON_GAP + (0 if shown else HYSTERESIS_PX)
        show = (row > taken and full >= button.height()  # an empty header has no line
                and self.header.heightForWidth(row - taken) <= full)
        if show != shown:
            button.setVisible(show)

    def _fit_controls(self) -> None:
        """The control row (a checkbox) steps aside before the plot under it would go
        under MIN_VIEW_PX: on a 1024×768 projector with a lesson it left the loss 143 px.
        Back with HYSTERESIS_PX more room than it needs."""
        # a Python list, not self.controls.itemAt(): wrappers of layout items outlive them
        widgets = self._control_widgets
        if not widgets:
            return
        shown = not widgets[0].isHidden()
        row = max(w.sizeHint().height() for w in widgets) + 2
        header = self.header.height() if not self.header.isHidden() else 0
        room = self.height() - header - 8  # for the row and the plot under it
        need = MIN_VIEW_PX + axis_room(self.sizes) + row
        show = room >= need + (0 if shown else HYSTERESIS_PX)
        if show != shown:
            for w in widgets:
                w.setVisible(show)

    def add_control(self, widget: QWidget) -> None:
        """A checkbox or button in the row under the header."""
        self.controls.insertWidget(self.controls.count() - 1, widget)
        self._control_widgets.append(widget)
        self._style_header()

    def set_enlarged(self, enlarged: bool) -> None:
        """The window that can show this panel alone says whether it does: the ⤢ button
        (hidden until then, e.g. in a test or preview) shows and says so."""
        self.enlarge_button.setToolTip(ENLARGED_TIP if enlarged else ENLARGE_TIP)
        self._enlarge_offered = True
        self._fit_enlarge_button()

    def set_header(self, text: str) -> None:
        self.header.setText(text)
        self._fit_enlarge_button()

    @property
    def sizes(self) -> Sizes:
        return self.presentation.sizes()

