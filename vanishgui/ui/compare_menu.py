"""The Compare menu and the "Compare with… ReLU" toolbar button of a main window.

Kept apart from :mod:`vanishgui.ui.compare` so that the comparison window, its diagrams,
plots and lockstep are imported only when a comparison is first opened, not at start-up.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QToolBar

from ..core.activations import parse_activation
from ..core.compare import MAX_HIDDEN
from ..core.experiment import Experiment
from .actions import ActionSpec

FILE_FILTER = "vanishgui comparisons (*.comparison.json *.json);;All files (*)"
# "Compare with… <label>" switches the hidden activation.
ACTIVATION_CHOICES = (("relu", "ReLU"), ("tanh", "Tanh"), ("sigmoid", "Sigmoid"),
                      ("leaky_relu", "Leaky ReLU"), ("gelu", "GELU"))
INIT_CHOICES = ({"scheme": "normal", "std": 1.0}, "xavier_normal", "he_normal")


def depth_values(hidden: int) -> list[int]:
    """Three depths to compare with a net of ``hidden`` hidden layers (it among them)."""
    if hidden >= 3:
        return sorted({1, max(2, hidden // 2), hidden})
    return [d for d in (hidden, hidden + 3, hidden + 6) if d <= MAX_HIDDEN]


def _hidden_activation(experiment: Experiment) -> Any:
    return experiment.activations[0].to_json()


def _open(window, setting: str, values: list[Any]) -> None:
    from .compare import open_comparison  # the comparison window is loaded on demand

    open_comparison(window, window.session.experiment, setting, values)


def _on_compare_activation(window, name: str, *_args) -> None:
    _open(window, "activation", [_hidden_activation(window.session.experiment), name])


def _on_compare_inits(window, *_args) -> None:
    _open(window, "init", list(INIT_CHOICES))


def _on_compare_depths(window, *_args) -> None:
    _open(window, "depth", depth_values(window.session.experiment.depth - 1))


def _on_open_comparison(window, *_args) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open comparison", "", FILE_FILTER)
    if path:
        from .compare import open_comparison_file

        open_comparison_file(window, path)


def _on_save_comparison(window, *_args) -> None:
    from .compare import comparisons

    open_now = comparisons(window)
    if not open_now:
        window.show_error("There is no comparison to save",
                          "Open one first, for example with Compare → Compare with… ReLU.")
        return
    open_now[-1].on_save()


def _on_experiment_changed(window) -> None:
    """Grey out what the current experiment cannot compare."""
    exp = window.session.experiment
    acts = window.actions_by_name
    hidden = exp.depth - 1
    current = exp.activations[0] if hidden else None
    for name, label in ACTIVATION_CHOICES:
        act = acts[f"compare_{name}"]
        same = current is not None and current == parse_activation(name)
        act.setEnabled(bool(hidden) and not same)
        if not hidden:
            act.setToolTip("This network has no hidden layer, so no activation to switch")
        elif same:
            act.setToolTip(f"The hidden layers already use {label}")
        else:
            act.setToolTip(f"Train this network beside the same one with {label} hidden "
                           "layers: same data, seed and starting weights")
    depths = depth_values(hidden) if hidden else []
    act = acts["compare_depths"]
    act.setEnabled(bool(hidden))
    act.setText("Compare depths" + (f" ({', '.join(map(str, depths))} hidden layers)"
                                    if depths else ""))


def install(window) -> None:
    """Add the Compare menu and the toolbar button "Compare with… ReLU" to a main window
    (once: a second call changes nothing)."""
    if "compare_relu" in window.actions_by_name:
        return
    for name, label in ACTIVATION_CHOICES:
        window.add_action(
            ActionSpec(f"compare_{name}", f"Compare with… {label}",
                       f"Train this network beside the same one with {label} hidden layers",
                       menu="Compare", toolbar=name == "relu"),
            partial(_on_compare_activation, window, name))
    window.menu("Compare").addSeparator()
    window.add_action(
        ActionSpec("compare_inits", "Compare initialisers (normal(1), Xavier, He)",
                   "Three copies of this network whose weights start from normal(0, 1), "
                   "Xavier and He, drawn from the same seed", menu="Compare"),
        partial(_on_compare_inits, window))
    window.add_action(
        ActionSpec("compare_depths", "Compare depths",
                   "Copies of this network with fewer or more hidden layers; the layers "
                   "they share start with the same weights", menu="Compare"),
        partial(_on_compare_depths, window))
    window.menu("Compare").addSeparator()
    window.add_action(
        ActionSpec("open_comparison", "Open comparison…", "Open a saved comparison file",
                   menu="Compare"),
        partial(_on_open_comparison, window))
    window.add_action(
        ActionSpec("save_comparison", "Save comparison…",
                   "Save the newest open comparison's set-up as a file", menu="Compare"),
        partial(_on_save_comparison, window))
    bar = QToolBar("Compare", window)
    bar.setObjectName("compareToolBar")
    bar.setMovable(False)
    bar.addAction(window.actions_by_name["compare_relu"])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    window.session.experiment_changed.connect(partial(_on_experiment_changed, window))
    _on_experiment_changed(window)
