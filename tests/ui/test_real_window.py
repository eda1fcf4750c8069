"""The real window on a real X server (Xvfb, 1920×1080×24): neurons are drawn where the
scene says they are, in the colours the scene gave them: not a blank window."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("real_window_probe.py")


@pytest.fixture
def xvfb_display():
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is not installed: run `make test` (it installs the xvfb package)"
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def _close(a: str, b: str, tol: int = 40) -> bool:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return all(abs(x - y) <= tol for x, y in zip(ca, cb))


def test_real_window_draws_neurons_where_the_scene_says(xvfb_display, tmp_path):
    env = dict(os.environ, DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb",
               XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["platform"] == "xcb"
    assert result["screen"] == [1920, 1080]
    neurons = result["neurons"]
    assert len(neurons) == 4
    for n in neurons:
        assert 0 < n["x"] < 1920 and 0 < n["y"] < 1080
        assert n["screen"] != "#ffffff", n
        assert _close(n["screen"], n["expected"]), n
    # at the end of the backward pass the three computed neurons show their |δ| colour,
    # which differs from the input's activation shade
    assert len({n["expected"] for n in neurons}) >= 2
