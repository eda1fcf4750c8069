"""Trainer and History: decimation, bounded memory, divergence, preview/commit, reset."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from vanishgui.core.experiment import Experiment, classic, parse_experiment
from vanishgui.core.report import main as report_main
from vanishgui.core.training import HISTORY_CAPACITY, BatchCursor, History, Trainer

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "classic.json"
PER_LAYER = ("grad_mean_abs", "grad_norm", "dact_mean", "update_mean_abs")


def small_experiment(**training) -> Experiment:
    return parse_experiment({
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {"layers": [2, 4, 3, 1], "activations": ["prelu", "tanh", "sigmoid"],
                    "init": {"scheme": "he_normal", "seed": 5}},
        "data": {"dataset": "moons", "samples": 11, "noise": 0.1, "seed": 2},
        "training": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.05,
                     "batch_size": 4, **training},
    })


def _bits(arrays) -> list[bytes]:
    return [np.asarray(a).tobytes() for a in arrays]


def assert_same_network(a, b) -> None:
    assert _bits(a.weights) == _bits(b.weights)
    assert _bits(a.biases) == _bits(b.biases)
    assert a.alphas == b.alphas


def assert_same_history(a: History, b: History) -> None:
    assert (a.count, a.every, a.total_steps, a.diverged_at_step) == (
        b.count, b.every, b.total_steps, b.diverged_at_step)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    for name in (*PER_LAYER, "grad_cumsum"):
        np.testing.assert_array_equal(a.layer(name), b.layer(name))


# -- History on its own ------------------------------------------------------------------


def _figures(step: int, depth: int) -> tuple:
    k = np.arange(1, depth + 1, dtype=np.float64)
    return (
        float(step) + 0.5,  # loss
        (step % 3) / 2.0,  # accuracy
        (step + 1.0) / k,  # grad_mean_abs
        np.sqrt(step + k),  # grad_norm
        1.0 / (step + k),  # dact_mean
        step * k,  # update_mean_abs
    )


@pytest.mark.parametrize(("capacity", "steps"), [(2, 37), (8, 100), (10, 333), (256, 1000),
                                                  (300, 1000)])
def test_history_decimates_to_every_multiple_of_every(capacity: int, steps: int) -> None:
    depth = 3
    h = History(depth, capacity)
    nbytes = []
    for step in range(steps):
        h.record(*_figures(step, depth))
        nbytes.append(h.nbytes())
        # the rows are always the steps 0, every, 2·every, … up to the last step
        assert h.total_steps == step + 1
        assert h.count <= capacity
        assert h.every & (h.every - 1) == 0  # a power of two
        np.testing.assert_array_equal(h.steps, np.arange(0, step + 1, h.every))
    assert h.every > 1
    s = h.steps
    # each row holds the figures of its own step
    want = [_figures(int(i), depth) for i in s]
    np.testing.assert_array_equal(h.loss, [w[0] for w in want])
    np.testing.assert_array_equal(h.accuracy, [w[1] for w in want])
    for j, name in enumerate(PER_LAYER):
        np.testing.assert_array_equal(h.layer(name), np.array([w[2 + j] for w in want]))
    # grad_cumsum counts every step, recorded or not
    all_gma = np.array([_figures(i, depth)[2] for i in range(steps)])
    np.testing.assert_allclose(h.layer("grad_cumsum"), np.cumsum(all_gma, axis=0)[s],
                               rtol=1e-14)
    np.testing.assert_allclose(h.accumulated, all_gma.sum(axis=0), rtol=1e-14)
    # memory: stops growing once the buffer is full, and within the stated bound
    full = capacity - 1  # the step that fills the buffer
    assert max(nbytes[full:]) == nbytes[full] == nbytes[-1]
    assert nbytes[-1] <= capacity * (3 + 5 * depth) * 8  # steps, loss, accuracy + per layer


def test_history_capacity_must_be_even() -> None:
    for bad in (0, 1, 7):
        with pytest.raises(ValueError):
            History(2, bad)


def test_history_memory_is_bounded_however_long_training_runs() -> None:
    h = History(64, 64)
    for step in range(5000):
        h.record(*_figures(step, 64))
    first = h.nbytes()
    for step in range(5000, 20000):
        h.record(*_figures(step, 64))
    assert h.nbytes() == first
    assert h.count <= 64
    np.testing.assert_array_equal(h.steps, np.arange(0, 20000, h.every))


def test_trainer_history_matches_an_undecimated_run() -> None:
    exp = small_experiment()
    x, y = exp.data()
    steps = 100
    small = Trainer(exp.build_network(), x, y, exp.loss,
                    exp.trainer().optimizer, batch_size=exp.batch_size, seed=exp.init.seed,
                    classification=True, history_capacity=8)
    ref = exp.trainer()
    passes = []
    for _ in range(steps):
        small.step()
        old = ref.network
        passes.append((ref.step(), old, ref.network))
    assert ref.history.every == 1
    # the undecimated History holds each step's own figures
    for i, (p, old, new) in enumerate(passes):
        assert ref.history.loss[i] == p.loss
        assert ref.history.accuracy[i] == np.mean((p.output > 0.5) == (p.targets > 0.5))
        for layer in range(p.depth):
            gw = p.grad_weights[layer]
            row = {name: ref.history.layer(name)[i, layer] for name in PER_LAYER}
            assert row["grad_mean_abs"] == pytest.approx(np.abs(gw).mean(), rel=1e-15)
            assert row["grad_norm"] == pytest.approx(np.linalg.norm(gw), rel=1e-14)
            assert row["dact_mean"] == pytest.approx(p.dact[layer].mean(), rel=1e-15)
            assert row["update_mean_abs"] == pytest.approx(
                np.abs(new.weights[layer] - old.weights[layer]).mean(), rel=1e-15)
    # the decimated one keeps steps 0, every, 2·every, … with the same values
    h = small.history
    assert h.every > 1 and h.count <= 8
    s = h.steps
    np.testing.assert_array_equal(s, np.arange(0, steps, h.every))
    np.testing.assert_array_equal(h.loss, ref.history.loss[s])
    np.testing.assert_array_equal(h.accuracy, ref.history.accuracy[s])
    for name in PER_LAYER:
        np.testing.assert_array_equal(h.layer(name), ref.history.layer(name)[s])
    full_cumsum = np.cumsum(ref.history.grad_mean_abs, axis=0)
    np.testing.assert_allclose(h.layer("grad_cumsum"), full_cumsum[s], rtol=1e-13)
    np.testing.assert_allclose(ref.history.layer("grad_cumsum"), full_cumsum, rtol=1e-13)
    np.testing.assert_allclose(h.accumulated, full_cumsum[-1], rtol=1e-13)
    assert_same_network(small.network, ref.network)


def test_ten_thousand_steps_fit_without_decimation_and_the_report_says_when_decimated() -> None:
    assert HISTORY_CAPACITY >= 10_000
    t = classic().trainer()
    t.train(10_000)
    assert (t.history.every, t.history.count) == (1, 10_000)
    steps = HISTORY_CAPACITY + 1000  # past the capacity, so decimated once
    out = io.StringIO()
    assert report_main([str(EXAMPLE), "--steps", str(steps), "--json"], stdout=out) == 0
    report = json.loads(out.getvalue())
    h = report["history"]
    assert h["every"] == 2
    assert h["steps"] == list(range(0, steps, 2))
    t.train(steps - 10_000)  # the rest on top
    assert t.history.every == 2
    np.testing.assert_array_equal(h["loss"], t.history.loss)
    assert h["loss"][0] == report["loss"]


# -- divergence ---------------------------------------------------------------------------


def _deep_linear(lr: float = 10.0, **network) -> dict:
    return {
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {"layers": [1, 8, 8, 8, 8, 1], "hidden_activation": "linear",
                    "output_activation": "linear",
                    "init": {"scheme": "normal", "std": 1.0, "seed": 1}, **network},
        "data": {"dataset": "sine", "samples": 20, "seed": 0},
        "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": lr},
    }


def _finite_row(h: History, i: int) -> bool:
    return bool(np.isfinite(h.loss[i]) and np.isfinite(h.grad_mean_abs[i]).all()
                and np.isfinite(h.layer("update_mean_abs")[i]).all())


def test_divergence_is_recorded_at_the_first_non_finite_step() -> None:
    t = parse_experiment(_deep_linear()).trainer()
    t.train(60)  # and no RuntimeWarning on the way (warnings are errors here)
    d = t.history.diverged_at_step
    assert d is not None and 0 < d < 60
    assert all(_finite_row(t.history, i) for i in range(d))
    assert not _finite_row(t.history, d)
    # stop_on_divergence stops right after that step
    t2 = parse_experiment(_deep_linear()).trainer()
    assert t2.train(60, stop_on_divergence=True) == d + 1
    assert t2.history.diverged_at_step == d


def test_a_small_learning_rate_does_not_diverge() -> None:
    doc = _deep_linear(lr=0.01, init={"scheme": "xavier_normal", "seed": 1})
    t = parse_experiment(doc).trainer()
    t.train(30)
    assert t.history.loss[-1] < t.history.loss[0]
    assert t.history.diverged_at_step is None


def _report(tmp_path, doc: dict, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    return report_main([str(path), *args], stdout=out, stderr=err), out.getvalue(), err.getvalue()


def _strict_json(text: str):
    def refuse(token):
        raise AssertionError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_report_text_shows_the_first_and_the_last_step_trained() -> None:
    """--steps N: the second table is step N's own (its gradients before its update), and
    its heading says so; the loss after is at the weights N updates later."""
    from vanishgui.core.experiment import load_experiment
    from vanishgui.core.report import format_table, layer_rows

    exp = load_experiment(EXAMPLE)
    t = exp.trainer()
    first = t.step()
    t.step()
    last = t.step()
    out = io.StringIO()
    assert report_main([str(EXAMPLE), "--steps", "3"], stdout=out) == 0
    text = out.getvalue()
    heading = "The same in the last training step (3 of 3), at the weights before its update:"
    assert heading in text
    before, after = text.split(heading)
    assert format_table(layer_rows(first)) in before
    assert format_table(layer_rows(last)) in after
    assert format_table(layer_rows(last)) != format_table(layer_rows(first))
    assert f"after 3 step(s): {t.full_loss():.3e}" in text


def test_report_of_a_diverging_run_prints_null_and_exits_0(tmp_path) -> None:
    code, out, err = _report(tmp_path, _deep_linear(), "--steps", "40", "--json")
    assert (code, err) == (0, "")
    report = _strict_json(out)
    d = report["diverged_at_step"]
    assert isinstance(d, int) and 0 < d < 40
    ref = parse_experiment(_deep_linear()).trainer()
    ref.train(40)
    assert d == ref.history.diverged_at_step
    losses = report["history"]["loss"]
    assert len(losses) == 40
    assert all(isinstance(v, float) for v in losses[:d])
    # every number that is not finite in the run is null in the report
    for i, v in enumerate(ref.history.loss):
        assert (v if math.isfinite(v) else None) == losses[i]
    assert None in losses[d:]
    final_w = np.array([v for w in report["final"]["weights"] for row in w for v in row],
                       dtype=object)
    assert report["final"]["loss"] is None or any(v is None for v in final_w)
    # and the table says so
    code, out, err = _report(tmp_path, _deep_linear(), "--steps", "40")
    assert (code, err) == (0, "")
    assert f"diverged: step {d}" in out


def test_report_with_huge_weights_diverges_at_step_0(tmp_path) -> None:
    doc = _deep_linear(lr=0.1)
    doc["network"] |= {"layers": [1, 2, 1], "weights": [[[1e200], [-1e200]], [[1e200, 1e200]]]}
    code, out, err = _report(tmp_path, doc, "--steps", "3", "--json")
    assert (code, err) == (0, "")
    report = _strict_json(out)
    assert report["diverged_at_step"] == 0
    assert report["loss"] is None
    assert report["history"]["loss"][0] is None
    assert report["final"]["loss"] is None
    code, out, _ = _report(tmp_path, doc)  # with no steps: the first pass only
    assert code == 0


# -- preview, commit, step, reset --------------------------------------------------------------


@pytest.mark.parametrize("training", [{}, {"optimizer": "sgd", "momentum": 0.9},
                                      {"batch_size": None}])
def test_preview_then_commit_is_step(training) -> None:
    exp = small_experiment(**training)
    a, b = exp.trainer(), exp.trainer()
    for step in range(7):
        p = a.preview()
        assert p.step == step
        again = a.preview()  # previewing changes nothing
        assert again.loss == p.loss and _bits(again.grad_weights) == _bits(p.grad_weights)
        assert a.step_count == step
        assert a.history.total_steps == step
        a.commit(p)
        q = b.step()
        assert_same_network(a.network, b.network)
        assert_same_network(p.update, a.network)  # the update previewed is the one applied
        assert q.loss == p.loss
        assert (p.batch is None) == (q.batch is None)
        if p.batch is not None:
            np.testing.assert_array_equal(p.batch, q.batch)
        assert a.cursor == b.cursor
        assert a.step_count == b.step_count == step + 1
    assert_same_history(a.history, b.history)


def test_only_the_current_preview_can_be_committed() -> None:
    t = small_experiment().trainer()
    p = t.preview()
    t.commit(p)
    with pytest.raises(ValueError):
        t.commit(p)  # already committed: now stale
    stale = t.preview()
    t.step()
    with pytest.raises(ValueError):
        t.commit(stale)
    from vanishgui.core.network import run_pass

    bare = run_pass(t.network, t.inputs, t.targets, t.loss_name, step=t.step_count)
    with pytest.raises(ValueError):
        t.commit(bare)  # no update
    assert t.step_count == 2 and t.history.total_steps == 2


def test_reset_restores_the_start() -> None:
    exp = small_experiment()
    t = exp.trainer()
    start = t.network
    first = [t.step() for _ in range(6)]
    history = t.history
    assert t.network is not start
    t.reset()
    assert_same_network(t.network, start)
    assert_same_network(t.network, exp.build_network())
    assert t.step_count == 0
    assert t.cursor == BatchCursor()
    assert t.state.t == 0 and t.state.m is None and t.state.v is None
    assert (t.history.count, t.history.total_steps, t.history.every) == (0, 0, 1)
    assert t.history.diverged_at_step is None
    np.testing.assert_array_equal(t.history.accumulated, np.zeros(3))
    # and it trains again exactly as the first time (fresh Adam moments, same batches)
    again = [t.step() for _ in range(6)]
    for p, q in zip(first, again):
        assert p.loss == q.loss
        np.testing.assert_array_equal(p.batch, q.batch)
    assert_same_history(history, t.history)


def test_reset_after_divergence_clears_it() -> None:
    t = parse_experiment(_deep_linear()).trainer()
    t.train(60)
    assert t.history.diverged_at_step is not None
    t.reset()
    assert t.history.diverged_at_step is None
    t.step()
    assert math.isfinite(t.history.loss[0])
