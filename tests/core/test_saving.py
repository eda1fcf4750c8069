"""Saving through the atomic writer (experiments, comparisons, exports): a symlink stays a
link to the new content, the file's mode is kept, a hard-linked file is refused rather
than split, and temporary files left by a killed save are cleared by the next one."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import assert_one_sentence

from vanishgui.core.compare import load_comparison, make_comparison, save_comparison
from vanishgui.core.experiment import (
    CLASSIC,
    classic,
    dumps,
    load_experiment,
    parse_experiment,
    save_experiment,
    write_atomic,
)

ROOT = Path(__file__).resolve().parents[2]
posix = pytest.mark.skipif(os.name != "posix", reason="POSIX modes, links and signals")
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.vanishgui-tmp-(?P<pid>\d+)-[0-9a-z]+\.tmp$")


def other_experiment():
    doc = {**CLASSIC, "training": {**CLASSIC["training"], "learning_rate": 0.25}}
    return parse_experiment(doc)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def assert_save_refused(error: BaseException, path: Path, *words: str) -> None:
    """An OSError (callers catch that) whose text is one sentence naming the file, and whose
    strerror reads on after "PATH: " as the windows print it."""
    assert isinstance(error, OSError), repr(error)
    message = str(error)
    assert_one_sentence(message)
    assert "[Errno" not in message and str(path) in message, message
    assert error.strerror and str(path) not in error.strerror, error.strerror
    assert_one_sentence(error.strerror)
    for word in words:
        assert word in message, (word, message)


# -- links ---------------------------------------------------------------------------------


@posix
@pytest.mark.parametrize("how", ["relative", "absolute", "a chain of two"])
def test_a_symlink_stays_a_symlink_and_its_target_gets_the_new_content(tmp_path: Path,
                                                                       how: str) -> None:
    real = tmp_path / "kept" / "exp.json"
    real.parent.mkdir()
    save_experiment(real, classic())
    link = tmp_path / "link.json"
    link.symlink_to(Path("kept/exp.json") if how == "relative" else real)
    if how == "a chain of two":
        first, link = link, tmp_path / "link2.json"
        link.symlink_to(first.name)
    pointed = os.readlink(link)
    new = other_experiment()
    save_experiment(link, new)
    assert link.is_symlink() and os.readlink(link) == pointed
    assert not real.is_symlink()
    assert real.read_text("utf-8") == dumps(new)
    assert load_experiment(link).learning_rate == 0.25
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


@posix
def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    save_experiment(link, classic())
    assert link.is_symlink() and (tmp_path / "made.json").read_text("utf-8") == dumps(classic())


@posix
def test_a_symlink_loop_is_refused_in_one_sentence(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    with pytest.raises(OSError) as info:
        save_experiment(a, classic())
    assert_save_refused(info.value, a)
    assert a.is_symlink() and b.is_symlink() and leftovers(tmp_path) == []


@posix
def test_a_hard_linked_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    save_experiment(path, classic())
    other = tmp_path / "same-file.json"
    os.link(path, other)
    before = path.read_bytes()
    with pytest.raises(OSError) as info:
        save_experiment(path, other_experiment())
    assert_save_refused(info.value, path, "hard link")
    assert path.read_bytes() == before == other.read_bytes()
    assert path.stat().st_ino == other.stat().st_ino and path.stat().st_nlink == 2
    assert leftovers(tmp_path) == []


def test_a_folder_in_the_way_is_refused_in_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "exp.json"
    folder.mkdir()
    with pytest.raises(OSError) as info:
        save_experiment(folder, classic())
    assert_save_refused(info.value, folder, "folder")
    assert folder.is_dir() and leftovers(tmp_path) == []


# -- modes -----------------------------------------------------------------------------------


@posix
@pytest.mark.parametrize("mode", [0o664, 0o600, 0o640, 0o644, 0o666, 0o444], ids=oct)
def test_the_files_mode_is_kept(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "exp.json"
    save_experiment(path, classic())
    path.chmod(mode)
    save_experiment(path, other_experiment())
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert load_experiment(path).learning_rate == 0.25


@posix
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["umask 022", "umask 002", "umask 077"])
def test_a_new_file_gets_the_usual_mode(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        save_experiment(tmp_path / "new.json", classic())
        write_atomic(tmp_path / "history.csv", "step,loss\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "history.csv").stat().st_mode) == mode


@posix
def test_a_comparison_keeps_its_mode_and_link_too(tmp_path: Path) -> None:
    comparison = make_comparison(classic(), "activation", ["sigmoid", "relu"])
    real = tmp_path / "real.comparison.json"
    save_comparison(real, comparison)
    real.chmod(0o664)
    link = tmp_path / "link.comparison.json"
    link.symlink_to(real.name)
    save_comparison(link, make_comparison(classic(), "activation", ["tanh", "relu"]))
    assert link.is_symlink() and stat.S_IMODE(real.stat().st_mode) == 0o664
    assert load_comparison(real).values == ("tanh", "relu")


# -- temporary files ---------------------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_the_temporary_file_is_named_recognisably(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "exp.json"
    seen: list[str] = []
    real_fsync = os.fsync

    def looking_fsync(fd: int) -> None:
        seen.extend(leftovers(tmp_path))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", looking_fsync)
    save_experiment(path, classic())
    assert len(seen) == 1, seen
    found = TEMP_NAME.match(seen[0])
    assert found and found["name"] == "exp.json" and int(found["pid"]) == os.getpid(), seen
    # what the autosave's clean-up looks for, ".KEY.*.tmp", still matches
    assert Path(seen[0]).match(".exp.json.*.tmp")
    assert leftovers(tmp_path) == []


@posix
def test_stale_temporary_files_are_removed_by_the_next_save(tmp_path: Path) -> None:
    dead, alive = dead_pid(), os.getpid()
    planted = {
        f".exp.json.vanishgui-tmp-{dead}-k1l1ed.tmp": False,  # its save was killed
        f".other.json.vanishgui-tmp-{dead}-abc.tmp": False,  # any of ours in the folder
        f".exp.json.vanishgui-tmp-{alive}-busy.tmp": True,  # a save still going on
        f".exp.json.vanishgui-tmp-{alive}-old.tmp": False,  # ... for over an hour: stuck
        ".exp.json.abc123.tmp": True,  # not ours
        "notes.vanishgui-tmp-1-x.tmp": True,  # not ours either (no leading dot)
    }
    for name in planted:
        (tmp_path / name).write_text("half a file", encoding="utf-8")
    hours_ago = time.time() - 2 * 3600
    os.utime(tmp_path / f".exp.json.vanishgui-tmp-{alive}-old.tmp", (hours_ago, hours_ago))
    save_experiment(tmp_path / "exp.json", classic())
    kept = {name for name, keep in planted.items() if keep}
    assert set(leftovers(tmp_path)) == kept
    assert load_experiment(tmp_path / "exp.json").learning_rate == 0.5


WRITER = r"""
import os, sys, time
from vanishgui.core.experiment import classic, save_experiment
def stuck(*args):
    print("stopped", flush=True)
    time.sleep(120)
os.fsync = stuck
save_experiment(sys.argv[1], classic())
"""


@posix
def test_a_save_killed_mid_write_is_cleared_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stdout.readline().strip() == "stopped"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert len(leftovers(tmp_path)) == 1 and not path.exists()
    save_experiment(path, other_experiment())
    assert leftovers(tmp_path) == []
    assert load_experiment(path).learning_rate == 0.25


# -- folders that cannot be written ---------------------------------------------------------------


@posix
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into a read-only folder anyway; see the test below")
def test_a_read_only_folder_is_one_sentence_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "exp.json"
    save_experiment(path, classic())
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(OSError) as info:
            save_experiment(path, other_experiment())
    finally:
        folder.chmod(0o755)
    assert_save_refused(info.value, path, "Permission denied")
    assert path.read_bytes() == before and leftovers(folder) == []


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_folder_that_refuses_the_temporary_file_is_one_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """As a read-only folder (or file system) answers, even to root."""
    path = tmp_path / "exp.json"
    save_experiment(path, classic())
    before = path.read_bytes()
    real_open = os.open

    def refusing_open(name, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(OSError) as info:
        save_experiment(path, other_experiment())
    monkeypatch.undo()
    assert info.value.errno == code
    assert_save_refused(info.value, path, os.strerror(code))
    assert path.read_bytes() == before and leftovers(tmp_path) == []


def test_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "exp.json"
    with pytest.raises(OSError) as info:
        save_experiment(path, classic())
    assert_save_refused(info.value, path, "folder")
