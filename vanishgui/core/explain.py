"""The numbers behind each event and each weight, ready for a view to print.

Views never compute: the chain-rule ledger's factors and running products, the terms
of a weighted sum, the δ recursion and the update all come from here, taken from a
recorded :class:`~vanishgui.core.network.Pass`. Layers are 1-based; ``sample`` picks
the row of the batch a view is showing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cure_steps import (
    NORM_NAMES,
    GradientPaths,
    cured_on_path,
    gradient_paths,
    skip_end_of,
    through_next,
)
from .network import Pass
from .numbers import num, subscript

MAX_TERMS = 8  # terms of a sum spelled out; the rest are summarised


@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule, and the product of it and every factor before it."""

    symbol: str  # e.g. "σ'(z₃)", "w₃", "∂L/∂ŷ", "a₀"
    meaning: str  # a few words for a student
    value: float
    running: float
    bound: float | None  # the largest this factor can be (0.25 for σ'), None when unbounded
    kind: str  # "loss", "dact", "weight", "input"


@dataclass(frozen=True)
class Term:
    """One term of a sum: index, the two numbers multiplied, and their product."""

    index: int
    left: float
    right: float
    product: float


@dataclass(frozen=True)
class DeltaRecursion:
    """δⱼ = f'(zⱼ) · Σₖ w_kj δₖ for one neuron (the output layer uses ∂L/∂ŷ instead)."""

    layer: int
    neuron: int
    dact: float
    grad_a: float  # Σₖ w_kj δₖ, or ∂L/∂ŷ at the output
    terms: tuple[Term, ...]  # (k, w_kj, δₖ, w_kj·δₖ), at most MAX_TERMS
    hidden_terms: int  # terms not listed
    delta: float
    is_output: bool
    # layer l is the source of the skip of the block ending at ``skip_end``: then
    # ∂L/∂a_l = Σₖ w_kj δₖ + ``skip`` (∂L/∂a_e of this unit, passed back ×1)
    skip_end: int | None = None
    skip: float | None = None
    through: float | None = None  # Σₖ w_kj δₖ in full (None at the output)


@dataclass(frozen=True)
class ChainRule:
    """∂L/∂w for the weight from neuron ``source`` of layer l−1 to ``neuron`` of layer l.

    ``factors`` spell the chain out along the only path to the loss when every later
    layer has width 1 (the classic example); then ``product`` is this sample's share of
    the gradient, and with one sample it equals ``gradient``. Otherwise ``factors`` is
    empty and ``recursion`` shows how δ of this weight's neuron was formed.
    """

    layer: int
    neuron: int
    source: int
    sample: int
    batch_size: int
    factors: tuple[Factor, ...]
    product: float | None
    sample_gradient: float  # δⱼ·a_i for this sample
    gradient: float  # the core's ∂L/∂w (summed over the batch)
    recursion: DeltaRecursion
    # With a norm or a skip on the way back: ∂L/∂a of this layer split by path, and the
    # factors from there to δ (``factors`` is then empty: no plain product to claim)
    paths: GradientPaths | None = None


def paths_footer(rule: ChainRule) -> str:
    """The split view's sentences, from its numbers only: what the paths add up to, what
    f' and the norm make of it, and this sample's share of ∂L/∂w."""
    g = rule.paths
    if g is None:
        return ""
    j = subscript(g.layer)
    parts = []
    if g.is_output:
        parts.append(f"∂L/∂a{j} = ∂L/∂ŷ = {num(g.grad_a)}.")
    elif g.skip_end is None:
        parts.append(f"∂L/∂a{j} comes through layer {g.layer + 1} only: W{subscript(g.layer + 1)}"
                     f"ᵀδ{subscript(g.layer + 1)} = {num(g.grad_a)}.")
    else:
        assert g.skip is not None
        e = subscript(g.skip_end)
        parts.append(f"∂L/∂a{j} = through layer {g.layer + 1} ({num(g.through)}) + along the "
                     f"skip from layer {g.skip_end} (∂L/∂a{e} = {num(g.skip)}, passed back "
                     f"×1) = {num(g.grad_a)}.")
    parts.append(f"∂L/∂ẑ{j} = {g.dact_label}(ẑ{j}) × ∂L/∂a{j} = {num(g.dact)} × "
                 f"{num(g.grad_a)} = {num(g.grad_z_hat)}." if g.norm != "none" else
                 f"δ{j} = {g.dact_label}(z{j}) × ∂L/∂a{j} = {num(g.dact)} × {num(g.grad_a)} "
                 f"= {num(g.delta)}.")
    if g.norm != "none":
        name = NORM_NAMES[g.norm]
        if g.norm_ratio is None:
            parts.append(f"Through the {name}, δ{j} = {num(g.delta)} (∂L/∂ẑ{j} is 0, so no "
                         "ratio).")
        else:
            parts.append(f"Through the {name}: ×{num(g.norm_ratio)}, so δ{j} = "
                         f"{num(g.delta)}; the {name} mixes in the other "
                         f"{'samples' if g.norm == 'batch' else 'units'}, so r is this "
                         "sample's and unit's alone.")
    share = "a_in" if rule.layer > 1 else "x"
    parts.append(f"This sample's share: δ{j} × {share} = {num(g.delta)} × {num(g.a_in)} = "
                 f"{num(rule.sample_gradient)}.")
    if rule.batch_size > 1:
        parts.append(f"Summed over the {rule.batch_size} samples, ∂L/∂w = "
                     f"{num(rule.gradient)}.")
    return " ".join(parts)



def delta_recursion(p: Pass, layer: int, neuron: int, sample: int = 0) -> DeltaRecursion:
    i = layer - 1
    is_output = layer == p.depth
    terms: list[Term] = []
    hidden = 0
    if not is_output:
        w_next = p.network.weights[layer]  # (size l+1, size l)
        d_next = p.delta[layer][sample]
        count = len(d_next)
        for k in range(min(count, MAX_TERMS)):
            w = float(w_next[k, neuron])
            d = float(d_next[k])
            terms.append(Term(k, w, d, w * d))
        hidden = max(0, count - MAX_TERMS)
    end = None if is_output else skip_end_of(p, layer)
    return DeltaRecursion(
        layer=layer,
        neuron=neuron,
        dact=float(p.dact[i][sample, neuron]),
        grad_a=float(p.grad_a[i][sample, neuron]),
        terms=tuple(terms),
        hidden_terms=hidden,
        delta=float(p.delta[i][sample, neuron]),
        is_output=is_output,
        skip_end=end,
        skip=None if end is None else float(p.grad_a[end - 1][sample, neuron]),
        through=None if is_output else float(through_next(p, layer, sample)[neuron]),
    )


def chain_rule(p: Pass, layer: int, neuron: int, source: int, sample: int = 0) -> ChainRule:
    """The ledger of ∂L/∂W_layer[neuron, source]."""
    depth = p.depth
    sizes = p.network.layers
    cured = cured_on_path(p, layer)
    single_path = not cured and all(sizes[m] == 1 for m in range(layer + 1, depth + 1))
    a_in = float(p.layer_input(layer)[sample, source])
    factors: list[Factor] = []
    product: float | None = None
    if single_path:
        running = 1.0

        def add(symbol: str, meaning: str, value: float, bound: float | None, kind: str) -> None:
            nonlocal running
            running = running * value
            factors.append(Factor(symbol, meaning, value, running, bound, kind))

        add("∂L/∂ŷ", "how the loss changes with the output", float(p.grad_a[-1][sample, 0]),
            None, "loss")
        for m in range(depth, layer, -1):
            act = p.network.activations[m - 1]
            add(f"{act.info.derivative_label.replace('(z)', '')}(z{subscript(m)})",
                f"slope of layer {m}'s {act.info.label}",
                float(p.dact[m - 1][sample, 0]), act.max_derivative, "dact")
            add(f"w{subscript(m)}", f"weight into layer {m}",
                float(p.network.weights[m - 1][0, neuron if m == layer + 1 else 0]), None,
                "weight")
        act = p.network.activations[layer - 1]
        add(f"{act.info.derivative_label.replace('(z)', '')}(z{subscript(layer)})",
            f"slope of layer {layer}'s {act.info.label}",
            float(p.dact[layer - 1][sample, neuron]), act.max_derivative, "dact")
        add(f"a{subscript(layer - 1)}" if layer > 1 else "x",
            "the input this weight multiplies", a_in, None, "input")
        product = running
    return ChainRule(
        layer=layer,
        neuron=neuron,
        source=source,
        sample=sample,
        batch_size=len(p.inputs),
        factors=tuple(factors),
        product=product,
        sample_gradient=float(p.delta[layer - 1][sample, neuron]) * a_in,
        gradient=float(p.grad_weights[layer - 1][neuron, source]),
        recursion=delta_recursion(p, layer, neuron, sample),
        paths=gradient_paths(p, layer, neuron, source, sample) if cured else None,
    )


@dataclass(frozen=True)
class WeightedSum:
    """z = Σᵢ wᵢ·aᵢ + b for one neuron and sample, then a = f(z)."""

    layer: int
    neuron: int
    terms: tuple[Term, ...]  # (i, w_i, a_i, w_i·a_i), at most MAX_TERMS
    hidden_terms: int
    bias: float
    z: float
    a: float
    dact: float


def weighted_sum(p: Pass, layer: int, neuron: int, sample: int = 0) -> WeightedSum:
    w = p.network.weights[layer - 1][neuron]
    a_prev = p.layer_input(layer)[sample]
    n = len(w)
    terms = tuple(
        Term(i, float(w[i]), float(a_prev[i]), float(w[i] * a_prev[i]))
        for i in range(min(n, MAX_TERMS))
    )
    return WeightedSum(
        layer=layer,
        neuron=neuron,
        terms=terms,
        hidden_terms=max(0, n - MAX_TERMS),
        bias=float(p.network.biases[layer - 1][neuron]),
        z=float(p.z[layer - 1][sample, neuron]),
        a=float(p.a[layer - 1][sample, neuron]),
        dact=float(p.dact[layer - 1][sample, neuron]),
    )


@dataclass(frozen=True)
class WeightUpdate:
    """w_new = w_old − Δ for one incoming weight; Δ = η·∂L/∂w for plain SGD."""

    layer: int
    neuron: int
    source: int
    old: float
    gradient: float
    learning_rate: float
    step: float  # w_old − w_new, whatever the optimiser
    new: float
    optimizer: str
    plain: bool  # True when the step is exactly η·∂L/∂w (SGD without momentum)


def weight_update(p: Pass, layer: int, neuron: int, source: int) -> WeightUpdate:
    if p.update is None:
        raise ValueError("this pass has no update")
    old = float(p.network.weights[layer - 1][neuron, source])
    new = float(p.update.weights[layer - 1][neuron, source])
    return WeightUpdate(
        layer=layer,
        neuron=neuron,
        source=source,
        old=old,
        gradient=float(p.grad_weights[layer - 1][neuron, source]),
        learning_rate=p.update.learning_rate,
        step=old - new,
        new=new,
        optimizer=p.update.optimizer,
        plain=p.update.optimizer == "sgd" and p.update.state.m is None,
    )


def weights_at(p: Pass, updated: np.ndarray) -> tuple[np.ndarray, ...]:
    """The weight matrices as shown when ``updated[l]`` neurons of each layer are updated.

    Row j of layer l is the new row once neuron j's update event has happened.
    """
    if p.update is None or not updated.any():
        return p.network.weights
    out = []
    for old, new, k in zip(p.network.weights, p.update.weights, updated):
        if k == 0:
            out.append(old)
        elif k >= len(old):
            out.append(new)
        else:
            out.append(np.vstack([new[:k], old[k:]]))
    return tuple(out)


@dataclass(frozen=True)
class IncomingWeight:
    source: int
    weight: float
    gradient: float  # ∂L/∂w in the shown pass
    last_step: float | None  # w_new − w_old of the last committed update, None before any


@dataclass(frozen=True)
class NeuronReport:
    """What the inspector shows for one neuron of the shown pass."""

    layer: int
    neuron: int
    z: float
    a: float
    dact: float
    delta: float
    bias: float
    grad_bias: float
    incoming: tuple[IncomingWeight, ...]
    hidden_incoming: int


def inspect_neuron(p: Pass, last: Pass | None, layer: int, neuron: int, sample: int = 0,
                   limit: int = 64) -> NeuronReport:
    i = layer - 1
    w = p.network.weights[i][neuron]
    g = p.grad_weights[i][neuron]
    steps = None
    if last is not None and last.update is not None and last.network.layers == p.network.layers:
        steps = last.update.weights[i][neuron] - last.network.weights[i][neuron]
    rows = tuple(
        IncomingWeight(k, float(w[k]), float(g[k]), None if steps is None else float(steps[k]))
        for k in range(min(len(w), limit))
    )
    return NeuronReport(
        layer=layer,
        neuron=neuron,
        z=float(p.z[i][sample, neuron]),
        a=float(p.a[i][sample, neuron]),
        dact=float(p.dact[i][sample, neuron]),
        delta=float(p.delta[i][sample, neuron]),
        bias=float(p.network.biases[i][neuron]),
        grad_bias=float(p.grad_biases[i][neuron]),
        incoming=rows,
        hidden_incoming=max(0, len(w) - limit),
    )


def zero_gradient_layers(p: Pass) -> tuple[int, ...]:
    """Layers (1-based) whose every weight gradient is exactly 0 in this pass: dead ReLUs,
    or a signal that underflowed on its way back. Those weights cannot learn this step."""
    return tuple(i + 1 for i, g in enumerate(p.grad_weights)
                 if g.size and not np.any(g) and np.isfinite(g).all())


@dataclass(frozen=True)
class Crossing:
    """One layer the gradient crosses on its way back to a weight: its slope f'(z), the
    weight that comes with it, and their product, the factor that layer scales it by."""

    layer: int
    label: str  # "σ'", "relu'", …
    dact: float
    weight: float
    bound: float | None  # the largest f'(z) can be; None when unbounded

    @property
    def scale(self) -> float:
        return self.dact * self.weight


def crossings(rule: ChainRule) -> tuple[Crossing, ...]:
    """The (f'(z), w) pairs of a single-path ledger, from the output back (empty when the
    path forks: a layer on the way is wider than 1)."""
    facs = rule.factors
    n = (len(facs) - 3) // 2  # ∂L/∂ŷ, then f'(z_m), w_m for each m crossed, f'(z_l), input
    out = []
    for k in range(n):
        d, w = facs[1 + 2 * k], facs[2 + 2 * k]
        out.append(Crossing(rule.layer + n - k, d.symbol.split("(")[0], d.value, w.value,
                            d.bound))
    return tuple(out)


def ledger_footer(rule: ChainRule) -> str:
    """What the ledger's rows add up to, in words built from those rows only.

    Each layer crossed scales the gradient by f'(z)·w, not by f'(z) alone: σ' is at most
    0.25, but at w₃ = −1.59 the classic chain's layer 3 scales it by 0.36 (issue 12: the
    footer had said "every sigmoid layer shrinks it by 4× or more", and said so under
    ReLU chains too). The loss's average over the batch is named where it enters."""
    if not rule.factors:
        return ""
    parts = []
    cross = crossings(rule)
    if cross:
        shown = [f"layer {c.layer} ×{num(c.scale)}" for c in cross]
        if len(shown) > 5:  # a 20-layer footer filled the dock; the rows list them all
            shown = [*shown[:3], "…", shown[-1]]
        scales = ", ".join(shown)
        parts.append(f"Each layer scales the gradient by its f'(z)·w: {scales}.")
        dead = [c for c in cross if c.dact == 0.0]
        if dead:
            names = " and ".join(f"{c.label}(z{subscript(c.layer)})" for c in dead)
            parts.append(f"{names} {'is' if len(dead) == 1 else 'are'} exactly 0, so no "
                         "gradient gets past: the product is 0.")
        for label in dict.fromkeys(c.label for c in cross):
            mine = [c for c in cross if c.label == label]
            bound = mine[0].bound
            if bound is None or any(c.bound != bound for c in mine):
                continue
            up = [c for c in mine if c.dact != 0.0 and abs(c.scale) > abs(c.dact)]
            down = [c for c in mine if c.dact != 0.0 and abs(c.scale) < abs(c.dact)]
            said = f"{label}(z) alone is at most {num(bound)}"
            if up:
                said += f"; |w| > 1 enlarges the factor ({_weights(up)})"
            if down:
                said += f"; |w| < 1 shrinks it ({_weights(down)})"
            parts.append(said + ".")
    batch = ""
    if rule.batch_size > 1:
        batch = (f" This is sample {rule.sample + 1} of {rule.batch_size}; summed over the "
                 f"batch, ∂L/∂w = {num(rule.gradient)}.")
    parts.append(f"Product of the {len(rule.factors)} factors: {num(rule.product)}.{batch}")
    return " ".join(parts)


def _weights(cross: list[Crossing]) -> str:
    names = [f"w{subscript(c.layer)}" for c in cross]
    if len(names) > 3:
        return f"{', '.join(names[:2])} and {len(names) - 2} more"
    return ", ".join(names)


def batch_average_note(p: Pass) -> str:
    """Why δ and ∂L/∂ŷ depend on the batch size: the loss is an average, so each carries
    its 1/n (n = B, or B·K for mse and bce)."""
    n = p.loss_divisor
    if n == 1:
        return ""
    what = "samples" if n == len(p.inputs) else "samples × outputs"
    return f"δ and ∂L/∂ŷ carry the loss's average over the batch: ×1/{n} ({n} {what})."
