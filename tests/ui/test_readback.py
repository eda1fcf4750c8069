"""What the class sees, read back from real windows on Xvfb (issue 11).

At each screen size, in normal and projector mode, the probe opens the main window as the
app does, trains live, resets, changes experiment and opens lesson scenes (and a scene's
comparison window), and after each reads back what is shown (see readback_probe.py):
the window fits the screen; every visible curve's last point and at least 90% of its
points are inside its view; every axis draws its tick values as they are (no hidden
factor: pyqtgraph 0.14 turned a 0.1–0.3 axis into 100–300); every visible plot's view box
is at least 160 px tall; no label, button, table column, legend entry or self-painted
text (the |δ| bar, the colour key) is cut; and in projector mode no shown text is under
24 px on screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xserver import run_probe

PROBE = Path(__file__).with_name("readback_probe.py")

slow = pytest.mark.slow
CASES = [  # size, QT_SCALE_FACTOR, projector mode, lesson scenes
    pytest.param("1366x768", "1", False, "5", id="1366x768"),
    pytest.param("1366x768", "1", True, "5", id="1366x768-projector"),
    pytest.param("1024x768", "1", False, "7", id="1024x768", marks=slow),
    # a lesson beside the diagram on a small projector: the colour key folds, the
    # comparison window's readout folds, both plots keep MIN_VIEW_PX (they were 4-151 px)
    pytest.param("1024x768", "1", True, "all", id="1024x768-projector-every-scene",
                 marks=slow),
    pytest.param("1280x720", "1", False, "6", id="1280x720", marks=slow),
    pytest.param("1280x720", "1", True, "5", id="1280x720-projector", marks=slow),
    pytest.param("1920x1080", "1", False, "all", id="1920x1080-every-scene", marks=slow),
    pytest.param("1920x1080", "1", True, "all", id="1920x1080-projector-every-scene",
                 marks=slow),
    pytest.param("1920x1080", "2", False, "5", id="1920x1080-scale2", marks=slow),
    pytest.param("1920x1080", "2", True, "5", id="1920x1080-scale2-projector", marks=slow),
]


@pytest.mark.parametrize(("size", "scale", "projector", "scenes"), CASES)
def test_what_the_class_sees_is_true_and_readable_in_a_real_window(
        request, tmp_path, size, scale, projector, scenes) -> None:
    fast = not request.node.get_closest_marker("slow")
    done = run_probe(PROBE, size, tmp_path, timeout=900, QT_SCALE_FACTOR=scale,
                     VANISHGUI_READBACK_PROJECTOR="1" if projector else "0",
                     VANISHGUI_READBACK_SCENES=scenes,
                     # every plot in turn in the slow cases (make test stays under 6 min)
                     VANISHGUI_READBACK_TURNS="0" if fast else "1")
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    width, height = (int(v) for v in size.split("x"))
    assert shown["screen"] == [round(width / float(scale)), round(height / float(scale))]
    assert shown["steps"] > 0  # it did train
    assert shown["plots"] > 0  # and plots were read
    if projector:
        assert shown["texts_checked"] > 50  # every shown text was measured
    problems = {phase: found for phase, found in shown["problems"].items() if found}
    for phase, found in problems.items():
        print(f"{size} ×{scale} projector={projector} · {phase}:")
        for problem in found:
            print(f"    {problem}")
    assert not problems
