"""What the class sees, read back from real windows on Xvfb (issue 11): the window fits the
screen, every visible curve is inside its plot's view after live training and a change of
experiment (and projector mode), every axis draws its tick values as they are, with no
hidden factor (pyqtgraph 0.14 scaled a 0.1-0.3 axis to 100-300 and hid the note)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("readback_probe.py")

CASES = [
    pytest.param("1366x768", "1", False, id="1366x768"),
    pytest.param("1366x768", "1", True, id="1366x768-projector"),
    pytest.param("1024x768", "1", True, id="1024x768-projector", marks=pytest.mark.slow),
    pytest.param("1280x720", "1", False, id="1280x720", marks=pytest.mark.slow),
    pytest.param("1920x1080", "1", True, id="1920x1080-projector", marks=pytest.mark.slow),
]
# Not yet: QT_SCALE_FACTOR=2 on 1920×1080 leaves 960×540 logical pixels, and the window's
# minimum is 986×560 (the transport bar alone asks 978 px); issue 11 stays open for it.


def read_back(tmp_path: Path, size: str, scale: str, projector: bool) -> dict:
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is not installed: run `make test` (it installs the xvfb package)"
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", f"{size}x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = f.readline().strip()
    try:
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                   QT_SCALE_FACTOR=scale, XDG_CONFIG_HOME=str(tmp_path / "config"),
                   VANISHGUI_READBACK_PROJECTOR="1" if projector else "0")
        done = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True,
                              text=True, timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("size", "scale", "projector"), CASES)
def test_what_the_plots_show_is_their_data_in_a_real_window(tmp_path, size, scale,
                                                            projector) -> None:
    shown = read_back(tmp_path, size, scale, projector)
    width, height = (int(v) for v in size.split("x"))
    ratio = float(scale)
    assert shown["screen"] == [round(width / ratio), round(height / ratio)]
    assert shown["fits"], shown["window"]  # the window is not bigger than the screen
    assert shown["steps"] > 0
    assert shown["plots"], "no plot was visible"
    for name, plots in shown["plots"].items():
        for plot in plots:
            for curve in plot["curves"]:  # the whole curve, not only what was drawn
                where = (name, curve["name"], curve["last"], plot["range"])
                assert curve["last_inside"], where
                assert curve["inside"] >= 0.9, where
            for side, axis in plot["axes"].items():
                assert axis["scale"] == 1.0 and axis["prefix"] == "", (name, side, axis)
                assert not axis["bad"], (name, side, axis)
    # Read back too, not yet required (issue 11's layouts): plot areas under 160 px, legend
    # entries cut, one-line labels cut. Printed, so a run shows where the layout stands.
    short = {n: [round(p["height"]) for p in ps if p["height"] < 160]
             for n, ps in shown["plots"].items()}
    cut = {n: [e for legend in ls for e in legend["cut"]] for n, ls in shown["legends"].items()}
    print(f"\n{size} scale {scale} projector {projector}: plot areas under 160 px "
          f"{ {n: h for n, h in short.items() if h} }; legend entries cut "
          f"{ {n: c for n, c in cut.items() if c} }; labels cut {shown['clipped']}")
