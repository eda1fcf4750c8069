"""vanishgui.core is numpy only: importing it and running the report loads no Qt."""

from __future__ import annotations

import ast
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


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.module, node.lineno))
            elif node.level >= 2 or (node.module or "").split(".")[0] == "ui":
                # from .. / from ..ui: out of the core, towards the Qt side
                found.append((f"{'.' * node.level}{node.module or ''}", node.lineno))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            # importlib.import_module("PySide6...") / __import__("PySide6")
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append((node.args[0].value, node.lineno))
    return found


def test_no_core_file_imports_qt() -> None:
    files = sorted(CORE.glob("**/*.py"))
    assert len(files) >= 10  # the scan really looked at the core
    offenders = []
    for path in files:
        for name, line in _imports(path):
            root = name.split(".")[0]
            if root in QT or name.startswith(".."):
                offenders.append(f"{path.relative_to(CORE.parent)}:{line}: {name}")
    assert offenders == []


def test_the_scan_would_notice_a_qt_import(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numpy\nfrom PySide6.QtCore import QObject\nimport pyqtgraph as pg\n"
        "from ..ui import session\nimport importlib\nimportlib.import_module('shiboken6')\n",
        encoding="utf-8")
    names = [n for n, _ in _imports(sample)]
    assert names == ["numpy", "PySide6.QtCore", "pyqtgraph", "..ui", "importlib", "shiboken6"]
