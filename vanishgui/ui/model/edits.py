"""What an edit of the controls changes, and the sentence the status line says about it.

The training settings (learning rate, momentum, optimiser, batch size, clipping) apply
from the next step to the same network; anything else (depth, widths, activations,
initialiser, seed, starting weights, skips, normalisation, data, loss) makes a new
network at step 0. Every sentence is built from the two experiments' own values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ...core.experiment import Experiment
from ...core.optimizers import LABELS as OPTIMIZER_LABELS

TUNABLE = ("optimizer", "learning_rate", "momentum", "batch_size", "clip_norm")


@dataclass(frozen=True)
class SettingChange:
    """One training setting an edit changed: ``mark`` labels the history plots' line
    ("lr 0.1"), ``said`` is its part of the status line ("learning rate 0.5 → 0.1")."""

    key: str
    mark: str
    said: str


def keeps_network(old: Experiment, new: Experiment) -> bool:
    """Whether ``new`` differs from ``old`` in its training settings only."""
    same = replace(new, **{k: getattr(old, k) for k in TUNABLE})
    return same.to_json() == old.to_json()


def _batch(size: int | None) -> str:
    return "full batch" if size is None else f"{size:,}"


def setting_changes(old: Experiment, new: Experiment) -> list[SettingChange] | None:
    """The training settings ``new`` changes, in the controls' order (an empty list: no
    change at all); None when it changes the network too."""
    if not keeps_network(old, new):
        return None
    out: list[SettingChange] = []
    if new.optimizer != old.optimizer:
        label = OPTIMIZER_LABELS[new.optimizer]
        out.append(SettingChange(
            "optimizer", label,
            f"optimiser {OPTIMIZER_LABELS[old.optimizer]} → {label} (its state starts afresh)"))
    if new.learning_rate != old.learning_rate:
        out.append(SettingChange("learning_rate", f"lr {new.learning_rate:g}",
                                 f"learning rate {old.learning_rate:g} → {new.learning_rate:g}"))
    if new.momentum != old.momentum:
        out.append(SettingChange("momentum", f"momentum {new.momentum:g}",
                                 f"momentum {old.momentum:g} → {new.momentum:g}"))
    if new.batch_size != old.batch_size:
        mark = "full batch" if new.batch_size is None else f"batch {new.batch_size:,}"
        out.append(SettingChange(
            "batch_size", mark,
            f"batch size {_batch(old.batch_size)} → {_batch(new.batch_size)}"))
    if new.clip_norm != old.clip_norm:
        def clip(c: float | None) -> str:
            return "off" if c is None else f"{c:g}"
        mark = "no clip" if new.clip_norm is None else f"clip {new.clip_norm:g}"
        out.append(SettingChange("clip_norm", mark,
                                 f"clipping {clip(old.clip_norm)} → {clip(new.clip_norm)}"))
    return out


def tuned_sentence(changes: list[SettingChange], step: int) -> str:
    """The status line after settings changed at ``step`` (the next step to run)."""
    said = ", ".join(c.said for c in changes)
    return f"From step {step:,}: {said}; the weights and the history are kept."


def network_changes(old: Experiment, new: Experiment) -> list[str]:
    """What of the network (or its data or loss) ``new`` changes, in a few words each."""
    a: dict[str, Any] = old.to_json()
    b: dict[str, Any] = new.to_json()
    na, nb = a["network"], b["network"]
    parts: list[str] = []
    hidden_a, hidden_b = na["layers"][1:-1], nb["layers"][1:-1]
    if len(hidden_a) != len(hidden_b):
        parts.append("the depth")
    elif hidden_a != hidden_b:
        parts.append("the widths")
    if any(na[k] != nb[k] for k in ("hidden_activation", "output_activation", "activations")):
        parts.append("the activations")
    init_a, init_b = dict(na["init"]), dict(nb["init"])
    seed_a, seed_b = init_a.pop("seed"), init_b.pop("seed")
    if init_a != init_b:
        parts.append("the initialiser")
    if seed_a != seed_b:
        parts.append("the seed")
    if any(na[k] != nb[k] for k in ("weights", "biases", "alphas")):
        parts.append("the starting weights")
    if na.get("residual") != nb.get("residual"):
        parts.append("the skip connections")
    if any(na.get(k) != nb.get(k) for k in ("norm", "gammas", "betas")):
        parts.append("the normalisation")
    if a["data"] != b["data"]:
        parts.append("the data")
    if a["training"]["loss"] != b["training"]["loss"]:
        parts.append("the loss")
    return parts


def rebuilt_sentence(parts: list[str], steps: int) -> str:
    """The status line after an edit made a new network; ``steps`` were trained before."""
    if not parts:
        what = "The network"
    elif len(parts) == 1:
        what = parts[0]
    else:
        what = ", ".join(parts[:-1]) + " and " + parts[-1]
    what = what[0].upper() + what[1:]
    lost = ""
    if steps:
        lost = f" ({steps:,} trained step{'' if steps == 1 else 's'} cleared)"
    return f"{what} changed: a new network at step 0{lost}."
