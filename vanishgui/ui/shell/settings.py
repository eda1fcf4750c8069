"""The app's settings: a small JSON file of its own, read as data and never as code.

QSettings is not used. PySide6 stores a Python object in a QSettings file as a pickle and
unpickles it (runs it) whenever that key is read, and Qt's INI reader decodes ``\\xNN``
escapes first, so no look at the raw bytes can tell a safe file from a hostile one. The
window's geometry and dock state (base64), the last and recent files and the projector's
zoom and theme live in ``settings.json`` in the app's config folder instead (on Linux
``$XDG_CONFIG_HOME/vanishgui``, where QSettings kept ``vanishgui.conf``).

The file is read only if it is a regular file (never through a symlink, never a named
pipe, a folder or a device) of at most :data:`MAX_BYTES`; each value is checked, and a
wrong one falls back to its default. Writes are atomic. Every problem becomes a notice,
one sentence naming the file, which the window shows once.

:func:`install`, called at start-up, also moves the old QSettings file aside unread and
points Qt's own settings (``QtProject.conf``, which the file dialog reads through
QSettings in this process) at the app's folder, moving aside a ``QtProject.conf`` there
that holds a serialized object. Headless runs get a store that lives only in memory.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import json
import math
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from ...core.jsonfile import display_name, show_value
from ..model.presentation import ZOOM_LADDER

FILE_NAME = "settings.json"
FORMAT = "vanishgui-settings"
VERSION = 1
MAX_BYTES = 1024 * 1024
MAX_RECENT = 10
MAX_PATH_CHARS = 4096
OLD_FILE = "vanishgui.conf"  # QSettings' file, from versions before this one
QT_FILE = "QtProject.conf"  # Qt's own: the file dialog's history, the colour dialog's colours
UNREAD_SUFFIX = ".old-unread"
PROJECTOR_THEMES = ("projector-light", "projector-dark")

# O_NONBLOCK: opening a named pipe otherwise waits for a writer; O_NOFOLLOW: a symlink
# swapped in after the lstat() is refused, not followed.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


class Refused(Exception):
    """A file that is not read: ``reason`` completes a sentence that starts with its name."""

    def __init__(self, reason: str, *, writable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.writable = writable  # may the app replace it with a good file of its own?


def _what(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _check_regular(info: os.stat_result, limit: int) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise Refused("is a symbolic link, which is never followed", writable=False)
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"is {_what(info.st_mode)}, not a regular file", writable=False)
    if info.st_size > limit:
        raise Refused(f"is {info.st_size:,} bytes, and a settings file is at most {limit:,}",
                      writable=True)


def read_small_file(path: Path, limit: int = MAX_BYTES) -> bytes | None:
    """The bytes of a regular file of at most ``limit`` bytes; None if there is no file.

    Never follows a symlink and never blocks (a named pipe, a folder or a device is not
    opened); raises :class:`Refused` for anything else that cannot be read.
    """
    try:
        _check_regular(os.lstat(path), limit)  # a pipe or a device is never even opened
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except Refused:
        raise
    except OSError as e:
        raise Refused(f"cannot be read ({e.strerror or e})", writable=False) from None
    with open(fd, "rb") as f:
        _check_regular(os.fstat(f.fileno()), limit)  # what was opened, in case it changed
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise Refused(f"is over {limit:,} bytes, and a settings file is at most {limit:,}",
                      writable=True)
    return raw


def move_aside(path: Path) -> Path:
    """Rename ``path`` (whatever it is, unread) to ``<name>.old-unread``, or -2, -3, … if
    that is taken; the new path. Raises OSError."""
    for n in range(1, 1000):
        target = path.with_name(path.name + UNREAD_SUFFIX + ("" if n == 1 else f"-{n}"))
        if not os.path.lexists(target):
            os.rename(path, target)  # a symlink is renamed itself, never followed
            return target
    raise OSError(f"{path}: too many files set aside already")


# -- the checks, one per key ------------------------------------------------------------------


def _base64(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected base64 text, got {show_value(value)}")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"expected base64 text, got {show_value(value)}") from None
    return value


def _path_text(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_CHARS:
        raise ValueError(f"expected a file name of at most {MAX_PATH_CHARS} characters, got "
                         f"{show_value(value)}")
    return value


def _recent(value: Any) -> list[str]:
    """The first MAX_RECENT distinct file names in a list; other entries are left out
    (:func:`_bad_recent` says which). ValueError if it is not a list."""
    if not isinstance(value, list):
        raise ValueError(f"expected a list of file names, got {show_value(value)}")
    files: list[str] = []
    for item in value:
        if len(files) == MAX_RECENT:
            break  # enforced on read: a list of 100,000 costs no more than one of 10
        with contextlib.suppress(ValueError):
            name = _path_text(item)
            if name not in files:
                files.append(name)
    return files


def _bad_recent(value: list[Any]) -> str | None:
    """Why the first entry that was left out of a recent-files list was, if one was."""
    for i, item in enumerate(value[:MAX_RECENT]):
        try:
            _path_text(item)
        except ValueError as e:
            return f"[{i}]: {e}"
    return None


def _zoom(value: Any) -> float:
    lo, hi = ZOOM_LADDER[0], ZOOM_LADDER[-1]
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not lo <= value <= hi):
        raise ValueError(f"expected a number from {lo:g} to {hi:g}, got {show_value(value)}")
    return float(value)


def _theme(value: Any) -> str:
    if value not in PROJECTOR_THEMES:
        raise ValueError(f"expected {' or '.join(PROJECTOR_THEMES)}, got {show_value(value)}")
    return str(value)


CHECKS: dict[str, Callable[[Any], Any]] = {
    "window/geometry": _base64, "window/state": _base64,
    "files/last": _path_text, "files/recent": _recent,
    "projector/zoom": _zoom, "projector/theme": _theme,
}


# -- the store ----------------------------------------------------------------------------------


class Settings:
    """The settings, checked, with a typed getter and setter for each.

    ``path`` None keeps them in memory only (headless runs). Setters write the whole file
    at once, atomically; a write that fails leaves the old file and sets ``last_error``.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.name = display_name(path) if path is not None else "the settings"
        self.notices: list[str] = []
        self.last_error: str | None = None
        self._values: dict[str, Any] = {}
        self._writable = path is not None
        if path is not None:
            self._load(path)

    # -- reading --------------------------------------------------------------------------
    def _notice(self, reason: str) -> None:
        self.notices.append(f"{self.name}: {reason}.")

    def _load(self, path: Path) -> None:
        try:
            raw = read_small_file(path)
        except Refused as e:
            self._writable = e.writable
            self._notice(f"{e.reason}; the default settings are used"
                         + ("" if e.writable else " and it is left as it is"))
            return
        if raw is None:
            return
        try:
            doc = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            self._notice("is not a text file (not UTF-8); the default settings are used")
            return
        except (ValueError, RecursionError):
            self._notice("is not valid JSON; the default settings are used")
            return
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            self._notice(f"is not a vanishgui settings file (expected \"format\": "
                         f"\"{FORMAT}\"); the default settings are used")
            return
        version = doc.get("version")
        if version != VERSION or isinstance(version, bool):
            newer = isinstance(version, int) and not isinstance(version, bool) \
                and version > VERSION
            self._writable = not newer  # a newer vanishgui's file is left for it
            self._notice(f"version: expected {VERSION}, got {show_value(version)}; the "
                         "default settings are used"
                         + (" and the file is left as it is" if newer else ""))
            return
        self._check(doc)

    def _check(self, doc: dict[str, Any]) -> None:
        problems: list[str] = []
        for key, check in CHECKS.items():
            group, name = key.split("/")
            section = doc.get(group)
            if not isinstance(section, dict) or name not in section:
                continue
            value = section[name]
            try:
                self._values[key] = check(value)
            except ValueError as e:
                problems.append(f"{group}.{name}: {e}")
                continue
            why = _bad_recent(value) if key == "files/recent" else None
            if why:
                problems.append(f"{group}.{name}{why} (left out)")
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self._notice(f"{problems[0]}{more}; the default is used instead")

    def take_notices(self) -> list[str]:
        """The notices not yet shown (each a sentence); they are given out once."""
        notices, self.notices = self.notices, []
        return notices

    def value(self, key: str) -> Any:
        """A setting by the name QSettings used ("files/recent"), checked, or None; for
        tests and diagnostics (the app uses the typed getters)."""
        if key not in CHECKS:
            raise KeyError(key)
        if key.startswith("window/"):
            return self._bytes(key)
        value = self._values.get(key)
        return list(value) if isinstance(value, list) else value

    def _bytes(self, key: str) -> QByteArray | None:
        text = self._values.get(key)
        return QByteArray(base64.b64decode(text)) if isinstance(text, str) else None

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def last_file(self) -> str | None:
        value = self._values.get("files/last")
        return value if isinstance(value, str) else None

    def recent_files(self) -> list[str]:
        return list(self._values.get("files/recent", []))

    def projector_zoom(self) -> float | None:
        value = self._values.get("projector/zoom")
        return value if isinstance(value, float) else None

    def projector_theme(self) -> str | None:
        value = self._values.get("projector/theme")
        return value if isinstance(value, str) else None

    # -- writing --------------------------------------------------------------------------
    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._set({"window/geometry": base64.b64encode(bytes(geometry.data())).decode("ascii"),
                   "window/state": base64.b64encode(bytes(state.data())).decode("ascii")})

    def set_last_file(self, path: str) -> None:
        with contextlib.suppress(ValueError):  # too long to be a path: not remembered
            self._set({"files/last": _path_text(path)})

    def set_recent_files(self, files: Sequence[str]) -> None:
        self._set({"files/recent": _recent(list(files))})

    def set_projector_zoom(self, zoom: float) -> None:
        with contextlib.suppress(ValueError):
            self._set({"projector/zoom": _zoom(zoom)})

    def set_projector_theme(self, theme: str) -> None:
        with contextlib.suppress(ValueError):
            self._set({"projector/theme": _theme(theme)})

    def _set(self, values: dict[str, Any]) -> None:
        self._values.update(values)
        if self.path is not None and self._writable:
            self._write(self.path)

    def _document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        for key in CHECKS:
            if key in self._values:
                group, name = key.split("/")
                doc.setdefault(group, {})[name] = self._values[key]
        return doc

    def _write(self, path: Path) -> None:
        text = json.dumps(self._document(), indent=1) + "\n"
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):  # planted since: left as it is
                    self.last_error = f"{self.name}: is {_what(info.st_mode)}; not written"
                    return
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # replaces the name; never writes through a symlink
            tmp = None
            self.last_error = None
        except OSError as e:
            self.last_error = f"{self.name}: could not be written ({e.strerror or e})"
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


# -- the folder, the old file and Qt's own file ------------------------------------------------

_INI_ESCAPE = re.compile(r'\\(x[0-9A-Fa-f]*|[0-7]+|.|\n)|"', re.DOTALL)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v", '"': '"', "'": "'", "?": "?", "\\": "\\"}


def _ini_unescape(text: str) -> str:
    """Text as Qt's INI reader decodes it: \\xNN… and octal escapes, quotes dropped."""
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code is None:  # a quote: Qt drops it
            return ""
        if code[0] == "x":
            return chr(int(code[1:], 16) & 0xFFFF) if len(code) > 1 else ""
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFFFF)
        return _SIMPLE_ESCAPES.get(code, "")  # a line break continues the line

    return _INI_ESCAPE.sub(one, text)


def holds_serialized_object(raw: bytes) -> bool:
    """True if Qt would deserialize a value in this INI file (``@Variant(``), which in a
    PySide6 app may unpickle, i.e. run, a Python object."""
    text = _ini_unescape(raw.decode("utf-8", "replace")).lower()
    return "@variant(" in text or "pyobjectwrapper" in text


def config_folder() -> Path | None:
    """The app's config folder (on Linux ``$XDG_CONFIG_HOME/vanishgui``)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base) / "vanishgui" if base else None


def protect_folder(folder: Path) -> list[str]:
    """Move aside, unread, the old QSettings file and a QtProject.conf that Qt must not
    read; the notices saying so."""
    notices: list[str] = []
    old = folder / OLD_FILE
    if os.path.lexists(old):
        try:
            moved = move_aside(old)
        except OSError as e:
            notices.append(f"{display_name(old)}: settings of an older vanishgui could not be "
                           f"moved aside ({e.strerror or e}); they are not read.")
        else:
            notices.append(f"{display_name(old)}: settings of an older vanishgui are no longer "
                           f"read (they could hold Python code); the file is now {moved.name}.")
    qt = folder / QT_FILE
    try:
        raw = read_small_file(qt)
        if raw is None or not holds_serialized_object(raw):
            return notices
        reason = "holds a serialized object, which Qt's dialogs would load"
    except Refused as e:
        reason = e.reason
    try:
        moved = move_aside(qt)
    except OSError as e:  # it stays where Qt would read it: point Qt elsewhere
        notices.append(f"{display_name(qt)}: {reason}, and it could not be moved aside "
                       f"({e.strerror or e}).")
        _point_qt_at(Path(_private_folder()))
        return notices
    notices.append(f"{display_name(qt)}: {reason}; the file is now {moved.name}.")
    return notices


def _point_qt_at(folder: Path) -> None:
    """Qt's own settings (QSettings(UserScope, "QtProject")) are read from ``folder``."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))


def _private_folder() -> str:
    """An empty folder of this run's own, removed at exit."""
    folder = tempfile.mkdtemp(prefix="vanishgui-settings-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


_current: Settings | None = None


def install(*, headless: bool = False) -> Settings:
    """The app's settings for this run; call once at start-up, before any dialog.

    A headless run (``--screenshot``, ``--self-test``) reads and writes nothing: its
    settings live in memory and Qt's in an empty folder of its own.
    """
    global _current
    folder = None if headless else config_folder()
    if folder is None:
        _point_qt_at(Path(_private_folder()))
        _current = Settings(None)
        return _current
    _point_qt_at(folder)
    notices = protect_folder(folder)
    _current = Settings(folder / FILE_NAME)
    _current.notices[:0] = notices
    return _current


def current() -> Settings:
    """The settings :func:`install` made, or (in tests) those in the config folder."""
    global _current
    if _current is None:
        folder = config_folder()
        _current = Settings(folder / FILE_NAME if folder is not None else None)
    return _current
