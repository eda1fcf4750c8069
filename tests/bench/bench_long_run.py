"""Benchmark: a long classroom session, fast-forwarded. Memory stays flat, the window answers.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_long_run.py
Prints figures; asserts nothing. The classic example trains for 1,000,000 steps in the main
window with all six plots shown and live (the "All plots" view) and the autosave running
(every minute, into a temporary folder), as in the app. Every 100,000 steps it prints the
process's resident memory (RSS) and its growth, the training speed, and how late a 20 ms
timer on the GUI thread fired (median and maximum): how long a click would have waited.

Options (environment): VANISHGUI_BENCH_STEPS (default 1000000), VANISHGUI_BENCH_SECONDS
(stop after this long even if the steps are not done; default 3600).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app runs (vanishgui/__main__.py)

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import classic
from vanishgui.ui.model.session import Session
from vanishgui.ui.shell.autosave import Autosave
from vanishgui.ui.shell.main_window import MainWindow

STEPS = int(os.environ.get("VANISHGUI_BENCH_STEPS", "1000000"))
MAX_SECONDS = float(os.environ.get("VANISHGUI_BENCH_SECONDS", "3600"))
REPORT_EVERY = max(1, STEPS // 10)
TICK_MS = 20


def rss_mb() -> float:
    """Resident memory now (Linux: /proc), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class Run:
    def __init__(self, app: QApplication, window: MainWindow) -> None:
        self.app = app
        self.window = window
        self.session = window.session
        self.late: list[float] = []  # ms, since the last report
        self.all_late: list[float] = []
        self._last_tick = time.perf_counter()
        self.ticker = QTimer()
        self.ticker.setTimerType(Qt.TimerType.PreciseTimer)  # lateness, not timer slack
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self._on_tick)
        self.watch = QTimer()
        self.watch.setInterval(100)
        self.watch.timeout.connect(self._on_watch)
        self.next_report = REPORT_EVERY
        self.rows: list[tuple[int, float, float]] = []

    def _on_tick(self) -> None:
        now = time.perf_counter()
        late = max(0.0, (now - self._last_tick) * 1000 - TICK_MS)
        self._last_tick = now
        self.late.append(late)
        self.all_late.append(late)

    def start(self) -> None:
        self.start_rss = rss_mb()
        self.t0 = time.perf_counter()
        self.mark = (self.t0, 0)
        print(f"{'steps':>9} {'seconds':>8} {'steps/s':>9} {'RSS MB':>8} {'growth MB':>10} "
              f"{'timer late ms (median / max)':>30}", flush=True)
        print(f"{0:>9,} {0:>8.0f} {'':>9} {self.start_rss:>8.1f} {0:>10.1f}", flush=True)
        self.session.train(STEPS)
        self.ticker.start()
        self.watch.start()

    def _on_watch(self) -> None:
        s = self.session
        steps = s.trainer.step_count
        now = time.perf_counter()
        over_time = now - self.t0 > MAX_SECONDS
        if steps >= self.next_report or not s.training or over_time:
            t_prev, s_prev = self.mark
            rate = (steps - s_prev) / max(1e-9, now - t_prev)
            rss = rss_mb()
            late = self.late or [0.0]
            print(f"{steps:>9,} {now - self.t0:>8.0f} {rate:>9,.0f} {rss:>8.1f} "
                  f"{rss - self.start_rss:>10.1f} "
                  f"{statistics.median(late):>14.1f} / {max(late):<13.1f}", flush=True)
            self.rows.append((steps, now - self.t0, rss))
            self.late = []
            self.mark = (now, steps)
            while self.next_report <= steps:
                self.next_report += REPORT_EVERY
        if not s.training or over_time:
            s.pause()
            self.ticker.stop()
            self.watch.stop()
            self.app.quit()


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("vanishgui")
    app.setOrganizationName("vanishgui")
    window = build_window(Session(classic()), restore=False)
    window.resize(1600, 900)
    window.show()
    app.processEvents()
    window.set_plot_wall(True)
    for _ in range(10):
        app.processEvents()
    with tempfile.TemporaryDirectory(prefix="vanishgui-bench-") as folder:
        autosave = Autosave(window, interval_ms=60_000, folder=Path(folder))
        run = Run(app, window)
        print(f"Long run: {STEPS:,} training steps of the classic example, all six plots live, "
              f"autosave every 60 s; QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}, "
              f"1600×900, load average {os.getloadavg()[0]:.2f}", flush=True)
        QTimer.singleShot(0, run.start)
        app.exec()
        autosave.finish()
    s = window.session
    steps, seconds, rss = run.rows[-1]
    after_first = [r for r in run.rows if r[0] >= REPORT_EVERY]
    settled = (rss - after_first[0][2]) if after_first else float("nan")
    late = run.all_late or [0.0]
    done = "all" if steps >= STEPS else f"stopped after {MAX_SECONDS:.0f} s:"
    print(f"\n{done} {steps:,} steps in {seconds:.0f} s ({steps / max(seconds, 1e-9):,.0f} "
          f"steps/s); RSS {run.start_rss:.1f} → {rss:.1f} MB (growth {rss - run.start_rss:+.1f} "
          f"MB; {settled:+.1f} MB after the first {REPORT_EVERY:,} steps); History "
          f"{s.trainer.history.nbytes() / 2**20:.2f} MB; 20 ms timer late by median "
          f"{statistics.median(late):.1f} ms, 99th percentile "
          f"{statistics.quantiles(late, n=100)[98] if len(late) > 1 else late[0]:.1f} ms, "
          f"max {max(late):.1f} ms; plot redraws "
          f"{sum(p.redraw_count for p in window.plots.panels.values()):,}; autosaves "
          f"{autosave.writes}")
    return 0  # (no window.close(): it would write the window's state into the user's settings)


if __name__ == "__main__":
    sys.exit(main())
