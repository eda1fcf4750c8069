"""Hostile input: every field of every file format given a value of the wrong type, huge
values, and keys no one would type, each refused in one short sentence of the format's own
error (or, where the value happens to be right, read) and never with another exception."""

from __future__ import annotations

import copy
import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    EXAMPLES,
    FORMATS,
    LESSONS,
    assert_one_sentence,
    field_paths,
    get,
    lesson_docs,
    names_of,
    object_paths,
    outcome,
    render,
    replaced,
)

from vanishgui.core.experiment import CLASSIC, ExperimentError, load_experiment, parse_experiment
from vanishgui.core.jsonfile import SHOW_CHARS
from vanishgui.core.lesson import LessonError, load_lesson, parse_lesson
from vanishgui.core.report import main as report_main

# A value of each JSON type: every field gets each one in turn.
WRONG_TYPES: dict[str, Any] = {
    "list": [1, "x"], "dict": {"x": 1}, "string": "x", "number": 2, "bool": True,
    "null": None,
}


def _walk_cases() -> list[Any]:
    cases = []
    for kind, (_, _, docs) in FORMATS.items():
        for name, doc in docs().items():
            for path in field_paths(doc):
                cases.append(pytest.param(kind, name, path,
                                          id=f"{kind}:{name}:{render(path) or '(whole)'}"))
    return cases


@pytest.mark.parametrize(("kind", "name", "path"), _walk_cases())
def test_every_field_of_the_wrong_type_is_one_sentence_naming_it(kind: str, name: str,
                                                                  path: tuple) -> None:
    """The schema, field by field: a list, an object, a string, a number, true and null in
    place of each field of a valid file give the format's one-sentence error naming the
    field (and in a lesson the scene), or a valid object."""
    error, parse, docs = FORMATS[kind]
    doc = docs()[name]
    for type_name, value in WRONG_TYPES.items():
        message = outcome(partial(parse, replaced(doc, path, value), name), error)
        if message is None:
            continue
        # A value of the right type (a number for a layer size) may make another field
        # wrong (the data no longer fits): that field is named instead.
        same_type = json_type(value) == json_type(get(doc, path))
        for needed in [name, *([] if same_type else names_of(kind, path))]:
            assert needed in message, (type_name, needed, message)


def json_type(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    return "number" if isinstance(value, (int, float)) else type(value).__name__


# -- the two reported crashes -----------------------------------------------------------------


def _vanishing() -> dict[str, Any]:
    return lesson_docs()["vanishing-gradient.json"]


def test_a_do_that_is_a_list_names_the_scene_and_field() -> None:
    doc = _vanishing()
    doc["scenes"][1]["actions"][0]["do"] = ["play"]  # was: TypeError: unhashable type: 'list'
    with pytest.raises(LessonError) as info:
        parse_lesson(doc, "v.json", LESSONS, EXAMPLES)
    message = str(info.value)
    assert_one_sentence(message)
    assert message.startswith("v.json: scenes[1] (“Forward pass”): actions[0].do: expected one "
                              "of play, train, deepen, switch, compare, got a list"), message


@pytest.mark.parametrize("key", ["file", "example"])
def test_a_file_name_over_255_bytes_names_the_scene_and_field(tmp_path: Path, key: str) -> None:
    """Was: OSError: File name too long (for "file")."""
    lesson = tmp_path / "long.lesson.json"
    doc = _vanishing()
    doc["scenes"][0]["experiment"] = {key: "é" * 200}  # 400 bytes
    lesson.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(lesson, EXAMPLES)
    message = str(info.value)
    assert_one_sentence(message)
    assert message.startswith(f"long.lesson.json: scenes[0] (“A tiny network”): experiment.{key}:")
    assert '"' + "é" * (SHOW_CHARS - 1) + "…" in message


@pytest.mark.parametrize("name", ["a\0b.json", "sub/../../../../x.json", "", " ", "/"])
def test_an_unusable_file_name_is_one_sentence(tmp_path: Path, name: str) -> None:
    doc = _vanishing()
    doc["scenes"][0]["experiment"] = {"file": name}
    with pytest.raises(LessonError) as info:
        parse_lesson(doc, "v.json", tmp_path, EXAMPLES)
    assert_one_sentence(str(info.value))
    assert "scenes[0]" in str(info.value) and "experiment.file" in str(info.value)


def test_a_file_named_by_the_lesson_with_a_long_name_is_quoted_short(tmp_path: Path) -> None:
    long_name = "n" * 240 + ".json"
    (tmp_path / long_name).write_text("[1]", encoding="utf-8")
    doc = _vanishing()
    doc["scenes"][0]["experiment"] = {"file": long_name}
    with pytest.raises(LessonError) as info:
        parse_lesson(doc, "v.json", tmp_path, EXAMPLES)
    assert_one_sentence(str(info.value))
    assert "experiment.file" in str(info.value)


def test_deeply_nested_values_in_a_lesson_are_one_sentence() -> None:
    """Just inside what the JSON reader takes; copying it must not overflow the stack."""
    nested: Any = 1
    for _ in range(900):
        nested = [nested]
    for where in ("inline", "change"):
        doc = _vanishing()
        if where == "inline":
            experiment = copy.deepcopy(CLASSIC)
            experiment["network"]["layers"] = nested
        else:
            experiment = {"example": "classic", "change": {"network.layers": nested}}
        doc["scenes"][0]["experiment"] = experiment
        text = json.dumps(doc)
        message = outcome(lambda t=text: parse_lesson(json.loads(t), "v.json", LESSONS,
                                                      EXAMPLES), LessonError)
        assert message is not None and "scenes[0]" in message, where


# -- messages stay one short sentence -----------------------------------------------------------

HUGE_NUMBER = int("9" * 4300)  # the most digits Python's JSON reader takes
HUGE_VALUES: dict[str, Any] = {
    "1 MB string": "x" * 1_000_000,
    "string with line breaks": "a\nb\r\nc\x00d\u2028e" * 50,
    "4300 digits": HUGE_NUMBER,
    "-4300 digits": -HUGE_NUMBER,
    "1e308": 1e308,
    "nan": float("nan"),
    "-inf": float("-inf"),
    "long list": list(range(20_000)),
    "object with odd keys": {"k\n" * 1000: "v\r" * 1000},
}
ODD_KEYS = ["a\nb", "\r", "\x00", "\n", "k" * 10_000 + "\n", "\u2028", "\x85x", "é" * 500]


def test_a_1_mb_activation_name_is_quoted_short() -> None:
    doc = copy.deepcopy(CLASSIC)
    doc["network"]["hidden_activation"] = "x" * 1_000_000  # was echoed back whole
    with pytest.raises(ExperimentError) as info:
        parse_experiment(doc, "e.json")
    message = str(info.value)
    assert_one_sentence(message)
    assert message.startswith("e.json: network.hidden_activation:") and "xxx…" in message


@pytest.mark.parametrize("field", ["network.init.seed", "data.seed"])
def test_a_4300_digit_seed_is_quoted_short(field: str) -> None:
    doc = load_json(EXAMPLES / "deep-sigmoid-circles.json")
    section, *rest = field.split(".")
    node = doc[section]
    for key in rest[:-1]:
        node = node[key]
    node[rest[-1]] = HUGE_NUMBER  # was a 4,423-byte message
    with pytest.raises(ExperimentError) as info:
        parse_experiment(doc, "e.json")
    assert_one_sentence(str(info.value))
    assert "9" * (SHOW_CHARS - 1) + "…" in str(info.value)


# Where a comparison's value may hide a huge value: in place of it, or inside it.
VALUE_SPOTS: dict[str, list[Any]] = {
    "activation": ["@", {"name": "@"}, {"name": "elu", "alpha": "@"}, {"name": "elu", "@": 1}],
    "init": ["@", {"scheme": "@"}, {"scheme": "normal", "std": "@"},
             {"scheme": "normal", "seed": "@"}, {"scheme": "normal", "@": 1}],
    "optimizer": ["@", {"name": "@"}, {"name": "adam", "learning_rate": "@"},
                  {"name": "sgd", "momentum": "@"}, {"name": "sgd", "@": 1}],
    "depth": ["@"],
}


def _put(spot: Any, value: Any) -> Any:
    """The spot with "@" (a value or a key) replaced by ``value``."""
    if spot == "@":
        return value
    if isinstance(value, str) and "@" in spot:  # as a key: only a string can be one
        return {(value if k == "@" else k): v for k, v in spot.items()}
    return {k: (value if v == "@" else v) for k, v in spot.items()}


@pytest.mark.parametrize("setting", list(VALUE_SPOTS))
@pytest.mark.parametrize("value", list(HUGE_VALUES), ids=list(HUGE_VALUES))
def test_a_huge_comparison_value_is_quoted_short(setting: str, value: str) -> None:
    error, parse, docs = FORMATS["comparison"]
    doc = docs()[f"{setting}.comparison.json"]
    for spot in VALUE_SPOTS[setting]:
        doc["values"][1] = _put(spot, HUGE_VALUES[value])
        outcome(partial(parse, copy.deepcopy(doc), "c.json"), error)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("value", list(HUGE_VALUES), ids=list(HUGE_VALUES))
def test_a_huge_value_in_any_field_is_quoted_short(kind: str, value: str) -> None:
    error, parse, docs = FORMATS[kind]
    for name, doc in docs().items():
        for path in field_paths(doc):
            if path:
                outcome(partial(parse, replaced(doc, path, HUGE_VALUES[value]), name), error)


@pytest.mark.parametrize("kind", list(FORMATS))
def test_odd_keys_anywhere_stay_on_one_short_line(kind: str) -> None:
    """A key with a line break, a carriage return, a NUL, ... added to every object, and
    put in place of every key (at its start, middle and end)."""
    error, parse, docs = FORMATS[kind]
    for name, doc in docs().items():
        for path in object_paths(doc):
            obj = get(doc, path)
            for odd in ODD_KEYS:
                outcome(partial(parse, replaced(doc, path, {**obj, odd: 1}), name), error)
            for key in obj:
                for at in (0, len(key) // 2, len(key)):
                    for odd in ("\n", "\r", "\x00"):
                        renamed = {(k[:at] + odd + k[at:] if k == key else k): v
                                   for k, v in obj.items()}
                        outcome(partial(parse, replaced(doc, path, renamed), name), error)


@pytest.mark.parametrize(("title", "field"), [
    ("Two\nlines", "show.select"), ("x" + "\r\n" * 30 + "y", "show.select"),
    ("x\x00y", "show.select"), ("t" * 80, "show.select"), ("t" * 1_000_000, "title"),
    ("x" + "\n" * 1_000_000 + "y", "title"),
], ids=["line break", "CR LF", "NUL", "80 characters", "1 MB", "1 MB of line breaks"])
def test_a_scene_title_stays_on_one_short_line(title: str, field: str) -> None:
    doc = _vanishing()
    doc["scenes"][1]["title"] = title
    doc["scenes"][1]["show"]["select"] = "9:" + "9" * 4000  # an error after the title
    message = outcome(lambda: parse_lesson(doc, "v.json", LESSONS, EXAMPLES), LessonError)
    assert message is not None and "scenes[1]" in message and f": {field}: " in message


def test_a_lesson_change_key_that_is_huge_or_odd_stays_on_one_short_line() -> None:
    for key in ("network." + "x" * 100_000 + ".y", "network.a\nb.c", "x" * 100_000,
                "network.init.\n" * 1000):
        doc = _vanishing()
        doc["scenes"][0]["experiment"] = {"example": "classic", "change": {key: 1}}
        message = outcome(lambda d=doc: parse_lesson(d, "v.json", LESSONS, EXAMPLES),
                          LessonError)
        assert message is not None and "experiment.change" in message


def test_a_huge_steps_value_is_one_sentence_in_the_report(tmp_path: Path) -> None:
    for argv in (["--steps", "9" * 100_000], ["--steps", "x\ny" * 1000],
                 ["--wrong", "a" * 100_000], ["b" * 100_000, "c\n" * 1000]):
        out, err = io.StringIO(), io.StringIO()
        code = report_main([str(EXAMPLES / "classic.json"), *argv], stdout=out, stderr=err)
        assert code == 2 and out.getvalue() == ""
        text = err.getvalue()
        assert text.endswith("\n") and text.count("\n") == 1, text[:300]
        assert_one_sentence(text[:-1])


def test_report_messages_quote_a_huge_value_short(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # named "e.json": the message's length is the loader's doing
    path = Path("e.json")
    doc = copy.deepcopy(CLASSIC)
    doc["network"]["hidden_activation"] = "y\n" * 500_000
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ExperimentError):
        load_experiment(path)
    err = io.StringIO()
    assert report_main([str(path)], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().count("\n") == 1
    assert_one_sentence(err.getvalue()[:-1])
