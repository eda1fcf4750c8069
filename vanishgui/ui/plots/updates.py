"""Weight change per layer over training: mean |ΔW| of each step's update, log y.

With plain SGD this is the learning rate times the gradient, so a vanished gradient is a
layer that has stopped learning; with momentum or Adam the two part ways.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .layers import LayerHistoryPanel


class UpdatesPanel(LayerHistoryPanel):
    figure = "update_mean_abs"
    y_label = "mean |ΔW|"
    norm_figures = ("gamma_update_mean_abs", "beta_update_mean_abs")

    def header_text(self, steps: np.ndarray, block: np.ndarray) -> str:
        return "mean |ΔW| of each update, per layer"

    def mark_plots(self) -> list[pg.PlotItem]:
        return [self.plot]
