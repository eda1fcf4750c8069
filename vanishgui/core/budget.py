"""The memory budget: how many bytes a network needs to be shown and trained, estimated
before anything is built, so that a file the format allows cannot exhaust the machine.

A Pass keeps five arrays per layer for every sample of the batch (z, a, f'(z), ∂L/∂a,
∂L/∂z; seven with a norm, which adds ẑ and ∂L/∂ẑ); the app keeps the shown step's pass
and the last committed one while the next is computed, so three passes live at once. Add
the parameters and their optimiser state, the History, and what ``vanishgui report
--json`` would print (about 60 bytes a number: the text, and the Python objects it is
built from).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .numbers import num

BUDGET_BYTES = int(1.5 * 2**30)  # 1.5 GiB: far below the 4 GiB the app is tested within
PASS_ARRAYS = 5  # z, a, f'(z), ∂L/∂a, ∂L/∂z, each (batch, width) per layer
LIVE_PASSES = 3  # the shown step, the last one, and the one being computed
PARAMETER_COPIES = 6  # weights, gradients, update, momentum or Adam's two moments, initial
REPORT_BYTES_PER_NUMBER = 60
HISTORY_ROWS = 12_288  # training.HISTORY_CAPACITY (kept equal by a test)
FLOAT_BYTES = 8


@dataclass(frozen=True)
class Estimate:
    """Bytes one experiment needs, by part."""

    passes: int
    parameters: int
    history: int
    report: int
    batch: int  # samples in one step
    units: int  # neurons in all layers but the input
    printed: int  # numbers report --json prints
    arrays: int = PASS_ARRAYS  # per layer and sample in one pass

    def total(self, *, report: bool = False) -> int:
        """Bytes to show and train it; with ``report``, also to print ``report --json``."""
        return self.passes + self.parameters + self.history + (self.report if report else 0)

    def refusal(self, *, report: bool = False) -> str | None:
        """One sentence naming the product to reduce, or None within the budget."""
        total = self.total(report=report)
        if total <= BUDGET_BYTES:
            return None
        gb = total / 1e9
        why = (f"{self.batch:,} samples a step × {self.units:,} neurons × "
               f"{self.arrays * LIVE_PASSES} arrays of 8 bytes, plus its weights and history")
        if report:
            why = f"{self.printed:,} numbers to print at about 60 bytes each, and {why}"
        doing = "train and report" if report else "train"
        return (f"This network needs about {num(gb)} GB to {doing} ({why}), more than the "
                f"{BUDGET_BYTES / 2**30:g} GiB vanishgui allows: use fewer samples or a "
                f"smaller batch, or fewer or narrower layers.")


def estimate(layers: Sequence[int], samples: int, batch_size: int | None, *,
             normalised: bool = False) -> Estimate:
    """The bytes an experiment of these ``layers`` on ``samples`` samples needs, when each
    step sees ``batch_size`` samples (None: all of them); ``normalised``: with a norm."""
    batch = samples if batch_size is None else max(1, min(batch_size, samples))
    units = sum(layers[1:])
    weights = sum(a * b + b for a, b in itertools.pairwise(layers))
    depth = len(layers) - 1
    arrays = PASS_ARRAYS + 2 * normalised
    passes = LIVE_PASSES * arrays * batch * units * FLOAT_BYTES
    parameters = PARAMETER_COPIES * weights * FLOAT_BYTES
    history = HISTORY_ROWS * (3 + 5 * depth) * FLOAT_BYTES
    # report --json as text: the first pass's z, a, f'(z) and δ for every sample of its
    # batch, its gradients and the final weights, and the history
    numbers = (4 + normalised) * batch * units + 2 * weights + HISTORY_ROWS * (1 + 4 * depth)
    report = REPORT_BYTES_PER_NUMBER * numbers
    return Estimate(passes, parameters, history, report, batch, units, numbers, arrays)
