"""The neuron inspector: z, a, f'(z), δ and the incoming weights of the clicked neuron."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.explain import NeuronReport, inspect_neuron
from ...core.numbers import num
from ..model.session import Session


class InspectorPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.report: NeuronReport | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("panelHeading")
        self.values = QLabel(self)
        self.values.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(("from", "weight\nw", "∂L/∂w", "last\nupdate Δw"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # every column as wide as its numbers (stretched to equal shares they cut
        # "last update Δw"); a narrow dock scrolls sideways instead
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.values)
        lay.addWidget(self.table, 1)
        self.setToolTip("Click a neuron in the diagram to inspect it.")
        session.selection_changed.connect(self._on_changed)
        session.pass_changed.connect(self._on_changed)
        session.experiment_changed.connect(self._on_changed)
        session.sample_changed.connect(self._on_changed)
        self._on_changed()

    def _on_changed(self, *_args: object) -> None:
        s = self.session
        sel = s.selection
        self.table.setRowCount(0)
        if sel is None or sel.is_weight or sel.layer == 0:
            self.report = None
            self.heading.setText("Neuron inspector")
            self.values.setText("Click a neuron in the diagram.")
            return
        r = inspect_neuron(s.current, s.last, sel.layer, sel.neuron, s.sample)
        self.report = r
        act = s.current.network.activations[sel.layer - 1]
        self.heading.setText(f"Layer {r.layer}, neuron {r.neuron + 1} ({act.info.label})")
        self.values.setText(
            f"z = {num(r.z)}    a = {num(r.a)}\n{act.info.derivative_label} = {num(r.dact)}"
            f"    δ = {num(r.delta)}\nbias b = {num(r.bias)}    ∂L/∂b = {num(r.grad_bias)}")
        self.table.setRowCount(len(r.incoming))
        for row, w in enumerate(r.incoming):
            src = "x" if r.layer == 1 else f"layer {r.layer - 1}"
            cells = (f"{src} #{w.source + 1}", num(w.weight), num(w.gradient),
                     "—" if w.last_step is None else num(w.last_step))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, c, item)
