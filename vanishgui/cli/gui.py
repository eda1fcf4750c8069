"""Starting the GUI: ``vanishgui [EXPERIMENT.json] [--screenshot OUT.png ...] [--self-test]``.

Everything the command line names is read and checked first (the arguments by argparse,
then the experiment, the selection, the comparison and the lesson), so bad input ends the
program with exit 2 and one line before any window exists.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .args import check_pick, parse_args, parser

if TYPE_CHECKING:
    from ..core.compare import Comparison
    from ..core.experiment import Experiment
    from ..core.scene import Lesson


@dataclass
class Plan:
    """What the command line asked for, read and checked."""

    experiment: Experiment
    path: Path | None
    error: str | None  # an experiment file that could not be opened (a window says so)
    comparison: Comparison | None
    lesson: Lesson | None
    scene: int  # 0-based


def _ensure_runtime_dir() -> None:
    """Give Qt a private runtime folder when the session has none (XDG_RUNTIME_DIR unset).

    A fresh one each run (mkdtemp: ours, mode 0700, removed at exit): a fixed name in the
    shared temp folder could already be someone's file, symlink or folder.
    """
    if sys.platform.startswith("linux") and not os.environ.get("XDG_RUNTIME_DIR"):
        d = tempfile.mkdtemp(prefix=f"vanishgui-runtime-{os.getuid()}-")
        atexit.register(shutil.rmtree, d, True)
        os.environ["XDG_RUNTIME_DIR"] = d


def plan(args: argparse.Namespace, headless: bool) -> Plan:
    """Read and check what the command line names; exits with one line if it is bad."""
    from ..core.compare import ComparisonError, make_comparison
    from ..core.experiment import ExperimentError, classic, load_experiment
    from ..ui.model.session import check_budget

    def load(name: str) -> Experiment:
        exp = load_experiment(name)
        try:
            check_budget(exp)  # a file too large to train is refused, not half-built
        except ExperimentError as e:
            raise ExperimentError(f"{name}: {e}") from None
        return exp

    experiment, path, error = classic(), None, None
    if args.experiment:
        try:
            experiment, path = load(args.experiment), Path(args.experiment)
        except ExperimentError as e:
            if headless:
                parser().exit(2, f"vanishgui: {e}\n")
            error = str(e)
    elif not headless:  # reopen what was open last time, if it still loads
        from ..ui.shell.settings import current

        last = current().last_file()
        if last is not None:
            with contextlib.suppress(ExperimentError):  # gone, broken or too large: classic
                experiment, path = load(last), Path(last)
    why = check_pick(args.select, experiment.layers)
    if why:
        parser().exit(2, f"vanishgui: {why}\n")
    comparison = None
    if args.compare:
        try:
            comparison = make_comparison(experiment, *args.compare, "--compare")
        except ComparisonError as e:
            parser().exit(2, f"vanishgui: {e}\n")
    lesson, scene = None, max(0, args.scene - 1)
    if args.lesson:
        from ..ui.lesson.player import lesson_path, try_read_lesson

        where, why = lesson_path(args.lesson)
        if where is None:
            parser().exit(2, f"vanishgui: {why}\n")
        lesson, why = try_read_lesson(where)
        if lesson is None:
            parser().exit(2, f"vanishgui: {why}\n")
        if not 1 <= args.scene <= len(lesson.scenes):
            parser().exit(2, f"vanishgui: --scene must be from 1 to {len(lesson.scenes)} for "
                             f"{where.name}, got {args.scene}\n")
    return Plan(experiment, path, error, comparison, lesson, scene)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    headless = bool(args.screenshot or args.self_test or args.record)
    if args.record:  # checked before any window exists: exit 2 and one line
        from .record import check

        why = check(args)
        if why:
            parser().exit(2, f"vanishgui: {why}\n")
    _ensure_runtime_dir()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("vanishgui")
    app.setOrganizationName("vanishgui")
    from ..ui.shell.settings import install as install_settings

    # Before anything reads a setting or opens a dialog; a headless run reads and writes none.
    install_settings(headless=headless)
    todo = plan(args, headless)

    from ..ui.model.session import Session
    from ..ui.shell.resources import app_icon
    from ..ui.shell.theme import apply_theme
    from .window import build_window

    if not headless:  # errors: a log file and a dialog, and the app goes on
        from ..ui.shell.crash import install_crash_handler

        install_crash_handler(app)
    apply_theme(app)
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("vanishgui")  # Wayland matches windows to the launcher by this
    session = Session(todo.experiment)
    if todo.path is not None:
        session.set_path(todo.path)
    window = build_window(session, restore=not headless)
    window.headless = headless
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test(window)
    if args.screenshot:
        from .screenshot import screenshot

        return screenshot(window, args, todo.comparison, todo.lesson, todo.scene)
    if args.record:
        from .record import record

        return record(window, args, todo.lesson, todo.scene)
    return _run(app, window, args.projector, todo)


def _run(app: Any, window: Any, projector: bool, todo: Plan) -> int:
    from ..ui.shell.autosave import Autosave  # a recovery file while modified; gone on exit

    autosave = Autosave(window)
    autosave.report_failures(lambda why: window.statusBar().showMessage(
        f"Autosave is off, so a crash would lose unsaved work: {why}"))
    autosave.recovery_offer()
    from .startup import settle_memory, watch_first_paint

    settle_memory()
    watch_first_paint(window)  # VANISHGUI_STARTUP_PROBE=1: time, then quit
    window.show()
    if projector:
        window.projector.enter()
    if todo.lesson is not None:
        from ..ui.lesson.player import apply_lesson_cli

        apply_lesson_cli(window, todo.lesson, todo.scene)
    if todo.error:
        window.show_error("This experiment could not be opened", todo.error)
    elif todo.path is None and todo.lesson is None and not window.recent_files():
        window.offer_examples()  # a first run: the classic, and the deep chain one click away
    return int(app.exec())
