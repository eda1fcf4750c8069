"""vanishgui.core is numpy only: importing it and running the report loads no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import vanishgui.core

CORE = Path(vanishgui.core.__file__).resolve().parent
EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "classic.json"
QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "PySide2")

PROBE = f"""
import io, json, sys
import vanishgui.core
from vanishgui.core.report import main
out = io.StringIO()
code = main([{str(EXAMPLE)!r}, "--steps", "5", "--json"], stdout=out)
assert code == 0, code
assert json.loads(out.getvalue())["steps"] == 5
text = io.StringIO()
assert main([{str(EXAMPLE)!r}, "--steps", "2"], stdout=text) == 0
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {QT!r})
print(json.dumps(loaded))
"""


def test_core_and_report_run_without_loading_qt() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_command_line_report_runs_without_loading_qt() -> None:
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['vanishgui', 'report', {str(EXAMPLE)!r}, '--steps', '3']\n"
        "from vanishgui.__main__ import main\n"
        "code = main()\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT!r})\n"
        "assert code == 0 and not bad, (code, bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "vanishgui report" in done.stdout


# That no core file imports Qt (directly or through another module) is the first
# import-linter contract in pyproject.toml, checked by tests/test_architecture.py.
