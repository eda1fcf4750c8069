"""Name the cause: what is wrong with a network's gradients, judged from one pass and the
training history, each finding with the numbers that show it (issue 13).

Layers are numbered as the report's ``layers[].index``: 1 is the first hidden layer and
the output layer is the number of weight layers. "g" below is a layer's mean |∂L/∂W|.

The rules, in the order they are judged (an empty list means healthy):

``diverged``
    A non-finite number appeared in training (the history's first non-finite step: its
    layer, and whether the forward pass, the gradient or the update was non-finite
    first) or in the pass. Nothing else is judged then: the other figures are not numbers.
``saturated-output``
    The output activation's derivative is under 1e−4 for at least 90% of the (sample,
    output unit) pairs while the mean |ŷ − y| is over 0.25: confidently wrong, so almost
    no gradient leaves the loss.
``vanishing``
    Layer 1's g is under 1/100 of the output layer's; every layer under that is listed.
    Not reported with ``saturated-output`` (that is the cause), nor when the output
    layer's g is 0 (there is no ratio).
``exploding``
    Layer 1's g is over 100× the output layer's; every hidden layer over 100× is listed.
    Not reported when the output layer's g is 0.
``dead-units``
    Hidden layers where at least half the units have an activation derivative of exactly
    0 for every sample of the batch; one finding lists them all.
``tiny-steps``
    At least one step trained, and in the last one every layer's mean |ΔW| / mean |W| is
    under 1e−5, the largest of those under 100× the smallest: the learning rate makes
    every step tiny, whatever the depth. Judged from the history's last step, never from
    a previewed update.
``plateau``
    At least 20 recorded steps; over the last max(20, 10% of the rows) rows the loss
    moved by at most 1e−3 of its size, every layer's g in the last row is at most 1e−3 of
    its step-0 value, and layer 1's share of the output layer's g is at least 1/100.

Scaling every gradient of a pass by c > 0 leaves the findings unchanged (they use
ratios of gradients, never their size), and at step 0 the learning rate changes none.
Numpy only, as all of :mod:`vanishgui.core`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .curves import layer_grad_mean_abs
from .network import Pass, first_non_finite
from .numbers import num, ratio
from .training import History

KINDS = ("diverged", "saturated-output", "vanishing", "exploding", "dead-units",
         "tiny-steps", "plateau")

RATIO = 100.0  # vanishing below 1/RATIO of the output layer's g, exploding above RATIO×
SATURATED_SLOPE = 1e-4
SATURATED_SHARE = 0.9
WRONG_BY = 0.25
DEAD_SHARE = 0.5
TINY_STEP = 1e-5
TINY_SPREAD = 100.0
PLATEAU_ROWS = 20
PLATEAU_SHARE = 0.1
PLATEAU_CHANGE = 1e-3

WHERE = {  # History.diverged_in: what was non-finite first
    "forward": "the forward pass (z or a)",
    "loss": "the loss",
    "gradient": "the gradient",
    "update": "the update",
}


@dataclass(frozen=True)
class Finding:
    """One cause: its kind (one of KINDS), the layers it concerns (1-based, ascending)
    and one sentence of evidence with the numbers."""

    kind: str
    layers: tuple[int, ...]
    evidence: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "layers": list(self.layers), "evidence": self.evidence}


def layer_list(layers: tuple[int, ...] | list[int]) -> str:
    """'layer 1', 'layers 1 and 3', 'layers 1–4', 'layers 1, 2 and 5'."""
    ls = sorted(layers)
    if len(ls) == 1:
        return f"layer {ls[0]}"
    if len(ls) > 2 and ls == list(range(ls[0], ls[-1] + 1)):
        return f"layers {ls[0]}–{ls[-1]}"
    return "layers " + ", ".join(str(n) for n in ls[:-1]) + f" and {ls[-1]}"


def loss_growth(history: History) -> tuple[float, float] | None:
    """(first, last) finite loss when the loss more than doubled before training went
    non-finite: a step-size divergence shows first as a growing loss, while an
    explosion through depth needs no step (it overflows in the first pass)."""
    loss = history.loss[np.isfinite(history.loss)]
    if len(loss) > 1 and loss[-1] > 2 * loss[0]:
        return float(loss[0]), float(loss[-1])
    return None


def _diverged(p: Pass, history: History | None) -> Finding | None:
    if history is not None and history.diverged_at_step is not None:
        step = history.diverged_at_step
        where, layer = history.diverged_in or "update", history.diverged_layer or 1
        loss = loss_growth(history)
        grew = f" after the loss grew from {num(loss[0])} to {num(loss[1])}" if loss else ""
        return Finding("diverged", (layer,), (
            f"Training diverged at step {step:,}{grew}: the first non-finite number "
            f"(inf or NaN) was in {WHERE[where]} of layer {layer}."))
    found = first_non_finite(p)
    if found is None:
        return None
    where, layer = found
    return Finding("diverged", (layer,), (
        f"This pass holds a non-finite number (inf or NaN): the first is in "
        f"{WHERE[where]} of layer {layer}."))


def _saturated(p: Pass) -> Finding | None:
    d = np.abs(p.dact[-1])
    share = float(np.mean(d < SATURATED_SLOPE)) if d.size else 0.0
    wrong = float(np.mean(np.abs(p.output - p.targets))) if p.output.size else 0.0
    if share >= SATURATED_SHARE and wrong > WRONG_BY:
        # never rounded up to "100%": all of them, or the share cut to a tenth of a percent
        pairs = "all" if share == 1 else f"{math.floor(share * 1000) / 10:g}%"
        return Finding("saturated-output", (p.depth,), (
            f"The output layer's f'(z) is under 1e−4 for {pairs} of the (sample, "
            f"output) pairs while the mean |ŷ − y| is {num(wrong)}: the network is "
            f"confidently wrong, so almost no gradient leaves the loss."))
    return None


def _hidden_slope(p: Pass) -> str:
    """What a hidden layer's derivative is taken at: ẑ after a norm, else z."""
    return "f'(ẑ)" if p.network.norm != "none" else "f'(z)"


def _slope_product(p: Pass, upto: int) -> float:
    """The product of the hidden layers' mean f'(z), layers 1..upto."""
    with np.errstate(all="ignore"):
        return float(np.prod([np.mean(p.dact[i]) for i in range(upto)]))


def _by_depth(p: Pass, g: np.ndarray) -> list[Finding]:
    out = g[-1]
    if not out > 0 or p.depth < 2:
        return []
    share = g / out
    hidden = p.depth - 1
    if share[0] < 1 / RATIO:
        layers = tuple(i + 1 for i in range(p.depth) if share[i] < 1 / RATIO)
        product = _slope_product(p, hidden)
        also = f" ({layer_list(layers)} get under 1/{RATIO:.0f})" if len(layers) > 1 else ""
        return [Finding("vanishing", layers, (
            f"Layer 1 gets {ratio(share[0])} of the output layer's mean |∂L/∂W|{also}; "
            f"the mean {_hidden_slope(p)} of the {hidden} hidden layer{'s' * (hidden != 1)} "
            f"multiply to {num(product)}."))]
    if share[0] > RATIO:
        layers = tuple(i + 1 for i in range(hidden) if share[i] > RATIO)
        also = f" ({layer_list(layers)} get over {RATIO:.0f} times)" if len(layers) > 1 else ""
        return [Finding("exploding", layers, (
            f"Layer 1 gets {num(share[0])} times the output layer's mean |∂L/∂W|{also}."))]
    return []


def dead_units(p: Pass, layer: int) -> np.ndarray:
    """The units of ``layer`` (1-based) whose f'(z) is exactly 0 for every sample."""
    d = p.dact[layer - 1]
    return np.flatnonzero(np.all(d == 0, axis=0)) if d.size else np.zeros(0, dtype=np.intp)


def _dead(p: Pass) -> Finding | None:
    layers, counts = [], []
    for i in range(p.depth - 1):
        d = p.dact[i]
        dead = len(dead_units(p, i + 1))
        units = d.shape[1] if d.ndim == 2 else 0
        if units and dead >= DEAD_SHARE * units:
            layers.append(i + 1)
            counts.append(f"layer {i + 1}: {dead} of {units}")
    if not layers:
        return None
    return Finding("dead-units", tuple(layers), (
        f"In {layer_list(layers)} at least half the units have {_hidden_slope(p)} = 0 for every "
        f"sample ({'; '.join(counts)}), so no gradient passes through them."))


def _tiny_steps(p: Pass, history: History | None) -> Finding | None:
    if history is None or history.total_steps < 1:
        return None
    update = history.last_update_mean_abs
    with np.errstate(all="ignore"):
        size = np.array([np.abs(w).mean() for w in p.network.weights], dtype=np.float64)
        rel = update / size
    if not (np.isfinite(rel).all() and (rel > 0).all()):
        return None
    if rel.max() < TINY_STEP and rel.max() < TINY_SPREAD * rel.min():
        return Finding("tiny-steps", tuple(range(1, p.depth + 1)), (
            f"In the last step every layer's mean |ΔW| was under 1e−5 of its mean |W| "
            f"(from {num(rel.min())} to {num(rel.max())}, alike at every depth): each "
            f"step barely moves the weights."))
    return None


def _plateau(history: History | None) -> Finding | None:
    if history is None or history.count < PLATEAU_ROWS:
        return None
    rows = max(PLATEAU_ROWS, math.ceil(PLATEAU_SHARE * history.count))
    loss = history.loss[-rows:]
    g = history.grad_mean_abs
    first, last = g[0], g[-1]
    with np.errstate(all="ignore"):
        moved = abs(float(loss[-1] - loss[0]))
        share = last[0] / last[-1] if last[-1] > 0 else math.inf
        still = bool(np.all(last <= PLATEAU_CHANGE * first))
    if not (np.isfinite(loss).all() and still and share >= 1 / RATIO):
        return None
    if moved > PLATEAU_CHANGE * abs(float(loss[-1])):
        return None
    steps = int(history.steps[-1] - history.steps[-rows])
    return Finding("plateau", tuple(range(1, history.depth + 1)), (
        f"Over the last {steps:,} steps the loss moved by {num(moved)} (it is "
        f"{num(float(loss[-1]))}) and every layer's mean |∂L/∂W| fell to 1/1,000 of its "
        f"step-0 value or less, with layer 1 still getting {ratio(share)} of the output "
        f"layer's: learning has stalled at every depth alike."))


def diagnose(p: Pass, history: History | None = None) -> list[Finding]:
    """The findings for a pass (and the training history that led to it), in KINDS
    order."""
    diverged = _diverged(p, history)
    if diverged is not None:
        return [diverged]
    found: list[Finding] = []
    saturated = _saturated(p)
    if saturated is not None:
        found.append(saturated)
    for f in _by_depth(p, layer_grad_mean_abs(p)):
        if f.kind == "vanishing" and saturated is not None:
            continue  # the saturated output is the cause
        found.append(f)
    for f2 in (_dead(p), _tiny_steps(p, history), _plateau(history)):
        if f2 is not None:
            found.append(f2)
    return found


__all__ = ["KINDS", "Finding", "dead_units", "diagnose", "layer_list", "loss_growth"]
