"""The window under the cures: the step's new events on the diagram and in the captions,
the ledger's two paths and the waterfall's skip parts, read back from what is drawn.

Experiments are real files' documents (classic's, with layers, a norm and residual
blocks set), opened in a Session as the app opens them.
"""

from __future__ import annotations

import numpy as np
import pytest

from vanishgui.core.cure_steps import norm_back_step, norm_step, skip_step
from vanishgui.core.cures import skip_sources
from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.core.numbers import num
from vanishgui.ui.diagram.items import NORM, SKIP
from vanishgui.ui.diagram.scene import CURE_LEGEND, DiagramScene
from vanishgui.ui.model import palette
from vanishgui.ui.model.describe import caption, status_line
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.plots.waterfall import SKIP_PART, WaterfallPanel
from vanishgui.ui.views.ledger import LedgerPanel


def cured(norm: str, every: int | None, layers=(2, 3, 3, 3, 3, 3, 1), samples: int = 5):
    doc = classic().to_json()
    net = doc["network"]
    net["layers"] = list(layers)
    net["activations"] = ["sigmoid"] * (len(layers) - 1)
    for key in ("weights", "biases", "alphas"):
        net.pop(key, None)
    if norm != "none":
        net["norm"] = norm
    if every is not None:
        net["residual"] = {"every": every}
    rng = np.random.default_rng(3)
    doc["data"] = {"inputs": rng.normal(size=(samples, layers[0])).tolist(),
                   "targets": rng.uniform(size=(samples, layers[-1])).tolist()}
    doc["training"]["batch_size"] = None
    return parse_experiment(doc)


@pytest.fixture
def scene(qtbot):
    def make(exp):
        session = Session(exp)
        return session, DiagramScene(session)

    return make


def seek_to(session: Session, kind: str, layer: int, neuron: int = 0) -> None:
    session.player.seek(session.trace.index_of(kind, layer, neuron) + 1)


def label_text(sc: DiagramScene, layer: int, neuron: int) -> str:
    return sc.labels[layer][neuron].text()


def test_the_diagram_draws_an_arc_per_block_and_a_mark_per_normalised_layer(scene) -> None:
    session, sc = scene(cured("batch", 2))
    assert sorted(sc.skip_items) == [3, 5]  # blocks [2, 3] and [4, 5]
    assert {e: a.source for e, a in sc.skip_items.items()} == {3: 1, 5: 3}
    assert sorted(sc.norm_items) == [1, 2, 3, 4, 5]  # every hidden layer, not the output
    for end, arc in sc.skip_items.items():  # over the block: from its source to its end
        x0 = sc.layout.centres[arc.source][0, 0]
        x1 = sc.layout.centres[end][0, 0]
        assert (arc.start.x(), arc.stop.x()) == (x0, x1)
        assert arc.path.boundingRect().top() < min(arc.start.y(), arc.stop.y())
    for item in sc.norm_items.values():
        assert item.mark == "BN" and item.box_rect() is not None
    assert sc.legend_extra() == [CURE_LEGEND["skip"], CURE_LEGEND["batch"]]
    assert CURE_LEGEND["skip"][0] == SKIP and CURE_LEGEND["batch"][0] == NORM
    # one edge item per layer pair, as without the cures
    assert len(sc.edge_items) == len(session.experiment.layers) - 1
    _plain, plain = scene(classic())
    assert plain.skip_items == {} and plain.norm_items == {} and plain.legend_extra() == []


def test_the_new_events_reveal_their_numbers_in_order(scene) -> None:
    session, sc = scene(cured("layer", 2))
    p = session.current
    # before the norm: z only; after it ẑ; after the activations f; after the skip a
    seek_to(session, "linear", 3, 2)
    sc.refresh()
    assert label_text(sc, 3, 0) == f"z = {num(p.z[2][0, 0])}"
    assert sc.norm_items[3].color is None
    seek_to(session, "norm", 3)
    sc.refresh()
    assert label_text(sc, 3, 0).splitlines() == [f"z = {num(p.z[2][0, 0])}",
                                                f"ẑ = {num(p.z_hat[2][0, 0])}"]
    assert sc.norm_items[3].color == palette.HIGHLIGHT  # the norm's own event, lit
    seek_to(session, "forward", 3, 2)
    sc.refresh()
    f = p.a[2][0, 0] - p.a[0][0, 0]
    assert label_text(sc, 3, 0).splitlines()[-1].startswith("f = ")
    assert float(label_text(sc, 3, 0).splitlines()[-1][4:].replace("−", "-")) == \
        pytest.approx(f, rel=5e-3)
    assert sc.skip_items[3].color is None
    seek_to(session, "skip", 3)
    sc.refresh()
    assert label_text(sc, 3, 0).splitlines()[-1] == f"a = f + a₁ = {num(p.a[2][0, 0])}"
    assert sc.skip_items[3].color == palette.HIGHLIGHT
    assert sc.norm_items[3].color is None
    # on the way back: the skip hands ∂L/∂a₃ to layer 1 (drawn in δ's colour), then
    # layer 1's ∂L/∂ẑ, then the norm's gradient gives δ
    seek_to(session, "skip_back", 3)
    sc.refresh()
    assert sc.skip_items[3].color == palette.BACKWARD
    assert "∂L/∂ẑ" not in label_text(sc, 1, 0)
    seek_to(session, "delta_hat", 1, 2)
    sc.refresh()
    assert label_text(sc, 1, 0).splitlines()[-1] == f"∂L/∂ẑ = {num(p.grad_z_hat[0][0, 0])}"
    seek_to(session, "norm_back", 1)
    sc.refresh()
    assert sc.norm_items[1].color == palette.BACKWARD
    assert label_text(sc, 1, 0).splitlines()[-1] == f"δ = {num(p.delta[0][0, 0])}"
    assert len(label_text(sc, 1, 0).splitlines()) <= 4


def test_the_classic_step_still_has_13_events_and_its_captions() -> None:
    session = Session(classic())
    assert len(session.trace) == 13
    assert status_line(session.trace, 4) == "Loss · event 4 of 13"
    title, formula = caption(session.current, session.trace[0])
    assert title.startswith("Forward · layer 1, neuron 1")
    assert f"a = Sigmoid(z) = {num(session.current.a[0][0, 0])}" in formula


def test_the_captions_quote_the_cores_numbers() -> None:
    session = Session(cured("batch", 1))
    p, trace = session.current, session.trace
    sample = 2
    seen = set()
    for k in range(len(trace)):
        e = trace[k]
        title, formula = caption(p, e, sample)
        if e.kind == "norm":
            n = norm_step(p, e.layer, sample)
            assert title == (f"Forward · batch norm of layer {e.layer}: μ, σ per unit over "
                             f"the batch of 5")
            assert f"μ = {', '.join(num(v) for v in n.mean)}" in formula
            assert f"σ = {', '.join(num(v) for v in n.std)}" in formula
            assert f"= {num(p.z_hat[e.layer - 1][sample, 0])}" in formula
        elif e.kind == "skip":
            k_ = skip_step(p, e.layer, sample)
            assert title == (f"Forward · layer {e.layer} adds layer {k_.source}'s "
                             "activation (the skip)")
            assert f"= {num(p.a[e.layer - 1][sample, 0])}" in formula
            assert f"{num(p.a[k_.source - 1][sample, 0])}" in formula
        elif e.kind == "norm_back":
            b = norm_back_step(p, e.layer, sample)
            assert f"×{num(b.ratio[0])}" in formula
            assert f"δ = {num(p.delta[e.layer - 1][sample, 0])}" in formula
        elif e.kind == "skip_back":
            k_ = skip_step(p, e.layer, sample)
            assert f"back to layer {k_.source} with a factor of 1" in title
            assert f"= {num(p.grad_a[k_.source - 1][sample, 0])}" in formula
        elif e.kind == "delta_hat":
            assert f"= {num(p.grad_z_hat[e.layer - 1][sample, e.neuron])}" in formula
        seen.add(e.kind)
        assert status_line(trace, k + 1).endswith(f"event {k + 1} of {len(trace)}")
    assert {"linear", "norm", "skip", "delta_hat", "norm_back", "skip_back"} <= seen


@pytest.mark.parametrize(("norm", "every"), [("batch", 1), ("layer", 2), ("none", 2)],
                         ids=str)
def test_the_ledger_splits_the_gradient_into_its_two_paths(qtbot, norm, every) -> None:
    session = Session(cured(norm, every))
    ledger = LedgerPanel(session)
    qtbot.addWidget(ledger)
    session.sample = 1
    source = next(s for s in skip_sources(6, every) if s is not None)  # layer 1
    with qtbot.waitSignal(session.selection_changed):
        session.select(Selection(source, 1, 0))
    p = session.current
    rows = {ledger.table.item(r, 0).text(): (ledger.table.item(r, 1).text(),
                                             ledger.table.item(r, 3).text())
            for r in range(ledger.table.rowCount())}
    j, i = source, source - 1
    through = p.delta[j][1] @ p.network.weights[j]
    assert rows["through layer 2: W₂ᵀδ₂"][0] == num(through[1])
    end = next(e for e, s in enumerate(skip_sources(6, every), start=1) if s == source)
    skip_row = rows[f"along the skip: ∂L/∂a{'₀₁₂₃₄₅₆'[end]} ×1"]
    assert skip_row[0] == num(p.grad_a[end - 1][1, 1])
    # their sum is the core's ∂L/∂a_j
    assert rows["sum: ∂L/∂a₁"] == (num(p.grad_a[i][1, 1]), num(p.grad_a[i][1, 1]))
    assert through[1] + p.grad_a[end - 1][1, 1] == pytest.approx(p.grad_a[i][1, 1], rel=1e-12)
    footer = ledger.footer.text()
    assert "f'(z)·w" not in footer and "Product of" not in footer
    if norm != "none":
        r = p.delta[i][1, 1] / p.grad_z_hat[i][1, 1]
        name = {"batch": "batch norm", "layer": "layer norm"}[norm]
        assert rows[f"through the {name}: ×r"] == (num(r), num(p.delta[i][1, 1]))
        assert f"×{num(r)}" in footer
    else:
        assert not any("norm" in k for k in rows)


def test_the_waterfall_marks_each_skip_part_with_its_factor_of_1(qtbot) -> None:
    session = Session(cured("batch", 2))
    panel = WaterfallPanel(session)
    qtbot.addWidget(panel)
    panel.resize(800, 520)
    panel.show()
    qtbot.waitExposed(panel)
    session.select(Selection(1, 0, 0))
    panel.flush()
    w = panel.waterfall
    assert w is not None
    skips = [f for f in w.factors if f.kind == "skip"]
    assert [f.layer for f in skips] == [3, 1]
    x = list(np.asarray(panel.skip_bars.opts["x"], dtype=float))
    assert x == [3.25, 1.25]
    heights = np.asarray(panel.skip_bars.opts["height"], dtype=float)
    assert heights == pytest.approx([abs(f.log10) for f in skips], rel=1e-12)
    shown = [lab for lab in panel.skip_labels if lab.isVisible()]
    assert [lab.toPlainText() for lab in shown] == ["×1", "×1"]
    assert SKIP_PART.name() in panel.legend.text() and "×1" in panel.legend.text()
    assert "skip part" in panel.header.text()
    # a weight past every skip (the output's): no skip bar, no "×1", no legend entry
    session.select(Selection(6, 0, 0))
    panel.flush()
    assert len(panel.skip_bars.opts["x"]) == 0
    assert not any(lab.isVisible() for lab in panel.skip_labels)
    assert SKIP_PART.name() not in panel.legend.text()


def test_the_colour_key_names_a_skip_and_a_norm_only_when_the_network_has_them(qtbot) -> None:
    from vanishgui.core.experiment import classic, parse_experiment
    from vanishgui.ui.diagram.scene import CURE_LEGEND
    from vanishgui.ui.diagram.view import LEGEND, DiagramPanel
    from vanishgui.ui.model.session import Session

    s = Session(classic())
    panel = DiagramPanel(s)
    qtbot.addWidget(panel)
    assert panel.swatches.swatches == LEGEND
    doc = classic().to_json()
    doc["network"]["layers"] = [1, 2, 2, 2, 1]
    doc["network"]["weights"] = doc["network"]["biases"] = None
    doc["network"]["residual"] = {"every": 1}
    doc["network"]["norm"] = "layer"
    s.set_experiment(parse_experiment(doc))
    extra = panel.swatches.swatches[len(LEGEND):]
    assert [t for _c, t in extra] == [CURE_LEGEND["skip"][1], CURE_LEGEND["layer"][1]]
    s.set_experiment(classic())
    assert panel.swatches.swatches == LEGEND
