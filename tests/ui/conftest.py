import pytest

from vanishgui.core.experiment import classic
from vanishgui.ui.main_window import MainWindow
from vanishgui.ui.session import Session


@pytest.fixture
def window(qtbot):
    w = MainWindow(Session(classic()), restore=False)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.diagram.view.setFocus()
    yield w
    w.session.pause()
