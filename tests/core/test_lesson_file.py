"""The lesson file: the built-in lessons read, bad lessons are refused naming the scene,
and the depth table's figures are the core's."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.curves import derivative_bound
from vanishgui.core.experiment import CLASSIC, parse_experiment
from vanishgui.core.lesson import (
    PANELS,
    CompareAction,
    DeepenAction,
    LessonError,
    PlayAction,
    SwitchAction,
    TrainAction,
    depth_row,
    load_lesson,
    parse_lesson,
)
from vanishgui.core.report import layer_rows
from vanishgui.core.trace import Trace

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
EXAMPLES = RESOURCES / "examples"
LESSONS = sorted((RESOURCES / "lessons").glob("*.json"))


def lesson_doc() -> dict:
    """A small valid lesson: three scenes on the classic example and a deep chain."""
    return {
        "format": "vanishgui-lesson",
        "version": 1,
        "title": "Test lesson",
        "scenes": [
            {"title": "Start", "text": "The classic network.",
             "experiment": {"example": "classic"}, "show": {"at": "start"}},
            {"title": "Backward", "text": "Play it.", "show": {"at": "loss", "select": "1:1:1",
                                                                "panels": ["ledger", "flow"]},
             "actions": [{"do": "play", "phase": "backward"}, {"do": "train", "steps": 3}]},
            {"title": "Deeper", "text": "More layers.",
             "experiment": {"example": "deep-chain-sigmoid"},
             "show": {"at": "delta:1:1"},
             "actions": [{"do": "deepen", "hidden_layers": [2, 4], "auto": True},
                         {"do": "switch", "change": {"network.hidden_activation": "relu"}},
                         {"do": "compare", "setting": "activation",
                          "values": ["sigmoid", "tanh"]}]},
        ],
    }


def parse(doc: dict):
    return parse_lesson(doc, "test.json", RESOURCES / "lessons", EXAMPLES)


def refused(doc: dict) -> str:
    with pytest.raises(LessonError) as info:
        parse(doc)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- the built-in lessons ----------------------------------------------------------------------


def test_the_built_in_lessons() -> None:
    assert {p.stem for p in LESSONS} == {"vanishing-gradient", "initialisation", "exploding",
                                         "dying-relu", "sigmoid-output", "not-vanishing",
                                         "other-cures"}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_built_in_lesson_reads(path: Path) -> None:
    lesson = load_lesson(path, EXAMPLES)
    assert lesson.source == path.name
    titles = [s.title for s in lesson.scenes]
    assert len(set(titles)) == len(titles)
    for scene in lesson.scenes:
        sentences = len(re.findall(r"[.!?](\s|$)", scene.text))
        assert 2 <= sentences <= 4, (scene.title, sentences)
        assert scene.show.at is not None
        assert set(scene.show.panels) <= set(PANELS)


def test_the_vanishing_gradient_lesson_walks_the_arc() -> None:
    lesson = load_lesson(RESOURCES / "lessons" / "vanishing-gradient.json", EXAMPLES)
    assert 9 <= len(lesson.scenes) <= 12
    by_title = {s.title: s for s in lesson.scenes}
    depth = by_title["The product shrinks with depth"]
    (deepen,) = depth.actions
    assert isinstance(deepen, DeepenAction)
    assert deepen.hidden_layers == (2, 5, 10)
    assert [e.layers for e in deepen.experiments] == [(1,) * 4, (1,) * 7, (1,) * 12]
    assert depth.auto_steps == 1 and len(depth.steps) == 3
    kinds = {type(a) for s in lesson.scenes for a in s.actions}
    assert kinds == {PlayAction, TrainAction, DeepenAction, SwitchAction, CompareAction}
    cures = {a.experiment.hidden_activation.name for s in lesson.scenes for a in s.actions
             if isinstance(a, SwitchAction)}
    assert cures == {"tanh", "relu", "leaky_relu", "prelu", "swish", "elu", "gelu", "selu"}
    assert by_title["ReLU and friends"].experiment.hidden_activation.name == "relu"


def test_the_initialisation_lesson_starts_the_same_net_three_ways() -> None:
    lesson = load_lesson(RESOURCES / "lessons" / "initialisation.json", EXAMPLES)
    assert 3 <= len(lesson.scenes) <= 8
    schemes = [s.experiment.init for s in lesson.scenes[:3]]
    assert [i.scheme for i in schemes] == ["normal", "xavier_uniform", "he_normal"]
    assert schemes[0].param("std") == 1.0
    assert len({s.experiment.layers for s in lesson.scenes}) == 1
    assert {s.experiment.hidden_activation.name for s in lesson.scenes[:3]} == {"sigmoid"}
    # then the start each activation was made for
    pairs = {(s.experiment.hidden_activation.name, s.experiment.init.scheme)
             for s in lesson.scenes[3:]}
    assert {("tanh", "xavier_uniform"), ("relu", "he_normal"),
            ("selu", "lecun_normal")} <= pairs


# -- reading -----------------------------------------------------------------------------------


def test_a_scene_without_an_experiment_keeps_the_one_before() -> None:
    lesson = parse(lesson_doc())
    first, second, third = lesson.scenes
    assert second.experiment.layers == first.experiment.layers == (1, 1, 1, 1)
    assert second.experiment is not first.experiment  # each scene starts afresh
    assert third.experiment.depth == 10


def test_steps_and_labels() -> None:
    third = parse(lesson_doc()).scenes[2]
    assert [s.label for s in third.steps] == [
        "Deepen the chain: 2 hidden layers", "Deepen the chain: 4 hidden layers",
        "Switch the hidden layers to relu", "Compare side by side: Sigmoid, Tanh"]
    assert third.auto_steps == 1
    switch = third.actions[1]
    assert isinstance(switch, SwitchAction)
    assert switch.experiment.hidden_activation.name == "relu"
    assert switch.experiment.layers == third.experiment.layers
    compare = third.actions[2]
    assert isinstance(compare, CompareAction)
    assert compare.setting == "activation" and compare.values == ("sigmoid", "tanh")


def test_a_scene_may_name_the_finding_it_is_about() -> None:
    lesson = parse(scene_field(1, "finding", "vanishing"))
    assert lesson.scenes[1].finding == "vanishing"
    assert lesson.scenes[0].finding is None
    gradients = RESOURCES / "lessons" / "vanishing-gradient.json"
    built_in = [s.finding for s in load_lesson(gradients, EXAMPLES).scenes if s.finding]
    assert built_in == ["vanishing", "vanishing"]


def test_a_scene_may_carry_notes_for_the_presenter_view() -> None:
    lesson = parse(scene_field(1, "notes", "Ask who expects the first bar to be smallest."))
    assert lesson.scenes[1].notes == "Ask who expects the first bar to be smallest."
    assert lesson.scenes[0].notes == ""
    assert refused(scene_field(1, "notes", "x" * 2001)) == \
        "test.json: scenes[1] (“Backward”): notes: expected at most 2000 characters, got 2001"
    assert refused(scene_field(1, "notes", 7)) == \
        "test.json: scenes[1] (“Backward”): notes: expected a non-empty string, got 7"


def test_show_is_read() -> None:
    second = parse(lesson_doc()).scenes[1]
    assert second.show.panels == ("ledger", "flow")
    sel = second.show.select
    assert (sel.layer, sel.neuron, sel.source) == (1, 0, 0)
    trace = Trace((1, 1, 1, 1))
    assert second.show.at.position(trace) == trace.phase_range("loss")[1]


@pytest.mark.parametrize(("spec", "expected"), [
    ("start", lambda t: 0),
    ("end", len),
    ("forward", lambda t: t.phase_range("forward")[1]),
    ("backward", lambda t: t.phase_range("backward")[1]),
    ("backward:2", lambda t: t.phase_range("backward")[0] + 2),
    ("update:0", lambda t: t.phase_range("update")[0]),
    ("delta:2:3", lambda t: t.index_of("delta", 2, 2) + 1),
    ("gradient:1:1", lambda t: t.index_of("gradient", 1, 0) + 1),
    ("forward:2:2", lambda t: t.index_of("forward", 2, 1) + 1),
    ("update:3:1", lambda t: t.index_of("update", 3, 0) + 1),
])
def test_at_names_the_trace_position(spec, expected) -> None:
    doc = lesson_doc()
    doc["scenes"] = [{"title": "Wide", "text": "A wider net.", "show": {"at": spec},
                      "experiment": {"example": "classic",
                                     "change": {"network.layers": [1, 3, 3, 1]}}}]
    scene = parse(doc).scenes[0]
    trace = Trace(scene.experiment.layers)
    assert scene.show.at.position(trace) == expected(trace)


def test_experiments_may_be_inline_or_files_next_to_the_lesson(tmp_path: Path) -> None:
    (tmp_path / "mine.json").write_text(json.dumps(CLASSIC), encoding="utf-8")
    doc = lesson_doc()
    doc["scenes"][0]["experiment"] = {"file": "mine.json",
                                      "change": {"training.learning_rate": 0.1}}
    doc["scenes"][2]["experiment"] = copy.deepcopy(CLASSIC)
    del doc["scenes"][2]["actions"][0]  # a deepen of the classic net is fine, but not needed
    path = tmp_path / "mine-lesson.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    lesson = load_lesson(path, EXAMPLES)
    assert lesson.scenes[0].experiment.learning_rate == 0.1
    assert lesson.scenes[2].experiment.layers == (1, 1, 1, 1)


def test_a_change_of_shape_drops_the_old_weights() -> None:
    base = copy.deepcopy(CLASSIC)
    base["network"]["weights"] = [[[0.1]], [[0.2]], [[0.3]]]
    base["network"]["activations"] = ["sigmoid"] * 3
    doc = lesson_doc()
    doc["scenes"] = [{"title": "Deeper", "text": "More.", "experiment": base,
                      "show": {"at": "end"},
                      "actions": [{"do": "deepen", "hidden_layers": [5]},
                                  {"do": "switch", "change": {"network.hidden_activation":
                                                              "tanh"}}]}]
    scene = parse(doc).scenes[0]
    assert scene.experiment.weights is not None
    deepen, switch = scene.actions
    assert deepen.experiments[0].layers == (1,) * 7
    assert deepen.experiments[0].weights is None
    assert switch.experiment.hidden_activation.name == "tanh"
    assert switch.experiment.activations[0].name == "tanh"


# -- refusing bad lessons ----------------------------------------------------------------------


def scene_field(index: int, field: str, value) -> dict:
    doc = lesson_doc()
    node = doc["scenes"][index]
    *parents, last = field.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(("index", "field", "value", "expected"), [
    (1, "show.select", "5:1",
     "test.json: scenes[1] (“Backward”): show.select: expected LAYER:NEURON or "
     "LAYER:NEURON:FROM inside the network [1, 1, 1, 1] (experiment), got \"5:1\""),
    (1, "show.select", "one",
     "test.json: scenes[1] (“Backward”): show.select: expected LAYER:NEURON"),
    (1, "show.panels", ["ledger", "weights"],
     "test.json: scenes[1] (“Backward”): show.panels[1]: expected one of controls, ledger"),
    (1, "show.at", "backward:99",
     "test.json: scenes[1] (“Backward”): show.at: the backward phase of the network "
     "[1, 1, 1, 1] (experiment) has 6 events, got \"backward:99\""),
    (1, "show.at", "middle", "scenes[1] (“Backward”): show.at: expected start, end"),
    (1, "show.colour", "red", "scenes[1] (“Backward”): show.colour: unknown field"),
    (1, "actions", {"do": "play"}, "scenes[1] (“Backward”): actions: expected a list"),
    (1, "actions.0.do", "dance",
     "scenes[1] (“Backward”): actions[0].do: expected one of play, train, deepen, switch, "
     "compare, got \"dance\""),
    (1, "actions.0.phase", "sideways", "scenes[1] (“Backward”): actions[0].phase: expected one"),
    (1, "actions.0.speed", 100, "scenes[1] (“Backward”): actions[0].speed: expected a number "
                                "from 0.25 to 16 or \"instant\", got 100"),
    (1, "actions.1.steps", 0, "scenes[1] (“Backward”): actions[1].steps: expected a whole "
                              "number from 1 to 100000, got 0"),
    (1, "actions.1.steps", ..., "scenes[1] (“Backward”): actions[1].steps: this field is "
                                "required but missing"),
    (1, "actions.1.auto", True, "scenes[1] (“Backward”): actions[1].auto: actions that run by "
                                "themselves (auto) must come before the others"),
    (1, "text", "", "scenes[1] (“Backward”): text: expected a non-empty string"),
    (1, "title", ..., "scenes[1] (untitled): title: this field is required but missing"),
    (1, "title", "x" * 81, "scenes[1] (“" + "x" * 40 + "…”): title: expected at most 80"),
    (2, "actions.0.hidden_layers", [2, 64],
     "scenes[2] (“Deeper”): actions[0].hidden_layers[1]: expected a whole number from 1 "
     "to 63, got 64"),
    (2, "actions.1.change", {"network.hidden_activation": "sigmoidd"},
     "test.json: scenes[2] (“Deeper”): actions[1].change: network.hidden_activation: "
     "unknown activation 'sigmoidd'"),
    (2, "actions.1.change", {"colour": "red"},
     "scenes[2] (“Deeper”): actions[1].change.colour: expected a field such as"),
    (2, "actions.2.setting", "colour",
     "test.json: scenes[2] (“Deeper”): actions[2]: setting: expected one of activation, init"),
    (2, "actions.2.values", ["sigmoid", "nope"],
     "test.json: scenes[2] (“Deeper”): actions[2]: values[1]: unknown activation 'nope'"),
    (2, "actions.2.values", ["sigmoid"],
     "scenes[2] (“Deeper”): actions[2]: values: expected a list of 2 to 4 values"),
    (2, "actions.2.values", "relu",
     "scenes[2] (“Deeper”): actions[2].values: expected a list of values, got \"relu\""),
    (2, "experiment", {"example": "nowhere"},
     "scenes[2] (“Deeper”): experiment.example: no built-in example \"nowhere\" (expected "
     "one of classic, deep-chain-relu"),
    (2, "experiment", {"example": "classic", "file": "x.json"},
     "scenes[2] (“Deeper”): experiment: expected exactly one of \"example\""),
    (2, "experiment", {"file": "missing.json"},
     "scenes[2] (“Deeper”): experiment.file: no file \"missing.json\" next to the lesson"),
    (2, "experiment", {"example": "classic", "change": {"network.layers": [1]}},
     "test.json: scenes[2] (“Deeper”): experiment: network.layers: expected at least 2 sizes"),
    (2, "show.at", "delta:5:1",
     "scenes[2] (“Deeper”): show.at: expected delta:LAYER:NEURON inside the network "
     "[1, 1, 1, 1] (actions[0], 2 hidden layers), got \"delta:5:1\""),
    (0, "experiment", ..., "test.json: scenes[0] (“Start”): experiment: the first scene must "
                           "name an experiment"),
    (1, "finding", "vanishingg",
     "test.json: scenes[1] (“Backward”): finding: expected one of diverged, "
     "saturated-output, vanishing, exploding, dead-units, tiny-steps, plateau, got "
     "\"vanishingg\""),
    (1, "finding", ["vanishing"], "scenes[1] (“Backward”): finding: expected one of"),
])
def test_a_bad_scene_is_refused_naming_its_index_title_and_field(index, field, value,
                                                                  expected) -> None:
    message = refused(scene_field(index, field, value))
    assert expected in message
    assert message.startswith("test.json: ")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("format", "vanishgui-experiment",
     "test.json: format: expected \"vanishgui-lesson\", got \"vanishgui-experiment\""),
    ("version", 2, "test.json: version: expected 1, got 2"),
    ("scenes", [], "test.json: scenes: expected a list of 1 to 200 scenes, got 0"),
    ("title", None, "test.json: title: expected a non-empty string, got null"),
    ("author", "me", "test.json: author: unknown field"),
])
def test_a_bad_lesson_is_refused_naming_the_field(field, value, expected) -> None:
    doc = lesson_doc()
    doc[field] = value
    assert expected in refused(doc)


def test_a_scene_that_is_not_an_object_is_refused() -> None:
    doc = lesson_doc()
    doc["scenes"][1] = "Backward"
    assert refused(doc) == "test.json: scenes[1] (untitled): expected a JSON object, got " \
                           "\"Backward\""


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\"format\": ", encoding="utf-8")
    with pytest.raises(LessonError, match=r"^bad\.json: not valid JSON \(line 1"):
        load_lesson(bad, EXAMPLES)
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LessonError, match="not a text file"):
        load_lesson(bad, EXAMPLES)
    with pytest.raises(LessonError, match="is a folder"):
        load_lesson(tmp_path, EXAMPLES)
    with pytest.raises(LessonError, match="cannot be read"):
        load_lesson(tmp_path / "missing.json", EXAMPLES)


# -- the depth table ---------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [1, 2, 5, 10])
def test_depth_row_is_the_cores_figures(hidden: int) -> None:
    doc = json.loads((EXAMPLES / "deep-chain-sigmoid.json").read_text(encoding="utf-8"))
    doc["network"]["layers"] = [1] * (hidden + 2)
    exp = parse_experiment(doc)
    p = exp.trainer().preview()
    row = depth_row(p)
    assert row.hidden_layers == hidden
    assert row.max_derivative == 0.25
    assert row.bound == 0.25**hidden == derivative_bound(exp.activations[:-1]).product
    z = [p.z[i][0, 0] for i in range(hidden)]
    sig = [1 / (1 + math.exp(-v)) for v in z]
    assert row.product == pytest.approx(np.prod([s * (1 - s) for s in sig]), rel=1e-12)
    assert row.product <= row.bound
    assert row.ratio == layer_rows(p)[0]["ratio"]


def test_depth_row_of_a_wide_net_has_no_chain_product() -> None:
    init = RESOURCES / "lessons" / "initialisation.json"
    exp = load_lesson(init, EXAMPLES).scenes[0].experiment  # the circles net, 8 wide
    row = depth_row(exp.trainer().preview())
    assert row.product is None and row.hidden_layers == exp.depth - 1
