"""Files the GUI can be handed or left with: a bad one gets a dialog and the open
experiment stays; an interrupted save never damages the previous file; a corrupted
settings store is ignored; every file is read as data (no pickle, no eval)."""

from __future__ import annotations

import ast
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QMessageBox

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import (
    CLASSIC,
    MAX_FILE_BYTES,
    classic,
    dumps,
    load_experiment,
    save_experiment,
)
from vanishgui.ui.lesson.player import install as lesson_install
from vanishgui.ui.model.session import Session

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "vanishgui"


def spin() -> None:
    """Run the event loop once: closed windows' deleteLater() happens here."""
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()


@pytest.fixture(autouse=True)
def _delete_closed_windows(qapp):
    yield
    spin()


@pytest.fixture(scope="module")
def shared_window(qapp):
    """One window for the module (a new window per test costs ~1 s more each time)."""
    w = build_window(Session(classic()), restore=False)
    w.resize(1200, 800)
    w.show()
    yield w
    w.session.pause()
    w.close()
    w.deleteLater()
    spin()


@pytest.fixture
def window(shared_window):
    shared_window.session.new()  # the classic example, nothing unsaved, no file
    yield shared_window
    shared_window.session.pause()
    close_errors(shared_window)


def valid_doc(**changes) -> dict:
    doc = json.loads(json.dumps(CLASSIC))
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = doc
        for key in path:
            node = node[key]
        node[last] = value
    return doc


def text_of(doc) -> bytes:
    return json.dumps(doc).encode()


GOOD = text_of(valid_doc())
MALFORMED: dict[str, bytes] = {
    "empty": b"",
    "only spaces": b"   \n\t ",
    "binary garbage": bytes(random.Random(7).randrange(256) for _ in range(2048)),
    "latin-1, not UTF-8": "{\"format\": \"café\"}".encode("latin-1"),
    "UTF-16": GOOD.decode().encode("utf-16"),
    "cut in half": GOOD[: len(GOOD) // 2],
    "a list, not an object": b"[1, 2, 3]",
    "null": b"null",
    "a number": b"42",
    "another program's JSON": b'{"name": "my-package", "version": "1.0.0"}',
    "wrong format name": text_of(valid_doc(format="vanishgui-lesson")),
    "version 2": text_of(valid_doc(version=2)),
    "version true": text_of(valid_doc(version=True)),
    "unknown field": text_of({**valid_doc(), "extra": 1}),
    "network missing": text_of({k: v for k, v in valid_doc().items() if k != "network"}),
    "65 weight layers": text_of(valid_doc(**{"network.layers": [1] * 66})),
    "257 wide": text_of(valid_doc(**{"network.layers": [1, 257, 1]})),
    "width 0": text_of(valid_doc(**{"network.layers": [1, 0, 1]})),
    "width 2.5": text_of(valid_doc(**{"network.layers": [1, 2.5, 1]})),
    "layers a string": text_of(valid_doc(**{"network.layers": "1, 2, 1"})),
    "unknown activation": text_of(valid_doc(**{"network.hidden_activation": "sigmoidd"})),
    "activation with code": text_of(valid_doc(**{
        "network.hidden_activation": "__import__('os').system('true')"})),
    "NaN weight": GOOD.replace(b'"init"', b'"weights": [[[NaN]], [[1]], [[1]]], "init"'),
    "Infinity learning rate": GOOD.replace(b'"learning_rate": 0.5',
                                           b'"learning_rate": Infinity'),
    "1e999 learning rate": GOOD.replace(b'"learning_rate": 0.5', b'"learning_rate": 1e999'),
    "learning rate 11": text_of(valid_doc(**{"training.learning_rate": 11})),
    "learning rate 0": text_of(valid_doc(**{"training.learning_rate": 0})),
    "a 5000-digit number": GOOD.replace(b'"learning_rate": 0.5',
                                        b'"learning_rate": ' + b"9" * 5000),
    "nested 100000 deep": b"[" * 100_000 + b"]" * 100_000,
    "weights of the wrong shape": text_of(valid_doc(**{
        "network.weights": [[[1.0, 2.0]], [[1.0]], [[1.0]]]})),
    "bce with a ReLU output": text_of(valid_doc(**{
        "network.output_activation": "relu", "training.loss": "bce"})),
    "a million samples": text_of(valid_doc(**{"data": {"dataset": "circles",
                                                       "samples": 1_000_000}})),
    "noise 2": text_of(valid_doc(**{"data": {"dataset": "circles", "noise": 2}})),
    "inputs and a dataset": text_of(valid_doc(**{"data.dataset": "circles"})),
    "targets missing": text_of(valid_doc(**{"data": {"inputs": [[0.5]]}})),
    "batch larger than the data": text_of(valid_doc(**{"training.batch_size": 2})),
}


def visible_errors(window) -> list[QMessageBox]:
    return [w for w in window.findChildren(QMessageBox) if w.isVisible()]


def close_errors(window) -> None:
    for box in visible_errors(window):
        box.close()


def state_of(window) -> tuple:
    s = window.session
    return (s.experiment, s.trainer.step_count, s.modified, s.path, window.windowTitle(),
            [w.copy() for w in s.trainer.network.weights])


def assert_unchanged(window, before: tuple) -> None:
    after = state_of(window)
    assert after[0] is before[0]
    assert after[1:5] == before[1:5]
    for a, b in zip(after[5], before[5]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_file_gets_a_dialog_and_the_experiment_stays(window, tmp_path, name):
    window.session.train_step()
    before = state_of(window)
    path = tmp_path / f"{name.replace(' ', '-')}.vanishgui.json"
    path.write_bytes(MALFORMED[name])
    assert not window.open_path(path)
    assert_unchanged(window, before)
    boxes = visible_errors(window)
    assert len(boxes) == 1
    message = boxes[0].text()
    assert str(path) in message  # it names the file
    assert "\n" not in message and "Traceback" not in message  # one sentence, for a person
    assert len(message) < 400 + len(str(path))
    close_errors(window)


LESSON_CASES = ["empty", "binary garbage", "cut in half", "a list, not an object", "null",
                "another program's JSON", "wrong format name", "nested 100000 deep",
                "a 5000-digit number"]


@pytest.mark.parametrize("name", LESSON_CASES)
def test_a_malformed_lesson_gets_a_dialog_and_the_experiment_stays(window, tmp_path, name):
    player = lesson_install(window)  # the window's own lesson player
    window.session.train_step()
    before = state_of(window)
    path = tmp_path / f"{name.replace(' ', '-')}.lesson.json"
    path.write_bytes(MALFORMED[name])
    assert not player.open_path(path)
    assert_unchanged(window, before)
    (box,) = visible_errors(window)
    assert path.name in box.text(), box.text()
    assert "\n" not in box.text() and "Traceback" not in box.text()
    close_errors(window)
    assert player.lesson is None


def test_paths_that_are_not_experiment_files(window, tmp_path):
    window.session.train_step()
    before = state_of(window)
    huge = tmp_path / "huge.vanishgui.json"
    with huge.open("wb") as f:  # sparse: over the limit on paper, nothing on disk
        f.truncate(MAX_FILE_BYTES + 1)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for path, words in ((tmp_path / "missing.json", "cannot be read"),
                        (tmp_path, "is a folder"),
                        (huge, "at most"),
                        (loop, "cannot be read")):
        assert not window.open_path(path)
        assert_unchanged(window, before)
        (box,) = visible_errors(window)
        assert words in box.text() and str(path) in box.text()
        close_errors(window)


def test_a_recent_file_that_is_gone(window, tmp_path):
    path = tmp_path / "gone.vanishgui.json"
    save_experiment(path, classic())
    assert window.open_path(path)
    path.unlink()
    window.session.train_step()
    before = state_of(window)
    window._open_recent(str(path))
    assert_unchanged(window, before)
    assert "cannot be read" in visible_errors(window)[0].text()
    close_errors(window)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.vanishgui.json"
    os.mkfifo(fifo)
    code = ("import sys\nfrom vanishgui.core.experiment import ExperimentError, "
            "load_experiment\ntry:\n    load_experiment(sys.argv[1])\nexcept ExperimentError as e:"
            "\n    print(e)\n")
    try:
        out = subprocess.run([sys.executable, "-c", code, str(fifo)], cwd=ROOT,
                             capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("opening a FIFO blocked")
    assert str(fifo) in out.stdout


# -- saving ---------------------------------------------------------------------------------
def test_a_failed_rename_leaves_the_previous_file_whole(window, tmp_path, monkeypatch):
    path = tmp_path / "kept.vanishgui.json"
    assert window.save_to(path)
    previous = path.read_bytes()
    window.session.train_step()

    def disk_gone(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", disk_gone)
    assert not window.save_to(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    (box,) = visible_errors(window)
    assert "previous file is unchanged" in box.text() and str(path) in box.text()
    close_errors(window)
    assert window.session.modified  # the work is still unsaved, and still there
    assert window.open_path(path)


def test_saving_into_a_missing_folder(window, tmp_path):
    window.session.train_step()
    before = state_of(window)
    assert not window.save_to(tmp_path / "no" / "such" / "folder.vanishgui.json")
    assert_unchanged(window, before)
    assert visible_errors(window)
    close_errors(window)


WRITER = r"""
import os, sys, time
from vanishgui.core.experiment import classic, save_experiment
stop_at = sys.argv[2]
def stuck(*args):
    print("stopped", flush=True)
    time.sleep(120)
if stop_at == "fsync":
    os.fsync = stuck
elif stop_at == "rename":
    os.replace = stuck
t = classic().trainer()
steps = 0
while True:
    t.step()
    steps += 1
    save_experiment(sys.argv[1], classic().with_parameters(t.network))
    if stop_at == "never" and steps == 1:
        print("saving", flush=True)
"""


@pytest.mark.parametrize("stop_at", ["fsync", "rename"])
def test_a_writer_killed_between_write_and_rename_leaves_the_previous_file(
        window, tmp_path, stop_at):
    path = tmp_path / "lesson.vanishgui.json"
    save_experiment(path, classic())
    previous = path.read_bytes()
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path), stop_at], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout.readline().strip() == "stopped"
        temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temporary) == 1 and temporary[0].stat().st_size > 0  # written, not renamed
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert path.read_bytes() == previous
    assert window.open_path(path)
    assert dumps(window.session.experiment) == previous.decode()


def test_a_writer_killed_at_random_moments_never_leaves_a_damaged_file(tmp_path):
    path = tmp_path / "busy.vanishgui.json"
    save_experiment(path, classic())
    rng = random.Random(2024)
    for _ in range(4):
        with subprocess.Popen([sys.executable, "-c", WRITER, str(path), "never"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout.readline().strip() == "saving"
            try:
                child.wait(timeout=rng.uniform(0.05, 0.4))
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
        exp = load_experiment(path)  # whole and valid whenever the writer died
        assert exp.weights is not None


def test_saving_a_diverged_network_gives_a_dialog(window, tmp_path):
    from vanishgui.core.experiment import parse_experiment

    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [1, 4, 4, 4, 4, 4, 1], "hidden_activation": "linear",
                       "output_activation": "linear",
                       "init": {"scheme": "normal", "std": 2.0, "seed": 1}},
           "data": {"dataset": "sine", "samples": 32},
           "training": {"loss": "mse", "learning_rate": 10}}
    window.session.set_experiment(parse_experiment(doc))
    while window.session.diverged_at is None:
        window.session.train_step()
    path = tmp_path / "diverged.vanishgui.json"
    assert not window.save_to(path)
    assert not path.exists()
    (box,) = visible_errors(window)
    assert "inf or NaN" in box.text()
    close_errors(window)


def test_the_largest_network_opens_again_after_saving(tmp_path):
    from vanishgui.core.experiment import parse_experiment

    exp = parse_experiment({"format": "vanishgui-experiment", "version": 1,
                            "network": {"layers": [1] + [256] * 63 + [1]},
                            "data": {"inputs": [[0.5]], "targets": [[1.0]]},
                            "training": {"loss": "squared", "learning_rate": 0.5}})
    path = tmp_path / "widest.vanishgui.json"
    save_experiment(path, exp.with_parameters(exp.build_network()))
    load_experiment(path)


# -- the settings store ---------------------------------------------------------------------
# (A pickle, a named pipe, a symlink or a huge file as settings: see test_settings.py.)
@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """A settings file of the test's own, which the windows built in it use."""
    from vanishgui.ui.shell import settings as settings_module

    path = tmp_path / "config" / "settings.json"
    path.parent.mkdir()

    def load() -> settings_module.Settings:
        store = settings_module.Settings(path)
        monkeypatch.setattr(settings_module, "_current", store)
        return store

    return path, load


CORRUPT_SETTINGS = {
    "binary garbage": bytes(random.Random(3).randrange(256) for _ in range(4096)),
    "wrong types": json.dumps({"format": "vanishgui-settings", "version": 1,
                               "window": {"geometry": "AAEC garbage", "state": [1, 2]},
                               "files": {"recent": 42, "last": None},
                               "projector": {"zoom": True, "theme": 1.5}}).encode(),
    "wrong shapes": json.dumps({"format": "vanishgui-settings", "version": 1,
                                "window": "geometry", "files": [["recent"]],
                                "projector": {"zoom": 1e400}}).encode(),
    "bytes that are not a state": json.dumps(
        {"format": "vanishgui-settings", "version": 1,
         "window": {"geometry": "AAECAwQFBgcICQ==", "state": "/////w=="}}).encode(),
    "one long line": b'{"files": {"recent": ["' + b"x" * 1_000_000 + b'"]}}',
    "not a file": None,  # a folder where the file should be
}


@pytest.mark.parametrize("name", list(CORRUPT_SETTINGS))
def test_a_corrupted_settings_store_is_ignored(settings_file, qtbot, name):
    path, load = settings_file
    content = CORRUPT_SETTINGS[name]
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    load()
    w = build_window(restore=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert all(isinstance(f, str) for f in w.recent_files())
    assert w.session.experiment.layers == (1, 1, 1, 1)  # the defaults
    boxes = visible_errors(w)  # one notice, naming the file, not blocking
    if name == "bytes that are not a state":  # well-formed: Qt refuses them, nothing to say
        assert boxes == []
    else:
        assert len(boxes) == 1 and str(path) in boxes[0].text()
    close_errors(w)
    w.session.train_step()
    w.close()  # writing the state back must not fail either
    if content is None:
        assert path.is_dir()  # left as it is
    else:
        json.loads(path.read_text())  # replaced by a good file


def test_the_app_never_writes_python_objects_into_the_settings(settings_file, qtbot, tmp_path):
    """The settings file is JSON of strings, numbers and lists of strings; nothing in it
    is ever turned into code."""
    path, load = settings_file
    load()
    w = build_window(restore=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.save_to(tmp_path / "a.vanishgui.json")
    w.projector.actions["projector_dark"].trigger()
    w.projector.actions["projector_dark"].trigger()
    w.close()
    doc = json.loads(path.read_text())
    assert doc["files"]["recent"] == [str(tmp_path / "a.vanishgui.json")]
    leaves = [v for section in doc.values() if isinstance(section, dict)
              for v in section.values()]
    assert leaves and all(isinstance(v, (str, float, list)) for v in leaves)
    assert not (path.parent / "vanishgui.conf").exists()


def startup_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANISHGUI_")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), VANISHGUI_STARTUP_PROBE="1")
    return env


def start_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Start the real app; the startup probe quits it after its first paint."""
    return subprocess.run([sys.executable, "-m", "vanishgui", *args], cwd=ROOT,
                          env=startup_env(tmp_path), capture_output=True, text=True,
                          timeout=120)


def test_a_last_file_with_a_nul_byte_does_not_stop_the_start(tmp_path):
    settings_json = tmp_path / "config" / "vanishgui" / "settings.json"
    settings_json.parent.mkdir(parents=True)
    settings_json.write_text(json.dumps({"format": "vanishgui-settings", "version": 1,
                                         "files": {"last": "lesson\u0000.json"}}))
    out = start_app(tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]


def test_the_app_starts_with_corrupted_settings_and_a_bad_file(tmp_path):
    config = tmp_path / "config" / "vanishgui"
    config.mkdir(parents=True)
    (config / "settings.json").write_bytes(CORRUPT_SETTINGS["binary garbage"])
    (config / "vanishgui.conf").write_bytes(CORRUPT_SETTINGS["binary garbage"]
                                            + b"\n[files]\nlast=/no/such.json\n")
    bad = tmp_path / "bad.vanishgui.json"
    bad.write_bytes(MALFORMED["cut in half"])
    for args in ([], [str(bad)]):
        out = start_app(tmp_path, *args)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "first-paint-seconds=" in out.stdout
        assert "Traceback" not in out.stderr


# -- data only ------------------------------------------------------------------------------
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "marshal", "shelve", "joblib"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}


def test_no_module_reads_files_as_code():
    """No pickle/marshal/shelve, no eval/exec, no yaml.load, no np.load with pickles."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                names = []
            problems += [f"{where}:{node.lineno} imports {n}" for n in names
                         if n in UNSAFE_MODULES]
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in UNSAFE_CALLS:
                problems.append(f"{where}:{node.lineno} calls {f.id}()")
            if isinstance(f, ast.Attribute):
                owner = f.value.id if isinstance(f.value, ast.Name) else ""
                if f.attr in ("load", "unsafe_load", "full_load") and owner == "yaml":
                    problems.append(f"{where}:{node.lineno} calls yaml.{f.attr}()")
                if owner in ("np", "numpy") and f.attr == "load":
                    problems.append(f"{where}:{node.lineno} calls np.load()")
                if f.attr in ("loads", "load") and owner in UNSAFE_MODULES:
                    problems.append(f"{where}:{node.lineno} calls {owner}.{f.attr}()")
    assert not problems, problems

