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
            return
        painter.setFont(self.font)
        painter.setPen(palette.readable_text_on(self.fill))
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)
