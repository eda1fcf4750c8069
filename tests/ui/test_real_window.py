"""The real window on a real X server (Xvfb, 1920×1080×24): neurons are drawn where the
scene says they are, in the colours the scene gave them: not a blank window."""

from __future__ import annotations

import json
from pathlib import Path

from xserver import run_probe

PROBE = Path(__file__).with_name("real_window_probe.py")


def _close(a: str, b: str, tol: int = 40) -> bool:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return all(abs(x - y) <= tol for x, y in zip(ca, cb))


def test_real_window_draws_neurons_where_the_scene_says(tmp_path):
    out = run_probe(PROBE, "1920x1080", tmp_path, timeout=120)
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
