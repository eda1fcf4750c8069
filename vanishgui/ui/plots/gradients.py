"""Gradient per layer over training: mean |∂L/∂W| of each layer against the step, log y.

In a deep sigmoid net the lines stack in depth order, decades apart: the early layers'
(dark) lines far below the output layer's. The header says how much smaller layer 1's
gradient is than the output layer's at the latest step. The checkbox switches to the
accumulated gradient (the running sum of mean |∂L/∂W| over every step), which shows how
little the early layers have been pushed in total.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QWidget

from ...core.curves import ratios_to_output
from ..model.presentation import Presentation
from ..model.session import Session
from .flow import ratio_label
from .layers import LayerHistoryPanel

GRADIENT = "mean |∂L/∂W|"
ACCUMULATED = "Σ mean |∂L/∂W|"


class GradientsPanel(LayerHistoryPanel):
    figure = "grad_mean_abs"
    y_label = GRADIENT
    norm_figures = ("gamma_grad_mean_abs", "beta_grad_mean_abs")

    def __init__(self, session: Session, presentation: Presentation | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(session, presentation, parent)
        self.accumulated = QCheckBox("Accumulated (sum over all steps)", self)
        self.accumulated.setObjectName("gradientsAccumulated")
        self.accumulated.setToolTip(
            "Show the running sum of each layer's mean |∂L/∂W| since the start: how far "
            "each layer has been pushed in total")
        self.accumulated.toggled.connect(self._on_accumulated_changed)
        self.add_control(self.accumulated)

    @property
    def column(self) -> str:
        return "grad_cumsum" if self.accumulated.isChecked() else "grad_mean_abs"

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.session.trainer.history
        return h.steps, h.layer(self.column)

    def header_text(self, steps: np.ndarray, block: np.ndarray) -> str:
        text = self.y_label
        if len(steps) and block.shape[1] > 1:
            r = float(ratios_to_output(block[-1])[0])
            if math.isfinite(r):
                text += f"  ·  step {int(steps[-1])}: layer 1 has {ratio_label(r)} of the output's"
        return text

    def norm_columns(self) -> tuple[str, str] | None:
        # the accumulated view sums ∂L/∂W only: γ's and β's per-step lines would not match
        return None if self.accumulated.isChecked() else self.norm_figures

    def mark_plots(self) -> list[pg.PlotItem]:
        return [self.plot]  # a weight edited by hand: the gradients before and after

    def _on_accumulated_changed(self, on: bool) -> None:
        self.y_label = ACCUMULATED if on else GRADIENT
        self.stale = True  # the axis label
        self.plot.enableAutoRange()
        self.mark_dirty()
