"""The shell: panels plug in by one row, features install through the Shell surface, and
windows leave no widgets behind."""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import classic, load_experiment
from vanishgui.core.explain import inspect_neuron
from vanishgui.ui import plots
from vanishgui.ui.model.presentation import Presentation
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.plots import PANELS, PanelSpec, PlotHub
from vanishgui.ui.plots.base import PlotPanel, make_plot_widget
from vanishgui.ui.shell import resources
from vanishgui.ui.shell.main_window import MainWindow


class StepCountPanel(PlotPanel):
    """A seventh panel, as a contributor would write one: the loss against the step."""

    def __init__(self, session, presentation=None, parent=None) -> None:
        super().__init__(session, presentation, parent)
        self.widget = make_plot_widget(self)
        self.body.addWidget(self.widget)
        self.curve = pg.PlotDataItem()
        self.widget.getPlotItem().addItem(self.curve)

    def redraw(self) -> None:
        h = self.session.trainer.history
        self.curve.setData(np.asarray(h.steps, float), np.asarray(h.loss, float))
        self.set_header(f"{len(h.steps)} steps recorded")


def _flush() -> None:
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()
    gc.collect()


def test_a_seventh_panel_is_one_module_and_one_row(qtbot, monkeypatch) -> None:
    rows = dict(PANELS)
    rows["steps"] = PanelSpec("Steps so far", StepCountPanel, "training", 9)
    monkeypatch.setattr(plots, "PANELS", rows)
    monkeypatch.setattr("vanishgui.ui.shell.main_window.PANELS", rows)
    w = build_window(Session(classic()), restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    dock = w.docks["plot_steps"]
    assert dock.windowTitle() == "Steps so far"
    assert not dock.isFloating()
    assert w.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    # tabbed with the other "training" panels, behind the first of them
    qtbot.waitUntil(lambda: dock in w.tabifiedDockWidgets(w.docks["plot_gradients"]))
    w.session.train(5)
    qtbot.waitUntil(lambda: not w.session.training)
    dock.raise_()
    panel = w.plots.panels["steps"]
    recorded = len(w.session.trainer.history.steps)
    assert recorded == 5
    qtbot.waitUntil(lambda: panel.header.text() == "5 steps recorded")
    # the plot wall makes room for seven: two rows of four and three
    w.set_plot_wall(True)
    assert all(w.docks[f"plot_{n}"].isVisible() for n in rows)
    w.set_plot_wall(False)


def test_plot_groups_are_derived_from_the_rows() -> None:
    assert PlotHub.groups() == [["flow", "dact", "waterfall"],
                                ["gradients", "updates", "loss", "boundary"]]


def test_windows_leave_no_widgets_behind(qtbot) -> None:
    """pyqtgraph's context menus are parented to their panel: closing a window frees them,
    so later tests (and later restyles) do not slow down."""
    counts = []
    for _ in range(3):
        w = build_window(Session(classic()), restore=False)
        w.show()
        qtbot.waitExposed(w)
        w.close()
        w.deleteLater()
        del w
        _flush()
        counts.append(len(QApplication.allWidgets()))
    assert counts[-1] <= counts[0] * 1.1 + 5, counts


def test_a_plot_keeps_its_context_menu_after_adoption(qtbot) -> None:
    hub = PlotHub(Session(classic()), Presentation())
    panel = hub.panels["flow"]
    qtbot.addWidget(panel)
    vb = panel.plot.getViewBox()
    assert vb.menu.parent() is panel  # deleted with the panel
    assert vb.menu.windowFlags() & Qt.WindowType.Popup
    assert any(a.text() == "View All" for a in vb.menu.actions())
    scene_actions = [a.text() for a in panel.widget.scene().contextMenu]
    assert any(t.startswith("Export") for t in scene_actions)


def test_features_install_into_the_shell_not_the_other_way(qtbot) -> None:
    bare = MainWindow(Session(classic()), restore=False)
    qtbot.addWidget(bare)
    assert "Lesson" not in bare.menus and "Compare" not in bare.menus
    assert not bare.open_comparison(classic(), "activation", ["sigmoid", "relu"])
    full = build_window(Session(classic()), restore=False)
    qtbot.addWidget(full)
    assert "Lesson" in full.menus and "Compare" in full.menus
    assert "lesson" in full.dock_names()


def test_the_session_says_when_the_sample_changes(qtbot) -> None:
    s = Session(load_experiment(resources.path("examples") / "deep-sigmoid-circles.json"))
    assert len(s.current.inputs) > 2
    with qtbot.waitSignal(s.sample_changed) as sig:
        s.set_sample(2)
    assert sig.args == [2] and s.sample == 2
    with qtbot.assertNotEmitted(s.sample_changed):
        s.set_sample(2)


def test_right_click_offers_view_all_and_export_but_no_plot_options(window) -> None:
    """pyqtgraph's "Plot Options" (FFT, dy/dx, averaging, alpha) mean nothing here and
    raised on bars and markers; the view menu (View All, axes) and Export… stay."""
    window.plots.flush()
    plots = [item for panel in window.plots.panels.values() for item in panel_plot_items(panel)]
    assert len(plots) >= 7
    for item in plots:
        assert item.getContextMenus(None) is None  # no Plot Options submenu
        assert item.getViewBox().menuEnabled()
        assert any(a.text() == "View All" for a in item.getViewBox().menu.actions())


def panel_plot_items(panel) -> list[pg.PlotItem]:
    return [i for i in panel_graphics_items(panel)
            if isinstance(i, pg.PlotItem) and not isinstance(i, pg.ColorBarItem)]


def panel_graphics_items(panel) -> list:
    views = panel.findChildren(pg.GraphicsView)
    return [item for v in views for item in v.scene().items()]


def test_every_view_follows_the_selected_sample(qtbot) -> None:
    """The ledger, the inspector and the σ'(z) panel show the sample the session has; the
    ledger kept showing sample 1 before the session said when the sample changed."""
    exp = load_experiment(resources.path("examples") / "deep-sigmoid-circles.json")
    w = build_window(Session(exp), restore=False)
    qtbot.addWidget(w)
    w.show()
    s = w.session
    s.select(Selection(2, 0, 1))  # a weight: the ledger
    s.set_sample(5)
    assert w.ledger.rule is not None and w.ledger.rule.sample == 5
    s.select(Selection(2, 0))  # a neuron: the inspector
    s.set_sample(7)
    dact = w.plots.panels["dact"]
    dact.flush()
    assert dact.header.text().startswith("Sample 8,")
    assert w.inspector.report == inspect_neuron(s.current, s.last, 2, 0, 7)
    assert w.inspector.report != inspect_neuron(s.current, s.last, 2, 0, 0)
