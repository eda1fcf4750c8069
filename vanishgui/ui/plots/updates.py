"""Weight change per layer over training: mean |ΔW| of each step's update, log y.

With plain SGD this is the learning rate times the gradient, so a vanished gradient is a
layer that has stopped learning; with momentum or Adam the two part ways.
"""

from __future__ import annotations

from .layers import LayerHistoryPanel


class UpdatesPanel(LayerHistoryPanel):
    figure = "update_mean_abs"
    title = "Weight change per layer: mean |ΔW| of each update"
    y_label = "mean |ΔW|"
