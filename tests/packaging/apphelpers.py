"""Helpers shared by the packaging tests: run a command, and the environment an app
under test gets (offscreen, with no Python path of the test run leaking into it)."""

from __future__ import annotations

import os
import subprocess


def run(command, *, timeout=300, **kwargs):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def app_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env
