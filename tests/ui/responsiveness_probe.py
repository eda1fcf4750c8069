"""Run by test_responsiveness.py in a child process on a real X server: trains the deepest
network the controls allow on 200 samples, every plot shown, and measures how late a
zero-delay timer posted to the GUI thread fires. Prints one line of figures."""

from __future__ import annotations

import os
import statistics
import sys
import time

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])

from vanishgui.cli.startup import settle_memory  # noqa: E402
from vanishgui.cli.window import build_window  # noqa: E402  (Qt first)
from vanishgui.core.experiment import parse_experiment  # noqa: E402
from vanishgui.ui.model.session import Session  # noqa: E402

DOC = {"format": "vanishgui-experiment", "version": 1,
       "network": {"layers": [2] + [256] * 63 + [1], "hidden_activation": "relu"},
       "data": {"dataset": "circles", "samples": 200, "seed": 0},
       "training": {"loss": "bce", "learning_rate": 0.001}}

window = build_window(Session(parse_experiment(DOC)), restore=False)
window.headless = True  # closing asks nothing
settle_memory()  # as the app does before it shows its window
window.resize(1366, 768)
window.show()
window.set_plot_wall(True)
seconds = float(os.environ.get("VANISHGUI_RESPONSIVE_SECONDS", "120"))
late: list[float] = []


def probe() -> None:
    posted = time.perf_counter()
    QTimer.singleShot(0, lambda: late.append(time.perf_counter() - posted))


ticker = QTimer()
ticker.setInterval(50)
ticker.timeout.connect(probe)
ticker.start()
window.session.train()
loop = QEventLoop()
QTimer.singleShot(int(seconds * 1000), loop.quit)
loop.exec()
window.session.pause()
ticker.stop()
print(f"steps={window.session.trainer.step_count} probes={len(late)} "
      f"median_ms={statistics.median(late) * 1000:.1f} max_ms={max(late) * 1000:.1f} "
      f"shown_step={window.transport.steps.text().split()[1].replace(',', '')}")
window.close()
