"""The house's shape: its layer contracts hold and no module imports itself round a loop.

The contracts live in pyproject.toml ([tool.importlinter]); `make test` runs them with
`lint-imports` too, so a broken layer fails before the suite even starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

from vanishgui.core.scene import PLOTS

ROOT = Path(__file__).resolve().parents[1]


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every import cycle among the graph's modules (each once, as a path that returns)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.find_modules_directly_imported_by(module)):
            if target not in graph.modules:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            visit(module)
    return cycles


def test_no_module_imports_itself_round_a_loop() -> None:
    graph = grimp.build_graph("vanishgui", exclude_type_checking_imports=False)
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_loop() -> None:
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    assert import_cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]


def test_the_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_lesson_panel_names_are_the_plot_panels() -> None:
    """A lesson file names plot panels by the names the core accepts; each is a real panel."""
    from vanishgui.ui.plots import PANELS

    assert set(PLOTS) == set(PANELS)
