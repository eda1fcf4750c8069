"""Start-up loads only what the first window needs (issue 6): the comparison window, lesson
parsing and pyqtgraph's exporters are imported when first used, not before the first paint.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFERRED = ("vanishgui.ui.compare.window", "vanishgui.ui.compare.diagrams",
            "vanishgui.ui.compare.plots", "vanishgui.ui.model.lockstep", "vanishgui.core.lesson",
            "pyqtgraph.exporters")

PROBE = """
import sys
from vanishgui.cli.gui import main
code = main([])
print("exit", code)
ours = sorted(m for m in sys.modules if m.startswith(("vanishgui", "pyqtgraph")))
print("loaded", " ".join(ours))
"""


def test_first_window_paints_without_the_deferred_modules(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(QT_QPA_PLATFORM="offscreen", VANISHGUI_STARTUP_PROBE="1", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["exit"] == "0"
    assert any(line.startswith("first-paint-seconds=") for line in done.stdout.splitlines())
    loaded = set(lines["loaded"].split())
    assert "vanishgui.ui.shell.main_window" in loaded and "pyqtgraph" in loaded  # probe saw them
    assert sorted(m for m in DEFERRED if m in loaded) == []
