"""The small surface features (lessons, comparisons) use to plug into the main window.

A feature is installed with ``install(shell)`` and reaches the window only through this
Protocol: it adds actions, menus, toolbars and docks, asks for errors to be shown and for
unsaved work to be dealt with, and opens comparisons through the opener the comparison
feature registered. It never imports the main window or touches its widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar, QWidget

from ...core.experiment import Experiment
from ..model.presentation import Presentation
from ..model.session import Session
from .actions import ActionSpec

ComparisonOpener = Callable[[Experiment, str, Sequence[Any]], object]


class Shell(Protocol):
    session: Session
    presentation: Presentation

    def widget(self) -> QWidget:
        """The window itself: the parent for a feature's dialogs and windows."""
        ...

    def add_action(self, spec: ActionSpec, handler: Callable[..., object]) -> QAction: ...

    def action(self, name: str) -> QAction: ...

    def menu(self, title: str) -> QMenu: ...

    def add_toolbar(self, bar: QToolBar) -> None: ...

    def add_dock(self, name: str, title: str, widget: QWidget,
                 area: Qt.DockWidgetArea | None = None) -> QDockWidget: ...

    def dock(self, name: str) -> QDockWidget: ...

    def dock_names(self) -> list[str]: ...

    def give_left_side(self, dock: QDockWidget, share: float) -> None:
        """Show ``dock`` over the whole height of the left side, in the controls' place."""
        ...

    def take_back_left_side(self, dock: QDockWidget) -> None: ...

    def show_panel(self, name: str, below: QDockWidget | None = None) -> None:
        """Show and raise a panel by name (a plot's name, or controls/ledger/inspector)."""
        ...

    def show_error(self, title: str, message: str) -> None: ...

    def maybe_proceed(self, before: str) -> bool:
        """Deal with unsaved work before ``before``; False when the user cancels."""
        ...

    def set_comparison_opener(self, opener: ComparisonOpener) -> None: ...

    def open_comparison(self, experiment: Experiment, setting: str,
                        values: Sequence[Any]) -> bool:
        """Open a side-by-side comparison; False (after saying why) if none can open."""
        ...
