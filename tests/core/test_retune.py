"""Trainer.retune: training settings changed mid-run, the network, history and (unless the
optimiser changes) the optimiser's state kept; a new batch size goes on from the epoch's
position."""

from __future__ import annotations

import numpy as np
import pytest

from vanishgui.core.experiment import Experiment, parse_experiment
from vanishgui.core.optimizers import OptimizerConfig, OptimizerState
from vanishgui.core.training import BatchCursor, Trainer


def experiment(**training) -> Experiment:
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2, 4, 3, 1], "hidden_activation": "tanh",
                    "init": {"scheme": "xavier_normal", "seed": 3}},
        "data": {"dataset": "moons", "samples": 11, "noise": 0.1, "seed": 2},
        "training": {"loss": "bce", "learning_rate": 0.3, **training},
    })


def bits(arrays) -> list[bytes]:
    return [np.asarray(a).tobytes() for a in arrays]


def test_a_new_learning_rate_applies_to_the_next_step_and_keeps_the_rest():
    t = experiment().trainer()
    t.train(7)
    weights, history, cursor = t.network.weights, t.history, t.cursor
    t.retune(OptimizerConfig("sgd", 0.05), None)
    assert t.network.weights is weights and t.history is history and t.cursor == cursor
    assert t.step_count == 7
    p = t.preview()
    # plain SGD: w − η·∂L/∂w with the new η, bit for bit
    assert bits(p.update.weights) == bits(w - 0.05 * g for w, g in zip(weights, p.grad_weights))
    t.commit(p)
    assert t.history.total_steps == 8 and t.history.count == 8
    # the rate before the edit is in the history: the first 7 steps match a run at 0.3
    ref = experiment().trainer()
    ref.train(7)
    np.testing.assert_array_equal(t.history.loss[:7], ref.history.loss)


def test_retuned_training_equals_training_those_settings_from_that_step():
    """Retuning at step k and training on is the same as a trainer that held the new
    settings from step k: the same weights, bit for bit, and the same history."""
    a = experiment(momentum=0.9, batch_size=4).trainer()
    a.train(5)
    b = experiment(momentum=0.9, batch_size=4).trainer()
    b.train(5)
    a.retune(OptimizerConfig("sgd", 0.1, 0.5), 4)
    b.optimizer = OptimizerConfig("sgd", 0.1, 0.5)  # by hand: what retune promises
    a.train(9)
    b.train(9)
    assert bits(a.network.weights) == bits(b.network.weights)
    np.testing.assert_array_equal(a.history.loss, b.history.loss)
    # and not the same as never retuning
    c = experiment(momentum=0.9, batch_size=4).trainer()
    c.train(14)
    assert bits(a.network.weights) != bits(c.network.weights)


def test_adam_keeps_its_moments_when_only_the_rate_changes():
    t = experiment(optimizer="adam", learning_rate=0.01).trainer()
    t.train(4)
    state = t.state
    assert state.t == 4 and state.m is not None
    t.retune(OptimizerConfig("adam", 0.002), None)
    assert t.state is state
    assert t.preview().update.state.t == 5  # the bias correction goes on from step 4


def test_a_new_optimiser_starts_from_a_fresh_state():
    t = experiment(momentum=0.9).trainer()
    t.train(4)
    assert t.state.m is not None  # momentum buffers
    t.retune(OptimizerConfig("adam", 0.01), None)
    assert t.state.t == 0 and t.state.m is None and t.state.v is None
    # its first step is a fresh Adam's first step from these weights
    fresh = Trainer(t.network, t.inputs, t.targets, "bce", OptimizerConfig("adam", 0.01))
    assert bits(t.preview().update.weights) == bits(fresh.preview().update.weights)


def test_a_new_batch_size_goes_on_from_the_epochs_position():
    t = experiment(batch_size=4).trainer()
    order = t._order(0)
    t.step()  # samples order[0:4]
    assert t.cursor == BatchCursor(0, 4)
    t.retune(OptimizerConfig("sgd", 0.3), 3)
    batches = [t.step().batch.tolist() for _ in range(4)]
    assert batches[:3] == [order[4:7].tolist(), order[7:10].tolist(), order[10:11].tolist()]
    assert batches[3] == t._order(1)[0:3].tolist()  # the next epoch, in threes
    t.retune(OptimizerConfig("sgd", 0.3), None)  # full batch: every sample, in order
    assert t.step().batch is None
    t.retune(OptimizerConfig("sgd", 0.3), 50)  # more than the data: full batch too
    assert t.batch_size is None


def test_clipping_switched_on_mid_run_clips_the_next_step():
    t = experiment().trainer()
    t.train(3)
    assert t.preview().update.grad_norm is None
    t.retune(OptimizerConfig("sgd", 0.3), None, clip_norm=1e-3)
    u = t.preview().update
    assert u.grad_norm is not None and u.grad_norm > 1e-3 and u.clip_scale < 1.0
    t.retune(OptimizerConfig("sgd", 0.3), None, clip_norm=None)
    assert t.preview().update.grad_norm is None


@pytest.mark.parametrize(("size", "clip"), [(0, None), (4, 0.0), (4, float("nan"))])
def test_bad_settings_are_refused_and_change_nothing(size, clip):
    t = experiment(batch_size=4).trainer()
    t.step()
    before = (t.optimizer, t.batch_size, t.clip_norm, t.state)
    with pytest.raises(ValueError, match="must be"):
        t.retune(OptimizerConfig("adam", 0.1), size, clip)
    assert (t.optimizer, t.batch_size, t.clip_norm, t.state) == before


def test_batch_norm_refuses_a_size_that_leaves_one_sample_in_this_epoch():
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2, 4, 1], "norm": "batch"},
           "data": {"dataset": "moons", "samples": 12, "seed": 2},
           "training": {"loss": "bce", "learning_rate": 0.1, "batch_size": 4}}
    t = parse_experiment(doc).trainer()
    t.step()  # next: sample 5 of 12; 8 left
    # 12 mod 7 = 5 is fine for a whole epoch, but 8 left leaves 7 + 1 now
    with pytest.raises(ValueError, match="sample 5 of 12"):
        t.retune(OptimizerConfig("sgd", 0.1), 7)
    assert t.batch_size == 4
    t.retune(OptimizerConfig("sgd", 0.1), 6)  # 8 left: 6 + 2; 12 = 6 + 6
    assert t.batch_size == 6
    assert isinstance(t.state, OptimizerState)
