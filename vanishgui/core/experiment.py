"""The experiment file: one JSON document that is both the app's input and its save format.

:func:`load_experiment` reads and checks a file; every problem becomes one
:class:`ExperimentError` whose message names the file, the field, the value and what
was expected. :func:`save_experiment` writes atomically with :func:`write_atomic` (a
temporary file in the same folder, flushed to disk, then renamed over the target), so a
crash mid-save never leaves a half-written file. Floats are written with ``repr``, so a
save and a load round-trip exactly. Optimiser state (momentum, Adam moments) is not saved.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
import time
from dataclasses import dataclass, replace
from typing import IO, Any

import numpy as np

from . import datasets, losses, optimizers
from .activations import Activation, ActivationError, parse_activation
from .cures import MAX_EVERY, NORMS, block_widths_problem
from .initializers import Init, InitError, parse_init
from .jsonfile import MAX_FILE_BYTES as MAX_FILE_BYTES  # the limit, where it has always been
from .jsonfile import (
    Fields,
    display_name,
    for_message,
    one_line,
    parse_json,
    read_json,
    show_sizes,
    show_value,
)
from .network import MAX_WEIGHT_LAYERS, MAX_WIDTH, Network, make_network
from .optimizers import OptimizerConfig
from .training import Trainer

FORMAT = "vanishgui-experiment"
VERSION = 1
MAX_LEARNING_RATE = 10.0
INDENT_LIMIT = 10_000  # parameters: beyond this a file is written compact, not indented
MAX_SAMPLES = datasets.MAX_SAMPLES


class ExperimentError(ValueError):
    """A file or field the core does not accept; the message is one sentence for a person."""


def read_activation(value: Any) -> Activation:
    """:func:`parse_activation`; its ActivationError quotes at most SHOW_CHARS characters
    of any value in ``value``, on one line."""
    try:
        return parse_activation(for_message(value))
    except ActivationError as e:
        raise ActivationError(one_line(str(e))) from None


def read_init(value: Any) -> Init:
    """:func:`parse_init`; its InitError quotes at most SHOW_CHARS characters of any value
    in ``value``, on one line."""
    try:
        return parse_init(for_message(value))
    except InitError as e:
        raise InitError(one_line(str(e))) from None


@dataclass(frozen=True, eq=False)
class Experiment:
    """A validated experiment: network, data and training settings."""

    layers: tuple[int, ...]
    activations: tuple[Activation, ...]  # one per weight layer
    hidden_activation: Activation
    output_activation: Activation
    init: Init
    weights: tuple[np.ndarray, ...] | None
    biases: tuple[np.ndarray, ...] | None
    alphas: tuple[float | None, ...] | None
    inputs: np.ndarray | None  # explicit data, or None when a data set is named
    targets: np.ndarray | None
    dataset: str | None
    samples: int
    noise: float
    data_seed: int
    loss: str
    optimizer: str
    learning_rate: float
    momentum: float
    batch_size: int | None
    per_layer: bool = False  # whether `activations` was given explicitly
    residual: int | None = None  # k of network.residual {"every": k}, None without
    norm: str = "none"  # network.norm
    gammas: tuple[np.ndarray, ...] | None = None  # per hidden layer; None: γ = 1
    betas: tuple[np.ndarray, ...] | None = None  # per hidden layer; None: β = 0
    clip_norm: float | None = None  # training.clip_norm, None: no clipping

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    @property
    def classification(self) -> bool:
        return self.dataset is not None and datasets.DATASETS[self.dataset][2]

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and targets (generated when a data set is named)."""
        if self.dataset is None:
            assert self.inputs is not None and self.targets is not None
            return self.inputs, self.targets
        return datasets.generate(self.dataset, self.samples, self.noise, self.data_seed)

    def build_network(self) -> Network:
        """The network at its starting parameters (given weights, else the initialiser)."""
        weights = list(self.weights) if self.weights is not None else self.init.weights(self.layers)
        biases = list(self.biases) if self.biases is not None else None
        alphas = list(self.alphas) if self.alphas is not None else None
        return make_network(
            self.layers, self.activations, weights, biases, alphas, norm=self.norm,
            gammas=None if self.gammas is None else list(self.gammas),
            betas=None if self.betas is None else list(self.betas), residual=self.residual)

    def trainer(self) -> Trainer:
        x, y = self.data()
        return Trainer(
            self.build_network(),
            x,
            y,
            self.loss,
            OptimizerConfig(self.optimizer, self.learning_rate, self.momentum),
            batch_size=self.batch_size,
            seed=self.init.seed,
            classification=self.classification,
            clip_norm=self.clip_norm,
        )

    def with_parameters(self, network: Network) -> Experiment:
        """The same experiment, starting from the network's current parameters."""
        return replace(
            self,
            weights=tuple(w.copy() for w in network.weights),
            biases=tuple(b.copy() for b in network.biases),
            alphas=tuple(network.alphas),
            gammas=tuple(g.copy() for g in network.gammas) if self.norm != "none" else None,
            betas=tuple(b.copy() for b in network.betas) if self.norm != "none" else None,
        )

    def to_json(self) -> dict[str, Any]:
        acts = [a.to_json() for a in self.activations] if self.per_layer else None
        if self.dataset is None:
            assert self.inputs is not None and self.targets is not None
            data: dict[str, Any] = {
                "inputs": self.inputs.tolist(),
                "targets": self.targets.tolist(),
            }
        else:
            data = {
                "dataset": self.dataset,
                "samples": self.samples,
                "noise": self.noise,
                "seed": self.data_seed,
            }
        network: dict[str, Any] = {
            "layers": list(self.layers),
            "hidden_activation": self.hidden_activation.to_json(),
            "output_activation": self.output_activation.to_json(),
            "activations": acts,
            "init": self.init.to_json(),
            "weights": None if self.weights is None else [w.tolist() for w in self.weights],
            "biases": None if self.biases is None else [b.tolist() for b in self.biases],
            "alphas": None if self.alphas is None else list(self.alphas),
        }
        training: dict[str, Any] = {
            "loss": self.loss,
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "momentum": self.momentum,
            "batch_size": self.batch_size,
        }
        # The cures are written only when set: a file without them stays as it was.
        if self.residual is not None:
            network["residual"] = {"every": self.residual}
        if self.norm != "none":
            network["norm"] = self.norm
            network["gammas"] = None if self.gammas is None else [g.tolist()
                                                                   for g in self.gammas]
            network["betas"] = None if self.betas is None else [b.tolist() for b in self.betas]
        if self.clip_norm is not None:
            training["clip_norm"] = self.clip_norm
        return {
            "format": FORMAT,
            "version": VERSION,
            "network": network,
            "data": data,
            "training": training,
        }


# -- reading ------------------------------------------------------------------------------


def parse_experiment(doc: Any, source: str = "experiment") -> Experiment:
    """Check a decoded JSON document and return the Experiment it describes."""
    c = Fields(source, ExperimentError)
    top = c.obj(doc, "", ("format", "version", "network", "data", "training"),
                ("format", "version", "network", "data", "training"))
    if top["format"] != FORMAT:
        raise c.fail("format", f"expected \"{FORMAT}\", got {show_value(top['format'])}")
    if top["version"] != VERSION or isinstance(top["version"], bool):
        raise c.fail("version", f"expected {VERSION}, got {show_value(top['version'])}")

    net = c.obj(top["network"], "network",
                ("layers", "hidden_activation", "output_activation", "activations", "init",
                 "weights", "biases", "alphas", "residual", "norm", "gammas", "betas"),
                ("layers",))
    raw_layers = net["layers"]
    if not isinstance(raw_layers, list):
        raise c.fail("network.layers",
                     f"expected a list of layer sizes, got {show_value(raw_layers)}")
    if len(raw_layers) < 2:
        raise c.fail("network.layers",
                     f"expected at least 2 sizes (input and output), got {len(raw_layers)}: "
                     "a network needs at least one weight layer")
    if len(raw_layers) > MAX_WEIGHT_LAYERS + 1:
        raise c.fail("network.layers",
                     f"expected at most {MAX_WEIGHT_LAYERS + 1} sizes "
                     f"({MAX_WEIGHT_LAYERS} weight layers), got {len(raw_layers)}")
    layers = tuple(c.integer(n, f"network.layers[{i}]", 1, MAX_WIDTH)
                   for i, n in enumerate(raw_layers))
    depth = len(layers) - 1

    def activation(value: Any, field: str) -> Activation:
        try:
            return read_activation(value)
        except ActivationError as e:
            raise c.fail(field, str(e)) from None

    hidden = activation(net.get("hidden_activation", "sigmoid"), "network.hidden_activation")
    output = activation(net.get("output_activation", "sigmoid"), "network.output_activation")
    raw_acts = net.get("activations")
    per_layer = raw_acts is not None
    if raw_acts is None:
        acts = tuple([hidden] * (depth - 1) + [output])
    else:
        if not isinstance(raw_acts, list) or len(raw_acts) != depth:
            raise c.fail("network.activations",
                         f"expected a list of {depth} activations (one per non-input layer), "
                         f"got {show_value(raw_acts)}" + (f" of {len(raw_acts)}"
                                                          if isinstance(raw_acts, list) else ""))
        acts = tuple(activation(a, f"network.activations[{i}]") for i, a in enumerate(raw_acts))
    try:
        init = read_init(net.get("init", {"scheme": "xavier_uniform", "seed": 0}))
    except InitError as e:
        raise c.fail("network.init", str(e)) from None

    weights = biases = None
    alphas: tuple[float | None, ...] | None = None
    if net.get("weights") is not None:
        w = net["weights"]
        if not isinstance(w, list) or len(w) != depth:
            raise c.fail("network.weights",
                         f"expected a list of {depth} matrices (one per weight layer), got "
                         + (f"{len(w)}" if isinstance(w, list) else show_value(w)))
        weights = tuple(
            c.array(m, f"network.weights[{i}]", (layers[i + 1], layers[i]),
                    f"layer {i + 1} is {layers[i + 1]}×{layers[i]}")
            for i, m in enumerate(w))
    if net.get("biases") is not None:
        b = net["biases"]
        if not isinstance(b, list) or len(b) != depth:
            raise c.fail("network.biases",
                         f"expected a list of {depth} vectors (one per weight layer), got "
                         + (f"{len(b)}" if isinstance(b, list) else show_value(b)))
        biases = tuple(c.array(v, f"network.biases[{i}]", (layers[i + 1],),
                               f"layer {i + 1} has {layers[i + 1]} neurons")
                       for i, v in enumerate(b))
    if net.get("alphas") is not None:
        al = net["alphas"]
        if not isinstance(al, list) or len(al) != depth:
            raise c.fail("network.alphas",
                         f"expected a list of {depth} entries (one per non-input layer), got "
                         + (f"{len(al)}" if isinstance(al, list) else show_value(al)))
        parsed: list[float | None] = []
        for i, (v, act) in enumerate(zip(al, acts)):
            f = f"network.alphas[{i}]"
            if act.learnable:
                # A trained slope, like a trained weight, may be any finite number: a
                # saved experiment must load again.
                parsed.append(None if v is None else float(c.array(v, f, (), "a slope")))
            elif v is not None:
                raise c.fail(f, f"expected null (layer {i + 1} is {act.name}, not prelu), "
                                f"got {show_value(v)}")
            else:
                parsed.append(None)
        alphas = tuple(parsed)
    residual, norm, gammas, betas = _cures(c, net, layers)

    data = c.obj(top["data"], "data", ("inputs", "targets", "dataset", "samples", "noise",
                                        "seed"), ())
    dataset = None
    inputs = targets = None
    samples, noise, data_seed = 200, 0.1, 0
    if "dataset" in data:
        for key in ("inputs", "targets"):
            if key in data:
                raise c.fail(f"data.{key}", "give either a dataset or inputs and targets, "
                                            "not both")
        dataset = data["dataset"]
        if not isinstance(dataset, str) or dataset not in datasets.DATASETS:
            raise c.fail("data.dataset", f"expected one of {', '.join(datasets.NAMES)}, "
                                         f"got {show_value(dataset)}")
        samples = c.integer(data.get("samples", 200), "data.samples", 1, MAX_SAMPLES)
        noise = c.number(data.get("noise", 0.1), "data.noise", 0.0, datasets.MAX_NOISE)
        data_seed = c.integer(data.get("seed", 0), "data.seed", 0, 2**32 - 1)
        d_in, d_out, _, _ = datasets.DATASETS[dataset]
        if layers[0] != d_in or layers[-1] != d_out:
            raise c.fail("network.layers",
                         f"the {dataset} data set needs {d_in} input(s) and {d_out} output(s), "
                         f"but the layers are {show_sizes(layers)}")
        n = 1 if dataset == "classic" else samples
    else:
        for key in ("samples", "noise", "seed"):
            if key in data:
                raise c.fail(f"data.{key}", "only goes with \"dataset\"")
        for key in ("inputs", "targets"):
            if key not in data:
                raise c.fail(f"data.{key}", "this field is required (or name a \"dataset\")")
        raw_in = data["inputs"]
        if not isinstance(raw_in, list) or not 1 <= len(raw_in) <= MAX_SAMPLES:
            raise c.fail("data.inputs", f"expected a list of 1 to {MAX_SAMPLES} samples, got "
                         + (f"{len(raw_in)}" if isinstance(raw_in, list) else show_value(raw_in)))
        n = len(raw_in)
        inputs = c.array(raw_in, "data.inputs", (n, layers[0]),
                         f"{n} samples of {layers[0]} input(s)")
        targets = c.array(data["targets"], "data.targets", (n, layers[-1]),
                          f"{n} samples of {layers[-1]} output(s), as many as the inputs")

    train = c.obj(top["training"], "training",
                  ("loss", "optimizer", "learning_rate", "momentum", "batch_size", "clip_norm"),
                  ("loss", "learning_rate"))
    loss = train["loss"]
    if loss not in losses.NAMES:
        raise c.fail("training.loss", f"expected one of {', '.join(losses.NAMES)}, got "
                                      f"{show_value(loss)}")
    optimizer = train.get("optimizer", "sgd")
    if optimizer not in optimizers.NAMES:
        raise c.fail("training.optimizer", f"expected one of {', '.join(optimizers.NAMES)}, "
                                           f"got {show_value(optimizer)}")
    lr = c.number(train["learning_rate"], "training.learning_rate", 0.0, MAX_LEARNING_RATE,
                  open_lo=True)
    momentum = c.number(train.get("momentum", 0.0), "training.momentum", 0.0, 1.0, open_hi=True)
    if momentum and optimizer != "sgd":
        raise c.fail("training.momentum", f"only sgd uses momentum (optimizer is {optimizer})")
    batch = train.get("batch_size")
    if batch is not None:
        batch = c.integer(batch, "training.batch_size", 1, n)
    clip_norm = train.get("clip_norm")
    if clip_norm is not None:
        clip_norm = _clip_norm(c, clip_norm)
    if norm == "batch":
        _one_sample_batches(c, n, batch)
    if loss == "bce":
        if acts[-1].name not in losses.BCE_OUTPUTS:
            raise c.fail("training.loss", f"bce needs outputs between 0 and 1, so the output "
                                          f"activation must be sigmoid, not {acts[-1].name}")
        if targets is not None and not ((targets >= 0) & (targets <= 1)).all():
            raise c.fail("data.targets", "bce needs targets between 0 and 1")
        if dataset == "sine":
            raise c.fail("training.loss", "bce needs targets between 0 and 1; the sine data "
                                          "set is a regression (use squared or mse)")

    return Experiment(
        layers=layers, activations=acts, hidden_activation=hidden, output_activation=output,
        init=init, weights=weights, biases=biases, alphas=alphas,
        inputs=inputs, targets=targets, dataset=dataset, samples=samples, noise=noise,
        data_seed=data_seed, loss=loss, optimizer=optimizer, learning_rate=lr,
        momentum=momentum, batch_size=batch, per_layer=per_layer, residual=residual,
        norm=norm, gammas=gammas, betas=betas, clip_norm=clip_norm,
    )


def _cures(c: Fields[ExperimentError], net: Any, layers: tuple[int, ...]) -> tuple[
        int | None, str, tuple[np.ndarray, ...] | None, tuple[np.ndarray, ...] | None]:
    """network.residual, network.norm, network.gammas and network.betas, checked."""
    residual = None
    raw = net.get("residual")
    if raw is not None:
        block = c.obj(raw, "network.residual", ("every",), ("every",))
        residual = c.integer(block["every"], "network.residual.every", 1, MAX_EVERY)
        bad = block_widths_problem(layers, residual)
        if bad is not None:
            source, end = bad
            names = list(range(source, end + 1))
            if len(names) > 4:  # a long block: the first layer of another width, not all
                other = next(i for i in names if layers[i] != layers[source])
                names = [source, other]
            widths = [layers[i] for i in names]
            group = f"layer {end}" if end == source + 1 else f"layers {source + 1} to {end}"
            raise c.fail("network.residual",
                         f"every {residual} makes {group} a block whose last layer adds layer "
                         f"{source}'s activation, so layers {source} to {end} need the same "
                         f"width, but layers {', '.join(map(str, names))} have widths "
                         f"{', '.join(map(str, widths))}")
    norm = net.get("norm")
    norm = "none" if norm is None else norm
    if not isinstance(norm, str) or norm not in NORMS:
        raise c.fail("network.norm", f"expected one of {', '.join(NORMS)}, got "
                                     f"{show_value(norm)}")
    hidden = layers[1:-1]
    found: list[tuple[np.ndarray, ...] | None] = []
    for name, symbol in (("gammas", "γ"), ("betas", "β")):
        field = f"network.{name}"
        value = net.get(name)
        if value is None:
            found.append(None)
            continue
        if norm == "none":
            raise c.fail(field, f"{symbol} only goes with a norm, but network.norm is "
                                "\"none\" (give \"batch\" or \"layer\", or leave "
                                f"{name} out)")
        if not isinstance(value, list) or len(value) != len(hidden):
            raise c.fail(field, f"expected a list of {len(hidden)} lists (one per hidden "
                                "layer), got " + (f"{len(value)}" if isinstance(value, list)
                                                   else show_value(value)))
        found.append(tuple(c.array(v, f"{field}[{i}]", (width,),
                                   f"hidden layer {i + 1} has {width} neurons")
                           for i, (v, width) in enumerate(zip(value, hidden))))
    return residual, norm, found[0], found[1]


def _clip_norm(c: Fields[ExperimentError], value: Any) -> float:
    """training.clip_norm: a finite number above 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise c.fail("training.clip_norm", f"expected a finite number above 0 (or null for no "
                                           f"clipping), got {show_value(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not (math.isfinite(number) and number > 0):
        raise c.fail("training.clip_norm", f"expected a finite number above 0 (or null for no "
                                           f"clipping), got {show_value(value)}")
    return number


def _one_sample_batches(c: Fields[ExperimentError], n: int, batch: int | None) -> None:
    """Batch norm of one sample is refused (PyTorch refuses it too): z − μ is 0."""
    if n == 1:
        why = "the data has only 1 sample"
    elif batch == 1:
        why = "training.batch_size is 1"
    elif batch is not None and batch < n and n % batch == 1:
        why = (f"{n} samples in batches of {batch} leave a last batch of 1 sample "
               f"({n} mod {batch} = 1)")
    else:
        return
    raise c.fail("network.norm", f"\"batch\" needs at least 2 samples in every batch (one "
                                 f"sample is its own mean: z − μ = 0), but {why}; use "
                                 "\"layer\" or another batch size")


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and check an experiment file; raises ExperimentError with one clear sentence."""
    name = display_name(path)
    return parse_experiment(read_json(path, ExperimentError, "experiment", name), name)


def parse_text(text: str, source: str = "experiment") -> Experiment:
    """Check an experiment's JSON text (an autosave, say) as :func:`load_experiment` does."""
    return parse_experiment(parse_json(text, source, ExperimentError), source)


def dumps(experiment: Experiment) -> str:
    """The experiment as JSON text; ExperimentError when a parameter is inf or NaN."""
    for name, values in (("weights", experiment.weights), ("biases", experiment.biases),
                         ("alphas", experiment.alphas), ("gammas", experiment.gammas),
                         ("betas", experiment.betas)):
        for i, v in enumerate(values or ()):
            if v is not None and not np.isfinite(v).all():
                raise ExperimentError(
                    f"cannot save network.{name}[{i}]: it holds inf or NaN (training "
                    "diverged); reset the network or change the parameters first")
    params = sum(w.size for w in experiment.weights or ())
    if params > INDENT_LIMIT:  # a big network: one line per number would double the file
        return json.dumps(experiment.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
    return json.dumps(experiment.to_json(), indent=1, allow_nan=False) + "\n"


def save_experiment(path: str | os.PathLike[str], experiment: Experiment) -> None:
    """Write the experiment atomically: the old file stays whole until the new one is."""
    write_atomic(path, dumps(experiment))


# -- saving -------------------------------------------------------------------------------

TEMP_MARK = ".vanishgui-tmp-"
STALE_SECONDS = 3600  # a temporary file this old is from a save that will never finish
# ".NAME.vanishgui-tmp-PID-RANDOM.tmp": still ".NAME.*.tmp", as the autosave clears them
_TEMP_NAME = re.compile(r"^\..+" + re.escape(TEMP_MARK) + r"(\d+)-[0-9a-z]+\.tmp$")
_NAME_BYTES = 255  # the longest file name most file systems take


class SaveError(OSError):
    """A save that was refused or failed. ``strerror`` says why in a clause that reads on
    after "PATH: " (as the windows print it); ``str()`` is the whole sentence."""

    def __str__(self) -> str:
        return f"{display_name(self.filename)}: {self.strerror}"


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write ``text`` (UTF-8; or bytes as they are, for pictures) to ``path`` atomically: the
    old file stays whole until the new one is, and what the file is stays the same.

    The text goes to a temporary file in the same folder (``.NAME.vanishgui-tmp-PID-RANDOM
    .tmp``), flushed to disk, then renamed over the file. A symbolic link is written
    through: its target is replaced, and the link stays a link. The file keeps its mode (and,
    where the system allows, its owner and group); a new file gets 0666 less the umask. A
    file with other hard links is refused: replacing it would leave the other names with the
    old content. Temporary files of saves whose process has died (or that are over an hour
    old) are removed from the folder first. Every failure is a :class:`SaveError` (an
    OSError) of one sentence naming ``path``.
    """
    given = os.fspath(path)
    target = _through_links(given)
    info = _existing_file(target, given)
    folder = os.path.dirname(target)
    _remove_stale_temporaries(folder)
    tmp = os.path.join(folder, _temporary_name(os.path.basename(target)))
    try:
        # O_EXCL: never through a link someone put there; 0o666: the umask decides. (On
        # Windows O_BINARY: the text layer already writes "\r\n", as tempfile's files did.)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0), 0o600 if info is not None else 0o666)
    except OSError as e:
        raise _save_error(e, given, creating=True) from None
    try:
        f: IO[Any] = (os.fdopen(fd, "wb") if isinstance(text, bytes)
                      else os.fdopen(fd, "w", encoding="utf-8"))
        with f:
            if info is not None:
                _keep_mode(f.fileno(), tmp, info)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, SaveError):
            raise _save_error(e, given) from None
        raise


def _through_links(given: str) -> str:
    """The file a save replaces: ``given``, or the file its symbolic links lead to."""
    if not os.path.islink(given):
        return given
    target = os.path.realpath(given)
    if os.path.islink(target):  # realpath stops where the links go round in a circle
        raise SaveError(errno.ELOOP, "is a symbolic link that leads back to itself, so "
                                     "nothing was saved", given)
    return target


def _existing_file(target: str, given: str) -> os.stat_result | None:
    """What is at ``target`` (None if nothing), or SaveError if saving must not replace it."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _save_error(e, given) from None
    if stat.S_ISDIR(info.st_mode):
        raise SaveError(errno.EISDIR, "is a folder, not a file, so nothing was saved", given)
    if not stat.S_ISREG(info.st_mode):
        raise SaveError(None, "is not a regular file (a pipe or a device), so nothing was "
                              "saved", given)
    if info.st_nlink > 1:
        others = info.st_nlink - 1
        # A new file renamed over this name would leave the other names with the old
        # content: the one file silently becomes two.
        raise SaveError(None, f"has {info.st_nlink} hard links, and saving would leave the "
                              f"other {'link' if others == 1 else f'{others} links'} with the "
                              "old content, so nothing was saved (save under another name)",
                        given)
    return info


def _keep_mode(fd: int, tmp: str, info: os.stat_result) -> None:
    """Give the temporary file the saved file's owner, group and mode."""
    if hasattr(os, "fchown"):
        now = os.fstat(fd)
        if (now.st_uid, now.st_gid) != (info.st_uid, info.st_gid):
            for uid in (info.st_uid, -1):  # the owner only root may give; the group, members
                try:
                    os.fchown(fd, uid, info.st_gid)
                    break
                except OSError:
                    continue
    # The set-user and set-group bits are not kept: a data file has no use for them, and
    # the file is now ours.
    mode = stat.S_IMODE(info.st_mode) & ~(stat.S_ISUID | stat.S_ISGID)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows, before Python 3.13
        os.chmod(tmp, mode)


def _temporary_name(name: str) -> str:
    mark = f"{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}.tmp"
    room = _NAME_BYTES - 1 - len(mark)
    while len(os.fsencode(name)) > room:  # a long name: cut, so the temporary fits
        name = name[:-1]
    return f".{name}{mark}"


def _remove_stale_temporaries(folder: str) -> None:
    """Remove our temporary files in ``folder`` whose save will never finish: the process
    that wrote them is gone, or they are over STALE_SECONDS old."""
    try:
        with os.scandir(folder or ".") as entries:
            ours = [(e, int(m[1])) for e in entries if (m := _TEMP_NAME.match(e.name))]
    except OSError:
        return
    now = time.time()
    for entry, pid in ours:
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > STALE_SECONDS or not _running(pid):
                os.unlink(entry.path)


def _running(pid: int) -> bool:
    """Whether process ``pid`` is alive (True when that cannot be told)."""
    if pid == os.getpid() or os.name != "posix":
        return True  # on Windows os.kill would end the process: there, age alone decides
    try:
        os.kill(pid, 0)  # signal 0: only asks whether it exists
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):  # no process has a number that large
        return False
    except OSError:  # it exists, but is someone else's
        return True
    return True


def _save_error(e: OSError, given: str, creating: bool = False) -> SaveError:
    reason = e.strerror or str(e)
    if creating and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = f"cannot be saved: its folder cannot be written to ({reason})"
    elif creating and e.errno in (errno.ENOENT, errno.ENOTDIR):
        why = f"cannot be saved: its folder does not exist ({reason})"
    else:
        why = f"cannot be saved ({reason})"
    return SaveError(e.errno, why, given)


CLASSIC = {
    "format": FORMAT,
    "version": VERSION,
    "network": {"layers": [1, 1, 1, 1], "hidden_activation": "sigmoid",
                "output_activation": "sigmoid", "init": {"scheme": "xavier_uniform", "seed": 0}},
    "data": {"inputs": [[0.5]], "targets": [[1.0]]},
    "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": 0.5},
}


def classic() -> Experiment:
    """The textbook example: 1 input, two hidden sigmoid neurons, a sigmoid output."""
    return parse_experiment(CLASSIC, "the classic example")
