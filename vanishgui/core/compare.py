"""Networks compared side by side: variants of one experiment that differ in one setting.

:func:`variants` turns a base experiment, a setting and 2 to 4 values into one
experiment per value. Everything else is shared: the data (and its seed), the loss,
the training settings, the mini-batch order (the init seed) and, wherever the shapes
agree, the starting parameters. Exactly what is shared, setting by setting:

* ``activation`` (the hidden layers' activation; the output layer keeps its own):
  all starting parameters are the base's. Weights drawn from the same initialiser
  and seed are identical, and given weights and biases are kept as they are. Only a
  PReLU slope cannot carry over to another activation; a new PReLU layer starts at 0.25.
* ``init`` (the initialiser scheme): the base's seed, unless a value names its own,
  so every variant draws from the same random numbers (two normal schemes give weights
  that are exact multiples of each other). Given weights are dropped: they are what
  differs.
* ``depth`` (the number of hidden layers): a shallower variant is the base with its
  last hidden layers removed, a deeper one the base with layers added before the output
  (widths repeat the last hidden layer's, activations the last hidden activation). The
  layers nearest the input and the output layer start with the base's weights, biases
  and slopes wherever their shapes agree; only the added layers are new, drawn from the
  base's initialiser and seed.
* ``optimizer`` (``"sgd"``, ``"adam"``, or ``{"name", "learning_rate", "momentum"}``):
  all starting parameters are the base's; learning rate and momentum are the base's
  unless the value gives them (momentum is dropped for Adam, which has none).
* ``residual`` (``"off"`` or k, a skip every k layers), ``norm`` (``"none"``,
  ``"batch"`` or ``"layer"``) and ``clip`` (``"off"`` or a max gradient norm > 0): all
  starting weights, biases and slopes are the base's; a norm's given γ and β are kept
  only by a variant with the base's norm (the others start at γ = 1, β = 0).

The comparison file, ``{"format": "vanishgui-comparison", "version": 1, "base":
<experiment>, "setting": ..., "values": [...]}``, is read with the same care as an
experiment file: every problem is one :class:`ComparisonError` naming the file and
the field. It holds the set-up, not the training progress.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from . import optimizers
from .activations import ActivationError
from .experiment import (
    Experiment,
    ExperimentError,
    dumps,
    parse_experiment,
    read_activation,
    read_init,
    write_atomic,
)
from .initializers import LABELS as INIT_LABELS
from .initializers import InitError
from .jsonfile import Fields, display_name, read_json, show_value
from .network import MAX_WEIGHT_LAYERS

FORMAT = "vanishgui-comparison"
VERSION = 1
SETTINGS = ("activation", "init", "depth", "optimizer", "residual", "norm", "clip")
SETTING_LABELS = {"activation": "activation", "init": "initialiser", "depth": "depth",
                  "optimizer": "optimiser", "residual": "residual", "norm": "normalisation",
                  "clip": "clipping"}
NORMS = ("none", "batch", "layer")
NORM_LABELS = {"none": "No norm", "batch": "Batch norm", "layer": "Layer norm"}
MIN_NETWORKS = 2
MAX_NETWORKS = 4
MAX_HIDDEN = MAX_WEIGHT_LAYERS - 1

T = TypeVar("T")


class ComparisonError(ExperimentError):
    """A comparison the core does not accept; the message is one sentence for a person."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """A base experiment, the setting that varies, its values and the networks they give."""

    base: Experiment
    setting: str
    values: tuple[Any, ...]  # as written to the file
    networks: tuple[Experiment, ...]
    labels: tuple[str, ...]  # what the window calls each network: "ReLU", "5 hidden layers"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "base": self.base.to_json(),
            "setting": self.setting,
            "values": copy.deepcopy(list(self.values)),
        }


# -- one value: checked, written back normalised, labelled -------------------------------


def _normalise(setting: str, value: Any, field: str,
               c: Fields[ComparisonError]) -> tuple[Any, str]:
    """(the value as the file stores it, its label), or ComparisonError."""
    try:
        if setting == "activation":
            act = read_activation(value)
            extra = ", ".join(f"{v:g}" for _, v in act.params)
            return act.to_json(), act.info.label + (f" ({extra})" if extra else "")
        if setting == "init":
            init = read_init(value)
            given_seed = isinstance(value, Mapping) and "seed" in value
            stored: Any = init.to_json()
            if not given_seed:
                del stored["seed"]
                if not init.params:
                    stored = init.scheme
            params = ", ".join(f"{k} {v:g}" for k, v in init.params)
            if init.scheme == "normal" and not init.params:
                params = f"std {init.param('std'):g}"
            label = INIT_LABELS[init.scheme] + (f" ({params})" if params else "")
            return stored, label + (f", seed {init.seed}" if given_seed else "")
        if setting == "depth":
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    0 <= value <= MAX_HIDDEN):
                raise c.fail(field, f"expected a number of hidden layers from 0 to "
                                    f"{MAX_HIDDEN}, got {show_value(value)}")
            return value, f"{value} hidden layer" + ("" if value == 1 else "s")
        if setting == "residual":
            if value == "off":
                return value, "No skips"
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 63:
                raise c.fail(field, f"expected \"off\" or a skip every k layers, k a whole "
                                    f"number from 1 to 63, got {show_value(value)}")
            return value, f"Skips every {value}"
        if setting == "norm":
            if value not in NORMS:
                raise c.fail(field, f"expected one of {', '.join(NORMS)}, got "
                                    f"{show_value(value)}")
            return value, NORM_LABELS[value]
        if setting == "clip":
            if value == "off":
                return value, "No clipping"
            ok = not isinstance(value, bool) and isinstance(value, (int, float)) and \
                math.isfinite(float(value)) and float(value) > 0
            if not ok:
                raise c.fail(field, f"expected \"off\" or a max gradient norm above 0, got "
                                    f"{show_value(value)}")
            return value, f"Clip at {float(value):g}"
        return _optimizer_value(value, field, c)
    except (ActivationError, InitError) as e:
        raise c.fail(field, str(e)) from None


def _optimizer_value(value: Any, field: str, c: Fields[ComparisonError]) -> tuple[Any, str]:
    spec = {"name": value} if isinstance(value, str) else value
    if not isinstance(spec, Mapping):
        raise c.fail(field, f"expected an optimiser name ({', '.join(optimizers.NAMES)}) "
                            f"or an object with a \"name\", got {show_value(value)}")
    c.obj(spec, field, ("name", "learning_rate", "momentum"))
    name = spec.get("name")
    if name not in optimizers.NAMES:
        raise c.fail(f"{field}.name" if isinstance(value, Mapping) else field,
                     f"expected one of {', '.join(optimizers.NAMES)}, got {show_value(name)}")
    notes = []
    for key, short in (("learning_rate", "lr"), ("momentum", "momentum")):
        if key not in spec:
            continue
        v = spec[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise c.fail(f"{field}.{key}", f"expected a number, got {show_value(v)}")
        try:
            number = float(v)
        except OverflowError:  # an integer too large for a float: its variant refuses it
            number = math.inf
        notes.append(f"{short} {number:g}")  # short, however many digits the file gave
    stored = name if len(spec) == 1 else dict(spec)
    label = optimizers.LABELS[name] + (f" ({', '.join(notes)})" if notes else "")
    return stored, label


# -- the networks ---------------------------------------------------------------------------


def make_comparison(base: Experiment, setting: str, values: Sequence[Any],
                    source: str = "comparison") -> Comparison:
    """Check the setting and values and build one experiment per value (see the module)."""
    c = Fields(source, ComparisonError)
    if setting not in SETTINGS:
        raise c.fail("setting", f"expected one of {', '.join(SETTINGS)}, got "
                                f"{show_value(setting)}")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not (
            MIN_NETWORKS <= len(values) <= MAX_NETWORKS):
        got = f"{len(values)}" if isinstance(values, Sequence) and not isinstance(
            values, (str, bytes)) else show_value(values)
        raise c.fail("values", f"expected a list of {MIN_NETWORKS} to {MAX_NETWORKS} "
                               f"values (one per network), got {got}")
    if setting == "depth" and base.depth < 2:
        raise c.fail("setting", "depth needs a base network with at least one hidden "
                                "layer, whose width the other depths repeat")
    for name, arrays in (("weights", base.weights), ("biases", base.biases),
                         ("alphas", base.alphas)):
        for i, v in enumerate(arrays or ()):
            if v is not None and not np.isfinite(v).all():
                raise c.fail(f"base: network.{name}[{i}]",
                             "holds inf or NaN (training diverged); reset the network first")
    stored: list[Any] = []
    labels: list[str] = []
    networks: list[Experiment] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        field = f"values[{i}]"
        norm, label = _normalise(setting, value, field, c)
        key = json.dumps(norm, sort_keys=True)
        if key in seen:
            raise c.fail(field, f"is the same as values[{seen[key]}] ({label}); every "
                                "network must differ")
        seen[key] = i
        stored.append(norm)
        labels.append(label)
        networks.append(_variant(base, setting, norm, f"{source}: {field}"))
    return Comparison(base, setting, tuple(stored), tuple(networks), tuple(labels))


def variants(base: Experiment, setting: str, values: list[Any]) -> list[Experiment]:
    """One experiment per value, differing from ``base`` only in ``setting``."""
    return list(make_comparison(base, setting, values).networks)


def _variant(base: Experiment, setting: str, value: Any, source: str) -> Experiment:
    doc = base.to_json()
    net, train = doc["network"], doc["training"]
    if setting == "activation":
        _set_hidden_activation(base, net, value)
    elif setting == "init":
        init = dict(value) if isinstance(value, Mapping) else {"scheme": value}
        init.setdefault("seed", base.init.seed)
        net["init"] = init
        net["weights"] = net["biases"] = net["alphas"] = None
    elif setting == "optimizer":
        spec = {"name": value} if isinstance(value, str) else value
        train["optimizer"] = spec["name"]
        train["learning_rate"] = spec.get("learning_rate", base.learning_rate)
        default_momentum = base.momentum if spec["name"] == "sgd" else 0.0
        train["momentum"] = spec.get("momentum", default_momentum)
    elif setting == "residual":
        net["residual"] = None if value == "off" else {"every": value}
    elif setting == "norm":
        net["norm"] = value
        if value != base.norm:
            net["gammas"] = net["betas"] = None
    elif setting == "clip":
        train["clip_norm"] = None if value == "off" else value
    else:
        hidden = _repeat_last(list(base.layers[1:-1]), value)
        net["gammas"] = net["betas"] = None  # one list per hidden layer: a new count
        net["layers"] = [base.layers[0], *hidden, base.layers[-1]]
        if base.per_layer:
            acts = _repeat_last([a.to_json() for a in base.activations[:-1]], value)
            net["activations"] = [*acts, base.activations[-1].to_json()]
        net["weights"] = net["biases"] = net["alphas"] = None
    try:
        variant = parse_experiment(doc, source)
    except ExperimentError as e:
        raise ComparisonError(str(e)) from None
    return _share_depth_parameters(base, variant) if setting == "depth" else variant


def _repeat_last(items: list[T], n: int) -> list[T]:
    return items[:n] + [items[-1]] * max(0, n - len(items))


def _set_hidden_activation(base: Experiment, net: dict[str, Any], value: Any) -> None:
    act = read_activation(value)
    net["hidden_activation"] = value
    if base.per_layer:
        net["activations"] = [value] * (base.depth - 1) + [base.activations[-1].to_json()]
    if base.alphas is not None:  # a PReLU slope belongs to PReLU; others must be null
        hidden: list[float | None] = [None] * (base.depth - 1)
        if act.learnable:
            hidden = [a if old.learnable else None
                      for a, old in zip(base.alphas[:-1], base.activations[:-1])]
        net["alphas"] = [*hidden, base.alphas[-1]]


def _share_depth_parameters(base: Experiment, variant: Experiment) -> Experiment:
    """The variant with the base's starting parameters in the layers nearest the input
    and in the output layer, wherever the shapes agree."""
    old, new = base.build_network(), variant.build_network()
    weights, biases, alphas = list(new.weights), list(new.biases), list(new.alphas)
    shared = [(i, i) for i in range(min(old.depth, new.depth) - 1)]
    shared.append((old.depth - 1, new.depth - 1))  # output layer
    for i_old, i_new in shared:
        if old.weights[i_old].shape == weights[i_new].shape:
            weights[i_new] = old.weights[i_old].copy()
            biases[i_new] = old.biases[i_old].copy()
            if (old.activations[i_old].learnable
                    and variant.activations[i_new].learnable):
                alphas[i_new] = old.alphas[i_old]
    same = all(np.array_equal(a, b) for a, b in zip(weights, new.weights)) and all(
        np.array_equal(a, b) for a, b in zip(biases, new.biases)) and alphas == list(new.alphas)
    if same:
        return variant  # the initialiser already draws them: keep the experiment plain
    return replace(variant, weights=tuple(weights), biases=tuple(biases), alphas=tuple(alphas))


# -- the comparison file -------------------------------------------------------------------


def parse_comparison(doc: Any, source: str = "comparison") -> Comparison:
    """Check a decoded comparison document and return its Comparison."""
    fields = ("format", "version", "base", "setting", "values")
    c = Fields(source, ComparisonError)
    if not isinstance(doc, Mapping):
        raise c.fail("", f"expected a JSON object (a vanishgui comparison), got "
                         f"{show_value(doc)}")
    if doc.get("format") != FORMAT:  # first: an experiment file is the likely mistake
        hint = " (this is an experiment file: open it with File → Open)" if (
            doc.get("format") == "vanishgui-experiment") else ""
        raise c.fail("format", f"expected \"{FORMAT}\", got "
                               f"{show_value(doc.get('format'))}" + hint)
    c.obj(doc, "", fields, fields)
    if doc["version"] != VERSION or isinstance(doc["version"], bool):
        raise c.fail("version", f"expected {VERSION}, got {show_value(doc['version'])}")
    try:
        base = parse_experiment(doc["base"], f"{source}: base")
    except ExperimentError as e:
        raise ComparisonError(str(e)) from None
    return make_comparison(base, doc["setting"], doc["values"], source)


def load_comparison(path: str | os.PathLike[str]) -> Comparison:
    """Read and check a comparison file; raises ComparisonError with one clear sentence."""
    name = display_name(path)
    return parse_comparison(read_json(path, ComparisonError, "comparison", name), name)


def comparison_text(comparison: Comparison) -> str:
    """The comparison as JSON text; ExperimentError when a base parameter is inf or NaN."""
    dumps(comparison.base)  # the base's own check, with its message
    return json.dumps(comparison.to_json(), indent=1, allow_nan=False) + "\n"


def save_comparison(path: str | os.PathLike[str], comparison: Comparison) -> None:
    """Write the comparison atomically: the old file stays whole until the new one is."""
    write_atomic(path, comparison_text(comparison))


__all__ = ["FORMAT", "MAX_NETWORKS", "MIN_NETWORKS", "SETTINGS", "Comparison",
           "ComparisonError", "comparison_text", "load_comparison", "make_comparison",
           "parse_comparison", "save_comparison", "variants"]
