"""The PyInstaller app built from packaging/vanishgui.spec starts, passes its self-test,
carries what it needs and not what was trimmed, and installs itself on Linux.

One build per module (about 30 s) into pytest's temporary folders; PyInstaller comes with
the `test` extra.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from apphelpers import app_env, run

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "vanishgui.spec"
EXE = "vanishgui.exe" if sys.platform == "win32" else "vanishgui"
LINUX = sys.platform.startswith("linux")
MiB = 1024 * 1024
# Issue 6's goal on Linux: under 150 MB (decimal), measured 144.7 MB. Elsewhere, untested
# here, only a bound that catches a trimming that stopped working.
SIZE_LIMIT = 150e6 if LINUX else 200 * MiB


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """(the app folder, seconds the build took)."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail("PyInstaller is missing: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("frozen")
    t = time.perf_counter()
    done = run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                "--distpath", tmp / "dist", "--workpath", tmp / "build", SPEC],
               cwd=tmp, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "dist" / "vanishgui", time.perf_counter() - t


def bundle_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir() or p.is_symlink())


def test_frozen_app_passes_its_self_test(frozen, tmp_path, capsys):
    app, seconds = frozen
    with capsys.disabled():
        size = bundle_size(app)
        print(f"\n  PyInstaller build: {seconds:.1f} s; dist/vanishgui: {size / MiB:.1f} MiB "
              f"({size / 1e6:.1f} MB), {sum(1 for _ in app.rglob('*'))} files")
    done = run([app / EXE, "--self-test"], cwd=tmp_path, env=app_env(), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout


@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="xvfb-run (Debian xvfb) is missing")
def test_frozen_app_passes_its_self_test_on_x11(frozen, tmp_path):
    """On a real X server (Xvfb) through the bundled xcb plugin, not only offscreen."""
    app, _seconds = frozen
    done = run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", app / EXE, "--self-test"],
               cwd=tmp_path, env=app_env(QT_QPA_PLATFORM="xcb"), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_frozen_app_reports_its_first_paint(frozen, tmp_path, capsys):
    app, _seconds = frozen
    done = run([app / EXE], cwd=tmp_path, env=app_env(VANISHGUI_STARTUP_PROBE="1"),
               timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("first-paint-seconds=")]
    seconds = float(line.split("=")[1])
    with capsys.disabled():
        print(f"\n  frozen: first paint {seconds:.2f} s after process start (one run)")
    assert 0 < seconds < 30


def test_bundle_carries_resources_and_the_plugins_it_needs(frozen):
    app, _seconds = frozen
    internal = app / "_internal"
    for resource in ("themes/light.qss", "examples/classic.json", "icons/vanishgui.svg"):
        assert (internal / "resources" / resource).is_file()
    plugins = {p.relative_to(internal).as_posix() for p in internal.rglob("plugins/*/*")}
    names = {re.sub(r"^lib|\.(so|dll|dylib)$", "", Path(p).name) for p in plugins}
    assert {"qoffscreen", "qsvgicon", "qsvg"} <= names
    if LINUX:
        assert {"qxcb", "qwayland", "xdg-shell"} <= names


def test_bundle_is_trimmed(frozen):
    app, _seconds = frozen
    files = [p.relative_to(app).as_posix() for p in app.rglob("*")]
    gone = re.compile(r"torch|tkinter|/translations/|Qt6(Network|Qml|Quick|WebEngine|Pdf|"
                      r"Multimedia|3D|Designer)|qgtk3|eglfs|qvnc|qlinuxfb|opensslbackend|"
                      r"pytest|hypothesis|_ssl\.|libssl|libcrypto", re.IGNORECASE)
    assert [f for f in files if gone.search(f)] == []
    dangling = [f for f in files if (app / f).is_symlink() and not (app / f).exists()]
    assert dangling == []
    size = bundle_size(app)
    assert size < SIZE_LIMIT, (
        f"dist/vanishgui is {size / 1e6:.1f} MB, over {SIZE_LIMIT / 1e6:.0f} MB: if ICU's data "
        "was left whole, the build says why (packaging/install-system-deps.sh installs the "
        "tools it needs)")


ICU_CHECK = """
import os, sys
from PySide6.QtCore import QCollator, QLocale, QStringDecoder
maps = open("/proc/self/maps").read()
icudata = {line.split()[-1] for line in maps.splitlines() if "libicudata" in line}
assert icudata == {sys.argv[1]}, icudata
numeric = QCollator(QLocale("en_US"))
numeric.setNumericMode(True)
assert sorted(["run10.json", "run2.json", "Run1.json"], key=numeric.sortKey) == [
    "Run1.json", "run2.json", "run10.json"]
swedish = QCollator(QLocale("sv_SE"))  # a tailoring: å, ä, ö come after z
assert sorted(["ö", "z", "a", "ä"], key=swedish.sortKey) == ["a", "z", "ä", "ö"]
german = QCollator(QLocale("de_DE"))
assert sorted(["z", "ä", "a"], key=german.sortKey) == ["a", "ä", "z"]
assert QLocale("de_DE").toUpper("straße") == "STRASSE"
assert QLocale("tr_TR").toUpper("i") == "\u0130"
print("legacy-decoder", QStringDecoder("Shift-JIS").isValid())
"""


@pytest.mark.skipif(not LINUX, reason="the ICU data is trimmed on Linux only")
def test_trimmed_icu_data_still_serves_what_qt_asks_of_it(frozen, tmp_path):
    """The bundle's libicudata keeps what Qt reads (collation, with locale tailorings; case
    mapping) and drops the legacy converters. Run with this environment's PySide6, the
    bundle's data library preloaded in place of the full one. (Time zones are not checked
    here: on Linux Qt takes their rules from the system's tz database, not from ICU.)"""
    app, _seconds = frozen
    lib = next((app / "_internal").rglob("libicudata.so.*"))
    assert lib.stat().st_size < 12e6, (
        f"{lib.name} is {lib.stat().st_size / 1e6:.1f} MB, not trimmed: the build prints why "
        "(icupkg, genccode: packaging/install-system-deps.sh installs icu-devtools)")
    script = tmp_path / "icu_check.py"
    script.write_text(ICU_CHECK, encoding="utf-8")
    done = run([sys.executable, script, lib.resolve()], cwd=tmp_path,
               env=app_env(LD_PRELOAD=str(lib.resolve())), timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "legacy-decoder False" in done.stdout  # the trimmed data, not the whole, was used
    assert "Could not create collator" not in done.stderr


@pytest.mark.skipif(not LINUX, reason="ldd and ELF are Linux's")
def test_every_bundled_library_finds_what_it_links_to_in_the_bundle(frozen):
    """Trimming removed no library that a kept module or plugin needs: every dependency of
    every ELF file resolves inside the bundle, except those PyInstaller leaves to the system
    on purpose (glibc, the graphics stack, libxcb, Wayland)."""
    from PyInstaller.depend.dylib import include_library

    app, _seconds = frozen
    internal = app / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    outside = {}
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        done = run(["ldd", path], env=env, timeout=60)
        for line in done.stdout.splitlines():
            name, arrow, where = line.strip().partition(" => ")
            if not arrow:
                continue
            where = where.split(" (")[0]
            inside = where != "not found" and Path(where).resolve().is_relative_to(
                internal.resolve())
            if not inside and include_library(name):
                outside.setdefault(path.relative_to(internal).as_posix(), []).append(
                    f"{name} => {where}")
    assert outside == {}


@pytest.mark.skipif(not LINUX, reason="install.sh is for Linux")
def test_install_script_installs_a_working_launcher_and_uninstalls_it(frozen, tmp_path):
    app, _seconds = frozen
    home = tmp_path / "home"
    home.mkdir()
    env = app_env(HOME=str(home))
    env.pop("XDG_DATA_HOME", None)
    done = run(["sh", app / "install.sh"], env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    share = home / ".local" / "share"
    command = home / ".local" / "bin" / "vanishgui"
    desktop = share / "applications" / "vanishgui.desktop"
    assert command.is_symlink() and command.resolve() == (
        home / ".local" / "opt" / "vanishgui" / "vanishgui").resolve()
    assert f'Exec="{command}" %f' in desktop.read_text(encoding="utf-8")
    for icon in ("16x16/apps/vanishgui.png", "256x256/apps/vanishgui.png",
                 "scalable/apps/vanishgui.svg"):
        assert (share / "icons" / "hicolor" / icon).is_file()
    assert (share / "mime" / "packages" / "vanishgui.xml").is_file()
    assert (share / "metainfo" / "io.github.vanishgui.metainfo.xml").is_file()
    if shutil.which("update-mime-database"):
        assert "*.vanishgui.json" in (share / "mime" / "globs2").read_text(encoding="utf-8")
    if shutil.which("desktop-file-validate"):
        done = run(["desktop-file-validate", desktop])
        assert done.returncode == 0, done.stdout + done.stderr

    done = run([command, "--self-test"], env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    done = run(["sh", app / "install.sh", "--uninstall"], env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not command.exists() and not command.is_symlink()
    assert not desktop.exists()
    assert not (home / ".local" / "opt" / "vanishgui").exists()
    assert not list(share.glob("icons/hicolor/*/apps/vanishgui.*"))
