"""Networks that move together: a Lockstep over 2–4 sessions, and the bar that drives it.

Events and phases advance each network through its own trace (networks of different
depths have different numbers of events; one at the end of its step waits there for
the others). A training step commits every network's step; continuous training commits
the networks' steps in turn, in time slices, so their step counts are always equal,
and stops every network when one diverges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from .session import Session, play_interval_ms
from .training_loop import TrainingLoop
from .transport import add_buttons, add_speed_choice


class Lockstep(QObject):
    """Moves 2–4 sessions together; their training step counts stay equal."""

    changed = Signal()  # a position, a step count or the play state changed
    playing_changed = Signal(bool)
    training_changed = Signal(bool)

    def __init__(self, sessions: Sequence[Session], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sessions = list(sessions)
        self.speed = 1.0
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._loop = TrainingLoop(self._round, lambda: self.step_count, self._announce,
                                  self.stop_training, self)

    @property
    def step_count(self) -> int:
        return self.sessions[0].trainer.step_count

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    @property
    def training(self) -> bool:
        return self._loop.active

    @property
    def steps_per_second(self) -> float:
        """Each network's training speed, while training continuously."""
        return self._loop.steps_per_second

    def _all_at_end(self) -> bool:
        return all(s.player.at_end for s in self.sessions)

    def _each(self, move: str, *, unfinished: bool = False) -> None:
        """Call ``move`` on every session (only those not at their step's end, if asked)."""
        for s in self.sessions:
            if not (unfinished and s.player.at_end):
                getattr(s, move)()
        self.changed.emit()

    # -- events and phases -------------------------------------------------------------
    def step_forward(self) -> None:
        """Next event in every network; once all are at the end, commit every step."""
        self._each("step_forward", unfinished=not self._all_at_end())

    def step_back(self) -> None:
        self._each("step_back")

    def to_start(self) -> None:
        self._each("to_start")

    def to_end(self) -> None:
        self._each("to_end")

    def next_phase(self) -> None:
        self._each("next_phase", unfinished=not self._all_at_end())

    def previous_phase(self) -> None:
        self._each("previous_phase")

    # -- playing -------------------------------------------------------------------------
    def set_speed(self, speed: float) -> None:
        self.speed = speed
        for s in self.sessions:
            s.set_speed(speed)
        if self.playing:
            self._play_timer.setInterval(self._play_interval())

    def _play_interval(self) -> int:
        return play_interval_ms(self.speed)

    def play(self) -> None:
        self.stop_training()
        if self._all_at_end():
            self._each("step_forward")  # commit, and start the next step from its first event
        self._play_timer.start(self._play_interval())
        self.playing_changed.emit(True)
        self.changed.emit()

    def pause(self) -> None:
        was = self.playing or self.training
        self._play_timer.stop()
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
        self._each("to_end" if math.isinf(self.speed) else "step_forward", unfinished=True)
        if self._all_at_end():
            self._play_timer.stop()
            self.playing_changed.emit(False)
            self.changed.emit()

    # -- training ------------------------------------------------------------------------
    def train_step(self) -> None:
        """T: one whole training step in every network."""
        self.pause()
        self._each("train_step")

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
        self._play_timer.stop()
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
        self._each("reset")


def event_counts(sessions: Sequence[Session]) -> str:
    """'event 31 of 41', or each network's when their steps differ: 'events 9 of 17 · 9 of 41'.

    (What the event is, the title above the diagrams says.)"""
    pairs = {(s.position, len(s.trace)) for s in sessions}
    if len(pairs) == 1:
        position, total = pairs.pop()
        return f"event {position} of {total}"
    return "events " + " · ".join(f"{s.position} of {len(s.trace)}" for s in sessions)


class ComparisonTransport(QWidget):
    """Buttons for the shared actions, a speed choice, where the first network is, the step."""

    def __init__(self, lockstep: Lockstep, actions: dict[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lockstep = lockstep
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.buttons = add_buttons(self, lay, actions)
        lay.addSpacing(12)
        self.speed_label, self.speed = add_speed_choice(
            self, lay, "How fast Play moves through the events (instant: a whole step at once)")
        self.speed.currentIndexChanged.connect(self._on_speed_picked)
        lay.addSpacing(12)
        self.steps = QLabel(self)
        self.steps.setObjectName("compareSteps")
        self.steps.setToolTip("Training steps so far (the same for every network)")
        lay.addWidget(self.steps)
        lay.addSpacing(12)
        self.status = QLabel(self)
        self.status.setObjectName("statusLine")
        self.status.setToolTip("Where the networks are in their training step")
        self.status.setMinimumWidth(0)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        lay.addWidget(self.status, 1)
        lockstep.changed.connect(self._on_lockstep_changed)
        for s in lockstep.sessions:
            s.cursor_moved.connect(self._on_lockstep_changed)
        self._on_lockstep_changed()

    def _on_speed_picked(self, index: int) -> None:
        self.lockstep.set_speed(self.speed.itemData(index))

    def _on_lockstep_changed(self, *_args) -> None:
        self.status.setText(event_counts(self.lockstep.sessions))
        rate = self.lockstep.steps_per_second
        extra = f" · {rate:,.0f} steps/s each" if self.lockstep.training and rate else ""
        self.steps.setText(f"step {self.lockstep.step_count:,}{extra}")


def parse_at(spec: str | None) -> tuple[str, int] | None:
    """``trained:300`` → ("trained", 300); also forward, loss, backward, update."""
    if not spec:
        return None
    phase, _, n_text = spec.partition(":")
    try:
        n = int(n_text)
    except ValueError:
        n = -1
    if n < 0 or phase not in ("trained", "forward", "loss", "backward", "update"):
        raise SystemExit(f"vanishgui: --at expects forward:N, backward:N or trained:N (N of 0 "
                         f"or more), got {spec!r}")
    return phase, n


def apply_lockstep_at(lockstep: Lockstep, spec: str | None) -> None:
    """Move every network to ``trained:N`` (N steps), or ``forward:N`` / ``backward:N``."""
    at = parse_at(spec)
    if at is None:
        return
    phase, n = at
    if phase == "trained":
        lockstep.train_now(n)
        return
    for s in lockstep.sessions:
        start, end = s.trace.phase_range(phase)
        s.seek(min(end, start + n))
    lockstep.changed.emit()
