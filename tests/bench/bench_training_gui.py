"""Benchmark: training speed with the plots live, and the frame time of a full repaint.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_training_gui.py
Prints figures; asserts nothing. For 8 layers × 16 and 32 layers × 64 (sigmoid, 256
samples of `circles`, full batch), it measures training steps per second

- of the core alone (Trainer.step in a loop),
- in the window with every plot hidden (continuous training, Shift+T),
- in the window with all six plots shown and live ("All plots" view),

the median time of one full repaint of the window with all panels shown, and, apart
from it, the median time to put one step's new data into all six plots.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app runs (vanishgui/__main__.py)

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import parse_experiment
from vanishgui.ui.model.session import Session

SECONDS = 4.0


def experiment(depth: int, width: int):
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2] + [width] * (depth - 1) + [1]},
        "data": {"dataset": "circles", "samples": 256},
        "training": {"loss": "squared", "learning_rate": 0.5}})


def core_rate(exp) -> float:
    t = exp.trainer()
    t.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < SECONDS:
        t.step()
        n += 1
    return n / (time.perf_counter() - t0)


def run_for(app, seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def gui_rate(app, exp, plots: bool) -> tuple[float, float | None]:
    w = build_window(Session(exp), restore=False)
    w.resize(1600, 900)
    w.show()
    app.processEvents()
    if plots:
        w.set_plot_wall(True)
    else:
        for name in w.plots.panels:
            w.docks[f"plot_{name}"].hide()
    for _ in range(5):
        app.processEvents()
    s = w.session
    s.train()
    run_for(app, 0.5)  # warm up
    start_steps, t0 = s.trainer.step_count, time.perf_counter()
    run_for(app, SECONDS)
    rate = (s.trainer.step_count - start_steps) / (time.perf_counter() - t0)
    s.pause()
    frame = None
    if plots:
        updates, paints = [], []
        for _ in range(20):
            s.train_step()
            t0 = time.perf_counter()
            for panel in w.plots.panels.values():  # new data into every plot item
                panel.refresh(force=True)
            t1 = time.perf_counter()
            w.repaint()  # one full repaint of the window, all six panels shown
            t2 = time.perf_counter()
            updates.append((t1 - t0) * 1000)
            paints.append((t2 - t1) * 1000)
        frame = (statistics.median(paints), statistics.median(updates))
    w.close()
    return rate, frame


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"Training with the window open, {SECONDS:.0f} s each, QT_QPA_PLATFORM="
          f"{os.environ['QT_QPA_PLATFORM']}, 1600×900, load average {os.getloadavg()[0]:.2f}")
    print(f"{'network':<16} {'core steps/s':>13} {'plots hidden':>13} {'plots live':>11} "
          f"{'live/core':>10} {'full repaint ms':>16} {'data update ms':>15}")
    for name, (depth, width) in {"8 layers × 16": (8, 16), "32 layers × 64": (32, 64)}.items():
        exp = experiment(depth, width)
        core = core_rate(exp)
        hidden, _ = gui_rate(app, exp, plots=False)
        live, frame = gui_rate(app, exp, plots=True)
        print(f"{name:<16} {core:>13,.0f} {hidden:>13,.0f} {live:>11,.0f} "
              f"{live / core:>9.0%} {frame[0]:>16.1f} {frame[1]:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
