"""A lesson's scenes as the app plays them: what each shows, what its steps do.

Frozen dataclasses built by :mod:`vanishgui.core.lesson` from a checked lesson file (a
scene's question is a :class:`vanishgui.core.question.Question`), and :func:`depth_row`,
the figures of the "deepen the chain" table. Like all of
``vanishgui.core`` this module never imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .curves import derivative_bound
from .experiment import Experiment
from .network import Pass
from .question import Question
from .report import layer_rows
from .trace import PHASES, Trace

# The window's panels a scene may bring to the front; the plots are docks "plot_<name>".
PLOTS = ("gradients", "flow", "dact", "loss", "updates", "boundary", "waterfall")
PANELS = ("controls", "ledger", "inspector", *PLOTS)
PLAY_PHASES = (*PHASES, "step")
EVENT_KINDS = ("forward", "delta", "gradient", "update")


# -- what a scene shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A neuron (``source`` None) or the weight into it from ``source`` of the layer before.

    As the app's Selection: ``layer`` counts from 1, ``neuron`` and ``source`` from 0.
    """

    layer: int
    neuron: int
    source: int | None = None


@dataclass(frozen=True)
class At:
    """Where in the step to stand: ``start``, ``end``, the end of a phase, N events into a
    phase (``forward:3``), or just after one event (``delta:2:1``, 1-based layer/neuron)."""

    spec: str
    kind: str  # "start", "end", "phase", "into", or an event kind
    phase: str | None = None
    count: int = 0
    layer: int = 0
    neuron: int = 0

    def position(self, trace: Trace) -> int:
        """The player position (events done) this names in a step of ``trace``."""
        if self.kind == "start":
            return 0
        if self.kind == "end":
            return len(trace)
        if self.kind in ("phase", "into"):
            assert self.phase is not None
            start, end = trace.phase_range(self.phase)
            return end if self.kind == "phase" else min(end, start + self.count)
        return trace.index_of(self.kind, self.layer, self.neuron) + 1


@dataclass(frozen=True)
class Show:
    panels: tuple[str, ...] = ()  # names from PANELS, brought to the front in this order
    select: Target | None = None
    at: At | None = None


# -- what a scene does ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlayAction:
    """Animate one phase of the step (or the whole step) from its start."""

    phase: str
    speed: float | None  # None: the speed the teacher has chosen; inf: instant
    label: str
    auto: bool = False


@dataclass(frozen=True)
class TrainAction:
    steps: int
    label: str
    auto: bool = False


@dataclass(frozen=True, eq=False)
class DeepenAction:
    """The scene's network with 2, 5, 10 … hidden layers, one per press of Next."""

    hidden_layers: tuple[int, ...]
    experiments: tuple[Experiment, ...]
    label: str
    auto: bool = False


@dataclass(frozen=True, eq=False)
class SwitchAction:
    """Show a changed copy of the scene's experiment (another activation, say)."""

    experiment: Experiment
    label: str
    auto: bool = False


@dataclass(frozen=True, eq=False)
class CompareAction:
    """Open the experiment as it is shown, side by side with ``setting`` set to each value."""

    setting: str
    values: tuple[Any, ...]
    label: str
    auto: bool = False


Action = PlayAction | TrainAction | DeepenAction | SwitchAction | CompareAction


@dataclass(frozen=True)
class Step:
    """One press of Next inside a scene: an action, or one depth of a deepen action."""

    action: Action
    part: int
    label: str


@dataclass(frozen=True, eq=False)
class Scene:
    index: int
    title: str
    text: str
    experiment: Experiment
    show: Show
    actions: tuple[Action, ...]
    # a diagnosis kind (core.diagnosis.KINDS) the scene points at once its actions are
    # done: the lesson shows that finding's line (or says it is not found)
    finding: str | None = None
    # asked before the first step that waits for Page Down, answered once all have run
    question: Question | None = None
    # for the teacher only: the presenter view shows them on the laptop screen
    notes: str = ""

    @property
    def steps(self) -> tuple[Step, ...]:
        out: list[Step] = []
        for a in self.actions:
            if isinstance(a, DeepenAction):
                out += [Step(a, k, f"{a.label}: {h} hidden layer{'s' * (h != 1)}")
                        for k, h in enumerate(a.hidden_layers)]
            else:
                out.append(Step(a, 0, a.label))
        return tuple(out)

    @property
    def auto_steps(self) -> int:
        """How many of the steps run as the scene opens (auto actions come first)."""
        n = 0
        for s in self.steps:
            if not s.action.auto or (isinstance(s.action, DeepenAction) and s.part > 0):
                break
            n += 1
        return n

    @property
    def after(self) -> Experiment:
        """The experiment shown once every action has run (a switch or deepen changes it)."""
        shown = self.experiment
        for a in self.actions:
            if isinstance(a, SwitchAction):
                shown = a.experiment
            elif isinstance(a, DeepenAction):
                shown = a.experiments[-1]
        return shown


@dataclass(frozen=True, eq=False)
class Lesson:
    title: str
    description: str
    scenes: tuple[Scene, ...]
    source: str  # the file name errors and the window name it by


# -- the "deepen the chain" table ----------------------------------------------------------


@dataclass(frozen=True)
class DepthRow:
    """One depth of the chain: how small the first layer's gradient can be, and is."""

    hidden_layers: int
    max_derivative: float | None  # the hidden activation's largest slope, when all share one
    bound: float | None  # ∏ max f'(z) over the hidden layers (0.25ᴸ for sigmoid)
    product: float | None  # ∏ f'(z) over the hidden layers, for a chain one neuron wide
    ratio: float  # mean |∂L/∂W₁| / mean |∂L/∂W_out| of the pass (report.layer_rows)


def depth_row(p: Pass) -> DepthRow:
    """The figures of one row of the depth table, for the pass shown."""
    hidden = p.depth - 1
    bound = derivative_bound(p.network.activations[:-1])
    product = None
    if hidden == 0:
        product = 1.0
    elif all(n == 1 for n in p.network.layers[1:-1]):
        with np.errstate(all="ignore"):
            per_sample = np.prod(np.column_stack([p.dact[i][:, 0] for i in range(hidden)]),
                                 axis=1)
        product = float(per_sample.mean())
    return DepthRow(hidden, bound.common, bound.product if hidden else 1.0, product,
                    float(layer_rows(p)[0]["ratio"]))

