"""Benchmark: time to apply one animation event to the diagram and repaint it.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_diagram.py
Prints figures; asserts nothing. For each network it steps through events (wrapping at the
end of a step) and times Session.step_forward() plus a synchronous repaint of the view.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.ui.diagram.view import DiagramPanel
from vanishgui.ui.model.session import Session

GOALS_MS = {"1-1-1-1": 4.0, "8 layers × 16": 8.0, "32 layers × 64": 16.0}


def experiment(depth: int, width: int):
    if depth == 0:
        return classic()
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [2] + [width] * (depth - 1) + [1]},
           "data": {"dataset": "circles", "samples": 256},
           "training": {"loss": "squared", "learning_rate": 0.5}}
    return parse_experiment(doc)


def measure(app, name: str, exp, events: int = 300) -> dict[str, float]:
    session = Session(exp)
    session.set_speed(float("inf"))  # no transition frames: one state, one paint
    panel = DiagramPanel(session)
    panel.resize(1600, 900)
    panel.show()
    app.processEvents()
    viewport = panel.view.viewport()
    viewport.repaint()
    times = []
    # start inside the backward pass, where |δ| colours and highlights change per event
    session.seek(session.trace.phase_start["backward"])
    for _ in range(events):
        if session.player.at_end:
            session.seek(0)
        t0 = time.perf_counter()
        session.step_forward()
        viewport.repaint()
        times.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
    # a whole training step (T): every weight changes, so every edge layer is redrawn
    redraws = []
    for _ in range(5):
        session.train_step()
        t0 = time.perf_counter()
        viewport.repaint()
        redraws.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
    panel.close()
    return {"median": statistics.median(times), "p95": sorted(times)[int(0.95 * len(times))],
            "max": max(times), "redraw_after_step": statistics.median(redraws)}


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"Diagram: one event applied + repaint, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}"
          ", 1600×900")
    print(f"{'network':<16} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'goal ms':>8} "
          f"{'redraw after T ms':>18}")
    for name, (depth, width) in {"1-1-1-1": (0, 1), "8 layers × 16": (8, 16),
                                 "32 layers × 64": (32, 64)}.items():
        r = measure(app, name, experiment(depth, width))
        print(f"{name:<16} {r['median']:>10.2f} {r['p95']:>8.2f} {r['max']:>8.2f} "
              f"{GOALS_MS[name]:>8.1f} {r['redraw_after_step']:>18.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
