"""One reader for every JSON file the core opens: experiments, lessons, the experiment
files a lesson names, and comparisons. A pipe, a folder or a device is refused at once
(never waited on), as are a file over the size limit and one that is not UTF-8, each
with one sentence of the format's own error naming the file."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from vanishgui.core import jsonfile
from vanishgui.core.compare import ComparisonError, load_comparison
from vanishgui.core.experiment import ExperimentError, load_experiment, parse_experiment
from vanishgui.core.jsonfile import MAX_FILE_BYTES, SHOW_CHARS, join_field, show_value
from vanishgui.core.lesson import LessonError, load_lesson

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SECONDS = 1.0  # a loader that takes longer is taken to be blocked
MAX_MESSAGE = 300

posix = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                           reason="needs named pipes and /dev/zero")

# A loader call, the error class it must raise, and the names its message must contain.
Target = tuple[Callable[[], object], type[ValueError], list[str]]


def lesson_naming(file: str) -> dict:
    """A lesson whose one scene shows the experiment file ``file`` next to it."""
    return {"format": "vanishgui-lesson", "version": 1, "title": "Next door",
            "scenes": [{"title": "Start", "text": "An experiment next to the lesson.",
                        "experiment": {"file": file}}]}


def target(kind: str, path: Path, tmp_path: Path) -> Target:
    """How ``kind`` opens ``path``: as an experiment, a lesson, a comparison, or as the
    experiment file a lesson names."""
    if kind == "experiment":
        return (lambda: load_experiment(path)), ExperimentError, [str(path)]
    if kind == "lesson":
        return (lambda: load_lesson(path, EXAMPLES)), LessonError, [path.name]
    if kind == "comparison":
        return (lambda: load_comparison(path)), ComparisonError, [str(path)]
    lesson = tmp_path / "next-door.lesson.json"
    # a path in the lesson's folder by its name; /dev/zero by its absolute path
    named = path.name if path.parent == tmp_path else str(path)
    lesson.write_text(json.dumps(lesson_naming(named)), encoding="utf-8")
    return ((lambda: load_lesson(lesson, EXAMPLES)), LessonError,
            [lesson.name, "experiment.file", path.name])


KINDS = ["experiment", "lesson", "comparison", "lesson's experiment file"]


def outcome_within_a_second(call: Callable[[], object],
                            pipe: Path | None = None) -> BaseException | None:
    """What ``call`` raised (None if nothing), run on a thread; the test fails, rather than
    hangs, when it takes more than SECONDS."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as e:  # handed to the test, whatever it is
            outcome.append(e)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS)
    if thread.is_alive():
        if pipe is not None:  # a writer that comes and goes: the blocked reader sees EOF
            with contextlib.suppress(OSError):
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"the loader was still busy after {SECONDS} s: it blocked")
    return outcome[0]


def assert_one_sentence(outcome: BaseException | None, error: type[ValueError],
                        names: list[str], words: str) -> str:
    assert type(outcome) is error, repr(outcome)
    message = str(outcome)
    assert "\n" not in message and ". " not in message, message
    assert len(message) < MAX_MESSAGE, message
    for name in names:
        assert name in message, (name, message)
    assert words in message, message
    return message


# -- special files: refused at once ---------------------------------------------------------


def make_pipe(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def make_folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.json"
    path.mkdir()
    return path


def dev_zero(tmp_path: Path) -> Path:
    return Path("/dev/zero")


SPECIAL: dict[str, tuple[Callable[[Path], Path], str]] = {
    # name: (how to make it, what the message says it is)
    "a named pipe": (make_pipe, "is a named pipe, not a regular file"),
    "a folder": (make_folder, "is a folder"),
    "/dev/zero": (dev_zero, "is a device, not a regular file"),
}


@posix
@pytest.mark.parametrize("special", list(SPECIAL))
@pytest.mark.parametrize("kind", KINDS)
def test_a_special_file_is_refused_at_once(tmp_path: Path, kind: str, special: str) -> None:
    make, words = SPECIAL[special]
    path = make(tmp_path)
    call, error, names = target(kind, path, tmp_path)
    outcome = outcome_within_a_second(call, path if special == "a named pipe" else None)
    assert_one_sentence(outcome, error, names, words)


@posix
def test_a_pipe_put_in_place_after_the_check_does_not_block(tmp_path: Path,
                                                            monkeypatch) -> None:
    """The path is checked, then opened: should a pipe take the file's place in between,
    opening it does not wait for a writer, and what was opened is checked again."""
    regular = tmp_path / "regular.json"
    regular.write_text("{}", encoding="utf-8")
    pipe = make_pipe(tmp_path)
    real_stat = os.stat

    def stat_before_the_swap(path, *args, **kwargs):  # the pipe, seen as it was before
        return real_stat(regular if os.fspath(path) == os.fspath(pipe) else path,
                         *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_before_the_swap)
    outcome = outcome_within_a_second(lambda: load_experiment(pipe), pipe)
    assert_one_sentence(outcome, ExperimentError, [str(pipe)], "is a named pipe")


# -- files over the limit, and files that are not UTF-8 ---------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_over_the_limit_is_refused(tmp_path: Path, kind: str) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:  # sparse: over the limit on paper, nothing on disk
        f.truncate(MAX_FILE_BYTES + 1)
    call, error, names = target(kind, huge, tmp_path)
    message = assert_one_sentence(outcome_within_a_second(call), error, names, "at most")
    assert f"{MAX_FILE_BYTES:,}" in message


@pytest.mark.parametrize(("holds", "refused"), [(50, False), (150, True)])
def test_a_file_that_grew_after_the_check_is_read_to_the_limit_only(
        tmp_path: Path, monkeypatch, holds: int, refused: bool) -> None:
    """The size the checks see may be out of date (or 0, as /proc's files say): what is
    read past it counts against the limit all the same."""
    monkeypatch.setattr(jsonfile, "MAX_FILE_BYTES", 100)
    path = tmp_path / "growing.json"
    path.write_text("[" + " " * (holds - 2) + "]", encoding="utf-8")
    real_stat, real_fstat = os.stat, os.fstat

    def says_10_bytes(info: os.stat_result) -> os.stat_result:
        return os.stat_result((*info[:6], 10, *info[7:10]))

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: says_10_bytes(real_stat(p, *a, **k)))
    monkeypatch.setattr(os, "fstat", lambda fd: says_10_bytes(real_fstat(fd)))
    if refused:
        with pytest.raises(ExperimentError, match=r"the file is over 100 bytes; an experiment "
                                                  r"is at most 100$"):
            jsonfile.read_bytes(path, ExperimentError, "experiment")
    else:
        assert len(jsonfile.read_bytes(path, ExperimentError, "experiment")) == holds


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path, kind: str) -> None:
    latin1 = tmp_path / "latin-1.json"
    latin1.write_bytes('{"format": "café"}'.encode("latin-1"))
    call, error, names = target(kind, latin1, tmp_path)
    assert_one_sentence(outcome_within_a_second(call), error, names, "not UTF-8")


@pytest.mark.parametrize("kind", KINDS)
def test_a_byte_order_mark_is_allowed(tmp_path: Path, kind: str) -> None:
    """A BOM is read past (Windows' Notepad writes one); what follows is still checked."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b"[1, 2]")
    call, error, names = target(kind, path, tmp_path)
    message = assert_one_sentence(outcome_within_a_second(call), error, names, "JSON object")
    assert "UTF-8" not in message and "not valid JSON" not in message


def test_a_file_name_with_a_line_break_or_a_nul_stays_on_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "two\nlines.json"
    odd.write_text("[", encoding="utf-8")
    with pytest.raises(ExperimentError, match="not valid JSON") as info:
        load_experiment(odd)
    assert "\n" not in str(info.value) and "two\\nlines.json" in str(info.value)
    with pytest.raises(ExperimentError, match="not a usable file name") as info:
        load_experiment(tmp_path / "nul\0.json")
    assert "\n" not in str(info.value)


# -- quoting a user's value -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [
    (None, "null"), (True, "true"), (False, "false"), (3, "3"), (0.5, "0.5"),
    (float("nan"), "nan"), (float("-inf"), "-inf"), ({"a": 1}, "an object"),
    ([1, 2], "a list"), ("relu", '"relu"'), ("café", '"café"'), ("a\nb", '"a\\nb"'),
    ("a\u2028b", '"a\\u2028b"'),  # a line separator: it would break the line in a dialog
])
def test_show_value(value, shown: str) -> None:
    assert show_value(value) == shown


def test_show_value_quotes_at_most_60_characters() -> None:
    assert SHOW_CHARS == 60
    long = "x" * 500
    assert show_value(long) == '"' + "x" * 59 + "…"
    assert show_value("x" * 58) == '"' + "x" * 58 + '"'  # 60 with its quotes: whole


def test_a_long_value_in_an_error_is_cut_short() -> None:
    doc = {"format": "vanishgui-experiment", "version": 1, "network": {"layers": [2, 1]},
           "data": {"dataset": "y" * 5000}, "training": {"loss": "mse", "learning_rate": 1}}
    with pytest.raises(ExperimentError) as info:
        parse_experiment(doc, "e.json")
    message = str(info.value)
    assert message.endswith('got "' + "y" * 59 + "…")
    assert len(message) < MAX_MESSAGE


def test_join_field_keeps_a_key_on_one_short_line() -> None:
    assert join_field("network", "layers") == "network.layers"
    assert join_field("", "format") == "format"
    assert join_field("training", "l\nr") == "training.l\\nr"
    assert join_field("data", "k" * 100) == "data." + "k" * 37 + "..."
