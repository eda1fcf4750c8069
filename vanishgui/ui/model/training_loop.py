"""Continuous training off the GUI thread, for a Session and for a Lockstep of sessions.

The steps run on one worker thread, in slices of about ``TRAIN_SLICE_S`` (at least one
step: a step of a large network cannot be cut), so the window answers while a network
trains, however long its steps; numpy's matrix products release the GIL. Between slices
the worker waits while the GUI thread announces: the views read the trainer only then,
never while a slice runs (:func:`busy` says when one does). The views are told about new
steps only once training has had ``TRAIN_SHARE`` times the time their last redraw took, so
however costly the plots, training keeps about 70% of the time. Pause, reset and edits
wait for the step in flight (:meth:`TrainingLoop.hold`) and apply between steps.

At a finite pace (:meth:`TrainingLoop.set_pace`, steps a second, for a class to watch)
every slice is one step, announced at once, and the next is asked for when its time on
the wall clock comes (a timer on the GUI thread: nothing sleeps, and pausing is instant).

The owner says what one round is (commit a step in one network, or in every network in
turn), how to count steps, and how to announce them.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

PACES = (1.0, 2.0, 5.0, 10.0, 30.0, 100.0, math.inf)  # steps a second; inf: full speed
TRAIN_SLICE_S = 0.012  # a slice of steps on the worker, then the GUI thread looks
TRAIN_SHARE = 3.5
RATE_WINDOW_S = 0.25
SWITCH_INTERVAL_S = 0.0005  # steps/s is measured over at least this long

_pool: ThreadPoolExecutor | None = None  # one worker thread for every loop
_loops: weakref.WeakSet[TrainingLoop] = weakref.WeakSet()


def busy() -> bool:
    """Whether a slice of training is running on the worker now (views wait)."""
    return any(loop.slice_running for loop in list(_loops))


def hold_all() -> None:
    """Wait for every slice and background job in flight: before the GUI thread changes
    or reads a trainer that a loop may be training (stepping by hand, a forced redraw)."""
    for loop in list(_loops):
        loop.hold()
    _jobs_idle.wait()


_jobs_idle = threading.Event()  # no background job runs now
_jobs_idle.set()


class Background(QObject):
    """Runs a view's costly computation (the decision boundary's grid) on the training
    worker, between slices, so it never races a step; the answer comes back on the GUI
    thread. At most one job per owner waits: a newer request replaces an older one."""

    _finished = Signal(int, object)  # request id, result

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._request = 0
        self._queued = False
        self._job: Callable[[], object] | None = None
        self._on_done: Callable[[object], None] | None = None
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(self, job: Callable[[], object], on_done: Callable[[object], None]) -> None:
        """Run ``job`` on the worker; call ``on_done(result)`` on the GUI thread."""
        self._request += 1
        self._job, self._on_done = job, on_done
        if not self._queued:
            self._queued = True
            _worker().submit(self._run)

    def cancel(self) -> None:
        """Forget the request in flight: its answer, if it comes, is not delivered."""
        self._request += 1
        self._job = None

    @property
    def waiting(self) -> bool:
        """A request is in flight and its answer not delivered yet."""
        return self._job is not None

    def _run(self) -> None:
        self._queued = False
        job, request = self._job, self._request
        if job is None:
            return
        _jobs_idle.clear()
        try:
            result = job()
        except Exception as e:  # the view shows the sentence instead of its picture
            result = e
        finally:
            _jobs_idle.set()
        with contextlib.suppress(RuntimeError):  # the owner was deleted meanwhile
            self._finished.emit(request, result)

    @Slot(int, object)
    def _deliver(self, request: int, result: object) -> None:
        if request == self._request and self._on_done is not None:
            self._job = None
            self._on_done(result)


def _worker() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        # the GUI thread waits at most this long for the GIL while a slice runs (5 ms by
        # default, paid again at every call from Qt into Python during a repaint)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vanishgui-training")
    return _pool


class TrainingLoop(QObject):
    """Runs ``train_round`` (True when a network has just diverged) in slices on the worker
    thread, announcing on the GUI thread."""

    _done = Signal(int, bool, float, str)  # slice id, diverged, seconds, error ("" if none)
    failed = Signal(str)  # a step raised on the worker: one line, training stopped

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
        self._run = 0  # counts start()s: a slice only finishes the run it belongs to
        self._active = False
        self._slice = 0  # the id of the slice asked for last
        self._in_flight: int | None = None  # the slice running (or its answer not read)
        self._announced = 0
        self._cancel = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.pace = math.inf  # steps a second
        self._rate_mark: tuple[float, int] | None = None  # (time, steps) the rate counts from
        self._due = 0.0  # perf_counter time the next paced step is due
        self._last_ask = 0.0
        self._wait = QTimer(self)  # until the next paced step's time
        self._wait.setSingleShot(True)
        self._wait.setTimerType(Qt.TimerType.PreciseTimer)
        self._wait.timeout.connect(self._on_wait_over)
        # emitted on the worker thread, received on this object's (the GUI) thread
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        _loops.add(self)

    @property
    def active(self) -> bool:
        return self._active

    @property
    def slice_running(self) -> bool:
        return not self._idle.is_set()

    def _reached(self) -> bool:
        target = self.target
        return target is not None and self._count() >= target

    def start(self, steps: int | None = None) -> None:
        """Train until stopped, or for ``steps`` more steps. Started again while running
        (Train N during Shift+T), it keeps its pacing and what the views have not heard."""
        self.hold()
        self._run += 1
        self.target = None if steps is None else self._count() + int(steps)
        # the rate is measured from the end of the first slice: counted from the start, a
        # paced run's first step (at once) made 1 step/s read as 2 after a second
        self._rate_mark = None
        if not self._active:
            self._active = True
            self.steps_per_second = 0.0  # not the last run's rate
            self._due = time.perf_counter()  # a paced run's first step: now
            self._last_done: float | None = None
            self._train_time = 0.0  # since the views were last told
            self._view_time = 0.0  # time on the GUI thread since then (redraws, paints)
            self._announced = self._count()  # the step count the views last heard
        if self._in_flight is None and not self._wait.isActive():
            self._ask()

    @property
    def paced(self) -> bool:
        """Whether steps are paced by the wall clock (a finite pace)."""
        return math.isfinite(self.pace)

    def set_pace(self, pace: float) -> None:
        """Train ``pace`` steps a second (``math.inf``: as fast as the machine goes). At a
        finite pace each step is announced on its own, so the views draw every one."""
        pace = float(pace)
        if not pace > 0:
            raise ValueError(f"a pace is a number of steps a second above 0, not {pace}")
        self.pace = pace
        self._rate_mark = None  # the rate starts again
        if self._active and self._wait.isActive():  # waiting for the next step's time
            self._wait.stop()
            self._due = self._last_ask
            self._next()

    def _ask(self) -> None:
        self._slice += 1
        self._in_flight = self._slice
        self._cancel.clear()
        self._idle.clear()
        self._last_ask = time.perf_counter()
        # a paced slice is one step: its deadline has passed once the step is done
        seconds = 0.0 if self.paced else TRAIN_SLICE_S
        _worker().submit(self._run_slice, self._slice, seconds)

    def _next(self) -> None:
        """Ask for the next slice: now at full speed, else when the next step is due (a
        step late, or more, it starts now and the schedule starts again from it: no burst
        of steps to catch up that a class could not follow)."""
        if not self.paced:
            self._ask()
            return
        now = time.perf_counter()
        period = 1.0 / self.pace
        self._due += period
        if self._due < now - period:
            self._due = now
        delay = self._due - now
        if delay <= 0:
            self._ask()
        else:
            self._wait.start(max(1, math.ceil(delay * 1000)))

    def _on_wait_over(self) -> None:
        if self._active and self._in_flight is None:
            self._ask()

    def _run_slice(self, slice_id: int, seconds: float) -> None:
        """On the worker thread: rounds until the slice's time is up (at least one)."""
        started = time.perf_counter()
        deadline = started + seconds
        diverged, error = False, ""
        try:
            while not self._cancel.is_set() and not self._reached():
                if self._round():
                    diverged = True
                    break
                if time.perf_counter() >= deadline:
                    break
                # Let the GUI thread take the GIL now if it waits for it: without this, a
                # repaint calling into Python many times waited up to the interpreter's
                # switch interval each time (worst timer delays of 300-450 ms).
                time.sleep(0)
        except Exception as e:  # handed to the GUI thread, which stops and says so
            error = f"{type(e).__name__}: {e}"
        finally:
            self._idle.set()
        with contextlib.suppress(RuntimeError):  # the loop was deleted meanwhile
            self._done.emit(slice_id, diverged, time.perf_counter() - started, error)

    def hold(self) -> None:
        """Wait for the slice in flight to end (at most one step): the trainer is then the
        GUI thread's until the next slice is asked for."""
        if self.slice_running:
            self._idle.wait()

    def stop(self) -> bool:
        """Stop after the step in flight, and announce steps the views have not heard of;
        False if not running."""
        if not self._active:
            return False
        self._active = False
        self.target = None
        self._wait.stop()
        self._cancel.set()
        self.hold()
        self._in_flight = None  # its answer, still queued, is not read
        self._train_time = 0.0
        if self._count() != self._announced:
            self._tell()
        return True

    def _tell(self) -> None:
        self._announced = self._count()
        self._announce()

    @Slot(int, bool, float, str)
    def _on_done(self, slice_id: int, diverged: bool, seconds: float, error: str) -> None:
        if slice_id != self._in_flight:
            return  # stopped meanwhile: stop() announced what there was
        self._in_flight = None
        run = self._run
        now = time.perf_counter()
        if self._last_done is not None:
            self._view_time += max(0.0, now - self._last_done - seconds)
        self._train_time += seconds
        if self._rate_mark is None:
            self._rate_mark = (now, self._count())
        t0, s0 = self._rate_mark
        if now - t0 > RATE_WINDOW_S:
            self.steps_per_second = (self._count() - s0) / (now - t0)
            self._rate_mark = (now, self._count())
        if error:
            self.stop()
            self.failed.emit(error)
            return
        done = self._reached()
        if (done or diverged or self.paced
                or self._train_time >= TRAIN_SHARE * self._view_time):
            self._train_time = self._view_time = 0.0
            self._tell()  # its cost is counted in the next slice's gap
        self._last_done = time.perf_counter()
        # The announcement may have stopped this run (a divergence) and something may have
        # started another (a lesson's next step): that one is not finished here.
        if (done or diverged) and run == self._run and self._active:
            self._finished()
        elif self._active and self._in_flight is None and not self._wait.isActive():
            self._next()
