"""Derive the application's icon files from the SVG master.

    python packaging/make_icons.py [--svg resources/icons/vanishgui.svg] [--out packaging/icons]

Writes ``vanishgui-<N>.png`` for N = 16 … 512 (the Linux hicolor sizes), ``vanishgui.ico``
(Windows) and ``vanishgui.icns`` (macOS). Qt's QSvgRenderer draws each size; the ICO and ICNS
containers are written here in plain Python: both formats may hold PNG images as they are.
The outputs are committed in packaging/icons/ (about 170 kB in all); run this again after
editing the SVG. ``read_ico`` and ``read_icns`` read the containers back, for the tests.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "vanishgui.svg"
OUT = ROOT / "packaging" / "icons"
NAME = "vanishgui"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types that may hold a PNG, and the pixel size each one holds.
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024),
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),  # the @2x variants
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render_pngs(svg: Path, sizes) -> dict[int, bytes]:
    """PNG bytes of the SVG drawn at each size (square, transparent outside the drawing)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # kept alive while drawing
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg}: not a valid SVG")
    out = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.convertToFormat(QImage.Format.Format_ARGB32).save(buf, "PNG"):
            raise SystemExit(f"make_icons: could not encode the {size} px PNG")
        buf.close()
        out[size] = bytes(data.data())
    return out


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding each PNG as it is (read by Windows Vista and later)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = [], []
    for s in sizes:
        data = pngs[s]
        dim = 0 if s >= 256 else s  # 0 stands for 256
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset))
        images.append(data)
        offset += len(data)
    return header + b"".join(entries) + b"".join(images)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns whose elements are PNGs (read by macOS 10.7 and later)."""
    body = b"".join(struct.pack(">4sI", t, 8 + len(pngs[s])) + pngs[s]
                    for t, s in ICNS_TYPES)
    return struct.pack(">4sI", b"icns", 8 + len(body)) + body


def png_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def read_ico(data: bytes) -> list[tuple[int, int, bytes]]:
    """(width, height, image bytes) of each image of a .ico."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise ValueError("not an .ico")
    images = []
    for i in range(count):
        w, h, _c, _r, _p, _bpp, size, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        images.append((w or 256, h or 256, data[offset:offset + size]))
    return images


def read_icns(data: bytes) -> dict[bytes, bytes]:
    """Element type → element data of a .icns."""
    magic, total = struct.unpack(">4sI", data[:8])
    if magic != b"icns" or total != len(data):
        raise ValueError("not an .icns")
    out, pos = {}, 8
    while pos < total:
        kind, size = struct.unpack(">4sI", data[pos:pos + 8])
        out[kind] = data[pos + 8:pos + size]
        pos += size
    return out


def make_icons(svg: Path = SVG, out: Path = OUT) -> list[Path]:
    pngs = render_pngs(svg, sorted(set(PNG_SIZES) | set(ICO_SIZES) | {s for _, s in ICNS_TYPES}))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for s in PNG_SIZES:
        written.append(out / f"{NAME}-{s}.png")
        written[-1].write_bytes(pngs[s])
    written.append(out / f"{NAME}.ico")
    written[-1].write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    written.append(out / f"{NAME}.icns")
    written[-1].write_bytes(icns_bytes(pngs))
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--svg", type=Path, default=SVG, help=f"the master (default {SVG})")
    p.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    args = p.parse_args(argv)
    for path in make_icons(args.svg, args.out):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
