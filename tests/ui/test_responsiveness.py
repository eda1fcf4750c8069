"""The window answers while a large network trains (issue: training ran on the GUI thread
in slices, and one step of a large network cannot be sliced: keys waited up to 1.3 s)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("responsiveness_probe.py")


@pytest.mark.slow
def test_the_window_answers_while_the_deepest_network_trains(tmp_path) -> None:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is not installed: run `make test` (it installs the xvfb package)"
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1366x768x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = f.readline().strip()
    try:
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                   XDG_CONFIG_HOME=str(tmp_path / "config"))
        done = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True,
                              text=True, timeout=600)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("steps="))
    print(line)
    figures = dict(part.split("=") for part in line.split())
    assert int(figures["steps"]) >= 5  # it did train
    assert int(figures["shown_step"]) == int(figures["steps"])  # and says so
    assert float(figures["median_ms"]) <= 100
    assert float(figures["max_ms"]) <= 300
