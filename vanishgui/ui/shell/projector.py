"""Projector mode: the same window, in full screen, with a high-contrast theme and one
zoom for every widget, diagram and plot. It is a theme plus a zoom (Mu's habit), not a
second user interface.

F5 (or View → Projector mode, or ``vanishgui --projector``) enters it; Esc leaves and puts
back every dock, the menus and the window's size. In it, the editing controls are hidden:
what stays is the diagram, the plots that were shown, the ledger and a slim transport bar.
B blanks the screen (and B or Esc brings it back). Ctrl+= / Ctrl+− / Ctrl+0 move along the
zoom ladder; the last projector zoom and theme are remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QAction, QFont, QFontInfo
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QToolBar,
    QWidget,
)

from ..model.presentation import PROJECTOR_ZOOM, ZOOM_LADDER, Presentation, next_zoom
from .actions import ActionSpec
from .layouts import LEDGER_HEIGHT, PLOT_WIDTH
from .settings import Settings
from .theme import apply_theme

HIDDEN_DOCKS = ("controls", "inspector")  # editing and detail panels
CORNERS = (Qt.Corner.TopLeftCorner, Qt.Corner.TopRightCorner, Qt.Corner.BottomLeftCorner,
           Qt.Corner.BottomRightCorner)

ACTIONS = (
    ActionSpec("projector", "&Projector mode", "Full screen, large type, high contrast; "
               "Esc leaves", ("F5",), "View", checkable=True),
    ActionSpec("projector_dark", "Dark projector theme", "White on black for a dark room "
               "(the diagram and plots stay on white)", (), "View", checkable=True),
    ActionSpec("blank", "Blank the screen", "Black out the screen in projector mode; "
               "B or Esc brings it back", ("B",), "View"),
    ActionSpec("leave_projector", "Leave projector mode", "Back to the normal window",
               ("Escape",), "View"),
    ActionSpec("ui_zoom_in", "Larger text", "One step up the zoom ladder, for every "
               "widget and plot", ("Ctrl+=", "Ctrl++"), "View"),
    ActionSpec("ui_zoom_out", "Smaller text", "One step down the zoom ladder",
               ("Ctrl+-",), "View"),
    ActionSpec("ui_zoom_reset", "Normal text size", "Back to the ladder's first rung "
               "(the projector's own size in projector mode)", ("Ctrl+0",), "View"),
)


class Blank(QWidget):
    """A black sheet over the whole window: eyes on the teacher."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("projectorBlank")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("background: #000000;")
        hint = QLabel("Press B to come back", self)
        hint.setStyleSheet("color: #333333;")
        self.hide()

    def cover(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()


class Projector(QObject):
    """Owns projector mode for one main window: it sets the window's Presentation (theme,
    zoom, projector flag), which every view follows, and puts the window's docks, menus and
    toolbars away and back."""

    def __init__(self, window: QMainWindow, presentation: Presentation,
                 docks: Mapping[str, QDockWidget], store: Callable[[], Settings],
                 add_action: Callable[[ActionSpec, Callable[[], None]], QAction]) -> None:
        super().__init__(window)
        self.window = window
        self.presentation = presentation
        self.docks = docks  # the window's, by name (a feature's dock joins it later)
        self.store = store
        s = store()
        zoom = s.projector_zoom()  # checked by the store: None, or on the ladder's range
        self.projector_zoom = PROJECTOR_ZOOM if zoom is None else zoom
        self.dark = s.projector_theme() == "projector-dark"
        self._saved_state: QByteArray | None = None
        self._saved_geometry: QByteArray | None = None
        self._was_maximized = False
        self.blank = Blank(window)
        window.installEventFilter(self)
        self.actions = {spec.name: add_action(spec, getattr(self, f"on_{spec.name}"))
                        for spec in ACTIONS}
        self.actions["projector_dark"].setChecked(self.dark)

    # -- the theme and the zoom, one setting for everything ---------------------------------
    @property
    def active(self) -> bool:
        return self.presentation.projector

    @property
    def zoom(self) -> float:
        return self.presentation.zoom

    @property
    def theme(self) -> str:
        return self.presentation.theme

    def _theme(self, active: bool) -> str:
        if not active:
            return "light"
        return "projector-dark" if self.dark else "projector-light"

    def _present(self, active: bool, zoom: float) -> None:
        """Set the presentation; the app's stylesheet follows it, the views redraw."""
        theme = self._theme(active)
        apply_theme(QApplication.instance(), theme, zoom)
        self.presentation.set(theme=theme, zoom=zoom, projector=active)

    def _ratio(self) -> float:
        screen = self.window.screen()
        return max(1.0, screen.devicePixelRatio()) if screen is not None else 1.0

    def screen_zoom(self, zoom: float) -> float:
        """The rung that draws a projector zoom's type at the same device pixels on this
        screen: on a HiDPI screen (QT_SCALE_FACTOR=2) every logical pixel is already two,
        so 1.75 becomes 1.0 (and 960×540 logical pixels keep room for the plots)."""
        wanted = zoom / self._ratio()
        rungs = [z for z in ZOOM_LADDER if z <= wanted + 1e-9]
        return rungs[-1] if rungs else ZOOM_LADDER[0]

    def set_zoom(self, zoom: float) -> None:
        if self.active:
            self.projector_zoom = min(ZOOM_LADDER[-1], zoom * self._ratio())
            self.store().set_projector_zoom(self.projector_zoom)
        self._present(self.active, zoom)

    # -- entering and leaving ---------------------------------------------------------------
    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        self._saved_state = w.saveState()
        self._saved_geometry = w.saveGeometry()
        self._was_maximized = w.isMaximized()
        self._saved_layout = getattr(w, "layout_name", "")
        self._corners = {c: w.corner(c) for c in CORNERS}
        for name in HIDDEN_DOCKS:
            self.docks[name].hide()
        self.docks["ledger"].show()
        w.menuBar().hide()
        self._hidden_bars = [b for b in w.findChildren(QToolBar)
                             if b.objectName() != "transportBar" and b.isVisible()]
        for bar in self._hidden_bars:
            bar.hide()
        # the docks' title bars go (tabs and headings name them): 40 px a dock, which a
        # 768-px screen needs for its plots
        for dock in self.docks.values():
            dock.setTitleBarWidget(QWidget(dock))
        # the transport bar goes slim by itself
        self._present(True, self.screen_zoom(self.projector_zoom))
        arrange = getattr(w, "arrange", None)
        if arrange is not None and not getattr(w, "plot_wall", False):
            arrange("projector")  # diagram, ledger under it, one large plot beside
        screen = w.screen()
        if screen is not None:  # with no window manager, full screen is only a request
            w.setGeometry(screen.geometry())
        w.showFullScreen()
        self.fit_docks()
        self.actions["projector"].setChecked(True)

    def fit_docks(self) -> None:
        """The projector layout's shares: the large plot 45% of the width, the ledger 36%
        of the height under the diagram (a lesson, when shown, 22% on the left)."""
        w = self.window
        plots = [d for n, d in self.docks.items() if n.startswith("plot_") and d.isVisible()]
        lesson = self.docks.get("lesson")
        wide, widths = [], []
        beside = bool(plots) and (
            w.dockWidgetArea(plots[0]) == Qt.DockWidgetArea.RightDockWidgetArea)
        if lesson is not None and lesson.isVisible():
            wide.append(lesson)
            widths.append(int(w.width() * (0.22 if beside else 0.4)))
        if beside:
            wide.append(plots[0])
            widths.append(int(w.width() * (0.36 if wide else PLOT_WIDTH)))
        if wide:
            w.resizeDocks(wide, widths, Qt.Orientation.Horizontal)
        fit_ledger = getattr(w, "_fit_ledger", None)
        if fit_ledger is not None:
            fit_ledger()  # LEDGER_HEIGHT with a chain rule in it, less while empty
        else:
            w.resizeDocks([self.docks["ledger"]], [int(w.height() * LEDGER_HEIGHT)],
                          Qt.Orientation.Vertical)

    def leave(self) -> None:
        if not self.active:
            return
        w = self.window
        self.blank.hide()
        for dock in self.docks.values():
            bar = dock.titleBarWidget()
            dock.setTitleBarWidget(None)
            if bar is not None:
                bar.deleteLater()
        self._present(False, 1.0)
        diagram = getattr(w, "diagram", None)
        if diagram is not None:
            diagram.fold_key(False)  # folded for a lesson on a small projector
        w.menuBar().show()
        for bar in getattr(self, "_hidden_bars", []):
            bar.show()
        w.showMaximized() if self._was_maximized else w.showNormal()
        if self._saved_geometry is not None:
            w.restoreGeometry(self._saved_geometry)
        for corner, area in getattr(self, "_corners", {}).items():
            w.setCorner(corner, area)
        if self._saved_state is not None:
            w.restoreState(self._saved_state)
        if hasattr(w, "layout_name"):
            w.layout_name = self._saved_layout
        self.actions["projector"].setChecked(False)

    def eventFilter(self, obj, event) -> bool:
        # Qt may still call this while the window is being torn down, after Python has
        # released this object's attributes: look them up defensively.
        blank = getattr(self, "blank", None)
        if (event.type() == QEvent.Type.Resize and blank is not None
                and obj is getattr(self, "window", None) and blank.isVisible()):
            blank.cover()
        return False

    # -- actions ----------------------------------------------------------------------------
    def on_projector(self) -> None:
        self.leave() if self.active else self.enter()

    def on_leave_projector(self) -> None:
        if self.blank.isVisible():
            self.blank.hide()
        else:
            self.leave()

    def on_blank(self) -> None:
        if self.blank.isVisible():
            self.blank.hide()
        elif self.active:
            self.blank.cover()

    def on_projector_dark(self) -> None:
        self.dark = self.actions["projector_dark"].isChecked()
        self.store().set_projector_theme("projector-dark" if self.dark else "projector-light")
        if self.active:
            self._present(True, self.zoom)

    def on_ui_zoom_in(self) -> None:
        self.set_zoom(next_zoom(self.zoom, +1))

    def on_ui_zoom_out(self) -> None:
        self.set_zoom(next_zoom(self.zoom, -1))

    def on_ui_zoom_reset(self) -> None:
        self.set_zoom(self.screen_zoom(PROJECTOR_ZOOM) if self.active else 1.0)


def font_pixels(widget: QWidget) -> int:
    """The pixel size a widget's text is drawn at (what a test of legibility measures)."""
    return QFontInfo(QFont(widget.font())).pixelSize()
