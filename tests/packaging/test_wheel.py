"""The wheel, installed in a fresh venv, runs the app with the resources it ships.

One wheel and one venv per module (building and installing take ~20 s; the dependencies
come from pip's cache or PyPI). The wheel is built from a clean copy of the tree, so
setuptools' build/ folder cannot add stale files. Every run happens outside the tree.
"""

from __future__ import annotations

import shutil
import sys
import time
import venv
import zipfile
from pathlib import Path

import pytest
from apphelpers import app_env, run

pytestmark = [pytest.mark.packaging]

ROOT = Path(__file__).resolve().parents[2]
BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                ".*_cache", ".hypothesis", "out")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, venv path, timings in seconds)."""
    tmp = tmp_path_factory.mktemp("wheel")
    timings = {}
    t = time.perf_counter()
    shutil.copytree(ROOT, tmp / "src", ignore=IGNORE)
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp / "dist",
                tmp / "src"])
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp / "dist").glob("vanishgui-*.whl")
    timings["build the wheel"] = time.perf_counter() - t

    t = time.perf_counter()
    venv.EnvBuilder(with_pip=True).create(tmp / "venv")
    timings["create the venv"] = time.perf_counter() - t

    t = time.perf_counter()
    done = run([tmp / "venv" / BIN / f"python{EXE}", "-m", "pip", "install", wheel],
               timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    timings["install it with its dependencies"] = time.perf_counter() - t
    return wheel, tmp / "venv", timings


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working directory outside the source tree."""
    assert not tmp_path.is_relative_to(ROOT)
    return tmp_path


def test_wheel_ships_the_resources_and_the_commands(built, capsys):
    wheel, _venv, timings = built
    with capsys.disabled():
        print("\n  " + "; ".join(f"{k}: {v:.1f} s" for k, v in timings.items()))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = z.read(entry_points).decode()
    for resource in ("themes/light.qss", "examples/classic.json", "icons/vanishgui.svg"):
        assert f"vanishgui/resources/{resource}" in names
    assert not any(n.startswith(("tests/", "packaging/")) for n in names)
    assert "vanishgui = vanishgui.__main__:main" in entry_points
    assert "vanishgui-report = vanishgui.core.report:main" in entry_points


def test_installed_app_passes_its_self_test(built, outside):
    _wheel, env_dir, _timings = built
    done = run([env_dir / BIN / f"vanishgui{EXE}", "--self-test"], cwd=outside, env=app_env(),
               timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout


def test_resources_resolve_inside_the_venv(built, outside):
    _wheel, env_dir, _timings = built
    code = ("import sysconfig; from vanishgui.ui.shell import resources; "
            "print(sysconfig.get_paths()['purelib']); print(resources.root()); "
            "print(resources.path('themes', 'light.qss').is_file())")
    done = run([env_dir / BIN / f"python{EXE}", "-c", code], cwd=outside, env=app_env())
    assert done.returncode == 0, done.stderr
    purelib, root, theme_found = done.stdout.split("\n")[:3]
    assert Path(root).resolve().is_relative_to(Path(purelib).resolve())
    assert Path(root).resolve().is_relative_to(env_dir.resolve())
    assert theme_found == "True"


def test_installed_app_icon_loads(built, outside):
    _wheel, env_dir, _timings = built
    code = ("from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "from vanishgui.ui.shell.resources import app_icon; icon = app_icon(); "
            "print(not icon.isNull() and not icon.pixmap(16, 16).isNull())")
    done = run([env_dir / BIN / f"python{EXE}", "-c", code], cwd=outside, env=app_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_installed_app_reports_its_first_paint(built, outside, capsys):
    _wheel, env_dir, _timings = built
    done = run([env_dir / BIN / f"vanishgui{EXE}"], cwd=outside,
               env=app_env(VANISHGUI_STARTUP_PROBE="1"), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("first-paint-seconds=")]
    seconds = float(line.split("=")[1])
    with capsys.disabled():
        print(f"\n  wheel: first paint {seconds:.2f} s after process start (one cold-ish run)")
    assert 0 < seconds < 30


def test_report_command_runs_without_qt(built, outside):
    _wheel, env_dir, _timings = built
    example = ROOT / "resources" / "examples" / "classic.json"
    done = run([env_dir / BIN / f"vanishgui-report{EXE}", example], cwd=outside,
               env=app_env(QT_QPA_PLATFORM="none-such"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
