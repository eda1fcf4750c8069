"""Reading the core's JSON files, and checking their fields one at a time.

Experiments, lessons (and the experiment files a lesson names) and comparisons are all
read by :func:`read_json`: it opens the path without ever blocking, refuses anything
that is not a regular file (a named pipe, a folder, a device, a socket), reads at most
:data:`MAX_FILE_BYTES`, decodes UTF-8 (a byte-order mark is allowed) and parses JSON.
Every problem is one sentence of the format's own error class that names the file and
what was expected. :class:`Fields` then checks the decoded document field by field, and
:func:`show_value` quotes a user's value in those sentences: on one line, at most
:data:`SHOW_CHARS` characters of it and then "…" (:func:`clip` does the same for a name or
a title; :func:`for_message` readies a value for a parser that quotes with ``repr``). Like
all of ``vanishgui.core`` this module never imports Qt.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

MAX_FILE_BYTES = 256 * 1024 * 1024  # the largest network (64 × 256) saves to ~90 MB
SHOW_CHARS = 60  # of a user's value quoted in an error message
KEY_CHARS = 40  # of an unknown field's name in a field path
SIZES_CHARS = 40  # of a network's layer sizes, "[2, 8, 8, 1]", in an error message

# O_NONBLOCK: opening a named pipe for reading otherwise waits for a writer, forever.
# (Windows has neither flag, nor named pipes in the file system; it needs O_BINARY.)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_CLOEXEC", 0))

E = TypeVar("E", bound=ValueError)


# -- reading a file -----------------------------------------------------------------------


def display_name(path: str | os.PathLike[str] | bytes) -> str:
    """The path as error messages print it: as given, but always on one line, and always
    text any console can be given (bytes that are not UTF-8 shown as ``\\xff``)."""
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = name.decode("utf-8", "backslashreplace")
    if not name.isprintable():
        # A file name may hold a line break (or a NUL, which no file can have): escaped,
        # so the message stays one sentence on one line.
        name = json.dumps(name, ensure_ascii=False)[1:-1]
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 (a name from the command line or a folder listing)
        # reach Python as lone surrogates, which no console can print.
        try:
            name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that no byte stands for
            name = json.dumps(name)[1:-1]
    return name


def _a(kind: str) -> str:
    """'an experiment', 'a lesson', 'a comparison'."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _refuse_special(info: os.stat_result, name: str, kind: str, error: type[E]) -> int:
    """The file's size; ``error`` unless ``info`` is a regular file of at most
    MAX_FILE_BYTES."""
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise error(f"{name}: is a folder, not {_a(kind)} file")
    if not stat.S_ISREG(mode):  # reading a pipe, a socket or a device may never end
        what = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
        raise error(f"{name}: is {what}, not a regular file; expected {_a(kind)} file (JSON)")
    if info.st_size > MAX_FILE_BYTES:
        raise error(f"{name}: the file is {info.st_size:,} bytes; {_a(kind)} is at most "
                    f"{MAX_FILE_BYTES:,}")
    return info.st_size


def read_bytes(path: str | os.PathLike[str], error: type[E], kind: str,
               name: str | None = None) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or ``error``.

    ``kind`` ("experiment", "lesson", "comparison") says what was expected; ``name`` is
    how messages name the file (default: the path).
    """
    name = display_name(path) if name is None else name
    try:
        # stat first: opening a socket fails with a confusing reason, and a device may
        # do anything on open.
        _refuse_special(os.stat(path), name, kind, error)
        fd = os.open(path, _OPEN_FLAGS)
        with open(fd, "rb") as f:
            # Checked again on what was opened: the path may have changed in between.
            size = _refuse_special(os.fstat(f.fileno()), name, kind, error)
            # read(n) sets n bytes aside first, so n is the size (+ 1 to notice a file
            # that grew since, or one that says it is empty, as those in /proc do) ...
            raw = f.read(size + 1)
            if len(raw) > size:  # ... and then only as much more as the limit allows
                raw += f.read(MAX_FILE_BYTES + 1 - len(raw))
    except error:
        raise
    except ValueError:  # a path with a NUL byte in it
        raise error(f"{name}: is not a usable file name") from None
    except OSError as e:
        raise error(f"{name}: cannot be read ({e.strerror or e})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"{name}: the file is over {MAX_FILE_BYTES:,} bytes; {_a(kind)} is at "
                    f"most {MAX_FILE_BYTES:,}")
    return raw


def parse_json(text: str, source: str, error: type[E]) -> Any:
    """json.loads, every failure one ``error`` sentence naming ``source``.

    NaN and Infinity are accepted as Python's json reads them: a number field then
    refuses them with a message naming the field.
    """
    # The garbage collector otherwise runs over and over while json.loads builds millions
    # of small lists: a file of 90,000 deeply nested lists took 75 s to read, not 3 s.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: "
                    f"{e.msg})") from None
    except RecursionError:
        raise error(f"{source}: not valid JSON (nested too deeply)") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise error(f"{source}: not valid JSON (a number has too many digits)") from None
    finally:
        if collecting:  # as it was: another thread may be parsing too
            gc.enable()


def read_json(path: str | os.PathLike[str], error: type[E], kind: str,
              name: str | None = None) -> Any:
    """The decoded JSON document in a file (see :func:`read_bytes`), or ``error``."""
    name = display_name(path) if name is None else name
    raw = read_bytes(path, error, kind, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{name}: is not a text file (not UTF-8); expected JSON") from None
    return parse_json(text, name, error)


# -- quoting a value ----------------------------------------------------------------------


def show_value(value: Any) -> str:
    """A user's value as an error message quotes it: JSON's spelling, on one line, at most
    SHOW_CHARS characters and then "…"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # nan, inf, -inf
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and value.bit_length() > 4 * SHOW_CHARS:
        # Only the digits shown are worked out: Python refuses to spell an integer of
        # over 4,300 digits, and a JSON file may hold one.
        text = _leading_digits(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
            if not text.isprintable():  # a line separator or the like inside a string
                text = json.dumps(value)  # every character not ASCII escaped
        except (TypeError, ValueError):  # not from a JSON file: a caller's own object
            text = _ascii(value)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "…"


def _leading_digits(value: int) -> str:
    """The sign and first SHOW_CHARS + 1 digits of a long integer ("…" follows them)."""
    digits = SHOW_CHARS + 1
    magnitude = abs(value)
    # bit_length × log10(2) under-estimates the digits by at most one
    drop = max(0, int((magnitude.bit_length() - 1) * 0.30102999566398) - digits)
    head = str(magnitude // 10**drop)[:digits]
    return ("-" if value < 0 else "") + head


def _ascii(value: object) -> str:
    try:
        return ascii(value)
    except (ValueError, RecursionError):  # an integer past Python's digit limit, say
        return f"a {type(value).__name__}"


def clip(text: str, limit: int = SHOW_CHARS) -> str:
    """``text`` (a name, a title) as a message quotes it: on one line (a character that is
    not printable escaped, as ``\\n``), at most ``limit`` characters and then "…"."""
    cut = text[:limit + 1]  # escaping only lengthens: what is past this is never shown
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in cut)
    return cut if len(cut) <= limit else cut[:limit] + "…"


def one_line(text: str) -> str:
    """``text`` with every character that is not printable escaped (a line break as
    ``\\n``): a message that stays one line."""
    return text if text.isprintable() else clip(text, len(text))


def show_sizes(layers: Any) -> str:
    """A network's layer sizes as a message shows them: "[2, 8, 8, 1]", or for a long
    network its first and last sizes and how many there are."""
    sizes = [int(n) for n in layers]
    text = str(sizes)
    if len(text) <= SIZES_CHARS:
        return text
    return f"[{', '.join(map(str, sizes[:3]))}, …, {sizes[-1]}] ({len(sizes)} sizes)"


# -- messages another module writes ---------------------------------------------------------


class _Shown:
    """Stands in for a list or an object in what another module's ``repr`` quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _LongInt(int):
    """The same integer, quoted by ``repr`` as its first digits and "…"."""

    def __repr__(self) -> str:
        return show_value(int(self))


def for_message(value: Any) -> Any:
    """``value`` (an activation or initialiser spec), and each key and value in it, as the
    parsers that quote what they refuse with ``repr`` may be given it: a list or an object
    inside becomes "a list" or "an object", a huge integer is quoted by its first digits,
    and a string longer than any name is cut to SHOW_CHARS characters (cut or not, it names
    nothing those parsers know, so their checks come out the same), so their messages stay
    one short line whatever the file held (a megabyte list, or one nested past the stack's
    depth, would otherwise be spelled out whole).
    """
    if isinstance(value, Mapping):
        return {_cut(k): _stand_in(v) for k, v in value.items()}
    return _stand_in(value)


def _stand_in(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _Shown("an object")
    if isinstance(value, (list, tuple)):
        return _Shown("a list")
    if isinstance(value, int) and not isinstance(value, bool) and \
            value.bit_length() > 4 * SHOW_CHARS:
        return _LongInt(value)
    return _cut(value)


def _cut(value: Any) -> Any:
    """A string cut so that its repr is at most SHOW_CHARS characters (and "…")."""
    if not isinstance(value, str) or len(value) <= SHOW_CHARS // 2:
        return value
    shown = 2  # the quotes
    for i, char in enumerate(value):
        shown += len(repr(char)) - 2
        if shown > SHOW_CHARS:
            return value[:i] + "…"
    return value


_LONG_WORD = re.compile(rf"\S{{{SHOW_CHARS + 1},}}")


def clip_words(message: str, limit: int = 4 * SHOW_CHARS) -> str:
    """A message that quotes a user's words as they came (argparse's): on one line, every
    word longer than SHOW_CHARS cut to SHOW_CHARS characters and "…", and at most
    ``limit`` characters in all."""
    message = clip(message, 4 * limit)
    message = _LONG_WORD.sub(lambda m: m[0][:SHOW_CHARS] + "…", message)
    return message if len(message) <= limit else message[:limit] + "…"


def join_field(field: str, key: Any) -> str:
    """'network.layers' from 'network' and 'layers', safe to print on one line."""
    # A key comes from the file: an unknown one may hold a line break or be very long,
    # and the message must stay one line.
    key = str(key)
    if not key.isprintable():
        key = json.dumps(key)[1:-1]
    if len(key) > KEY_CHARS:
        key = key[:KEY_CHARS - 3] + "..."
    return f"{field}.{key}" if field else key


def _float(value: int | float) -> float:
    """float(value), or inf for an integer too large for a float (JSON allows 1 and 400 0s)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


# -- checking fields ----------------------------------------------------------------------


class Fields(Generic[E]):
    """Checks one field of a decoded document at a time; every error is one ``error``
    sentence naming the source, the field and the value."""

    def __init__(self, source: str, error: type[E]) -> None:
        self.source = source
        self.error = error

    def prefix(self) -> str:
        """What every message starts with (a lesson adds the scene)."""
        return self.source

    def fail(self, field: str, message: str) -> E:
        where = f"{self.prefix()}: {field}" if field else self.prefix()
        # Every part quotes the file through show_value, clip or join_field: this keeps a
        # slip in one of them from ever breaking the sentence over two lines.
        return self.error(one_line(f"{where}: {message}"))

    def obj(self, value: Any, field: str, allowed: tuple[str, ...],
            required: tuple[str, ...] = ()) -> Mapping[str, Any]:
        """A JSON object with only ``allowed`` keys and every ``required`` one."""
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a JSON object, got {show_value(value)}")
        for key in value:
            if key not in allowed:
                raise self.fail(join_field(field, key),
                                f"unknown field (expected one of {', '.join(allowed)})")
        for key in required:
            if key not in value:
                raise self.fail(join_field(field, key), "this field is required but missing")
        return value

    def integer(self, value: Any, field: str, lo: int, hi: int) -> int:
        """A whole number from lo to hi (2.0 counts as 2)."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(field, f"expected a whole number from {lo} to {hi}, got "
                                   f"{show_value(value)}")
        return value

    def number(self, value: Any, field: str, lo: float, hi: float, *, open_lo: bool = False,
               open_hi: bool = False) -> float:
        """A finite number from lo to hi (above lo with ``open_lo``, below hi with
        ``open_hi``)."""
        lo_s = "above" if open_lo else "from"
        hi_s = "below" if open_hi else "to"
        expect = f"expected a number {lo_s} {lo:g} {hi_s} {hi:g}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"{expect}, got {show_value(value)}")
        number = _float(value)
        if not math.isfinite(number):
            raise self.fail(field, f"{expect}, got {show_value(value)}")
        if number < lo or number > hi or (open_lo and number == lo) or (open_hi and number == hi):
            raise self.fail(field, f"{expect}, got {number!r}")
        return number

    def text(self, value: Any, field: str, limit: int, *, empty: bool = False) -> str:
        """A string of at most ``limit`` characters (not blank unless ``empty``), stripped."""
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(field, f"expected {'a' if empty else 'a non-empty'} string, got "
                                   f"{show_value(value)}")
        if len(value) > limit:
            raise self.fail(field, f"expected at most {limit} characters, got {len(value)}")
        return value.strip()

    def flag(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, f"expected true or false, got {show_value(value)}")
        return value

    def array(self, value: Any, field: str, shape: tuple[int, ...],
              what: str) -> NDArray[np.float64]:
        """A nested list of finite numbers of exactly the given shape."""
        nested = self._nested(value, field, shape, what)
        return np.array(nested, dtype=np.float64).reshape(shape)

    def _nested(self, value: Any, field: str, shape: tuple[int, ...],
                what: str) -> float | list[Any]:
        if not shape:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(field, f"expected a number, got {show_value(value)}")
            number = _float(value)
            if not math.isfinite(number):
                raise self.fail(field, f"expected a finite number, got {show_value(value)}")
            return number
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list of {shape[0]} ({what}), got "
                                   f"{show_value(value)}")
        if len(value) != shape[0]:
            raise self.fail(field, f"expected {shape[0]} entries ({what}), got {len(value)}")
        return [self._nested(v, f"{field}[{i}]", shape[1:], what) for i, v in enumerate(value)]
