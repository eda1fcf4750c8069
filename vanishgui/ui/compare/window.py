"""Networks compared side by side: 2–4 sessions stepping and training in lockstep.

A :class:`ComparisonWindow` shows one diagram per network (headed by its name and
colour), the networks' gradients on shared log axes
(:class:`~vanishgui.ui.compare.plots.GradientComparison`) and one transport bar with
the main window's keys. A :class:`~vanishgui.ui.model.lockstep.Lockstep` moves every session
together, so the networks' step counts are always equal.

Entry points: :func:`~vanishgui.ui.compare.menu.install` (the Compare menu and toolbar
button of a shell, which imports this module when first used, and registers
:func:`open_comparison` as the shell's comparison opener, which lessons use) and
:func:`show_comparison_for_picture` (``--screenshot --compare activation:sigmoid,relu``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...core.compare import (
    SETTING_LABELS,
    Comparison,
    ComparisonError,
    load_comparison,
    make_comparison,
    save_comparison,
)
from ...core.experiment import Experiment, ExperimentError
from ..diagram.view import ColorBar
from ..model.describe import caption
from ..model.lockstep import Lockstep, apply_lockstep_at
from ..model.presentation import Presentation
from ..model.session import Session
from ..plots import Pacer
from ..plots.base import HYSTERESIS_PX
from ..shell import dialogs
from ..shell.actions import ACTIONS, ActionSpec, make_action
from ..shell.shell import Shell
from ..views.transport import TRANSPORT, dock_at_bottom
from .diagrams import DiagramGrid, NetworkColumn
from .plots import GradientComparison
from .transport import ComparisonTransport

FILE_FILTER = "vanishgui comparisons (*.comparison.json *.json);;All files (*)"
PLOT_SHARE = (0.62, 0.38)  # of the window's height: diagrams, plots


class ComparisonWindow(QMainWindow):
    """2–4 networks that differ in one setting, side by side, moving together."""

    def __init__(self, comparison: Comparison, parent: QWidget | None = None, *,
                 presentation: Presentation | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("comparisonWindow")
        # the opening window's presentation: projector mode and zoom follow it live
        self.presentation = presentation or Presentation(self)
        self.comparison = comparison
        self.path: Path | None = None
        self.last_error = ""
        self.sessions = [Session(e, self) for e in comparison.networks]
        self.labels = list(comparison.labels)
        self.lockstep = Lockstep(self.sessions, self)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_actions()
        self.columns = [NetworkColumn(s, label, i, self.presentation)
                        for i, (s, label) in enumerate(zip(self.sessions, self.labels))]
        # Networks of one shape go through the same events: their title is said once.
        self.shared_events = len({e.layers for e in comparison.networks}) == 1
        self.event_title = QLabel(self)
        self.event_title.setObjectName("eventTitle")  # the theme's size, as the main window's
        self.event_title.setWordWrap(True)
        self.event_title.setVisible(self.shared_events)
        for c in self.columns:
            c.panel.title.setVisible(not self.shared_events)
        self.diagrams = DiagramGrid(self.columns)
        self.colorbar = ColorBar()
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(0)
        top_lay.addWidget(self.event_title)
        top_lay.addWidget(self.diagrams, 1)
        top_lay.addWidget(self.colorbar)
        self.gradients = GradientComparison(self.sessions, self.labels, self.presentation)
        self.pacer = Pacer({"compare_gradients": self.gradients}, self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.gradients)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)  # the plots keep their minimum
        self.setCentralWidget(self.splitter)
        self.transport = ComparisonTransport(self.lockstep, self.actions_by_name, self,
                                             presentation=self.presentation)
        dock_at_bottom(self, self.transport)
        self.lockstep.playing_changed.connect(self._on_playing_changed)
        self.lockstep.training_changed.connect(self._on_playing_changed)
        self.sessions[0].cursor_moved.connect(self._on_cursor_moved)
        self._on_cursor_moved()
        setting = SETTING_LABELS[comparison.setting]
        self.setWindowTitle(f"Compare {setting}: {' vs '.join(self.labels)} — vanishgui")
        self._split_once = False
        self.presentation.changed.connect(self._on_presentation_changed)
        self._on_presentation_changed()
        dialogs.fit_to_screen(self)

    # -- assembly ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        specs = {s.name: s for s in ACTIONS}
        file_menu = self.menuBar().addMenu("&Comparison")
        own = (
            (ActionSpec("save", "&Save comparison…", "Save these networks' set-up as a "
                        "comparison file (not their training)", ("Ctrl+S",)), self.on_save),
            (ActionSpec("close", "&Close", "Close this comparison", ("Ctrl+W",)), self.close),
        )
        for spec, handler in own:
            file_menu.addAction(self._make_action(spec, handler))
        menus = {"Step": self.menuBar().addMenu("&Step"), "Train": self.menuBar().addMenu("&Train")}
        handlers = {
            "previous": self.lockstep.step_back, "next": self.lockstep.step_forward,
            "play": self.lockstep.toggle_play, "start": self.lockstep.to_start,
            "end": self.lockstep.to_end, "previous_phase": self.lockstep.previous_phase,
            "next_phase": self.lockstep.next_phase, "train_step": self.lockstep.train_step,
            "train": self.lockstep.toggle_training, "reset": self.lockstep.reset,
        }
        for name in TRANSPORT:
            if name is not None:
                spec = specs[name]
                menus[spec.menu].addAction(self._make_action(spec, handlers[name]))

    def _make_action(self, spec: ActionSpec, handler) -> QAction:
        act = make_action(self, spec, handler)
        self.actions_by_name[spec.name] = act
        return act

    def _on_cursor_moved(self, *_args) -> None:
        if self.shared_events:
            s = self.sessions[0]
            title, formula = caption(s.current, s.player.event, s.sample)
            ready = s.player.event is None  # no numbers yet: the hint is said once
            self.event_title.setText(f"{title}. {formula}" if ready else title)
            for c in self.columns:
                c.panel.formula.setVisible(not ready)

    def _on_playing_changed(self, *_args) -> None:
        self.actions_by_name["play"].setChecked(self.lockstep.playing)
        self.actions_by_name["train"].setChecked(self.lockstep.training)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._split_once:  # size hints alone leave the plots a sliver
            self._split_once = True
            self.share_height()

    def share_height(self) -> None:
        """The plots PLOT_SHARE of the height, or what their plots and readout need if
        more; the diagrams keep their minimum (on a 1024×768 projector the readout folds
        away for them)."""
        total = sum(self.splitter.sizes())
        top = self.splitter.widget(0).minimumSizeHint().height()
        g = self.gradients
        readout = g.readout_height() + (HYSTERESIS_PX if g.readout.isHidden() else 0)
        wanted = max(round(total * PLOT_SHARE[1]), g.plots_height() + readout)
        plots = max(g.plots_height(), min(wanted, total - top))
        self.splitter.setSizes([total - plots, plots])

    @property
    def projector(self) -> bool:
        return self.presentation.projector

    def _on_presentation_changed(self) -> None:
        """The text follows the theme's zoom; in projector mode the transport bar is slim
        and the menu bar goes, as the main window's (its shortcuts stay: the actions are
        the window's own)."""
        self.event_title.setStyleSheet("background: white; padding: 4px 12px;")
        self.menuBar().setVisible(not self.projector)

    def flush(self) -> None:
        """Draw everything now (screenshots, tests): plots redrawn, diagrams fitted."""
        self.diagrams.arrange()
        self.gradients.flush()
        for c in self.columns:
            c.panel.view.fit()

    def closeEvent(self, event) -> None:
        self.lockstep.pause()
        super().closeEvent(event)

    # -- files ---------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        dialogs.show_error(self, title, message)

    def save(self, path: str | Path) -> bool:
        """Save the set-up (base experiment, setting, values) atomically; a dialog if not."""
        try:
            save_comparison(path, self.comparison)
        except OSError as e:
            self.show_error("The comparison could not be saved",
                            f"{path}: {e.strerror or e}; the previous file is unchanged.")
            return False
        except ExperimentError as e:
            self.show_error("The comparison could not be saved", f"{path}: {e}")
            return False
        self.path = Path(path)
        return True

    def on_save(self) -> None:
        start = str(self.path) if self.path else default_file_name(self.labels)
        path, _ = QFileDialog.getSaveFileName(self, "Save comparison", start, FILE_FILTER)
        if path:
            self.save(path)


def default_file_name(labels: list[str]) -> str:
    """'sigmoid-vs-relu.comparison.json' for a first save."""
    words = ["-".join("".join(ch for ch in w if ch.isalnum()) for w in label.lower().split())
             for label in labels]
    return "-vs-".join(words) + ".comparison.json"


# -- opening ---------------------------------------------------------------------------------


def show_comparison(shell: Shell, comparison: Comparison,
                    path: str | Path | None = None) -> ComparisonWindow:
    """A comparison window over the shell's, shown, at its size and in its presentation."""
    window = shell.widget()
    cw = ComparisonWindow(comparison, window, presentation=shell.presentation)
    cw.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # its sessions go with it
    cw.path = Path(path) if path else None
    cw.resize(window.size())
    if window.isFullScreen():  # projector mode: the comparison takes the screen too
        screen = window.screen()
        if screen is not None:  # with no window manager, full screen is only a request
            cw.setGeometry(screen.geometry())
        cw.showFullScreen()
    else:
        cw.show()
    cw.raise_()
    cw.activateWindow()
    return cw


def open_comparison(shell: Shell, base_experiment: Experiment, setting: str,
                    values: Sequence[Any]) -> ComparisonWindow | None:
    """Compare ``base_experiment`` with itself, ``setting`` taking each of ``values``.

    A setting or value that cannot be applied gets a dialog naming it (and None).
    """
    try:
        comparison = make_comparison(base_experiment, setting, list(values))
    except ComparisonError as e:
        shell.show_error("These networks cannot be compared", str(e))
        return None
    return show_comparison(shell, comparison)


def open_comparison_file(shell: Shell, path: str | Path) -> ComparisonWindow | None:
    """Open a comparison file; a bad one gets a dialog naming the file and field."""
    try:
        comparison = load_comparison(path)
    except ComparisonError as e:
        shell.show_error("This comparison could not be opened", str(e))
        return None
    return show_comparison(shell, comparison, path)


def comparisons(shell: Shell) -> list[ComparisonWindow]:
    """The shell's open comparisons, oldest first."""
    return [c for c in shell.widget().findChildren(ComparisonWindow) if c.isVisible()]


# -- pictures ------------------------------------------------------------------------------


def show_comparison_for_picture(shell: Shell, comparison: Comparison,
                                at: tuple[str, int] | None) -> ComparisonWindow:
    """For ``--screenshot --compare``: the comparison window off screen at the shell's size
    and presentation, its networks moved to ``at`` (phase, N), drawn and ready to grab."""
    window = shell.widget()
    cw = ComparisonWindow(comparison, window, presentation=shell.presentation)
    cw.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    cw.resize(window.size())
    cw.show()
    if at is not None:
        apply_lockstep_at(cw.lockstep, *at)
    dialogs.settle()
    cw.flush()
    dialogs.settle()
    return cw
