"""Every figure of the core's numbers that the README quotes, recomputed from the core
(issue 12). Timings and sizes are the benchmarks' (`make bench`); these are the numbers
a teacher reads as facts about the networks. Each figure is read out of the README, so
editing one there without the core agreeing fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.experiment import load_experiment, parse_experiment
from vanishgui.core.explain import chain_rule, zero_gradient_layers
from vanishgui.core.report import _ratio, layer_rows
from vanishgui.core.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources/examples"
README = " ".join((ROOT / "README.md").read_text("utf-8").split())


def example(name: str, **network):
    doc = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))
    doc["network"].update(network)
    return parse_experiment(doc)


def after(text: str, start: str, length: int = 400) -> str:
    at = README.index(start)
    return README[at:at + length]


def superscript_float(text: str) -> float:
    """'1.7·10⁻⁹' -> 1.7e-9."""
    mantissa, power = text.split("·10")
    power = power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(mantissa) * 10.0 ** int(power)


def test_the_opening_ratio_of_the_sigmoid_chain() -> None:
    text = after(README, "In the example chain of")
    hidden, share = re.search(r"chain of (\d+) hidden sigmoid layers, the first layer gets "
                              r"(1/[\d,]+) of the output layer's gradient", text).groups()
    p = load_experiment(EXAMPLES / "deep-chain-sigmoid.json").trainer().preview()
    assert p.depth - 1 == int(hidden)
    assert all(a.name == "sigmoid" for a in p.network.activations[:-1])
    rows = layer_rows(p)
    assert _ratio(rows[0]["ratio"]) == share
    # the same figure in the report block, and ReLU's beside it
    relu = layer_rows(load_experiment(EXAMPLES / "deep-chain-relu.json").trainer().preview())
    block = re.search(r"layer 1's \"vs output\" is ([\d.]+) instead of (1/[\d,]+)", README)
    assert block is not None
    assert block.group(2) == share and f"{relu[0]['ratio']:.3g}" == block.group(1)
    assert README.count(share) == 3  # the opening, the report's row and its comment
    short = re.search(r"layer 1 gets (1/[\d.]+e\d) of the output layer's mean", README)
    assert short is not None
    mantissa, exp = short.group(1)[2:].split("e")
    assert f"{1 / rows[0]['ratio']:.1e}".replace("e+0", "e") == f"{mantissa}e{exp}"


def test_the_classic_caption() -> None:
    text = after(README, "*The classic example")
    event, total, count, first, last = re.search(
        r"at event (\d+) of (\d+).*? from its (\d+) chain-rule factors.*? falls from "
        r"(−[\d.]*\d) to (−[\d.]*\d)", text).groups()
    p = load_experiment(EXAMPLES / "classic.json").trainer().preview()
    trace = Trace(p.network.layers)
    assert len(trace) == int(total)
    # "--at backward:6": the 6th event of the backward phase is event 10 (1-based)
    start, _ = trace.phase_range("backward")
    assert start + 6 == int(event)
    rule = chain_rule(p, 1, 0, 0)
    assert len(rule.factors) == int(count)
    assert all(f.value <= 0.25 for f in rule.factors if f.kind == "dact")
    minus = str.maketrans("−", "-")
    assert rule.factors[0].running == pytest.approx(float(first.translate(minus)), abs=0.005)
    assert rule.product == pytest.approx(float(last.translate(minus)), abs=0.00005)


def test_the_comparison_figures_after_300_steps() -> None:
    text = after(README, "after 300 steps of the chain of 9")
    power = r"([\d.]+·10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
    sig, relu = re.search(rf"is {power} with sigmoid and {power} with ReLU", text).groups()
    for activation, quoted in (("sigmoid", sig), ("relu", relu)):
        trainer = example("deep-chain-sigmoid", hidden_activation=activation).trainer()
        trainer.train(300)
        g = float(np.abs(trainer.preview().grad_weights[0]).mean())
        assert f"{g:.1e}" == f"{superscript_float(quoted):.1e}", (activation, g, quoted)


def test_the_dead_relu_copy_of_the_classic_example() -> None:
    assert "the classic example's ReLU copy, whose w₂ < 0" in README
    exp = example("classic", hidden_activation="relu")
    p = exp.trainer().preview()
    assert float(p.network.weights[1][0, 0]) < 0
    assert zero_gradient_layers(p) == (1, 2, 3)


def test_the_saturated_chain() -> None:
    text = after(README, "`saturated-relu-chain.json`: ")
    hidden, weight = re.search(r"(\d+) hidden ReLU layers of weight (\d+)", text).groups()
    p = load_experiment(EXAMPLES / "saturated-relu-chain.json").trainer().preview()
    assert p.depth - 1 == int(hidden)
    assert all(a.name == "relu" for a in p.network.activations[:-1])
    assert all(np.all(w == float(weight)) for w in p.network.weights[1:])
    z = re.search(r"the inspector shows z = ([\d.]+)e(\d+)", README).groups()
    assert f"{float(p.z[-1][0, 0]):.2e}" == f"{z[0]}e+{int(z[1]):02d}"
    assert float(p.dact[-1][0, 0]) == 0.0  # "the output's σ'(z) is 0"


def test_the_circles_network_and_the_lessons_listed() -> None:
    from vanishgui.core.lesson import load_lesson

    for name, count in re.findall(r"\(`--lesson ([a-z-]+)`\), (\d+) scenes", README):
        lesson = load_lesson(ROOT / f"resources/lessons/{name}.json", EXAMPLES)
        assert len(lesson.scenes) == int(count), name
    assert "deepen the chain (2 → 5 → 10 hidden layers" in README
