"""With a norm the History keeps γ's and β's own series (issue 15): mean |∂L/∂γ|,
mean |∂L/∂β| and the step's mean |Δγ|, |Δβ| per hidden layer, from the core's pass."""

from __future__ import annotations

import numpy as np

from vanishgui.core.experiment import parse_experiment
from vanishgui.core.training import History


def net(norm: str) -> dict:
    rng = np.random.default_rng(2)
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [2, 4, 4, 1], "hidden_activation": "tanh",
                        "output_activation": "sigmoid", "norm": norm,
                        "init": {"scheme": "xavier_uniform", "seed": 1}},
            "data": {"inputs": rng.normal(size=(6, 2)).tolist(),
                     "targets": rng.uniform(size=(6, 1)).round().tolist()},
            "training": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.05,
                         "batch_size": None}}


def test_gamma_and_beta_series_are_the_passes_figures() -> None:
    t = parse_experiment(net("batch")).trainer()
    assert t.history.norm
    expected = []
    for _ in range(3):
        p = t.preview()
        before = t.network
        t.commit(p)
        after = t.network
        expected.append((
            [np.abs(p.grad_gammas[i]).mean() for i in range(2)],
            [np.abs(p.grad_betas[i]).mean() for i in range(2)],
            [np.abs(after.gammas[i] - before.gammas[i]).mean() for i in range(2)],
            [np.abs(after.betas[i] - before.betas[i]).mean() for i in range(2)]))
    h = t.history
    for k, name in enumerate(History.NORM_LAYER):
        column = h.layer(name)
        assert column.shape == (3, 3)
        assert np.isnan(column[:, 2]).all()  # the output layer has no norm
        np.testing.assert_array_equal(column[:, :2], [row[k] for row in expected])
    assert (h.layer("gamma_update_mean_abs")[:, :2] > 0).all()  # Adam moves γ


def test_without_a_norm_nothing_more_is_kept() -> None:
    t = parse_experiment(net("none")).trainer()
    t.train(2)
    assert not t.history.norm
    assert set(t.history._layers) == set(History.PER_LAYER)
    normed = parse_experiment(net("layer")).trainer()
    normed.train(2)
    assert normed.history.nbytes() > t.history.nbytes()
    normed.reset()
    assert normed.history.norm and normed.history.count == 0
