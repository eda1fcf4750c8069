"""The diagram panel: the event's formula on top, the scene, and the |δ| colour bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ...core.diagnosis import loss_growth
from ..model import palette
from ..model.describe import caption
from ..model.session import Session
from .diagnosis import DiagnosisStrip
from .scene import DiagramScene

MIN_VIEW_PX = 100  # the diagram's own height, never given to a dock
ENLARGE_TIP = "Enlarge (E); Esc returns"  # the plots' ⤢ says the same
ENLARGED_TIP = "Back to every panel (Esc or E)"
CORNER_GAP = 4  # px between the ⤢ button and the diagram's edges


class DiagramView(QGraphicsView):
    """Fits the network to the window; Ctrl+wheel or a pinch zooms; clicks select."""

    zoomed = Signal(float)

    def __init__(self, scene: DiagramScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.diagram = scene
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMouseTracking(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setToolTip("Click a neuron to inspect it, or an edge to see its chain rule. "
                        "Ctrl+wheel zooms; double-click fits.")
        self._fitted = True
        self.corner: QWidget | None = None  # a button kept in the top right corner
        scene.sceneRectChanged.connect(lambda _r: self.fit() if self._fitted else None)

    def fit(self) -> None:
        self._fitted = True
        self.fitInView(self.diagram.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.diagram.set_view_scale(self.transform().m11())

    def zoom(self, factor: float) -> None:
        self._fitted = False
        self.scale(factor, factor)
        self.diagram.set_view_scale(self.transform().m11())
        self.zoomed.emit(self.transform().m11())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        self.place_corner()

    def place_corner(self) -> None:
        corner = self.corner
        if corner is not None:
            corner.adjustSize()
            corner.move(self.width() - corner.width() - CORNER_GAP, CORNER_GAP)
            corner.raise_()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._fitted:
            self.fit()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.0015 ** event.angleDelta().y())
            event.accept()
        else:
            super().wheelEvent(event)

    def viewportEvent(self, event) -> bool:
        if (event.type() == QEvent.Type.NativeGesture
                and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture):
            self.zoom(1.0 + event.value())
            return True
        return super().viewportEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()

    def _tolerance(self) -> float:
        return 8.0 / max(1e-6, self.transform().m11())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            pos = self.mapToScene(event.position().toPoint())
            self.diagram.session.select(self.diagram.selection_at(pos, self._tolerance()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if self.diagram.layout.small and not self.diagram.labels_hidden:
            return
        pos = self.mapToScene(event.position().toPoint())
        for item in self.diagram.neuron_items:
            if item.boundingRect().contains(pos):
                j = item.neuron_at(pos)
                if j is not None:
                    QToolTip.showText(event.globalPosition().toPoint(),
                                      self.diagram.neuron_tooltip(item.layer, j), self)
                    return


def paint_scale(p: QPainter, bar: QRectF, low: QPointF, high: QPointF) -> None:
    """The |δ| scale's colours in ``bar``, from 1e-12 at ``low`` to 1 at ``high``; the
    pen is the text's after."""
    grad = QLinearGradient(low, high)
    for k in range(25):
        grad.setColorAt(k / 24, palette.delta_scale(k / 24))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(grad)
    p.drawRect(bar)
    p.setPen(QPen(palette.TEXT))


class ColorBar(QWidget):
    """The |δ| scale: pale to dark red over 1e-12 … 1 (log10), then 0 and inf/NaN. Left to right
    under a comparison's diagrams; bottom to top beside the main diagram (``vertical``),
    where it takes width, which a 16:9 screen has, rather than the diagram's height."""

    def __init__(self, parent: QWidget | None = None, *, vertical: bool = False) -> None:
        super().__init__(parent)
        self.vertical = vertical
        if vertical:
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(self.TIP)

    TIP = ("Colour of a neuron once its δ (the error signal) is known. "
           "Each tick is 1000 times smaller than the one to its right.")
    TITLE = "|δ| of each neuron (log scale):"
    SHORT_TITLE = ("|δ|",)  # over the vertical bar (the ticks say it is a log scale)
    SWATCHES = ((palette.ZERO, "exactly 0"), (palette.NONFINITE, "inf / NaN"))

    def _widths(self) -> tuple[int, int]:
        """The title's column and the swatches' row, in px."""
        fm = self.fontMetrics()
        left = fm.horizontalAdvance(self.TITLE) + 24
        swatches = sum(fm.horizontalAdvance(t) + fm.height() + 28 for _c, t in self.SWATCHES)
        return left, swatches

    def _two_rows(self, width: int) -> bool:
        """The swatches go under the bar when one row would leave the bar under 200 px
        (they were cut off at the window's edge: "inf / Na")."""
        left, swatches = self._widths()
        return width < left + 200 + swatches + 20

    def hasHeightForWidth(self) -> bool:
        return not self.vertical

    def heightForWidth(self, width: int) -> int:
        h = self.fontMetrics().height()
        return h * 2 + 22 + (h + 8 if self._two_rows(width) else 0)

    # -- vertical: title, bar with decade ticks, then the two swatches, one a row --------------
    def _column_width(self) -> int:
        fm = self.fontMetrics()
        line = fm.height()
        texts = [*self.SHORT_TITLE]
        ticks = max(fm.horizontalAdvance(t) for t in ("1", "1e−12"))
        return max(line + 8 + ticks, *(fm.horizontalAdvance(t) for t in texts)) + 16

    def _vertical_min_height(self) -> int:
        """The title, and a bar two lines tall with half a line under it for its bottom
        tick's text (1e−12 was cut at 24 px type); the swatches for 0 and inf/NaN are a
        row under the diagram (:class:`SwatchRow`)."""
        line = self.fontMetrics().height()
        return line * (len(self.SHORT_TITLE) + 3) + 8

    def sizeHint(self):
        if self.vertical:
            return QSize(self._column_width(), max(300, self._vertical_min_height()))
        return QSize(600, self.heightForWidth(600))

    def minimumSizeHint(self):
        if self.vertical:
            return QSize(self._column_width(), self._vertical_min_height())
        left, swatches = self._widths()
        width = max(left + 140, swatches + 16)
        # at the width it has: the narrowest width's two rows kept ~40 px from the plots
        return QSize(width, self.heightForWidth(max(width, self.width())))

    def paintEvent(self, event) -> None:
        if self.vertical:
            self._paint_vertical()
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        line = fm.height()
        title = self.TITLE
        left, swatches = self._widths()
        two_rows = self._two_rows(self.width())
        room = self.width() - left - 20 - (0 if two_rows else swatches)
        width = max(120, room)
        bar = QRectF(left, 6, width, line)
        p.setPen(QPen(palette.TEXT))
        p.drawText(QRectF(8, 6, left - 12, line), Qt.AlignmentFlag.AlignRight
                   | Qt.AlignmentFlag.AlignVCenter, title)
        paint_scale(p, bar, bar.topLeft(), bar.topRight())
        lo, hi = palette.DELTA_DECADES
        widest = fm.horizontalAdvance("1e−12") + 10
        step = 3 if bar.width() / ((hi - lo) / 3) >= widest else 6  # never overlapping ticks
        for dec in range(lo, hi + 1, step):
            x = bar.left() + (dec - lo) / (hi - lo) * bar.width()
            p.drawLine(int(x), int(bar.bottom()), int(x), int(bar.bottom() + 4))
            text = "1" if dec == 0 else f"1e{dec}".replace("-", "−")
            tw = fm.horizontalAdvance(text)
            p.drawText(int(x - tw / 2), int(bar.bottom() + 4 + fm.ascent()), text)
        x, y = (8.0, bar.bottom() + 10 + line) if two_rows else (bar.right() + 24, 6.0)
        for color, text in self.SWATCHES:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRect(QRectF(x, y, line, line))
            p.setPen(QPen(palette.TEXT))
            p.drawText(int(x + line + 6), int(y + fm.ascent()), text)
            x += line + 12 + fm.horizontalAdvance(text) + 16
        p.end()


    def _paint_vertical(self) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        line = fm.height()
        y = 4.0
        p.setPen(QPen(palette.TEXT))
        for text in self.SHORT_TITLE:
            p.drawText(QRectF(8, y, self.width() - 8, line),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            y += line
        bar = QRectF(8, y + line / 2 + 2, line * 0.9,
                     max(line * 2.0, self.height() - y - line - 8))
        paint_scale(p, bar, bar.bottomLeft(), bar.topLeft())
        lo, hi = palette.DELTA_DECADES
        decades = (hi - lo) // 3
        step = 3 if bar.height() / decades >= line * 1.1 else 6  # never overlapping ticks
        for dec in range(lo, hi + 1, step):
            yy = bar.bottom() - (dec - lo) / (hi - lo) * bar.height()
            p.drawLine(int(bar.right()), int(yy), int(bar.right() + 4), int(yy))
            text = "1" if dec == 0 else f"1e{dec}".replace("-", "−")
            p.drawText(int(bar.right() + 8), int(yy - line / 2 + fm.ascent()), text)
        p.end()


# The diagram's other colours, each with its word (the |δ| scale has its bar)
LEGEND: tuple[tuple[QColor | tuple[QColor, QColor], str], ...] = (
    *((color, text) for color, text in ColorBar.SWATCHES),
    (palette.POSITIVE, "+ weight"), (palette.NEGATIVE, "− weight"),
    (palette.HIGHLIGHT, "this event"), (palette.BACKWARD, "δ going back"),
    (palette.SELECTION, "selected"),
    ((palette.activation_color(0.0), palette.activation_color(1.0)), "activation 0 → 1"),
)


class SwatchRow(QWidget):
    """Colours with a fixed meaning, each a square and a word, in rows that wrap."""

    def __init__(self, swatches: tuple[tuple[QColor | tuple[QColor, QColor], str], ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.swatches = swatches
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def _places(self, width: int) -> list[tuple[float, float]]:
        fm = self.fontMetrics()
        line = fm.height()
        x, y, out = 8.0, 2.0, []
        for _color, text in self.swatches:
            w = line + 6 + fm.horizontalAdvance(text) + 20
            if x > 8 and x + w > width:
                x, y = 8.0, y + line + 6
            out.append((x, y))
            x += w
        return out

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        places = self._places(width)
        return int(places[-1][1] + self.fontMetrics().height() + 6) if places else 0

    def sizeHint(self):
        return QSize(400, self.heightForWidth(400))

    def minimumSizeHint(self):
        fm = self.fontMetrics()
        widest = max(fm.horizontalAdvance(t) for _c, t in self.swatches)
        width = widest + fm.height() + 40
        return QSize(width, self.heightForWidth(width))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        fm = p.fontMetrics()
        line = fm.height()
        for (color, text), (x, y) in zip(self.swatches, self._places(self.width())):
            p.setPen(QPen(palette.OUTLINE))
            square = QRectF(x, y + line * 0.1, line * 0.8, line * 0.8)
            if isinstance(color, tuple):  # a ramp, light to dark
                grad = QLinearGradient(square.topLeft(), square.topRight())
                grad.setColorAt(0.0, color[0])
                grad.setColorAt(1.0, color[1])
                p.setBrush(grad)
            else:
                p.setBrush(color)
            p.drawRect(square)
            p.setPen(QPen(palette.TEXT))
            p.drawText(int(x + line + 6), int(y + fm.ascent()), text)
        p.end()


class DiagramPanel(QWidget):
    """The central widget: formula of the current event, the diagram and its colour bar."""

    enlarge_requested = Signal()  # the ⤢ button: the window shows the diagram alone (or back)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.measured_minimum = False  # the main window's: minimum_height() is its minimum
        self._minimum_key: tuple = ()
        self._minimum = 0
        self.scene = DiagramScene(session, self)
        self.view = DiagramView(self.scene, self)
        self.title = QLabel(self)
        self.title.setObjectName("eventTitle")
        self.title.setWordWrap(True)  # a long title must not force the window wider
        self.formula = QLabel(self)
        self.formula.setObjectName("eventFormula")
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.colorbar = ColorBar(self, vertical=True)
        self.swatches = SwatchRow(LEGEND, self)
        # a large network's diagram draws its strongest weights only: it says so
        self.drawn = QLabel(self)
        self.drawn.setObjectName("edgesDrawn")
        self.drawn.setWordWrap(True)
        self.drawn.setContentsMargins(12, 2, 12, 2)
        self.banner = QLabel(self)
        self.banner.setObjectName("divergenceBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #7a0050; color: white; padding: 8px; "
                                  "font-weight: bold;")
        self.banner.hide()
        # what the core's diagnosis finds (exact-zero gradients among it): news, not a stop
        self.strip = DiagnosisStrip(session, self)
        # ⤢ in the diagram's top right corner, over the drawing: beside the title it made
        # the title and formula wrap to more lines, which a small projector could not
        # spare; hidden until a window that can enlarge the diagram offers it
        self.enlarge_button = QToolButton(self.view)
        self.enlarge_button.setObjectName("enlargeButton")
        self.enlarge_button.setText("⤢")
        self.enlarge_button.setAccessibleName("Enlarge")
        self.enlarge_button.setToolTip(ENLARGE_TIP)
        self.enlarge_button.setAutoRaise(True)
        self.enlarge_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.enlarge_button.clicked.connect(self.enlarge_requested)
        self.enlarge_button.hide()
        self.view.corner = self.enlarge_button
        top = QVBoxLayout()
        top.setContentsMargins(12, 8, 12, 4)
        top.setSpacing(2)
        top.addWidget(self.title)
        top.addWidget(self.formula)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addLayout(top)
        middle = QHBoxLayout()
        middle.setContentsMargins(0, 0, 4, 4)
        middle.addWidget(self.view, 1)
        middle.addWidget(self.colorbar)
        outer.addLayout(middle, 1)
        outer.addWidget(self.swatches)
        outer.addWidget(self.drawn)
        outer.addWidget(self.strip)  # under the diagram, as its verdict
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), QColor("#ffffff"))
        self.setPalette(pal)
        session.cursor_moved.connect(self._on_cursor_moved)
        session.experiment_changed.connect(self._on_experiment_changed)
        session.diverged.connect(self._on_diverged)
        session.pass_changed.connect(self._on_pass_changed)
        session.trained.connect(self._on_trained)
        self._on_cursor_moved(session.position)
        self._on_pass_changed()
        self._say_what_is_drawn()

    def set_enlarged(self, enlarged: bool) -> None:
        """The window that can show the diagram alone says whether it does: the ⤢ button
        (hidden until then: a comparison's diagrams have none) shows and says so."""
        self.enlarge_button.setToolTip(ENLARGED_TIP if enlarged else ENLARGE_TIP)
        self.enlarge_button.show()
        self.view.place_corner()

    def fold_key(self, folded: bool) -> None:
        """Hide the colour key under the diagram (``folded``), or show it again. The main
        window folds it while a lesson shares a screen under 1300 px wide: in projector
        mode its three or four rows of 24-px type left the plot under the diagram ~50 px.
        The lessons' texts name no colour, and the |δ| bar's tooltip then lists the key."""
        self.swatches.setHidden(folded)
        rows = "".join(
            f"<br><span style='color:{(color[1] if isinstance(color, tuple) else color).name()}'>"
            f"■</span> {text}" for color, text in self.swatches.swatches)
        self.colorbar.setToolTip(f"<p>{ColorBar.TIP}</p><p>The diagram's other colours "
                                 f"(their key is folded while a lesson shares the screen):"
                                 f"{rows}</p>" if folded else ColorBar.TIP)

    def minimumSizeHint(self) -> QSize:
        # Qt's own guess wraps the title at its narrowest, as if it had many lines, and
        # kept ~40 px from the plots under it on a 1024×768 projector
        hint = super().minimumSizeHint()
        if not self.measured_minimum:  # a comparison's columns share their room
            return hint
        return QSize(hint.width(), self.minimum_height())

    def minimum_height(self) -> int:
        """The least height that shows the title and formula whole (wrapped at the
        current width), any notice, and the colour bar with its swatches. Qt asks for
        it on every layout pass: it is worked out again only when what it depends on
        changed (text layout is the cost)."""
        labels = (self.title, self.formula, self.banner, self.drawn)
        key = (self.width(), self.font().key(), self.colorbar.isHidden(),
               self.swatches.isHidden(), *((w.isHidden(), w.text()) for w in labels),
               self.strip.isHidden(), tuple(self.strip.findings))
        if key != self._minimum_key:
            self._minimum_key, self._minimum = key, self._work_out_minimum_height()
        return self._minimum

    def _work_out_minimum_height(self) -> int:
        width = max(1, self.width() - 24)
        # the colour bar or the diagram itself (at least MIN_VIEW_PX), whichever is taller
        bar = 0 if self.colorbar.isHidden() else self.colorbar.minimumSizeHint().height()
        height = 8 + 4 + 2 + max(bar, MIN_VIEW_PX) + 4
        if not self.swatches.isHidden():  # a comparison shows them once for all
            height += self.swatches.heightForWidth(self.width())
        for label in (self.title, self.formula):  # two lines kept for a longer next title
            if not label.isHidden():
                lines = 2 * label.fontMetrics().lineSpacing()
                height += max(label.heightForWidth(width), lines)
        for label in (self.banner, self.drawn):
            if not label.isHidden():
                height += label.heightForWidth(self.width())
        if not self.strip.isHidden():
            height += self.strip.heightForWidth(self.width())
        return height

    def _say_what_is_drawn(self) -> None:
        drawn, total = self.scene.weights_drawn, self.scene.weights_total
        self.drawn.setText(f"Lines show the strongest {drawn:,} of the {total:,} weights, "
                           "to keep the diagram readable; every weight is computed.")
        self.drawn.setVisible(drawn < total)

    def _on_experiment_changed(self) -> None:
        self.banner.hide()
        # the key names a skip's arc and a norm's ring when this network has them
        wanted = (*LEGEND, *self.scene.legend_extra())
        if wanted != self.swatches.swatches:
            self.swatches.swatches = wanted
            self.swatches.updateGeometry()
            self.swatches.update()
        self.view.fit()
        self._on_pass_changed()
        self._say_what_is_drawn()

    def _on_pass_changed(self) -> None:
        pass  # the diagnosis strip follows the pass itself

    def _on_diverged(self, step: int, layer: int) -> None:
        """The banner says what the diagnosis found, and what to try: a network that
        overflows in its first pass has starting weights (or a depth) to blame, not its
        learning rate."""
        found = next((f for f in self.session.diagnosis() if f.kind == "diverged"), None)
        cause = found.evidence if found is not None else (
            f"Step {step:,} produced inf or NaN, first in layer {layer}.")
        grew = loss_growth(self.session.trainer.history) is not None
        advice = ("Smaller starting weights or fewer layers keep the first pass finite."
                  if step == 0 else
                  "Press R to reset, then lower the learning rate." if grew else
                  "Press R to reset; a lower learning rate or smaller starting weights "
                  "may keep the numbers finite.")
        self.banner.setText(f"Training stopped. {cause} {advice}")
        self.banner.show()

    def _on_trained(self, steps: int) -> None:
        if steps == 0 or self.session.diverged_at is None:
            self.banner.hide()

    def _on_cursor_moved(self, _position: int) -> None:
        s = self.session
        title, formula = caption(s.current, s.player.event, s.sample)
        self.title.setText(title)
        self.formula.setText(formula)
