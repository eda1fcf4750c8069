"""The chain-rule ledger: ∂L/∂w of the selected weight as a product of its factors.

Each row is one factor, its value, the bound it can never exceed (0.25 for σ'), and the
running product so far, so the shrinking is read off the last column. All numbers come
from :func:`vanishgui.core.explain.chain_rule`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.cure_steps import NORM_NAMES, GradientPaths
from ...core.explain import (
    ChainRule,
    batch_average_note,
    chain_rule,
    ledger_footer,
    paths_footer,
)
from ...core.numbers import num, subscript
from ..model.session import Session

# two-line headers: one-line ones made a 560-px projector column scroll sideways
COLUMNS = ("factor", "value", "at\nmost", "product\nso far")


class LedgerPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rule: ChainRule | None = None
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.heading.setObjectName("panelHeading")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # every column as wide as its numbers: a stretched last column cut "product so
        # far" to "−0.0…"; a narrow dock scrolls sideways instead
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.footer = QLabel(self)
        self.footer.setWordWrap(True)
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the footer scrolls in a short dock rather than being cut (or squeezing the
        # diagram): it takes the height its lines need, down to two lines
        self.footer_box = QScrollArea(self)
        self.footer_box.setObjectName("ledgerFooter")
        self.footer_box.setWidgetResizable(True)
        self.footer_box.setFrameShape(QFrame.Shape.NoFrame)
        self.footer_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.footer_box.setWidget(self.footer)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.footer_box)
        self.setToolTip("Click an edge of the diagram: its gradient, factor by factor.")
        session.selection_changed.connect(self._on_changed)
        session.pass_changed.connect(self._on_changed)
        session.experiment_changed.connect(self._on_changed)
        session.sample_changed.connect(self._on_changed)
        self._on_changed()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_footer()

    def _fit_footer(self) -> None:
        """The footer's box is as tall as its lines (the table, which scrolls, gives up
        height first), but no less than two lines: beyond that it scrolls. A
        word-wrapped label in a short dock had been cut to 77 of its 126 px."""
        m = self.layout().contentsMargins()
        width = max(1, self.width() - m.left() - m.right())
        need = max(self.footer.heightForWidth(width), self.footer.fontMetrics().height())
        box = self.footer_box
        least = min(need, 2 * self.footer.fontMetrics().lineSpacing() + 4)
        if (box.maximumHeight(), box.minimumHeight()) != (need, least):
            box.setMaximumHeight(need)
            box.setMinimumHeight(least)

    def wanted_height(self, width: int) -> int:
        """The height that shows the heading, every row and the footer at ``width``."""
        m = self.layout().contentsMargins()
        inner = max(1, width - m.left() - m.right())
        spacing = self.layout().spacing()
        height = m.top() + m.bottom() + self.heading.heightForWidth(inner)
        height += spacing + self.footer.heightForWidth(inner)
        if self.table.isVisibleTo(self):
            t = self.table
            rows = sum(t.rowHeight(r) for r in range(t.rowCount()))
            height += spacing + t.horizontalHeader().height() + rows + 2 * t.frameWidth() + 2
            if t.horizontalScrollBar().isVisible():
                height += t.horizontalScrollBar().height()
        return height

    def _write_rows(self, rows: list[tuple[str, str, str, str, str]]) -> None:
        """Rows of (factor, value, at most, product so far, tooltip)."""
        self.table.setRowCount(len(rows))
        for r, (*cells, tip) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c >= 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)

    def _on_changed(self, *_args: object) -> None:
        self._write()
        self._fit_footer()

    def _write(self) -> None:
        s = self.session
        sel = s.selection
        self.table.setRowCount(0)
        if sel is None or not sel.is_weight:
            self.rule = None
            self.table.hide()  # an empty table took ~400 px from the diagram
            self.heading.setText("Chain-rule ledger")
            self.footer.setText("Click an edge (a weight) in the diagram to see how its "
                                "gradient is built from one factor per layer.")
            return
        rule = chain_rule(s.current, sel.layer, sel.neuron, sel.source or 0, s.sample)
        self.rule = rule
        self.table.show()
        name = f"w from neuron {rule.source + 1} of layer {rule.layer - 1} to neuron " \
               f"{rule.neuron + 1} of layer {rule.layer}"
        self.heading.setText(f"∂L/∂w for {name}")
        if rule.factors:
            self.table.setRowCount(len(rule.factors))
            for r, fac in enumerate(rule.factors):
                cells = (fac.symbol, num(fac.value),
                         "" if fac.bound is None else num(fac.bound), num(fac.running))
                for c, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(fac.meaning)
                    if c >= 1:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                              | Qt.AlignmentFlag.AlignVCenter)
                    if fac.kind == "dact" and c in (0, 1, 2):
                        item.setForeground(QColor("#8a3b00"))
                    self.table.setItem(r, c, item)
            # built from the rows: "every sigmoid layer shrinks it by 4× or more" dropped
            # the weight factor and read the same under ReLU chains (issue 12)
            note = batch_average_note(s.current)
            self.footer.setText(ledger_footer(rule) + (f" {note}" if note else ""))
        elif rule.paths is not None:
            # a norm or a skip on the way back: ∂L/∂a split by path, no plain product
            self._write_rows(path_rows(rule.paths, rule))
            note = batch_average_note(s.current)
            self.footer.setText(paths_footer(rule) + (f" {note}" if note else ""))
        else:
            r = rule.recursion
            self.table.setRowCount(len(r.terms))
            for row, t in enumerate(r.terms):
                cells = (f"w·δ via neuron {t.index + 1}", f"{num(t.left)} × {num(t.right)}",
                         "", num(t.product))
                for c, text in enumerate(cells):
                    self.table.setItem(row, c, QTableWidgetItem(text))
            more = f" (+{r.hidden_terms} more terms)" if r.hidden_terms else ""
            note = batch_average_note(s.current)
            self.footer.setText(
                f"A layer on the way back is wider than 1, so δ sums over paths: δ = f'(z)·Σ w·δ"
                f" = {num(r.dact)} × {num(r.grad_a)}{more} = {num(r.delta)} for sample "
                f"{rule.sample + 1}.  ∂L/∂w = Σ over samples of δ × a_in = "
                f"{num(rule.gradient)}." + (f"  {note}" if note else ""))


def path_rows(g: GradientPaths, rule: ChainRule) -> list[tuple[str, str, str, str, str]]:
    """The split view's rows: the paths into ∂L/∂a_j and their sum, then f', the norm and
    the input, with the core's number after each in the last column."""
    j, nxt = subscript(g.layer), subscript(g.layer + 1)
    rows: list[tuple[str, str, str, str, str]] = []
    if g.is_output:
        rows.append((f"∂L/∂a{j} = ∂L/∂ŷ", num(g.grad_a), "", num(g.grad_a),
                     "how the loss changes with the output"))
    else:
        rows.append((f"through layer {g.layer + 1}: W{nxt}ᵀδ{nxt}", num(g.through), "", "",
                     f"∂L/∂a{j} along the weights into layer {g.layer + 1}"))
        if g.skip_end is not None:
            e = subscript(g.skip_end)
            rows.append((f"along the skip: ∂L/∂a{e} ×1", num(g.skip), "", "",
                         f"the skip from layer {g.layer} to layer {g.skip_end} passes "
                         f"∂L/∂a{e} back unchanged"))
            rows.append((f"sum: ∂L/∂a{j}", num(g.grad_a), "", num(g.grad_a),
                         "the two paths added"))
        else:
            rows[-1] = (*rows[-1][:3], num(g.grad_a), rows[-1][4])
    z = "ẑ" if g.norm != "none" else "z"
    rows.append((f"{g.dact_label}({z}{j})", num(g.dact),
                 "" if g.dact_bound is None else num(g.dact_bound),
                 num(g.grad_z_hat if g.norm != "none" else g.delta),
                 f"slope of layer {g.layer}'s activation at {z}"))
    if g.norm != "none":
        rows.append((f"through the {NORM_NAMES[g.norm]}: ×r", "—" if g.norm_ratio is None
                     else num(g.norm_ratio), "", num(g.delta),
                     f"r = δ{j} / ∂L/∂ẑ{j} for this sample and unit"))
    rows.append((f"a{subscript(g.layer - 1)}" if g.layer > 1 else "x", num(g.a_in), "",
                 num(rule.sample_gradient), "the input this weight multiplies"))
    return rows
