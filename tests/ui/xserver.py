"""Real X servers for the tests that read back real windows (Xvfb, no window manager):
one helper, where three tests each had their own copy."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path


@contextlib.contextmanager
def xvfb(size: str = "1920x1080", *more: str):
    """A real X server of ``size`` (Xvfb, no window manager) for a child process: yields
    its DISPLAY (":N"), and stops it after. ``more`` sizes add X screens (no +xinerama,
    so Qt sees one QScreen each: a laptop and a projector)."""
    server_path = shutil.which("Xvfb")
    assert server_path, "Xvfb is not installed: run `make test` (it installs the xvfb package)"
    read, write = os.pipe()
    screens = [arg for k, s in enumerate((size, *more)) for arg in ("-screen", str(k), f"{s}x24")]
    server = subprocess.Popen([server_path, "-displayfd", str(write), *screens,
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_probe(probe: Path, size: str, tmp_path: Path, timeout: float = 300,
              screens: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    """Run a probe script in a child process on its own Xvfb of ``size`` (and more
    ``screens``), with its own settings folder; ``env`` adds to the environment. Fails
    with the probe's stderr."""
    with xvfb(size, *screens) as display:
        done = subprocess.run(
            [sys.executable, str(probe)], capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                     XDG_CONFIG_HOME=str(tmp_path / "config"), **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return done
