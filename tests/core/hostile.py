"""What the hostile-input tests share: valid documents of each file format, a walk over
every field of a document, and the check that an error is one short sentence.

Not a test module itself: the test files next to it import it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vanishgui.core.compare import ComparisonError, make_comparison, parse_comparison
from vanishgui.core.experiment import CLASSIC, ExperimentError, load_experiment, parse_experiment
from vanishgui.core.lesson import LessonError, parse_lesson

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
EXAMPLES = RESOURCES / "examples"
LESSONS = RESOURCES / "lessons"
MAX_MESSAGE = 300  # characters in one error message, at most

# A field's path in a document: object keys and list indices from the top.
FieldPath = tuple[str | int, ...]


# -- valid documents ---------------------------------------------------------------------


def lesson_docs() -> dict[str, Any]:
    """The shipped lessons, by file name."""
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(LESSONS.glob("*.json"))}


def explicit_experiment_doc() -> dict[str, Any]:
    """An experiment with every optional part given: per-layer activations (objects, a
    PReLU), an initialiser with parameters, weights, biases and slopes."""
    doc = copy.deepcopy(CLASSIC)
    doc["network"]["activations"] = ["prelu", {"name": "leaky_relu", "negative_slope": 0.1},
                                     "sigmoid"]
    doc["network"]["init"] = {"scheme": "normal", "std": 0.5, "seed": 3}
    doc["training"].update(optimizer="sgd", momentum=0.5, batch_size=1)
    exp = parse_experiment(doc)
    return exp.with_parameters(exp.build_network()).to_json()


def experiment_docs() -> dict[str, Any]:
    """The shipped examples and one experiment with every optional field, by name."""
    docs = {p.name: json.loads(p.read_text("utf-8")) for p in sorted(EXAMPLES.glob("*.json"))}
    docs["explicit.json"] = explicit_experiment_doc()
    return docs


def comparison_docs() -> dict[str, Any]:
    """One comparison per setting, made with core.compare, by name."""
    chain = load_experiment(EXAMPLES / "deep-chain-sigmoid.json")
    made = {
        "activation": make_comparison(chain, "activation",
                                      ["sigmoid", "relu", {"name": "elu", "alpha": 0.5}]),
        "init": make_comparison(chain, "init", ["xavier_uniform",
                                                {"scheme": "normal", "std": 1.0, "seed": 2}]),
        "depth": make_comparison(chain, "depth", [2, 5]),
        "optimizer": make_comparison(chain, "optimizer",
                                     ["sgd", {"name": "adam", "learning_rate": 0.01}]),
    }
    return {f"{setting}.comparison.json": c.to_json() for setting, c in made.items()}


# -- the loaders, in memory --------------------------------------------------------------


def parse_lesson_doc(doc: Any, name: str = "lesson.json") -> object:
    return parse_lesson(doc, name, LESSONS, EXAMPLES)


def parse_experiment_doc(doc: Any, name: str = "experiment.json") -> object:
    return parse_experiment(doc, name)


def parse_comparison_doc(doc: Any, name: str = "comparison.json") -> object:
    return parse_comparison(doc, name)


# format: (its error class, the in-memory parser, the valid documents)
FORMATS: dict[str, tuple[type[ValueError], Callable[[Any, str], object],
                         Callable[[], dict[str, Any]]]] = {
    "lesson": (LessonError, parse_lesson_doc, lesson_docs),
    "experiment": (ExperimentError, parse_experiment_doc, experiment_docs),
    "comparison": (ComparisonError, parse_comparison_doc, comparison_docs),
}


# -- walking a document ------------------------------------------------------------------


def field_paths(doc: Any, path: FieldPath = ()) -> Iterator[FieldPath]:
    """Every field of ``doc``, the document itself first, parents before children."""
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from field_paths(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from field_paths(value, (*path, i))


def object_paths(doc: Any) -> Iterator[FieldPath]:
    """The paths of every JSON object in ``doc``."""
    for path in field_paths(doc):
        if isinstance(get(doc, path), dict):
            yield path


def get(doc: Any, path: FieldPath) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def replaced(doc: Any, path: FieldPath, value: Any) -> Any:
    """A copy of ``doc`` with the field at ``path`` set to ``value``."""
    if not path:
        return copy.deepcopy(value)
    out = copy.deepcopy(doc)
    get(out, path[:-1])[path[-1]] = copy.deepcopy(value)
    return out


def render(path: FieldPath) -> str:
    """'network.layers[2]', as the error messages name a field."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def names_of(kind: str, path: FieldPath) -> list[str]:
    """What an error about the field at ``path`` must name: the top field it is in and,
    in a lesson's scene, the scene and the scene's field."""
    if not path:
        return []
    if kind == "lesson" and path[0] == "scenes" and len(path) >= 2:
        scene = f"scenes[{path[1]}]"
        return [scene] if len(path) == 2 else [scene, render(path[2:3])]
    return [render(path[:1])]


# -- the check ---------------------------------------------------------------------------


def assert_one_sentence(message: str) -> None:
    """One line (nothing a dialog or a terminal would break or hide), at most MAX_MESSAGE
    characters."""
    assert message.isprintable(), repr(message[:400])
    assert len(message) <= MAX_MESSAGE, (len(message), message[:400])


def outcome(parse: Callable[[], object], error: type[ValueError]) -> str | None:
    """The error message of ``parse()`` (None for a valid document); any exception other
    than ``error`` itself fails the test, with the exception as the reason."""
    try:
        parse()
    except error as e:
        assert type(e) is error, f"{type(e).__name__} (a subclass), not {error.__name__}: {e}"
        message = str(e)
        assert_one_sentence(message)
        return message
    return None
