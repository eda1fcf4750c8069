"""Sentences and formulas for the current event, written from the core's numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core import explain
from ...core.network import Pass
from ...core.numbers import MINUS, num
from ...core.trace import Event, Trace

PHASE_LABELS = {"forward": "Forward", "loss": "Loss", "backward": "Backward", "update": "Update"}


def status_line(trace: Trace, position: int) -> str:
    """'Backward · layer 2 · neuron 1 · event 9 of 13'."""
    total = len(trace)
    if position == 0:
        return f"Ready · event 0 of {total}"
    e = trace[position - 1]
    parts = [PHASE_LABELS[e.phase]]
    if e.kind != "loss":
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
    if event.kind == "forward":
        s = explain.weighted_sum(p, layer, j, sample)
        terms = _terms(s.terms, s.hidden_terms, "w", "a")
        bias = f" + {num(s.bias)}" if s.bias >= 0 else f" {MINUS} {num(-s.bias)}"
        return (
            f"Forward · layer {layer}, neuron {j + 1}: weighted sum, then {f}",
            f"z = Σ w·a + b = {terms}{bias} = {num(s.z)}     a = {f}(z) = {num(s.a)}",
        )
    if event.kind == "delta":
        r = explain.delta_recursion(p, layer, j, sample)
        if r.is_output:
            back = f"∂L/∂ŷ = {num(r.grad_a)}"
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
