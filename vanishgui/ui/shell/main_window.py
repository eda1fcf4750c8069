"""The main window: assembles the diagram, docks, menus and transport bar.

It has no logic of its own beyond routing actions to the Session and file dialogs. It is
the :class:`~vanishgui.ui.shell.shell.Shell` that features (lessons, comparisons) are
installed into; it imports none of them.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QCursor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ... import __version__
from ...core.diagnosis import Finding
from ...core.experiment import (
    Experiment,
    ExperimentError,
    SaveError,
    load_experiment,
    write_atomic,
)
from ..diagram.scene import MIN_LABEL_PX
from ..diagram.view import DiagramPanel
from ..model.describe import network_summary
from ..model.findings import evidence
from ..model.presentation import PROJECTOR_TEXT_PX, Presentation
from ..model.session import Session
from ..plots import PANELS, PlotHub, PlotPanel
from ..views.controls import ControlsPanel
from ..views.inspector import InspectorPanel
from ..views.ledger import LedgerPanel
from ..views.transport import TransportBar, dock_at_bottom
from . import dialogs, layouts, resources
from .actions import ACTIONS, ActionSpec, make_action
from .projector import Projector
from .settings import Settings
from .settings import current as current_settings
from .shell import ComparisonOpener

PLOT_SHARE = 0.45  # of the window's height, for the plots under the diagram
FILE_FILTER = "vanishgui experiments (*.vanishgui.json *.json);;All files (*)"


def settings() -> Settings:
    """The app's settings (its own JSON file, never QSettings: see :mod:`.settings`)."""
    return current_settings()


class MainWindow(QMainWindow):
    """The main window; also the :class:`~vanishgui.ui.shell.shell.Shell` of features."""

    def __init__(self, session: Session | None = None, *,
                 presentation: Presentation | None = None, restore: bool = True) -> None:
        super().__init__()
        self.session = session or Session()
        self.presentation = presentation or Presentation(self)
        self._comparison_opener: ComparisonOpener | None = None
        self.setObjectName("vanishguiMainWindow")
        self.setMinimumSize(QSize(720, 480))  # fits 1080p at QT_SCALE_FACTOR=2 (960×540)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_actions()
        self.diagram = DiagramPanel(self.session, self)
        self.diagram.measured_minimum = True
        self.diagram.strip.show_me.connect(self.show_evidence)
        self.diagram.strip.compact_when = lambda: (self.layout_name != "wide"
                                                   or self.presentation.projector)
        self.setCentralWidget(self.diagram)
        self.controls = ControlsPanel(self.session, self)
        self.ledger = LedgerPanel(self.session, self)
        self.inspector = InspectorPanel(self.session, self)
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("controls", "Controls", self.controls, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("ledger", "Chain-rule ledger", self.ledger,
                       Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("inspector", "Inspector", self.inspector,
                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.plots = PlotHub(self.session, self.presentation, self)
        for name, panel in self.plots.panels.items():
            self._add_dock(f"plot_{name}", PANELS[name].title, panel, None)
        self._arranged = False
        self._lent_corner: Qt.Corner | None = None
        self._lent_dock: QDockWidget | None = None  # what has the left side (a lesson)
        self.export_error = ""  # why the last picture export failed, in one sentence
        self._controls_were_shown = True
        self._restore = restore
        self._plot_wall_state: QByteArray | None = None
        self._enlarged: QWidget | None = None  # the panel shown alone (E), if any
        self._enlarged_state = QByteArray()  # the docks' layout to put back
        self._enlarged_central = True  # whether the diagram was shown (not in the plot wall)
        self._enlarged_features = QDockWidget.DockWidgetFeature.NoDockWidgetFeatures
        self._lent_escape: dict[str, list[QKeySequence]] = {}
        self.session.selection_changed.connect(self._on_selection_changed)
        self.transport = TransportBar(self.session, self.actions_by_name, self,
                                      presentation=self.presentation)
        dock_at_bottom(self, self.transport)
        self._build_menus()
        self.layout_name = "wide"  # set by arrange() when the window is first shown
        self.picture_size: tuple[int, int] | None = None  # --size of a headless picture
        self._plot_firsts: list[QDockWidget] = []
        self.session.modified_changed.connect(self._on_title_changed)
        self.session.path_changed.connect(self._on_title_changed)
        self.session.playing_changed.connect(self._on_playing_changed)
        self.session.training_changed.connect(self._on_playing_changed)
        self.session.training_failed.connect(
            lambda why: self.show_error("Training stopped", f"A training step failed: {why}"))
        self._on_title_changed()
        dialogs.fit_to_screen(self)  # 1600×900, or the screen's available room if smaller
        self.headless = False  # set for --screenshot and --self-test: never ask anything
        self.first_run_offer: QWidget | None = None  # the first run's "Try the deep chain"
        self.projector = Projector(self, self.presentation, self.docks, settings, self.add_action)
        # F5 with a panel enlarged puts the panels back first: projector mode saves (and
        # on leaving puts back) the real layout, not the one panel
        f5 = self.actions_by_name["projector"]
        f5.triggered.disconnect()
        f5.triggered.connect(lambda _c=False: (self.restore(), self.projector.on_projector()))
        self._offer_enlarge()
        # The divergence banner lives over the diagram; with every plot on screen (the plot
        # wall) the diagram is put away, so the same sentence shows above the plots.
        self.wall_banner = QLabel(self)
        self.wall_banner.setObjectName("divergenceBanner")
        self.wall_banner.setWordWrap(True)
        self.wall_banner.setStyleSheet(self.diagram.banner.styleSheet())
        self._wall_bar = QToolBar("Training stopped", self)
        self._wall_bar.setObjectName("wallBannerBar")
        self._wall_bar.setMovable(False)
        self._wall_bar.addWidget(self.wall_banner)
        self.wall_banner.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._wall_bar.hide()
        for signal in (self.session.diverged, self.session.trained,
                       self.session.experiment_changed):
            signal.connect(self._sync_wall_banner)
        self.presentation.changed.connect(self.diagram.colorbar.updateGeometry)
        self.presentation.changed.connect(self._on_presentation_changed)

    def _on_presentation_changed(self) -> None:
        # in projector mode the diagram hides what it would draw under 24 px on screen
        self.diagram.scene.set_min_label_px(
            PROJECTOR_TEXT_PX if self.presentation.projector else MIN_LABEL_PX)

    def settings_store(self) -> Settings:
        return settings()

    def showEvent(self, event) -> None:
        # Docks are tabbed only once the window exists on screen: tabbing them before
        # leaves a stale tab bar drawn over other docks (seen with Qt 6.10).
        if not self._arranged:
            self._arranged = True
            self.arrange()
            if self._restore:
                self._restore_state()
        super().showEvent(event)

    def _unelide_tabs(self) -> None:
        """Dock tabs show their whole titles ("Chain-rule l…" at 1024 px); where they do
        not fit, the tab bar scrolls."""
        for bar in self.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
            for button in bar.findChildren(QToolButton):
                button.setToolTip("More tabs this way")

    # -- assembly ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.action_specs: list[ActionSpec] = []
        for spec in ACTIONS:
            self._make_action(spec, getattr(self, f"on_{spec.name}"))
        # Esc leaves projector mode; it is lent to this action only while a panel is enlarged
        self.actions_by_name["leave_enlarged"].setShortcuts([])
        self.actions_by_name["leave_enlarged"].setEnabled(False)

    def _make_action(self, spec: ActionSpec, handler) -> QAction:
        act = make_action(self, spec, handler)
        self.actions_by_name[spec.name] = act
        self.action_specs.append(spec)
        return act

    def add_action(self, spec: ActionSpec, handler) -> QAction:
        """Add a feature's action: in its menu (made if new) and in the shortcuts dialog.

        Features outside this module (lessons, comparisons, …) add their actions here.
        """
        act = self._make_action(spec, handler)
        if spec.menu:
            self.menu(spec.menu).addAction(act)
        return act

    def menu(self, title: str) -> QMenu:
        """The menu of that title, made (before Help) if there is none yet."""
        if title not in self.menus:
            help_menu = self.menus.get("Help")
            m = QMenu(f"&{title}", self)
            if help_menu is not None:
                self.menuBar().insertMenu(help_menu.menuAction(), m)
            else:
                self.menuBar().addMenu(m)
            self.menus[title] = m
        return self.menus[title]

    def _add_dock(self, name: str, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea | None) -> QDockWidget:
        """A dock for ``widget``; with ``area`` None the caller places it (split or tab)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        if area is not None:
            self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    # -- the Shell features use ----------------------------------------------------------
    def widget(self) -> QWidget:
        return self

    def action(self, name: str) -> QAction:
        return self.actions_by_name[name]

    def add_toolbar(self, bar: QToolBar) -> None:
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def add_dock(self, name: str, title: str, widget: QWidget,
                 area: Qt.DockWidgetArea | None = None) -> QDockWidget:
        return self._add_dock(name, title, widget, area)

    def dock(self, name: str) -> QDockWidget:
        return self.docks[name]

    def dock_names(self) -> list[str]:
        return list(self.docks)

    def give_left_side(self, dock: QDockWidget, share: float) -> None:
        """``dock`` takes the controls' place and the whole height of the left side."""
        self.restore()  # every layout change starts from the docks' real places
        corner = Qt.Corner.BottomLeftCorner
        self._lent_dock = dock
        if self._lent_corner is None:
            self._lent_corner = self.corner(corner)
            self._controls_were_shown = self.docks["controls"].isVisible()
        self.setCorner(corner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.docks["controls"].hide()  # a feature that names them shows them under it
        self._arrange_for_lesson()
        dock.show()
        dock.raise_()
        self.resizeDocks([dock], [int(self.width() * share)], Qt.Orientation.Horizontal)
        if self.projector.active:
            self.projector.fit_docks()  # the ledger keeps the room projector mode gives it

    def _arrange_for_lesson(self) -> None:
        """With a lesson on the left, three columns (lesson, diagram, the large plot) leave
        no room for the ledger under the diagram: it waits in a tab behind the plot (a
        scene that names it brings it to the front). A screen under 1300 px has no room
        for three columns at all: there the plots (and the ledger behind them) go under
        the diagram, beside the lesson, and the diagram's colour key folds away for them
        (with the diagnosis strip under the diagram, 1280×720 left them 122 px)."""
        lessoned = not (self.layout_name == "wide" or self.plot_wall
                        or self._lent_corner is None)
        narrow = self.width() < layouts.LAPTOP[0]
        self.diagram.fold_key(lessoned and narrow)
        # and the diagnosis strip gives way too: a scene about a finding says it in the
        # lesson's own column, and D still shows the evidence. Under the diagram it took
        # 70 px of 24-px type, and left the plot under it 157 px at 1024×768.
        self.diagram.strip.set_wanted(not (lessoned and narrow))
        if not lessoned:
            return
        plots = self._plot_firsts[0]
        lesson = self._lent_dock
        if narrow and self._short() and lesson is not None:
            # 960×540: no room beside or under the diagram: the plots (and the ledger)
            # are tabs beside the lesson's text, the diagram has the rest
            for dock in [plots, *self.tabifiedDockWidgets(plots)]:
                self.tabifyDockWidget(lesson, dock)
            lesson.raise_()
            QTimer.singleShot(0, self, self._unelide_tabs)
            return
        if narrow:
            group = [plots, *self.tabifiedDockWidgets(plots)]
            shown = {dock: not dock.isHidden() for dock in group}
            for dock in group:
                self.removeDockWidget(dock)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, plots)
            for dock in group[1:]:
                self.tabifyDockWidget(plots, dock)
            for dock, visible in shown.items():
                dock.setVisible(visible)
        for name in ("ledger", "inspector"):
            self.tabifyDockWidget(plots, self.docks[name])
        plots.raise_()
        if narrow:
            # once the lesson's width is set: the diagram keeps its minimum, the plots the rest
            QTimer.singleShot(0, self, self._plots_under_diagram)
        QTimer.singleShot(0, self, self._unelide_tabs)  # a new tab bar elided "σ…", "G…"

    def _plots_under_diagram(self) -> None:
        plots = self._plot_firsts[0]
        if self.dockWidgetArea(plots) != Qt.DockWidgetArea.BottomDockWidgetArea:
            return
        # a dock behind a tab keeps a stale height: measure the one in front
        group = [plots, *self.tabifiedDockWidgets(plots)]
        front = next((d for d in group if not d.visibleRegion().isEmpty()), plots)
        central = self.centralWidget()
        wanted = front.height() + central.height() - self.diagram.minimum_height()
        for _ in range(2):  # the size asked includes the tab bar: ask, measure, correct
            self.resizeDocks([front], [wanted], Qt.Orientation.Vertical)
            wanted += central.height() - self.diagram.minimum_height()

    def take_back_left_side(self, dock: QDockWidget) -> None:
        self.restore()
        dock.hide()
        if self._lent_corner is not None:
            self.docks["controls"].setVisible(self._controls_were_shown)
            self.setCorner(Qt.Corner.BottomLeftCorner, self._lent_corner)
            self._lent_corner = None
            self._lent_dock = None
            if self.layout_name != "wide" and not self.plot_wall:
                self.arrange(self.layout_name)  # the ledger back under the diagram

    def show_panel(self, name: str, below: QDockWidget | None = None) -> None:
        self.restore()  # a scene (or Show me) that names a panel gets the whole layout back
        dock = self.docks[f"plot_{name}" if name in PANELS else name]
        if below is not None and not dock.isVisible():
            self.splitDockWidget(below, dock, Qt.Orientation.Vertical)
        dock.show()
        dock.raise_()

    def show_evidence(self, finding: Finding) -> None:
        """A diagnosis line's "Show me": select the neuron that shows it (its bar in the
        gradient flow and its point in σ'(z) are marked too) and bring its plot forward."""
        shown = evidence(finding, self.session.current)
        if shown.selection is not None:
            self.session.select(shown.selection)
        self.show_panel(shown.panel)

    def set_comparison_opener(self, opener: ComparisonOpener) -> None:
        self._comparison_opener = opener

    def open_comparison(self, experiment: Experiment, setting: str,
                        values: Sequence[Any]) -> bool:
        if self._comparison_opener is None:
            self.show_error("Side-by-side comparison is not available",
                            "This window was opened without the comparison feature.")
            return False
        return self._comparison_opener(experiment, setting, values) is not None

    def _build_menus(self) -> None:
        self.menus: dict[str, QMenu] = {}
        menus = self.menus
        for title in ("File", "Step", "Train", "View", "Help"):
            menus[title] = self.menuBar().addMenu(f"&{title}")
        self.recent_menu = menus["File"].addMenu("Open &recent")
        for spec in ACTIONS:
            menus[spec.menu].addAction(self.actions_by_name[spec.name])
            if spec.name in ("open", "save_as", "export_svg"):
                menus[spec.menu].addSeparator()
        menus["File"].insertMenu(self.actions_by_name["save"], self.recent_menu)
        # every shipped example and each lesson's networks, opened as templates; read when
        # the menu first opens, not at start-up
        self.examples_menu = QMenu("&Examples", menus["File"])
        self.examples_menu.setObjectName("examplesMenu")
        self.examples_menu.aboutToShow.connect(self.fill_examples)
        self.lesson_menus: list[QMenu] = []
        menus["File"].insertMenu(self.recent_menu.menuAction(), self.examples_menu)
        panels = menus["View"].addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        self._fill_recent()

    def layout_kind(self) -> str:
        """'wide', 'laptop' or 'projector' (see :mod:`.layouts`) for this window's screen,
        or 'projector' in projector mode."""
        return layouts.layout_for(*self.room(), self.presentation.projector)

    def room(self) -> tuple[int, int]:
        """The screen's available logical size, or the size a picture asked for
        (``--size`` wins: a screenshot is laid out for the screen it stands for)."""
        if self.picture_size is not None:
            return self.picture_size
        screen = self.screen()
        if screen is None:
            return layouts.WIDE
        room = screen.availableGeometry()
        return room.width(), room.height()

    def arrange(self, kind: str | None = None) -> None:
        """Place the docks in one of the three layouts (``kind`` None: the screen's).

        Derived from the PANELS rows: a new panel needs no edit here. Docks that are
        hidden (projector mode hides the editing ones) stay hidden."""
        self.restore()
        kind = kind or self.layout_kind()
        self.layout_name = kind
        d = self.docks
        shown = {name: not dock.isHidden() for name, dock in d.items()}
        groups = [[d[f"plot_{name}"] for name in group] for group in self.plots.groups()]
        plots = [dock for group in groups for dock in group]
        moved = [d["controls"], d["ledger"], d["inspector"], *plots]
        for dock in moved:
            dock.setFloating(False)
            self.removeDockWidget(dock)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        if kind == "wide":
            # controls and ledger run the window's full height; the plots sit under the
            # diagram, what the current pass shows beside what training has done
            self.setCorner(Qt.Corner.TopLeftCorner, left)
            self.setCorner(Qt.Corner.BottomLeftCorner, left)
            self.setCorner(Qt.Corner.TopRightCorner, right)
            self.setCorner(Qt.Corner.BottomRightCorner, right)
            self.addDockWidget(left, d["controls"])
            self.addDockWidget(right, d["ledger"])
            self.tabifyDockWidget(d["ledger"], d["inspector"])
            firsts = [group[0] for group in groups]
            # side by side first: split from a tabbed dock, Qt adds a tab instead
            self.addDockWidget(bottom, firsts[0])
            for a, b in itertools.pairwise(firsts):
                self.splitDockWidget(a, b, Qt.Orientation.Horizontal)
            for group in groups:
                for dock in group[1:]:
                    self.tabifyDockWidget(group[0], dock)
        else:
            # one large plot on the right at full height, the others in tabs behind it;
            # the ledger under the diagram, where its columns have room
            self.setCorner(Qt.Corner.TopRightCorner, right)
            self.setCorner(Qt.Corner.BottomRightCorner, right)
            self.setCorner(Qt.Corner.TopLeftCorner, left)
            lesson = self._lent_corner is not None  # a lesson has the whole left side
            self.setCorner(Qt.Corner.BottomLeftCorner,
                           left if kind == "laptop" or lesson else bottom)
            self.addDockWidget(right, plots[0])
            for dock in plots[1:]:
                self.tabifyDockWidget(plots[0], dock)
            if self._short():
                # under 700 px (1080p at QT_SCALE_FACTOR=2 leaves 540) the diagram needs
                # the column's whole height: the ledger waits in a tab behind the plot
                for name in ("ledger", "inspector", "controls"):
                    self.tabifyDockWidget(plots[0], d[name])
            else:
                self.addDockWidget(bottom, d["ledger"])
                self.tabifyDockWidget(d["ledger"], d["inspector"])
                if kind == "laptop":
                    self.addDockWidget(left, d["controls"])
                else:
                    self.tabifyDockWidget(d["ledger"], d["controls"])
            firsts = [plots[0]]
        for name, dock in d.items():
            if dock in moved:
                dock.setVisible(shown[name])
        if self.dockWidgetArea(d["ledger"]) != Qt.DockWidgetArea.RightDockWidgetArea:
            d["ledger"].raise_()
        for dock in firsts:
            dock.raise_()
        self._plot_firsts = firsts
        self.diagram.strip.refresh()  # a line per finding: in full on a wide screen only
        self._arrange_for_lesson()
        self._size_docks()
        QTimer.singleShot(0, self, self._unelide_tabs)  # new tab bars exist then

    def _short(self) -> bool:
        """Whether the screen's available height is under the laptop layout's."""
        return self.room()[1] < layouts.SHORT

    def _size_docks(self) -> None:
        d, w, h = self.docks, self.width(), self.height()
        if self.layout_name == "wide":
            self.resizeDocks([d["controls"], d["ledger"]], [370, 400],
                             Qt.Orientation.Horizontal)
            # the plots under the diagram get PLOT_SHARE of the height: on a 768-pixel
            # screen Qt's own split left a history plot ~120 px, its axis cut off
            self.resizeDocks(self._plot_firsts, [int(h * PLOT_SHARE)] * len(self._plot_firsts),
                             Qt.Orientation.Vertical)
            # the groups share the width (Qt gave "now" ~210 px of 1600)
            share = w // max(1, len(self._plot_firsts))
            self.resizeDocks(self._plot_firsts, [share] * len(self._plot_firsts),
                             Qt.Orientation.Horizontal)
        else:
            wide = [self._plot_firsts[0]]
            widths = [int(w * layouts.PLOT_WIDTH)]
            if self.layout_name == "laptop" and not d["controls"].isHidden():
                wide.append(d["controls"])
                widths.append(min(340, int(w * 0.24)))
            self.resizeDocks(wide, widths, Qt.Orientation.Horizontal)
            self._fit_ledger()

    def _fit_ledger(self) -> None:
        """Under the diagram, the ledger is as tall as its rows need (an empty one only its
        heading and hint), but never more than LEDGER_HEIGHT of the window."""
        ledger = self.docks["ledger"]
        if (self.layout_name == "wide" or ledger.isHidden() or self.plot_wall
                or self.dockWidgetArea(ledger) != Qt.DockWidgetArea.BottomDockWidgetArea
                or self._lent_corner is not None):  # a lesson's: the ledger is behind a plot
            return
        title = ledger.height() - ledger.widget().height()  # the dock's title bar, tabs
        wanted = self.ledger.wanted_height(ledger.width()) + max(0, title)
        # and the diagram keeps its own minimum (its colour bar's swatches were cut)
        central = self.centralWidget()
        room = central.height() + ledger.height() - self.diagram.minimum_height()
        height = min(wanted, int(self.height() * layouts.LEDGER_HEIGHT), room)
        self.resizeDocks([ledger], [height], Qt.Orientation.Vertical)

    def show_next_plot(self, step: int = 1) -> None:
        """Bring the next (``step`` 1) or previous (−1) plot to the front of its tabs; with a
        plot enlarged, enlarge the next one instead."""
        names = [n for group in self.plots.groups() for n in group]
        panels = [self.plots.panels[n] for n in names]
        if self._enlarged in panels:
            self.enlarge(panels[(panels.index(self._enlarged) + step) % len(panels)])
            return
        self.restore()
        docks = [self.docks[f"plot_{n}"] for n in names]
        front = [i for i, dock in enumerate(docks)
                 if dock.isVisible() and not dock.visibleRegion().isEmpty()]
        start = front[-1] if front else -1 if step > 0 else 0
        dock = docks[(start + step) % len(docks)]
        dock.show()
        dock.raise_()

    def set_plot_wall(self, on: bool) -> None:
        """Every plot in a grid of two rows (the diagram and controls step aside), or back."""
        d = self.docks
        if on == (self._plot_wall_state is not None):
            return
        self.restore()
        if on:
            self._plot_wall_state = self.saveState()
            for name in ("controls", "ledger", "inspector"):
                d[name].hide()
            names = list(self.plots.panels)
            for name in names:
                dock = d[f"plot_{name}"]
                dock.setFloating(False)
                self.removeDockWidget(dock)
            columns = math.ceil(len(names) / 2)
            top = [d[f"plot_{n}"] for n in names[:columns]]
            bottom = [d[f"plot_{n}"] for n in names[columns:]]
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, top[0])
            self.splitDockWidget(top[0], bottom[0], Qt.Orientation.Vertical)
            for row in (top, bottom):
                for a, b in itertools.pairwise(row):
                    self.splitDockWidget(a, b, Qt.Orientation.Horizontal)
            for dock in top + bottom:
                dock.show()
            self.centralWidget().hide()
            third = max(200, self.width() // columns)
            half = max(150, self.height() // 2)
            self.resizeDocks(top, [third] * len(top), Qt.Orientation.Horizontal)
            self.resizeDocks(bottom, [third] * len(bottom), Qt.Orientation.Horizontal)
            self.resizeDocks([top[0], bottom[0]], [half, half], Qt.Orientation.Vertical)
        else:
            self.centralWidget().show()
            state, self._plot_wall_state = self._plot_wall_state, None
            self.restoreState(state)
        self.actions_by_name["plot_wall"].setChecked(on)
        self._sync_wall_banner()

    def _sync_wall_banner(self, *_args: object) -> None:
        shown = self._plot_wall_state is not None and not self.diagram.banner.isHidden()
        self.wall_banner.setText(self.diagram.banner.text())
        if shown and self.toolBarArea(self._wall_bar) == Qt.ToolBarArea.NoToolBarArea:
            # a row of its own under the other toolbars, as wide as the window
            self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
            self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self._wall_bar)
        self._wall_bar.setVisible(shown)

    # -- one panel alone (E) -------------------------------------------------------------
    def enlargeable(self) -> dict[QWidget, QDockWidget | None]:
        """What E can show alone, each with its dock: the diagram (the central widget: no
        dock), every plot, the ledger and the inspector."""
        out: dict[QWidget, QDockWidget | None] = {self.diagram: None}
        for name, panel in self.plots.panels.items():
            out[panel] = self.docks[f"plot_{name}"]
        out[self.ledger] = self.docks["ledger"]
        out[self.inspector] = self.docks["inspector"]
        return out

    def _offer_enlarge(self) -> None:
        """The diagram's and each plot's ⤢ button ask for the panel alone, or back."""
        shown: list[DiagramPanel | PlotPanel] = [self.diagram, *self.plots.panels.values()]
        for panel in shown:
            panel.enlarge_requested.connect(lambda p=panel: self.toggle_enlarged(p))
            panel.set_enlarged(False)

    def panel_under_mouse(self) -> QWidget | None:
        """The enlargeable panel under the mouse pointer, or None (the pointer is over the
        controls, a lesson, a toolbar, another window, or outside)."""
        pos = QCursor.pos()
        hit = QApplication.widgetAt(pos)
        panels = self.enlargeable()
        if hit is not None:
            while hit is not None and hit not in panels:
                hit = hit.parentWidget()
            return hit
        for panel in panels:  # a platform that cannot tell which widget (offscreen)
            if (panel.isVisible() and not panel.visibleRegion().isEmpty()
                    and panel.rect().contains(panel.mapFromGlobal(pos))):
                return panel
        return None

    def front_panel(self) -> QWidget:
        """What E enlarges when the mouse is over nothing enlargeable: the first plot in
        front (in the groups' order), or the diagram when no plot is shown."""
        for group in self.plots.groups():
            for name in group:
                panel = self.plots.panels[name]
                if panel.isVisible() and not panel.visibleRegion().isEmpty():
                    return panel
        return self.diagram

    @property
    def enlarged(self) -> QWidget | None:
        """The panel shown alone in the window (E), or None."""
        return self._enlarged

    def toggle_enlarged(self, panel: QWidget) -> None:
        """A panel's ⤢: that panel alone, or (when it is) every panel back."""
        if self._enlarged is panel:
            self.restore()
        else:
            self.enlarge(panel)

    def enlarge(self, panel: QWidget) -> None:
        """Show ``panel`` (one of :meth:`enlargeable`) alone in the window's central area:
        every other dock is hidden, the layout (each dock's place, size and front tab)
        saved for :meth:`restore`. The transport bar stays, and every key still works."""
        docks = self.enlargeable()
        if panel not in docks:
            raise ValueError(f"{type(panel).__name__} cannot be enlarged")
        if self._enlarged is panel:
            return
        self.restore()
        own = docks[panel]
        self._enlarged_state = self.saveState()
        self._enlarged_central = not self.centralWidget().isHidden()
        self._enlarged = panel
        for dock in self.docks.values():
            if dock is not own:
                dock.hide()
        if own is None:
            self.centralWidget().show()
        else:
            self.centralWidget().hide()  # the dock areas then fill the window
            own.setFloating(False)
            # without close and float buttons. Its title bar stays as it is (projector
            # mode's is empty): swapping title bar widgets in and out, with projector mode
            # making and deleting its own, crashed the process under the monkey (seed
            # 20240611, three runs of five)
            self._enlarged_features = own.features()
            own.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
            own.show()
            own.raise_()
        self._lend_escape(True)
        self._mark_enlarged(panel)
        self.layout().activate()  # its geometry now, not on the next turn of the loop

    def restore(self) -> None:
        """Put back the layout an :meth:`enlarge` saved, exactly; nothing if none is."""
        panel = self._enlarged
        if panel is None:
            return
        self._enlarged = None
        own = self.enlargeable().get(panel)
        if own is not None:
            own.setFeatures(self._enlarged_features)
        self.centralWidget().setVisible(self._enlarged_central)
        self.restoreState(self._enlarged_state)
        self._lend_escape(False)
        self._mark_enlarged(None)
        self.layout().activate()

    def _lend_escape(self, lend: bool) -> None:
        """Esc belongs to "back from the enlarged panel" while one is (projector mode's Esc
        comes second), and is given back after."""
        esc = QKeySequence(Qt.Key.Key_Escape)
        leave = self.actions_by_name["leave_enlarged"]
        if lend:
            for name, act in self.actions_by_name.items():
                if act is not leave and esc in act.shortcuts():
                    self._lent_escape[name] = act.shortcuts()
                    act.setShortcuts([k for k in act.shortcuts() if k != esc])
        else:
            for name, keys in self._lent_escape.items():
                self.actions_by_name[name].setShortcuts(keys)
            self._lent_escape = {}
        leave.setShortcuts([esc] if lend else [])
        leave.setEnabled(lend)

    def _mark_enlarged(self, panel: QWidget | None) -> None:
        self.actions_by_name["enlarge"].setChecked(panel is not None)
        self.diagram.set_enlarged(panel is self.diagram)
        for plot in self.plots.panels.values():
            plot.set_enlarged(panel is plot)

    def _on_selection_changed(self) -> None:
        sel = self.session.selection
        if sel is not None and self._enlarged is None:  # restore() puts the tabs back as they were
            self.docks["ledger" if sel.is_weight else "inspector"].raise_()
        if self._arranged:  # once the ledger's own layout has followed the selection
            QTimer.singleShot(0, self, self._fit_ledger)

    # -- window state --------------------------------------------------------------------
    def _restore_state(self) -> None:
        s = settings()
        geometry, state = s.window_geometry(), s.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)  # Qt checks the bytes; bad ones change nothing
            if not dialogs.fits_screen(self):  # remembered on a bigger screen
                dialogs.fit_to_screen(self)
        if state is not None:
            self.restoreState(state)
        notices = s.take_notices()  # shown once, without blocking the start
        if notices:
            self.show_error("Some settings were not used", " ".join(notices))

    def save_state(self) -> None:
        s = settings()
        # an enlarged panel is for now: the next start opens on the layout behind it
        state = self._enlarged_state if self._enlarged is not None else self.saveState()
        s.set_window(self.saveGeometry(), state)
        if self.session.path is not None:
            s.set_last_file(str(self.session.path))

    def recent_files(self) -> list[str]:
        return settings().recent_files()

    def _remember(self, path: Path) -> None:
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        settings().set_recent_files(files)  # the store keeps at most MAX_RECENT
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            act = self.recent_menu.addAction(f)
            act.triggered.connect(lambda _=False, f=f: self._open_recent(f))
        self.recent_menu.setEnabled(bool(files))

    def fill_examples(self) -> None:
        """File → Examples: the files of resources/examples, then one submenu per built-in
        lesson with each network its scenes show (a scene that keeps the previous one's
        network is not repeated). A file that does not read is left out, not fatal."""
        from ...core.lesson import LessonError, load_lesson

        menu = self.examples_menu
        if menu.actions():
            return
        examples = resources.path("examples")
        for path in sorted(examples.glob("*.json")):
            try:
                exp = load_experiment(path)
            except ExperimentError:
                continue
            act = menu.addAction(f"{path.stem}  —  {network_summary(exp)}")
            act.setData(str(path))
            act.triggered.connect(lambda _=False, p=path: self.open_example(p))
        for path in sorted(resources.path("lessons").glob("*.json")):
            try:
                lesson = load_lesson(path, examples)
            except LessonError:
                continue
            sub = QMenu(f"Lesson: {lesson.title}", menu)  # parented: addMenu(str)'s
            menu.addMenu(sub)  # submenu was freed with its wrapper in pytest-qt runs
            self.lesson_menus.append(sub)
            seen: set[str] = set()
            for scene in lesson.scenes:
                key = json.dumps(scene.experiment.to_json(), sort_keys=True)
                if key in seen:  # shown by an earlier scene already
                    continue
                seen.add(key)
                act = sub.addAction(f"Scene {scene.index + 1}: {scene.title}  —  "
                                    f"{network_summary(scene.experiment)}")
                act.triggered.connect(
                    lambda _=False, e=scene.experiment, t=scene.title: self.open_template(e, t))

    def offer_examples(self) -> None:
        """The first run opens on the classic example; a button beside the status line
        offers the deep chain, where the gradient visibly vanishes. It goes away once
        another network is open."""
        if self.first_run_offer is not None:
            return
        from PySide6.QtWidgets import QPushButton

        path = resources.path("examples", "deep-chain-sigmoid.json")
        button = QPushButton("Try the deep chain (9 hidden sigmoid layers)", self)
        button.setObjectName("firstRunOffer")
        button.setToolTip("File → Examples lists every example; this is the one where the "
                          "gradient vanishes before your eyes")
        button.clicked.connect(lambda: self.open_example(path))
        self.transport.add_offer(button)
        self.first_run_offer = button

        def gone() -> None:
            if self.first_run_offer is not None:
                self.first_run_offer.hide()
                self.first_run_offer.deleteLater()
                self.first_run_offer = None
        self.session.experiment_changed.connect(gone)

    def open_example(self, path: Path) -> None:
        if self.maybe_proceed("opening an example"):
            self.open_path(path)  # bundled: a template, Save asks for a name

    def open_template(self, experiment: Experiment, title: str) -> None:
        """A lesson scene's network, as a new unsaved experiment."""
        if self.maybe_proceed("opening an example"):
            self.session.set_experiment(experiment)
            self.session.forget_path()
            self.notify(f"Opened the network of “{title}” as a new, unsaved experiment.")

    def notify(self, text: str) -> None:
        """One sentence on the status line, for a few seconds (there is no status bar:
        the transport bar's status line is where the window talks)."""
        self.transport.notice(text)

    def _open_recent(self, path: str) -> None:
        if self.maybe_proceed("opening another experiment"):
            self.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.pause()
        if not self.maybe_proceed("closing"):
            event.ignore()
            return
        if not self.headless:  # a --screenshot or --self-test run leaves the settings alone
            self.save_state()
        super().closeEvent(event)

    def ask_to_save(self, before: str) -> str:
        """'save', 'discard' or 'cancel'. Headless runs (offscreen, --screenshot,
        --self-test) never block on a dialog."""
        if self.headless or QGuiApplication.platformName() in ("offscreen", "minimal"):
            return "discard"
        name = self.session.path.name if self.session.path else "this experiment"
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"{name} has changes (training or edits) that are not saved. Save them before "
            f"{before}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def maybe_proceed(self, before: str) -> bool:
        """Ask about unsaved changes; True when it is fine to go on."""
        if not self.session.modified:
            return True
        choice = self.ask_to_save(before)
        if choice == "cancel":
            return False
        if choice == "save":
            self.on_save()
            return not self.session.modified
        return True

    def _on_title_changed(self, *_args) -> None:
        name = self.session.path.name if self.session.path else "classic example"
        mark = " •" if self.session.modified else ""
        self.setWindowTitle(f"{name}{mark} — vanishgui")

    def _on_playing_changed(self, *_args) -> None:
        self.actions_by_name["play"].setChecked(self.session.playing)
        self.actions_by_name["train"].setChecked(self.session.training)

    # -- files ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open an experiment; a bad file gets a dialog and the current one stays."""
        try:
            self.session.open(path)
        except ExperimentError as e:
            self.show_error("This experiment could not be opened", str(e))
            return False
        if resources.is_bundled(path):
            # a shipped example is a template: Save asks for a new name instead of
            # overwriting it (an installed copy may not even be writable)
            self.session.forget_path()
        else:
            self._remember(Path(path))
        return True

    def show_error(self, title: str, message: str) -> None:
        dialogs.show_error(self, title, message)

    def on_new(self) -> None:
        if self.maybe_proceed("starting a new experiment"):
            self.session.new()

    def on_open(self) -> None:
        if not self.maybe_proceed("opening another experiment"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", "", FILE_FILTER)
        if path:
            self.open_path(path)

    def on_save(self) -> None:
        if self.session.path is None:
            self.on_save_as()
        else:
            self.save_to(self.session.path)

    def on_save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", "experiment.vanishgui.json",
                                              FILE_FILTER)
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        try:
            self.session.save(path)
        except OSError as e:
            self.show_error("The experiment could not be saved",
                            f"{path}: {e.strerror or e}; the previous file is unchanged.")
            return False
        except ExperimentError as e:  # e.g. weights that diverged to inf or NaN
            self.show_error("The experiment could not be saved", f"{path}: {e}")
            return False
        self._remember(path)
        return True

    def render_diagram(self, scale: float = 2.0) -> QImage:
        scene = self.diagram.scene
        rect = scene.sceneRect()
        image = QImage(int(rect.width() * scale / 2), int(rect.height() * scale / 2),
                       QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scene.render(painter, QRectF(image.rect()), rect)
        painter.end()
        return image

    def _write_picture(self, path: str | Path, data: bytes) -> bool:
        """Write a picture atomically: on failure nothing is left and ``export_error`` says
        why in one sentence (a full disk used to leave a 0-byte file, and SVG said nothing)."""
        if not data:
            self.export_error = f"{path}: the picture could not be drawn."
            return False
        try:
            write_atomic(path, data)
        except OSError as e:
            self.export_error = str(e) if isinstance(e, SaveError) \
                else f"{path}: {e.strerror or e}."
            return False
        return True

    def export_png(self, path: str | Path) -> bool:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        ok = self.render_diagram().save(buffer, "PNG")
        return self._write_picture(path, bytes(buffer.data()) if ok else b"")

    def export_svg(self, path: str | Path) -> bool:
        from PySide6.QtSvg import QSvgGenerator  # only needed here

        out = QBuffer()
        out.open(QIODevice.OpenModeFlag.WriteOnly)
        scene = self.diagram.scene
        rect = scene.sceneRect()
        gen = QSvgGenerator()
        gen.setOutputDevice(out)
        gen.setSize(rect.size().toSize())
        gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        gen.setTitle("vanishgui network diagram")
        painter = QPainter(gen)
        scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        ok = painter.end()
        out.close()
        return self._write_picture(path, bytes(out.data()) if ok else b"")

    def on_export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", "diagram.png", "PNG (*.png)")
        if path and not self.export_png(path):
            self.show_error("The picture could not be saved", self.export_error)

    def on_export_svg(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", "diagram.svg", "SVG (*.svg)")
        if path and not self.export_svg(path):
            self.show_error("The drawing could not be saved", self.export_error)

    def on_export_animation(self) -> None:
        from .record import export_animation  # Pillow and ffmpeg load only when used

        export_animation(self)

    def on_export_history(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export training history", "history.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_history(path)

    def export_history(self, path: str | Path) -> bool:
        try:
            self.plots.export_history_csv(path)
        except OSError as e:
            self.show_error("The history could not be saved", f"{path}: {e.strerror or e}")
            return False
        return True

    def on_plot_wall(self) -> None:
        self.set_plot_wall(self._plot_wall_state is None)

    def on_show_evidence(self) -> None:
        """E: the first line's Show me (with no finding there is no strip, and nothing
        to show)."""
        findings = self.session.diagnosis()
        if findings:
            self.show_evidence(findings[0])

    def on_enlarge(self) -> None:
        """E: the panel under the mouse alone in the window, or back if one is."""
        if self._enlarged is not None:
            self.restore()
        else:
            self.enlarge(self.panel_under_mouse() or self.front_panel())

    def on_leave_enlarged(self) -> None:
        """Esc while a panel is enlarged: a blanked screen comes back first, then the
        panels (a second Esc leaves projector mode: the key is given back)."""
        if self.projector.blank.isVisible():
            self.projector.blank.hide()
        else:
            self.restore()

    def on_next_plot(self) -> None:
        self.show_next_plot(+1)

    def on_previous_plot(self) -> None:
        self.show_next_plot(-1)

    @property
    def plot_wall(self) -> bool:
        """Whether every plot is on screen at once (View → All plots)."""
        return self._plot_wall_state is not None

    def on_quit(self) -> None:
        self.close()

    # -- stepping and training -----------------------------------------------------------
    def on_previous(self) -> None:
        self.session.step_back()

    def on_next(self) -> None:
        self.session.step_forward()

    def on_play(self) -> None:
        self.session.toggle_running()
        self._on_playing_changed()

    def on_start(self) -> None:
        self.session.to_start()

    def on_end(self) -> None:
        self.session.to_end()

    def on_previous_phase(self) -> None:
        self.session.previous_phase()

    def on_next_phase(self) -> None:
        self.session.next_phase()

    def on_train_step(self) -> None:
        self.session.train_step()

    def on_train(self) -> None:
        self.session.toggle_training()
        self._on_playing_changed()

    def on_reset(self) -> None:
        self.session.reset()

    def on_fit(self) -> None:
        self.diagram.view.fit()

    def on_zoom_in(self) -> None:
        self.diagram.view.zoom(1.25)

    def on_zoom_out(self) -> None:
        self.diagram.view.zoom(0.8)

    # -- help ----------------------------------------------------------------------------
    def on_shortcuts(self) -> None:
        ShortcutsDialog(tuple(self.action_specs), self).open()

    def on_about(self) -> None:
        QMessageBox.about(
            self, "About vanishgui",
            f"<h3>vanishgui {__version__}</h3>"
            "<p>Watch the vanishing-gradient problem happen: step through the forward and "
            "backward passes of a small network and see how each layer scales the gradient "
            "by σ'(z) × w, where a sigmoid's σ'(z) is at most 0.25 and the weight can "
            "shrink or grow it further.</p><p>MIT licence.</p>")


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts, built from the same action table as the menus."""

    def __init__(self, specs: tuple[ActionSpec, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [s for s in specs if s.shortcuts]
        table = QTableWidget(len(rows), 3, self)
        table.setHorizontalHeaderLabels(("Keys", "Action", "What it does"))
        table.verticalHeader().setVisible(False)
        for r, s in enumerate(rows):
            keys = ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                             for k in s.shortcuts)
            for c, text in enumerate((keys, s.label.replace("&", ""), s.tooltip)):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        self.table = table
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Every action also sits in a menu.", self))
        lay.addWidget(table)
        self.resize(900, 600)
