"""``--record OUT``: the step's forward and backward pass (or ``--steps N`` training steps)
recorded headless as GIF, APNG, MP4 or a numbered PNG series, then exit. Like every
headless run it reads and writes no settings."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from ..ui.shell.dialogs import settle
from ..ui.shell.record import (
    DEFAULT_SIZE,
    RecordError,
    kind_of,
    missing,
    record_pass,
    record_steps,
    write,
)
from .screenshot import go_to, select

if TYPE_CHECKING:
    from ..core.scene import Lesson
    from ..ui.shell.main_window import MainWindow


def check(args: argparse.Namespace) -> str | None:
    """Why the command line's recording cannot be made, in one sentence; None if it can."""
    if args.screenshot:
        return "--record and --screenshot each make a picture; give one of them"
    if args.compare:
        return "--record records the main window; --compare works with --screenshot"
    if args.at is not None and args.at.phase != "trained":
        return (f"with --record, --at takes trained:N (train first, then record), "
                f"got {args.at.phase}:{args.at.n}")
    try:
        kind = kind_of(args.record)
    except RecordError as e:
        return str(e)
    return missing(kind)


def record(window: MainWindow, args: argparse.Namespace, lesson: Lesson | None,
           scene: int) -> int:
    """Record and write; 0, or 1 with one line if the file could not be written."""
    size = args.size or DEFAULT_SIZE
    window.picture_size = size
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.resize(*size)
    window.show()
    if args.projector:
        window.projector.enter()
        window.showNormal()
        window.resize(*size)
        settle()
        window.projector.fit_docks()
    if lesson is not None:
        from ..ui.lesson.player import apply_lesson_cli

        apply_lesson_cli(window, lesson, scene, run_steps=True)
    go_to(window.session, args.at)
    window.session.to_start()
    select(window.session, args.select)
    settle()
    window.diagram.view.fit()
    try:
        if args.steps:
            rec = record_steps(window, args.steps, size)
        else:
            rec = record_pass(window, size)
        write(rec, args.record)
    except RecordError as e:
        print(f"vanishgui: {e}", file=sys.stderr)
        return 1
    finally:
        window.close()
    return 0
