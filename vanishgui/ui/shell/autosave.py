"""Autosave and recovery: work survives a crash, a killed process or a pulled plug.

While the session has unsaved changes, :class:`Autosave` writes the experiment with its
current weights to a recovery file every minute (atomically, as every save is). Each
running app holds a lock file beside its recovery file; a clean exit deletes both. At
the next start, :meth:`Autosave.recovery_offer` looks for recovery files whose app is
gone without cleaning up (its lock is stale: the process no longer runs) and offers to
restore the newest one it can read. A recovery file it cannot read (damaged, or from
a newer vanishgui) is never deleted: it is set aside in ``recovery/set-aside`` with a
``.txt`` beside it saying why, and the next one is offered. Only regular files are read,
without ever blocking (a named pipe or a folder with a recovery file's name is skipped).

Files live in ``QStandardPaths.AppDataLocation/recovery`` (on Linux
``~/.local/share/vanishgui/vanishgui/recovery``), as ``<id>.vanishgui.json`` (a plain
experiment file a person could open), ``<id>.about.json`` (which file it was and when)
and ``<id>.lock``; ``set-aside/`` holds the files that could not be read.

Environment, for tests and scripted runs: ``VANISHGUI_AUTOSAVE_MS`` sets the interval;
``VANISHGUI_RECOVERY=accept`` or ``discard`` answers the offer without a dialog. With
no answer and no screen (offscreen), the offer is left for the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLockFile, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from ...core.experiment import (
    Experiment,
    ExperimentError,
    dumps,
    load_experiment,
    write_atomic,
)
from ...core.jsonfile import display_name, read_json

INTERVAL_ENV = "VANISHGUI_AUTOSAVE_MS"
ANSWER_ENV = "VANISHGUI_RECOVERY"
DEFAULT_INTERVAL_MS = 60_000
EXPERIMENT_SUFFIX = ".vanishgui.json"
ABOUT_SUFFIX = ".about.json"
LOCK_SUFFIX = ".lock"
SET_ASIDE = "set-aside"
# Networks with more parameters than this are written from a thread: a 64 × 256 network
# takes seconds to turn into JSON, and the window must not freeze meanwhile.
THREAD_ABOVE_PARAMETERS = 200_000


def recovery_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.TempLocation)
    return Path(base) / "recovery"


class RecoveryError(ValueError):
    """A recovery file's companion (``.about.json``) that cannot be read."""


def _is_regular(path: Path) -> bool:
    """A regular file, not a symlink (lstat: a named pipe or a folder is never opened)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def interval_from_env(default: int = DEFAULT_INTERVAL_MS) -> int:
    text = os.environ.get(INTERVAL_ENV, "")
    try:
        value = int(text)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Recovery:
    """An autosave left behind by an app that did not exit cleanly."""

    experiment_path: Path
    about: dict[str, Any]
    saved_at: float  # the file's modification time (seconds since the epoch)

    @property
    def key(self) -> str:
        return self.experiment_path.name.removesuffix(EXPERIMENT_SUFFIX)

    @property
    def original(self) -> str | None:
        """The file the experiment was opened from or saved to, if any."""
        path = self.about.get("path")
        return path if isinstance(path, str) and path else None


class Autosave(QObject):
    """Writes ``window.session``'s experiment to a recovery file while it is modified."""

    saved = Signal(str)  # the recovery file, each time it has been written
    failed = Signal(str)  # autosave stopped working: one sentence, once until it works again
    _written = Signal(str, str)  # (path, error) from the writer, delivered in the GUI thread

    def __init__(self, window: QWidget, interval_ms: int | None = None,
                 folder: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.folder = Path(folder) if folder is not None else recovery_folder()
        self.key = f"{os.getpid()}-{time.time_ns() // 1_000_000}"
        self.path = self.folder / f"{self.key}{EXPERIMENT_SUFFIX}"
        self.about_path = self.folder / f"{self.key}{ABOUT_SUFFIX}"
        self.lock: QLockFile | None = None
        self.writes = 0
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None
        self._discard_when_written = False
        self._finished = False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = QLockFile(str(self.folder / f"{self.key}{LOCK_SUFFIX}"))
            lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
            if lock.tryLock(0):
                self.lock = lock
        except OSError as e:
            self.last_error = f"{self.folder}: {e.strerror or e}"
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms if interval_ms is not None else interval_from_env())
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self.session.modified_changed.connect(self._on_modified_changed)
        self._written.connect(self._on_written)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.finish)

    # -- writing -------------------------------------------------------------------------
    def save_now(self) -> bool:
        """Write the recovery file now if there is unsaved work; True if a write started."""
        if self._finished or self.lock is None:
            return False
        if not self.session.modified:
            self.discard()
            return False
        if self._thread is not None and self._thread.is_alive():
            return False  # a large network is still being written
        experiment = self.session.experiment_with_current_weights()
        about = {"path": str(self.session.path) if self.session.path else None,
                 "steps": self.session.trainer.step_count,
                 "saved": time.strftime("%Y-%m-%d %H:%M:%S")}
        size = sum(w.size for w in experiment.weights or ())
        if size > THREAD_ABOVE_PARAMETERS:
            self._thread = threading.Thread(target=self._write, args=(experiment, about),
                                            name="vanishgui-autosave", daemon=True)
            self._thread.start()
        else:
            self._write(experiment, about)
        return True

    def _write(self, experiment: Experiment, about: dict[str, Any]) -> None:
        try:
            text = dumps(experiment)
            write_atomic(self.about_path, json.dumps(about) + "\n")
            write_atomic(self.path, text)
        except ExperimentError as e:  # inf or NaN weights: keep the last good autosave
            self._written.emit("", str(e))
        except OSError as e:
            self._written.emit("", f"{self.path}: {e.strerror or e}")
        else:
            self._written.emit(str(self.path), "")

    def _on_written(self, path: str, error: str) -> None:
        if self._discard_when_written:  # saved (or discarded) while this was being written
            self._discard_when_written = False
            self.discard()
            return
        if path:
            self.writes += 1
            self.last_error = None
            self.saved.emit(path)
        else:
            first = self.last_error is None
            self.last_error = error
            if first:
                self.failed.emit(error)

    def report_failures(self, say: Callable[[str], None]) -> None:
        """Tell ``say`` (once, not in a dialog) when autosave cannot work, now or later: a
        read-only data folder used to turn it off silently."""
        self.failed.connect(say)
        if self.last_error is not None:
            say(self.last_error)

    def _on_modified_changed(self, modified: bool) -> None:
        if not modified:  # saved, opened or new: the recovery copy is out of date
            self.discard()

    def discard(self) -> None:
        """Delete this app's recovery file (there is nothing unsaved to recover)."""
        if self._thread is not None and self._thread.is_alive():
            self._discard_when_written = True  # when the writer is done, not blocking now
            return
        for p in (self.path, self.about_path):
            with contextlib.suppress(OSError):
                p.unlink()

    def finish(self) -> None:
        """A clean exit: stop, delete the recovery file and release the lock."""
        if self._finished:
            return
        self._finished = True
        self.timer.stop()
        if self._thread is not None:
            self._thread.join()
        self.discard()
        if self.lock is not None:
            self.lock.unlock()

    # -- recovering ----------------------------------------------------------------------
    def leftovers(self) -> list[Recovery]:
        """Recovery files of apps that are gone without a clean exit, newest first."""
        found: list[Recovery] = []
        if not self.folder.is_dir():
            return found
        for path in self.folder.glob(f"*{EXPERIMENT_SUFFIX}"):
            if not _is_regular(path):  # a folder, a pipe or a link: not ours; left alone
                continue
            key = path.name.removesuffix(EXPERIMENT_SUFFIX)
            if key == self.key or self._still_running(key):
                continue
            about: dict[str, Any] = {}
            about_path = self.folder / f"{key}{ABOUT_SUFFIX}"
            if _is_regular(about_path):
                with contextlib.suppress(RecoveryError):
                    loaded = read_json(about_path, RecoveryError, "recovery note")
                    about = loaded if isinstance(loaded, dict) else {}
            with contextlib.suppress(OSError):
                found.append(Recovery(path, about, os.lstat(path).st_mtime))
        found.sort(key=lambda r: r.saved_at, reverse=True)
        return found

    def _still_running(self, key: str) -> bool:
        lock_path = self.folder / f"{key}{LOCK_SUFFIX}"
        if not os.path.lexists(lock_path):
            return False
        if not _is_regular(lock_path):  # not a lock we made (QLockFile would block on a pipe)
            return True
        lock = QLockFile(str(lock_path))
        lock.setStaleLockTime(0)
        if lock.tryLock(0):  # it was stale: its app is gone (tryLock removed the old lock)
            lock.unlock()
            return False
        return lock.error() == QLockFile.LockError.LockFailedError

    def _remove(self, recovery: Recovery) -> None:
        names = [f"{recovery.key}{suffix}" for suffix in (EXPERIMENT_SUFFIX, ABOUT_SUFFIX,
                                                          LOCK_SUFFIX)]
        # and the temporary file of a write the app was killed in (see write_atomic)
        names += [p.name for p in self.folder.glob(f".{recovery.key}.*.tmp")]
        for name in names:
            with contextlib.suppress(OSError):
                (self.folder / name).unlink()

    def _set_aside(self, recovery: Recovery, why: str) -> str:
        """Move a recovery file that cannot be read (and its companions) into set-aside/,
        with a .txt saying why; one sentence saying where it went."""
        aside = self.folder / SET_ASIDE
        names = [f"{recovery.key}{suffix}" for suffix in (EXPERIMENT_SUFFIX, ABOUT_SUFFIX)]
        names += [p.name for p in self.folder.glob(f".{recovery.key}.*.tmp")]
        try:
            aside.mkdir(exist_ok=True)
            for name in names:
                source = self.folder / name
                if not os.path.lexists(source):
                    continue
                target = aside / name
                n = 1
                while os.path.lexists(target):  # one set aside before under the same name
                    n += 1
                    target = aside / f"{name}.{n}"
                os.rename(source, target)
                if name == recovery.experiment_path.name:  # the reason, beside it
                    with contextlib.suppress(OSError):
                        write_atomic(target.with_name(target.name + ".txt"), why + "\n")
        except OSError as e:  # it stays where it is, still not deleted
            return f"{why}; it could not be set aside ({e.strerror or e})"
        return f"{why}; it was moved to {display_name(aside)}"

    def _read(self, recovery: Recovery) -> Experiment | str:
        """The experiment in a recovery file, or why it cannot be read (one sentence)."""
        path = recovery.experiment_path
        if not _is_regular(path):
            return f"{display_name(path)}: is no longer a regular file"
        try:
            # Our own file, read as data like any other: JSON, checked field by field,
            # through the reader that never blocks and refuses what is not a regular file.
            return load_experiment(path)
        except ExperimentError as e:
            return str(e)

    def _clear(self, recovery: Recovery) -> str | None:
        """Remove a leftover once the person has decided, if it can be read; set it aside
        if not (never delete what could not be read); what was said if set aside."""
        found = self._read(recovery)
        if isinstance(found, str):
            return self._set_aside(recovery, found)
        self._remove(recovery)
        return None

    def recovery_offer(self, answer: str | None = None) -> bool:
        """Offer the newest leftover recovery file that can be read; True if restored.

        ``answer`` ("accept", "discard" or "later") skips the dialog; without it the
        environment's ``VANISHGUI_RECOVERY`` decides, then the person. With no screen
        and no answer, nothing is touched. Newer leftovers that cannot be read are set
        aside first (never deleted); older ones are removed once the offered one is
        restored or discarded (or set aside, if they cannot be read either).
        """
        leftovers = self.leftovers()
        if not leftovers:
            return False
        answer = answer or os.environ.get(ANSWER_ENV) or None
        if answer is None and QGuiApplication.platformName() in ("offscreen", "minimal"):
            return False
        said: list[str] = []
        offered: tuple[int, Recovery, Experiment] | None = None
        for i, recovery in enumerate(leftovers):
            found = self._read(recovery)
            if isinstance(found, str):
                said.append(self._set_aside(recovery, found))
            else:
                offered = (i, recovery, found)
                break
        if offered is None:
            self._tell(said)
            return False
        i, newest, experiment = offered
        if answer is None:
            answer = self._ask(newest, said)
        else:
            self._tell(said)
        if answer not in ("accept", "discard"):
            return False
        restored = False
        if answer == "accept":
            restored = self._restore(newest, experiment)
        self._remove(newest)
        later = [m for m in (self._clear(r) for r in leftovers[i + 1:]) if m]
        self._tell(later)
        if restored:
            self.save_now()  # the restored work is protected again at once
        return restored

    def _tell(self, said: list[str]) -> None:
        """One non-blocking box for the recovery files that were set aside."""
        show_error = getattr(self.window, "show_error", None)
        if said and show_error is not None:
            more = f" (and {len(said) - 1} more)" if len(said) > 1 else ""
            show_error("An autosaved experiment could not be read", f"{said[0]}{more}.")

    def _ask(self, recovery: Recovery, said: list[str] | None = None) -> str:
        when = time.strftime("%A %H:%M", time.localtime(recovery.saved_at))
        name = Path(recovery.original).name if recovery.original else "an unsaved experiment"
        steps = recovery.about.get("steps")
        trained = f", after {steps:,} training steps" if isinstance(steps, int) else ""
        box = QMessageBox(QMessageBox.Icon.Question, "Restore your work?",
                          f"vanishgui did not close properly last time. It kept a copy of "
                          f"{name} from {when}{trained}. Restore it?{_newer(said or [])}",
                          QMessageBox.StandardButton.NoButton, self.window)
        box.setObjectName("recoveryDialog")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        later = box.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.setEscapeButton(later)
        box.exec()
        clicked = box.clickedButton()
        return "accept" if clicked is restore else "discard" if clicked is discard else "later"

    def _restore(self, recovery: Recovery, experiment: Experiment) -> bool:
        self.session.set_experiment(experiment, modified=True)
        original = recovery.original
        self.session.path = Path(original) if original else None
        self.session.path_changed.emit(original or "")
        return True


def _newer(said: list[str]) -> str:
    """What the recovery dialog adds about newer copies that were set aside."""
    if not said:
        return ""
    copies = "A newer copy" if len(said) == 1 else f"{len(said)} newer copies"
    return f"\n\n{copies} could not be read: {said[0]}."
