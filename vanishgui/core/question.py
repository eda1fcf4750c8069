"""Predict, then reveal: a lesson scene's question, and its answer read from the core.

A scene may ask the class to guess a quantity before its actions run (``"question"`` in a
lesson file, described in ``resources/lessons/README.md``): layer L's share of the output
layer's gradient (``ratio:L``), layer L's gradient (``grad:L``), the loss (``loss``), or
whether the diagnosis reports a finding (``finding:KIND``). Each choice is a half-open
range [lo, hi) or a yes/no. :func:`read_question` checks one as the lesson reader checks
every field; :func:`evaluate` reads the true value from a pass (and the history behind
it) and says which choice holds it. Gradients are measured as everywhere else in the app:
a layer's mean |∂L/∂W| (:func:`vanishgui.core.report.layer_rows`). Numpy only, as all of
:mod:`vanishgui.core`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .diagnosis import KINDS, Finding, diagnose
from .experiment import Experiment
from .jsonfile import E, Fields, show_sizes, show_value
from .network import Pass
from .numbers import num, ratio
from .report import layer_rows
from .training import History

QUANTITIES = ("ratio", "grad", "loss", "finding")
MIN_CHOICES, MAX_CHOICES = 2, 4
MAX_ASK = 200  # characters of the question
MAX_LABEL = 80  # characters of a choice


@dataclass(frozen=True)
class Quantity:
    """What the class guesses: ``kind`` one of QUANTITIES; ``layer`` (1-based) for ratio
    and grad, ``finding`` (a diagnosis kind) for finding."""

    spec: str  # as the file wrote it: "ratio:1"
    kind: str
    layer: int = 0
    finding: str = ""

    @property
    def yes_no(self) -> bool:
        return self.kind == "finding"


@dataclass(frozen=True)
class Choice:
    """One answer: the range [lo, hi) (None: unbounded) or, for a yes/no quantity, ``is_``."""

    label: str
    lo: float | None = None
    hi: float | None = None
    is_: bool | None = None

    def holds(self, value: float | bool) -> bool:
        if self.is_ is not None:
            return isinstance(value, bool) and value == self.is_
        if isinstance(value, bool) or math.isnan(value):
            return False
        return (self.lo is None or value >= self.lo) and (self.hi is None or value < self.hi)


@dataclass(frozen=True)
class Question:
    ask: str
    quantity: Quantity
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Answer:
    """The true value after the scene's actions, as a number (or yes/no) and as shown,
    the choice that holds it (0-based; None if none does) and a sentence saying what it is."""

    value: float | bool
    shown: str
    holder: int | None
    sentence: str


# -- evaluating ----------------------------------------------------------------------------


def value_of(q: Quantity, p: Pass, history: History | None = None,
             findings: list[Finding] | None = None) -> float | bool:
    """The quantity's true value for a pass (and the history that led to it). ``findings``
    may pass ``diagnose(p, history)`` already worked out."""
    if q.kind == "loss":
        return float(p.loss)
    if q.kind == "finding":
        found = diagnose(p, history) if findings is None else findings
        return any(f.kind == q.finding for f in found)
    row = layer_rows(p)[q.layer - 1]
    return float(row["ratio"] if q.kind == "ratio" else row["grad_mean_abs"])


def evaluate(question: Question, p: Pass, history: History | None = None,
             findings: list[Finding] | None = None) -> Answer:
    """The answer to ``question`` for the pass shown after the scene's actions."""
    q = question.quantity
    value = value_of(q, p, history, findings)
    holders = [i for i, c in enumerate(question.choices) if c.holds(value)]
    holder = holders[0] if holders else None  # ranges never overlap: at most one
    if isinstance(value, bool):
        shown = "yes" if value else "no"
        verb = "reports" if value else "does not report"
        sentence = f"The diagnosis {verb} “{q.finding}”."
    elif q.kind == "ratio":
        shown = ratio(value)
        times = "×" if value >= 1 else " of"
        sentence = (f"Layer {q.layer}'s mean |∂L/∂W| is {shown}{times} the output layer's."
                    if math.isfinite(value) else
                    f"Layer {q.layer}'s share has no value: the output layer's mean |∂L/∂W| "
                    f"is {num(float(layer_rows(p)[-1]['grad_mean_abs']))}.")
    elif q.kind == "grad":
        shown = num(value)
        name = "The output layer" if q.layer == p.depth else f"Layer {q.layer}"
        sentence = f"{name}'s mean |∂L/∂W| is {shown}."
    else:
        shown = num(value)
        sentence = f"The loss is {shown}."
    return Answer(value, shown, holder, sentence)


# -- reading -------------------------------------------------------------------------------


def read_quantity(r: Fields[E], value: Any, field: str, after: tuple[str, Experiment]) -> Quantity:
    """``ratio:L``, ``grad:L``, ``loss`` or ``finding:KIND``; a layer must be in the
    network shown once the scene's actions have run (``after``: where it comes from, it)."""
    # the kinds are listed only once "finding:" is given: with them, a long scene title
    # and a quoted value the sentence ran past the 300 characters a message may have
    expect = "expected ratio:LAYER, grad:LAYER, loss or finding:KIND"
    if not isinstance(value, str):
        raise r.fail(field, f"{expect}, got {show_value(value)}")
    head, _, rest = value.partition(":")
    if head == "loss" and value == "loss":
        return Quantity(value, "loss")
    if head == "finding" and rest:
        if rest not in KINDS:
            raise r.fail(field, f"expected finding:KIND with KIND one of {', '.join(KINDS)}, "
                                f"got {show_value(value)}")
        return Quantity(value, "finding", finding=rest)
    # ASCII digits only (no sign, space or "²"), few enough for int() to take
    if head not in ("ratio", "grad") or not (rest.isascii() and rest.isdigit()) \
            or len(rest) > 9:
        raise r.fail(field, f"{expect}, got {show_value(value)}")
    layer = int(rest)
    where, exp = after
    # ratio: a layer's share of the output layer's, so the output layer itself is left out
    top = exp.depth - 1 if head == "ratio" else exp.depth
    if not 1 <= layer <= top:
        sizes = show_sizes(exp.layers)
        if top < 1:
            raise r.fail(field, f"the network {sizes} ({where}) has no layer before its "
                                f"output layer, got {show_value(value)}")
        what = "a layer before the output layer" if head == "ratio" else "a layer"
        raise r.fail(field, f"expected {head}:LAYER with {what}, 1 to {top}, of the network "
                            f"{sizes} ({where}), got {show_value(value)}")
    return Quantity(value, head, layer=layer)


def read_question(r: Fields[E], raw: Any, field: str, after: tuple[str, Experiment],
                  waiting_steps: int) -> Question:
    """A scene's ``question``; ``waiting_steps`` is how many of its steps wait for Page
    Down (the question is asked before the first of them and answered after the last)."""
    if waiting_steps == 0:
        raise r.fail(field, "a question is answered by the scene's actions, but this scene "
                            "has no action that waits for Page Down (expected \"actions\" "
                            "with at least one that is not auto)")
    spec = r.obj(raw, field, ("ask", "quantity", "choices"), ("ask", "quantity", "choices"))
    ask = r.text(spec["ask"], f"{field}.ask", MAX_ASK)
    quantity = read_quantity(r, spec["quantity"], f"{field}.quantity", after)
    raw_choices = spec["choices"]
    if not isinstance(raw_choices, list) or not MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES:
        got = f"{len(raw_choices)}" if isinstance(raw_choices, list) else \
            show_value(raw_choices)
        raise r.fail(f"{field}.choices", f"expected a list of {MIN_CHOICES} to {MAX_CHOICES} "
                                         f"choices, got {got}")
    choices = tuple(_choice(r, c, f"{field}.choices[{k}]", quantity)
                    for k, c in enumerate(raw_choices))
    for k, c in enumerate(choices):
        for j in range(k):
            if _overlap(choices[j], c):
                key = "is" if quantity.yes_no else "range"
                raise r.fail(f"{field}.choices[{k}].{key}",
                             f"{_show_choice(c)} overlaps choices[{j}]'s {_show_choice(choices[j])}"
                             " (expected choices that no value can fall in twice)")
    return Question(ask, quantity, choices)


def _choice(r: Fields[E], raw: Any, field: str, quantity: Quantity) -> Choice:
    key = "is" if quantity.yes_no else "range"
    other = "range" if quantity.yes_no else "is"
    if isinstance(raw, Mapping) and other in raw:
        kind = "yes/no" if quantity.yes_no else "a number"
        raise r.fail(f"{field}.{other}", f"{quantity.spec} is {kind}, so its choices give "
                                         f"\"{key}\", not \"{other}\"")
    spec = r.obj(raw, field, ("label", key), ("label", key))
    label = r.text(spec["label"], f"{field}.label", MAX_LABEL)
    if quantity.yes_no:
        return Choice(label, is_=r.flag(spec["is"], f"{field}.is"))
    bounds = spec["range"]
    expect = "expected [LOW, HIGH]: two numbers, or null for no bound"
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise r.fail(f"{field}.range", f"{expect}, got {_show_bounds(bounds)}")
    lo, hi = (_bound(b) for b in bounds)
    if any(b is not None and math.isnan(b) for b in (lo, hi)):
        raise r.fail(f"{field}.range", f"{expect}, got {_show_bounds(bounds)}")
    if lo is not None and hi is not None and lo >= hi:
        raise r.fail(f"{field}.range", f"expected a low bound below the high bound, got "
                                       f"{_show_bounds(bounds)}")
    return Choice(label, lo, hi)


def _bound(value: Any) -> float | None:
    """A range's end as a float, None for null, NaN for anything else (a string, true,
    a number too large for a float)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    try:
        number = float(value)
    except OverflowError:  # an integer of 400 digits
        return math.nan
    return number if math.isfinite(number) else math.nan


def _overlap(a: Choice, b: Choice) -> bool:
    if a.is_ is not None or b.is_ is not None:
        return a.is_ == b.is_
    lo = max(-math.inf if a.lo is None else a.lo, -math.inf if b.lo is None else b.lo)
    hi = min(math.inf if a.hi is None else a.hi, math.inf if b.hi is None else b.hi)
    return lo < hi


def _show_bounds(bounds: Any) -> str:
    if isinstance(bounds, list) and len(bounds) <= 4:
        return f"[{', '.join(show_value(b) for b in bounds)}]"
    return show_value(bounds)


def _show_choice(c: Choice) -> str:
    if c.is_ is not None:
        return show_value(c.is_)
    return f"[{_show_bound(c.lo)}, {_show_bound(c.hi)})"


def _show_bound(x: float | None) -> str:
    return "null" if x is None else f"{x:g}"


__all__ = ["QUANTITIES", "Answer", "Choice", "Quantity", "Question", "evaluate",
           "read_quantity", "read_question", "value_of"]
