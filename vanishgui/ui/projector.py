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

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QLabel, QToolBar, QWidget

from .actions import ActionSpec
from .theme import apply_theme, next_zoom

PROJECTOR_ZOOM = 1.75  # 11 pt × 1.75 ≈ 26 px at 96 dpi: at least 24 px on a 1080p projector
HIDDEN_DOCKS = ("controls", "inspector")  # editing and detail panels
SLIM_TRANSPORT = ("train_n", "train_n_button", "speed_label", "speed")  # hidden from the bar

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
    """Owns projector mode for one main window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.zoom = 1.0
        s = window.settings_store()
        self.projector_zoom = _float(s.value("projector/zoom"), PROJECTOR_ZOOM)
        self.dark = s.value("projector/theme") == "projector-dark"
        self._saved_state: QByteArray | None = None
        self._saved_geometry: QByteArray | None = None
        self._was_maximized = False
        self.blank = Blank(window)
        window.installEventFilter(self)
        self.actions = {spec.name: window.add_action(spec, getattr(self, f"on_{spec.name}"))
                        for spec in ACTIONS}
        self.actions["projector_dark"].setChecked(self.dark)

    # -- the theme and the zoom, one setting for everything ---------------------------------
    @property
    def theme(self) -> str:
        if not self.active:
            return "light"
        return "projector-dark" if self.dark else "projector-light"

    def apply(self) -> None:
        app = QApplication.instance()
        apply_theme(app, self.theme, self.zoom)
        self.window.plots.set_projector(self.active or self.zoom >= PROJECTOR_ZOOM)
        self.window.diagram.colorbar.updateGeometry()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        if self.active:
            self.projector_zoom = zoom
            self.window.settings_store().setValue("projector/zoom", zoom)
        self.apply()

    # -- entering and leaving ---------------------------------------------------------------
    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        self._saved_state = w.saveState()
        self._saved_geometry = w.saveGeometry()
        self._was_maximized = w.isMaximized()
        self.active = True
        for name in HIDDEN_DOCKS:
            w.docks[name].hide()
        w.docks["ledger"].show()
        w.menuBar().hide()
        self._hidden_bars = [b for b in w.findChildren(QToolBar)
                             if b.objectName() != "transportBar" and b.isVisible()]
        for bar in self._hidden_bars:
            bar.hide()
        for name in SLIM_TRANSPORT:
            getattr(w.transport, name).hide()
        self.zoom = self.projector_zoom
        self.apply()
        w.showFullScreen()
        self.fit_docks()
        self.actions["projector"].setChecked(True)

    def fit_docks(self) -> None:
        """Room for the ledger's four columns and for plots that can be read."""
        w = self.window
        plots = [d for n, d in w.docks.items() if n.startswith("plot_") and d.isVisible()]
        lesson = w.docks.get("lesson")
        if lesson is not None and lesson.isVisible():  # three columns: lesson, diagram, ledger
            w.resizeDocks([lesson, w.docks["ledger"]], [int(w.width() * 0.22),
                                                        int(w.width() * 0.24)],
                          Qt.Orientation.Horizontal)
        else:
            w.resizeDocks([w.docks["ledger"]], [int(w.width() * 0.3)],
                          Qt.Orientation.Horizontal)
        if plots:
            w.resizeDocks(plots[:1], [int(w.height() * 0.4)], Qt.Orientation.Vertical)

    def leave(self) -> None:
        if not self.active:
            return
        w = self.window
        self.blank.hide()
        self.active = False
        self.zoom = 1.0
        self.apply()
        w.menuBar().show()
        for bar in getattr(self, "_hidden_bars", []):
            bar.show()
        for name in SLIM_TRANSPORT:
            getattr(w.transport, name).show()
        w.showMaximized() if self._was_maximized else w.showNormal()
        if self._saved_geometry is not None:
            w.restoreGeometry(self._saved_geometry)
        if self._saved_state is not None:
            w.restoreState(self._saved_state)
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
        self.window.settings_store().setValue("projector/theme", "projector-dark"
                                              if self.dark else "projector-light")
        if self.active:
            self.apply()

    def on_ui_zoom_in(self) -> None:
        self.set_zoom(next_zoom(self.zoom, +1))

    def on_ui_zoom_out(self) -> None:
        self.set_zoom(next_zoom(self.zoom, -1))

    def on_ui_zoom_reset(self) -> None:
        self.set_zoom(PROJECTOR_ZOOM if self.active else 1.0)


def _float(value, default: float) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return default
    return f if 1.0 <= f <= 3.0 else default


def font_pixels(widget: QWidget) -> int:
    """The pixel size a widget's text is drawn at (what a test of legibility measures)."""
    return QFontInfo(QFont(widget.font())).pixelSize()
