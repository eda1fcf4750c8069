"""Networks that move together: a Lockstep over 2–4 sessions.

Events and phases advance each network through its own trace (networks of different
depths have different numbers of events; one at the end of its step waits there for
the others). A training step commits every network's step; continuous training commits
the networks' steps in turn, in time slices, so their step counts are always equal,
and stops every network when one diverges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal

from .clock import PlayClock
from .session import Session
from .training_loop import TrainingLoop


class Lockstep(QObject):
    """Moves 2–4 sessions together; their training step counts stay equal."""

    changed = Signal()  # a position, a step count or the play state changed
    playing_changed = Signal(bool)
    training_changed = Signal(bool)

    def __init__(self, sessions: Sequence[Session], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sessions = list(sessions)
        self._clock = PlayClock(self._on_play_tick, self)  # the same clock a Session plays by
        self._loop = TrainingLoop(self._round, lambda: self.step_count, self._announce,
                                  self.stop_training, self)

    @property
    def step_count(self) -> int:
        return self.sessions[0].trainer.step_count

    @property
    def playing(self) -> bool:
        return self._clock.running

    @property
    def speed(self) -> float:
        return self._clock.speed

    @property
    def training(self) -> bool:
        return self._loop.active

    @property
    def steps_per_second(self) -> float:
        """Each network's training speed, while training continuously."""
        return self._loop.steps_per_second

    def _all_at_end(self) -> bool:
        return all(s.player.at_end for s in self.sessions)

    def _each(self, move: Callable[[Session], None], *, unfinished: bool = False) -> None:
        """Call ``move`` on every session (only those not at their step's end, if asked)."""
        for s in self.sessions:
            if not (unfinished and s.player.at_end):
                move(s)
        self.changed.emit()

    # -- events and phases -------------------------------------------------------------
    def step_forward(self) -> None:
        """Next event in every network; once all are at the end, commit every step."""
        self._each(Session.step_forward, unfinished=not self._all_at_end())

    def step_back(self) -> None:
        self._each(Session.step_back)

    def to_start(self) -> None:
        self._each(Session.to_start)

    def to_end(self) -> None:
        self._each(Session.to_end)

    def next_phase(self) -> None:
        self._each(Session.next_phase, unfinished=not self._all_at_end())

    def previous_phase(self) -> None:
        self._each(Session.previous_phase)

    # -- playing -------------------------------------------------------------------------
    def set_speed(self, speed: float) -> None:
        self._clock.set_speed(speed)
        for s in self.sessions:
            s.set_speed(speed)

    def play(self) -> None:
        self.stop_training()
        if self._all_at_end():
            self._each(Session.step_forward)  # commit, and start the next step from its first event
        self._clock.start()
        self.playing_changed.emit(True)
        self.changed.emit()

    def pause(self) -> None:
        was = self.playing or self.training
        self._clock.stop()
        self.stop_training()
        if was:
            self.playing_changed.emit(False)
            self.changed.emit()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _on_play_tick(self) -> None:
        self._each(Session.to_end if self._clock.instant else Session.step_forward,
                   unfinished=True)
        if self._all_at_end():
            self._clock.stop()
            self.playing_changed.emit(False)
            self.changed.emit()

    # -- training ------------------------------------------------------------------------
    def train_step(self) -> None:
        """T: one whole training step in every network."""
        self.pause()
        self._each(Session.train_step)

    def _round(self) -> bool:
        """Commit one step in every network, in turn; True if one has just diverged."""
        return any([s.train_round() for s in self.sessions])  # a list: every one commits

    def _announce(self) -> None:
        # The Session's own announcement after training (the views redraw; a divergence
        # is reported), as `vanishgui --at trained:N` does.
        for s in self.sessions:
            s.announce_training(None)
        self.changed.emit()

    def train_now(self, steps: int) -> int:
        """Train ``steps`` rounds at once (stopping at a divergence); returns how many ran."""
        self.pause()
        done = 0
        for _ in range(steps):
            done += 1
            if self._round():
                break
        self._announce()
        return done

    def train(self, steps: int | None = None) -> None:
        """Shift+T: train every network continuously (or ``steps`` steps) in time slices."""
        self._clock.stop()
        self._loop.start(steps)
        self.training_changed.emit(True)
        self.changed.emit()

    def stop_training(self) -> None:
        if self._loop.stop():
            self.training_changed.emit(False)
            self.changed.emit()

    def toggle_training(self) -> None:
        if self.training:
            self.pause()
        else:
            self.train()

    def reset(self) -> None:
        """R: every network back to its starting weights, with an empty history."""
        self.pause()
        self._each(Session.reset)


def event_counts(sessions: Sequence[Session]) -> str:
    """'event 31 of 41', or each network's when their steps differ: 'events 9 of 17 · 9 of 41'.

    (What the event is, the title above the diagrams says.)"""
    pairs = {(s.position, len(s.trace)) for s in sessions}
    if len(pairs) == 1:
        position, total = pairs.pop()
        return f"event {position} of {total}"
    return "events " + " · ".join(f"{s.position} of {len(s.trace)}" for s in sessions)


def apply_lockstep_at(lockstep: Lockstep, phase: str, n: int) -> None:
    """Move every network N events into ``phase`` of its step, or train N steps
    (``phase`` "trained")."""
    if phase == "trained":
        lockstep.train_now(n)
        return
    for s in lockstep.sessions:
        start, end = s.trace.phase_range(phase)
        s.seek(min(end, start + n))
    lockstep.changed.emit()
