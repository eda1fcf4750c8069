"""Sentences and formulas for the current event, written from the core's numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core import cure_steps, explain
from ...core.network import Pass
from ...core.numbers import MINUS, num, subscript
from ...core.trace import LAYER_KINDS, Event, Trace

PHASE_LABELS = {"forward": "Forward", "loss": "Loss", "backward": "Backward", "update": "Update"}
# the status line's word for a layer-wide event
LAYER_EVENT_LABELS = {"norm": "norm", "skip": "skip", "norm_back": "through the norm",
                      "skip_back": "skip, back"}


def status_line(trace: Trace, position: int) -> str:
    """'Backward · layer 2 · neuron 1 · event 9 of 13'."""
    total = len(trace)
    if position == 0:
        return f"Ready · event 0 of {total}"
    e = trace[position - 1]
    parts = [PHASE_LABELS[e.phase]]
    if e.kind in LAYER_KINDS:
        parts += [f"layer {e.layer}", LAYER_EVENT_LABELS[e.kind]]
    elif e.kind != "loss":
        parts += [f"layer {e.layer}", f"neuron {e.neuron + 1}"]
    parts.append(f"event {position} of {total}")
    return " · ".join(parts)


def _terms(terms: Sequence[explain.Term], hidden: int, left: str, right: str) -> str:
    out = " + ".join(f"{num(t.left)}×{num(t.right)}" for t in terms)
    if hidden:
        out += f" + … ({hidden} more)"
    return out.replace("+ " + MINUS, f"{MINUS} ")


def caption(p: Pass, event: Event | None, sample: int = 0) -> tuple[str, str]:
    """(title, formula) for an event; both plain text with Unicode maths."""
    net = p.network
    if event is None:
        return ("Ready", "Press → (or N) to step through the forward pass, Space to play.")
    if event.kind == "loss":
        y_hat = p.output[sample]
        y = p.targets[sample]
        out = ", ".join(num(v) for v in y_hat)
        tgt = ", ".join(num(v) for v in y)
        return (
            "Loss: compare the output with the target",
            f"ŷ = {out}   target y = {tgt}   →   L = {num(p.loss)}  ({p.loss_name} loss)",
        )
    layer, j = event.layer, event.neuron
    act = net.activations[layer - 1]
    f = act.info.label
    d = act.info.derivative_label
    if event.kind in CURE_CAPTIONS:
        return CURE_CAPTIONS[event.kind](p, event, sample)
    if event.kind == "forward" and p.network.norm != "none" and layer < p.depth:
        z_hat = float(p.f_input(layer)[sample, j])
        value = float(cure_steps.activation_values(p, layer)[sample, j])
        return (f"Forward · layer {layer}, neuron {j + 1}: {f} of the normalised ẑ",
                f"a = {f}(ẑ) = {f}({num(z_hat)}) = {num(value)}"
                + _skip_pending(p, layer))
    if event.kind == "forward":
        s = explain.weighted_sum(p, layer, j, sample)
        terms = _terms(s.terms, s.hidden_terms, "w", "a")
        bias = f" + {num(s.bias)}" if s.bias >= 0 else f" {MINUS} {num(-s.bias)}"
        return (
            f"Forward · layer {layer}, neuron {j + 1}: weighted sum, then {f}",
            f"z = Σ w·a + b = {terms}{bias} = {num(s.z)}     a = {f}(z) = "
            f"{num(float(cure_steps.activation_values(p, layer)[sample, j]))}"
            + _skip_pending(p, layer),
        )
    if event.kind == "delta":
        r = explain.delta_recursion(p, layer, j, sample)
        if r.is_output:
            back = f"∂L/∂ŷ = {num(r.grad_a)}"
        elif r.skip_end is not None:
            assert r.skip is not None and r.through is not None
            back = (f"∂L/∂a = Σ w·δ + ∂L/∂a{subscript(r.skip_end)} = {num(r.through)} + "
                    f"{num(r.skip)} = {num(r.grad_a)}").replace("+ " + MINUS, f"{MINUS} ")
        else:
            back = f"Σ w·δ = {_terms(r.terms, r.hidden_terms, 'w', 'δ')} = {num(r.grad_a)}"
        return (
            f"Backward · layer {layer}, neuron {j + 1}: the error signal δ",
            f"δ = {d} × {back.split(' = ')[0]} = {num(r.dact)} × {num(r.grad_a)} = "
            f"{num(r.delta)}      ({back})",
        )
    if event.kind == "gradient":
        delta = p.delta[layer - 1][sample, j]
        a_in = p.layer_input(layer)[sample]
        g = p.grad_weights[layer - 1][j]
        first = f"∂L/∂w = δ × a_in = {num(delta)} × {num(a_in[0])}"
        if len(p.inputs) > 1:
            first = f"∂L/∂w = Σ over {len(p.inputs)} samples of δ × a_in"
        extra = f" (and {len(g) - 1} more weights)" if len(g) > 1 else ""
        return (
            f"Backward · layer {layer}, neuron {j + 1}: gradients of its incoming weights",
            f"{first} = {num(g[0])}{extra}     ∂L/∂b = {num(p.grad_biases[layer - 1][j])}",
        )
    u = explain.weight_update(p, layer, j, 0)
    more = len(net.weights[layer - 1][j]) - 1
    extra = f" (and {more} more weights)" if more else ""
    if u.plain:
        formula = (f"w_new = w_old − η·∂L/∂w = {num(u.old)} − {num(u.learning_rate)}×"
                   f"{num(u.gradient)} = {num(u.new)}{extra}")
    else:
        formula = (f"w_new = w_old − step = {num(u.old)} − {num(u.step)} = {num(u.new)}"
                   f"  ({u.optimizer}){extra}")
    return (f"Update · layer {layer}, neuron {j + 1}: move the weights against the gradient",
            formula.replace("−", MINUS))


def _skip_pending(p: Pass, layer: int) -> str:
    source = p.skip_source(layer)
    if source is None:
        return ""
    return f"   (then the skip adds layer {source}'s a)"


def _values(values: Sequence[float], hidden: int) -> str:
    out = ", ".join(num(v) for v in values)
    return out + (f", … ({hidden} more)" if hidden else "")


def _linear(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    layer, j = event.layer, event.neuron
    s = explain.weighted_sum(p, layer, j, sample)
    terms = _terms(s.terms, s.hidden_terms, "w", "a")
    bias = f" + {num(s.bias)}" if s.bias >= 0 else f" {MINUS} {num(-s.bias)}"
    name = cure_steps.NORM_NAMES[p.network.norm]
    return (f"Forward · layer {layer}, neuron {j + 1}: weighted sum (the {name} comes next)",
            f"z = Σ w·a + b = {terms}{bias} = {num(s.z)}")


def _norm(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    n = cure_steps.norm_step(p, event.layer, sample)
    name = cure_steps.NORM_NAMES[n.norm]
    if n.norm == "batch":
        over = f"per unit over the batch of {n.batch_size}"
        stats = (f"μ = {_values(n.mean, n.hidden_units)}   σ = "
                 f"{_values(n.std, n.hidden_units)}")
    else:
        over = f"over the layer's {len(n.units) + n.hidden_units} units, sample {sample + 1}"
        stats = f"μ = {num(n.mean[0])}   σ = {num(n.std[0])}"
    mu, root = n.mean[0], n.root[0]
    first = (f"ẑ₁ = γ·(z − μ)/√(σ² + 10⁻⁵) + β = {num(n.gamma[0])}×({num(n.z[0])} − "
             f"{num(mu)})/{num(root)} + {num(n.beta[0])} = {num(n.z_hat[0])}")
    if len(n.units) > 1:
        first += f"   ẑ = {_values(n.z_hat, n.hidden_units)}"
    return (f"Forward · {name} of layer {event.layer}: μ, σ {over}",
            f"{stats}     {first}".replace("− " + MINUS, "+ ").replace("+ " + MINUS,
                                                                        f"{MINUS} "))


def _skip(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    k = cure_steps.skip_step(p, event.layer, sample)
    e, s_ = subscript(k.end), subscript(k.source)
    more = f"  (and {k.hidden_units} more units)" if k.hidden_units else ""
    sums = "   ".join(f"{num(f)} + {num(a)} = {num(t)}"
                      for f, a, t in zip(k.f[:3], k.added[:3], k.a[:3]))
    return (f"Forward · layer {k.end} adds layer {k.source}'s activation (the skip)",
            f"a{e} = f(ẑ{e}) + a{s_}:   {sums}{more}".replace("+ " + MINUS, f"{MINUS} "))


def _delta_hat(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    layer, j = event.layer, event.neuron
    r = explain.delta_recursion(p, layer, j, sample)
    d = p.network.activations[layer - 1].info.derivative_label.replace("(z)", "(ẑ)")
    g = float(p.grad_z_hat[layer - 1][sample, j])
    if r.skip_end is not None:
        assert r.skip is not None and r.through is not None
        back = (f"∂L/∂a = Σ w·δ + ∂L/∂a{subscript(r.skip_end)} = {num(r.through)} + "
                f"{num(r.skip)} = {num(r.grad_a)}")
    else:
        back = f"∂L/∂a = Σ w·δ = {_terms(r.terms, r.hidden_terms, 'w', 'δ')} = {num(r.grad_a)}"
    return (f"Backward · layer {layer}, neuron {j + 1}: the gradient at the norm's output",
            (f"∂L/∂ẑ = {d} × ∂L/∂a = {num(r.dact)} × {num(r.grad_a)} = {num(g)}      "
             f"({back})").replace("+ " + MINUS, f"{MINUS} "))


def _norm_back(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    n = cure_steps.norm_back_step(p, event.layer, sample)
    name = cure_steps.NORM_NAMES[n.norm]
    shown = 4  # the ratios of the first units; the rows above list δ for more
    ratios = ", ".join("—" if r is None else f"×{num(r)}" for r in n.ratio[:shown])
    if len(n.ratio) > shown or n.hidden_units:
        ratios += ", …"
    mixes = "samples of the batch" if n.norm == "batch" else "units of the layer"
    return (f"Backward · through the {name} of layer {event.layer}: δ = ∂L/∂z",
            f"∂L/∂ẑ = {_values(n.grad_z_hat, n.hidden_units)}   →   δ = "
            f"{_values(n.delta, n.hidden_units)}   (through the norm: {ratios}; μ and σ "
            f"mix in the other {mixes})")


def _skip_back(p: Pass, event: Event, sample: int) -> tuple[str, str]:
    k = cure_steps.skip_step(p, event.layer, sample)
    e, s_ = subscript(k.end), subscript(k.source)
    more = f"  (and {k.hidden_units} more units)" if k.hidden_units else ""
    sums = "   ".join(f"{num(t)} + {num(g)} = {num(a)}"
                      for t, g, a in zip(k.through[:3], k.grad_end[:3], k.grad_source[:3]))
    return (f"Backward · the skip passes ∂L/∂a{e} back to layer {k.source} with a factor of 1",
            f"∂L/∂a{s_} = W{subscript(k.source + 1)}ᵀδ{subscript(k.source + 1)} + ∂L/∂a{e}:"
            f"   {sums}{more}".replace("+ " + MINUS, f"{MINUS} "))


CURE_CAPTIONS = {"linear": _linear, "norm": _norm, "skip": _skip, "delta_hat": _delta_hat,
                 "norm_back": _norm_back, "skip_back": _skip_back}


def network_summary(experiment: Any) -> str:
    """'9 hidden sigmoid layers of 1 · 1 sample', 'no hidden layer · circles, 200 samples':
    a menu's one-line description of an experiment, depth counted in hidden layers."""
    widths = experiment.layers[1:-1]
    hidden = len(widths)
    if hidden == 0:
        net = "no hidden layer"
    else:
        acts = {a.name for a in experiment.activations[:-1]}
        act = f" {acts.pop()}" if len(acts) == 1 else ""
        width = f"of {widths[0]}" if len(set(widths)) == 1 else \
            "of " + "–".join(str(w) for w in widths)
        net = f"{hidden} hidden{act} layer{'s' * (hidden != 1)} {width}"
    if experiment.inputs is not None:
        n = len(experiment.inputs)
        data = f"{n} sample{'s' * (n != 1)}"
    else:
        data = f"{experiment.dataset}, {experiment.samples} samples"
    return f"{net} · {data}"
