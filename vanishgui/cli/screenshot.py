"""``--screenshot OUT.png``: the window (or a comparison) drawn at a state the command line
names, saved as PNG, without showing anything on screen."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ..ui.model.session import Selection, Session
from ..ui.shell.dialogs import settle
from .args import At, Pick

if TYPE_CHECKING:
    from ..core.compare import Comparison
    from ..core.scene import Lesson
    from ..ui.shell.main_window import MainWindow


def go_to(session: Session, at: At | None) -> None:
    """N events into a phase of the shown step, or N training steps."""
    if at is None:
        return
    if at.phase == "trained":
        session.train_now(at.n)
    else:
        start, end = session.trace.phase_range(at.phase)
        session.seek(min(end, start + at.n))


def select(session: Session, pick: Pick | None) -> None:
    """Select the neuron or weight (1-based, checked against the network already)."""
    if pick is not None:
        session.select(Selection(pick.layer, pick.neuron - 1,
                                 None if pick.source is None else pick.source - 1))


SCENE_COMPARISON_STEPS = 200  # a lesson's comparison, pictured after this many steps


def _scene_comparison(window: MainWindow, lesson: Lesson, scene: int) -> Comparison | None:
    """The comparison a lesson scene's last action opens, on the network it shows."""
    from ..core.compare import make_comparison
    from ..core.scene import CompareAction

    actions = lesson.scenes[scene].actions
    last = actions[-1] if actions else None
    if not isinstance(last, CompareAction):
        return None
    return make_comparison(window.session.experiment, last.setting, list(last.values))


def screenshot(window: MainWindow, args: argparse.Namespace, comparison: Comparison | None,
               lesson: Lesson | None, scene: int) -> int:
    """Draw and save; 0, or 1 with one line if the picture could not be written."""
    w, h = args.size or (1600, 900)
    window.picture_size = (w, h)  # laid out for a screen of that size
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.resize(w, h)
    window.show()
    if args.projector:  # the projector's look, at the size asked for
        window.projector.enter()
        window.showNormal()
        window.resize(w, h)
        settle()
        window.projector.fit_docks()
    if lesson is not None:
        from ..ui.lesson.player import apply_lesson_cli

        apply_lesson_cli(window, lesson, scene, run_steps=True)
        if comparison is None:  # a scene that ends in a comparison: picture that window,
            comparison = _scene_comparison(window, lesson, scene)  # trained a while
            if comparison is not None and args.at is None:
                args.at = At("trained", SCENE_COMPARISON_STEPS)
    target: QWidget = window
    if comparison is not None:  # the comparison window instead, its networks moved by --at
        from ..ui.compare.window import show_comparison_for_picture

        target = show_comparison_for_picture(
            window, comparison, None if args.at is None else (args.at.phase, args.at.n))
    else:
        go_to(window.session, args.at)
        select(window.session, args.select)
        if args.plots:
            window.set_plot_wall(True)
        settle()
        window.plots.flush()
        window.diagram.view.fit()
    settle()
    ok = target.grab().save(args.screenshot, "PNG")
    window.close()
    if not ok:
        print(f"vanishgui: {args.screenshot}: could not be written", file=sys.stderr)
        return 1
    return 0
