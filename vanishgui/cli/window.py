"""The whole main window: the shell with every feature installed into it.

The shell (:class:`~vanishgui.ui.shell.main_window.MainWindow`) knows no feature; the
features (lessons, comparisons) know the shell only through its small Protocol. This is
the one place that puts them together, for the app and for tests that want the full window.
"""

from __future__ import annotations

from ..ui.compare import menu as compare_menu
from ..ui.lesson import player as lesson_player
from ..ui.model.presentation import Presentation
from ..ui.model.session import Session
from ..ui.shell.main_window import MainWindow


def build_window(session: Session | None = None, *, presentation: Presentation | None = None,
                 restore: bool = True) -> MainWindow:
    """A main window with the Lesson and Compare features installed."""
    window = MainWindow(session, presentation=presentation, restore=restore)
    lesson_player.install(window)
    compare_menu.install(window)
    return window
