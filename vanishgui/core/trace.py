"""The events of one training step, in the order the app animates them, and a Player.

A step's events are, for a network with layer sizes n0, n1, …, nL:

1. ``forward``: for layer 1..L, for each neuron j: z = Σ w·a_prev + b, then a = f(z);
2. ``loss``: one event, the loss against the targets;
3. ``backward``: for layer L down to 1: each neuron's δ = f'(z)·∂L/∂a, then each
   neuron's weight gradients ∂L/∂w = δ·a_prev (its incoming row of W, and its bias);
4. ``update``: for layer 1..L, each neuron's incoming weights: w_new = w_old − η·∂L/∂w.

The :class:`Trace` computes event k from k by arithmetic, so a 64 × 256 network's
hundreds of thousands of events cost no memory. The :class:`Player` is a cursor over
a Trace (no timer): ``position`` p means events 0..p−1 have happened, so p = 0 is the
start of the step and p = len(trace) its end. Views draw "the state at position p";
stepping back is exact because nothing is ever undone, only redrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PHASES = ("forward", "loss", "backward", "update")
KINDS = ("forward", "loss", "delta", "gradient", "update")


@dataclass(frozen=True)
class Event:
    """One thing that happens in a step. ``layer`` is 1-based; 0 for the loss event."""

    index: int
    phase: str  # one of PHASES
    kind: str  # one of KINDS
    layer: int
    neuron: int


@dataclass(frozen=True)
class Reveal:
    """How much of each layer is done at a position: what a view may show.

    Per-layer arrays are indexed from 0 for layer 1 and count neurons, in the order the
    events visit them (neuron 0 first).
    """

    position: int
    forward: np.ndarray  # neurons whose z and a are computed
    loss: bool
    delta: np.ndarray  # neurons whose δ is computed
    gradient: np.ndarray  # neurons whose weight gradients are computed
    update: np.ndarray  # neurons whose incoming weights are updated
    event: Event | None  # the last event that happened (None at the start)


class Trace:
    """The ordered events of a step for the given layer sizes (input layer first)."""

    def __init__(self, layers: tuple[int, ...]) -> None:
        self.layers = tuple(layers)
        sizes = np.array(self.layers[1:], dtype=np.int64)
        self.depth = len(sizes)
        self._sizes = sizes
        self.neurons = int(sizes.sum())
        n = self.neurons
        # start of each phase, and of each layer within forward/update
        self._fwd_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.phase_start = {"forward": 0, "loss": n, "backward": n + 1, "update": 3 * n + 1}
        self.length = 4 * n + 1
        # backward visits layers L..1, two events per neuron
        rev = sizes[::-1]
        self._bwd_start_rev = np.concatenate([[0], np.cumsum(2 * rev)[:-1]])

    def __len__(self) -> int:
        return self.length

    def phase_range(self, phase: str) -> tuple[int, int]:
        """[start, end) of a phase's event indices."""
        i = PHASES.index(phase)
        start = self.phase_start[phase]
        end = self.phase_start[PHASES[i + 1]] if i + 1 < len(PHASES) else self.length
        return start, end

    def __getitem__(self, k: int) -> Event:
        if k < 0:
            k += self.length
        if not 0 <= k < self.length:
            raise IndexError(k)
        n = self.neurons
        if k < n:
            layer = int(np.searchsorted(self._fwd_start, k, side="right"))
            return Event(k, "forward", "forward", layer, k - int(self._fwd_start[layer - 1]))
        if k == n:
            return Event(k, "loss", "loss", 0, 0)
        if k < 3 * n + 1:
            r = k - (n + 1)
            j = int(np.searchsorted(self._bwd_start_rev, r, side="right")) - 1
            layer = self.depth - j
            off = r - int(self._bwd_start_rev[j])
            size = int(self._sizes[layer - 1])
            if off < size:
                return Event(k, "backward", "delta", layer, off)
            return Event(k, "backward", "gradient", layer, off - size)
        r = k - (3 * n + 1)
        layer = int(np.searchsorted(self._fwd_start, r, side="right"))
        return Event(k, "update", "update", layer, r - int(self._fwd_start[layer - 1]))

    def index_of(self, kind: str, layer: int, neuron: int) -> int:
        """The event index of a (kind, layer, neuron); layer is 1-based."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "loss":
            return self.neurons
        if not 1 <= layer <= self.depth:
            raise IndexError(f"layer {layer} is outside 1..{self.depth}")
        size = int(self._sizes[layer - 1])
        if not 0 <= neuron < size:
            raise IndexError(neuron)
        if kind == "forward":
            return int(self._fwd_start[layer - 1]) + neuron
        if kind == "update":
            return 3 * self.neurons + 1 + int(self._fwd_start[layer - 1]) + neuron
        j = self.depth - layer
        base = self.neurons + 1 + int(self._bwd_start_rev[j])
        return base + neuron + (size if kind == "gradient" else 0)

    def reveal(self, position: int) -> Reveal:
        """What is done once the first ``position`` events have happened."""
        p = max(0, min(int(position), self.length))
        sizes = self._sizes
        n = self.neurons
        forward = np.clip(p - self._fwd_start, 0, sizes)
        loss = p > n
        r = p - (n + 1)
        delta = np.zeros(self.depth, dtype=np.int64)
        grad = np.zeros(self.depth, dtype=np.int64)
        if r > 0:
            done = np.clip(r - self._bwd_start_rev, 0, 2 * sizes[::-1])
            delta = np.minimum(done, sizes[::-1])[::-1]
            grad = np.maximum(done - sizes[::-1], 0)[::-1]
        update = np.clip(p - (3 * n + 1) - self._fwd_start, 0, sizes)
        event = self[p - 1] if p > 0 else None
        return Reveal(p, forward, loss, delta.copy(), grad.copy(), update, event)


class Player:
    """A cursor over a Trace. It has no timer: an animation calls :meth:`advance`."""

    def __init__(self, trace: Trace, on_move: Callable[[int], None] | None = None) -> None:
        self.trace = trace
        self.position = 0
        self._on_move = on_move

    def __len__(self) -> int:
        return len(self.trace)

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position == len(self.trace)

    @property
    def event(self) -> Event | None:
        """The last event that happened."""
        return self.trace[self.position - 1] if self.position else None

    @property
    def phase(self) -> str | None:
        e = self.event
        return e.phase if e else None

    def seek(self, position: int) -> int:
        p = max(0, min(int(position), len(self.trace)))
        if p != self.position:
            self.position = p
            if self._on_move:
                self._on_move(p)
        return p

    def advance(self, n: int = 1) -> int:
        return self.seek(self.position + n)

    def next_phase(self) -> int:
        """To the end of the current phase, or of the next one when already there."""
        for phase in PHASES:
            _, end = self.trace.phase_range(phase)
            if end > self.position:
                return self.seek(end)
        return self.position

    def previous_phase(self) -> int:
        """To the start of the current phase, or of the previous one when already there."""
        for phase in reversed(PHASES):
            start, _ = self.trace.phase_range(phase)
            if start < self.position:
                return self.seek(start)
        return self.seek(0)

    def reveal(self) -> Reveal:
        return self.trace.reveal(self.position)
