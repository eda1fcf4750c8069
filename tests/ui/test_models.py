"""The models every view watches, tested on their own: Presentation, the play clock,
Session and Lockstep (no window)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vanishgui.core.experiment import classic, load_experiment
from vanishgui.ui.model.clock import PlayClock, play_interval_ms
from vanishgui.ui.model.lockstep import Lockstep, apply_lockstep_at
from vanishgui.ui.model.presentation import (
    PROJECTOR_ZOOM,
    ZOOM_LADDER,
    Presentation,
    next_zoom,
    sizes_at,
)
from vanishgui.ui.model.session import Session
from vanishgui.ui.shell import resources


def chain():
    return load_experiment(resources.path("examples") / "deep-chain-sigmoid.json")


# -- Presentation ----------------------------------------------------------------------------


def test_presentation_says_once_when_something_changed(qtbot) -> None:
    p = Presentation()
    with qtbot.waitSignal(p.changed):
        p.set(theme="projector-dark", zoom=PROJECTOR_ZOOM, projector=True)
    assert (p.theme, p.zoom, p.projector, p.large) == ("projector-dark", 1.75, True, True)
    with qtbot.assertNotEmitted(p.changed):
        p.set(theme="projector-dark", zoom=1.75)  # nothing new
    with pytest.raises(ValueError, match="unknown theme"):
        p.set(theme="neon")
    with pytest.raises(ValueError, match="outside"):
        p.set(zoom=9.0)
    assert p.theme == "projector-dark"  # a refused change changes nothing


def test_every_size_derives_from_the_zoom() -> None:
    normal, big = sizes_at(1.0), sizes_at(PROJECTOR_ZOOM)
    assert normal == {"tick": 12, "label": 13, "title": 14, "legend": 11, "line": 2.5,
                      "symbol": 9}
    # 18 pt is 24 px at 96 dpi: no text a projector shows is smaller (issue 11)
    assert big == {"tick": 18, "label": 19, "title": 20, "legend": 18, "line": 4.5,
                   "symbol": 14}
    ladder = [sizes_at(z)["tick"] for z in ZOOM_LADDER]
    assert ladder == sorted(ladder) and len(set(ladder)) == len(ladder)  # each rung larger
    p = Presentation()
    p.set(zoom=2.5)
    assert p.sizes() == sizes_at(2.5) and p.large and not p.projector


def test_the_zoom_ladder_stops_at_its_ends() -> None:
    assert next_zoom(1.0, -1) == 1.0 and next_zoom(3.0, +1) == 3.0
    assert next_zoom(1.6, +1) == 1.75 and next_zoom(1.6, -1) == 1.5


# -- the play clock ------------------------------------------------------------------------------


def test_the_play_clock_ticks_at_its_speed(qtbot) -> None:
    ticks: list[int] = []
    clock = PlayClock(lambda: ticks.append(1))
    clock.set_speed(16.0)
    clock.start()
    qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=2000)
    clock.stop()
    assert not clock.running
    assert play_interval_ms(1.0) == 667 and play_interval_ms(math.inf) == 0
    assert clock.transition_ms() == round(200 / 16)


# -- Session -------------------------------------------------------------------------------------


def test_a_session_remembers_and_forgets_its_file(qtbot, tmp_path) -> None:
    s = Session(classic())
    with qtbot.waitSignal(s.path_changed) as sig:
        s.set_path(tmp_path / "a.vanishgui.json")
    assert sig.args == [str(tmp_path / "a.vanishgui.json")]
    with qtbot.waitSignal(s.path_changed) as sig:
        s.forget_path()
    assert sig.args == [""] and s.path is None
    with qtbot.assertNotEmitted(s.path_changed):
        s.forget_path()  # already forgotten


def test_train_now_is_the_same_as_training_step_by_step(qtbot) -> None:
    a, b = Session(classic()), Session(classic())
    with qtbot.waitSignal(a.trained) as sig:
        a.train_now(25)
    assert sig.args == [25]
    for _ in range(25):
        b.train_step()
    np.testing.assert_array_equal(a.trainer.history.loss, b.trainer.history.loss)
    assert a.position == b.position == a.trace.phase_start["update"]


def test_a_session_plays_to_the_end_of_its_step_and_stops(qtbot) -> None:
    s = Session(classic())
    s.set_speed(math.inf)
    with qtbot.waitSignal(s.playing_changed, check_params_cb=lambda on: not on):
        s.play()
    assert s.player.at_end and not s.playing


# -- Lockstep ------------------------------------------------------------------------------------


def test_lockstep_keeps_step_counts_equal_and_each_history_is_its_own(qtbot) -> None:
    sessions = [Session(chain()), Session(chain())]
    lock = Lockstep(sessions)
    apply_lockstep_at(lock, "trained", 12)
    assert [s.trainer.step_count for s in sessions] == [12, 12] == [lock.step_count] * 2
    alone = Session(chain())
    alone.train_now(12)
    np.testing.assert_array_equal(sessions[1].trainer.history.loss, alone.trainer.history.loss)
    apply_lockstep_at(lock, "backward", 3)
    start = sessions[0].trace.phase_range("backward")[0]
    assert [s.position for s in sessions] == [start + 3] * 2


def test_lockstep_plays_by_the_sessions_clock(qtbot) -> None:
    lock = Lockstep([Session(classic()), Session(chain())])
    lock.set_speed(math.inf)
    assert all(s.speed == math.inf for s in lock.sessions)
    with qtbot.waitSignal(lock.playing_changed, check_params_cb=lambda on: not on):
        lock.play()
    assert all(s.player.at_end for s in lock.sessions)  # the shorter step waits at its end


def huge() -> dict:
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [2] + [256] * 63 + [1], "hidden_activation": "relu"},
            "data": {"dataset": "circles", "samples": 100_000, "seed": 0},
            "training": {"loss": "bce", "learning_rate": 0.01}}


def test_a_network_past_the_memory_budget_is_refused_and_nothing_changes(qtbot) -> None:
    from vanishgui.core.experiment import ExperimentError, parse_experiment

    exp = parse_experiment(huge())  # the file format allows it; training it would not fit
    with pytest.raises(ExperimentError, match=r"more than the 1\.5 GiB vanishgui allows"):
        Session(exp)
    s = Session(classic())
    s.train_now(3)
    with qtbot.assertNotEmitted(s.experiment_changed), pytest.raises(ExperimentError):
        s.set_experiment(exp)
    assert s.experiment.layers == (1, 1, 1, 1) and s.trainer.step_count == 3


def _minibatches_of_3_and_2():
    from vanishgui.core.experiment import parse_experiment

    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2, 3, 1], "hidden_activation": "sigmoid"},
        "data": {"dataset": "circles", "samples": 5, "seed": 0},
        "training": {"loss": "bce", "learning_rate": 0.5, "batch_size": 3}})


def test_a_shorter_minibatch_keeps_the_shown_sample_inside_it(qtbot) -> None:
    """Five samples in batches of 3 and 2: sample 3 of a 3-sample pass does not exist in the
    next pass. The monkey (seed 8675309) clicked an edge then and every view raised
    IndexError; now the sample moves to the pass's last and the views are told."""
    from vanishgui.ui.model.describe import caption

    s = Session(_minibatches_of_3_and_2())
    sizes = []
    for _ in range(4):
        if len(s.current.inputs) == 3:
            s.set_sample(2)
            with qtbot.waitSignal(s.sample_changed) as told:
                s.train_step()
            assert len(s.current.inputs) == 2
            assert told.args == [1] and s.sample == 1
        else:
            s.train_step()
        sizes.append(len(s.current.inputs))
        caption(s.current, s.player.event, s.sample)  # reads the sample: no IndexError
    assert set(sizes) == {2, 3}


def test_the_worker_never_changes_the_shown_pass_behind_the_views(qtbot) -> None:
    """A training round (on the worker) keeps its newest pass to itself; the shown pass
    changes only when the views are told, on the GUI thread."""
    s = Session(_minibatches_of_3_and_2())
    shown = s.current
    s.train_round()
    s.train_round()
    assert s.current is shown and s.trainer.step_count == 2
    s.announce_training(None)
    assert s.current is not shown and s.current.step == 2
    assert s.last is not None and s.last.step == 1
