"""Projector mode: editing controls hidden, every text at least 24 px, all put back on Esc."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from vanishgui.ui.shell.main_window import settings
from vanishgui.ui.shell.projector import PROJECTOR_ZOOM, font_pixels


def texts(window):
    """Widgets whose text a class must read."""
    return {
        "status line": window.transport.status,
        "event title": window.diagram.title,
        "formula": window.diagram.formula,
        "ledger table": window.ledger.table,
        "ledger footer": window.ledger.footer,
        "transport button": window.transport.buttons["next"],
        "plot header": window.plots.panels["flow"].header,
    }


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.diagram.view, k, mod)


def test_projector_mode_hides_controls_scales_text_and_esc_restores(window, qtbot):
    before = {name: font_pixels(w) for name, w in texts(window).items()}
    assert all(px < 24 for px in before.values()), before
    assert window.docks["controls"].isVisible()
    key(qtbot, window, Qt.Key.Key_F5)
    p = window.projector
    assert p.active and window.isFullScreen()
    assert not window.docks["controls"].isVisible()
    assert not window.docks["inspector"].isVisible()
    assert not window.menuBar().isVisible()
    assert not window.transport.train_n.isVisible()
    assert window.docks["ledger"].isVisible()
    assert window.diagram.isVisible()
    sizes = {name: font_pixels(w) for name, w in texts(window).items()}
    assert all(px >= 24 for px in sizes.values()), sizes
    assert QApplication.instance().styleSheet().count("#000000") > 0  # the contrast theme
    # shortcuts still work without the menu bar
    key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.session.position == 1
    key(qtbot, window, Qt.Key.Key_Escape)
    assert not p.active and not window.isFullScreen()
    assert window.docks["controls"].isVisible() and window.menuBar().isVisible()
    assert window.transport.train_n.isVisible()
    after = {name: font_pixels(w) for name, w in texts(window).items()}
    assert after == before


def test_blank_and_zoom_ladder(window, qtbot):
    p = window.projector
    p.enter()
    assert p.zoom == PROJECTOR_ZOOM
    key(qtbot, window, Qt.Key.Key_B)
    assert p.blank.isVisible()
    assert p.blank.geometry() == window.rect()
    key(qtbot, window, Qt.Key.Key_B)
    assert not p.blank.isVisible()
    key(qtbot, window, Qt.Key.Key_B)
    key(qtbot, window, Qt.Key.Key_Escape)  # Esc first brings the screen back
    assert not p.blank.isVisible() and p.active
    px = font_pixels(window.transport.status)
    key(qtbot, window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert p.zoom > PROJECTOR_ZOOM
    assert font_pixels(window.transport.status) > px
    assert float(settings().value("projector/zoom")) == p.zoom  # remembered
    key(qtbot, window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert p.zoom < PROJECTOR_ZOOM
    key(qtbot, window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert p.zoom == PROJECTOR_ZOOM
    p.leave()


def test_dark_theme_is_remembered(window, qtbot):
    p = window.projector
    p.actions["projector_dark"].trigger()
    assert settings().value("projector/theme") == "projector-dark"
    p.enter()
    assert p.theme == "projector-dark"
    assert "background: #000000" in QApplication.instance().styleSheet()
    p.leave()
    p.actions["projector_dark"].trigger()
    assert settings().value("projector/theme") == "projector-light"


def test_every_theme_names_all_its_colours():
    from vanishgui.ui.shell.theme import THEMES, load_qss

    for name in THEMES:
        qss = load_qss(name, 2.0)
        assert "@" not in qss
        assert "22.0pt" in qss  # 11 pt × zoom 2
