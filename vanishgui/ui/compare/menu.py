"""The comparison feature's entry: the Compare menu, the toolbar button that opens sigmoid
against ReLU on the deep chain, and the shell's comparison opener (lessons open comparisons
through it).

Kept apart from :mod:`vanishgui.ui.compare.window` so that the comparison window, its
diagrams, plots and lockstep are imported only when a comparison is first opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from PySide6.QtWidgets import QFileDialog, QToolBar

from ...core.activations import parse_activation
from ...core.compare import MAX_HIDDEN, ComparisonError, make_comparison
from ...core.experiment import Experiment, load_experiment
from ..shell import resources
from ..shell.actions import ActionSpec
from ..shell.shell import Shell

# "Compare with… <label>" switches the hidden activation.
ACTIVATION_CHOICES = (("relu", "ReLU"), ("tanh", "Tanh"), ("sigmoid", "Sigmoid"),
                      ("leaky_relu", "Leaky ReLU"), ("gelu", "GELU"))
INIT_CHOICES = ({"scheme": "normal", "std": 1.0}, "xavier_normal", "he_normal")
# the other cures (issue 15): name, menu text, setting, values
CURES = (
    ("compare_residual", "Compare residual: off, every 2", "residual", ["off", 2]),
    ("compare_norm", "Compare norm: none, batch, layer", "norm", ["none", "batch", "layer"]),
    ("compare_clip", "Compare clipping: off, max norm 1", "clip", ["off", 1.0]),
)
# The toolbar's comparison: the example where it teaches. On the classic example (w₂ < 0)
# "Compare with… ReLU" gives a dead ReLU network, so the first comparison a teacher
# clicked made ReLU look worse (issue 12).
TEACHING_EXAMPLE = "deep-chain-sigmoid"


def depth_values(hidden: int) -> list[int]:
    """Three depths to compare with a net of ``hidden`` hidden layers (it among them)."""
    if hidden >= 3:
        return sorted({1, max(2, hidden // 2), hidden})
    return [d for d in (hidden, hidden + 3, hidden + 6) if d <= MAX_HIDDEN]


def _hidden_activation(experiment: Experiment) -> Any:
    return experiment.activations[0].to_json()


def _opener(shell: Shell) -> Any:
    """The shell's comparison opener: loads the comparison window when first used."""

    def open_comparison(experiment: Experiment, setting: str, values: Sequence[Any]) -> object:
        from .window import open_comparison as open_window

        return open_window(shell, experiment, setting, values)

    return open_comparison


def _open(shell: Shell, setting: str, values: list[Any], *_args: object) -> None:
    shell.open_comparison(shell.session.experiment, setting, values)


def _on_compare_activation(shell: Shell, name: str, *_args: object) -> None:
    _open(shell, "activation", [_hidden_activation(shell.session.experiment), name])


def _on_compare_deep_chain(shell: Shell, *_args: object) -> None:
    try:
        experiment = load_experiment(resources.path("examples", f"{TEACHING_EXAMPLE}.json"))
    except (OSError, ValueError) as exc:  # a damaged installation: say so, lose nothing
        shell.show_error("The deep-chain example could not be read", str(exc))
        return
    shell.open_comparison(experiment, "activation", ["sigmoid", "relu"])


def _on_compare_inits(shell: Shell, *_args: object) -> None:
    _open(shell, "init", list(INIT_CHOICES))


def _on_compare_depths(shell: Shell, *_args: object) -> None:
    _open(shell, "depth", depth_values(shell.session.experiment.depth - 1))


def _on_open_comparison(shell: Shell, *_args: object) -> None:
    from .window import FILE_FILTER, open_comparison_file

    path, _ = QFileDialog.getOpenFileName(shell.widget(), "Open comparison", "", FILE_FILTER)
    if path:
        open_comparison_file(shell, path)


def _on_save_comparison(shell: Shell, *_args: object) -> None:
    from .window import comparisons

    open_now = comparisons(shell)
    if not open_now:
        shell.show_error("There is no comparison to save",
                         "Open one first, for example with Compare → Sigmoid vs ReLU, deep chain.")
        return
    open_now[-1].on_save()


def _on_experiment_changed(shell: Shell) -> None:
    """Grey out what the current experiment cannot compare."""
    exp = shell.session.experiment
    hidden = exp.depth - 1
    current = exp.activations[0] if hidden else None
    for name, label in ACTIVATION_CHOICES:
        act = shell.action(f"compare_{name}")
        same = current is not None and current == parse_activation(name)
        act.setEnabled(bool(hidden) and not same)
        if not hidden:
            act.setToolTip("This network has no hidden layer, so no activation to switch")
        elif same:
            act.setToolTip(f"The hidden layers already use {label}")
        else:
            act.setToolTip(f"Train this network beside the same one with {label} hidden "
                           "layers: same data, seed and starting weights")
    for name, _text, setting, values in CURES:
        act = shell.action(name)
        try:  # a cure this network cannot take is greyed out, and says why
            make_comparison(exp, setting, values)
        except ComparisonError as e:
            act.setEnabled(False)
            act.setToolTip(str(e))
        else:
            act.setEnabled(True)
            act.setToolTip(act.statusTip())
    depths = depth_values(hidden) if hidden else []
    act = shell.action("compare_depths")
    act.setEnabled(bool(hidden))
    act.setText("Compare depths" + (f" ({', '.join(map(str, depths))} hidden layers)"
                                    if depths else ""))


def install(shell: Shell) -> None:
    """Add the Compare menu, the toolbar button "Sigmoid vs ReLU, deep chain" and the
    comparison opener to a shell (once: a second call changes nothing)."""
    try:
        shell.action("compare_relu")
        return
    except KeyError:
        pass
    shell.set_comparison_opener(_opener(shell))
    for name, label in ACTIVATION_CHOICES:
        shell.add_action(
            ActionSpec(f"compare_{name}", f"Compare with… {label}",
                       f"Train this network beside the same one with {label} hidden layers",
                       menu="Compare"),
            partial(_on_compare_activation, shell, name))
    shell.add_action(
        ActionSpec("compare_deep_chain", "Sigmoid vs ReLU, deep chain",
                   "Open the example chain of 9 hidden sigmoid layers beside the same chain "
                   "with ReLU, from the same starting weights (the Compare with… items "
                   "compare the network that is open)", menu="Compare", toolbar=True),
        partial(_on_compare_deep_chain, shell))
    shell.menu("Compare").addSeparator()
    shell.add_action(
        ActionSpec("compare_inits", "Compare initialisers (normal(1), Xavier, He)",
                   "Three copies of this network whose weights start from normal(0, 1), "
                   "Xavier and He, drawn from the same seed", menu="Compare"),
        partial(_on_compare_inits, shell))
    shell.add_action(
        ActionSpec("compare_depths", "Compare depths",
                   "Copies of this network with fewer or more hidden layers; the layers "
                   "they share start with the same weights", menu="Compare"),
        partial(_on_compare_depths, shell))
    tips = {"residual": "This network beside copies with a skip connection every 2 layers",
            "norm": "This network beside copies with batch norm and with layer norm in every "
                    "hidden layer",
            "clip": "This network beside a copy whose gradient is clipped to a norm of 1"}
    for name, text, setting, values in CURES:
        shell.add_action(ActionSpec(name, text, tips[setting], menu="Compare"),
                         partial(_open, shell, setting, values))
    shell.menu("Compare").addSeparator()
    shell.add_action(
        ActionSpec("open_comparison", "Open comparison…", "Open a saved comparison file",
                   menu="Compare"),
        partial(_on_open_comparison, shell))
    shell.add_action(
        ActionSpec("save_comparison", "Save comparison…",
                   "Save the newest open comparison's set-up as a file", menu="Compare"),
        partial(_on_save_comparison, shell))
    bar = QToolBar("Compare", shell.widget())
    bar.setObjectName("compareToolBar")
    bar.setMovable(False)
    bar.addAction(shell.action("compare_deep_chain"))
    shell.add_toolbar(bar)
    shell.session.experiment_changed.connect(partial(_on_experiment_changed, shell))
    _on_experiment_changed(shell)
