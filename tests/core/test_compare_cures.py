"""Comparisons that vary the other cures (issue 15): residual skips, a norm, clipping. Each
variant keeps the base's starting weights; only the setting differs."""

from __future__ import annotations

import numpy as np
import pytest

from vanishgui.cli.args import compare_arg
from vanishgui.core.compare import ComparisonError, make_comparison
from vanishgui.core.experiment import parse_experiment


def chain(hidden: int = 6, width: int = 3, samples: int = 4, **network) -> dict:
    rng = np.random.default_rng(1)
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [2, *[width] * hidden, 1], "hidden_activation": "sigmoid",
                        "output_activation": "sigmoid",
                        "init": {"scheme": "xavier_uniform", "seed": 3}, **network},
            "data": {"inputs": rng.normal(size=(samples, 2)).tolist(),
                     "targets": rng.uniform(size=(samples, 1)).round().tolist()},
            "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": 0.5,
                         "momentum": 0.0, "batch_size": None}}


def same_start(a, b) -> None:
    na, nb = a.build_network(), b.build_network()
    for x, y in zip(na.weights + na.biases, nb.weights + nb.biases):
        np.testing.assert_array_equal(x, y)


def test_residual_variants_add_skips_and_keep_the_weights() -> None:
    base = parse_experiment(chain())
    c = make_comparison(base, "residual", ["off", 2])
    off, two = c.networks
    assert (off.residual, two.residual) == (None, 2)
    assert list(c.labels) == ["No skips", "Skips every 2"]
    same_start(off, two)
    # the skip changes the numbers: layer 1 gets more gradient through the +1 path
    g = [np.abs(n.trainer().preview().grad_weights[0]).mean() for n in c.networks]
    assert g[1] > g[0]


def test_norm_and_clip_variants() -> None:
    base = parse_experiment(chain())
    c = make_comparison(base, "norm", ["none", "batch", "layer"])
    assert [n.norm for n in c.networks] == ["none", "batch", "layer"]
    assert list(c.labels) == ["No norm", "Batch norm", "Layer norm"]
    same_start(c.networks[0], c.networks[2])
    clip = make_comparison(base, "clip", ["off", 0.01])
    assert [n.clip_norm for n in clip.networks] == [None, 0.01]
    assert list(clip.labels) == ["No clipping", "Clip at 0.01"]
    # clipping leaves the pass alone and bounds the step: the first update is smaller
    passes = [n.trainer().preview() for n in clip.networks]
    np.testing.assert_array_equal(passes[0].grad_weights[0], passes[1].grad_weights[0])
    steps = [n.trainer().step().update for n in clip.networks]
    assert steps[1].clip_scale < 1 == steps[0].clip_scale


def test_given_gammas_stay_only_with_their_norm() -> None:
    doc = chain(hidden=2, norm="layer", gammas=[[2.0] * 3, [0.5] * 3])
    base = parse_experiment(doc)
    c = make_comparison(base, "norm", ["layer", "batch"])
    assert c.networks[0].gammas is not None and c.networks[1].gammas is None
    deeper = make_comparison(base, "depth", [2, 4])  # one γ list per hidden layer
    assert [n.depth - 1 for n in deeper.networks] == [2, 4]


@pytest.mark.parametrize(("setting", "values", "says"), [
    ("residual", ["off", 0], "values[1]: expected \"off\" or a skip every k layers"),
    ("residual", ["off", True], "values[1]: expected \"off\" or a skip every k layers"),
    ("norm", ["none", "group"], "values[1]: expected one of none, batch, layer, got \"group\""),
    ("clip", ["off", -1], "values[1]: expected \"off\" or a max gradient norm above 0"),
    ("clip", ["off", float("inf")], "values[1]: expected \"off\" or a max gradient norm"),
])
def test_bad_values_are_refused_in_one_sentence(setting, values, says) -> None:
    with pytest.raises(ComparisonError) as e:
        make_comparison(parse_experiment(chain()), setting, values)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_batch_norm_on_one_sample_is_refused_as_a_variant() -> None:
    with pytest.raises(ComparisonError, match="batch"):
        make_comparison(parse_experiment(chain(samples=1)), "norm", ["none", "batch"])


def test_the_command_line_reads_the_values() -> None:
    assert compare_arg("residual:off,2") == ("residual", ["off", 2])
    assert compare_arg("clip:off,0.5") == ("clip", ["off", 0.5])
    assert compare_arg("norm:none,batch") == ("norm", ["none", "batch"])
