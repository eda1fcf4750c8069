"""What happens when something goes wrong inside the GUI: a log, a dialog, and carry on.

:func:`install_crash_handler` replaces ``sys.excepthook`` (and ``threading.excepthook``).
PySide6 hands every exception raised in a slot, a timer or an overridden Qt method
(``paintEvent``, ``resizeEvent``, …) to ``sys.excepthook``, so this one hook sees them all.
For each one it

- writes the traceback to a log file in the app's data folder
  (``QStandardPaths.AppDataLocation/logs``, e.g. ``~/.local/share/vanishgui/vanishgui/logs``),
- pauses playing and training (a failing timer would otherwise fail again and again),
- shows a non-modal dialog with the details and a "Copy to clipboard" button,

and the app keeps running. The same error repeated (a paint that fails on every frame)
is counted in the open dialog instead of opening a dialog per frame.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ... import __version__

KEEP_LOGS = 20  # older crash logs are deleted when a new one starts
MAX_LOGGED_REPEATS = 5  # the same error is written to the log at most this many times
LOG_PREFIX = "vanishgui-"
MAIN_WINDOW_NAME = "vanishguiMainWindow"  # MainWindow's objectName

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def log_folder() -> Path:
    """Where crash logs go: the app's data folder's ``logs``, or the temp folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        return Path(tempfile.gettempdir()) / "vanishgui-logs"
    return Path(base) / "logs"


def _main_window() -> QWidget | None:
    """The app's main window (not a comparison window), visible ones first."""
    if QApplication.instance() is None:
        return None
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]
    windows.sort(key=lambda w: (w.objectName() != MAIN_WINDOW_NAME, not w.isVisible()))
    return windows[0] if windows else None


class CrashDialog(QDialog):
    """Non-modal: what went wrong, where the log is, and the details to copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("vanishgui hit an unexpected error")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("crashDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.copy_button = QPushButton("Copy to clipboard", self)
        self.copy_button.setObjectName("crashCopy")
        self.copy_button.setToolTip("Copy the details, to paste into a bug report or an e-mail")
        self.copy_button.clicked.connect(self.copy_details)
        close = QPushButton("Close", self)
        close.setToolTip("Close this message; the app keeps running")
        close.clicked.connect(self.close)
        close.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.message)
        lay.addWidget(self.details, 1)
        lay.addLayout(buttons)
        self.resize(760, 420)
        self.reports = 0

    def add_report(self, details: str, log_path: Path | None, repeats: int) -> None:
        """Show one more error (or count a repeat of one already shown)."""
        if repeats == 0:
            self.reports += 1
            if self.details.toPlainText():
                self.details.appendPlainText("\n" + "—" * 40 + "\n")
            self.details.appendPlainText(details.rstrip())
        where = (f"The details were written to {log_path}." if log_path is not None
                 else "The details could not be written to a log file.")
        more = f" ({self.reports} different errors so far)" if self.reports > 1 else ""
        again = f" The last one happened {repeats + 1} times." if repeats else ""
        self.message.setText(
            "Something went wrong inside vanishgui" + more + ". Playing and training were "
            "paused; the experiment is still open and the app keeps working, but saving "
            f"your work now is a good idea.{again} {where}")

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class CrashHandler(QObject):
    """The installed hook. ``reported`` carries (details, log path, repeats) to the GUI
    thread, so an error in any thread, or in the middle of a paint, shows its dialog
    from the event loop."""

    reported = Signal(str, str, int)

    def __init__(self, app: QApplication,
                 window_getter: Callable[[], QWidget | None] | None = None) -> None:
        super().__init__(app)
        self.app = app
        self.window_getter = window_getter or _main_window
        self.dialog: CrashDialog | None = None
        self.log_path: Path | None = None
        self.errors: list[str] = []  # every distinct error's details, in order
        self._seen: dict[tuple[str, ...], int] = {}
        self._lock = threading.Lock()
        self._handling = threading.local()
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self.reported.connect(self._on_reported, Qt.ConnectionType.QueuedConnection)

    # -- hooks ---------------------------------------------------------------------------
    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread_hook

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def excepthook(self, exc_type: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            self._previous_hook(exc_type, exc, tb)
            return
        if getattr(self._handling, "on", False):  # the handler itself failed: just print
            sys.__excepthook__(exc_type, exc, tb)
            return
        self._handling.on = True
        try:
            self._handle((exc_type, exc, tb))
        except Exception:  # never let the handler take the app down
            sys.__excepthook__(exc_type, exc, tb)
        finally:
            self._handling.on = False

    # -- one error -----------------------------------------------------------------------
    def _handle(self, info: ExcInfo) -> None:
        details = "".join(traceback.format_exception(*info))
        print(details, file=sys.stderr, end="")
        frames = traceback.extract_tb(info[2])
        key = (info[0].__name__, *(f"{f.filename}:{f.lineno}" for f in frames[-3:]))
        with self._lock:
            repeats = self._seen.get(key, -1) + 1
            self._seen[key] = repeats
            if repeats == 0:
                self.errors.append(details)
            if repeats < MAX_LOGGED_REPEATS:
                self._write_log(details, repeats)
        self.reported.emit(details, str(self.log_path or ""), repeats)

    def _write_log(self, details: str, repeats: int) -> None:
        try:
            if self.log_path is None:
                folder = log_folder()
                folder.mkdir(parents=True, exist_ok=True)
                self._prune(folder)
                stamp = time.strftime("%Y%m%d-%H%M%S")
                self.log_path = folder / f"{LOG_PREFIX}{stamp}-{os.getpid()}.log"
                with open(self.log_path, "a", encoding="utf-8") as f:
                    f.write(self._header())
            with open(self.log_path, "a", encoding="utf-8") as f:
                again = f" (the same error again, {repeats + 1} times)" if repeats else ""
                f.write(f"\n== {time.strftime('%Y-%m-%d %H:%M:%S')}{again}\n{details}")
        except OSError:
            self.log_path = None

    @staticmethod
    def _header() -> str:
        import numpy
        import PySide6
        from PySide6.QtCore import qVersion

        try:
            import pyqtgraph

            pg_version = pyqtgraph.__version__
        except Exception:  # the log must be written even if pyqtgraph is broken
            pg_version = "?"
        return (f"vanishgui {__version__} crash log\n"
                f"python {platform.python_version()} · PySide6 {PySide6.__version__} · "
                f"Qt {qVersion()} · pyqtgraph {pg_version} · numpy {numpy.__version__}\n"
                f"{platform.platform()} · platform plugin "
                f"{QGuiApplication.platformName()}\n")

    @staticmethod
    def _prune(folder: Path) -> None:
        with contextlib.suppress(OSError):
            logs = sorted(folder.glob(f"{LOG_PREFIX}*.log"), key=lambda p: p.stat().st_mtime)
            for old in logs[:max(0, len(logs) - (KEEP_LOGS - 1))]:
                old.unlink()

    # -- in the GUI thread ---------------------------------------------------------------
    def _on_reported(self, details: str, log_path: str, repeats: int) -> None:
        window = self.window_getter()
        session = getattr(window, "session", None)
        if session is not None:
            # The session may be what is broken; the dialog matters more.
            with contextlib.suppress(Exception):
                session.pause()
        if self.dialog is None:
            self.dialog = CrashDialog(window)
        self.dialog.add_report(details, Path(log_path) if log_path else None, repeats)
        if not self.dialog.isVisible():
            self.dialog.show()
        self.dialog.raise_()


_installed: CrashHandler | None = None


def install_crash_handler(app: QApplication,
                          window_getter: Callable[[], QWidget | None] | None = None
                          ) -> CrashHandler:
    """Route every uncaught exception to a log file and a non-modal dialog.

    ``window_getter`` returns the main window (the dialog's parent, whose session is
    paused); by default the first main window found. Installing again replaces the
    previous handler.
    """
    global _installed
    if _installed is not None:
        _installed.uninstall()
    handler = CrashHandler(app, window_getter)
    handler.install()
    _installed = handler
    return handler
