"""The compared networks' diagrams: each headed by its name in its colour, placed in
the grid that shows them largest (a long chain gets a row of its own, a squarer
network a column)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ...core.diagnosis import layer_list
from ...core.explain import zero_gradient_layers
from ...core.numbers import num
from ..diagram.view import DiagramPanel
from ..model.findings import line, short
from ..model.presentation import Presentation
from ..model.session import Session
from ..plots.base import INK
from .plots import NETWORK_COLORS, swatch

QWIDGETSIZE_MAX = 16_777_215  # Qt's "no maximum" for a widget's size


class NetworkColumn(QWidget):
    """One network: its name in its colour and its loss, beside (in a row) or above (in a
    column) its diagram. The loss is read large here because a long chain's own loss box
    is drawn as small as its neurons."""

    def __init__(self, session: Session, label: str, index: int,
                 presentation: Presentation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.presentation = presentation
        self.label = label
        self.color = NETWORK_COLORS[index]
        self.beside = False  # the name left of the diagram (a row) rather than above it
        self.beside_width = 0  # the grid's: every row's name equally wide, diagrams aligned
        self.header = QLabel(self)
        self.header.setObjectName("compareNetworkTitle")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setToolTip("The loss of the step shown, once its forward pass has reached "
                               "the loss (as in the diagram's loss box)")
        self.panel = DiagramPanel(session, self)
        self.panel.colorbar.hide()  # the window shows one for all
        self.panel.swatches.hide()
        self.panel.strip.wanted = False  # the header names the findings, short
        self.panel.strip.hide()
        # A narrow column must not be held wide by a long event title.
        self.panel.title.setWordWrap(True)
        self.layout_box = QGridLayout(self)
        self.layout_box.setContentsMargins(2, 2, 2, 2)
        self.layout_box.setSpacing(0)
        self.set_beside(False)
        session.cursor_moved.connect(self._write_header)
        session.pass_changed.connect(self._write_header)
        session.trained.connect(self._write_header)
        presentation.changed.connect(self._style)

    def loss_text(self) -> str:
        """'loss 0.00106', or 'loss ?' before the shown step's forward pass reaches it."""
        shown = self.session.reveal().loss
        return f"loss {num(self.session.current.loss) if shown else '?'}"

    def _write_header(self, *_args) -> None:
        small = round(self.header_points() * 0.7)
        gap = "<br>" if self.beside else "&nbsp;&nbsp;&nbsp;"
        findings = self.session.diagnosis()
        found = f"<br>{short(findings)}" if findings else ""
        zero = zero_gradient_layers(self.session.current)
        if zero and zero[0] == 1:  # nothing reaches layer 1: say it in words, not by colour
            found += (f"<br><b>Dead network</b>: {layer_list(zero)} "
                      f"get{'s' * (len(zero) == 1)} exactly 0 gradient and cannot learn")
        text = (f"{swatch(self.color)}&nbsp;{self.label}{gap}<span style=\"font-size: "
                f"{small}pt; font-weight: normal\">{self.loss_text()}{found}</span>")
        if self.header.text() != text:
            self.header.setText(text)
            self.header.setToolTip("\n".join(
                ["The loss of the step shown, once its forward pass has reached the loss.",
                 *(line(f) for f in findings)]))

    def set_beside(self, beside: bool) -> None:
        self.beside = beside
        box = self.layout_box
        box.removeWidget(self.header)
        box.removeWidget(self.panel)
        if beside:
            box.addWidget(self.header, 0, 0)
            box.addWidget(self.panel, 0, 1)
            box.setColumnStretch(1, 1)
            box.setRowStretch(1, 0)
        else:
            box.addWidget(self.header, 0, 0)
            box.addWidget(self.panel, 1, 0)
            box.setColumnStretch(1, 0)
            box.setRowStretch(1, 1)
        self._style()

    def header_points(self) -> float:
        return self.presentation.sizes()["title"] + 6

    def _style(self) -> None:
        size = self.header_points()
        line = (f"border-right: 6px solid {self.color.name()};" if self.beside
                else f"border-bottom: 5px solid {self.color.name()};")
        self.header.setStyleSheet(
            f"color: {INK.name()}; background: white; font-size: {size}pt; font-weight: bold;"
            f" padding: 2px 10px; {line}")
        if self.beside:
            self.header.setFixedWidth(self.beside_width or self.side_width())
        else:
            self.header.setMinimumWidth(0)
            self.header.setMaximumWidth(QWIDGETSIZE_MAX)
        self.header.setAlignment(Qt.AlignmentFlag.AlignLeft
                                 | (Qt.AlignmentFlag.AlignVCenter if self.beside
                                    else Qt.AlignmentFlag.AlignTop))
        self._write_header()

    def side_width(self) -> int:
        """How wide the name is when it sits beside the diagram."""
        font = QFont(self.header.font())
        font.setPointSizeF(self.header_points())
        font.setBold(True)
        fm = QFontMetrics(font)
        first, *rest = self.label.split()
        longest = max(fm.horizontalAdvance(w) for w in ["■\u00a0" + first, *rest])
        font.setPointSizeF(round(self.header_points() * 0.7))
        font.setBold(False)
        longest = max(longest, QFontMetrics(font).horizontalAdvance("loss 0.000123"))
        return min(max(longest + 48, round(fm.height() * 5)), 300)  # padding and border

    def caption_height(self) -> int:
        """Height of the event's title (if shown) and formula above the diagram, a line each."""
        p = self.panel
        title = p.title.fontMetrics().lineSpacing() if p.title.isVisibleTo(self) else 0
        return title + p.formula.fontMetrics().lineSpacing() + 20


def best_grid(n: int, width: float, height: float, scene_w: float, scene_h: float,
              caption: float, header: float, side: float) -> tuple[int, int]:
    """(rows, columns) for n diagrams that shows them largest. ``caption`` is the height
    above every diagram; a network's name adds ``header`` above it in a grid, or ``side``
    beside it when each network has a row to itself."""
    best, best_scale = (1, n), -1.0
    for rows in range(1, n + 1):
        cols = math.ceil(n / rows)
        if (rows - 1) * cols >= n:
            continue  # an empty row
        cell_w = width / cols - (side if cols == 1 else 0)
        cell_h = height / rows - caption - (0 if cols == 1 else header)
        scale = min(cell_w / max(scene_w, 1.0), cell_h / max(scene_h, 1.0))
        if scale > best_scale * 1.05:  # a clear gain only: side by side is the default
            best, best_scale = (rows, cols), scale
    return best


class DiagramGrid(QWidget):
    """The networks' diagrams, placed in the grid that shows them largest."""

    def __init__(self, columns: Sequence[NetworkColumn], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.shape: tuple[int, int] | None = None
        self._place((1, len(self.columns)))

    def _place(self, shape: tuple[int, int]) -> None:
        if shape == self.shape:
            return
        self.shape = shape
        for c in self.columns:
            self.grid.removeWidget(c)
        rows, cols = shape
        width = max(c.side_width() for c in self.columns)
        for i, c in enumerate(self.columns):
            c.beside_width = width
            c.set_beside(cols == 1)
            self.grid.addWidget(c, i // cols, i % cols)
        for r in range(len(self.columns)):
            self.grid.setRowStretch(r, 1 if r < rows else 0)
        for k in range(len(self.columns)):
            self.grid.setColumnStretch(k, 1 if k < cols else 0)

    def arrange(self) -> None:
        rects = [c.panel.scene.sceneRect() for c in self.columns]
        first = self.columns[0]
        self._place(best_grid(
            len(self.columns), self.width(), self.height(),
            max(r.width() for r in rects), max(r.height() for r in rects),
            max(c.caption_height() for c in self.columns),
            first.header.sizeHint().height(), max(c.side_width() for c in self.columns)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.arrange()
