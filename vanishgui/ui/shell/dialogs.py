"""The dialogs and waits every window shares: one error box, one settle helper."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

SETTLE_ROUNDS = 10


def show_error(parent: QWidget, title: str, message: str) -> QMessageBox:
    """A non-blocking warning box with one sentence; its text is kept on ``parent`` as
    ``last_error`` (tests and the self-test read it)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("errorDialog")
    box.open()
    parent.last_error = message  # type: ignore[attr-defined]  # a plain attribute on purpose
    return box


def settle(rounds: int = SETTLE_ROUNDS) -> None:
    """Let posted layout requests (dock tab bars, splitters) run, e.g. before a grab."""
    for _ in range(rounds):
        QApplication.processEvents()


def fit_to_screen(window: QWidget, wanted: tuple[int, int] = (1600, 900)) -> None:
    """Size a top-level window to ``wanted``, but never past its screen's available
    geometry (a 1366×768 laptop, QT_SCALE_FACTOR=2 on 1080p), and keep it on the screen."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        window.resize(*wanted)
        return
    room = screen.availableGeometry()
    w, h = min(wanted[0], room.width()), min(wanted[1], room.height())
    window.resize(w, h)
    if not room.contains(window.geometry()):
        window.move(room.left() + (room.width() - w) // 2, room.top() + (room.height() - h) // 2)


def fits_screen(window: QWidget) -> bool:
    """Whether the window's frame lies within its screen's available geometry."""
    screen = window.screen() or QApplication.primaryScreen()
    return screen is None or screen.availableGeometry().contains(window.frameGeometry())
