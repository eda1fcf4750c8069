"""Redraw cost against the number of steps trained (issue: it grew with the history).

Trains a 64-weight-layer chain (one neuron a layer, ReLU with weights that kill it, so
every gradient is exactly 0 and every history row is a marker) and a 64-layer sigmoid
chain, and times one forced redraw of every plot panel at 100, 1,000, 4,000 and 12,000
steps. Prints milliseconds per panel and the ratio of the 12,000-step cost to the 100-step
cost; the goal is at most 1.5.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_redraw.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import parse_experiment
from vanishgui.ui.model.session import Session
from vanishgui.ui.shell.dialogs import settle

CHECKPOINTS = tuple(int(v) for v in os.environ.get("BENCH_STEPS", "100,1000,4000,12000").split(","))


def chain(hidden: str, init: dict) -> dict:
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [1] * 65, "hidden_activation": hidden, "init": init},
            "data": {"inputs": [[0.5]], "targets": [[1.0]]},
            "training": {"loss": "squared", "learning_rate": 0.5}}


CASES = {
    "64-layer ReLU chain, dead (every gradient 0)":
        chain("relu", {"scheme": "constant", "value": -1.0, "seed": 0}),
    "64-layer sigmoid chain": chain("sigmoid", {"scheme": "normal", "std": 1.0, "seed": 1}),
}


def redraw_ms(window, repeats: int = 3) -> dict[str, float]:
    out = {}
    for name, panel in window.plots.panels.items():
        times = []
        for _ in range(repeats):
            panel.dirty = True
            t0 = time.perf_counter()
            panel.refresh(force=True)
            settle(1)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.median(times)
    return out


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    for label, doc in CASES.items():
        w = build_window(Session(parse_experiment(doc)), restore=False)
        w.resize(1600, 900)
        w.show()
        w.set_plot_wall(True)
        settle()
        rows = {}
        for target in CHECKPOINTS:
            w.session.train_now(target - w.session.trainer.step_count)
            rows[target] = redraw_ms(w)
        print(f"\n{label}: one forced redraw, ms (median of 3), plot wall at 1600×900")
        names = list(rows[CHECKPOINTS[0]])
        print(f"{'steps':>8} " + " ".join(f"{n:>10}" for n in names))
        for target in CHECKPOINTS:
            print(f"{target:>8,} " + " ".join(f"{rows[target][n]:>10.1f}" for n in names))
        ratio = {n: rows[CHECKPOINTS[-1]][n] / max(rows[CHECKPOINTS[0]][n], 1e-9)
                 for n in names}
        print(f"{'ratio':>8} " + " ".join(f"{ratio[n]:>10.2f}" for n in names))
        w.close()
        w.deleteLater()
        settle()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
