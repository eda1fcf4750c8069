"""The presenter view on two screens (issue 16): Xvfb with two X screens and no
+xinerama, so Qt sees two QScreens, and no window manager, so each window sizes itself to
its screen. The main window goes full screen on the projector, the presenter window on the
laptop; scene changes and training reach both."""

from __future__ import annotations

import json
from pathlib import Path

from xserver import run_probe

from vanishgui.core.lesson import load_lesson
from vanishgui.ui.lesson.presenter import elapsed_text

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("presenter_probe.py")
LESSON = ROOT / "resources/lessons/vanishing-gradient.json"


def test_the_presenter_view_uses_the_other_screen_and_follows_the_lesson(tmp_path) -> None:
    # argv: the probe reads the lesson to open from its first argument
    out = run_probe(PROBE, "1366x768", tmp_path, timeout=180, screens=("1920x1080",),
                    VANISHGUI_PROBE_LESSON=str(LESSON))
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(r["screens"]) == 2 and r["primary"] == 0
    assert r["enabled_before_lesson"] is False  # no lesson, no presenter view
    lesson = load_lesson(LESSON, ROOT / "resources/examples")
    n = len(lesson.scenes)
    for key, index in (("first", 0), ("sixth", 5), ("trained", 5)):
        s = r[key]
        # the two windows are on different screens: main on the projector, presenter on
        # the laptop (the primary), each as large as its screen
        assert s["main_screen"] == 1 and s["presenter_screen"] == 0, s
        assert s["main_geometry"][2:] == [1920, 1080]
        assert s["presenter_geometry"][2:] == [1366, 768]
        scene = lesson.scenes[index]
        assert s["index"] == index
        assert s["main_title"] == scene.title  # what the class sees…
        assert s["scene"] == f"Scene {index + 1} of {n}: {scene.title}"  # …and the teacher
        assert s["next"] == f"Next: {lesson.scenes[index + 1].title}"
        assert scene.text in s["notes"] or (scene.notes and scene.notes == s["notes"])
        assert s["clock"].startswith("Elapsed 0:0")
    assert r["sixth"]["step"].startswith("Training step 0 ·")
    assert r["trained"]["step"].startswith("Training step 3 ·")
    assert r["after_leave"] == {"presenter": True, "checked": False}


def test_elapsed_time_reads_as_a_clock() -> None:
    assert elapsed_text(0) == "0:00"
    assert elapsed_text(65.9) == "1:05"
    assert elapsed_text(3729) == "1:02:09"
