"""Run by test_readback.py in a child process on a real X server (Xvfb, no window
manager). Opens the main window as the app does (its size is the app's choice), shows every
plot, trains live for VANISHGUI_READBACK_SECONDS, pauses, lets the plots catch up, and
reads back what is shown through pyqtgraph's and Qt's public API: each visible PlotItem's
viewRange(), where each curve's whole data lies against it, and the tick strings each
axis draws (from generateDrawSpecs) against its tick values. Prints one JSON line."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])

import pyqtgraph as pg  # noqa: E402

from vanishgui.cli.window import build_window  # noqa: E402  (Qt first)
from vanishgui.core.experiment import load_experiment  # noqa: E402
from vanishgui.ui.model.session import Session  # noqa: E402

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def parse(text: str) -> float | None:
    """A drawn tick string as a number: '0.25', '−3', '1e-06', '10⁻⁶', '10<sup>-6</sup>'."""
    t = re.sub(r"<[^>]+>", lambda m: "^" if m.group(0) == "<sup>" else "", text)
    t = t.replace("−", "-").replace("\u2212", "-").strip()
    if not t:
        return None
    m = re.fullmatch(r"10\^(-?[0-9]+)", t) or re.fullmatch(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", t)
    if m:
        return 10.0 ** int(m.group(1).translate(SUPERSCRIPT))
    try:
        return float(t)
    except ValueError:
        return None


def read_axis(axis: pg.AxisItem) -> dict:
    """The strings the axis draws, each beside the value of the tick it is drawn at. The
    axis's own tickStrings is watched (not replaced) while generateDrawSpecs runs."""
    pairs: list[tuple[float, str]] = []
    real = axis.tickStrings

    def watch(values, scale, spacing):
        strings = real(values, scale, spacing)
        pairs.extend(zip(values, strings))
        return strings

    axis.tickStrings = watch
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
        del axis.tickStrings
    if axis._tickLevels is not None:  # ticks the app set itself, strings and all
        pairs = [(v, text) for level in axis._tickLevels for v, text in level]
    drawn = {spec[2] for spec in specs[2]} if specs else set()
    bad = []
    for value, text in pairs:
        if text not in drawn:
            continue  # not drawn (no room, or an empty label)
        number = parse(text)
        true = 10.0 ** value if axis.logMode else value
        if number is not None and not math.isclose(number, true, rel_tol=5e-3,
                                                   abs_tol=1e-12 + 1e-9 * abs(true)):
            bad.append(f"{text} at {true:g}")
    return {"scale": axis.autoSIPrefixScale * axis.scale, "prefix": axis.labelUnitPrefix,
            "texts": sorted(drawn)[:12], "checked": len(pairs), "bad": bad}


def read_plot(plot: pg.PlotItem) -> dict:
    vb = plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    log_x, log_y = plot.ctrl.logXCheck.isChecked(), plot.ctrl.logYCheck.isChecked()
    curves = []
    for item in plot.listDataItems():
        if not item.isVisible():
            continue
        if not hasattr(item, "getOriginalDataset"):
            continue  # bars: read by their own test
        x, y = item.getOriginalDataset()
        if x is None or y is None or not len(x):
            continue
        x, y = np.asarray(x, float), np.asarray(y, float)
        with np.errstate(all="ignore"):
            if log_x:
                x = np.log10(x)
            if log_y:
                y = np.log10(y)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        x, y = x[ok], y[ok]
        eps_x, eps_y = 1e-9 * max(1.0, abs(x1 - x0)), 1e-9 * max(1.0, abs(y1 - y0))
        inside = ((x >= x0 - eps_x) & (x <= x1 + eps_x) & (y >= y0 - eps_y) & (y <= y1 + eps_y))
        curves.append({"name": item.name() or "", "points": len(x),
                       "inside": float(inside.mean()), "last_inside": bool(inside[-1]),
                       "last": [float(x[-1]), float(y[-1])]})
    axes = {}
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        if axis.isVisible():
            axes[side] = read_axis(axis)
    return {"range": [[x0, x1], [y0, y1]], "curves": curves, "axes": axes,
            "height": vb.height()}


def read_legends(view: pg.GraphicsView) -> list[dict]:
    """Each legend's entries: whether every label lies wholly inside the visible view."""
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    out = []
    for item in view.scene().items():
        if isinstance(item, pg.LegendItem) and item.isVisible() and item.items:
            cut = [label.text for _sample, label in item.items
                   if not visible.contains(label.sceneBoundingRect().adjusted(1, 1, -1, -1))]
            out.append({"entries": len(item.items), "cut": cut})
    return out


def clipped_labels(window) -> list[str]:
    """Visible one-line plain-text labels whose text needs more width than they have."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    cut = []
    for label in window.findChildren(QLabel):
        text = label.text()
        if (not label.isVisible() or not text or label.wordWrap() or "\n" in text
                or label.textFormat() == Qt.TextFormat.RichText or "<" in text):
            continue
        need = label.fontMetrics().horizontalAdvance(text)
        if need > label.contentsRect().width() + 1:
            cut.append(f"{text[:40]} ({need} px in {label.contentsRect().width()})")
    return cut


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    exp = load_experiment(root / "resources" / "examples" / "deep-sigmoid-circles.json")
    window = build_window(Session(exp), restore=False)
    window.headless = True  # closing asks nothing
    window.show()
    if os.environ.get("VANISHGUI_READBACK_WALL", "1") == "1":
        window.set_plot_wall(True)
    spin(0.5)
    seconds = float(os.environ.get("VANISHGUI_READBACK_SECONDS", "3"))
    window.session.train()
    spin(seconds)
    window.session.pause()
    # then what a class does next: another experiment, trained, and projector mode (the
    # σ' axis read 100-300 after such changes: a hidden ×1000)
    window.session.set_experiment(
        load_experiment(root / "resources" / "examples" / "deep-chain-sigmoid.json"))
    window.session.train()
    spin(seconds)
    window.session.pause()
    if os.environ.get("VANISHGUI_READBACK_PROJECTOR") == "1":
        window.projector.enter()
    spin(1.0)  # the plots' last redraw
    window.repaint()  # a view box updates its auto-range when it paints
    spin(0.3)
    screen = window.screen()
    room = screen.availableGeometry()
    frame = window.frameGeometry()
    plots, legends = {}, {}
    for name, panel in window.plots.panels.items():
        if not panel.isVisible():
            continue
        items = [it for view in panel.findChildren(pg.GraphicsView)
                 for it in view.scene().items() if isinstance(it, pg.PlotItem)]
        plots[name] = [read_plot(it) for it in items if it.isVisible()]
        legends[name] = [entry for view in panel.findChildren(pg.GraphicsView)
                         for entry in read_legends(view)]
    print(json.dumps({
        "screen": [room.width(), room.height()], "ratio": screen.devicePixelRatio(),
        "window": [frame.x(), frame.y(), frame.width(), frame.height()],
        "fits": room.contains(frame), "steps": window.session.trainer.step_count,
        "plots": plots, "legends": legends, "clipped": clipped_labels(window)}))
    window.close()
    sys.stdout.flush()
    time.sleep(0)


main()
