"""What an axis draws, read from pyqtgraph's own draw specs (shared by the read-back
probe, which runs as a process of its own, and the plot tests)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter


def draw_specs(axis: pg.AxisItem):
    """``axis.generateDrawSpecs`` on a throwaway painter: (axis spec, tick specs, text
    specs), the last a list of (rect, flags, text), or None."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return axis.generateDrawSpecs(painter)
    finally:
        painter.end()
