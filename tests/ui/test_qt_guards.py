"""Guards on the Qt stack the plots stand on (the developers' requirement).

pyproject.toml pins PySide6 to 6.10.x because later releases broke two things the plot
panels depend on: one corrupted ``None``'s reference count when a pen was set on a
pyqtgraph item many times (on Python 3.11 that ends in a crash at exit), another broke
pyqtgraph's SVG export. These tests fail loudly if an upgrade brings either back.
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
import pytest

SET_PEN_CALLS = 20_000


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    return widget


def test_set_pen_does_not_leak_none_references(plot):
    curve = plot.plot(np.arange(10.0), np.arange(10.0) ** 2)
    pens = [pg.mkPen("#0072B2", width=2), pg.mkPen("#D55E00", width=3)]
    curve.setPen(pens[0])  # warm up caches before counting
    before = sys.getrefcount(None)
    for i in range(SET_PEN_CALLS):
        curve.setPen(pens[i % 2])
    after = sys.getrefcount(None)
    assert after >= before, f"None lost {before - after} references in {SET_PEN_CALLS} setPen"


def test_svg_export_writes_an_svg(plot, tmp_path):
    plot.plot(np.arange(10.0), np.sin(np.arange(10.0)), pen=pg.mkPen("#0072B2", width=2))
    plot.show()
    path = tmp_path / "plot.svg"
    exporter = pyqtgraph.exporters.SVGExporter(plot.getPlotItem())
    exporter.export(str(path))
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert text.strip()
    assert "<svg" in text
