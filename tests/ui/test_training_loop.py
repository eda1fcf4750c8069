"""The time-sliced training loop shared by a Session and a comparison's Lockstep."""

from __future__ import annotations

import time

from vanishgui.ui.model.training_loop import TrainingLoop


class Counter:
    """A stand-in network: one round adds a step; it diverges at ``diverge_at`` if set."""

    def __init__(self, diverge_at: int | None = None) -> None:
        self.steps = 0
        self.announced: list[int] = []
        self.finished = 0
        self.diverge_at = diverge_at

    def round(self) -> bool:
        self.steps += 1
        return self.steps == self.diverge_at

    def loop(self) -> TrainingLoop:
        loop = TrainingLoop(self.round, lambda: self.steps,
                            lambda: self.announced.append(self.steps), self.finish)
        self._loop = loop
        return loop

    def finish(self) -> None:
        self.finished += 1
        self._loop.stop()


def test_training_n_steps_stops_exactly_there_and_announces_the_last(qtbot):
    c = Counter()
    loop = c.loop()
    loop.start(5_000)
    qtbot.waitUntil(lambda: not loop.active, timeout=10_000)
    assert c.steps == 5_000
    assert c.announced[-1] == 5_000 and c.finished == 1
    assert c.announced == sorted(c.announced)


def test_a_divergence_stops_training_at_that_step(qtbot):
    c = Counter(diverge_at=1_234)
    loop = c.loop()
    loop.start()
    qtbot.waitUntil(lambda: not loop.active, timeout=10_000)
    assert c.steps == 1_234 and c.announced[-1] == 1_234 and c.finished == 1


def test_stopping_announces_steps_the_views_have_not_heard_of(qtbot):
    c = Counter()
    loop = c.loop()
    loop.start()
    qtbot.waitUntil(lambda: c.steps > 100, timeout=10_000)
    assert loop.stop() is True
    assert c.announced[-1] == c.steps
    assert loop.stop() is False  # not running: nothing more is said
    assert loop.steps_per_second >= 0


def test_the_views_are_told_in_batches_not_after_every_step(qtbot):
    c = Counter()
    loop = c.loop()
    loop.start(20_000)
    qtbot.waitUntil(lambda: not loop.active, timeout=20_000)
    assert c.steps == 20_000
    assert len(c.announced) < 2_000  # each 12 ms slice runs many steps between announcements


def test_a_run_started_while_the_last_one_is_announced_is_not_stopped_by_it(qtbot):
    """A divergence's announcement stops training, and a listener (a lesson's next step)
    starts another run at once: the tick that diverged must not stop the new run."""
    c = Counter(diverge_at=50)
    loop = TrainingLoop(c.round, lambda: c.steps, lambda: announce(), lambda: finished())
    restarted = []

    def announce() -> None:
        c.announced.append(c.steps)
        if c.steps == 50 and not restarted:
            loop.stop()
            restarted.append(True)
            loop.start(100)

    def finished() -> None:
        c.finished += 1
        loop.stop()

    loop.start()
    qtbot.waitUntil(lambda: bool(restarted) and not loop.active, timeout=10_000)
    assert c.steps == 150  # the second run trained all its 100 steps
    assert c.finished == 1  # only the second run's end


def slow_announce(c: Counter) -> None:
    c.announced.append(c.steps)
    time.sleep(0.03)


def test_train_n_during_training_then_a_pause_announces_every_step(qtbot):
    """Train N pressed while Shift+T training ran restarted the loop's time base, and a
    pause before the next announcement never told the views (label 'step 176' with 5,870
    steps trained)."""
    c = Counter()
    loop = TrainingLoop(c.round, lambda: c.steps, lambda: slow_announce(c), c.finish)
    c._loop = loop
    loop.start()
    # views that take long to redraw: training runs several slices between announcements
    qtbot.waitUntil(lambda: bool(c.announced) and c.steps > c.announced[-1], timeout=5_000)
    loop.start(1_000_000)  # Train N while training runs
    loop.stop()  # a pause before the next tick
    assert c.announced and c.announced[-1] == c.steps


def test_a_session_shows_the_trainers_count_whatever_the_order(qtbot):
    from vanishgui.core.experiment import classic
    from vanishgui.ui.model.session import Session

    s = Session(classic())
    shown: list[int] = []
    s.trained.connect(shown.append)
    for order in (("train", "train_n", "pause"), ("train_n", "train", "pause"),
                  ("train", "train", "pause"), ("train_n", "pause", "train", "pause")):
        for what in order:
            if what == "train":
                s.train()
            elif what == "train_n":
                s.train(50)
            else:
                qtbot.wait(30)
                s.pause()
        assert shown[-1] == s.trainer.step_count, order
