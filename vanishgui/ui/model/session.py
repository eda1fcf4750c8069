"""Session: the one model every view watches.

It wraps the core's Experiment, Trainer, the current Pass (the training step being
shown), its Trace and a Player. Controls call its setters; it asks the core for new
numbers and emits a signal; views redraw from ``session.current`` and the Player's
position. Views never compute numbers and never talk to each other.

The shown step is always the *next* step, previewed and not yet committed: its
forward and backward passes at the current weights and the update it will apply.
Stepping past its last event (or pressing T) commits it and previews the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from ...core.budget import estimate
from ...core.diagnosis import Finding, diagnose
from ...core.experiment import (
    Experiment,
    ExperimentError,
    classic,
    load_experiment,
    save_experiment,
)
from ...core.network import Pass
from ...core.optimizers import OptimizerConfig
from ...core.trace import Player, Reveal, Trace
from ...core.training import History, Trainer
from .clock import SPEEDS, PlayClock, play_interval_ms
from .edits import network_changes, rebuilt_sentence, setting_changes, tuned_sentence
from .training_loop import PACES, TrainingLoop, hold_all

__all__ = ["PACES", "SPEEDS", "WEIGHT_EDITED", "Mark", "Selection", "Session",
           "play_interval_ms"]

WEIGHT_EDITED = "w edited"  # the mark a weight changed by hand leaves on the history plots


def check_budget(experiment: Experiment) -> None:
    """Raise ExperimentError (one sentence) if training it would not fit the memory budget."""
    samples = len(experiment.inputs) if experiment.inputs is not None else experiment.samples
    why = estimate(experiment.layers, samples, experiment.batch_size).refusal()
    if why:
        raise ExperimentError(why)


@dataclass(frozen=True)
class Selection:
    """A neuron (source is None) or the weight from ``source`` into ``neuron``."""

    layer: int
    neuron: int
    source: int | None = None

    @property
    def is_weight(self) -> bool:
        return self.source is not None


@dataclass(frozen=True)
class Mark:
    """A moment the history plots mark with a line: before training step ``step`` ran,
    something changed by hand (a weight edited, a setting changed); ``text`` says what,
    in a few words."""

    step: int
    text: str


class Session(QObject):
    experiment_changed = Signal()  # a new network or data: shapes may have changed
    pass_changed = Signal()  # a new step is shown (same shapes)
    cursor_moved = Signal(int)  # the player's position
    selection_changed = Signal()
    sample_changed = Signal(int)  # the sample the inspector and ledger show
    playing_changed = Signal(bool)
    training_changed = Signal(bool)  # continuous training started (True) or paused
    trained = Signal(int)  # steps committed so far
    diverged = Signal(int, int)  # step, first layer (1-based) with a non-finite number
    speed_changed = Signal(float)
    modified_changed = Signal(bool)
    training_failed = Signal(str)  # a step raised while training: one line
    path_changed = Signal(str)
    marks_changed = Signal()  # a mark was added, or the marks were cleared
    pace_changed = Signal(float)  # training's steps a second (inf: full speed)
    edited = Signal(str)  # a control's edit applied: one sentence on what it kept or reset

    def __init__(self, experiment: Experiment | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.experiment = experiment or classic()
        check_budget(self.experiment)
        self.path: Path | None = None
        self.modified = False
        self.sample = 0
        self.selection: Selection | None = None
        self._clock = PlayClock(self._on_play_tick, self)
        self._loop = TrainingLoop(self.train_round, lambda: self.trainer.step_count,
                                  lambda: self.announce_training(None), self.stop_training,
                                  self)
        self._loop.failed.connect(self.training_failed)
        self._build()

    # -- state ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.trainer: Trainer = self.experiment.trainer()
        self.current: Pass = self.trainer.preview()
        self.last: Pass | None = None  # the step committed most recently
        self._diagnosis_key: tuple[Pass, History, int] | tuple[()] = ()
        self._diagnosis: list[Finding] = []
        # The worker's newest pass and the one it committed, until the views are told:
        # ``current`` changes only on the GUI thread, in step with what the views show.
        self._newest: tuple[Pass, Pass] | None = None
        self.trace = Trace.of(self.experiment)
        self.player = Player(self.trace, self.cursor_moved.emit)
        self.sample = 0
        self.marks: list[Mark] = []  # in the order they were made, so by step
        self._setting_marks: dict[Mark, str] = {}  # a setting's mark: which setting
        # what Space resumes: ("training", steps left of a Train N or None), ("playback",
        # None), or None when nothing was paused since
        self._paused: tuple[str, int | None] | None = None
        # a chain (one neuron a layer) opens on w₁, the weight the lesson is about: the
        # ledger shows its gradient's chain of factors at once
        chain = all(n == 1 for n in self.experiment.layers)
        self.selection = Selection(1, 0, 0) if chain else None

    @property
    def position(self) -> int:
        return self.player.position

    def reveal(self) -> Reveal:
        return self.trace.reveal(self.player.position)

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
        """The training speed, while training continuously."""
        return self._loop.steps_per_second

    @property
    def pace(self) -> float:
        """Training's steps a second (``math.inf``: as fast as the machine goes)."""
        return self._loop.pace

    def set_pace(self, pace: float) -> None:
        """Train ``pace`` steps a second from now on (one of ``PACES``, or any number
        above 0); at a finite pace every step is announced, so the views draw each."""
        if pace != self._loop.pace:
            self._loop.set_pace(pace)
            self.pace_changed.emit(self._loop.pace)

    @property
    def paused(self) -> str | None:
        """What Space resumes: "training", "playback", or None (it plays the events)."""
        return self._paused[0] if self._paused is not None else None

    @property
    def diverged_at(self) -> int | None:
        return self.trainer.history.diverged_at_step

    def diagnosis(self) -> list[Finding]:
        """The core's findings for the pass shown and the history behind it; worked out
        again only when either changed (the strip, the banner and a comparison's header
        all ask)."""
        h = self.trainer.history
        key = self._diagnosis_key  # the objects themselves: a freed one's id may come back
        if not (key and key[0] is self.current and key[1] is h and key[2] == h.total_steps):
            self._diagnosis_key = (self.current, h, h.total_steps)
            self._diagnosis = diagnose(self.current, h)
        return self._diagnosis

    # -- experiments ---------------------------------------------------------------------
    def set_experiment(self, experiment: Experiment, *, modified: bool = True) -> None:
        """Replace the experiment (a control was edited, or a file opened). One that would
        not fit the memory budget raises ExperimentError and changes nothing."""
        check_budget(experiment)
        self.pause()
        had_marks = bool(self.marks)
        self.experiment = experiment
        self._build()
        self._set_modified(modified)
        self.experiment_changed.emit()
        self.selection_changed.emit()
        self.cursor_moved.emit(self.position)
        if had_marks:
            self.marks_changed.emit()

    def edit(self, experiment: Experiment) -> None:
        """A control was edited. A change of training settings only (learning rate,
        momentum, optimiser, batch size, clipping) applies from the next step to the same
        weights, history and optimiser state (a new optimiser starts afresh; a new batch
        size goes on from the epoch's current position), while training goes on, and marks
        the history plots at that step. Any other change makes a new network at step 0.
        Either way ``edited`` says what was kept or reset. Raises ExperimentError, and
        changes nothing, past the memory budget or for a batch size the core refuses."""
        check_budget(experiment)
        changes = setting_changes(self.experiment, experiment)
        if changes is None:
            parts = network_changes(self.experiment, experiment)
            steps = self.trainer.step_count
            self.set_experiment(experiment)
            self.edited.emit(rebuilt_sentence(parts, steps))
            return
        if not changes:
            return  # the same experiment: nothing to apply
        hold_all()  # between steps: the worker trains on with the new settings
        t = self.trainer
        try:
            t.retune(OptimizerConfig(experiment.optimizer, experiment.learning_rate,
                                     experiment.momentum),
                     experiment.batch_size, experiment.clip_norm)
        except ValueError as e:
            raise ExperimentError(str(e)) from None
        self.experiment = experiment
        if self._newest is not None:  # committed on the worker, not shown yet
            self.last = self._newest[1]
            self._newest = None
        self.current = t.preview()  # the next step, with the new settings
        sample = min(self.sample, len(self.current.inputs) - 1)
        if sample != self.sample:  # a smaller batch
            self.sample = sample
            self.sample_changed.emit(sample)
        for change in changes:
            self._mark_setting(change.key, change.mark)
        self._set_modified(True)
        position = self.player.position
        self.player.position = -1  # force the move to be announced
        self.pass_changed.emit()
        self.player.seek(position)
        self.trained.emit(t.step_count)
        self.edited.emit(tuned_sentence(changes, t.step_count))

    def _mark_setting(self, key: str, text: str) -> None:
        """Mark the step about to run with a setting's new value; the same setting edited
        again before that step runs (a slider dragged) replaces its mark."""
        step = self.trainer.step_count
        kept = [m for m in self.marks if not (m.step == step and m in self._setting_marks
                                              and self._setting_marks[m] == key)]
        mark = Mark(step, text)
        self._setting_marks[mark] = key
        self.marks = [*kept, mark]
        self.marks_changed.emit()

    def open(self, path: str | Path) -> None:
        """Load an experiment file; raises ExperimentError and changes nothing if it is bad."""
        experiment = load_experiment(path)
        self.set_experiment(experiment, modified=False)
        self.path = Path(path)
        self.path_changed.emit(str(self.path))

    def save(self, path: str | Path) -> None:
        """Save the experiment with the current weights (atomic)."""
        save_experiment(path, self.experiment_with_current_weights())
        self.path = Path(path)
        self._set_modified(False)
        self.path_changed.emit(str(self.path))

    def experiment_with_current_weights(self) -> Experiment:
        return self.experiment.with_parameters(self.trainer.network)

    def new(self) -> None:
        self.path = None
        self.set_experiment(classic(), modified=False)
        self.path_changed.emit("")

    def set_path(self, path: str | Path) -> None:
        """The file this experiment is saved to from now on (it was opened from it)."""
        self.path = Path(path)
        self.path_changed.emit(str(self.path))

    def forget_path(self) -> None:
        """No file: Save asks for a name (a shipped template, or a lesson's network)."""
        if self.path is not None:
            self.path = None
            self.path_changed.emit("")

    def _set_modified(self, value: bool) -> None:
        if value != self.modified:
            self.modified = value
            self.modified_changed.emit(value)

    # -- selection -----------------------------------------------------------------------
    def select(self, selection: Selection | None) -> None:
        if selection != self.selection:
            self.selection = selection
            self.selection_changed.emit()

    def set_sample(self, sample: int) -> None:
        sample = max(0, min(int(sample), len(self.current.inputs) - 1))
        if sample != self.sample:
            self.sample = sample
            self.sample_changed.emit(sample)
            self.cursor_moved.emit(self.position)

    # -- stepping through one step's events ----------------------------------------------
    def step_forward(self) -> None:
        """Next event; past the last event, commit the step and start the next one."""
        if self.player.at_end:
            self._commit(position=0)
        else:
            self.player.advance(1)

    def step_back(self) -> None:
        self.player.advance(-1)

    def seek(self, position: int) -> None:
        self.player.seek(position)

    def to_start(self) -> None:
        self.player.seek(0)

    def to_end(self) -> None:
        self.player.seek(len(self.trace))

    def next_phase(self) -> None:
        if self.player.at_end:
            self._commit(position=0)
        self.player.next_phase()

    def previous_phase(self) -> None:
        self.player.previous_phase()

    # -- playing the animation -----------------------------------------------------------
    def set_speed(self, speed: float) -> None:
        self._clock.set_speed(speed)
        self.speed_changed.emit(speed)

    def transition_ms(self) -> int:
        """How long a view should take to blend into the new event's state."""
        return self._clock.transition_ms()

    def play(self) -> None:
        self.stop_training()
        self._paused = None
        if self.player.at_end:
            self._commit(position=0)
        self._clock.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Pause playback or training, whichever runs; :meth:`toggle_running` resumes it."""
        if self.training:
            target = self._loop.target
            left = None if target is None else max(0, target - self.trainer.step_count)
            self._paused = ("training", left)
        elif self.playing:
            self._paused = ("playback", None)
        was = self.playing or self.training
        self._clock.stop()
        self.stop_training()
        if was:
            self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def toggle_running(self) -> None:
        """Space: pause whatever runs (training or playback); with nothing running,
        resume what was paused last (a Train N its remaining steps), else play the
        step's events."""
        if self.training or self.playing:
            self.pause()
        elif self._paused is not None and self._paused[0] == "training":
            left = self._paused[1]
            self.train(left if left else None)
        else:
            self.play()

    def _on_play_tick(self) -> None:
        if self._clock.instant:
            self.player.seek(len(self.trace))
        else:
            self.player.advance(1)
        if self.player.at_end:
            self._clock.stop()
            self.playing_changed.emit(False)

    # -- training ------------------------------------------------------------------------
    def _commit(self, position: int | None = None) -> None:
        """Commit the shown step and preview the next one."""
        hold_all()  # a step being trained on the worker ends first
        self.train_round()
        self.announce_training(position)

    def announce_training(self, position: int | None = None) -> None:
        """Tell the views that steps were committed (by this Session or by a caller that
        drove ``trainer`` directly, such as a lockstep comparison); show the new pass at
        ``position`` (default: the end of its backward phase)."""
        self._set_modified(True)
        self._take_newest()
        if position is None:
            position = self.trace.phase_start["update"]
        self.player.position = -1  # force the move to be announced
        self.pass_changed.emit()
        self.player.seek(position)
        self.trained.emit(self.trainer.step_count)
        d = self.trainer.history.diverged_at_step
        if d is not None and d == self.trainer.step_count - 1:
            self.stop_training()
            self.diverged.emit(d, self._first_bad_layer())

    def _first_bad_layer(self) -> int:
        h = self.trainer.history
        if h.diverged_layer is not None:  # where the core saw it first
            return h.diverged_layer
        rows = [h.layer("grad_mean_abs"), h.layer("update_mean_abs")]
        for r in rows:
            if len(r):
                bad = ~np.isfinite(r[-1])
                if bad.any():
                    return int(np.argmax(bad)) + 1
        return self.experiment.depth

    def train_step(self) -> None:
        """T: one whole training step; shows the next step's gradients."""
        self._clock.stop()
        self._commit()

    def train(self, steps: int | None = None) -> None:
        """Shift+T: train continuously (or ``steps`` steps) in slices, keeping the UI live."""
        self._clock.stop()
        self._paused = None
        self._loop.start(steps)
        self.training_changed.emit(True)

    def stop_training(self) -> None:
        if self._loop.stop():
            self.training_changed.emit(False)

    def toggle_training(self) -> None:
        if self.training:
            self.pause()
        else:
            self.train()

    def train_round(self) -> bool:
        """Commit the shown step without telling the views (``announce_training`` does);
        True if this step has diverged. The training loop calls it on its worker thread,
        so it touches no Qt object and emits nothing."""
        t = self.trainer
        shown = self._newest[0] if self._newest is not None else self.current
        t.commit(shown)
        self._newest = (t.preview(), shown)
        return t.history.diverged_at_step == t.step_count - 1

    def _take_newest(self) -> None:
        """Show the newest pass (GUI thread, when the views are told). A new pass can hold
        fewer samples than the last (a minibatch at the end of the data): the shown sample
        stays within it."""
        if self._newest is None:
            return
        self.current, self.last = self._newest
        self._newest = None
        sample = min(self.sample, len(self.current.inputs) - 1)
        if sample != self.sample:
            self.sample = sample
            self.sample_changed.emit(sample)

    def train_now(self, steps: int) -> None:
        """Commit ``steps`` steps at once (or until a divergence) and tell the views once:
        for scripted runs (``--at trained:N``), not for a live window."""
        hold_all()
        for _ in range(int(steps)):
            self.train_round()
            if self.trainer.history.diverged_at_step is not None:
                break
        self.announce_training(None)

    def reset(self) -> None:
        """R: back to the initial weights, a fresh optimiser, an empty history and no
        marks (a weight edited by hand is forgotten: the initial weights never change)."""
        self.pause()
        self._paused = None  # a fresh start: Space plays the first step's events
        self.trainer.reset()
        self.clear_marks()
        self.current = self.trainer.preview()
        self.last = None
        self._newest = None
        self.player.position = -1
        self.pass_changed.emit()
        self.player.seek(0)
        self.trained.emit(0)

    # -- changes by hand between steps ---------------------------------------------------
    def add_mark(self, text: str) -> None:
        """Mark the step about to run (the one shown) on the history plots with ``text``.
        The same text at the same step is one mark: dragging a weight's slider makes one."""
        mark = Mark(self.trainer.step_count, text)
        if self.marks and self.marks[-1] == mark:
            return
        self.marks.append(mark)
        self.marks_changed.emit()

    def clear_marks(self) -> None:
        self._setting_marks = {}
        if self.marks:
            self.marks = []
            self.marks_changed.emit()

    def edit_weight(self, layer: int, neuron: int, source: int, value: float) -> None:
        """Set the weight from ``source`` (layer ``layer``−1) into ``neuron`` (``layer``,
        1-based) to ``value`` in the current parameters, and show the step again from
        them: the forward and backward pass on the same batch and the update that follows,
        as the core computes a step. The history and the optimiser's state (momentum,
        Adam's moments) are kept; the next step trains on from the edited weight; R still
        returns to the initial weights. Leaves the mark "w edited" at this step.

        Raises RuntimeError while training runs (the worker owns the trainer: pause
        first), ValueError for a value that is not a finite number, IndexError for a
        weight the network does not have."""
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"a weight must be a finite number, not {value}")
        if self.training:
            raise RuntimeError("pause training before editing a weight")
        hold_all()  # no slice of any loop is in flight on the shared worker
        t = self.trainer
        edited = t.network.with_weight(layer, neuron, source, value)
        if t.network.weights[layer - 1][neuron, source] == value:
            return  # the same number: the same pass (the editor echoing the shown value)
        t.network = edited
        self._newest = None
        self.current = t.preview()  # the step's pass and update, at the edited weights
        self._set_modified(True)
        self.add_mark(WEIGHT_EDITED)
        position = self.player.position
        self.player.position = -1  # force the move to be announced
        self.pass_changed.emit()
        self.player.seek(position)
