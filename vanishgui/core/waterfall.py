"""The chain-rule waterfall: how much of ∂L/∂ŷ each factor on the way back lets through.

For the selected weight W_l[j, i] (layer l, 1-based as in :func:`~vanishgui.core.explain.
chain_rule`) the gradient leaves the loss as ∂L/∂ŷ = ∂L/∂a_L and is multiplied, layer by
layer from the output m = L down, by two parts, for the selected sample:

* the σ' part of layer m, ‖f'(z_m) ⊙ ∂L/∂a_m‖ / ‖∂L/∂a_m‖ = ‖δ_m‖ / ‖∂L/∂a_m‖ (the output
  layer's own activation counts: it applies), and
* the weight part of layer m, ‖W_mᵀ δ_m‖ / ‖δ_m‖ = ‖∂L/∂a_{m−1}‖ / ‖δ_m‖,

down to the weight part of layer l + 1, where the running product has telescoped to
‖∂L/∂a_l‖ / ‖∂L/∂ŷ‖. The path then takes layer l's own σ' part and ends at ‖δ_l‖ /
‖∂L/∂ŷ‖: δ_l is what multiplies a_{l−1} in ∂L/∂W_l = δ_lᵀ a_{l−1}. The input a_{l−1}[i]
the weight multiplies is not on the path (it is the weight's own end, not a factor the
gradient passes through), nor is neuron j's share of ‖δ_l‖: with a wide layer on the way
the gradient reaches W_l along every path at once, so the parts are layer norms and the
waterfall depends on the weight only through its layer l and the sample. When every layer
from l on has width 1 (the classic chain), each part is |σ'(z_m)| or |w_m|, the magnitude
of the ledger's factor of the same name.

The bound beside each factor is the product of the largest derivative of every activation
passed so far (0.25 a sigmoid): it bounds the product of the σ' parts, not the weights'.
An exactly-0 part (a dead ReLU layer) stops the gradient: its value is 0, its log is None,
the running product is 0 from there on, and the parts after it, 0/0, are None. Each ratio
is taken from the arrays the backward pass recorded, with norms that neither overflow nor
underflow, so the parts telescope to the running line to rounding.

With the cures (:mod:`.cures`) the same telescoping holds with these parts:

* under a norm, layer m's σ' part is still ‖δ_m‖ / ‖∂L/∂a_m‖, now the part *through
  f'(ẑ_m) and the norm* together (δ_m = ∂L/∂z_m comes out of the norm's backward pass).
  The norm can enlarge the gradient (by about γ/σ), so there is no fixed bound on it: the
  bound is None from the first such part on, and the caption says so;
* where layer m − 1 is a skip's source, the weight part of layer m is ‖W_mᵀδ_m‖ / ‖δ_m‖
  (through the weights alone), and a third kind of part follows it, the skip part
  ‖∂L/∂a_{m−1}‖ / ‖W_mᵀδ_m‖: the skip adds ∂L/∂a_e of its block's end with a factor of
  exactly 1, and this part is what that addition does to the norm (layer m − 1 is its
  ``layer``). When the weights let nothing through (a 0 part) but the skip carries
  ∂L/∂a_e on, the running line resumes at ‖∂L/∂a_{m−1}‖ / ‖∂L/∂ŷ‖ there (``revived``):
  that part has no ratio (its value is None), the others are as above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cure_steps import NORM_NAMES, norm_of, skip_end_of, through_next
from .network import Pass
from .numbers import num, ratio, subscript, superscript


@dataclass(frozen=True)
class WaterfallFactor:
    """One part on the way back, the running product after it, and the bound so far."""

    symbol: str  # "σ'(z₃)", "w₃" (a 1×1 weight), "W₃" (a matrix) or "+∂L/∂a₅" (a skip)
    formula: str  # what the part is, e.g. "‖W₃ᵀδ₃‖ / ‖δ₃‖"
    kind: str  # "dact", "weight" or "skip"
    layer: int  # m, 1-based (a skip part: its source layer, where ∂L/∂a_e is added)
    value: float | None  # the part (≥ 0); None when nothing reaches it or it is inf/NaN
    log10: float | None  # log₁₀ of value; None when value is 0 or None
    running: float | None  # ‖·‖ after this factor / ‖∂L/∂ŷ‖; 0 once stopped, None if inf/NaN
    running_log10: float | None  # the sum of the logs so far; None once running is 0 or None
    bound: float | None  # ∏ of the largest f'(z) of the activations so far; None: no fixed one
    max_derivative: float | None  # this layer's largest f'(z) (σ' parts); None for weights
    activation: str  # this layer's activation, as the UI names it


@dataclass(frozen=True)
class Stop:
    """Where the gradient stops: ``factor`` (an index into the factors; None: ∂L/∂ŷ itself)
    and why: "zero" (exactly 0) or "nonfinite" (inf or NaN)."""

    factor: int | None
    reason: str


@dataclass(frozen=True)
class Waterfall:
    layer: int
    neuron: int
    source: int
    sample: int
    grad_output: float  # ‖∂L/∂ŷ‖ for this sample (with the loss's 1/B)
    factors: tuple[WaterfallFactor, ...]  # from the loss back to layer ``layer``
    dact_product: float | None  # the product of the σ' parts (None if one is undefined)
    weight_product: float | None  # the product of the weight parts
    grad_a_ratio: float | None  # ‖∂L/∂a_l‖ / ‖∂L/∂ŷ‖: the running line before layer l's σ'
    reaching: float | None  # ‖δ_l‖ / ‖∂L/∂ŷ‖: the running line's end
    bound: float | None  # ∏ max f'(z) over the path; None if an activation has no fixed max
    unbounded: tuple[str, ...]  # activations on the path with no fixed largest f'(z)
    stop: Stop | None
    skip_product: float | None = None  # the product of the skip parts (1.0 with none)
    revived: int | None = None  # the skip part after which the running line resumes


def vector_norm(x: np.ndarray) -> float:
    """‖x‖₂ without the overflow or underflow of squaring: a gradient of 1e-170 has a
    norm of 1e-170, not 0 (its square would underflow), and one of 1e200 is not inf."""
    v = np.abs(np.asarray(x, dtype=np.float64))
    if not np.isfinite(v).all():
        return math.inf if not np.isnan(v).any() else math.nan
    top = float(v.max()) if v.size else 0.0
    if top == 0.0:
        return 0.0
    return top * float(np.sqrt(np.sum((v / top) ** 2)))


def _symbol_dact(derivative_label: str, layer: int) -> str:
    return f"{derivative_label.replace('(z)', '')}(z{subscript(layer)})"


def waterfall(p: Pass, layer: int, neuron: int, source: int, sample: int = 0) -> Waterfall:
    """The factors from ∂L/∂ŷ back to W_layer[neuron, source] for one sample (see the
    module's docstring for where the path ends and what each part is)."""
    depth = p.depth
    if not 1 <= layer <= depth:
        raise ValueError(f"layer {layer} is not a weight layer of this network (1–{depth})")
    sizes = p.network.layers
    if not (0 <= neuron < sizes[layer] and 0 <= source < sizes[layer - 1]):
        raise ValueError(f"no weight from neuron {source} into neuron {neuron} of layer {layer}")
    if not 0 <= sample < len(p.inputs):
        raise ValueError(f"sample {sample} is not in this batch of {len(p.inputs)}")
    acts = p.network.activations
    # ‖∂L/∂a_m‖ and ‖δ_m‖ of every layer on the path, for this sample
    g = {m: vector_norm(p.grad_a[m - 1][sample]) for m in range(layer, depth + 1)}
    d = {m: vector_norm(p.delta[m - 1][sample]) for m in range(layer, depth + 1)}
    # (kind, layer, numerator, denominator), from the loss back
    steps: list[tuple[str, int, float, float]] = []
    ends: dict[int, int] = {}
    for m in range(depth, layer - 1, -1):
        steps.append(("dact", m, d[m], g[m]))
        if m > layer:
            end = skip_end_of(p, m - 1)
            if end is None:
                steps.append(("weight", m, g[m - 1], d[m]))
            else:
                through = vector_norm(through_next(p, m - 1, sample))
                steps.append(("weight", m, through, d[m]))
                steps.append(("skip", m - 1, g[m - 1], through))
                ends[m - 1] = end

    top = g[depth]
    stop: Stop | None = None
    if not math.isfinite(top):
        stop = Stop(None, "nonfinite")
    elif top == 0.0:
        stop = Stop(None, "zero")
    running: float | None = 0.0 if stop is not None and stop.reason == "zero" else (
        None if stop is not None else 1.0)
    running_log: float | None = 0.0 if stop is None else None
    bound: float | None = 1.0
    unbounded: list[str] = []
    factors: list[WaterfallFactor] = []
    revived: int | None = None
    for index, (kind, m, num_, den) in enumerate(steps):
        act = acts[m - 1]
        norm = norm_of(p, m) if kind == "dact" else "none"
        max_d = act.max_derivative if kind == "dact" and norm == "none" else None
        if kind == "dact":
            if max_d is None:
                bound = None
                name = act.info.label if norm == "none" else NORM_NAMES[norm]
                if name not in unbounded:
                    unbounded.append(name)
            elif bound is not None:
                bound *= max_d
        value: float | None = None
        log: float | None = None
        if (kind == "skip" and stop is not None and stop.reason == "zero"
                and stop.factor is not None and 0.0 < num_ < math.inf and top > 0.0):
            # the weights let nothing through, the skip carries ∂L/∂a_e on: no ratio,
            # the running line resumes at the skip's sum
            stop = None
            revived = index
            running = num_ / top
            running_log = math.log10(running) if running > 0.0 else None
            if running_log is None:
                stop = Stop(index, "zero")
        elif stop is None:
            with np.errstate(all="ignore"):
                part = num_ / den if den != 0.0 else math.nan
            if not math.isfinite(part):
                stop = Stop(index, "nonfinite")
                running = running_log = None
            else:
                value = part
                assert running is not None and running_log is not None
                running *= part
                if part == 0.0:
                    stop = Stop(index, "zero")
                    running_log = None
                else:
                    log = math.log10(part)
                    running_log += log
        if kind == "dact":
            if norm == "none":
                symbol = _symbol_dact(act.info.derivative_label, m)
                a = f"∂L/∂a{subscript(m)}"
                formula = f"‖{symbol}⊙{a}‖ / ‖{a}‖"
            else:
                slope = act.info.derivative_label.replace("(z)", "")
                symbol = f"{slope}·{'BN' if norm == 'batch' else 'LN'}{subscript(m)}"
                formula = (f"‖δ{subscript(m)}‖ / ‖∂L/∂a{subscript(m)}‖: through "
                           f"{slope}(ẑ{subscript(m)}) and the {NORM_NAMES[norm]}")
        elif kind == "weight":
            w = p.network.weights[m - 1]
            symbol = f"{'w' if w.size == 1 else 'W'}{subscript(m)}"
            formula = f"‖W{subscript(m)}ᵀδ{subscript(m)}‖ / ‖δ{subscript(m)}‖"
        else:
            e, s_, n_ = subscript(ends[m]), subscript(m), subscript(m + 1)
            symbol = f"+∂L/∂a{e}"
            formula = (f"‖W{n_}ᵀδ{n_} + 1·∂L/∂a{e}‖ / ‖W{n_}ᵀδ{n_}‖ = ‖∂L/∂a{s_}‖ / "
                       f"‖W{n_}ᵀδ{n_}‖: the skip from layer {m} to {ends[m]} adds ∂L/∂a{e} "
                       "with a factor of 1")
        factors.append(WaterfallFactor(
            symbol=symbol, formula=formula, kind=kind, layer=m, value=value, log10=log,
            running=running, running_log10=running_log, bound=bound, max_derivative=max_d,
            activation=act.info.label if kind != "skip" else "skip"))

    def product(kind: str) -> float | None:
        values = [f.value for f in factors if f.kind == kind]
        if any(v is None for v in values):
            return None
        return math.prod(v for v in values if v is not None)

    reaching = factors[-1].running
    before = factors[-2].running if len(factors) > 1 else (
        None if stop is not None and stop.reason == "nonfinite" else
        (0.0 if stop is not None else 1.0))
    return Waterfall(
        layer=layer, neuron=neuron, source=source, sample=sample, grad_output=top,
        factors=tuple(factors), dact_product=product("dact"),
        weight_product=product("weight"), grad_a_ratio=before, reaching=reaching,
        bound=bound, unbounded=tuple(unbounded), stop=stop,
        skip_product=product("skip"), revived=revived)


def share(x: float) -> str:
    """A factor or a product for a person: '1/74' when small, '0.54', '2.3', '1.2e5'."""
    return ratio(x) if 0 < x < 0.5 else num(x, 2)


def bound_text(w: Waterfall) -> str:
    """'at most 0.25³ = 1/64' for the σ' parts, or why there is no such bound."""
    if w.bound is None:
        slopes = [n for n in w.unbounded if n not in NORM_NAMES.values()]
        norms = [n for n in w.unbounded if n in NORM_NAMES.values()]
        said = []
        if slopes:
            said.append(f"{' and '.join(slopes)} has no fixed largest slope")
        if norms:
            said.append(f"the {norms[0]} can enlarge the gradient")
        return f"{' and '.join(said)}, so there is no fixed bound"
    maxima = [f.max_derivative for f in w.factors if f.kind == "dact"]
    if len(maxima) == 1:
        return f"at most {share(w.bound)}"
    if len(set(maxima)) == 1 and maxima[0] is not None and maxima[0] != 1.0:
        return f"at most {num(maxima[0])}{superscript(len(maxima))} = {share(w.bound)}"
    return f"at most ∏ max f'(z) = {share(w.bound)}"


def caption(w: Waterfall) -> str:
    """One or two sentences on the waterfall, every number taken from it."""
    l_ = subscript(w.layer)
    if w.stop is not None and w.stop.factor is None:
        if w.stop.reason == "zero":
            return ("∂L/∂ŷ is exactly 0 for this sample: no gradient leaves the loss, so "
                    "there is nothing to follow back.")
        return "∂L/∂ŷ is inf or NaN for this sample: the factors cannot be taken."
    if w.stop is not None:
        assert w.stop.factor is not None
        f = w.factors[w.stop.factor]
        what = {"dact": "σ' part", "weight": "weight part", "skip": "skip part"}[f.kind]
        if w.stop.reason == "zero":
            m = subscript(f.layer)
            if f.kind == "dact":
                return (f"Gradient stops here: exactly 0 at {f.symbol} (layer {f.layer}'s "
                        f"{what}), so for this sample δ{m} = 0 and no gradient reaches "
                        f"W{m} or any layer below.")
            return (f"Gradient stops here: exactly 0 at {f.symbol} (layer {f.layer}'s {what}, "
                    f"‖W{m}ᵀδ{m}‖ = 0), so for this sample no gradient reaches layer "
                    f"{f.layer - 1} or any layer below.")
        return (f"Layer {f.layer}'s {what} ({f.symbol}) is inf or NaN: the factors from "
                "there on cannot be taken.")
    assert w.reaching is not None
    if w.revived is not None:
        k = w.factors[w.revived]
        zero = next(f for f in reversed(w.factors[:w.revived]) if f.value == 0.0)
        times = "×" if w.reaching > 1 else "of"
        return (f"Along the layers the gradient is exactly 0 at {zero.symbol} (layer "
                f"{zero.layer}); the skip adds {k.symbol[1:]} back into layer {k.layer} with a "
                f"factor of 1, so it goes on: ‖δ{l_}‖ is {share(w.reaching)} {times} "
                "‖∂L/∂ŷ‖.")
    assert w.dact_product is not None and w.weight_product is not None
    n_dact = sum(1 for f in w.factors if f.kind == "dact")
    dact = f"the {n_dact} σ' parts multiply to {share(w.dact_product)} ({bound_text(w)})"
    if n_dact == 1:
        dact = f"the σ' part is {share(w.dact_product)} ({bound_text(w)})"
    n_w = sum(1 for f in w.factors if f.kind == "weight")
    if n_w == 0:
        weights = "the weight is in the output layer, so no weight part lies between"
    elif n_w == 1:
        weights = f"the weight part is {share(w.weight_product)}"
    else:
        weights = f"the {n_w} weight parts multiply to {share(w.weight_product)}"
    if any(f.kind == "dact" and f.max_derivative is None and "·" in f.symbol
           for f in w.factors):
        dact = dact.replace("σ' parts", "σ' parts (a hidden layer's through its norm too)"
                            ).replace("σ' part is", "σ' part (through the norm too) is")
    skips = ""
    n_s = sum(1 for f in w.factors if f.kind == "skip")
    if n_s and w.skip_product is not None:
        skips = (f"; {'the skip part is' if n_s == 1 else f'the {n_s} skip parts multiply to'}"
                 f" {share(w.skip_product)} (each skip adds ∂L/∂a of its block's end ×1)")
    times = "×" if w.reaching > 1 else "of"  # "2.3 × ‖∂L/∂ŷ‖" grew, "1/59 of" shrank
    return (f"{dact[0].upper()}{dact[1:]}; {weights}{skips}; together ‖δ{l_}‖ is "
            f"{share(w.reaching)} {times} ‖∂L/∂ŷ‖.")
