"""The cures in the experiment file: refusals, saving and loading, and the report's fields.

Each refusal is one sentence naming the file, the field and the value, and ``report``
exits 2 with it (as for every other bad file, see test_experiment.py).
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.experiment import (
    CLASSIC,
    ExperimentError,
    dumps,
    load_experiment,
    parse_experiment,
    save_experiment,
)
from vanishgui.core.report import main as report_main


def make_doc(layers=(2, 4, 4, 4, 1), samples: int = 6, network: dict | None = None,
             training: dict | None = None) -> dict:
    doc = copy.deepcopy(CLASSIC)
    doc["network"]["layers"] = list(layers)
    doc["network"].update(network or {})
    doc["training"].update(training or {})
    rng = np.random.default_rng(samples)
    doc["data"] = {"inputs": rng.normal(0, 1, (samples, layers[0])).tolist(),
                   "targets": rng.uniform(0, 1, (samples, layers[-1])).tolist()}
    return doc


def run_report(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = report_main([str(path), *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# name: (document, the field the message names, words the message must hold)
BAD: dict[str, tuple[dict, str, tuple[str, ...]]] = {
    "block of two widths": (
        make_doc((2, 4, 3, 4, 1), network={"residual": {"every": 1}}), "network.residual",
        ("every 1", "layer 2", "layer 1's activation", "layers 1, 2 have widths 4, 3")),
    "longer block of two widths": (
        make_doc((2, 4, 4, 4, 5, 5, 1), network={"residual": {"every": 2}}),
        "network.residual",
        ("layers 4 to 5", "layer 3's activation", "layers 3, 4, 5 have widths 4, 5, 5")),
    "long block of two widths": (  # names the first layer of another width, not all six
        make_doc((2, 8, 8, 8, 8, 8, 6, 1), network={"residual": {"every": 5}}),
        "network.residual", ("layers 2 to 6", "layers 1 to 6", "layers 1, 6 have widths 8, 6")),
    "every 0": (make_doc(network={"residual": {"every": 0}}), "network.residual.every",
                ("from 1 to 63", "got 0")),
    "every 64": (make_doc(network={"residual": {"every": 64}}), "network.residual.every",
                 ("from 1 to 63", "got 64")),
    "every 1.5": (make_doc(network={"residual": {"every": 1.5}}), "network.residual.every",
                  ("whole number", "got 1.5")),
    "every true": (make_doc(network={"residual": {"every": True}}), "network.residual.every",
                   ("got true",)),
    "residual not an object": (make_doc(network={"residual": 2}), "network.residual",
                               ("JSON object", "got 2")),
    "residual without every": (make_doc(network={"residual": {}}), "network.residual.every",
                               ("required",)),
    "unknown norm": (make_doc(network={"norm": "group"}), "network.norm",
                     ("none, batch, layer", '"group"')),
    "gammas without a norm": (make_doc(network={"gammas": [[1.0] * 4] * 3}), "network.gammas",
                              ("only goes with a norm", '"none"')),
    "betas without a norm": (make_doc(network={"betas": [[0.0] * 4] * 3}), "network.betas",
                             ("only goes with a norm",)),
    "too few gammas": (make_doc(network={"norm": "layer", "gammas": [[1.0] * 4] * 2}),
                       "network.gammas", ("3 lists", "one per hidden layer", "got 2")),
    "a beta too short": (
        make_doc(network={"norm": "batch", "betas": [[0.0] * 4, [0.0] * 3, [0.0] * 4]}),
        "network.betas[1]", ("expected 4 entries", "hidden layer 2", "got 3")),
    "a gamma not finite": (
        make_doc(network={"norm": "layer", "gammas": [[1.0] * 4, [1.0, "x", 1.0, 1.0],
                                                      [1.0] * 4]}),
        "network.gammas[1][1]", ('"x"',)),
    "batch norm of one sample": (make_doc(samples=1, network={"norm": "batch"}),
                                 "network.norm", ("at least 2 samples", "only 1 sample")),
    "batch norm in batches of 1": (
        make_doc(network={"norm": "batch"}, training={"batch_size": 1}), "network.norm",
        ("at least 2 samples", "training.batch_size is 1")),
    "batch norm with a last batch of 1": (
        make_doc(samples=9, network={"norm": "batch"}, training={"batch_size": 4}),
        "network.norm", ("9 samples in batches of 4", "last batch of 1", "9 mod 4 = 1")),
    "clip 0": (make_doc(training={"clip_norm": 0}), "training.clip_norm",
               ("finite number above 0", "got 0")),
    "clip negative": (make_doc(training={"clip_norm": -0.5}), "training.clip_norm",
                      ("got -0.5",)),
    "clip a string": (make_doc(training={"clip_norm": "1"}), "training.clip_norm",
                      ('got "1"',)),
    "clip too large for a float": (make_doc(training={"clip_norm": 10**400}),
                                   "training.clip_norm", ("got 1000000",)),
}


@pytest.mark.parametrize("name", list(BAD))
def test_each_bad_setting_exits_2_with_one_sentence(tmp_path, name: str) -> None:
    doc, field, words = BAD[name]
    path = tmp_path / "cured.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_report(path, "--json")
    assert (code, out) == (2, "")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert len(err) - len(str(path)) < 280, err  # one sentence, not a list of 64 layers
    assert f"{path}: {field}: " in err, err
    for word in words:
        assert word in err, (word, err)
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    assert str(caught.value) in err


def test_non_finite_clip_norms_are_refused() -> None:
    for value in (float("inf"), float("nan")):
        with pytest.raises(ExperimentError, match=r"training\.clip_norm: expected a finite"):
            parse_experiment(make_doc(training={"clip_norm": value}), "x.json")


@pytest.mark.parametrize(("samples", "batch"), [(2, None), (6, 4), (8, 3), (10, 4)])
def test_batch_norm_is_accepted_when_no_batch_holds_one_sample(samples, batch) -> None:
    training = {} if batch is None else {"batch_size": batch}
    exp = parse_experiment(make_doc(samples=samples, network={"norm": "batch"},
                                    training=training), "x.json")
    assert exp.norm == "batch"
    exp.trainer().train(4)  # every batch has 2 or more samples: nothing is refused later


def test_a_k_with_no_complete_block_is_accepted_and_adds_no_skip() -> None:
    exp = parse_experiment(make_doc(network={"residual": {"every": 63}}), "x.json")
    assert exp.residual == 63
    assert exp.build_network().skip_from == ()
    # and the widths of a group that is no block are not checked
    exp = parse_experiment(make_doc((2, 4, 4, 4, 3, 1), network={"residual": {"every": 2}}),
                           "x.json")
    assert exp.build_network().skip_from == (None, None, 1, None, None)


def test_null_fields_mean_none() -> None:
    exp = parse_experiment(make_doc(network={"residual": None, "norm": None, "gammas": None},
                                    training={"clip_norm": None}), "x.json")
    assert (exp.residual, exp.norm, exp.gammas, exp.clip_norm) == (None, "none", None, None)


# -- saving ---------------------------------------------------------------------------------


def test_a_file_without_the_cures_saves_as_before() -> None:
    exp = parse_experiment(make_doc(), "x.json")
    doc = json.loads(dumps(exp))
    assert set(doc["network"]) == {"layers", "hidden_activation", "output_activation",
                                   "activations", "init", "weights", "biases", "alphas"}
    assert set(doc["training"]) == {"loss", "optimizer", "learning_rate", "momentum",
                                    "batch_size"}


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_trained_cures_round_trip_bit_for_bit(tmp_path, norm: str) -> None:
    doc = make_doc(samples=8, network={"residual": {"every": 1}, "norm": norm,
                                      "hidden_activation": "tanh"},
                   training={"clip_norm": 0.25, "batch_size": 4})
    exp = parse_experiment(doc, "x.json")
    trainer = exp.trainer()
    trainer.train(6)
    net = trainer.network
    assert not np.array_equal(net.gammas[0], np.ones(4))  # γ and β trained
    assert not np.array_equal(net.betas[1], np.zeros(4))
    path = tmp_path / "trained.json"
    save_experiment(path, exp.with_parameters(net))
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["network"]["residual"] == {"every": 1}
    assert saved["network"]["norm"] == norm
    assert saved["training"]["clip_norm"] == 0.25
    loaded = load_experiment(path)
    assert (loaded.residual, loaded.norm, loaded.clip_norm) == (1, norm, 0.25)
    again = loaded.build_network()
    for got, want in zip(again.weights + again.biases + again.gammas + again.betas,
                         net.weights + net.biases + net.gammas + net.betas):
        assert got.tobytes() == want.tobytes()
    assert again.skip_from == net.skip_from
    # saving what was loaded writes the same bytes
    path2 = tmp_path / "again.json"
    save_experiment(path2, loaded)
    assert path2.read_bytes() == path.read_bytes()


def test_given_gammas_and_betas_are_the_starting_ones() -> None:
    gammas = [[0.5, 1.0, 1.5, 2.0], [1.0] * 4, [0.25] * 4]
    betas = [[0.0] * 4, [-0.5, 0.0, 0.5, 1.0], [0.1] * 4]
    exp = parse_experiment(make_doc(network={"norm": "layer", "gammas": gammas,
                                             "betas": betas}), "x.json")
    net = exp.build_network()
    assert [g.tolist() for g in net.gammas] == gammas
    assert [b.tolist() for b in net.betas] == betas
    doc = json.loads(dumps(exp))
    assert doc["network"]["gammas"] == gammas and doc["network"]["betas"] == betas


def test_a_diverged_gamma_is_not_saved() -> None:
    exp = parse_experiment(make_doc(network={"norm": "layer"}), "x.json")
    net = exp.build_network()
    bad = net.with_parameters(net.weights, net.biases, net.alphas,
                              (net.gammas[0], np.full(4, np.nan), net.gammas[2]))
    with pytest.raises(ExperimentError, match=r"network\.gammas\[1\]"):
        dumps(exp.with_parameters(bad))


# -- the report -----------------------------------------------------------------------------


def test_report_json_has_the_cures_fields(tmp_path) -> None:
    doc = make_doc((2, 4, 4, 4, 1), samples=6,
                   network={"residual": {"every": 1}, "norm": "batch"},
                   training={"clip_norm": 0.5})
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_report(path, "--json", "--steps", "3")
    assert code == 0, err
    report = json.loads(out)
    layers = report["layers"]
    assert [layer["skip_from"] for layer in layers] == [None, 1, 2, None]
    for layer in layers[:-1]:
        assert layer["gamma"] == [1.0] * 4 and layer["beta"] == [0.0] * 4
        assert len(layer["grad_gamma"]) == 4 and len(layer["grad_beta"]) == 4
        z, z_hat = np.array(layer["z"]), np.array(layer["z_hat"])
        assert not np.allclose(z, z_hat)  # normalised: ẑ has mean 0 and variance ~1 per unit
        np.testing.assert_allclose(z_hat.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(z_hat.var(axis=0), z.var(axis=0) / (z.var(axis=0) + 1e-5))
        assert layer["grad_biases"] == [0.0] * 4
    out_layer = layers[-1]
    assert out_layer["z_hat"] == out_layer["z"]
    assert [out_layer[k] for k in ("gamma", "beta", "grad_gamma", "grad_beta")] == [None] * 4
    final = report["final"]
    assert len(final["gammas"]) == len(final["betas"]) == 3
    assert final["gammas"][0] != [1.0] * 4  # trained
    assert final["biases"][:3] == [[0.0] * 4] * 3  # batch norm: the biases never change
    # the text report still runs
    code, text, err = run_report(path, "--steps", "2")
    assert code == 0 and "mean |∂L/∂W|" in text, err


def test_the_memory_budget_counts_a_norms_two_extra_arrays(tmp_path) -> None:
    from vanishgui.core.budget import estimate

    plain = estimate([2] + [256] * 63 + [1], 20_000, None)
    normed = estimate([2] + [256] * 63 + [1], 20_000, None, normalised=True)
    assert normed.passes * 5 == plain.passes * 7  # ẑ and ∂L/∂ẑ besides the five
    refusal = normed.refusal()
    assert refusal is not None and "× 21 arrays of 8 bytes" in refusal
    # and report refuses such a file before building anything, exit 2
    doc = make_doc((2, 256, 1), samples=2, network={"norm": "layer"})
    doc["network"]["layers"] = [2] + [256] * 63 + [1]
    doc["data"] = {"dataset": "moons", "samples": 20_000, "noise": 0.1, "seed": 0}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_report(path)
    assert (code, out) == (2, "") and "× 21 arrays" in err, err
