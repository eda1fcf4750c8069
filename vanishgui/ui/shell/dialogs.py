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
