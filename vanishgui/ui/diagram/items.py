"""Drawing items of the network diagram, each drawing a whole layer in one ``paint``.

One item per layer pair draws all its edges, grouped by colour and width into a few
paths built from numpy arrays by ``pg.arrayToQPath(connect="pairs")`` (thousands of
per-edge items, or a QLineF made per edge in Python, would be far slower); one item per
layer draws all its neurons. Items keep their data as numpy arrays and call
``prepareGeometryChange`` before their shape changes, as pyqtgraph's items do.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem

from ..model import palette

WIDTH_LEVELS = 8  # edge widths are drawn in this many steps
# The cures' marks: each at least ΔE2000 13 from every colour the main window gives a
# meaning (tests/ui/test_colours.py's rule is 10), and from each other
SKIP = QColor("#009900")  # a skip connection's arc
NORM = QColor("#5555FF")  # a normalised neuron's ring and box


class EdgeLayerItem(QGraphicsItem):
    """All edges between layer ``layer - 1`` and ``layer``: colour = sign, width ∝ |w|."""

    def __init__(self, layer: int, src: np.ndarray, dst: np.ndarray, max_edges: int) -> None:
        super().__init__()
        self.layer = layer
        self.src = src  # (n_in, 2) positions
        self.dst = dst  # (n_out, 2)
        self.max_edges = max_edges
        self.weights = np.zeros((len(dst), len(src)))
        self.scale = 1.0  # |w| that gets the widest line
        self.max_px = 8.0
        self.dimmed = False
        self.shown_edges = 0
        self._groups: list[tuple[QPen, QPainterPath]] = []
        x0 = float(min(src[:, 0].min(), dst[:, 0].min()))
        x1 = float(max(src[:, 0].max(), dst[:, 0].max()))
        y0 = float(min(src[:, 1].min(), dst[:, 1].min()))
        y1 = float(max(src[:, 1].max(), dst[:, 1].max()))
        self._rect = QRectF(x0, y0 - 2, x1 - x0, y1 - y0 + 4)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(0)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_weights(self, weights: np.ndarray, scale: float, max_px: float) -> None:
        self.weights = weights
        self.scale = scale if scale > 0 and np.isfinite(scale) else 1.0
        self.max_px = max_px
        self._groups = self._build_groups()
        self.update()

    def _path(self, rows: np.ndarray, cols: np.ndarray) -> QPainterPath:
        """One path of the edges (rows[k] ← cols[k]): a move and a line per edge."""
        xy = np.empty((2 * len(rows), 2))
        xy[0::2] = self.src[cols]
        xy[1::2] = self.dst[rows]
        return pg.arrayToQPath(xy[:, 0], xy[:, 1], connect="pairs")

    def _build_groups(self) -> list[tuple[QPen, QPainterPath]]:
        w = self.weights
        n_in = w.shape[1]
        flat = np.abs(w).ravel()
        flat = np.where(np.isfinite(flat), flat, self.scale)
        idx = np.arange(flat.size)
        if flat.size > self.max_edges:  # level of detail: the strongest edges only
            idx = np.argpartition(flat, flat.size - self.max_edges)[-self.max_edges:]
        self.shown_edges = len(idx)
        rows, cols = np.divmod(idx, n_in)
        level = np.minimum(
            WIDTH_LEVELS - 1, (flat[idx] / self.scale * WIDTH_LEVELS).astype(np.int64)
        )
        positive = w.ravel()[idx] >= 0
        groups = []
        # Opaque colours only: translucent lines are ~25× slower to rasterise. Dense layers
        # get paler, thinner lines instead, weakest first so strong edges end on top.
        pale = 0.0 if flat.size <= 256 else 0.5
        for lv in range(WIDTH_LEVELS):
            for sign, base in ((True, palette.POSITIVE), (False, palette.NEGATIVE)):
                sel = np.flatnonzero((positive == sign) & (level == lv))
                if not sel.size:
                    continue
                fade = pale if flat.size > 1024 else pale * (1 - lv / WIDTH_LEVELS)
                color = palette.mix(base, QColor("#ffffff"), fade)
                width = 0.6 + self.max_px * (lv + 1) / WIDTH_LEVELS
                if flat.size > 256:  # whole-pixel widths take the rasteriser's fast path
                    width = float(max(1, round(width)))
                pen = QPen(color, width)
                pen.setCosmetic(True)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                groups.append((pen, self._path(rows[sel], cols[sel])))
        return groups

    def paint(self, painter: QPainter, option, widget=None) -> None:
        # antialiased lines cost ~3× more: only for the few edges of a small network
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, self.shown_edges <= 256)
        if self.dimmed:
            painter.setOpacity(0.35)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen, path in self._groups:
            painter.setPen(pen)
            painter.drawPath(path)


class NeuronLayerItem(QGraphicsItem):
    """All neurons of one layer with a fill colour each: circles, or for a dense layer
    (``bar`` > 0) touching cells that read as one colour strip per layer."""

    def __init__(self, layer: int, centres: np.ndarray, radius: float, bar: float = 0.0,
                 row: float = 0.0) -> None:
        super().__init__()
        self.layer = layer
        self.centres = centres
        self.radius = radius
        self.bar = bar  # half-width of a cell; 0 draws circles
        self.row = row  # height of a cell
        self.fills: list[QColor] = [palette.PENDING] * len(centres)
        self.ring: int | None = None  # neuron drawn with a highlight ring
        self.selected: int | None = None
        r = max(radius, bar) + 6
        ys = centres[:, 1]
        x = float(centres[0, 0])
        self._rect = QRectF(x - r, float(ys.min()) - r, 2 * r, float(ys.max() - ys.min()) + 2 * r)
        self.setZValue(2)
        self.setAcceptHoverEvents(True)
        # thousands of circles: draw them once into a pixmap, again only when they change
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_marks(self, ring: int | None, selected: int | None) -> None:
        """The highlight ring (current event) and the selection ring."""
        if (ring, selected) != (self.ring, self.selected):
            self.ring, self.selected = ring, selected
            self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_fills(self, fills: list[QColor]) -> None:
        self.fills = fills
        self.update()

    def neuron_at(self, pos: QPointF) -> int | None:
        d = np.hypot(self.centres[:, 0] - pos.x(), self.centres[:, 1] - pos.y())
        j = int(np.argmin(d))
        if self.bar:
            j = int(np.argmin(np.abs(self.centres[:, 1] - pos.y())))
            ok = abs(self.centres[j, 0] - pos.x()) <= self.bar + 2
            return j if ok and abs(self.centres[j, 1] - pos.y()) <= self.row else None
        return j if d[j] <= max(self.radius * 1.15, 4.0) else None

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.bar:
            self._paint_cells(painter)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(self.centres) <= 64)
        pen = QPen(palette.OUTLINE, max(1.0, self.radius / 12))
        painter.setPen(pen)
        r = self.radius
        for c, fill in zip(self.centres, self.fills):
            painter.setBrush(QBrush(fill))
            painter.drawEllipse(QPointF(c[0], c[1]), r, r)
        for j, color, width in ((self.selected, palette.SELECTION, 3.0),
                                (self.ring, palette.HIGHLIGHT, 5.0)):
            if j is None or j >= len(self.centres):
                continue
            ring = QPen(color, max(width, r / 5))
            painter.setPen(ring)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            c = self.centres[j]
            painter.drawEllipse(QPointF(c[0], c[1]), r + ring.widthF() / 2,
                                r + ring.widthF() / 2)


    def _paint_cells(self, painter: QPainter) -> None:
        x = float(self.centres[0, 0])
        h = self.row
        painter.setPen(Qt.PenStyle.NoPen)
        for c, fill in zip(self.centres, self.fills):
            painter.fillRect(QRectF(x - self.bar, c[1] - h / 2, 2 * self.bar, h), fill)
        ys = self.centres[:, 1]
        painter.setPen(QPen(palette.OUTLINE, 0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x - self.bar, float(ys.min()) - h / 2, 2 * self.bar,
                                float(ys.max() - ys.min()) + h))
        for j, color in ((self.selected, palette.SELECTION), (self.ring, palette.HIGHLIGHT)):
            if j is not None and j < len(self.centres):
                pen = QPen(color, 3)
                pen.setCosmetic(True)
                painter.setPen(pen)
                c = self.centres[j]
                painter.drawRect(QRectF(x - self.bar - 3, c[1] - h / 2 - 3, 2 * self.bar + 6,
                                        h + 6))


class HighlightItem(QGraphicsItem):
    """The edges of the current event, drawn over everything, with a travelling pulse."""

    def __init__(self, rect: QRectF) -> None:
        super().__init__()
        self._rect = rect
        self.lines: list[QLineF] = []
        self.widths: list[float] = []
        self.widths_from: list[float] | None = None  # widths blend from these (an update)
        self.color = palette.HIGHLIGHT
        self.progress = 1.0
        self.reverse = False  # the pulse runs from the line's end back to its start
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_lines(self, lines: list[QLineF], widths: list[float], color: QColor,
                  reverse: bool, widths_from: list[float] | None = None) -> None:
        self.lines = lines
        self.widths = widths
        self.widths_from = widths_from
        self.color = color
        self.reverse = reverse
        self.update()

    def set_progress(self, t: float) -> None:
        self.progress = t
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self.lines:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(self.lines) <= 2048)
        widths = self.widths
        if self.widths_from is not None:  # an update: the edge grows or shrinks to its new |w|
            t = self.progress
            widths = [a + (b - a) * t for a, b in zip(self.widths_from, self.widths)]
        for line, w in zip(self.lines, widths):
            pen = QPen(self.color, w)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawLine(line)
        if self.progress < 1.0 and len(self.lines) <= 512:
            t = 1.0 - self.progress if self.reverse else self.progress
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(self.color.darker(140)))
            for line, w in zip(self.lines, widths):
                p = line.pointAt(t)
                rad = max(6.0, w * 1.6)
                painter.drawEllipse(p, rad, rad)


class LabelItem(QGraphicsSimpleTextItem):
    """The numbers beside one neuron (small networks only)."""

    def __init__(self, text: str, font: QFont) -> None:
        super().__init__(text)
        self.setFont(font)
        self.setBrush(QBrush(palette.TEXT))
        self.setZValue(3)
        self.anchor = QPointF()  # top centre of the text block

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.text():  # a light backing keeps the numbers readable over edges
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(255, 255, 255, 225))
            painter.drawRoundedRect(self.boundingRect().adjusted(-4, -2, 4, 2), 6, 6)
        super().paint(painter, option, widget)


class BoxItem(QGraphicsItem):
    """A rounded box with text: the loss node and the targets."""

    def __init__(self, rect: QRectF, font: QFont) -> None:
        super().__init__()
        self._rect = rect
        self.font = font
        self.text = ""
        self.text_shown = True  # False when the view would draw it too small to read
        self.fill = QColor("#ffffff")
        self.active = False
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-4, -4, 4, 4)

    def set_text(self, text: str, fill: QColor, active: bool) -> None:
        self.text, self.fill, self.active = text, fill, active
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.HIGHLIGHT if self.active else palette.OUTLINE,
                            5 if self.active else 2))
        painter.setBrush(QBrush(self.fill))
        painter.drawRoundedRect(self._rect, 12, 12)
        if not self.text_shown:
            # its numbers would be too small to read: the box still says what it is, an
            # "L" as tall as it fits (an empty box puzzled the class; the numbers are in
            # the title above the diagram, and on hover)
            big = QFont(self.font)
            big.setPixelSize(max(1, int(self._rect.height() * 0.7)))
            painter.setFont(big)
            painter.setPen(palette.readable_text_on(self.fill))
            painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, "L")
            return
        painter.setFont(self.font)
        painter.setPen(palette.readable_text_on(self.fill))
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)


class SkipArcItem(QGraphicsItem):
    """A residual block's skip connection: an arc over the block, from the source layer's
    top to the block end's top, with an arrowhead and a "+" where it adds in. ``active``
    draws it in the current event's colour (forward) or δ's (backward)."""

    def __init__(self, source: int, end: int, start: QPointF, stop: QPointF, rise: float,
                 width: float, font: QFont, label: str) -> None:
        super().__init__()
        self.source, self.end = source, end
        self.start, self.stop = start, stop
        self.rise = rise
        self.width = width
        self.font = font
        self.label = label
        self.color: QColor | None = None  # None: drawn in SKIP
        self.path = QPainterPath(start)
        top = min(start.y(), stop.y()) - rise
        self.path.cubicTo(QPointF(start.x(), top), QPointF(stop.x(), top), stop)
        self._rect = self.path.boundingRect().adjusted(-3 * width - 20, -2 * font.pixelSize()
                                                       - 20, 3 * width + 20, 3 * width + 20)
        self.setZValue(1.2)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_active(self, color: QColor | None) -> None:
        if color != self.color:
            self.color = color
            self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.color or SKIP
        w = self.width * (1.6 if self.color is not None else 1.0)
        pen = QPen(color, w)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        # arrowhead at the block's end, pointing down along the curve's last tangent
        tip = self.stop
        head = 3.5 * w + 6
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        arrow = QPainterPath(tip)
        arrow.lineTo(tip.x() - head * 0.6, tip.y() - head)
        arrow.lineTo(tip.x() + head * 0.6, tip.y() - head)
        arrow.closeSubpath()
        painter.drawPath(arrow)
        # the label at the top of the arc
        painter.setFont(self.font)
        painter.setPen(color.darker(130))
        mid = self.path.pointAtPercent(0.5)
        box = QRectF(mid.x() - 400, mid.y() - self.font.pixelSize() * 1.5 - w, 800,
                     self.font.pixelSize() * 1.4)
        painter.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                         self.label)


class NormMarkItem(QGraphicsItem):
    """The norm of one hidden layer: a ring round each neuron (and a frame round the
    column on a large network, or round a dense layer's strip) and, on a small network,
    a small box marked "BN" or "LN" by the top neuron. ``set_active`` draws it in the
    event's colour while the norm's event is shown."""

    def __init__(self, layer: int, centres: np.ndarray, radius: float, bar: float, row: float,
                 font: QFont | None, mark: str) -> None:
        super().__init__()
        self.layer = layer
        self.centres = centres
        self.radius = radius
        self.bar = bar
        self.row = row
        self.font = font  # None: no box (a large network)
        self.mark = mark
        self.color: QColor | None = None
        r = max(radius, bar) + 14
        ys = centres[:, 1]
        x = float(centres[0, 0])
        extra = 0.0 if font is None else 2.2 * font.pixelSize()
        self._rect = QRectF(x - r - 40, float(ys.min()) - r - extra - 8, 2 * r + 80,
                            float(ys.max() - ys.min()) + 2 * r + extra + 16)
        self.setZValue(2.5)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_active(self, color: QColor | None) -> None:
        if color != self.color:
            self.color = color
            self.update()

    def box_rect(self) -> QRectF | None:
        """The "BN"/"LN" box above the layer, or None on a large network."""
        if self.font is None:
            return None
        px = self.font.pixelSize()
        # up and to the right of the top neuron: a skip's arc lands on the neuron's top
        x = float(self.centres[0, 0]) + 0.55 * self.radius
        top = float(self.centres[:, 1].min()) - 0.75 * self.radius
        return QRectF(x, top - 1.4 * px, 2.6 * px, 1.4 * px)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        color = self.color or NORM
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, len(self.centres) <= 64)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        x = float(self.centres[0, 0])
        if self.bar:
            pen = QPen(color, 3 if self.color is None else 5)
            pen.setCosmetic(True)
            painter.setPen(pen)
            ys = self.centres[:, 1]
            painter.drawRect(QRectF(x - self.bar - 6, float(ys.min()) - self.row / 2 - 6,
                                    2 * self.bar + 12, float(ys.max() - ys.min()) + self.row
                                    + 12))
        else:
            width = max(1.5, self.radius / 9) * (1.8 if self.color is not None else 1.0)
            pen = QPen(color, width)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            r = self.radius * 1.22 + width
            for c in self.centres:
                painter.drawEllipse(QPointF(float(c[0]), float(c[1])), r, r)
            if self.font is None:  # a large network's rings are small: frame the column
                frame = QPen(color, 2.5 if self.color is None else 5)
                frame.setCosmetic(True)
                painter.setPen(frame)
                ys = self.centres[:, 1]
                pad = r + 4
                painter.drawRoundedRect(QRectF(x - pad, float(ys.min()) - pad, 2 * pad,
                                               float(ys.max() - ys.min()) + 2 * pad), pad, pad)
        box = self.box_rect()
        if box is not None and self.font is not None:
            painter.setPen(QPen(color, 2))
            painter.setBrush(QBrush(QColor("#ffffff")))
            painter.drawRoundedRect(box, 6, 6)
            painter.setFont(self.font)
            painter.setPen(color.darker(120))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.mark)
