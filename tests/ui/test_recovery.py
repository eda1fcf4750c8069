"""Crash safety: an error anywhere shows a dialog and a log and the app goes on; work is
autosaved, and after the app is killed the next start offers it back, exactly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from vanishgui.core.experiment import classic, dumps, load_experiment, parse_experiment
from vanishgui.ui.shell import autosave as autosave_module
from vanishgui.ui.shell.autosave import Autosave, recovery_folder
from vanishgui.ui.shell.crash import CrashDialog, install_crash_handler, log_folder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _delete_closed_windows(qapp):
    """Run the event loop once after each test, so closed windows are deleted (pytest-qt
    only calls deleteLater(); live old windows make each new one slower to build)."""
    yield
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    loop.exec()


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """Logs and recovery files go to a throwaway folder, never the user's."""
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv(autosave_module.ANSWER_ENV, raising=False)
    QApplication.instance().setApplicationName("vanishgui")
    QApplication.instance().setOrganizationName("vanishgui")
    return home


@pytest.fixture
def crash(qapp, window, data_home):
    handler = install_crash_handler(qapp, lambda: window)
    yield handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()


def _fail_in_a_timer(message: str = "a bug in a slot") -> None:
    def boom() -> None:
        raise RuntimeError(message)

    QTimer.singleShot(0, boom)


# -- the crash handler ---------------------------------------------------------------------
def test_an_error_in_a_slot_gives_a_log_a_dialog_and_the_app_goes_on(crash, window, qtbot,
                                                                     data_home):
    s = window.session
    s.set_speed(16.0)
    s.train()
    assert s.training
    _fail_in_a_timer()
    qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.isVisible(), timeout=5000)
    dialog = crash.dialog
    assert not dialog.isModal()
    assert "RuntimeError: a bug in a slot" in dialog.details.toPlainText()
    assert "Traceback" in dialog.details.toPlainText()
    assert not s.training  # a failing timer would fail again: playing and training pause
    # the log, in the app's data folder
    assert crash.log_path is not None and crash.log_path.parent == log_folder()
    assert log_folder().is_relative_to(data_home)
    text = crash.log_path.read_text()
    assert "RuntimeError: a bug in a slot" in text and "vanishgui 0." in text
    assert str(crash.log_path) in dialog.message.text()
    # Copy to clipboard
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "RuntimeError: a bug in a slot" in QGuiApplication.clipboard().text()
    # and the app still works
    steps = s.trainer.step_count
    window.actions_by_name["train_step"].trigger()
    assert s.trainer.step_count == steps + 1


def answer_dialog_with(button: str) -> list[str]:
    """Click ``button`` of the next modal dialog (the recovery offer); its text is kept."""
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(20, answer)
    return seen


def test_an_error_in_a_paint_event_is_reported_once_and_counted(crash, window, qtbot,
                                                                monkeypatch):
    """PySide6 reports an exception in an overridden Qt method through sys.excepthook."""
    calls = []

    def broken_paint(event) -> None:
        calls.append(1)
        raise ValueError("paint failed")

    monkeypatch.setattr(window.transport.status, "paintEvent", broken_paint)
    for _ in range(3):  # from the event loop (a repaint() called from Python raises there)
        window.transport.status.update()
        qtbot.wait(20)
    qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.isVisible(), timeout=5000)
    assert len(calls) >= 3
    assert len(crash.errors) == 1  # one distinct error, however often it happened
    assert crash.dialog.reports == 1
    assert "happened" in crash.dialog.message.text()
    assert len([w for w in QApplication.topLevelWidgets()
                if isinstance(w, CrashDialog) and w.isVisible()]) == 1
    monkeypatch.undo()
    window.transport.status.repaint()  # paints again once the method is mended


def test_the_dialog_finds_the_main_window_by_itself(qapp, window, data_home, qtbot):
    handler = install_crash_handler(qapp)  # as the app installs it: no window yet
    try:
        assert handler.window_getter() is window
        window.session.train()
        _fail_in_a_timer()
        qtbot.waitUntil(lambda: handler.dialog is not None, timeout=5000)
        assert handler.dialog.parent() is window
        assert not window.session.training
    finally:
        handler.uninstall()
        if handler.dialog is not None:
            handler.dialog.close()


def test_an_error_in_a_thread_is_shown_from_the_gui_thread(crash, qtbot):
    def work() -> None:
        raise OSError("disk on fire")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.isVisible(), timeout=5000)
    assert "OSError: disk on fire" in crash.dialog.details.toPlainText()


def test_logs_are_pruned(crash, qtbot):
    folder = log_folder()
    folder.mkdir(parents=True)
    for i in range(30):
        p = folder / f"vanishgui-2020010{i % 10}-000000-{i}.log"
        p.write_text("old")
        os.utime(p, (1_600_000_000 + i, 1_600_000_000 + i))
    _fail_in_a_timer()
    qtbot.waitUntil(lambda: crash.dialog is not None, timeout=5000)
    assert len(list(folder.glob("vanishgui-*.log"))) == 20


# -- autosave --------------------------------------------------------------------------------
@pytest.fixture
def autosave(window, data_home):
    a = Autosave(window, interval_ms=50)
    yield a
    a.finish()


def test_autosave_writes_only_while_there_is_unsaved_work(autosave, window, qtbot, tmp_path):
    s = window.session
    assert autosave.folder == recovery_folder()
    assert (autosave.folder / f"{autosave.key}.lock").exists()
    qtbot.wait(150)
    assert not autosave.path.exists()  # nothing changed yet
    with qtbot.waitSignal(autosave.saved, timeout=3000):
        s.train_step()
    saved = load_experiment(autosave.path)
    for a, b in zip(saved.weights, s.trainer.network.weights):
        np.testing.assert_array_equal(a, b)
    assert dumps(s.experiment_with_current_weights()) == autosave.path.read_text()
    about = json.loads(autosave.about_path.read_text())
    assert about["steps"] == 1 and about["path"] is None
    # saving makes the recovery copy pointless
    assert window.save_to(tmp_path / "kept.vanishgui.json")
    assert not autosave.path.exists()
    qtbot.wait(150)
    assert not autosave.path.exists()


def test_autosave_keeps_the_last_good_copy_when_training_diverges(autosave, window, qtbot):
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": [1, 4, 4, 4, 4, 4, 1], "hidden_activation": "linear",
                       "output_activation": "linear",
                       "init": {"scheme": "normal", "std": 2.0, "seed": 1}},
           "data": {"dataset": "sine", "samples": 32},
           "training": {"loss": "mse", "learning_rate": 10}}
    s = window.session
    s.set_experiment(parse_experiment(doc))
    with qtbot.waitSignal(autosave.saved, timeout=3000):
        pass
    good = autosave.path.read_text()
    with qtbot.waitSignal(s.diverged, timeout=10_000):
        s.train()
    qtbot.waitUntil(lambda: autosave.last_error is not None, timeout=3000)
    assert "inf or NaN" in autosave.last_error
    assert autosave.path.read_text() == good
    load_experiment(autosave.path)  # still a whole, valid file


def test_a_large_network_is_written_without_blocking(autosave, window, qtbot, monkeypatch):
    monkeypatch.setattr(autosave_module, "THREAD_ABOVE_PARAMETERS", 0)
    s = window.session
    with qtbot.waitSignal(autosave.saved, timeout=5000):
        s.train_step()
    assert autosave._thread is not None
    # the thread says "saved" as its last act; it may take a moment more to end
    qtbot.waitUntil(lambda: not autosave._thread.is_alive(), timeout=2000)
    assert dumps(s.experiment_with_current_weights()) == autosave.path.read_text()


def test_the_interval_comes_from_the_environment(window, data_home, monkeypatch):
    monkeypatch.setenv("VANISHGUI_AUTOSAVE_MS", "1234")
    a = Autosave(window)
    assert a.timer.interval() == 1234
    monkeypatch.setenv("VANISHGUI_AUTOSAVE_MS", "soon")
    b = Autosave(window)
    assert b.timer.interval() == 60_000
    a.finish()
    b.finish()
    assert not list(recovery_folder().iterdir())  # clean exits leave nothing behind


def _leftover(folder: Path, key: str, text: str, about: dict | None = None) -> Path:
    """What a killed app leaves: a recovery file (its lock's process is gone)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.vanishgui.json"
    path.write_text(text)
    if about is not None:
        (folder / f"{key}.about.json").write_text(json.dumps(about))
    return path


def test_the_offer_restores_the_newest_leftover(window, data_home, tmp_path):
    trainer = classic().trainer()
    trainer.train(25)
    exp = classic().with_parameters(trainer.network)
    folder = recovery_folder()
    old = _leftover(folder, "1-1", dumps(classic()))
    os.utime(old, (1_600_000_000, 1_600_000_000))
    original = tmp_path / "lesson.vanishgui.json"
    _leftover(folder, "2-2", dumps(exp), {"path": str(original), "steps": 25})
    (folder / ".2-2.vanishgui.json.abc.tmp").write_text("half a file")
    a = Autosave(window, interval_ms=60_000)
    assert [r.key for r in a.leftovers()] == ["2-2", "1-1"]
    assert a.recovery_offer("later") is False  # left for the next start
    assert len(a.leftovers()) == 2
    assert a.recovery_offer("accept") is True
    s = window.session
    assert dumps(s.experiment_with_current_weights()) == dumps(exp)
    assert s.modified and s.path == original
    assert "•" in window.windowTitle() and "lesson" in window.windowTitle()
    assert a.leftovers() == []
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [a.path.name, a.about_path.name, f"{a.key}.lock"])  # restored work is saved again
    a.finish()


def test_an_offscreen_start_with_no_answer_leaves_the_offer(window, data_home):
    _leftover(recovery_folder(), "3-3", dumps(classic()))
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer() is False
    assert len(a.leftovers()) == 1
    a.finish()


def test_discarding_removes_the_leftover(window, data_home, monkeypatch):
    _leftover(recovery_folder(), "4-4", dumps(classic()))
    monkeypatch.setenv("VANISHGUI_RECOVERY", "discard")
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer() is False
    assert a.leftovers() == []
    a.finish()


def test_a_damaged_leftover_gives_a_dialog_and_the_experiment_stays(window, data_home):
    _leftover(recovery_folder(), "5-5", '{"format": "vanishgui-experiment", "ver')
    before = window.session.experiment
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer("accept") is False
    assert window.session.experiment is before
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "not valid JSON" in boxes[0].text()
    for b in boxes:
        b.close()
    assert a.leftovers() == []
    a.finish()


def test_another_running_app_s_autosave_is_not_offered(window, data_home, qtbot):
    from vanishgui.cli.window import build_window
    from vanishgui.ui.model.session import Session

    other = build_window(Session(), restore=False)
    qtbot.addWidget(other)
    running = Autosave(other, interval_ms=60_000)
    other.session.train_step()
    assert running.save_now() and running.path.exists()
    mine = Autosave(window, interval_ms=60_000)
    assert mine.leftovers() == []  # its lock is held by a live process (this one)
    running.finish()
    mine.finish()


def test_the_recovery_dialog_asks(window, data_home, monkeypatch, qtbot):
    """With a screen, the person is asked (the answer is clicked by a timer here)."""
    _leftover(recovery_folder(), "6-6", dumps(classic()), {"path": None, "steps": 3})
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))
    seen = answer_dialog_with("Discard")
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer() is False
    assert seen and "did not close properly" in seen[0] and "3 training steps" in seen[0]
    assert a.leftovers() == []
    a.finish()


# -- killed for real -----------------------------------------------------------------------
PROBE = r"""
import json, sys
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from vanishgui.__main__ import main


def window():
    return next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")


def train():
    window().session.train()
    print("training", flush=True)


def report():
    from vanishgui.core.experiment import dumps
    w = window()
    s = w.session
    print(json.dumps({"text": dumps(s.experiment_with_current_weights()),
                      "modified": s.modified, "title": w.windowTitle()}), flush=True)
    w.close()


QTimer.singleShot(0, train if sys.argv[1] == "train" else report)
sys.exit(main([]))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANISHGUI_")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), PYTHONPATH=str(ROOT), **extra)
    return env


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # a child process, not the event loop, is being waited for


def test_killed_mid_training_the_next_start_restores_the_last_autosave(tmp_path):
    folder = tmp_path / "data" / "vanishgui" / "vanishgui" / "recovery"
    log = tmp_path / "first-run.err"
    with log.open("w") as err, subprocess.Popen(
            [sys.executable, "-c", PROBE, "train"], cwd=ROOT,
            env=_env(tmp_path, VANISHGUI_AUTOSAVE_MS="200"), stdout=subprocess.PIPE,
            stderr=err, text=True) as child:
        try:
            assert child.stdout.readline().strip() == "training", log.read_text()[-3000:]
            versions: set[int] = set()

            def autosaved_twice() -> bool:
                for p in folder.glob("*.vanishgui.json"):
                    with contextlib.suppress(FileNotFoundError):
                        versions.add(p.stat().st_mtime_ns)
                return len(versions) >= 2

            _wait_for(autosaved_twice, 60, "two autosaves")
            assert child.poll() is None
            assert len(list(folder.glob("*.lock"))) == 1
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    (saved,) = folder.glob("*.vanishgui.json")
    text = saved.read_text()
    autosaved = parse_experiment(json.loads(text))
    assert not all((a == b).all() for a, b in zip(autosaved.weights,
                                                   classic().build_network().weights))

    again = subprocess.run([sys.executable, "-c", PROBE, "report"], cwd=ROOT,
                           env=_env(tmp_path, VANISHGUI_RECOVERY="accept"),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    shown = json.loads(again.stdout.strip().splitlines()[-1])
    assert shown["text"] == text  # bit for bit: every weight's repr is the same
    assert shown["modified"] and "•" in shown["title"]
    # the clean exit after it left nothing behind: no leftovers, no lock, no temporary file
    assert list(folder.iterdir()) == []


# -- what cannot be read is set aside, never deleted -----------------------------------------
UNREADABLE = {
    "version 2": json.dumps({**json.loads(dumps(classic())), "version": 2}),
    "corrupt": '{"format": "vanishgui-experiment", "ver',
    "newer": json.dumps({**json.loads(dumps(classic())), "version": 99,
                         "dropout": {"rate": 0.5}}),
}


def _trained(steps: int = 25):
    trainer = classic().trainer()
    trainer.train(steps)
    return classic().with_parameters(trainer.network)


def _age(path: Path, seconds: int) -> None:
    os.utime(path, (1_600_000_000 + seconds, 1_600_000_000 + seconds))


@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_restoring_past_an_unreadable_newest_copy_keeps_the_older_work(window, data_home,
                                                                        kind):
    folder = recovery_folder()
    good = dumps(_trained())
    _age(_leftover(folder, "1-1", good, {"path": None, "steps": 25}), 0)
    bad = _leftover(folder, "2-2", UNREADABLE[kind], {"path": "/new.vanishgui.json"})
    _age(bad, 100)
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer("accept") is True
    assert dumps(window.session.experiment_with_current_weights()) == good
    aside = folder / "set-aside"
    assert (aside / bad.name).read_text() == UNREADABLE[kind]  # set aside, whole
    reason = (aside / f"{bad.name}.txt").read_text()
    assert bad.name in reason and ("version" in reason or "JSON" in reason)
    assert (aside / "2-2.about.json").exists()
    assert a.leftovers() == []
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1 and "set-aside" in boxes[0].text()  # said once, not in a modal loop
    for b in boxes:
        b.close()
    a.finish()


def test_the_dialog_offers_the_next_readable_copy(window, data_home, monkeypatch):
    folder = recovery_folder()
    _age(_leftover(folder, "1-1", dumps(classic()), {"path": "/old.vanishgui.json"}), 0)
    _age(_leftover(folder, "2-2", UNREADABLE["version 2"], {"path": "/new.vanishgui.json"}),
         100)
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))
    seen = answer_dialog_with("Decide later")
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer() is False
    assert len(seen) == 1
    assert "old.vanishgui.json" in seen[0] and "new.vanishgui.json" not in seen[0]
    assert "could not be read" in seen[0] and "set-aside" in seen[0]
    assert [r.key for r in a.leftovers()] == ["1-1"]  # later: still there
    assert (folder / "set-aside" / "2-2.vanishgui.json").exists()
    a.finish()


def test_discarding_sets_an_unreadable_older_copy_aside(window, data_home):
    folder = recovery_folder()
    _age(_leftover(folder, "1-1", UNREADABLE["corrupt"]), 0)
    _age(_leftover(folder, "2-2", dumps(classic())), 100)
    a = Autosave(window, interval_ms=60_000)
    assert a.recovery_offer("discard") is False
    assert a.leftovers() == []
    assert (folder / "set-aside" / "1-1.vanishgui.json").read_text() == UNREADABLE["corrupt"]
    for b in window.findChildren(QMessageBox):
        b.close()
    a.finish()


def test_a_folder_named_like_a_recovery_file_is_skipped(window, data_home):
    folder = recovery_folder()
    good = dumps(_trained(3))
    _age(_leftover(folder, "1-1", good), 0)
    odd = folder / "9-9.vanishgui.json"
    odd.mkdir()
    (odd / "inside.txt").write_text("someone's files")
    a = Autosave(window, interval_ms=60_000)
    assert [r.key for r in a.leftovers()] == ["1-1"]
    assert a.recovery_offer("accept") is True
    assert dumps(window.session.experiment_with_current_weights()) == good
    assert (odd / "inside.txt").read_text() == "someone's files"
    a.finish()


OFFER = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from vanishgui.cli.window import build_window
from vanishgui.ui.shell.autosave import Autosave
w = build_window(restore=False)
a = Autosave(w, interval_ms=60_000, folder=sys.argv[1])
print("offered", [r.key for r in a.leftovers()], flush=True)
print("restored", a.recovery_offer("accept"), flush=True)
a.finish()
"""


@pytest.mark.parametrize("which", ["experiment", "about", "lock"])
def test_a_named_pipe_in_the_recovery_folder_never_blocks(tmp_path, which):
    folder = tmp_path / "recovery"
    good = _leftover(folder, "1-1", dumps(classic()))
    _age(good, 0)
    suffix = {"experiment": ".vanishgui.json", "about": ".about.json", "lock": ".lock"}[which]
    if which != "experiment":
        _age(_leftover(folder, "2-2", dumps(classic())), 100)
    os.mkfifo(folder / f"2-2{suffix}")
    try:
        out = subprocess.run([sys.executable, "-c", OFFER, str(folder)], cwd=ROOT,
                             env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a named pipe as {which} file blocked the recovery offer")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "restored True" in out.stdout, out.stdout
    if which == "experiment":
        assert "'2-2'" not in out.stdout  # never offered
        assert (folder / "2-2.vanishgui.json").exists()  # nor deleted


def test_an_autosave_that_cannot_work_says_so_once(window, tmp_path, qtbot):
    """A data folder autosave cannot use (here a file where its folder should be) turned
    autosave off silently: last_error was never shown."""
    blocked = tmp_path / "recovery"
    blocked.write_text("not a folder")
    said: list[str] = []
    a = Autosave(window, interval_ms=60_000, folder=blocked)
    a.report_failures(said.append)
    assert len(said) == 1 and "recovery" in said[0] and "\n" not in said[0]
    a._on_written("", "disk full")  # a later write fails: said again only after a success
    a._on_written("", "disk full")
    assert said == [said[0]]
    a.timer.stop()
