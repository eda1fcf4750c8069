"""One meaning per colour (issue 11): viridis meant |δ| in the diagram and a layer's depth
in every plot of the same window, so equal gradients looked "vanishing" by colour; blue and
vermillion meant a weight's sign in the diagram and sigmoid/ReLU in a comparison; the
selection was near-black, the legend's "exactly 0". Here every colour that carries a
meaning in a view is listed with its meaning (a map by 64 evenly spaced colours), and no
two meanings of one view may lie within ΔE2000 10 of each other. The colours are read
from the modules the views draw with, and the legends on screen are read back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from vanishgui.ui.compare.plots import NETWORK_COLORS
from vanishgui.ui.diagram.view import LEGEND, SwatchRow
from vanishgui.ui.model import palette
from vanishgui.ui.plots import base, boundary

MIN_DELTA_E = 10.0


def one(color: QColor) -> list[tuple[int, int, int]]:
    return [palette.rgb(color)]


def boundary_samples() -> list[tuple[int, int, int]]:
    lut = boundary.diverging_map().getLookupTable(nPts=palette.SAMPLES, alpha=False)
    return [tuple(int(v) for v in row[:3]) for row in lut]


def main_window_meanings() -> dict[str, list[tuple[int, int, int]]]:
    """The diagram's meanings and the plots' of the main window."""
    return {**palette.MEANINGS,
            "a layer's depth": palette.depth_samples(base.VIRIDIS_END),
            "loss": one(base.LOSS_COLOR), "accuracy": one(base.ACCURACY_COLOR),
            "largest f'(z)": one(base.BOUND_COLOR),
            "class 0": one(base.CLASS_COLORS[0]), "class 1 (a target y)": one(base.CLASS_COLORS[1]),
            "fitted ŷ": one(base.FIT_COLOR), "ŷ over the plane": boundary_samples()}


def comparison_meanings() -> dict[str, list[tuple[int, int, int]]]:
    out = {name: colors for name, colors in palette.MEANINGS.items()
           if name != "the diagnosis strip"}
    out.update({f"network {i + 1}": one(c) for i, c in enumerate(NETWORK_COLORS)})
    return out


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [  # Sharma, Wu & Dalal (2005)
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
])
def test_delta_e2000_matches_the_published_pairs(lab1, lab2, expected) -> None:
    assert palette.delta_e2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected,
                                                                                  abs=1e-4)


@pytest.mark.parametrize("view", ["main window", "comparison window"])
def test_no_two_meanings_of_a_view_share_a_colour(view) -> None:
    meanings = main_window_meanings() if view == "main window" else comparison_meanings()
    closest = palette.closest_meanings(meanings)
    too_close = [(round(d, 1), a, b) for d, a, b in closest if d < MIN_DELTA_E]
    assert not too_close, too_close
    assert len(closest) == len(meanings) * (len(meanings) - 1) // 2


def test_the_old_palette_fails_the_rule() -> None:
    """The check can fail: viridis for |δ| beside viridis for depth, blue for a weight
    beside blue for the loss."""
    old = dict(main_window_meanings())
    old["|δ| of a neuron"] = palette.depth_samples(1.0)
    assert palette.closest_meanings(old)[0][0] < 1.0


def test_the_diagram_draws_its_meanings_and_its_legend_names_each(window) -> None:
    """Read back: the legend row under the diagram shows each colour the diagram draws
    with a word, the |δ| bar runs from the scale's first colour to its last, and a
    neuron's |δ| colour is on that scale."""
    row = window.diagram.findChild(SwatchRow)
    assert row is not None and row.isVisible()
    shown = {text: color for color, text in row.swatches}
    assert shown["exactly 0"] == palette.ZERO and shown["inf / NaN"] == palette.NONFINITE
    assert shown["+ weight"] == palette.POSITIVE and shown["− weight"] == palette.NEGATIVE
    assert shown["this event"] == palette.HIGHLIGHT
    assert shown["δ going back"] == palette.BACKWARD and shown["selected"] == palette.SELECTION
    assert row.swatches == LEGEND
    image = row.grab().toImage()
    drawn = {QColor(image.pixel(x, y)).name() for x in range(0, image.width(), 2)
             for y in range(0, image.height(), 2)}
    for color in (palette.POSITIVE, palette.NEGATIVE, palette.HIGHLIGHT, palette.SELECTION):
        assert color.name() in drawn, color.name()  # each swatch is painted
    bar = window.diagram.colorbar.grab().toImage()
    column = [QColor(bar.pixel(12, y)) for y in range(bar.height())]
    reds = [c for c in column if c.red() > c.green() + 30]
    assert reds, "the |δ| bar is not drawn in the |δ| colours"
    lab = palette.srgb_to_lab(np.array([palette.rgb(c) for c in reds]))
    scale = palette.srgb_to_lab(np.array(palette.MEANINGS["|δ| of a neuron"]))
    nearest = palette.delta_e2000(lab[:, None, :], scale[None, :, :]).min(axis=1)
    assert nearest.max() < 3.0  # every red drawn in the bar is on the |δ| scale
    assert palette.delta_color(1e-12) == palette.delta_scale(0.0)
    assert palette.delta_color(1.0) == palette.delta_scale(1.0)
