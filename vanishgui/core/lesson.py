"""The lesson file: a guided tour of scenes, each a piece of text and an experiment to show.

:func:`load_lesson` reads and checks a lesson (the format is described in
``resources/lessons/README.md``) and returns the frozen dataclasses of
:mod:`vanishgui.core.scene`, which the app plays back. Every problem becomes one
:class:`LessonError` sentence that names the file, the scene (its index in ``scenes`` and
its title) and the field, e.g. ``my.json: scenes[3] ("The loss"): show.select: expected …``.
Experiments inside a scene are checked by the core's own
:func:`~vanishgui.core.experiment.parse_experiment` (and comparisons by
:func:`~vanishgui.core.compare.make_comparison`), so a lesson can never show a network the
app would refuse to open. Like all of ``vanishgui.core`` this module never imports Qt.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .compare import ComparisonError, make_comparison
from .diagnosis import KINDS
from .experiment import Experiment, ExperimentError, parse_experiment
from .jsonfile import Fields, clip, display_name, join_field, read_json, show_sizes, show_value
from .network import MAX_WEIGHT_LAYERS
from .question import Question, read_question
from .scene import (
    EVENT_KINDS,
    PANELS,
    PLAY_PHASES,
    PLOTS,
    Action,
    At,
    CompareAction,
    DeepenAction,
    DepthRow,
    Lesson,
    PlayAction,
    Scene,
    Show,
    Step,
    SwitchAction,
    Target,
    TrainAction,
    depth_row,
)
from .trace import PHASES, Trace

__all__ = [
    "PANELS", "PLOTS", "Action", "At", "CompareAction", "DeepenAction", "DepthRow", "Lesson",
    "LessonError", "PlayAction", "Question", "Scene", "Show", "Step", "SwitchAction", "Target",
    "TrainAction", "depth_row", "load_lesson", "parse_lesson",
]

FORMAT = "vanishgui-lesson"
VERSION = 1
MAX_SCENES = 200
MAX_TITLE = 80
MAX_TEXT = 1200
MAX_NOTES = 2000  # the teacher's notes, shown only in the presenter view
MAX_TRAIN_STEPS = 100_000
TITLE_CHARS = 40  # of a scene's title where a message names the scene


class LessonError(ValueError):
    """A lesson file the app does not accept; the message is one sentence for a person."""


# -- reading -------------------------------------------------------------------------------


def load_lesson(path: str | Path, examples: Path | None = None) -> Lesson:
    """Read and check a lesson file. ``examples`` is the folder ``{"example": NAME}`` names."""
    p = Path(path)
    name = clip(display_name(p.name))
    doc = read_json(p, LessonError, "lesson", name)
    return parse_lesson(doc, name, p.resolve().parent, examples)


def parse_lesson(doc: Any, source: str = "lesson", folder: Path | None = None,
                 examples: Path | None = None) -> Lesson:
    """Check a decoded lesson document. ``folder`` is where ``{"file": …}`` paths start."""
    r = _Reader(source, folder, examples)
    top = r.obj(doc, "", ("format", "version", "title", "description", "scenes"),
                ("format", "version", "title", "scenes"))
    if top["format"] != FORMAT:
        raise r.fail("format", f"expected \"{FORMAT}\", got {show_value(top['format'])}")
    if top["version"] != VERSION or isinstance(top["version"], bool):
        raise r.fail("version", f"expected {VERSION}, got {show_value(top['version'])}")
    title = r.text(top["title"], "title", MAX_TITLE)
    description = r.text(top.get("description", ""), "description", MAX_TEXT, empty=True)
    raw_scenes = top["scenes"]
    if not isinstance(raw_scenes, list) or not 1 <= len(raw_scenes) <= MAX_SCENES:
        got = f"{len(raw_scenes)}" if isinstance(raw_scenes, list) else show_value(raw_scenes)
        raise r.fail("scenes", f"expected a list of 1 to {MAX_SCENES} scenes, got {got}")
    scenes: list[Scene] = []
    previous: dict[str, Any] | None = None
    for i, raw in enumerate(raw_scenes):
        scene, previous = _SceneReader(r, i, raw, previous).read()
        scenes.append(scene)
    return Lesson(title, description, tuple(scenes), source)


class _Reader(Fields[LessonError]):
    """Checks one field at a time; errors name the file, the scene and the field."""

    def __init__(self, source: str, folder: Path | None, examples: Path | None,
                 where: str = "") -> None:
        super().__init__(source, LessonError)
        self.folder = folder
        self.examples = examples
        self.where = where  # 'scenes[3] ("The loss")' inside a scene

    def at_scene(self, where: str) -> _Reader:
        return _Reader(self.source, self.folder, self.examples, where)

    def prefix(self) -> str:
        return f"{self.source}: {self.where}" if self.where else self.source

    def experiment(self, doc: Any, field: str, label: str = "") -> Experiment:
        """parse_experiment, its message re-worded to name this scene and field."""
        where = f"{self.prefix()}: {field}{f' ({label})' if label else ''}"
        try:
            return parse_experiment(doc, where)
        except ExperimentError as e:
            raise LessonError(str(e)) from None

    def read_json(self, path: Path, field: str) -> Any:
        """An experiment file the lesson names, read as any experiment file is."""
        try:
            return read_json(path, LessonError, "experiment", clip(display_name(path.name)))
        except LessonError as e:
            raise self.fail(field, str(e)) from None

    def copied(self, value: Any, field: str) -> Any:
        """A deep copy of part of the file; LessonError if it is nested too deeply to copy
        (JSON's reader takes a little more nesting than copying does)."""
        try:
            return copy.deepcopy(value)
        except RecursionError:
            raise self.fail(field, "lists or objects are nested too deeply") from None


class _SceneReader:
    """Reads one scene; ``previous`` is the experiment document of the scene before."""

    def __init__(self, r: _Reader, index: int, raw: Any,
                 previous: dict[str, Any] | None) -> None:
        self.index = index
        self.raw = raw
        self.previous = previous
        title = raw.get("title") if isinstance(raw, Mapping) else None
        name = f"(“{clip(title.strip(), TITLE_CHARS)}”)" if isinstance(title, str) and \
            title.strip() else "(untitled)"
        self.r = r.at_scene(f"scenes[{index}] {name}")

    def read(self) -> tuple[Scene, dict[str, Any]]:
        r = self.r
        raw = r.obj(self.raw, "", ("title", "text", "experiment", "show", "actions",
                                   "finding", "question", "notes"), ("title", "text"))
        title = r.text(raw["title"], "title", MAX_TITLE)
        text = r.text(raw["text"], "text", MAX_TEXT)
        notes = r.text(raw["notes"], "notes", MAX_NOTES) if "notes" in raw else ""
        if "experiment" in raw:
            doc = self.source_doc(raw["experiment"], "experiment")
        elif self.previous is not None:
            doc = self.previous
        else:
            raise r.fail("experiment", "the first scene must name an experiment (later "
                                       "scenes may leave it out to keep the one before)")
        experiment = r.experiment(doc, "experiment")
        actions = self.actions(raw.get("actions", []), doc, experiment)
        shown = [("experiment", experiment)]
        for k, a in enumerate(actions):
            if isinstance(a, SwitchAction):
                shown.append((f"actions[{k}]", a.experiment))
            elif isinstance(a, DeepenAction):
                shown += [(f"actions[{k}], {h} hidden layers", e)
                          for h, e in zip(a.hidden_layers, a.experiments)]
        show = self.show(raw.get("show", {}), shown)
        finding = raw.get("finding")
        if finding is not None and (not isinstance(finding, str) or finding not in KINDS):
            raise r.fail("finding", f"expected one of {', '.join(KINDS)}, got "
                                    f"{show_value(finding)}")
        scene = Scene(self.index, title, text, experiment, show, actions, finding, notes=notes)
        if "question" in raw:
            scene = dataclasses.replace(scene, question=self.question(raw["question"], scene))
        return scene, doc

    def question(self, raw: Any, scene: Scene) -> Question:
        """Checked against the network shown once the scene's actions have run."""
        where = "experiment"
        for k, a in enumerate(scene.actions):
            if isinstance(a, SwitchAction):
                where = f"actions[{k}]"
            elif isinstance(a, DeepenAction):
                where = f"actions[{k}], {a.hidden_layers[-1]} hidden layers"
        return read_question(self.r, raw, "question", (where, scene.after),
                             len(scene.steps) - scene.auto_steps)

    # -- experiments ---------------------------------------------------------------------
    def source_doc(self, value: Any, field: str) -> dict[str, Any]:
        """The experiment document a scene names: an example, a file or written inline."""
        r = self.r
        if isinstance(value, Mapping) and "format" in value:
            return dict(r.copied(value, field))
        spec = r.obj(value, field, ("example", "file", "change"))
        given = [k for k in ("example", "file") if k in spec]
        if len(given) != 1:
            raise r.fail(field, "expected exactly one of \"example\" (a built-in example), "
                                "\"file\" (next to the lesson) or a whole experiment")
        key = given[0]
        name = spec[key]
        if not isinstance(name, str) or not name.strip():
            raise r.fail(f"{field}.{key}", f"expected a file name, got {show_value(name)}")
        if "\0" in name:  # no file has one: the system would refuse it with ValueError
            raise r.fail(f"{field}.{key}", f"expected a file name, got {show_value(name)}")
        if key == "example":
            if r.examples is None:
                raise r.fail(f"{field}.example", "no examples folder is known here")
            path = r.examples / (name if name.endswith(".json") else f"{name}.json")
            if Path(name).name != name or not os.path.isfile(path):  # False, never OSError
                known = sorted(p.stem for p in r.examples.glob("*.json"))
                raise r.fail(f"{field}.example", f"no built-in example {show_value(name)} "
                                                 f"(expected one of {', '.join(known)})")
        else:
            path = (r.folder or Path.cwd()) / name
            # stat, not is_file: a folder or a pipe of that name is refused by read_json,
            # with a message that says what it is
            try:
                os.stat(path)
            except FileNotFoundError:
                raise r.fail(f"{field}.file", f"no file {show_value(name)} next to the "
                                              "lesson") from None
            except OSError as e:  # a name too long for the system, a loop of links
                raise r.fail(f"{field}.file", f"{show_value(name)} cannot be read "
                                              f"({e.strerror or e})") from None
        raw = r.read_json(path, f"{field}.{key}")
        if not isinstance(raw, dict):
            raise r.fail(f"{field}.{key}", f"{clip(display_name(path.name))} is not an "
                                           "experiment (expected a JSON object)")
        doc: dict[str, Any] = raw
        if "change" in spec:
            doc = self.changed(doc, spec["change"], f"{field}.change")
        return doc

    def changed(self, doc: dict[str, Any], change: Any, field: str) -> dict[str, Any]:
        """A copy of ``doc`` with {"network.hidden_activation": "relu", …} applied."""
        r = self.r
        if not isinstance(change, Mapping) or not change:
            raise r.fail(field, f"expected an object of \"section.field\": value pairs, got "
                                f"{show_value(change)}")
        out: dict[str, Any] = r.copied(doc, field)
        for key, value in change.items():
            parts = str(key).split(".")
            if len(parts) < 2 or parts[0] not in ("network", "data", "training"):
                raise r.fail(join_field(field, key), "expected a field such as network.layers "
                                                "or training.learning_rate")
            node = out
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    raise r.fail(join_field(field, key), f"the experiment has no object "
                                                    f"{clip('.'.join(parts[:-1]))} to change")
                node = node[part]
            node[parts[-1]] = r.copied(value, join_field(field, key))
            _drop_stale(out, parts, change)
        return out

    def derived(self, doc: dict[str, Any], field: str, label: str, **fields: Any) -> Experiment:
        return self.r.experiment(self.changed(doc, fields, field), field, label)

    # -- actions -------------------------------------------------------------------------
    def actions(self, raw: Any, doc: dict[str, Any], base: Experiment) -> tuple[Action, ...]:
        r = self.r
        if not isinstance(raw, list):
            raise r.fail("actions", f"expected a list of actions, got {show_value(raw)}")
        out: list[Action] = []
        for k, item in enumerate(raw):
            out.append(self.action(item, f"actions[{k}]", doc, base))
        late = [k for k in range(1, len(out)) if out[k].auto and not out[k - 1].auto]
        if late:
            k = late[0]
            raise r.fail(f"actions[{k}].auto", "actions that run by themselves (auto) must "
                                               "come before the others")
        return tuple(out)

    def action(self, raw: Any, field: str, doc: dict[str, Any], base: Experiment) -> Action:
        r = self.r
        if not isinstance(raw, Mapping) or "do" not in raw:
            raise r.fail(field, "expected an object with \"do\": play, train, deepen, switch "
                                f"or compare, got {show_value(raw)}")
        do = raw["do"]
        fields = {"play": ("phase", "speed"), "train": ("steps",),
                  "deepen": ("hidden_layers",), "switch": ("change",),
                  "compare": ("setting", "values")}
        if not isinstance(do, str) or do not in fields:  # a list cannot be looked up
            raise r.fail(f"{field}.do", f"expected one of {', '.join(fields)}, got "
                                        f"{show_value(do)}")
        spec = r.obj(raw, field, ("do", "label", "auto", *fields[do]),
                     () if do == "play" else fields[do])
        auto = r.flag(spec.get("auto", False), f"{field}.auto")
        label = spec.get("label")
        if label is not None:
            label = r.text(label, f"{field}.label", MAX_TITLE)
        if do == "play":
            phase = spec.get("phase", "backward")
            if phase not in PLAY_PHASES:
                raise r.fail(f"{field}.phase", f"expected one of {', '.join(PLAY_PHASES)}, "
                                               f"got {show_value(phase)}")
            speed = self.speed(spec.get("speed"), f"{field}.speed")
            what = "the whole step" if phase == "step" else f"the {phase} pass" \
                if phase in ("forward", "backward") else f"the {phase}"
            return PlayAction(phase, speed, label or f"Play {what}", auto)
        if do == "train":
            steps = r.integer(spec["steps"], f"{field}.steps", 1, MAX_TRAIN_STEPS)
            return TrainAction(steps, label or f"Train {steps} step{'s' * (steps != 1)}", auto)
        if do == "deepen":
            return self.deepen(spec["hidden_layers"], f"{field}.hidden_layers", doc, base,
                               label, auto)
        if do == "switch":
            exp = self.r.experiment(self.changed(doc, spec["change"], f"{field}.change"),
                                    f"{field}.change")
            return SwitchAction(exp, label or _switch_label(spec["change"]), auto)
        return self.compare(spec, field, base, label, auto)

    def speed(self, value: Any, field: str) -> float | None:
        if value is None:
            return None
        if value == "instant":
            return math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not 0.25 <= value <= 16:
            raise self.r.fail(field, f"expected a number from 0.25 to 16 or \"instant\", got "
                                     f"{show_value(value)}")
        return float(value)

    def deepen(self, raw: Any, field: str, doc: dict[str, Any], base: Experiment,
               label: str | None, auto: bool) -> DeepenAction:
        r = self.r
        hi = MAX_WEIGHT_LAYERS - 1
        if not isinstance(raw, list) or not 1 <= len(raw) <= 10:
            raise r.fail(field, f"expected a list of 1 to 10 numbers of hidden layers, got "
                                f"{show_value(raw)}")
        counts = tuple(r.integer(h, f"{field}[{k}]", 1, hi) for k, h in enumerate(raw))
        width = base.layers[1] if base.depth > 1 else 1
        experiments = tuple(
            self.derived(doc, f"{field}[{k}]", f"{h} hidden layers",
                         **{"network.layers": [base.layers[0], *[width] * h, base.layers[-1]]})
            for k, h in enumerate(counts))
        return DeepenAction(counts, experiments, label or "Deepen the chain", auto)

    def compare(self, spec: Mapping[str, Any], field: str, base: Experiment,
                label: str | None, auto: bool) -> CompareAction:
        """Checked as the comparison window will check it, on the scene's experiment."""
        values = spec["values"]
        if not isinstance(values, list):
            raise self.r.fail(f"{field}.values", f"expected a list of values, got "
                                                 f"{show_value(values)}")
        try:
            comparison = make_comparison(base, spec["setting"], values,
                                         f"{self.r.prefix()}: {field}")
        except ComparisonError as e:
            raise LessonError(str(e)) from None
        names = ", ".join(comparison.labels)
        return CompareAction(comparison.setting, tuple(self.r.copied(values, f"{field}.values")),
                             label or f"Compare side by side: {names}", auto)

    # -- show ----------------------------------------------------------------------------
    def show(self, raw: Any, shown: list[tuple[str, Experiment]]) -> Show:
        r = self.r
        spec = r.obj(raw, "show", ("panels", "select", "at"))
        panels = spec.get("panels", [])
        if not isinstance(panels, list):
            raise r.fail("show.panels", f"expected a list of panel names, got {show_value(panels)}")
        for k, name in enumerate(panels):
            if name not in PANELS:
                raise r.fail(f"show.panels[{k}]", f"expected one of {', '.join(PANELS)}, got "
                                                  f"{show_value(name)}")
        select = None
        if spec.get("select") is not None:
            select = self.select(spec["select"], shown)
        at = None
        if spec.get("at") is not None:
            at = self.at(spec["at"], shown)
        return Show(tuple(panels), select, at)

    def select(self, value: Any, shown: list[tuple[str, Experiment]]) -> Target:
        expect = "expected LAYER:NEURON or LAYER:NEURON:FROM (1-based, such as 2:1 or 1:1:1)"
        try:
            parts = [int(v) for v in str(value).split(":")] if isinstance(value, str) else []
        except ValueError:
            parts = []
        if len(parts) not in (2, 3):
            raise self.r.fail("show.select", f"{expect}, got {show_value(value)}")
        layer = parts[0]
        target = Target(layer, parts[1] - 1, parts[2] - 1 if len(parts) == 3 else None)
        for where, exp in shown:
            sizes = exp.layers
            ok = (1 <= layer < len(sizes) and 0 <= target.neuron < sizes[layer]
                  and (target.source is None or 0 <= target.source < sizes[layer - 1]))
            if not ok:  # well formed, so the hint on the form is left out
                raise self.r.fail("show.select", "expected LAYER:NEURON or LAYER:NEURON:FROM "
                                                 f"inside the network {show_sizes(sizes)} "
                                                 f"({where}), got {show_value(value)}")
        return target

    def at(self, value: Any, shown: list[tuple[str, Experiment]]) -> At:
        expect = ("expected start, end, a phase (forward, loss, backward, update), PHASE:N "
                  "or KIND:LAYER:NEURON (KIND one of forward, delta, gradient, update)")
        if not isinstance(value, str):
            raise self.r.fail("show.at", f"{expect}, got {show_value(value)}")
        head, *rest = value.split(":")
        try:
            numbers = [int(v) for v in rest]
        except ValueError:
            raise self.r.fail("show.at", f"{expect}, got {show_value(value)}") from None
        if head in ("start", "end") and not numbers:
            at = At(value, head)
        elif head in PHASES and not numbers:
            at = At(value, "phase", head)
        elif head in PHASES and len(numbers) == 1 and numbers[0] >= 0:
            at = At(value, "into", head, numbers[0])
        elif head in EVENT_KINDS and len(numbers) == 2:
            at = At(value, head, layer=numbers[0], neuron=numbers[1] - 1)
        else:
            raise self.r.fail("show.at", f"{expect}, got {show_value(value)}")
        for where, exp in shown:
            trace = Trace.of(exp)
            if at.kind == "into":
                start, end = trace.phase_range(head)
                if at.count > end - start:
                    raise self.r.fail("show.at", f"the {head} phase of the network "
                                                 f"{show_sizes(exp.layers)} ({where}) has "
                                                 f"{end - start} events, got {show_value(value)}")
            elif at.kind in EVENT_KINDS:
                ok = 1 <= at.layer <= exp.depth and 0 <= at.neuron < exp.layers[at.layer]
                if not ok:  # well formed, so the hint on the form is left out
                    raise self.r.fail("show.at", f"expected {at.kind}:LAYER:NEURON inside the "
                                                 f"network {show_sizes(exp.layers)} ({where}), "
                                                 f"got {show_value(value)}")
        return at


def _drop_stale(doc: dict[str, Any], parts: list[str], change: Mapping[str, Any]) -> None:
    """Fields a change makes meaningless (weights of another shape, say) are dropped,
    unless the change gives them too."""
    key = ".".join(parts[:2])
    stale: dict[str, tuple[str, ...]] = {
        "network.layers": ("network.weights", "network.biases", "network.alphas",
                           "network.activations"),
        "network.init": ("network.weights", "network.biases", "network.alphas"),
        "network.hidden_activation": ("network.activations", "network.alphas"),
        "network.output_activation": ("network.activations", "network.alphas"),
        "data.dataset": ("data.inputs", "data.targets"),
        "data.inputs": ("data.dataset", "data.samples", "data.noise", "data.seed"),
    }
    for gone in stale.get(key, ()):
        if gone not in change:
            section, name = gone.split(".")
            if isinstance(doc.get(section), dict):
                doc[section].pop(name, None)


def _switch_label(change: Any) -> str:
    if isinstance(change, Mapping) and set(change) == {"network.hidden_activation"}:
        value = change["network.hidden_activation"]
        name = value.get("name", "?") if isinstance(value, Mapping) else value
        return f"Switch the hidden layers to {name}"
    return "Change the experiment"
