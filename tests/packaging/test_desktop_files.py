"""The Linux launcher files in packaging/ pass their validators and agree with each other.

desktop-file-validate (desktop-file-utils) and appstreamcli (appstream) are installed by
packaging/install-system-deps.sh, which `make setup` runs; on Debian a missing one is a
failure with that hint, elsewhere the test is skipped.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
DESKTOP = PACKAGING / "vanishgui.desktop"
MIME_XML = PACKAGING / "vanishgui-mime.xml"
METAINFO = PACKAGING / "io.github.vanishgui.metainfo.xml"
MIME_TYPE = "application/x-vanishgui-experiment"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if shutil.which("dpkg-query"):
        pytest.fail(f"{name} is missing: run packaging/install-system-deps.sh "
                    f"(Debian package {package})")
    pytest.skip(f"{name} ({package}) is not installed and this is not Debian")


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_file_validates():
    done = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
                          capture_output=True, text=True, timeout=60)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "error:" not in report and "warning:" not in report, report


def test_desktop_file_says_what_the_issue_asks():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "vanishgui %f"
    assert entry["Icon"] == "vanishgui"
    assert entry["Categories"] == "Education;Science;"
    assert entry["MimeType"] == f"{MIME_TYPE};"
    assert entry["Terminal"] == "false"


def test_metainfo_validates():
    done = subprocess.run([tool("appstreamcli", "appstream"), "validate", "--no-net",
                           str(METAINFO)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_metainfo_names_the_launcher_and_the_file_type():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == METAINFO.name.removesuffix(".metainfo.xml")
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("provides/mediatype") == MIME_TYPE
    assert root.findtext("provides/binary") == "vanishgui"


def test_mime_type_declares_the_experiment_glob():
    root = ET.parse(MIME_XML).getroot()
    (mime,) = root.findall(f"{MIME_NS}mime-type")
    assert mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")] == ["*.vanishgui.json"]
    assert mime.find(f"{MIME_NS}sub-class-of").get("type") == "application/json"


def test_mime_type_compiles_into_a_mime_database(tmp_path):
    update = shutil.which("update-mime-database")
    if not update:
        pytest.skip("update-mime-database (shared-mime-info) is not installed")
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages / "vanishgui.xml")
    done = subprocess.run([update, str(tmp_path / "mime")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8").splitlines()
    assert any(line.endswith(f":{MIME_TYPE}:*.vanishgui.json") for line in globs), globs
