"""Benchmark: the monkey, 10,000 actions. Prints figures; asserts only that it survived.

Run: make bench-monkey   (or: QT_QPA_PLATFORM=offscreen .venv/bin/python
tests/bench/bench_monkey.py)

The test suite runs the monkey (tests/ui/test_monkey.py) for 2,000 actions a seed; this
runs the same monkey, in its own process as the suite does, for VANISHGUI_MONKEY_ACTIONS
actions (default 10,000) with VANISHGUI_MONKEY_SEED (default the suite's fixed seed), and
prints the monkey's own summary (actions by kind, dialogs, how late a zero-delay timer fired
after each batch) with the wall time and the child's peak resident memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = int(os.environ.get("VANISHGUI_MONKEY_ACTIONS", "10000"))
SEED = int(os.environ.get("VANISHGUI_MONKEY_SEED", "20240611"))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "actions.log"
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   VANISHGUI_MONKEY_TRAIL=str(log), VANISHGUI_MONKEY_ACTIONS=str(ACTIONS),
                   VANISHGUI_MONKEY_SEED=str(SEED))
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "pytest",
             "tests/ui/test_monkey.py::test_a_monkey_cannot_break_the_window",
             "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly"],
            cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        summary = [line for line in child.stdout.splitlines() if line.startswith("monkey:")]
        print("\n".join(summary) or child.stdout[-4000:] + child.stderr[-2000:])
        print(f"bench-monkey: {ACTIONS:,} actions, seed {SEED}: {elapsed:.0f} s "
              f"({ACTIONS / elapsed:.1f} actions/s), peak RSS {peak_mib:.0f} MiB, "
              f"exit code {child.returncode}")
        if child.returncode:
            print("last actions:\n" + "\n".join(log.read_text().splitlines()[-40:])
                  if log.exists() else "")
        return child.returncode


if __name__ == "__main__":
    sys.exit(main())
