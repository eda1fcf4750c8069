"""Gradient per layer over training: mean |∂L/∂W| of each layer against the step, log y.

In a deep sigmoid net the lines stack in depth order, decades apart: the early layers'
(dark) lines far below the output layer's. The checkbox switches to the accumulated
gradient (the running sum of mean |∂L/∂W| over every step), which shows how little the
early layers have moved in total.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QWidget

from ..session import Session
from .layers import LayerHistoryPanel


class GradientsPanel(LayerHistoryPanel):
    figure = "grad_mean_abs"
    title = "Gradient per layer: mean |∂L/∂W|"
    y_label = "mean |∂L/∂W|"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.accumulated = QCheckBox("Accumulated (sum over all steps)", self)
        self.accumulated.setObjectName("gradientsAccumulated")
        self.accumulated.setToolTip(
            "Show the running sum of each layer's mean |∂L/∂W| since the start: how far "
            "each layer has been pushed in total")
        self.accumulated.toggled.connect(self._on_accumulated_changed)
        self.controls.addWidget(self.accumulated)
        self.controls.addStretch(1)

    @property
    def column(self) -> str:
        return "grad_cumsum" if self.accumulated.isChecked() else "grad_mean_abs"

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.session.trainer.history
        return h.steps, h.layer(self.column)

    def plot_title(self) -> str:
        if self.accumulated.isChecked():
            return "Accumulated gradient per layer: Σ mean |∂L/∂W|"
        return self.title

    def _on_accumulated_changed(self, _on: bool) -> None:
        self.y_label = "Σ mean |∂L/∂W|" if self.accumulated.isChecked() else "mean |∂L/∂W|"
        self.stale = True  # axis label and title
        self.plot.enableAutoRange()
        self.mark_dirty()
