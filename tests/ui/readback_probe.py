"""Run by test_readback.py in a child process on a real X server (Xvfb, no window
manager). Opens the main window as the app does (its size and layout are the app's
choice), trains live, resets, opens lesson scenes, and after each reads back what is shown
through pyqtgraph's and Qt's public API: each visible PlotItem's viewRange() and view-box
height, where each curve's whole data lies against the view, the tick strings each axis
draws (from generateDrawSpecs) against its tick values, legend entries against the visible
view, every visible label's needed width against its rect, and (projector mode) every
shown text's pixel size on screen. Prints one JSON line: the problems found, by phase.

Environment: VANISHGUI_READBACK_PROJECTOR=1 (projector mode), VANISHGUI_READBACK_SECONDS
(of live training, 3), VANISHGUI_READBACK_SCENES ("all", or scene numbers from 1, comma
separated; default 5), VANISHGUI_READBACK_WALL=1 (every plot at once as well),
VANISHGUI_READBACK_TURNS=0 (skip bringing each plot to the front in turn)."""

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
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

app = QApplication(sys.argv[:1])

import pyqtgraph as pg  # noqa: E402
from axes import draw_specs  # noqa: E402

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
    try:
        specs = draw_specs(axis)
    finally:
        del axis.tickStrings
    if axis._tickLevels is not None:  # ticks the app set itself, strings and all
        pairs = [(v, text) for level in axis._tickLevels for v, text in level]
    drawn = {spec[2] for spec in specs[2]} if specs else set()
    rects = []  # one of each: a log axis may draw a label twice in the same place
    for spec in specs[2] if specs else []:
        if not any(t == spec[2] and r == spec[0] for r, t in rects):
            rects.append((spec[0], spec[2]))
    overlap = sorted({f"{a!r}/{b!r}" for i, (ra, a) in enumerate(rects)
                      for rb, b in rects[i + 1:]
                      if (cut := ra.intersected(rb)).width() > 2 and cut.height() > 2})
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
            "texts": sorted(drawn)[:12], "checked": len(pairs), "bad": bad,
            "overlap": overlap}


MIN_PLOT_PX = 160  # a plot's view box, logical px
MIN_PROJECTOR_TEXT_PX = 24  # font pixel size × device-pixel ratio, projector mode
TEXTS_CHECKED = [0]  # how many shown texts small_texts() measured (a check that ran)


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
    shown = vb.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    cut = [item.toPlainText() for item in plot.items if isinstance(item, pg.TextItem)
           and item.isVisible() and item.toPlainText()
           and not shown.contains(item.textItem.sceneBoundingRect())]
    return {"range": [[x0, x1], [y0, y1]], "curves": curves, "axes": axes,
            "height": vb.height(), "texts_cut": cut}


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
        if not label.isVisible() or not text or label.visibleRegion().isEmpty():
            continue
        if label.wordWrap():  # a wrapped label is cut when its lines need more height
            room = label.contentsRect()
            need = label.heightForWidth(label.width()) - (label.height() - room.height())
            if need > room.height() + 2:
                cut.append(f"{text[:40]} ({need} px tall in {room.height()})")
            continue
        if ("\n" in text or label.textFormat() == Qt.TextFormat.RichText or "<" in text):
            continue
        need = label.fontMetrics().horizontalAdvance(text)
        if need > label.contentsRect().width() + 1:
            cut.append(f"{text[:40]} ({need} px in {label.contentsRect().width()})")
    return cut


def text_pixels(item, view) -> float:
    """A graphics item's text size on screen: its font's pixel size through the view."""
    from PySide6.QtGui import QFontInfo

    t = item.deviceTransform(view.viewportTransform())
    scale = math.sqrt(abs(t.m11() * t.m22() - t.m12() * t.m21()))
    font = item.font() if callable(getattr(item, "font", None)) else item.font
    return QFontInfo(font).pixelSize() * scale * view.devicePixelRatioF()


def small_texts(window) -> list[str]:
    """Every shown text under MIN_PROJECTOR_TEXT_PX on screen, with its size."""
    from PySide6.QtGui import QFontInfo
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QDockWidget,
        QGraphicsSimpleTextItem,
        QGraphicsTextItem,
        QGraphicsView,
        QHeaderView,
        QLabel,
        QTabBar,
        QTableWidget,
    )

    from vanishgui.ui.diagram.items import BoxItem

    small = []

    def check(what: str, px: float) -> None:
        TEXTS_CHECKED[0] += 1
        if px < MIN_PROJECTOR_TEXT_PX - 0.5:
            small.append(f"{what[:40]!r} {px:.1f} px")

    from vanishgui.ui.diagram.view import ColorBar, SwatchRow

    kinds = (QLabel, QAbstractButton, QTabBar, QComboBox, QAbstractSpinBox, QHeaderView,
             QTableWidget, QDockWidget, ColorBar, SwatchRow)
    for w in window.findChildren(QWidget):
        if not isinstance(w, kinds) or not w.isVisible() or w.visibleRegion().isEmpty():
            continue
        text = (w.text() if isinstance(w, (QLabel, QAbstractButton)) else
                w.windowTitle() if isinstance(w, QDockWidget) else
                w.tabText(0) if isinstance(w, QTabBar) and w.count() else
                w.currentText() if isinstance(w, QComboBox) else
                w.text() if isinstance(w, QAbstractSpinBox) else
                w.TITLE if isinstance(w, ColorBar) else
                w.swatches[0][1] if isinstance(w, SwatchRow) else type(w).__name__)
        if isinstance(w, QTableWidget) and not w.rowCount():
            continue
        if text:
            check(f"{type(w).__name__} {text}", QFontInfo(w.font()).pixelSize()
                  * w.devicePixelRatioF())
    for view in window.findChildren(QGraphicsView):
        if not view.isVisible() or view.visibleRegion().isEmpty():
            continue
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        for item in view.scene().items():
            if not item.isVisible() or not item.sceneBoundingRect().intersects(shown):
                continue
            if isinstance(item, QGraphicsTextItem):
                text = item.toPlainText()
            elif isinstance(item, QGraphicsSimpleTextItem):
                text = item.text()
            elif isinstance(item, BoxItem):
                text = item.text if item.text_shown else ""
            elif isinstance(item, pg.AxisItem):
                font = item.style.get("tickFont") or item.font()
                if item.style.get("showValues", True) and item.isVisible():
                    t = item.deviceTransform(view.viewportTransform())
                    scale = math.sqrt(abs(t.m11() * t.m22() - t.m12() * t.m21()))
                    check(f"ticks of {item.labelText or item.orientation}",
                          QFontInfo(font).pixelSize() * scale * view.devicePixelRatioF())
                continue
            else:
                continue
            if text.strip():
                check(text, text_pixels(item, view))
    return small


def clipped_tables(window) -> list[str]:
    """Visible tables whose headers or cells need more width than their columns have, or
    that scroll sideways (the ledger's "product so far" was cut to "duct so")."""
    from PySide6.QtWidgets import QTableWidget

    cut = []
    for table in window.findChildren(QTableWidget):
        if not table.isVisible() or table.visibleRegion().isEmpty() or not table.rowCount():
            continue
        header = table.horizontalHeader()
        fm = header.fontMetrics()
        for c in range(table.columnCount()):
            head = table.horizontalHeaderItem(c)
            texts = [head.text() if head else ""]
            texts += [table.item(r, c).text() for r in range(table.rowCount())
                      if table.item(r, c) is not None]
            need = max(fm.horizontalAdvance(line) for t in texts for line in t.split("\n")) + 8
            if need > header.sectionSize(c) + 1:
                cut.append(f"column {texts[0]!r} needs {need} px, has {header.sectionSize(c)}")
        if table.horizontalScrollBar().isVisible():
            cut.append(f"table with columns {texts[0]!r}… scrolls sideways")
    return cut


def clipped_buttons(window) -> list[str]:
    from PySide6.QtWidgets import QAbstractButton

    cut = []
    for b in window.findChildren(QAbstractButton):
        if not b.isVisible() or not b.text() or b.visibleRegion().isEmpty():
            continue
        if type(b).__name__ in ("QToolButton", "QPushButton") or b.objectName():
            need = b.fontMetrics().horizontalAdvance(b.text().replace("&", ""))
            if need > b.width():
                cut.append(f"button {b.text()!r} ({need} px in {b.width()})")
    return cut


def squeezed_painters(window) -> list[str]:
    """Widgets that paint their own text (the |δ| bar, the colour key) given less height
    than that text needs: no label's elision shows it, and "1e−12" was cut in half."""
    from vanishgui.ui.diagram.view import ColorBar, SwatchRow

    cut = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, ColorBar | SwatchRow) or not w.isVisible():
            continue
        need = (w.heightForWidth(w.width()) if isinstance(w, SwatchRow)
                else w.minimumSizeHint().height())
        if w.height() < need:
            cut.append(f"{type(w).__name__} is {w.height()} px tall, its text needs {need}")
    return cut


def read_window(window, plots_of, projector: bool) -> dict:
    """What one window shows now, and the problems in it."""
    screen = window.screen()
    room = screen.availableGeometry()
    frame = window.frameGeometry()
    problems: list[str] = []
    if not room.contains(frame):
        problems.append(f"window {frame.getRect()} is not inside the screen {room.getRect()}")
    plots, legends = {}, {}
    for name, panel in plots_of(window).items():
        if not panel.isVisible() or panel.visibleRegion().isEmpty():
            continue
        views = [v for v in panel.findChildren(pg.GraphicsView) if v.isVisible()]
        items = [it for view in views for it in view.scene().items()
                 if isinstance(it, pg.PlotItem)]
        plots[name] = [read_plot(it) for it in items if it.isVisible()]
        for view in views:  # a plot, its axes included, inside what its view shows
            shown = view.mapToScene(view.viewport().rect()).boundingRect()
            for it in view.scene().items():
                if isinstance(it, pg.PlotItem) and it.isVisible():
                    box = it.sceneBoundingRect()
                    if box.bottom() > shown.bottom() + 1 or box.right() > shown.right() + 1:
                        problems.append(f"{name}: a plot runs {box.bottom() - shown.bottom():.0f}"
                                        " px past its view's bottom (its axis is out of sight)")
        legends[name] = [entry for view in views for entry in read_legends(view)]
    for name, shown in plots.items():
        for plot in shown:
            if plot["height"] < MIN_PLOT_PX:
                problems.append(f"{name}: view box {plot['height']:.0f} px tall")
            for curve in plot["curves"]:
                if not curve["last_inside"] or curve["inside"] < 0.9:
                    problems.append(f"{name}: curve {curve['name']!r} {curve['inside']:.0%} "
                                    f"inside, last {curve['last']} in {plot['range']}")
            if plot["texts_cut"]:
                problems.append(f"{name}: text cut at the plot's edge {plot['texts_cut']}")
            for side, axis in plot["axes"].items():
                if axis["scale"] != 1.0 or axis["prefix"] or axis["bad"]:
                    problems.append(f"{name}: {side} axis scale {axis['scale']} prefix "
                                    f"{axis['prefix']!r} ticks {axis['bad']}")
                if axis["overlap"]:  # "11131517" for 11, 13, 15 and 17
                    problems.append(f"{name}: {side} axis labels overlap {axis['overlap']}")
    for name, ls in legends.items():
        for legend in ls:
            if legend["cut"]:
                problems.append(f"{name}: legend entries cut {legend['cut']}")
    problems += [f"label cut: {c}" for c in clipped_labels(window)]
    problems += clipped_tables(window) + clipped_buttons(window) + squeezed_painters(window)
    if projector:
        problems += [f"small text: {t}" for t in small_texts(window)]
    return {"screen": [room.width(), room.height()], "ratio": screen.devicePixelRatio(),
            "window": [frame.x(), frame.y(), frame.width(), frame.height()],
            "fits": room.contains(frame), "plots": plots, "problems": problems}


def settle(seconds: float = 1.0) -> None:
    spin(seconds)  # the plots' last redraw (the Pacer's frames, a throttled panel)
    for w in QApplication.topLevelWidgets():
        if w.isVisible():
            w.repaint()  # a view box updates its auto-range when it paints
    spin(0.3)


def main() -> None:
    from vanishgui.ui.lesson.player import LessonPlayer, builtin_lessons
    from vanishgui.ui.shell.theme import apply_theme

    apply_theme(app)  # as the app starts
    root = Path(__file__).resolve().parents[2]
    examples = root / "resources" / "examples"
    projector = os.environ.get("VANISHGUI_READBACK_PROJECTOR") == "1"
    seconds = float(os.environ.get("VANISHGUI_READBACK_SECONDS", "3"))
    window = build_window(Session(load_experiment(examples / "deep-sigmoid-circles.json")),
                          restore=False)
    window.headless = True  # closing asks nothing
    window.show()
    spin(0.5)
    if projector:
        window.projector.enter()
        spin(0.5)
    phases: dict[str, dict] = {}

    def main_plots(w):
        return w.plots.panels

    def read(phase: str, every_plot: bool = False) -> None:
        settle()
        phases[phase] = read_window(window, main_plots, projector)
        if every_plot:  # each plot in turn, as G brings it to the front
            for k in range(len(window.plots.panels)):
                window.show_next_plot(+1)
                settle(0.5)
                seen = read_window(window, main_plots, projector)
                phases[f"{phase}, plot turn {k + 1}"] = seen

    window.session.train()
    spin(seconds)
    window.session.pause()
    trained = window.session.trainer.step_count
    read(f"after {seconds:g} s of training")
    window.session.reset()
    read("after a reset")
    window.session.set_experiment(load_experiment(examples / "deep-chain-sigmoid.json"))
    window.session.train()
    spin(seconds)
    window.session.pause()
    read("after another experiment, trained",
         every_plot=os.environ.get("VANISHGUI_READBACK_TURNS", "1") == "1")
    # the diagnosis strip and its evidence: a 20-layer chain whose sigmoid output saturates
    window.session.set_experiment(load_experiment(examples / "saturated-relu-chain.json"))
    window.on_show_evidence()  # D: selects the output neuron, brings σ'(z) forward
    read("a saturated output's evidence shown")
    player = window.findChild(LessonPlayer)
    player.open_path(builtin_lessons()[0])
    wanted = os.environ.get("VANISHGUI_READBACK_SCENES", "5")
    count = len(player.lesson.scenes)
    scenes = range(count) if wanted == "all" else [int(k) - 1 for k in wanted.split(",")]
    for index in scenes:
        player.go_to(index)
        player.finish_scene(compare=True)
        read(f"lesson scene {index + 1}, “{player.lesson.scenes[index].title}”")
        for cw in window.findChildren(QMainWindow, "comparisonWindow"):
            if cw.isVisible():
                settle()
                phases[f"scene {index + 1}: the comparison window"] = read_window(
                    cw, lambda c: {"compare_gradients": c.gradients}, projector)
                cw.close()
                spin(0.3)
    if os.environ.get("VANISHGUI_READBACK_WALL") == "1":
        player.leave()
        window.set_plot_wall(True)
        read("every plot at once")
    first = next(iter(phases.values()))
    print(json.dumps({"screen": first["screen"], "ratio": first["ratio"],
                      "steps": trained,
                      "plots": sum(len(p["plots"]) for p in phases.values()),
                      "texts_checked": TEXTS_CHECKED[0],
                      "problems": {k: v["problems"] for k, v in phases.items()}}))
    window.close()
    sys.stdout.flush()
    time.sleep(0)


main()
