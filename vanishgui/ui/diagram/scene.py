"""The network diagram's scene: layout, and the state drawn at the player's position.

The scene draws "the state at event k": which neurons show their activation or their
|δ|, which weights are already updated, and the current event's edges highlighted. It
reads every number from the Session's current Pass; it computes only positions and
colours.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    QEasingCurve,
    QLineF,
    QPointF,
    QRectF,
    Qt,
    QTimer,
    QVariantAnimation,
)
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem

from ...core import cure_steps, explain
from ...core.network import Pass
from ...core.numbers import num, subscript
from ...core.trace import Reveal
from ..model import palette
from ..model.session import Selection, Session
from .items import (
    NORM,
    SKIP,
    BoxItem,
    EdgeLayerItem,
    HighlightItem,
    LabelItem,
    NeuronLayerItem,
    NormMarkItem,
    SkipArcItem,
)

SMALL_WIDTH = 8  # up to this many neurons per layer, numbers are written beside neurons
MIN_LABEL_PX = 13  # numbers drawn smaller than this on screen are hidden (hover shows them)
MAX_EDGES_DRAWN = 24_000  # across the whole diagram; the strongest edges per layer pair
EDGE_BUDGET_S = 0.03  # edge work per redraw while training; the rest waits for the next
NORM_MARKS = {"batch": "BN", "layer": "LN"}

# What the diagram's colour key should add when the network has the cures (view.py's
# LEGEND is fixed; DiagramScene.legend_extra() picks the entries this network needs).
CURE_LEGEND: dict[str, tuple[QColor, str]] = {
    "skip": (SKIP, "skip (+ a, ×1 back)"),
    "batch": (NORM, "batch norm (BN)"),
    "layer": (NORM, "layer norm (LN)"),
}


@dataclass(frozen=True)
class Layout:
    """Where everything sits, in scene units."""

    centres: tuple[np.ndarray, ...]  # per layer (input first): (n, 2)
    radius: float
    column: float
    row: float
    bar: float  # half-width of a dense layer's cells; 0 for circles
    small: bool
    font_px: int

    def position(self, layer: int, neuron: int) -> QPointF:
        c = self.centres[layer][neuron]
        return QPointF(float(c[0]), float(c[1]))


def make_layout(layers: tuple[int, ...]) -> Layout:
    widest = max(layers)
    small = widest <= SMALL_WIDTH
    if small:
        column, row, radius, font_px = 300.0, 290.0, 54.0, 32
    else:
        column = max(80.0, min(300.0, 4200.0 / len(layers)))
        # about half as tall as wide, so a 16:9 window shows it large
        row = max(6.0, min(60.0, 0.5 * column * len(layers) / widest))
        radius = max(2.2, row * 0.36)
        font_px = int(max(16, column * len(layers) / 70))
    bar = 0.0 if widest <= 32 else column * 0.14
    centres = []
    for i, n in enumerate(layers):
        ys = (np.arange(n) - (n - 1) / 2.0) * row
        centres.append(np.column_stack([np.full(n, i * column), ys]))
    return Layout(tuple(centres), radius, column, row, bar, small, font_px)


def loss_box_text(batch: int, outputs: int, divisor: int, sample: int, loss: str,
                  y: list[str], y_hat: list[str] | None) -> str:
    """The loss box's lines. Over a batch the loss is a mean, and the target (and, once
    the forward pass reached it, the prediction) shown is the selected sample's, so the
    box says both; ``divisor`` is what the loss averages over (B, or B·K). ``sample`` is
    0-based."""
    def values(v: list[str]) -> str:
        return v[0] if len(v) == 1 else "(" + ", ".join(v) + ")"

    over = f"{outputs} outputs" if divisor != batch else ""
    if batch == 1:
        lines = ["loss L"] + ([f"mean over {over}"] if divisor > 1 else [])
        return "\n".join([*lines, loss, f"target y = {', '.join(y)}"])
    mean = f"mean over {batch} samples" + (f" × {over}" if over else "")
    last = f"sample {sample + 1}: y = {values(y)}"
    if y_hat is not None:
        last += f", ŷ = {values(y_hat)}"
    return "\n".join(["loss L", mean, loss, last])


def _finite_max_abs(w: np.ndarray) -> float:
    """The largest finite |w| (0 if none)."""
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(w), where=np.isfinite(w), initial=0.0))


def _layer_key(rv: Reveal, i: int) -> tuple[int, int, int, bool]:
    """What a layer's fills depend on at a position."""
    dl = int(rv.delta[i])
    return (int(rv.forward[i]), dl, int(rv.delta_hat[i]) if len(rv.delta_hat) else dl,
            bool(rv.skipped[i]) if len(rv.skipped) else False)


def neuron_lines(p: Pass, rv: Reveal, layer: int, j: int, sample: int) -> list[str]:
    """The numbers written under neuron j of ``layer`` at a position, at most four lines:
    z once computed; under a norm ẑ once the norm's event happened; a (f(ẑ) until a skip
    adds in, then their sum); on the way back f' and δ, under a norm f'(ẑ), ∂L/∂ẑ and
    then δ, these taking the place of z and ẑ (the hover tooltip keeps every number)."""
    i = layer - 1
    dname = p.network.activations[i].info.derivative_label
    normed = layer < p.depth and p.network.norm != "none"
    skip = p.skip_source(layer)
    forward: list[str] = []
    if j < rv.linear[i]:
        forward.append(f"z = {num(p.z[i][sample, j])}")
    if normed and rv.normed[i]:
        forward.append(f"ẑ = {num(p.f_input(layer)[sample, j])}")
    if j < rv.forward[i]:
        if skip is None:
            forward.append(f"a = {num(p.a[i][sample, j])}")
        elif rv.skipped[i]:
            forward.append(f"a = f + a{subscript(skip)} = {num(p.a[i][sample, j])}")
        else:
            forward.append(f"f = {num(cure_steps.activation_values(p, layer)[sample, j])}")
    back: list[str] = []
    if j < rv.delta_hat[i]:
        if normed:
            back.append(f"{dname.replace('(z)', '(ẑ)')} = {num(p.dact[i][sample, j])}")
            back.append(f"∂L/∂ẑ = {num(p.grad_z_hat[i][sample, j])}")
        else:
            back.append(f"{dname} = {num(p.dact[i][sample, j])}")
    if j < rv.delta[i]:
        back.append(f"δ = {num(p.delta[i][sample, j])}")
    if back and len(forward) + len(back) > 4:
        forward = forward[-(4 - len(back)):] if len(back) < 4 else []
    return forward + back


class DiagramScene(QGraphicsScene):
    """Builds items for the session's network and keeps them in step with the player."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(QColor("#ffffff"))
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.setEasingCurve(QEasingCurve.Type.InOutQuad)
        self._anim.valueChanged.connect(self._on_progress)
        self._last_reveal: Reveal | None = None
        self.min_label_px: float = MIN_LABEL_PX
        self._view_scale = 1.0
        self._fade: tuple[int, int, QColor, QColor] | None = None
        # While training runs, redraw at a pace the diagram can afford (a dense network's
        # edges take tens of ms), so the window stays responsive.
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.timeout.connect(lambda: self.refresh(animate=False))
        self.rebuild()
        session.experiment_changed.connect(self._on_experiment_changed)
        session.pass_changed.connect(self._on_pass_changed)
        session.cursor_moved.connect(self._on_cursor_moved)
        session.selection_changed.connect(self._on_selection_changed)
        session.sample_changed.connect(self._on_sample_changed)

    # -- building --------------------------------------------------------------------------
    def rebuild(self) -> None:
        self._anim.stop()
        self._fade = None
        self.clear()
        layers = self.session.experiment.layers
        self.layout = lay = make_layout(layers)
        font = QFont()
        font.setPixelSize(lay.font_px)
        self.label_font = font
        per_pair = max(64, MAX_EDGES_DRAWN // max(1, len(layers) - 1))
        pairs = [layers[i - 1] * layers[i] for i in range(1, len(layers))]
        self.weights_total = sum(pairs)  # weights in the network
        self.weights_drawn = sum(min(n, per_pair) for n in pairs)  # edges drawn of them
        self.edge_items = []
        for layer in range(1, len(layers)):
            item = EdgeLayerItem(layer, lay.centres[layer - 1], lay.centres[layer], per_pair)
            self.addItem(item)
            self.edge_items.append(item)
        self.neuron_items = []
        for layer in range(len(layers)):
            item = NeuronLayerItem(layer, lay.centres[layer], lay.radius, lay.bar, lay.row)
            self.addItem(item)
            self.neuron_items.append(item)
        self._build_cures(font)
        out = lay.centres[-1]
        x = float(out[0, 0]) + lay.column * 0.5
        w, h = self._loss_box_size(font)
        self.loss_box = BoxItem(QRectF(x, -h / 2, w, h), font)
        self.addItem(self.loss_box)
        top = min(float(c[:, 1].min()) for c in lay.centres) - lay.radius
        if self.skip_items:  # the layer names stand above the skips' arcs
            top = min(top, min(a.path.boundingRect().top() for a in self.skip_items.values())
                      - 1.6 * lay.font_px)
        self.highlight = HighlightItem(self._content_rect())
        self.addItem(self.highlight)
        self.selection_item = HighlightItem(self._content_rect())
        self.selection_item.setZValue(1.5)
        self.addItem(self.selection_item)
        self.headers = []
        header_font = QFont(font)
        header_font.setBold(True)
        stride = max(1, math.ceil(len(layers) / 12))
        for i in range(len(layers)):
            if i % stride and i != len(layers) - 1:
                continue
            t = QGraphicsSimpleTextItem(self._header_text(i))
            t.setFont(header_font)
            t.setBrush(palette.TEXT)
            br = t.boundingRect()
            t.setPos(float(lay.centres[i][0, 0]) - br.width() / 2, top - br.height() - 24)
            self.addItem(t)
            self.headers.append(t)
        self.labels: list[list[LabelItem]] = []
        if lay.small:
            for centres in lay.centres:
                row = []
                for c in centres:
                    label = LabelItem("", font)
                    label.anchor = QPointF(float(c[0]), float(c[1]) + lay.radius + 10)
                    self.addItem(label)
                    row.append(label)
                self.labels.append(row)
        # a lone edge between two single neurons gets its name and value, as the ledger
        # names it (w₁, w₂, …)
        self.edge_labels: dict[int, LabelItem] = {}
        if lay.small:
            for layer in range(1, len(layers)):
                if layers[layer - 1] == 1 and layers[layer] == 1:
                    a, b = lay.position(layer - 1, 0), lay.position(layer, 0)
                    small = QFont(font)
                    small.setPixelSize(round(lay.font_px * 0.85))
                    label = LabelItem("", small)
                    label.anchor = QPointF((a.x() + b.x()) / 2, a.y() - lay.radius * 0.4
                                           - lay.font_px * 1.2)
                    self.addItem(label)
                    self.edge_labels[layer] = label
        self._last_reveal = None
        self.labels_hidden = False
        self.loss_box.text_shown = True
        rect = self.itemsBoundingRect()
        if lay.small:  # room for the lines of numbers under the lowest neurons
            lowest = float(max(c[:, 1].max() for c in lay.centres))
            lines = 4
            rect.setBottom(max(rect.bottom(),
                               lowest + lay.radius + 20 + lines * lay.font_px * 1.3))
        self.setSceneRect(rect.adjusted(-40, -30, 40, 40))
        self._weights_dirty = True
        self._stale_edges: set[int] = set()
        self._edge_cursor = 0
        self._layer_max: list[float] = []
        self._shown: list[np.ndarray] = []
        self.refresh(animate=False)
        self._on_selection_changed()

    def _build_cures(self, font: QFont) -> None:
        """A ring (and a BN/LN box) on each normalised layer, an arc over each residual
        block, from what the session's network has."""
        lay = self.layout
        net = self.session.current.network
        depth = len(lay.centres) - 1
        self.norm_items: dict[int, NormMarkItem] = {}
        self.skip_items: dict[int, SkipArcItem] = {}
        if net.norm != "none":
            box_font = QFont(font)
            box_font.setPixelSize(round(lay.font_px * 0.8))
            for layer in range(1, depth):  # every hidden layer, never the output
                item = NormMarkItem(layer, lay.centres[layer], lay.radius, lay.bar, lay.row,
                                    box_font if lay.small else None, NORM_MARKS[net.norm])
                self.addItem(item)
                self.norm_items[layer] = item
        arc_font = QFont(font)
        arc_font.setPixelSize(round(lay.font_px * (0.8 if lay.small else 1.0)))
        for end, source in enumerate(net.skip_from, start=1):
            if source is None:
                continue
            top_s = float(lay.centres[source][:, 1].min()) - max(lay.radius, lay.row / 2)
            top_e = float(lay.centres[end][:, 1].min()) - max(lay.radius, lay.row / 2)
            start = QPointF(float(lay.centres[source][0, 0]), top_s - 4)
            stop = QPointF(float(lay.centres[end][0, 0]), top_e - 4)
            rise = lay.column * (0.3 + 0.05 * (end - source))
            width = 6.0 if lay.small else max(2.0, lay.column / 40)
            item = SkipArcItem(source, end, start, stop, rise, width, arc_font,
                               f"+ a{subscript(source)}")
            self.addItem(item)
            self.skip_items[end] = item

    def legend_extra(self) -> list[tuple[QColor, str]]:
        """The colour key's entries for this network's cures (none for a plain one)."""
        net = self.session.current.network
        out = []
        if self.skip_items:
            out.append(CURE_LEGEND["skip"])
        if net.norm != "none":
            out.append(CURE_LEGEND[net.norm])
        return out

    def _loss_box_size(self, font: QFont) -> tuple[float, float]:
        """The loss box's width and height: room for three short lines, or, over a batch
        or several outputs, for its longest text with the widest numbers."""
        lay = self.layout
        w, h = lay.font_px * 7.5, lay.font_px * 4.6
        p = self.session.current
        batch, outputs = p.targets.shape
        if batch == 1 and outputs == 1:
            return w, h
        wide = num(-1.23e-5)  # as wide as a number usually gets: "−1.23e−5"
        targets = np.unique(self.session.trainer.targets)  # a class data set's: 0 and 1
        y = max((num(v) for v in targets), key=len) if len(targets) <= 64 else wide
        text = loss_box_text(batch, outputs, p.loss_divisor, batch - 1, wide,
                             [y] * outputs, [wide] * outputs)
        r = QFontMetricsF(font).boundingRect(QRectF(0, 0, 1e6, 1e6),
                                             Qt.AlignmentFlag.AlignCenter, text)
        return max(w, r.width() + lay.font_px), max(h, r.height() + lay.font_px)

    def set_view_scale(self, scale: float) -> None:
        """Hide the diagram's texts (numbers under neurons, layer names, the loss box's
        text) when the view would draw them under ``min_label_px`` (a long chain fitted
        into a window; 24 px in projector mode); hovering a neuron then shows them."""
        self._view_scale = scale
        hidden = self.layout.font_px * scale < self.min_label_px
        if hidden != self.labels_hidden:
            self.labels_hidden = hidden
            for label in [lab for row in self.labels for lab in row] + list(
                    self.edge_labels.values()) + self.headers:
                label.setVisible(not hidden)
            self.loss_box.text_shown = not hidden
            self.loss_box.update()

    def set_min_label_px(self, px: float) -> None:
        """The smallest text the diagram draws on screen (MIN_LABEL_PX, or 24 for a
        projector)."""
        self.min_label_px = px
        self.set_view_scale(self._view_scale)

    def _content_rect(self) -> QRectF:
        lay = self.layout
        xs = np.concatenate([c[:, 0] for c in lay.centres])
        ys = np.concatenate([c[:, 1] for c in lay.centres])
        return QRectF(float(xs.min()) - 50, float(ys.min()) - 50,
                      float(xs.max() - xs.min()) + lay.column + 260,
                      float(ys.max() - ys.min()) + 100)

    def _header_text(self, i: int) -> str:
        exp = self.session.experiment
        n = len(exp.layers) - 1
        if i == 0:
            return "input"
        act = exp.activations[i - 1].info.label
        if i == n:
            return f"output\n{act}"
        return f"hidden {i}\n{act}" if self.layout.small else f"{i}"

    # -- signals -------------------------------------------------------------------------
    def _on_experiment_changed(self) -> None:
        self.rebuild()

    def _on_pass_changed(self) -> None:
        self._weights_dirty = True
        self._last_reveal = None

    def _on_sample_changed(self, _sample: int) -> None:
        # redraw every layer's colours for the new sample (cursor_moved follows), not only
        # the layers whose events moved
        self._last_reveal = None

    def _on_cursor_moved(self, position: int) -> None:
        if self.session.training:
            if not self._throttle.isActive():
                edges = sum(i.shown_edges for i in self.edge_items)
                self._throttle.start(40 if edges <= 2000 else 250)
            return
        self._throttle.stop()
        prev = self._last_reveal.position if self._last_reveal is not None else None
        self.refresh(animate=prev is not None and position == prev + 1)

    def _on_selection_changed(self) -> None:
        sel = self.session.selection
        lines, widths = [], []
        if sel is not None and sel.is_weight:
            lines = [QLineF(self.layout.position(sel.layer - 1, sel.source),
                            self.layout.position(sel.layer, sel.neuron))]
            widths = [4.0]
        selected = None if sel is None or sel.is_weight else (sel.layer, sel.neuron)
        for item in self.neuron_items:
            j = selected[1] if selected is not None and selected[0] == item.layer else None
            item.set_marks(item.ring, j)
        self.selection_item.set_lines(lines, widths, palette.SELECTION, False)

    def _on_progress(self, value) -> None:
        t = float(value)
        self.highlight.set_progress(t)
        if self._fade is not None:
            layer, j, old, new = self._fade
            item = self.neuron_items[layer]
            fills = list(item.fills)
            fills[j] = palette.mix(old, new, t)
            item.set_fills(fills)

    # -- drawing the state at the player's position --------------------------------------
    def _finish_fade(self) -> None:
        """Apply an interrupted fade's final colour before drawing a new state."""
        self._anim.stop()
        if self._fade is not None:
            layer, j, _old, new = self._fade
            item = self.neuron_items[layer]
            fills = list(item.fills)
            fills[j] = new
            item.set_fills(fills)
            self._fade = None

    def _redraw_edges(self) -> None:
        """Redraw the stale layer pairs' edges. While training runs, at most
        EDGE_BUDGET_S of work per call, the rest on the next tick, so a network with
        millions of weights never holds the window up for long."""
        lay = self.layout
        max_px = 10.0 if lay.small else 2.0
        budget = EDGE_BUDGET_S if self.session.training else math.inf
        start = time.perf_counter()
        # round the layers from where the last call stopped, so none waits for ever
        order = sorted(self._stale_edges, key=lambda i: (i < self._edge_cursor, i))
        for k, i in enumerate(order):
            if k and time.perf_counter() - start > budget:
                break  # at least one layer pair a call, however busy the machine
            self._stale_edges.discard(i)
            self._edge_cursor = i + 1
            w = self._shown[i]
            if self.session.training:  # the widest line follows the weights as they grow
                self._layer_max[i] = _finite_max_abs(w)
            scale = max(self._layer_max, default=1.0)
            self.edge_items[i].set_weights(w, scale, max_px)
            if i + 1 in self.edge_labels:
                self._set_label(self.edge_labels[i + 1], f"w{subscript(i + 1)} = {num(w[0, 0])}")
        if self._stale_edges and not self._throttle.isActive():
            self._throttle.start(40)  # leave the window time to paint and answer

    def refresh(self, animate: bool = False) -> None:
        self._finish_fade()
        s = self.session
        p = s.current
        rv = s.reveal()
        sample = min(s.sample, len(p.inputs) - 1)
        prev = self._last_reveal
        lay = self.layout
        # neurons: input values, then activation or |δ| shade
        self.neuron_items[0].set_fills(palette.activation_colors(p.inputs[sample]))
        old_fade = None
        ev = rv.event
        for i in range(p.depth):
            fwd, dl = int(rv.forward[i]), int(rv.delta[i])
            dh = int(rv.delta_hat[i]) if len(rv.delta_hat) else dl
            skipped = bool(rv.skipped[i]) if len(rv.skipped) else False
            key = (fwd, dl, dh, skipped)
            if prev is not None and _layer_key(prev, i) == key:
                continue
            # before its skip adds in, a block's end shows its own f(ẑ)
            a = (p.a[i] if skipped or p.skip_source(i + 1) is None
                 else cure_steps.activation_values(p, i + 1))[sample]
            d = p.delta[i][sample]
            # ∂L/∂ẑ of a normalised layer until the norm's gradient gives δ
            back = palette.delta_colors(d[:dh]) if dl >= dh else palette.delta_colors(
                p.grad_z_hat[i][sample][:dh])
            fills = back + (palette.activation_colors(a[dh:fwd]) if fwd > dh else [])
            fills += [palette.PENDING] * (len(a) - len(fills))
            item = self.neuron_items[i + 1]
            if animate and ev is not None and ev.layer == i + 1 and ev.kind in (
                    "forward", "delta", "delta_hat"):
                old_fade = (i + 1, ev.neuron, item.fills[ev.neuron], fills[ev.neuron])
                fills[ev.neuron] = old_fade[2]
            item.set_fills(fills)
        # edges: the weights as updated so far
        if self._weights_dirty or prev is None or not np.array_equal(prev.update, rv.update):
            self._shown = explain.weights_at(p, rv.update)
            if self._weights_dirty or prev is None:
                if not s.training or not self._layer_max:  # while training: as drawn
                    self._layer_max = [_finite_max_abs(w) for w in p.network.weights]
                self._stale_edges.update(range(len(self._shown)))
            else:  # only the layers whose update events happened or were undone
                self._stale_edges.update(np.flatnonzero(prev.update != rv.update).tolist())
            self._weights_dirty = False
        self._redraw_edges()
        # labels beside small networks' neurons
        if lay.small:
            self._write_labels(rv, sample)
        self._write_loss(rv, sample)
        self._highlight(rv, animate)
        self._fade = old_fade
        self._last_reveal = rv
        if animate and s.transition_ms() > 0:
            self._anim.stop()
            self._anim.setDuration(s.transition_ms())
            self._anim.start()
        else:
            self._on_progress(1.0)
            self._finish_fade()

    def _write_labels(self, rv: Reveal, sample: int) -> None:
        p = self.session.current
        for j, label in enumerate(self.labels[0]):
            self._set_label(label, f"x = {num(p.inputs[sample, j])}")
        for i in range(p.depth):
            for j, label in enumerate(self.labels[i + 1]):
                self._set_label(label, "\n".join(neuron_lines(p, rv, i + 1, j, sample)))

    @staticmethod
    def _set_label(label: LabelItem, text: str) -> None:
        """Centre the text under its neuron."""
        if label.text() != text:
            label.setText(text)
        br = label.boundingRect()
        label.setPos(label.anchor.x() - br.width() / 2, label.anchor.y())

    def _write_loss(self, rv: Reveal, sample: int) -> None:
        p = self.session.current
        batch, outputs = p.targets.shape
        y = [num(v) for v in p.targets[sample]]
        # ŷ once the forward pass has reached every output
        y_hat = [num(v) for v in p.output[sample]] if rv.forward[-1] >= outputs else None
        active = rv.event is not None and rv.event.kind == "loss"
        text = loss_box_text(batch, outputs, p.loss_divisor, sample,
                             num(p.loss) if rv.loss else "?", y, y_hat)
        fill = QColor("#fff4d6") if rv.loss else QColor("#ffffff")
        self.loss_box.set_text(text, fill, active)

    def _highlight(self, rv: Reveal, animate: bool) -> None:
        e = rv.event
        ring_layer = e.layer if e is not None and e.kind not in (
            "loss", "norm", "norm_back", "skip", "skip_back") else None
        for item in self.neuron_items:
            if item.ring is not None and item.layer != ring_layer:
                item.set_marks(None, item.selected)
        lines: list[QLineF] = []
        widths: list[float] = []
        color, reverse = palette.HIGHLIGHT, False
        widths_from = None
        self._mark_cures(e)
        if e is not None and e.kind in ("norm", "norm_back", "skip", "skip_back"):
            e = None  # drawn by the norm's or the skip's own item
        if e is not None:
            p = self.session.current
            lay = self.layout
            w_all = p.network.weights
            scale = max(self._layer_max, default=1.0)
            if not (math.isfinite(scale) and scale > 0):
                scale = 1.0

            def width(w: float) -> float:
                if not math.isfinite(w):
                    return 3.0
                return 2.5 + (8.0 if lay.small else 2.0) * abs(w) / scale

            loss_anchor = QPointF(self.loss_box.boundingRect().left() + 4, 0.0)
            if e.kind == "loss":
                for c in lay.centres[-1]:
                    lines.append(QLineF(QPointF(c[0], c[1]), loss_anchor))
                    widths.append(4.0)
            else:
                layer, j = e.layer, e.neuron
                item = self.neuron_items[layer]
                item.set_marks(j, item.selected)
                dst = lay.position(layer, j)
                w_in = w_all[layer - 1][j]
                incoming = [lay.position(layer - 1, i) for i in range(len(w_in))]
                if e.kind == "forward" and layer in self.norm_items:
                    pass  # a = f(ẑ): the neuron's own step, no edge carries it
                elif e.kind in ("forward", "linear"):
                    lines = [QLineF(a, dst) for a in incoming]
                    widths = [width(float(w)) for w in w_in]
                elif e.kind in ("delta", "delta_hat"):
                    color, reverse = palette.BACKWARD, True
                    if layer == p.depth:
                        lines, widths = [QLineF(dst, loss_anchor)], [4.0]
                    else:
                        w_out = w_all[layer][:, j]
                        lines = [QLineF(dst, lay.position(layer + 1, k)) for k in range(len(w_out))]
                        widths = [width(float(w)) for w in w_out]
                elif e.kind == "gradient":
                    color, reverse = palette.BACKWARD, True
                    lines = [QLineF(a, dst) for a in incoming]
                    widths = [width(float(w)) for w in w_in]
                else:  # update
                    new = p.update.weights[layer - 1][j] if p.update else w_in
                    lines = [QLineF(a, dst) for a in incoming]
                    widths = [width(float(w)) for w in new]
                    widths_from = [width(float(w)) for w in w_in]
        limit = 4096  # a 256-wide layer's fan-in; keep the overlay cheap
        self.highlight.set_lines(lines[:limit], widths[:limit], color, reverse,
                                 None if widths_from is None else widths_from[:limit])

    def _mark_cures(self, e) -> None:
        """The norm's ring and the skip's arc in the event's colour during their events."""
        for layer, item in self.norm_items.items():
            active = e is not None and e.layer == layer and e.kind in ("norm", "norm_back")
            item.set_active(None if not active else (
                palette.HIGHLIGHT if e.kind == "norm" else palette.BACKWARD))
        for end, arc in self.skip_items.items():
            active = e is not None and e.layer == end and e.kind in ("skip", "skip_back")
            arc.set_active(None if not active else (
                palette.HIGHLIGHT if e.kind == "skip" else palette.BACKWARD))

    # -- hit testing ---------------------------------------------------------------------
    def selection_at(self, pos: QPointF, tolerance: float) -> Selection | None:
        """The neuron or the edge (weight) under a scene position."""
        lay = self.layout
        for item in self.neuron_items:
            if item.layer == 0:
                continue
            if item.boundingRect().adjusted(-tolerance, 0, tolerance, 0).contains(pos):
                j = item.neuron_at(pos)
                if j is not None:
                    return Selection(item.layer, j)
        x = pos.x()
        for layer in range(1, len(lay.centres)):
            x0 = lay.centres[layer - 1][0, 0]
            x1 = lay.centres[layer][0, 0]
            if not x0 < x < x1:
                continue
            src = lay.centres[layer - 1]
            dst = lay.centres[layer]
            # distance from pos to every segment (src_i -> dst_j), vectorised
            s = src[None, :, :]
            d = dst[:, None, :]
            seg = d - s
            t = ((pos.x() - s[..., 0]) * seg[..., 0] + (pos.y() - s[..., 1]) * seg[..., 1]) / (
                seg[..., 0] ** 2 + seg[..., 1] ** 2)
            t = np.clip(t, 0.0, 1.0)
            px = s[..., 0] + t * seg[..., 0] - pos.x()
            py = s[..., 1] + t * seg[..., 1] - pos.y()
            dist = np.hypot(px, py)
            j, i = np.unravel_index(int(np.argmin(dist)), dist.shape)
            if dist[j, i] <= tolerance:
                return Selection(layer, int(j), int(i))
        return None

    def neuron_tooltip(self, layer: int, j: int) -> str:
        p = self.session.current
        s = min(self.session.sample, len(p.inputs) - 1)
        if layer == 0:
            return f"input {j + 1}: x = {num(p.inputs[s, j])}"
        i = layer - 1
        d = p.network.activations[i].info.derivative_label
        if p.network.norm != "none" and layer < p.depth:
            return (f"layer {layer}, neuron {j + 1}\nz = {num(p.z[i][s, j])}\n"
                    f"ẑ = {num(p.f_input(layer)[s, j])}\na = {num(p.a[i][s, j])}\n"
                    f"{d.replace('(z)', '(ẑ)')} = {num(p.dact[i][s, j])}\n"
                    f"∂L/∂ẑ = {num(p.grad_z_hat[i][s, j])}\nδ = {num(p.delta[i][s, j])}")
        return (f"layer {layer}, neuron {j + 1}\nz = {num(p.z[i][s, j])}\n"
                f"a = {num(p.a[i][s, j])}\n{d} = {num(p.dact[i][s, j])}\n"
                f"δ = {num(p.delta[i][s, j])}")
