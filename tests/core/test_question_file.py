"""Predict, then reveal: a scene's question is read and checked like the rest of a lesson,
every bad one is refused in one sentence naming the field, and its answer is the core's
number for the state after the scene's actions."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.diagnosis import KINDS, diagnose
from vanishgui.core.lesson import LessonError, parse_lesson
from vanishgui.core.numbers import num, ratio
from vanishgui.core.question import Choice, Quantity, Question, evaluate
from vanishgui.core.report import layer_rows

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
EXAMPLES = RESOURCES / "examples"

RATIO_CHOICES = [{"label": "less than 1/1000", "range": [0, 0.001]},
                 {"label": "1/1000 to 1/10", "range": [0.001, 0.1]},
                 {"label": "more than 1/10", "range": [0.1, None]}]


def question(**fields) -> dict:
    q = {"ask": "How much of the output's gradient reaches layer 1?", "quantity": "ratio:1",
         "choices": copy.deepcopy(RATIO_CHOICES)}
    q.update(fields)
    return q


def lesson_doc(q: dict | None = None, actions: list | None = None,
               experiment: dict | None = None) -> dict:
    """One scene on the deep sigmoid chain (10 hidden layers) that plays the backward pass."""
    scene = {"title": "Guess", "text": "Guess first.",
             "experiment": experiment or {"example": "deep-chain-sigmoid"},
             "actions": [{"do": "play", "phase": "backward"}] if actions is None else actions}
    if q is not None:
        scene["question"] = q
    return {"format": "vanishgui-lesson", "version": 1, "title": "Questions",
            "scenes": [{"title": "Start", "text": "A chain.", "experiment": {"example":
                                                                             "classic"}},
                       scene]}


def parse(doc: dict):
    return parse_lesson(doc, "q.json", RESOURCES / "lessons", EXAMPLES)


def refused(doc: dict) -> str:
    with pytest.raises(LessonError) as info:
        parse(doc)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- reading -----------------------------------------------------------------------------------


def test_a_question_is_read() -> None:
    scene = parse(lesson_doc(question())).scenes[1]
    q = scene.question
    assert q is not None
    assert q.ask == "How much of the output's gradient reaches layer 1?"
    assert q.quantity == Quantity("ratio:1", "ratio", layer=1)
    assert q.choices == (Choice("less than 1/1000", 0.0, 0.001),
                         Choice("1/1000 to 1/10", 0.001, 0.1),
                         Choice("more than 1/10", 0.1, None))
    assert parse(lesson_doc()).scenes[1].question is None


@pytest.mark.parametrize(("spec", "expected"), [
    ("loss", Quantity("loss", "loss")),
    ("grad:10", Quantity("grad:10", "grad", layer=10)),  # the output layer has a gradient
    ("ratio:9", Quantity("ratio:9", "ratio", layer=9)),
    ("finding:vanishing", Quantity("finding:vanishing", "finding", finding="vanishing")),
])
def test_every_kind_of_quantity_is_read(spec, expected) -> None:
    choices = [{"label": "yes", "is": True}, {"label": "no", "is": False}] \
        if expected.yes_no else [{"label": "small", "range": [None, 0.5]},
                                 {"label": "large", "range": [0.5, None]}]
    q = parse(lesson_doc(question(quantity=spec, choices=choices))).scenes[1].question
    assert q.quantity == expected
    if expected.yes_no:
        assert [c.is_ for c in q.choices] == [True, False]
    else:
        assert [(c.lo, c.hi) for c in q.choices] == [(None, 0.5), (0.5, None)]


def test_ranges_that_touch_and_gaps_are_allowed() -> None:
    choices = [{"label": "tiny", "range": [0, 1e-6]}, {"label": "some", "range": [1e-3, 1]}]
    q = parse(lesson_doc(question(choices=choices))).scenes[1].question
    assert len(q.choices) == 2  # a value in the gap is held by no choice


def test_a_question_after_an_auto_step_is_read() -> None:
    actions = [{"do": "deepen", "hidden_layers": [2, 5], "auto": True}]
    scene = parse(lesson_doc(question(quantity="ratio:4"), actions)).scenes[1]
    assert scene.question.quantity.layer == 4  # layer 4 exists once 5 hidden layers show
    assert scene.auto_steps == 1 and len(scene.steps) == 2


# -- refusing ----------------------------------------------------------------------------------

WHERE = "q.json: scenes[1] (“Guess”): "


@pytest.mark.parametrize(("q", "actions", "expected"), [
    (question(), [], "question: a question is answered by the scene's actions, but this "
                     "scene has no action that waits for Page Down (expected \"actions\" with "
                     "at least one that is not auto)"),
    (question(), [{"do": "play", "auto": True}],
     "question: a question is answered by the scene's actions, but this scene has no action "
     "that waits for Page Down"),
    (question(quantity="speed"),
     None, "question.quantity: expected ratio:LAYER, grad:LAYER, loss or finding:KIND, got "
           "\"speed\""),
    (question(quantity="ratio:-1"), None, "question.quantity: expected ratio:LAYER, "
                                          "grad:LAYER, loss or finding:KIND"),
    (question(quantity=3), None, "question.quantity: expected ratio:LAYER, grad:LAYER, loss "
                                 "or finding:KIND, got 3"),
    (question(quantity="ratio:10"), None,
     "question.quantity: expected ratio:LAYER with a layer before the output layer, 1 to 9, "
     "of the network [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] (experiment), got \"ratio:10\""),
    (question(quantity="grad:11"), None,
     "question.quantity: expected grad:LAYER with a layer, 1 to 10, of the network "
     "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] (experiment), got \"grad:11\""),
    (question(quantity="ratio:0"), None,
     "question.quantity: expected ratio:LAYER with a layer before the output layer, 1 to 9"),
    (question(quantity="ratio:4"), [{"do": "deepen", "hidden_layers": [5, 2]}],
     "question.quantity: expected ratio:LAYER with a layer before the output layer, 1 to 2, "
     "of the network [1, 1, 1, 1] (actions[0], 2 hidden layers), got \"ratio:4\""),
    (question(quantity="ratio:3"), [{"do": "play"}, {"do": "switch", "change": {
        "network.layers": [1, 1, 1, 1]}}],
     "question.quantity: expected ratio:LAYER with a layer before the output layer, 1 to 2, "
     "of the network [1, 1, 1, 1] (actions[1]), got \"ratio:3\""),
    (question(quantity="finding:vanishingg", choices=[{"label": "yes", "is": True},
                                                       {"label": "no", "is": False}]), None,
     f"question.quantity: expected finding:KIND with KIND one of {', '.join(KINDS)}, got "
     "\"finding:vanishingg\""),
    (question(choices=RATIO_CHOICES[:1]), None,
     "question.choices: expected a list of 2 to 4 choices, got 1"),
    (question(choices=RATIO_CHOICES * 2), None,
     "question.choices: expected a list of 2 to 4 choices, got 6"),
    (question(choices="many"), None,
     "question.choices: expected a list of 2 to 4 choices, got \"many\""),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": [0.1, 0.001]}]), None,
     "question.choices[1].range: expected a low bound below the high bound, got [0.1, 0.001]"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": [0.5, 0.5]}]), None,
     "question.choices[1].range: expected a low bound below the high bound, got [0.5, 0.5]"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": [0.5]}]), None,
     "question.choices[1].range: expected [LOW, HIGH]: two numbers, or null for no bound, "
     "got [0.5]"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": ["0.5", 1]}]), None,
     "question.choices[1].range: expected [LOW, HIGH]: two numbers, or null for no bound, "
     "got [\"0.5\", 1]"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": [True, 1]}]), None,
     "question.choices[1].range: expected [LOW, HIGH]: two numbers, or null for no bound, "
     "got [true, 1]"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": [10**400, None]}]), None,
     "question.choices[1].range: expected [LOW, HIGH]: two numbers, or null for no bound, "
     "got [1000000000"),
    (question(choices=[RATIO_CHOICES[0], {"label": "b", "range": {"lo": 1}}]), None,
     "question.choices[1].range: expected [LOW, HIGH]: two numbers, or null for no bound, "
     "got an object"),
    (question(quantity="ratio:" + "9" * 5000), None,
     "question.quantity: expected ratio:LAYER, grad:LAYER, loss or finding:KIND"),
    (question(quantity="ratio:²"), None,
     "question.quantity: expected ratio:LAYER, grad:LAYER, loss or finding:KIND"),
    (question(choices=[RATIO_CHOICES[0], "b"]), None,
     "question.choices[1]: expected a JSON object, got \"b\""),
    (question(choices=[RATIO_CHOICES[1], {"label": "b", "range": [0.05, 0.2]}]), None,
     "question.choices[1].range: [0.05, 0.2) overlaps choices[0]'s [0.001, 0.1) (expected "
     "choices that no value can fall in twice)"),
    (question(choices=[{"label": "a", "range": [None, 1]}, {"label": "b", "range": [2, None]},
                       {"label": "c", "range": [None, None]}]), None,
     "question.choices[2].range: [null, null) overlaps choices[0]'s [null, 1)"),
    (question(quantity="finding:vanishing", choices=[{"label": "yes", "is": True},
                                                      {"label": "sure", "is": True}]), None,
     "question.choices[1].is: true overlaps choices[0]'s true (expected choices that no value "
     "can fall in twice)"),
    (question(quantity="finding:vanishing"), None,
     "question.choices[0].range: finding:vanishing is yes/no, so its choices give \"is\", "
     "not \"range\""),
    (question(choices=[{"label": "yes", "is": True}, {"label": "no", "is": False}]), None,
     "question.choices[0].is: ratio:1 is a number, so its choices give \"range\", not \"is\""),
    (question(quantity="finding:plateau", choices=[{"label": "yes", "is": "yes"},
                                                    {"label": "no", "is": False}]), None,
     "question.choices[0].is: expected true or false, got \"yes\""),
    (question(choices=[{"range": [0, 1]}, RATIO_CHOICES[2]]), None,
     "question.choices[0].label: this field is required but missing"),
    (question(choices=[{"label": "", "range": [0, 0.1]}, RATIO_CHOICES[2]]), None,
     "question.choices[0].label: expected a non-empty string, got \"\""),
    (question(choices=[{"label": "a", "range": [0, 0.1], "colour": "red"},
                       RATIO_CHOICES[2]]), None,
     "question.choices[0].colour: unknown field (expected one of label, range)"),
    (question(ask=""), None, "question.ask: expected a non-empty string, got \"\""),
    (question(ask="x" * 201), None, "question.ask: expected at most 200 characters, got 201"),
    ({"ask": "What?", "quantity": "loss"}, None,
     "question.choices: this field is required but missing"),
    (question(hint="think"), None,
     "question.hint: unknown field (expected one of ask, quantity, choices)"),
    ("How much?", None, "question: expected a JSON object, got \"How much?\""),
])
def test_a_bad_question_is_refused_in_one_sentence(q, actions, expected) -> None:
    message = refused(lesson_doc(q, actions))
    assert message.startswith(WHERE + expected), message


def test_a_network_with_no_hidden_layer_has_no_ratio_to_ask_about() -> None:
    doc = lesson_doc(question(), experiment={"example": "classic",
                                             "change": {"network.layers": [1, 1]}})
    assert refused(doc) == (WHERE + "question.quantity: the network [1, 1] (experiment) has "
                                    "no layer before its output layer, got \"ratio:1\"")


# -- the answer --------------------------------------------------------------------------------


def test_a_choice_holds_its_half_open_range() -> None:
    c = Choice("1/1000 to 1/10", 0.001, 0.1)
    assert c.holds(0.001) and c.holds(0.0999) and not c.holds(0.1)
    assert not c.holds(0.0009) and not c.holds(math.nan)
    assert Choice("any", None, None).holds(-math.inf) and Choice("big", 1.0).holds(math.inf)
    yes = Choice("yes", is_=True)
    assert yes.holds(True) and not yes.holds(False) and not yes.holds(1.0)


def test_the_answer_is_the_cores_share_for_the_scene() -> None:
    scene = parse(lesson_doc(question())).scenes[1]
    p = scene.experiment.trainer().preview()  # playing a phase changes no number
    a = evaluate(scene.question, p)
    share = layer_rows(p)[0]["ratio"]
    assert a.value == share
    assert share < 0.001  # ten sigmoid layers: under 1/1000 reaches layer 1
    assert a.holder == 0
    assert a.shown == ratio(share)
    assert a.sentence == f"Layer 1's mean |∂L/∂W| is {ratio(share)} of the output layer's."


def test_with_relu_the_answer_moves_to_another_choice() -> None:
    relu = {"example": "deep-chain-sigmoid", "change": {"network.hidden_activation": "relu"}}
    scene = parse(lesson_doc(question(), experiment=relu)).scenes[1]
    p = scene.experiment.trainer().preview()
    a = evaluate(scene.question, p)
    share = layer_rows(p)[0]["ratio"]
    assert a.value == share and share > 0.1 and a.holder == 2
    times = "×" if share >= 1 else " of"
    assert a.sentence == f"Layer 1's mean |∂L/∂W| is {ratio(share)}{times} the output layer's."


def test_the_loss_after_training_is_the_trainers() -> None:
    choices = [{"label": "still above 0.01", "range": [0.01, None]},
               {"label": "below 0.01", "range": [0, 0.01]}]
    doc = lesson_doc(question(quantity="loss", choices=choices),
                     [{"do": "train", "steps": 30}])
    scene = parse(doc).scenes[1]
    trainer = scene.experiment.trainer()
    trainer.train(30)
    p = trainer.preview()
    a = evaluate(scene.question, p, trainer.history)
    assert a.value == p.loss
    assert a.holder == (0 if p.loss >= 0.01 else 1)
    assert a.sentence == f"The loss is {num(p.loss)}."


@pytest.mark.parametrize("layer", [1, 5, 10])
def test_a_layers_gradient_is_its_mean_absolute_weight_gradient(layer: int) -> None:
    choices = [{"label": "under 10⁻⁴", "range": [None, 1e-4]},
               {"label": "10⁻⁴ or more", "range": [1e-4, None]}]
    doc = lesson_doc(question(quantity=f"grad:{layer}", choices=choices))
    scene = parse(doc).scenes[1]
    p = scene.experiment.trainer().preview()
    a = evaluate(scene.question, p)
    g = float(np.abs(p.grad_weights[layer - 1]).mean())
    assert a.value == g == layer_rows(p)[layer - 1]["grad_mean_abs"]
    assert a.holder == (0 if g < 1e-4 else 1)
    name = "The output layer" if layer == 10 else f"Layer {layer}"
    assert a.sentence == f"{name}'s mean |∂L/∂W| is {num(g)}."


@pytest.mark.parametrize(("example", "found"), [("deep-chain-sigmoid", True),
                                                 ("deep-chain-relu", False)])
def test_a_finding_is_answered_by_the_diagnosis(example: str, found: bool) -> None:
    yes_no = [{"label": "yes", "is": True}, {"label": "no", "is": False}]
    doc = lesson_doc(question(quantity="finding:vanishing", choices=yes_no),
                     [{"do": "train", "steps": 5}], {"example": example})
    scene = parse(doc).scenes[1]
    trainer = scene.experiment.trainer()
    trainer.train(5)
    p = trainer.preview()
    kinds = [f.kind for f in diagnose(p, trainer.history)]
    assert ("vanishing" in kinds) is found
    a = evaluate(scene.question, p, trainer.history)
    assert a.value is found and a.holder == (0 if found else 1)
    assert a.shown == ("yes" if found else "no")
    assert a.sentence == ("The diagnosis reports “vanishing”." if found else
                          "The diagnosis does not report “vanishing”.")


def test_a_value_in_no_choice_has_no_holder() -> None:
    q = Question("Loss?", Quantity("loss", "loss"),
                 (Choice("huge", 10.0, None), Choice("tiny", None, 1e-9)))
    p = parse(lesson_doc(question())).scenes[1].experiment.trainer().preview()
    assert evaluate(q, p).holder is None
