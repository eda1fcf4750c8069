import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import classic
from vanishgui.ui.model.session import Session
from vanishgui.ui.shell.theme import apply_theme


@pytest.fixture
def window(qtbot):
    apply_theme(QApplication.instance())  # as the app starts: light theme, zoom 1
    w = build_window(Session(classic()), restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.diagram.view.setFocus()
    yield w
    w.session.pause()


@pytest.fixture(autouse=True)
def _delete_closed_windows(qapp):
    """Run the event loop once after each test so closed windows are really deleted:
    pytest-qt only calls deleteLater(), and hundreds of live old menus and plots make
    every later theme change (and so every later test) slower."""
    yield
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()

