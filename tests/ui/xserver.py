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
def xvfb(size: str = "1920x1080"):
    """A real X server of ``size`` (Xvfb, no window manager) for a child process: yields
    its DISPLAY (":N"), and stops it after."""
    server_path = shutil.which("Xvfb")
    assert server_path, "Xvfb is not installed: run `make test` (it installs the xvfb package)"
    read, write = os.pipe()
    server = subprocess.Popen([server_path, "-displayfd", str(write), "-screen", "0",
                               f"{size}x24", "-nolisten", "tcp"], pass_fds=(write,),
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
              **env: str) -> subprocess.CompletedProcess:
    """Run a probe script in a child process on its own Xvfb of ``size``, with its own
    settings folder; ``env`` adds to the environment. Fails with the probe's stderr."""
    with xvfb(size) as display:
        done = subprocess.run(
            [sys.executable, str(probe)], capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                     XDG_CONFIG_HOME=str(tmp_path / "config"), **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return done
