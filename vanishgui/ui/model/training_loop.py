"""Continuous training in time slices, for a Session and for a Lockstep of sessions.

Training runs on the GUI thread in slices of ``TRAIN_SLICE_S`` (a zero-interval timer),
so the window answers between them. After each slice the views are told about the new
steps only once training has had ``TRAIN_SHARE`` times the time the views took to redraw
after the last announcement: however costly the plots, training keeps about 70% of the
time. The owner says what one round is (commit a step in one network, or in every
network in turn), how to count steps, and how to announce them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

TRAIN_SLICE_S = 0.012  # continuous training runs in slices this long, then yields to Qt
TRAIN_SHARE = 3.5
RATE_WINDOW_S = 0.25  # steps/s is measured over at least this long


class TrainingLoop(QObject):
    """Runs ``train_round`` (True when a network has just diverged) in time slices."""

    def __init__(self, train_round: Callable[[], bool], step_count: Callable[[], int],
                 announce: Callable[[], None], finished: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._round = train_round
        self._count = step_count
        self._announce = announce  # tells the views about the new steps
        self._finished = finished  # the target was reached, or a network diverged
        self.steps_per_second = 0.0
        self.target: int | None = None
        self._run = 0  # counts start()s: a tick only finishes the run it belongs to
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_tick)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self, steps: int | None = None) -> None:
        """Train until stopped, or for ``steps`` more steps. Started again while running
        (Train N during Shift+T), it keeps its pacing and what the views have not heard."""
        self._run += 1
        self.target = None if steps is None else self._count() + int(steps)
        self._rate_mark = (time.perf_counter(), self._count())
        if not self._timer.isActive():
            self._tick_end: float | None = None
            self._train_time = 0.0  # since the views were last told
            self._view_time = 0.0  # time outside training slices since then (redraws)
            self._announced = self._count()  # the step count the views last heard
        self._timer.start()

    def stop(self) -> bool:
        """Stop, and announce steps the views have not heard of; False if not running."""
        if not self._timer.isActive():
            return False
        self._timer.stop()
        self.target = None
        self._train_time = 0.0
        if self._count() != self._announced:
            self._tell()
        return True

    def _tell(self) -> None:
        self._announced = self._count()
        self._announce()

    def _reached(self) -> bool:
        return self.target is not None and self._count() >= self.target

    def _on_tick(self) -> None:
        run = self._run
        started = time.perf_counter()
        if self._tick_end is not None:
            self._view_time += started - self._tick_end
        deadline = started + TRAIN_SLICE_S
        diverged = False
        while time.perf_counter() < deadline and not self._reached():
            if self._round():
                diverged = True
                break
        now = time.perf_counter()
        self._train_time += now - started
        t0, s0 = self._rate_mark
        if now - t0 > RATE_WINDOW_S:
            self.steps_per_second = (self._count() - s0) / (now - t0)
            self._rate_mark = (now, self._count())
        done = self._reached()
        self._tick_end = time.perf_counter()
        if done or diverged or self._train_time >= TRAIN_SHARE * self._view_time:
            self._train_time = self._view_time = 0.0
            self._tell()  # its cost is counted in the next tick's gap
        # The announcement may have stopped this run (a divergence) and something may have
        # started another (a lesson's next step): that one is not finished here.
        if (done or diverged) and run == self._run and self.active:
            self._finished()
