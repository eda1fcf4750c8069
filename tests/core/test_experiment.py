"""The experiment file: bad files, defaults, activation objects, saving and loading, data."""

from __future__ import annotations

import copy
import io
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core import datasets
from vanishgui.core.experiment import (
    CLASSIC,
    Experiment,
    ExperimentError,
    classic,
    load_experiment,
    parse_experiment,
    save_experiment,
)
from vanishgui.core.report import main as report_main

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "classic.json"


def base_doc() -> dict:
    return copy.deepcopy(CLASSIC)


def with_field(path: str, value) -> dict:
    """The classic document with one field set (``...`` deletes it)."""
    doc = base_doc()
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


def run_report(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = report_main([str(path), *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- bad files --------------------------------------------------------------------------

_W = [[[1234.5]], [[0.5]], [[0.5]]]
_BIG = "1" + "0" * 400  # valid JSON, too large for a float

BAD_FILES: dict[str, tuple[str, str]] = {
    # name: (file text, what the message must name)
    "not JSON": ('{"format": "vanishgui-experiment", "version": ', "not valid JSON"),
    "empty file": ("", "not valid JSON"),
    "not an object": ("[1, 2, 3]", "expected a JSON object"),
    "layers not a list": (json.dumps(with_field("network.layers", "three")), "network.layers"),
    "size a string": (json.dumps(with_field("network.layers", [1, "2", 1])),
                      "network.layers[1]"),
    "size a boolean": (json.dumps(with_field("network.layers", [1, True, 1])),
                       "network.layers[1]"),
    "size a fraction": (json.dumps(with_field("network.layers", [1, 2.5, 1])),
                        "network.layers[1]"),
    "learning rate a string": (json.dumps(with_field("training.learning_rate", "fast")),
                               "training.learning_rate"),
    "learning rate zero": (json.dumps(with_field("training.learning_rate", 0)),
                           "training.learning_rate"),
    "learning rate infinite": (
        json.dumps(with_field("training.learning_rate", 1234.5)).replace("1234.5", "Infinity"),
        "training.learning_rate"),
    "learning rate a 400-digit integer": (
        json.dumps(with_field("training.learning_rate", 1234.5)).replace("1234.5", _BIG),
        "training.learning_rate"),
    "weight a 400-digit integer": (
        json.dumps(with_field("network.weights", [[[1234.5]], [[0.5]], [[0.5]]])).replace(
            "1234.5", _BIG), "network.weights[0][0][0]"),
    "activation parameter a 400-digit integer": (
        json.dumps(with_field("network.hidden_activation", {"name": "elu", "alpha": 1234.5}))
        .replace("1234.5", _BIG), "network.hidden_activation"),
    "initialiser parameter a 400-digit integer": (
        json.dumps(with_field("network.init", {"scheme": "normal", "std": 1234.5})).replace(
            "1234.5", _BIG), "network.init"),
    "a 5000-digit integer": (
        json.dumps(with_field("training.learning_rate", 1234.5)).replace("1234.5", "9" * 5000),
        "not valid JSON"),
    "momentum a boolean": (json.dumps(with_field("training.momentum", True)),
                           "training.momentum"),
    "batch size a fraction": (json.dumps(with_field("training.batch_size", 0.5)),
                              "training.batch_size"),
    "inputs a string": (json.dumps(with_field("data.inputs", "x")), "data.inputs"),
    "network a list": (json.dumps(with_field("network", [])), "network"),
    "negative size": (json.dumps(with_field("network.layers", [1, -3, 1])), "network.layers[1]"),
    "zero size": (json.dumps(with_field("network.layers", [1, 0, 1])), "network.layers[1]"),
    "unknown activation": (json.dumps(with_field("network.hidden_activation", "swishy")),
                           "network.hidden_activation"),
    "unknown output activation": (json.dumps(with_field("network.output_activation", "step")),
                                  "network.output_activation"),
    "unknown activation in list": (
        json.dumps(with_field("network.activations", ["sigmoid", "tanhh", "sigmoid"])),
        "network.activations[1]"),
    "activation object without name": (
        json.dumps(with_field("network.hidden_activation", {"negative_slope": 0.2})),
        "network.hidden_activation"),
    "activation object with unknown parameter": (
        json.dumps(with_field("network.hidden_activation", {"name": "leaky_relu",
                                                            "slope": 0.2})),
        "network.hidden_activation"),
    "activation parameter not a number": (
        json.dumps(with_field("network.hidden_activation", {"name": "elu", "alpha": "1"})),
        "network.hidden_activation"),
    "NaN in weights": (
        json.dumps(with_field("network.weights", _W)).replace("1234.5", "NaN"),
        "network.weights[0][0][0]"),
    "Infinity in biases": (
        json.dumps(with_field("network.biases", [[0.0], [0.0], [0.0]])).replace(
            "0.0", "-Infinity", 1),
        "network.biases[0][0]"),
    "NaN in inputs": (
        json.dumps(with_field("data.inputs", [[0.25]])).replace("0.25", "NaN"),
        "data.inputs[0][0]"),
    "weights of the wrong shape": (
        json.dumps(with_field("network.weights", [[[0.5]], [[0.5, 0.5]], [[0.5]]])),
        "network.weights[1]"),
    "too few weight matrices": (json.dumps(with_field("network.weights", [[[0.5]], [[0.5]]])),
                                "network.weights"),
    "biases of the wrong length": (json.dumps(with_field("network.biases", [[0], [0, 0], [0]])),
                                   "network.biases[1]"),
    "targets and inputs of different lengths": (
        json.dumps(with_field("data.targets", [[1.0], [0.0]])), "data.targets"),
    "inputs of the wrong width": (json.dumps(with_field("data.inputs", [[0.5, 0.5]])),
                                  "data.inputs[0]"),
    "data set of the wrong width": (
        json.dumps({**with_field("data", {"dataset": "xor"})}), "network.layers"),
    "depth 0": (json.dumps(with_field("network.layers", [1])), "network.layers"),
    "no layers": (json.dumps(with_field("network.layers", [])), "network.layers"),
    "width 10,000": (json.dumps(with_field("network.layers", [1, 10000, 1])),
                     "network.layers[1]"),
    "65 weight layers": (json.dumps(with_field("network.layers", [1] * 66)), "network.layers"),
    "unknown top-level field": (json.dumps({**base_doc(), "netwrok": {}}), "netwrok"),
    "unknown training field": (json.dumps(with_field("training.lr", 0.1)), "training.lr"),
    "unknown network field": (json.dumps(with_field("network.depth", 3)), "network.depth"),
    "unknown field with a line break": (json.dumps(with_field("training.l\nr", 1)),
                                        "training.l"),
    "missing training": (json.dumps(with_field("training", ...)), "training"),
    "missing loss": (json.dumps(with_field("training.loss", ...)), "training.loss"),
    "missing learning rate": (json.dumps(with_field("training.learning_rate", ...)),
                              "training.learning_rate"),
    "missing layers": (json.dumps(with_field("network.layers", ...)), "network.layers"),
    "missing targets": (json.dumps(with_field("data.targets", ...)), "data.targets"),
    "missing format": (json.dumps(with_field("format", ...)), "format"),
    "wrong format": (json.dumps(with_field("format", "vanishgui-report")), "format"),
    "wrong version": (json.dumps(with_field("version", 2)), "version"),
    "bce with relu output": (
        json.dumps(with_field("training.loss", "bce") | {}).replace(
            '"output_activation": "sigmoid"', '"output_activation": "relu"'),
        "training.loss"),
    "bce with targets above 1": (
        json.dumps(with_field("training.loss", "bce")).replace('"targets": [[1.0]]',
                                                               '"targets": [[2.0]]'),
        "data.targets"),
    "unknown loss": (json.dumps(with_field("training.loss", "hinge")), "training.loss"),
    "unknown optimiser": (json.dumps(with_field("training.optimizer", "rmsprop")),
                          "training.optimizer"),
    "momentum with adam": (
        json.dumps(with_field("training.optimizer", "adam")).replace(
            '"learning_rate": 0.5', '"learning_rate": 0.5, "momentum": 0.9'),
        "training.momentum"),
    "unknown initialiser": (json.dumps(with_field("network.init", {"scheme": "orthogonal"})),
                            "network.init"),
    "alpha on a sigmoid layer": (json.dumps(with_field("network.alphas", [0.1, None, None])),
                                 "network.alphas[0]"),
    "unknown data set": (json.dumps(with_field("data", {"dataset": "mnist"})), "data.dataset"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_exits_2_with_one_line_naming_file_and_field(tmp_path, name: str) -> None:
    text, field = BAD_FILES[name]
    path = tmp_path / "bad experiment.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_report(path)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert str(path) in err
    assert field in err, err
    # and load_experiment raises the same message, without the command's prefix
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert str(caught.value) in err
    assert "\n" not in str(caught.value)


def test_bad_file_messages_name_the_value(tmp_path) -> None:
    for name, needle in (("unknown activation", "swishy"), ("width 10,000", "10000"),
                         ("negative size", "-3"), ("NaN in weights", "nan"),
                         ("bce with relu output", "relu"), ("depth 0", "at least 2")):
        path = tmp_path / "e.json"
        path.write_text(BAD_FILES[name][0], encoding="utf-8")
        _, _, err = run_report(path)
        assert needle in err, (name, err)


def test_unreadable_files_exit_2(tmp_path) -> None:
    missing = tmp_path / "nowhere.json"
    code, out, err = run_report(missing)
    assert (code, out) == (2, "")
    assert str(missing) in err and err.count("\n") == 1
    code, _, err = run_report(tmp_path)  # a folder
    assert code == 2 and str(tmp_path) in err and err.count("\n") == 1
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    code, _, err = run_report(binary)
    assert code == 2 and str(binary) in err and err.count("\n") == 1


def test_bad_steps_exit_2(tmp_path) -> None:
    code, out, err = run_report(EXAMPLE, "--steps", "-1")
    assert (code, out) == (2, "")
    assert "--steps" in err and err.count("\n") == 1


def test_the_example_file_is_the_classic_experiment() -> None:
    code, out, err = run_report(EXAMPLE, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["layers"][0]["size"] == 1
    loaded = load_experiment(EXAMPLE)
    assert loaded.to_json() == classic().to_json()


def test_the_largest_network_loads_and_reports(tmp_path) -> None:
    """64 weight layers, widths up to 256: the limits themselves are accepted."""
    layers = [1, 256] + [3] * 62 + [1]
    assert len(layers) == 65
    doc = with_field("network.layers", layers)
    doc["network"]["hidden_activation"] = "tanh"
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    exp = load_experiment(path)
    assert exp.depth == 64
    code, out, err = run_report(path, "--steps", "1", "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert len(report["layers"]) == 64
    assert [len(w) for w in report["final"]["weights"]] == layers[1:]
    assert len(report["layers"][1]["grad_weights"][0]) == 256


# -- defaults and activation objects ------------------------------------------------------


def test_defaults_are_applied() -> None:
    exp = parse_experiment({
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {"layers": [2, 3, 1]},
        "data": {"dataset": "xor"},
        "training": {"loss": "mse", "learning_rate": 0.1},
    })
    assert [a.name for a in exp.activations] == ["sigmoid", "sigmoid"]
    assert exp.hidden_activation.name == exp.output_activation.name == "sigmoid"
    assert exp.per_layer is False
    assert (exp.init.scheme, exp.init.seed, exp.init.params) == ("xavier_uniform", 0, ())
    assert exp.weights is exp.biases is exp.alphas is None
    assert (exp.optimizer, exp.momentum, exp.batch_size) == ("sgd", 0.0, None)
    assert (exp.dataset, exp.samples, exp.noise, exp.data_seed) == ("xor", 200, 0.1, 0)
    assert exp.classification
    net = exp.build_network()
    assert [w.shape for w in net.weights] == [(3, 2), (1, 3)]
    for w, (fan_in, fan_out) in zip(net.weights, [(2, 3), (3, 1)]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))  # torch.nn.init.xavier_uniform_
        assert np.all(np.abs(w) <= bound)
        assert len(np.unique(w)) == w.size
    assert all(np.array_equal(b, np.zeros(n)) for b, n in zip(net.biases, (3, 1)))
    assert net.alphas == (None, None)
    x, y = exp.data()
    assert x.shape == (200, 2) and y.shape == (200, 1)


def test_prelu_slope_starts_at_a_quarter_and_can_be_given() -> None:
    doc = with_field("network.hidden_activation", "prelu")
    assert parse_experiment(doc).build_network().alphas == (0.25, 0.25, None)
    doc["network"]["alphas"] = [0.1, None, None]
    assert parse_experiment(doc).build_network().alphas == (0.1, 0.25, None)


def test_activation_objects_are_parsed() -> None:
    doc = with_field("network.activations", [
        {"name": "leaky_relu", "negative_slope": 0.2},
        {"name": "elu", "alpha": 0.5},
        "silu",
    ])
    doc["training"]["loss"] = "mse"
    exp = parse_experiment(doc)
    leaky, elu, silu = exp.activations
    assert exp.per_layer
    assert leaky.name == "leaky_relu" and leaky.param("negative_slope") == 0.2
    assert leaky.forward(np.array([-1.0, 2.0])).tolist() == [-0.2, 2.0]
    assert leaky.derivative(np.array([-1.0, 0.0, 2.0])).tolist() == [0.2, 0.2, 1.0]
    assert elu.name == "elu" and elu.param("alpha") == 0.5
    assert elu.forward(np.array([-1.0]))[0] == pytest.approx(0.5 * (np.exp(-1.0) - 1.0))
    assert silu.name == "swish"
    assert leaky.to_json() == {"name": "leaky_relu", "negative_slope": 0.2}
    # a parameter at its default is the plain activation
    plain = parse_experiment(with_field("network.hidden_activation",
                                        {"name": "leaky_relu", "negative_slope": 0.01}))
    assert plain.activations[0].params == ()
    assert plain.activations[0].param("negative_slope") == 0.01
    # case does not matter, and "identity" is "linear"
    assert parse_experiment(with_field("network.hidden_activation", "TanH")).activations[0] \
        .name == "tanh"
    assert parse_experiment(with_field("network.hidden_activation", "identity")) \
        .activations[0].name == "linear"


# -- saving and loading -------------------------------------------------------------------


def _awkward_floats(rng: np.random.Generator, shape) -> np.ndarray:
    """Random doubles, with some that only survive an exact round trip (−0, subnormals)."""
    a = rng.normal(0.0, 1.0, shape) * 10.0 ** rng.integers(-20, 20, shape)
    flat = a.reshape(-1)
    specials = [-0.0, 5e-324, 1 / 3, 0.1, -1.7976931348623157e308, 2.2250738585072014e-308]
    flat[: min(len(flat), len(specials))] = specials[: len(flat)]
    return a


def _explicit_doc(seed: int = 0, awkward: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    draw = _awkward_floats if awkward else (lambda r, shape: r.normal(0.0, 0.8, shape))
    layers = [3, 4, 4, 2]
    return {
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {
            "layers": layers,
            "activations": ["prelu", {"name": "elu", "alpha": 0.3}, "sigmoid"],
            "init": {"scheme": "normal", "std": 0.7, "seed": 9},
            "weights": [draw(rng, (o, i)).tolist()
                        for i, o in itertools.pairwise(layers)],
            "biases": [rng.normal(0, 1, o).tolist() for o in layers[1:]],
            "alphas": [0.125, None, None],
        },
        "data": {"inputs": rng.normal(0, 1, (5, 3)).tolist(),
                 "targets": rng.uniform(0, 1, (5, 2)).tolist()},
        "training": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.3, "batch_size": 2},
    }


def _assert_same(a: Experiment, b: Experiment) -> None:
    assert a.to_json() == b.to_json()
    for name in ("weights", "biases"):
        xs, ys = getattr(a, name), getattr(b, name)
        assert (xs is None) == (ys is None)
        for x, y in zip(xs or (), ys or ()):
            assert x.dtype == y.dtype == np.float64
            assert x.tobytes() == y.tobytes()  # bit for bit, −0.0 included
    assert a.alphas == b.alphas
    for x, y in zip(a.data(), b.data()):
        assert x.tobytes() == y.tobytes()


def test_save_then_load_round_trips_exactly(tmp_path) -> None:
    exp = parse_experiment(_explicit_doc())
    path = tmp_path / "exp.json"
    save_experiment(path, exp)
    loaded = load_experiment(path)
    _assert_same(exp, loaded)
    assert np.signbit(loaded.weights[0].reshape(-1)[0])  # −0.0 stayed negative
    assert loaded.weights[0].reshape(-1)[1] == 5e-324
    # saving what was loaded writes the same bytes
    again = tmp_path / "again.json"
    save_experiment(again, loaded)
    assert again.read_bytes() == path.read_bytes()
    moons = with_field("data", {"dataset": "moons", "samples": 7, "noise": 0.25, "seed": 4})
    moons["network"]["layers"] = [2, 3, 1]
    for e in (classic(), parse_experiment(moons)):
        save_experiment(path, e)
        _assert_same(e, load_experiment(path))


def test_trained_parameters_round_trip_bit_for_bit(tmp_path) -> None:
    exp = parse_experiment(_explicit_doc(1, awkward=False))
    trainer = exp.trainer()
    trainer.train(7)
    assert trainer.network.alphas[0] != 0.125  # the slope trained
    saved = exp.with_parameters(trainer.network)
    path = tmp_path / "trained.json"
    save_experiment(path, saved)
    loaded = load_experiment(path)
    _assert_same(saved, loaded)
    net = loaded.build_network()
    for got, want in zip(net.weights + net.biases,
                         trainer.network.weights + trainer.network.biases):
        assert got.tobytes() == want.tobytes()
    assert net.alphas == trainer.network.alphas
    # Plain SGD keeps no state, so training on from the saved file is training on.
    doc = _explicit_doc(1, awkward=False)
    del doc["training"]["batch_size"]
    full = parse_experiment(doc)
    t1 = full.trainer()
    t1.train(4)
    path2 = tmp_path / "full.json"
    save_experiment(path2, full.with_parameters(t1.network))
    t2 = load_experiment(path2).trainer()
    t1.train(3)
    t2.train(3)
    for got, want in zip(t2.network.weights, t1.network.weights):
        assert got.tobytes() == want.tobytes()
    assert t2.network.alphas == t1.network.alphas


def test_save_is_atomic_when_the_rename_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "exp.json"
    save_experiment(path, classic())
    before = path.read_bytes()
    new = parse_experiment(_explicit_doc())
    seen: list[str] = []

    def failing_replace(src, dst):
        # by now the new text is whole and on disk, under a temporary name
        seen.append(Path(src).read_text(encoding="utf-8"))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        save_experiment(path, new)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_experiment(path).to_json() == classic().to_json()
    assert [p.name for p in tmp_path.iterdir()] == ["exp.json"]  # no temporary file left
    assert len(seen) == 1
    assert json.loads(seen[0]) == json.loads(json.dumps(new.to_json()))
    save_experiment(path, new)  # and without the failure it is replaced
    _assert_same(new, load_experiment(path))


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "exp.json"
    save_experiment(path, classic())
    before = path.read_bytes()

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        save_experiment(path, parse_experiment(_explicit_doc()))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["exp.json"]


def test_a_trained_slope_of_any_size_round_trips(tmp_path) -> None:
    exp = parse_experiment(_explicit_doc(2, awkward=False))
    net = exp.build_network()
    steep = net.with_parameters(net.weights, net.biases, (-250.5, None, None))
    path = tmp_path / "steep.json"
    save_experiment(path, exp.with_parameters(steep))
    assert load_experiment(path).alphas == (-250.5, None, None)


def test_a_diverged_network_is_not_saved(tmp_path) -> None:
    exp = parse_experiment(_explicit_doc(2, awkward=False))
    net = exp.build_network()
    weights = list(net.weights)
    weights[1] = weights[1] * np.nan
    broken = exp.with_parameters(net.with_parameters(tuple(weights), net.biases, net.alphas))
    path = tmp_path / "exp.json"
    save_experiment(path, exp)
    before = path.read_bytes()
    with pytest.raises(ExperimentError, match=r"network\.weights\[1\]"):
        save_experiment(path, broken)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["exp.json"]


# -- data sets and batches -------------------------------------------------------------------


@pytest.mark.parametrize("name", datasets.NAMES)
def test_data_sets_are_reproducible_from_a_seed(name: str) -> None:
    d_in, d_out, is_class, _ = datasets.DATASETS[name]
    x1, y1 = datasets.generate(name, 60, 0.1, seed=5)
    x2, y2 = datasets.generate(name, 60, 0.1, seed=5)
    assert x1.tobytes() == x2.tobytes() and y1.tobytes() == y2.tobytes()
    assert x1.dtype == y1.dtype == np.float64
    if name == "classic":
        assert x1.tolist() == [[0.5]] and y1.tolist() == [[1.0]]
        return
    assert x1.shape == (60, d_in) and y1.shape == (60, d_out)
    x3, _ = datasets.generate(name, 60, 0.1, seed=6)
    assert not np.array_equal(x1, x3)
    if is_class:
        assert set(np.unique(y1)) == {0.0, 1.0}
        if name != "xor":
            assert y1.sum() == 30  # half of each class
    # and through an experiment file
    doc = with_field("data", {"dataset": name, "samples": 60, "noise": 0.1, "seed": 5})
    doc["network"]["layers"] = [d_in, 3, d_out]
    a, b = parse_experiment(doc).data(), parse_experiment(doc).data()
    assert a[0].tobytes() == b[0].tobytes() == x1.tobytes()
    assert a[1].tobytes() == b[1].tobytes() == y1.tobytes()


def test_noise_free_data_sets_follow_their_definitions() -> None:
    x, y = datasets.generate("sine", 100, 0.0, seed=2)
    assert np.all(np.abs(x) <= np.pi)
    np.testing.assert_array_equal(y, np.sin(x))
    x, y = datasets.generate("xor", 100, 0.0, seed=2)
    np.testing.assert_array_equal(y[:, 0], (x[:, 0] * x[:, 1] < 0).astype(float))
    x, y = datasets.generate("circles", 100, 0.0, seed=2)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), np.where(y[:, 0] == 1, 0.5, 1.0))


def _batch_sequence(exp: Experiment, steps: int) -> list[list[int]]:
    trainer = exp.trainer()
    return [trainer.step().batch.tolist() for _ in range(steps)]


def test_minibatch_order_is_reproducible() -> None:
    doc = with_field("data", {"dataset": "gaussians", "samples": 10, "seed": 1})
    doc["network"]["layers"] = [2, 3, 1]
    doc["network"]["init"] = {"scheme": "he_normal", "seed": 42}
    doc["training"]["batch_size"] = 4
    exp = parse_experiment(doc)
    first = _batch_sequence(exp, 9)
    assert first == _batch_sequence(parse_experiment(doc), 9)
    assert [len(b) for b in first] == [4, 4, 2] * 3
    # as training.py documents: one permutation per epoch from default_rng([seed, epoch])
    for epoch in range(3):
        order = np.random.default_rng([42, epoch]).permutation(10)
        flat = [i for batch in first[3 * epoch: 3 * epoch + 3] for i in batch]
        assert flat == order.tolist()
        assert sorted(flat) == list(range(10))
    assert first[:3] != first[3:6]  # a new order every epoch
    doc["network"]["init"]["seed"] = 43
    assert _batch_sequence(parse_experiment(doc), 9) != first
    # full batch: no indices, every sample in order
    del doc["training"]["batch_size"]
    p = parse_experiment(doc).trainer().step()
    assert p.batch is None and len(p.inputs) == 10
