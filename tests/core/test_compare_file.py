"""Networks compared side by side: what the variants share, and the comparison file."""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.compare import (
    FORMAT,
    ComparisonError,
    load_comparison,
    make_comparison,
    parse_comparison,
    save_comparison,
    variants,
)
from vanishgui.core.experiment import (
    Experiment,
    ExperimentError,
    classic,
    load_experiment,
    parse_experiment,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def chain() -> Experiment:
    return load_experiment(EXAMPLES / "deep-chain-sigmoid.json")


def circles() -> Experiment:
    return load_experiment(EXAMPLES / "deep-sigmoid-circles.json")


def same_arrays(a, b) -> bool:
    return len(a) == len(b) and all(x.tobytes() == y.tobytes() and x.shape == y.shape
                                    for x, y in zip(a, b))


def without(doc: dict, *keys: str) -> dict:
    return {k: v for k, v in doc.items() if k not in keys}


# -- activation ---------------------------------------------------------------------------


def test_activation_variants_share_everything_but_the_hidden_activation() -> None:
    base = circles()
    nets = variants(base, "activation", ["sigmoid", "tanh", "relu"])
    assert [n.activations[0].name for n in nets] == ["sigmoid", "tanh", "relu"]
    for n in nets:
        assert n.activations[-1].name == "sigmoid"  # the output layer keeps its own
        assert {a.name for a in n.activations[:-1]} == {n.hidden_activation.name}
        assert same_arrays(n.build_network().weights, base.build_network().weights)
        x, y = n.data()
        bx, by = base.data()
        assert x.tobytes() == bx.tobytes() and y.tobytes() == by.tobytes()
        assert n.init == base.init  # hence the same mini-batch order
        for key in ("data", "training"):
            assert n.to_json()[key] == base.to_json()[key]
    assert nets[0].to_json() == base.to_json()  # sigmoid against sigmoid: the base itself


def test_given_weights_carry_over_and_a_prelu_slope_only_to_prelu() -> None:
    doc = copy.deepcopy(classic().to_json())
    doc["network"]["hidden_activation"] = "prelu"
    doc["network"]["weights"] = [[[0.3]], [[-0.7]], [[1.1]]]
    doc["network"]["biases"] = [[0.1], [0.2], [0.3]]
    doc["network"]["alphas"] = [0.4, 0.05, None]
    base = parse_experiment(doc)
    relu, prelu = variants(base, "activation", ["relu", "prelu"])
    assert same_arrays(relu.weights, base.weights) and same_arrays(relu.biases, base.biases)
    assert relu.alphas == (None, None, None)
    assert prelu.alphas == (0.4, 0.05, None)


def test_per_layer_activations_are_switched_in_every_hidden_layer() -> None:
    doc = copy.deepcopy(classic().to_json())
    doc["network"]["activations"] = ["tanh", "sigmoid", "sigmoid"]
    (relu,) = variants(parse_experiment(doc), "activation", ["relu", "elu"])[:1]
    assert [a.name for a in relu.activations] == ["relu", "relu", "sigmoid"]


def test_activation_labels_name_parameters() -> None:
    c = make_comparison(chain(), "activation",
                        ["relu", {"name": "leaky_relu", "negative_slope": 0.2}, "silu"])
    assert c.labels == ("ReLU", "Leaky ReLU (0.2)", "Swish (SiLU)")
    assert c.values == ("relu", {"name": "leaky_relu", "negative_slope": 0.2}, "swish")


# -- init -----------------------------------------------------------------------------------


def test_init_variants_draw_from_the_same_seed() -> None:
    base = circles()
    c = make_comparison(base, "init", [{"scheme": "normal", "std": 1.0}, "xavier_normal",
                                       "he_normal"])
    assert c.labels == ("Normal (std 1)", "Xavier normal", "He normal")
    normal, xavier, he = (n.build_network().weights for n in c.networks)
    for n in c.networks:
        assert n.init.seed == base.init.seed
        assert n.weights is None
    # The same standard-normal draws, scaled: the networks differ only in the scale.
    for w1, wx, wh, (fan_out, fan_in) in zip(normal, xavier, he, (w.shape for w in normal)):
        assert np.allclose(wx, w1 * math.sqrt(2 / (fan_in + fan_out)), rtol=1e-12, atol=0)
        assert np.allclose(wh, w1 * math.sqrt(2 / fan_in), rtol=1e-12, atol=0)


def test_an_init_value_may_name_its_own_seed_and_given_weights_are_dropped() -> None:
    base = parse_experiment({**classic().to_json(), "network": {
        **classic().to_json()["network"], "weights": [[[0.3]], [[-0.7]], [[1.1]]]}})
    a, b = variants(base, "init", ["he_uniform", {"scheme": "he_uniform", "seed": 7}])
    assert a.weights is None and a.init.seed == 0
    assert b.init.seed == 7
    assert not same_arrays(a.build_network().weights, b.build_network().weights)
    c = make_comparison(base, "init", ["he_uniform", {"scheme": "he_uniform", "seed": 7}])
    assert c.labels == ("He uniform", "He uniform, seed 7")


# -- depth ----------------------------------------------------------------------------------


def test_depth_variants_share_the_layers_by_the_input_and_the_output_layer() -> None:
    base = chain()  # 9 hidden layers of one neuron
    start = base.build_network()
    c = make_comparison(base, "depth", [1, 4, 9, 12])
    assert c.labels == ("1 hidden layer", "4 hidden layers", "9 hidden layers",
                        "12 hidden layers")
    assert [n.depth for n in c.networks] == [2, 5, 10, 13]
    for n in c.networks:
        w = n.build_network().weights
        k = n.depth - 1
        assert same_arrays(w[: min(k, 9)], start.weights[: min(k, 9)])
        assert w[-1].tobytes() == start.weights[-1].tobytes()  # the output layer
        assert {a.name for a in n.activations[:-1]} == {"sigmoid"}
        assert n.activations[-1].name == "sigmoid"
    assert c.networks[2].weights is None  # the base itself: drawn from its initialiser
    # the layers added to the deepest are drawn from the base's initialiser (uniform 0.5–1.5)
    extra = np.concatenate([w.ravel() for w in c.networks[3].build_network().weights[9:12]])
    assert ((extra >= 0.5) & (extra <= 1.5)).all()


def test_depth_variants_repeat_the_last_hidden_width_and_keep_given_weights() -> None:
    doc = copy.deepcopy(circles().to_json())
    doc["network"]["layers"] = [2, 8, 4, 1]
    base = parse_experiment(doc)
    t = base.trainer()
    t.train(3)
    base = base.with_parameters(t.network)  # trained weights, as after a save
    shallow, same, deep = variants(base, "depth", [1, 2, 4])
    assert shallow.layers == (2, 8, 1) and deep.layers == (2, 8, 4, 4, 4, 1)
    assert same_arrays(same.weights, base.weights) and same_arrays(same.biases, base.biases)
    assert same_arrays(deep.weights[:2], base.weights[:2])
    assert deep.weights[-1].tobytes() == base.weights[-1].tobytes()
    assert shallow.weights[0].tobytes() == base.weights[0].tobytes()
    # layer 2 of the shallow net is the output (1 × 8), the base's output is 1 × 4: drawn
    assert shallow.weights[1].shape == (1, 8)


def test_depth_needs_a_hidden_layer() -> None:
    doc = copy.deepcopy(classic().to_json())
    doc["network"]["layers"] = [1, 1]
    with pytest.raises(ComparisonError, match=r"^comparison: setting: depth needs"):
        variants(parse_experiment(doc), "depth", [1, 2])


# -- optimizer -------------------------------------------------------------------------------


def test_optimizer_variants_keep_the_starting_weights_and_drop_momentum_for_adam() -> None:
    doc = copy.deepcopy(classic().to_json())
    doc["training"]["momentum"] = 0.9
    base = parse_experiment(doc)
    c = make_comparison(base, "optimizer", ["sgd", {"name": "adam", "learning_rate": 0.01},
                                            {"name": "sgd", "momentum": 0}])
    sgd, adam, plain = c.networks
    assert c.labels == ("SGD", "Adam (lr 0.01)", "SGD (momentum 0)")
    assert (sgd.momentum, sgd.learning_rate) == (0.9, 0.5)
    assert (adam.optimizer, adam.momentum, adam.learning_rate) == ("adam", 0.0, 0.01)
    assert plain.momentum == 0.0
    for n in c.networks:
        assert same_arrays(n.build_network().weights, base.build_network().weights)


# -- every network trains as it would alone ------------------------------------------------


def test_each_variant_trains_as_the_same_experiment_loaded_from_its_own_file(tmp_path) -> None:
    from vanishgui.core.experiment import save_experiment

    for n in variants(chain(), "depth", [2, 9]):
        save_experiment(tmp_path / "v.json", n)
        alone = load_experiment(tmp_path / "v.json").trainer()
        t = n.trainer()
        t.train(20)
        alone.train(20)
        assert t.history.loss.tobytes() == alone.history.loss.tobytes()


# -- bad values ----------------------------------------------------------------------------


BAD_VALUES = {
    "unknown setting": ("width", [1, 2], "setting"),
    "one network": ("activation", ["relu"], "values"),
    "five networks": ("activation", ["relu", "tanh", "elu", "selu", "gelu"], "values"),
    "values a string": ("activation", "relu,tanh", "values"),
    "unknown activation": ("activation", ["relu", "rectifier"], "values[1]"),
    "activation parameter": ("activation", ["relu", {"name": "elu", "beta": 1}], "values[1]"),
    "the same twice": ("activation", ["relu", {"name": "relu"}], "values[1]"),
    "unknown scheme": ("init", ["xavier_normal", "glorot"], "values[1]"),
    "negative std": ("init", ["xavier_normal", {"scheme": "normal", "std": -1}], "values[1]"),
    "depth a string": ("depth", [1, "two"], "values[1]"),
    "depth a boolean": ("depth", [True, 2], "values[0]"),
    "depth negative": ("depth", [-1, 2], "values[0]"),
    "depth too deep": ("depth", [1, 64], "values[1]"),
    "unknown optimizer": ("optimizer", ["sgd", "rmsprop"], "values[1]"),
    "optimizer field": ("optimizer", ["sgd", {"name": "adam", "beta": 0.9}], "values[1].beta"),
    "learning rate a string": ("optimizer", ["sgd", {"name": "adam", "learning_rate": "x"}],
                               "values[1].learning_rate"),
    "learning rate zero": ("optimizer", ["sgd", {"name": "adam", "learning_rate": 0}],
                           "values[1]: training.learning_rate"),
    "momentum for adam": ("optimizer", ["sgd", {"name": "adam", "momentum": 0.9}],
                          "values[1]: training.momentum"),
}


@pytest.mark.parametrize("name", BAD_VALUES)
def test_a_bad_setting_or_value_is_one_sentence_naming_the_field(name: str) -> None:
    setting, values, field = BAD_VALUES[name]
    with pytest.raises(ComparisonError) as info:
        make_comparison(chain(), setting, values, "lesson.json")
    message = str(info.value)
    assert message.startswith(f"lesson.json: {field}")
    assert "\n" not in message
    assert isinstance(info.value, ExperimentError)  # callers catching those catch these


# -- the file --------------------------------------------------------------------------------


def test_save_then_load_round_trips(tmp_path) -> None:
    base = chain()
    c = make_comparison(base, "activation", ["sigmoid", {"name": "leaky_relu",
                                                         "negative_slope": 0.1}])
    path = tmp_path / "cmp.comparison.json"
    save_comparison(path, c)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT and doc["version"] == 1
    assert doc["setting"] == "activation"
    assert doc["values"] == ["sigmoid", {"name": "leaky_relu", "negative_slope": 0.1}]
    assert doc["base"] == base.to_json()
    loaded = load_comparison(path)
    assert loaded.labels == c.labels and loaded.values == c.values
    for a, b in zip(loaded.networks, c.networks):
        assert a.to_json() == b.to_json()


def test_given_weights_round_trip_exactly(tmp_path) -> None:
    base = circles()
    t = base.trainer()
    t.train(5)
    trained = base.with_parameters(t.network)
    c = make_comparison(trained, "depth", [3, 6])
    path = tmp_path / "cmp.json"
    save_comparison(path, c)
    loaded = load_comparison(path)
    for a, b in zip(loaded.networks, c.networks):
        assert same_arrays(a.weights, b.weights) and same_arrays(a.biases, b.biases)


def test_save_is_atomic(tmp_path, monkeypatch) -> None:
    path = tmp_path / "cmp.json"
    save_comparison(path, make_comparison(chain(), "depth", [1, 9]))
    before = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        save_comparison(path, make_comparison(chain(), "depth", [2, 9]))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cmp.json"]


def test_a_diverged_base_is_not_compared() -> None:
    base = classic()
    net = base.build_network()
    broken = base.with_parameters(net.with_parameters(
        tuple(w * np.nan for w in net.weights), net.biases, net.alphas))
    with pytest.raises(ComparisonError, match=r"^comparison: base: network\.weights\[0\]: "
                                              "holds inf or NaN"):
        make_comparison(broken, "activation", ["sigmoid", "relu"])


def good_doc() -> dict:
    return {"format": FORMAT, "version": 1, "base": classic().to_json(),
            "setting": "activation", "values": ["sigmoid", "relu"]}


BAD_FILES = {
    "not JSON": ('{"format": ', "not valid JSON"),
    "empty": ("", "not valid JSON"),
    "a list": ("[1]", "expected a JSON object"),
    "an experiment file": (json.dumps(classic().to_json()), "format"),
    "wrong format": (json.dumps({**good_doc(), "format": "other"}), "format"),
    "wrong version": (json.dumps({**good_doc(), "version": 2}), "version"),
    "version true": (json.dumps({**good_doc(), "version": True}), "version"),
    "unknown field": (json.dumps({**good_doc(), "colour": "red"}), "colour"),
    "missing base": (json.dumps(without(good_doc(), "base")), "base"),
    "missing values": (json.dumps(without(good_doc(), "values")), "values"),
    "bad base": (json.dumps({**good_doc(), "base": {**classic().to_json(), "network": {
        "layers": [1, 0, 1]}}}), "base: network.layers[1]"),
    "base not an object": (json.dumps({**good_doc(), "base": 3}), "base"),
    "bad value": (json.dumps({**good_doc(), "values": ["sigmoid", "relu6"]}), "values[1]"),
    "bad setting": (json.dumps({**good_doc(), "setting": None}), "setting"),
    "too deep": ("[" * 100_000, "not valid JSON"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_one_sentence_naming_the_file_and_field(tmp_path, name: str) -> None:
    text, field = BAD_FILES[name]
    path = tmp_path / "lesson.comparison.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ComparisonError) as info:
        load_comparison(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert field in message
    assert "\n" not in message


def test_an_experiment_file_is_told_apart() -> None:
    with pytest.raises(ComparisonError, match="File → Open"):
        parse_comparison(classic().to_json(), "x.json")


def test_unreadable_files(tmp_path) -> None:
    with pytest.raises(ComparisonError, match="cannot be read"):
        load_comparison(tmp_path / "missing.json")
    with pytest.raises(ComparisonError, match="is a folder"):
        load_comparison(tmp_path)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ComparisonError, match="not UTF-8"):
        load_comparison(binary)
