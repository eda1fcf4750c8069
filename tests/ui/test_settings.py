"""The settings are data, never code (issue "Hostile input and faults, round two").

The app keeps its settings in its own JSON file. An old QSettings file is never opened
(PySide6 unpickles, i.e. runs, a Python object it finds there); Qt's own settings
(``QtProject.conf``, read by the file dialog) are kept in the app's folder and checked
first. A named pipe, a symlink or a huge file never blocks, misleads or slows the start;
headless runs (``--screenshot``, ``--self-test``) neither read nor write settings; a file
planted where the runtime folder would go does not stop the start.

Most tests start the real app in a child process (``VANISHGUI_STARTUP_PROBE=1`` makes it
quit after its first paint), with its own HOME, XDG_CONFIG_HOME and XDG_DATA_HOME.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"window": ("geometry", "state"), "files": ("last", "recent"),
        "projector": ("zoom", "theme")}  # every key the app ever wrote into QSettings
PROJECTOR_ZOOM = 1.75  # vanishgui.ui.model.presentation.PROJECTOR_ZOOM

# Starts the app as `python -m vanishgui ARGS` would, and reports what its window shows.
# argv[1] is the mode: "report" prints the window's state (and closes it, unless the
# start-up probe does), "dialog" opens Qt's file dialog, "screenshot" prints the zoom a
# --screenshot run drew at.
PROBE = r"""
import json, os, sys
import vanishgui.cli.screenshot as screenshot_module
import vanishgui.cli.startup as startup

mode = sys.argv[1]


def report(window):
    menu = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    print("REPORT " + json.dumps({
        "recent": window.recent_files(), "menu": len(menu),
        "zoom": window.presentation.zoom, "projector_zoom": window.projector.projector_zoom,
        "notice": getattr(window, "last_error", None),
        "path": None if window.session.path is None else str(window.session.path),
        "runtime": os.environ.get("XDG_RUNTIME_DIR")}), flush=True)


def watch(window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog

    def now():
        if mode == "dialog":
            dialog = QFileDialog(window, "Open experiment")  # reads QtProject.conf
            dialog.open()
            QTimer.singleShot(200, lambda: (dialog.reject(), window.close()))
            return
        report(window)
        if os.environ.get("VANISHGUI_STARTUP_PROBE") != "1":
            window.close()

    QTimer.singleShot(0, now)
    real_watch(window)


def shoot(window, *args):
    code = real_screenshot(window, *args)
    report(window)
    return code


real_watch, startup.watch_first_paint = startup.watch_first_paint, watch
real_screenshot, screenshot_module.screenshot = screenshot_module.screenshot, shoot
from vanishgui.__main__ import main
sys.exit(main(sys.argv[2:]))
"""

# How PySide6 writes a Python object into QSettings: pickled, inside @Variant(...).
WRITE_PICKLE = r"""
import os, sys
from PySide6.QtCore import QCoreApplication, QSettings
app = QCoreApplication([])


class Payload:
    def __reduce__(self):
        return (os.mkdir, (sys.argv[1],))


s = QSettings(sys.argv[2], QSettings.Format.IniFormat)
s.setValue("files/last", Payload())
s.sync()
"""

READ_SETTINGS = r"""
import sys
from PySide6.QtCore import QCoreApplication, QSettings
app = QCoreApplication([])
QSettings(sys.argv[1], QSettings.Format.IniFormat).value(sys.argv[2])
"""


def app_env(tmp_path: Path, probe: bool = True, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VANISHGUI_") and k != "PYTHONPATH"}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               PYTHONPATH=str(ROOT))
    if probe:
        env["VANISHGUI_STARTUP_PROBE"] = "1"
    env.update(extra)
    return env


def folder(tmp_path: Path) -> Path:
    """The app's config folder (where QSettings kept vanishgui.conf)."""
    f = tmp_path / "config" / "vanishgui"
    f.mkdir(parents=True, exist_ok=True)
    return f


def run(tmp_path: Path, args: list[str], *, timeout: float = 120, **env_kw) -> \
        subprocess.CompletedProcess[str]:
    env = env_kw.pop("env", None) or app_env(tmp_path, **env_kw)
    try:
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the app did not finish within {timeout} s (blocked?)")


def start(tmp_path: Path, *args: str, timeout: float = 120, **env_kw) -> \
        subprocess.CompletedProcess[str]:
    """The real app, quitting after its first paint."""
    out = run(tmp_path, ["-m", "vanishgui", *args], timeout=timeout, **env_kw)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return out


def probe(tmp_path: Path, mode: str, *args: str, timeout: float = 120, **env_kw) -> dict:
    out = run(tmp_path, ["-c", PROBE, mode, *args], timeout=timeout, **env_kw)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, out.stdout + out.stderr[-3000:]
    return json.loads(lines[-1].removeprefix("REPORT "))


def first_paint(out: subprocess.CompletedProcess[str]) -> float:
    line = next(x for x in out.stdout.splitlines() if x.startswith("first-paint-seconds="))
    return float(line.split("=", 1)[1])


def json_settings(**values: object) -> str:
    doc: dict = {"format": "vanishgui-settings", "version": 1}
    for key, value in values.items():
        group, name = key.split("_", 1)
        doc.setdefault(group, {})[name] = value
    return json.dumps(doc)


# -- 1. a pickle in a settings file never runs ---------------------------------------------
def payload(tmp_path: Path, marker: Path, escaped: bool) -> str:
    """A QSettings value that makes the folder ``marker`` when PySide6 unpickles it; with
    ``escaped`` its type name is spelled with a \\x57 escape (Qt's reader decodes it)."""
    conf = tmp_path / "maker.conf"
    made = subprocess.run([sys.executable, "-c", WRITE_PICKLE, str(marker), str(conf)],
                          cwd=ROOT, env=app_env(tmp_path / "maker", probe=False),
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    line = next(x for x in conf.read_text().splitlines() if x.startswith("last="))
    value = line.removeprefix("last=")
    assert value.startswith("@Variant(") and "PyObjectWrapper" in value
    return value.replace("PyObjectWrapper", "PyObject\\x57rapper") if escaped else value


def everywhere(value: str, group_first: str = "") -> bytes:
    """An INI file with ``value`` under every key the app ever wrote."""
    text = "".join(f"[{group}]\n" + "".join(f"{name}={value}\n" for name in names)
                   for group, names in KEYS.items())
    return (group_first + text).encode()


DAMAGED = ("@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x18PySide::PyObjectWrapper\\0\\0\\0\\0\\x12"
           "\\x80\\x4\\x95\\a\\0\\0\\0)")  # a pickle cut short: unpickling raises EOFError


@pytest.mark.parametrize("escaped", [False, True], ids=["plain", "escaped"])
def test_the_planted_payload_runs_when_qsettings_reads_it(tmp_path, escaped):
    """The tests below are only worth something if their payload is live."""
    marker = tmp_path / "the-pickle-ran"
    conf = tmp_path / "planted.conf"
    conf.write_bytes(everywhere(payload(tmp_path, marker, escaped)))
    read = subprocess.run([sys.executable, "-c", READ_SETTINGS, str(conf), "projector/theme"],
                          cwd=ROOT, env=app_env(tmp_path, probe=False), capture_output=True,
                          text=True, timeout=60)
    assert marker.is_dir(), read.stderr  # (reading more keys then fails: the folder exists)


@pytest.mark.parametrize("kind", ["plain", "escaped", "damaged"])
def test_a_pickle_in_the_old_settings_file_is_never_run(tmp_path, kind):
    marker = tmp_path / "the-pickle-ran"
    value = DAMAGED if kind == "damaged" else payload(tmp_path, marker, kind == "escaped")
    old = folder(tmp_path) / "vanishgui.conf"
    old.write_bytes(everywhere(value))
    planted = old.read_bytes()
    out = start(tmp_path)
    assert not marker.exists()
    assert "first-paint-seconds=" in out.stdout
    # moved aside, unread and whole; and the app's own file holds no Python object
    assert not old.exists()
    (aside,) = old.parent.glob("vanishgui.conf.*")
    assert aside.read_bytes() == planted
    saved = json.loads((old.parent / "settings.json").read_text())
    assert "Variant" not in json.dumps(saved)
    # a second start finds nothing to move and still runs nothing
    start(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("escaped", [False, True], ids=["plain", "escaped"])
def test_a_pickle_in_qt_s_own_settings_is_never_run(tmp_path, escaped):
    """Qt's file dialog reads QtProject.conf through QSettings, in the app's process."""
    marker = tmp_path / "the-pickle-ran"
    value = payload(tmp_path, marker, escaped)
    dialog_keys = ("[FileDialog]\n" + "".join(
        f"{k}={value}\n" for k in ("history", "lastVisited", "shortcuts", "qtVersion",
                                   "sidebarWidth", "treeViewHeader", "viewMode"))
        + f"[Qt]\nfiledialog={value}\ncustomColors={value}\n")
    for where in (tmp_path / "config", folder(tmp_path)):  # Qt's usual place, and the app's
        (where / "QtProject.conf").write_text(dialog_keys)
    probe_out = run(tmp_path, ["-c", PROBE, "dialog"], probe=False)
    assert probe_out.returncode == 0, probe_out.stderr[-3000:]
    assert not marker.exists()
    assert list(folder(tmp_path).glob("QtProject.conf.*"))  # the app's one was moved aside


@pytest.mark.parametrize("name", ["settings.json", "vanishgui.conf", "QtProject.conf"])
def test_a_named_pipe_as_a_settings_file_does_not_block_the_start(tmp_path, name):
    pipe = folder(tmp_path) / name
    os.mkfifo(pipe)
    start(tmp_path, timeout=60)
    if name == "settings.json":  # refused, and left as it is (never replaced on exit)
        assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


@pytest.mark.parametrize("name", ["settings.json", "vanishgui.conf"])
def test_a_symlinked_settings_file_is_neither_followed_nor_written_through(tmp_path, name):
    target = tmp_path / "elsewhere" / name
    target.parent.mkdir()
    if name == "settings.json":
        target.write_text(json_settings(files_recent=["/followed.vanishgui.json"],
                                        projector_zoom=3.0))
    else:
        target.write_text("[files]\nrecent=/followed.vanishgui.json\n[projector]\nzoom=3\n")
    before = target.read_bytes()
    link = folder(tmp_path) / name
    link.symlink_to(target)
    shown = probe(tmp_path, "report", probe=False)  # closes the window: state is saved
    assert "/followed.vanishgui.json" not in shown["recent"]
    assert shown["projector_zoom"] == PROJECTOR_ZOOM
    assert target.read_bytes() == before
    if name == "settings.json":
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert "symbolic link" in shown["notice"] and "settings.json" in shown["notice"]


def test_a_hundred_thousand_recent_files_are_capped_at_ten(tmp_path):
    recent = [str(i) for i in range(100_000)]
    settings = folder(tmp_path) / "settings.json"
    settings.write_text(json.dumps({"format": "vanishgui-settings", "version": 1,
                                    "files": {"recent": recent}}, separators=(",", ":")))
    assert settings.stat().st_size < 1024 * 1024
    (settings.parent / "vanishgui.conf").write_text("[files]\nrecent=" + ", ".join(recent))
    shown = probe(tmp_path, "report")
    assert shown["recent"] == recent[:10]
    assert shown["menu"] == 10


@pytest.mark.slow
def test_a_hundred_thousand_recent_files_do_not_slow_the_start(tmp_path):
    recent = [str(i) for i in range(100_000)]
    (folder(tmp_path) / "settings.json").write_text(json.dumps(
        {"format": "vanishgui-settings", "version": 1, "files": {"recent": recent}}))
    (folder(tmp_path) / "vanishgui.conf").write_text("[files]\nrecent=" + ", ".join(recent))
    started = time.monotonic()
    out = start(tmp_path)
    assert first_paint(out) < 5 and time.monotonic() - started < 10


@pytest.mark.parametrize("name", ["settings.json", "vanishgui.conf"])
def test_a_200_mb_settings_file_is_ignored_quickly(tmp_path, name):
    huge = folder(tmp_path) / name
    with huge.open("wb") as f:  # sparse: 200 MB on paper
        f.truncate(200 * 1024 * 1024)
    started = time.monotonic()
    shown = probe(tmp_path, "report")
    took = time.monotonic() - started
    assert shown["recent"] == []
    if name == "settings.json":
        assert "settings.json" in shown["notice"] and "1,048,576" in shown["notice"]
    else:
        assert not huge.exists() and list(huge.parent.glob("vanishgui.conf.*"))
    assert took < 60  # reading it would take long; the timing itself is checked in bench


def test_settings_are_remembered_across_starts(tmp_path):
    experiment = tmp_path / "mine.vanishgui.json"
    made = run(tmp_path, ["-c", "import sys\nfrom vanishgui.core.experiment import classic, "
                          "save_experiment\nsave_experiment(sys.argv[1], classic())",
                          str(experiment)])
    assert made.returncode == 0, made.stderr
    shown = probe(tmp_path, "report", str(experiment), probe=False)
    assert shown["path"] == str(experiment) and shown["notice"] is None
    saved = json.loads((folder(tmp_path) / "settings.json").read_text())
    assert saved["files"] == {"last": str(experiment)}
    assert base64.b64decode(saved["window"]["state"], validate=True)
    again = probe(tmp_path, "report", probe=False)  # no argument: the last file reopens
    assert again["path"] == str(experiment) and again["notice"] is None


# -- 2. headless runs leave the settings and the recovery files alone ----------------------
def snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(path.iterdir())}


@pytest.mark.parametrize("run_kind", ["screenshot", "self-test", "record"])
def test_a_headless_run_never_writes_the_settings(tmp_path, run_kind):
    config = folder(tmp_path)
    (config / "settings.json").write_text(json_settings(files_recent=["/a.vanishgui.json"]))
    (config / "vanishgui.conf").write_text("[files]\nrecent=/a.vanishgui.json\n")
    for p in config.iterdir():
        os.utime(p, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = snapshot(config)
    args = {"screenshot": ["--screenshot", str(tmp_path / "shot.png"), "--size", "800x500"],
            "self-test": ["--self-test"],
            "record": ["--record", str(tmp_path / "pass.gif"), "--size", "640x360"]}[run_kind]
    out = run(tmp_path, ["-m", "vanishgui", *args], probe=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert snapshot(config) == before
    config_home = tmp_path / "config"
    assert sorted(str(p.relative_to(config_home)) for p in config_home.rglob("*")) == sorted(
        ["vanishgui", *(f"vanishgui/{n}" for n in before)])
    data = tmp_path / "data"
    assert not data.exists() or not [p for p in data.rglob("*") if p.is_file()]


def test_a_projector_screenshot_does_not_read_the_remembered_zoom(tmp_path):
    config = folder(tmp_path)
    (config / "settings.json").write_text(json_settings(projector_zoom=3.0))
    (config / "vanishgui.conf").write_text("[projector]\nzoom=3\n")
    shown = probe(tmp_path, "screenshot", "--screenshot", str(tmp_path / "shot.png"),
                  "--size", "800x500", "--projector", probe=False)
    assert (tmp_path / "shot.png").stat().st_size > 0
    assert shown["zoom"] == PROJECTOR_ZOOM and shown["projector_zoom"] == PROJECTOR_ZOOM


# -- 4. the runtime folder ------------------------------------------------------------------
@pytest.mark.parametrize("planted", ["file", "symlink", "loose folder", "another user's"])
def test_a_path_planted_as_the_runtime_folder_does_not_stop_the_start(tmp_path, planted):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    spot = tmp / f"vanishgui-runtime-{os.getuid()}"
    decoy = tmp_path / "decoy"
    decoy.mkdir(mode=0o777)
    decoy.chmod(0o777)
    if planted == "file":
        spot.write_text("not a folder")
    elif planted == "symlink":
        spot.symlink_to(decoy)
    else:
        spot.mkdir()
        spot.chmod(0o777)
        if planted == "another user's":
            if os.getuid() != 0:
                pytest.skip("only root can give a folder to another user")
            os.chown(spot, 65534, 65534)
    env = app_env(tmp_path, TMPDIR=str(tmp))
    env.pop("XDG_RUNTIME_DIR", None)
    shown = probe(tmp_path, "report", env=env)
    runtime = Path(shown["runtime"])
    assert runtime.parent == tmp and runtime != spot
    assert runtime.name.startswith(f"vanishgui-runtime-{os.getuid()}-")
    assert not list(decoy.iterdir())
    if planted == "file":
        assert spot.read_text() == "not a folder"
    assert not runtime.exists()  # made for the run, removed after it


# -- the settings store itself ----------------------------------------------------------------
@pytest.fixture
def store_module():
    from vanishgui.ui.shell import settings

    return settings


def test_values_of_the_wrong_type_fall_back_to_defaults(store_module, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"format": "vanishgui-settings", "version": 1,
                                "window": {"geometry": 42, "state": "not base64!"},
                                "files": {"last": ["a"], "recent": ["ok", 7, "x" * 5000]},
                                "projector": {"zoom": "big", "theme": "x" * 500}}))
    s = store_module.Settings(path)
    assert s.window_geometry() is None and s.window_state() is None
    assert s.last_file() is None and s.recent_files() == ["ok"]
    assert s.projector_zoom() is None and s.projector_theme() is None
    (notice,) = s.take_notices()
    assert str(path) in notice and "window.geometry" in notice and "42" in notice
    assert "\n" not in notice and len(notice) < 400
    assert s.take_notices() == []  # once


@pytest.mark.parametrize("content", [
    b"\xff\xfe garbage", b"[1, 2, 3]", b'{"format": "something-else"}',
    b'{"format": "vanishgui-settings", "version": 1, "files": {"recent": ' + b"[" * 100_000
    + b"}"])
def test_a_damaged_file_gives_defaults_and_one_notice(store_module, tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    s = store_module.Settings(path)
    assert s.recent_files() == [] and s.window_state() is None
    (notice,) = s.take_notices()
    assert str(path) in notice and "\n" not in notice
    s.set_recent_files(["/b.vanishgui.json"])  # our own file: replaced by a good one
    assert json.loads(path.read_text())["files"]["recent"] == ["/b.vanishgui.json"]


def test_a_file_from_a_newer_version_is_not_overwritten(store_module, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"format": "vanishgui-settings", "version": 2, "files": {"recent": []}}')
    before = path.read_bytes()
    s = store_module.Settings(path)
    assert "version" in s.take_notices()[0]
    s.set_recent_files(["/c.vanishgui.json"])
    assert s.recent_files() == ["/c.vanishgui.json"]  # for this run
    assert path.read_bytes() == before


def test_writes_are_atomic_and_capped(store_module, tmp_path, monkeypatch):
    from PySide6.QtCore import QByteArray

    path = tmp_path / "cfg" / "settings.json"
    s = store_module.Settings(path)
    s.set_recent_files([f"/{i}.vanishgui.json" for i in range(50)] + ["x" * 5000])
    assert s.recent_files() == [f"/{i}.vanishgui.json" for i in range(10)]
    s.set_window(QByteArray(b"\x00geometry\xff"), QByteArray(b"state"))
    s.set_projector_zoom(2.5)
    s.set_projector_theme("projector-dark")
    s.set_last_file("/last.vanishgui.json")
    again = store_module.Settings(path)
    assert again.recent_files() == s.recent_files()
    assert bytes(again.window_geometry()) == b"\x00geometry\xff"
    assert again.projector_zoom() == 2.5 and again.projector_theme() == "projector-dark"
    assert again.last_file() == "/last.vanishgui.json" and again.take_notices() == []
    previous = path.read_bytes()

    def disk_gone(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", disk_gone)
    s.set_last_file("/other.vanishgui.json")
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary file
    assert s.last_error is not None and str(path) in s.last_error


def test_the_old_file_and_a_pickled_qt_file_are_moved_aside(store_module, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "vanishgui.conf").write_text("[files]\nlast=/x\n")
    (config / "vanishgui.conf.old-unread").write_text("an earlier one")
    (config / "QtProject.conf").write_text('[FileDialog]\nlastVisited="\\x40Var"iant(\\0)\n')
    notices = store_module.protect_folder(config)
    assert not (config / "vanishgui.conf").exists()
    assert (config / "vanishgui.conf.old-unread").read_text() == "an earlier one"
    assert len(list(config.glob("vanishgui.conf.old-unread*"))) == 2
    assert not (config / "QtProject.conf").exists()
    assert len(notices) == 2 and all("\n" not in n for n in notices)
    # a harmless QtProject.conf stays
    (config / "QtProject.conf").write_text("[FileDialog]\nhistory=file:///tmp\n")
    assert store_module.protect_folder(config) == []
    assert (config / "QtProject.conf").exists()
