"""The application icon: the SVG master, the committed PNG/ICO/ICNS files derived from it by
packaging/make_icons.py (and still matching it), and ``app_icon()``."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "packaging" / "icons"
SVG = ROOT / "resources" / "icons" / "vanishgui.svg"


def load_make_icons():
    path = ROOT / "packaging" / "make_icons.py"
    spec = importlib.util.spec_from_file_location("make_icons", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_icons = load_make_icons()


def test_svg_master_uses_the_colour_blind_safe_palette():
    svg = SVG.read_text(encoding="utf-8")
    for colour in ("#0072B2", "#D55E00", "#E69F00"):
        assert colour in svg


def test_committed_pngs_have_their_sizes():
    for size in make_icons.PNG_SIZES:
        data = (ICONS / f"vanishgui-{size}.png").read_bytes()
        assert make_icons.png_size(data) == (size, size)


def test_committed_ico_holds_pngs_of_each_size():
    images = make_icons.read_ico((ICONS / "vanishgui.ico").read_bytes())
    assert sorted(w for w, _h, _data in images) == sorted(make_icons.ICO_SIZES)
    for w, h, data in images:
        assert make_icons.png_size(data) == (w, h)


def test_committed_icns_holds_pngs_of_each_type():
    elements = make_icons.read_icns((ICONS / "vanishgui.icns").read_bytes())
    assert set(elements) == {kind for kind, _size in make_icons.ICNS_TYPES}
    for kind, size in make_icons.ICNS_TYPES:
        assert make_icons.png_size(elements[kind]) == (size, size)


def test_make_icons_output_matches_the_committed_files(tmp_path):
    """Regenerating from the SVG gives the committed pictures (within anti-aliasing noise),
    so an edited SVG without `python packaging/make_icons.py` fails here."""
    out = tmp_path / "icons"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py"),
                           "--out", str(out)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in ICONS.iterdir())
    compare = textwrap.dedent(f"""
        import sys
        from PySide6.QtGui import QGuiApplication, QImage
        app = QGuiApplication([])
        worst = 0
        for size in {make_icons.PNG_SIZES!r}:
            a = QImage(r"{ICONS}/vanishgui-%d.png" % size)
            b = QImage(r"{out}/vanishgui-%d.png" % size)
            for y in range(size):
                for x in range(size):
                    pa, pb = a.pixelColor(x, y), b.pixelColor(x, y)
                    worst = max(worst, *(abs(u - v) for u, v in zip(pa.getRgb(), pb.getRgb())))
        print(worst)
    """)
    done = subprocess.run([sys.executable, "-c", compare], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) <= 8, "packaging/icons/ is stale: run python packaging/make_icons.py"


def test_app_icon_is_drawn_from_the_svg(qapp):
    from vanishgui.ui.shell.resources import app_icon

    icon = app_icon()
    assert not icon.isNull()
    for size in (16, 32, 256):
        image = icon.pixmap(size, size).toImage()
        assert (image.width(), image.height()) == (size, size)
        centre = image.pixelColor(size // 2, size // 2)
        assert centre.alpha() == 255
