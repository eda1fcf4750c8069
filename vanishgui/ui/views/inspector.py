"""The inspector: the sample shown, and the clicked neuron (z, a, f'(z), δ and its incoming
weights) or the clicked weight, whose value can be typed or dragged.

Editing a weight asks the Session to work the step out again from it
(:meth:`~vanishgui.ui.model.session.Session.edit_weight`); while training runs the editor
is off, since the trainer is the worker's until it is paused.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.explain import NeuronReport, inspect_neuron
from ...core.network import Pass
from ...core.numbers import num, subscript
from ..model.session import Selection, Session

SLIDER_STEPS = 1000  # slider positions either side of 0
MIN_SPAN = 4.0  # the slider reaches at least ±4, and at least twice the weight it opened on
EDIT_LIMIT = 1e6  # the largest |w| the spin box takes
EDIT_NOTE = ("Type or drag: this step is worked out again from the new value; the history "
             "and the optimiser's state stay. R returns to the initial weights.")
PAUSE_NOTE = "Pause training first (Shift+T) to edit a weight."


def averaging_note(p: Pass) -> str:
    """One line on the averaging factor every δ of ``p`` carries, from its batch size and
    its loss ("" when the loss averages over one number only)."""
    batch, outputs = p.targets.shape
    n = p.loss_divisor
    if n == 1:
        return ""
    if n == batch:
        over = "the batch"
    elif batch == 1:
        over = f"{outputs} outputs"
    else:
        over = f"{batch} samples × {outputs} outputs"
    return f"δ includes the loss's average over {over}: ×1/{n}"


def slider_span(w: float) -> float:
    """The slider's reach either side of 0 for a weight w: max(4, 2|w|), rounded up to a
    whole number so its positions are round numbers."""
    return float(max(MIN_SPAN, math.ceil(2 * abs(w))))


def weight_name(layer: int, neuron: int, source: int) -> str:
    src = f"input x{subscript(source + 1)}" if layer == 1 else \
        f"neuron {source + 1} of layer {layer - 1}"
    return f"Weight from {src} to neuron {neuron + 1} of layer {layer}"


class InspectorPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.report: NeuronReport | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("panelHeading")
        self.heading.setWordWrap(True)
        # the sample of the batch every view shows: only when there is a choice
        self.sample_row = QWidget(self)
        self.sample_box = QSpinBox(self.sample_row)
        self.sample_box.setObjectName("inspectorSample")
        self.sample_box.setPrefix("Sample ")
        self.sample_box.setAccessibleName("Sample of the batch shown")
        self.sample_box.setToolTip("The sample of the batch the diagram, the ledger, the "
                                   "inspector and the σ'(z) plot show")
        self.sample_where = QLabel(self.sample_row)
        row = QHBoxLayout(self.sample_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sample_box)
        row.addWidget(self.sample_where, 1)
        self.values = QLabel(self)
        self.values.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values.setWordWrap(True)
        self.average = QLabel(self)
        self.average.setObjectName("inspectorAverage")
        self.average.setWordWrap(True)
        # a weight's editor: a spin box for the value, a slider to drag it
        self.editor = QWidget(self)
        self.weight_box = QDoubleSpinBox(self.editor)
        self.weight_box.setObjectName("inspectorWeight")
        self.weight_box.setAccessibleName("Weight value")
        self.weight_box.setDecimals(4)
        self.weight_box.setRange(-EDIT_LIMIT, EDIT_LIMIT)
        self.weight_box.setSingleStep(0.1)
        self.weight_box.setKeyboardTracking(False)  # "1.5" is one edit, not "1" then "1.5"
        self.weight_low = QLabel(self.editor)
        self.weight_slider = QSlider(Qt.Orientation.Horizontal, self.editor)
        self.weight_slider.setObjectName("inspectorWeightSlider")
        self.weight_slider.setAccessibleName("Drag the weight")
        self.weight_slider.setRange(-SLIDER_STEPS, SLIDER_STEPS)
        self.weight_slider.setSingleStep(SLIDER_STEPS // 100)
        self.weight_slider.setPageStep(SLIDER_STEPS // 10)
        self.weight_slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.weight_high = QLabel(self.editor)
        edit_row = QHBoxLayout(self.editor)
        edit_row.setContentsMargins(0, 0, 0, 0)
        edit_row.addWidget(QLabel("w =", self.editor))
        edit_row.addWidget(self.weight_box)
        edit_row.addWidget(self.weight_low)
        edit_row.addWidget(self.weight_slider, 1)
        edit_row.addWidget(self.weight_high)
        self.edit_note = QLabel(self)
        self.edit_note.setObjectName("inspectorEditNote")
        self.edit_note.setWordWrap(True)
        self.span = MIN_SPAN
        self._edited: Selection | None = None  # the weight the editor was set up for
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
        lay.addWidget(self.sample_row)
        lay.addWidget(self.values)
        lay.addWidget(self.average)
        lay.addWidget(self.editor)
        lay.addWidget(self.edit_note)
        lay.addWidget(self.table, 1)
        lay.addStretch(0)
        self.setToolTip("Click a neuron or a weight in the diagram to inspect it.")
        self.sample_box.valueChanged.connect(self._on_sample_picked)
        self.weight_box.valueChanged.connect(self._on_weight_typed)
        self.weight_slider.valueChanged.connect(self._on_weight_dragged)
        session.selection_changed.connect(self._on_changed)
        session.pass_changed.connect(self._on_changed)
        session.experiment_changed.connect(self._on_changed)
        session.sample_changed.connect(self._on_changed)
        session.training_changed.connect(self._on_training_changed)
        self._on_changed()

    # -- the session's state, shown ------------------------------------------------------
    def _on_changed(self, *_args: object) -> None:
        s = self.session
        sel = s.selection
        self._show_sample()
        self.table.setRowCount(0)
        self.average.hide()
        if sel is not None and sel.is_weight:
            self.report = None
            self.table.hide()
            self._show_weight(sel)
            return
        self.editor.hide()
        self.edit_note.hide()
        self._edited = None
        if sel is None or sel.layer == 0:
            self.report = None
            self.table.hide()
            self.heading.setText("Inspector")
            self.values.setText("Click a neuron or a weight in the diagram.")
            return
        self.table.show()
        r = inspect_neuron(s.current, s.last, sel.layer, sel.neuron, s.sample)
        self.report = r
        act = s.current.network.activations[sel.layer - 1]
        self.heading.setText(f"Layer {r.layer}, neuron {r.neuron + 1} ({act.info.label})")
        p = s.current
        i, j, k = sel.layer - 1, sel.neuron, min(s.sample, len(p.inputs) - 1)
        hidden = sel.layer < p.depth
        normed = hidden and p.network.norm != "none"
        skip = p.skip_source(sel.layer) if hidden else None
        # under a norm the activation takes ẑ, and a skip adds its block's input to f(ẑ)
        # (issue 15): say which, from the pass's own arrays
        slope = act.info.derivative_label.replace("(z)", "(ẑ)") if normed \
            else act.info.derivative_label
        z_line = f"z = {num(r.z)}"
        if normed:
            z_line += f"    ẑ = {num(float(p.f_input(sel.layer)[k, j]))} (after the norm)"
        a_line = f"a = {num(r.a)}"
        if skip is not None:
            a_line += (f" = f(ẑ) {num(float(p.f_output(sel.layer)[k, j]))} + layer {skip}'s "
                       f"a {num(float(p.a[skip - 1][k, j]))}")
        bias = f"bias b = {num(r.bias)}    ∂L/∂b = {num(r.grad_bias)}"
        if normed and p.network.norm == "batch":
            bias += " (batch norm subtracts the batch mean, so b cancels)"
        self.values.setText(
            f"{z_line}    {a_line}\n{slope} = {num(r.dact)}    δ = {num(r.delta)}\n{bias}"
            + (f"\nγ = {num(float(p.network.gammas[i][j]))}    "
               f"β = {num(float(p.network.betas[i][j]))}" if normed else ""))
        note = averaging_note(s.current)
        self.average.setText(note)
        self.average.setVisible(bool(note))
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

    def _show_sample(self) -> None:
        """'Sample k of B' when the shown pass has more than one sample."""
        p = self.session.current
        batch = len(p.inputs)
        self.sample_row.setVisible(batch > 1)
        if batch <= 1:
            return
        k = self.session.sample
        self.sample_box.blockSignals(True)
        self.sample_box.setRange(1, batch)
        self.sample_box.setSuffix(f" of {batch}")
        self.sample_box.setValue(k + 1)
        self.sample_box.blockSignals(False)
        # a minibatch's sample k is a row of the data set somewhere else
        self.sample_where.setText("" if p.batch is None else
                                  f"(data row {int(p.batch[k]) + 1})")

    def _show_weight(self, sel: Selection) -> None:
        s = self.session
        p = s.current
        source = sel.source or 0
        w = float(p.network.weights[sel.layer - 1][sel.neuron, source])
        g = float(p.grad_weights[sel.layer - 1][sel.neuron, source])
        self.heading.setText(weight_name(sel.layer, sel.neuron, source))
        over = f", summed over the {len(p.inputs)} samples" if len(p.inputs) > 1 else ""
        self.values.setText(f"w = {num(w)}    ∂L/∂w = {num(g)}{over}")
        self.editor.show()
        self.edit_note.show()
        editable = math.isfinite(w) and abs(w) <= EDIT_LIMIT
        dragging = self.weight_slider.isSliderDown()
        if editable and not dragging and (sel != self._edited or abs(w) > self.span):
            self.span = slider_span(w)
            self.weight_low.setText(num(-self.span))
            self.weight_high.setText(num(self.span))
        self._edited = sel
        self.weight_box.blockSignals(True)
        self.weight_slider.blockSignals(True)
        if editable:
            self.weight_box.setValue(w)
            if not dragging:  # the slider is where the hand put it
                self.weight_slider.setValue(round(w / self.span * SLIDER_STEPS))
        self.weight_box.blockSignals(False)
        self.weight_slider.blockSignals(False)
        self._set_editable(editable, "" if editable else
                           f"This weight is {num(w)}: the editor takes finite values up to "
                           f"±{num(EDIT_LIMIT)}.")

    def _set_editable(self, editable: bool, why: str = "") -> None:
        training = self.session.training
        on = editable and not training
        tip = PAUSE_NOTE if training else (why or EDIT_NOTE)
        for widget in (self.weight_box, self.weight_slider):
            widget.setEnabled(on)
            widget.setToolTip(tip)
        self.editor.setToolTip(tip)
        self.edit_note.setText(tip)

    def _on_training_changed(self, _on: bool) -> None:
        sel = self.session.selection
        if sel is not None and sel.is_weight:
            self._show_weight(sel)

    # -- the user's changes ----------------------------------------------------------------
    def _on_sample_picked(self, value: int) -> None:
        self.session.set_sample(value - 1)

    def _on_weight_typed(self, value: float) -> None:
        self._edit(value)

    def _on_weight_dragged(self, position: int) -> None:
        # round numbers: the positions are steps of span/1000 and the span is whole
        self._edit(round(self.span * position / SLIDER_STEPS, 9))

    def _edit(self, value: float) -> None:
        s = self.session
        sel = s.selection
        if sel is None or not sel.is_weight or s.training:
            return
        s.edit_weight(sel.layer, sel.neuron, sel.source or 0, value)
