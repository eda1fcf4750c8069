"""Start-up time of the installed wheel and of the frozen app: process start → first paint.

    python packaging/bench_startup.py [--runs 7] [--targets wheel frozen dev]

Each target is started ``--runs`` times after one unmeasured warm-up run (so the figures
are warm: files in the page cache), with ``VANISHGUI_STARTUP_PROBE=1``: the app prints
``first-paint-seconds=<t>`` once its main window has painted for the first time (t counts
from the process's start as the kernel recorded it; see vanishgui/cli/startup.py), then
quits. Also shown: the wall time from this script's spawn to that line, which any
platform can measure. Targets:

* ``wheel``: ``vanishgui`` from the wheel installed in a fresh venv (``--venv``, default
  build/bench-venv; built from this tree with pip when missing, or with ``--rebuild``);
* ``frozen``: the PyInstaller app (``--frozen``, default dist/vanishgui/vanishgui; make it
  with ``make package``);
* ``dev``: the development install, .venv/bin/vanishgui (for comparison).

Qt runs offscreen unless QT_QPA_PLATFORM is set (for a real window: run under a display,
or ``xvfb-run -a env QT_QPA_PLATFORM=xcb python packaging/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""
GOAL = 1.5


SOURCE_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                       "__pycache__", ".*_cache", ".hypothesis", "out")


def build_wheel(out_dir: Path, python: str = sys.executable) -> Path:
    """The wheel of this tree, built from a clean copy (setuptools would reuse build/)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(ROOT, src, ignore=SOURCE_IGNORE)
        _quiet([python, "-m", "pip", "wheel", "--no-deps", "-w", str(out_dir), str(src)])
    (wheel,) = Path(out_dir).glob("vanishgui-*.whl")
    return wheel


def make_wheel_venv(venv_dir: Path, python: str = sys.executable) -> Path:
    """Build the wheel and install it in a new venv; return the venv's ``vanishgui``."""
    if venv_dir.exists():
        shutil.rmtree(venv_dir)
    with tempfile.TemporaryDirectory() as wheels:
        wheel = build_wheel(Path(wheels), python)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
        _quiet([str(venv_dir / BIN / f"python{EXE}"), "-m", "pip", "install", str(wheel)])
    return venv_dir / BIN / f"vanishgui{EXE}"


def _quiet(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench_startup: {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def probe_once(command: Path, env: dict[str, str], timeout: float = 60) -> tuple[float, float]:
    """(first-paint-seconds as the app measured it, wall seconds from spawn to that line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(command)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
    first_paint = wall = None
    try:
        for line in proc.stdout:
            if line.startswith("first-paint-seconds="):
                wall = time.perf_counter() - start
                first_paint = float(line.split("=", 1)[1])
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"bench_startup: {command} did not quit within {timeout} s") from None
    if proc.returncode != 0 or first_paint is None:
        raise SystemExit(f"bench_startup: {command} exited {proc.returncode} without "
                         f"first-paint-seconds; stderr:\n{err}")
    return first_paint, wall


def bench(command: Path, runs: int) -> dict[str, float]:
    env = dict(os.environ, VANISHGUI_STARTUP_PROBE="1")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    probe_once(command, env)  # warm-up, not counted
    paints, walls = zip(*(probe_once(command, env) for _ in range(runs)))
    return {"median": statistics.median(paints), "best": min(paints),
            "worst": max(paints), "wall_median": statistics.median(walls)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=7, help="measured runs per target (default 7)")
    p.add_argument("--targets", nargs="+", default=["wheel", "frozen"],
                   choices=["wheel", "frozen", "dev"])
    p.add_argument("--venv", type=Path, default=ROOT / "build" / "bench-venv",
                   help="the venv the wheel is installed in (default build/bench-venv)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the wheel's venv")
    p.add_argument("--frozen", type=Path, default=ROOT / "dist" / "vanishgui" / f"vanishgui{EXE}")
    args = p.parse_args(argv)

    commands = {}
    for target in args.targets:
        if target == "wheel":
            command = args.venv / BIN / f"vanishgui{EXE}"
            if args.rebuild or not command.exists():
                print(f"installing the wheel in {args.venv} …", flush=True)
                t = time.perf_counter()
                command = make_wheel_venv(args.venv)
                print(f"  done in {time.perf_counter() - t:.1f} s", flush=True)
        elif target == "frozen":
            command = args.frozen
            if not command.exists():
                raise SystemExit(f"bench_startup: {command} is missing: run make package")
        else:
            command = ROOT / ".venv" / BIN / f"vanishgui{EXE}"
        commands[target] = command

    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    print(f"start-up to first paint, warm, {args.runs} runs each, QT_QPA_PLATFORM={platform}")
    print(f"{'target':8} {'median':>8} {'best':>8} {'worst':>8} {'wall med.':>10}  command")
    slow = False
    for target, command in commands.items():
        r = bench(command, args.runs)
        slow |= r["median"] > GOAL
        print(f"{target:8} {r['median']:7.3f}s {r['best']:7.3f}s {r['worst']:7.3f}s "
              f"{r['wall_median']:9.3f}s  {command}", flush=True)
    print(f"goal: median ≤ {GOAL} s — {'missed' if slow else 'met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
