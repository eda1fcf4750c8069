"""The sample selector and a weight edited by hand (issue 12), checked against the core.

The inspector picks the sample every view shows; the loss box says when the loss is a mean
over the batch and whose target it shows; the inspector says what average δ carries. A
weight typed or dragged in the inspector changes that one weight and works the step out
again exactly as the core would, keeps the history and the optimiser's state, leaves a mark
the history plots draw, and R still returns to the initial weights.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF

from vanishgui.core.experiment import classic, parse_experiment
from vanishgui.core.explain import chain_rule, inspect_neuron
from vanishgui.core.network import run_pass
from vanishgui.core.numbers import num
from vanishgui.ui.diagram.scene import DiagramScene
from vanishgui.ui.model import palette
from vanishgui.ui.model.session import WEIGHT_EDITED, Mark, Selection, Session
from vanishgui.ui.plots.gradients import GradientsPanel
from vanishgui.ui.plots.loss import LossPanel
from vanishgui.ui.plots.updates import UpdatesPanel
from vanishgui.ui.views.inspector import SLIDER_STEPS, InspectorPanel


def experiment(layers=(2, 4, 3, 1), *, data=None, loss="bce", optimizer="sgd",
               batch_size=None, momentum=0.0, samples=24):
    training = {"loss": loss, "optimizer": optimizer, "learning_rate": 0.3}
    if momentum:
        training["momentum"] = momentum
    if batch_size is not None:
        training["batch_size"] = batch_size
    return parse_experiment({
        "format": "vanishgui-experiment", "version": 1,
        "network": {"layers": list(layers), "hidden_activation": "sigmoid",
                    "output_activation": "sigmoid",
                    "init": {"scheme": "xavier_uniform", "seed": 3}},
        "data": data or {"dataset": "circles", "samples": samples, "noise": 0.1, "seed": 1},
        "training": training,
    })


def two_outputs():
    """One sample, two outputs, mse: the loss averages over the 2 outputs."""
    return experiment((2, 3, 2), loss="mse",
                      data={"inputs": [[0.5, -1.0]], "targets": [[1.0, 0.0]]})


def inspector(qtbot, session: Session) -> InspectorPanel:
    panel = InspectorPanel(session)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def shown_panel(qtbot, cls, session: Session):
    panel = cls(session)
    qtbot.addWidget(panel)
    panel.resize(700, 420)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    return panel


def mark_lines(panel) -> list[pg.InfiniteLine]:
    """The mark lines drawn in a panel's plot scenes (not its 'diverged' line)."""
    ours = [line for _plot, line in panel.mark_lines.lines]
    views = panel.findChildren(pg.GraphicsView)
    return [item for v in views for item in v.scene().items()
            if isinstance(item, pg.InfiniteLine) and any(item is ln for ln in ours)]


def type_into(qtbot, box, text: str) -> None:
    """What a user does: select the field's text, type, press Enter."""
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


# -- the sample selector ---------------------------------------------------------------------


def test_the_sample_selector_sets_the_sample_and_the_inspector_prints_it(qtbot) -> None:
    s = Session(experiment(samples=24))  # the full batch: 24 samples
    panel = inspector(qtbot, s)
    s.select(Selection(2, 1))
    assert panel.sample_row.isVisible() and panel.sample_box.text() == "Sample 1 of 24"
    assert panel.sample_where.text() == ""  # the full batch: sample k is data row k
    with qtbot.waitSignal(s.sample_changed) as told:
        panel.sample_box.setFocus()
        qtbot.keyClick(panel.sample_box, Qt.Key.Key_Up)  # the keyboard alone
    assert told.args == [1] and s.sample == 1
    type_into(qtbot, panel.sample_box, "17")
    assert s.sample == 16
    p = s.current
    assert panel.report == inspect_neuron(p, s.last, 2, 1, 16)
    assert panel.report != inspect_neuron(p, s.last, 2, 1, 0)
    text = panel.values.text()
    assert f"z = {num(p.z[1][16, 1])}" in text and f"δ = {num(p.delta[1][16, 1])}" in text
    s.set_sample(3)  # another view (a lesson) picks a sample: the box follows
    assert panel.sample_box.value() == 4


def test_the_sample_selector_shows_a_minibatchs_data_row_and_hides_for_one_sample(qtbot):
    s = Session(experiment(samples=10, batch_size=4))
    panel = inspector(qtbot, s)
    s.train_step()  # the second batch of the first epoch
    p = s.current
    assert p.batch is not None and len(p.inputs) == 4
    panel.sample_box.setValue(3)
    assert s.sample == 2
    assert panel.sample_box.text() == "Sample 3 of 4"
    assert panel.sample_where.text() == f"(data row {int(p.batch[2]) + 1})"
    one = Session(classic())
    assert not inspector(qtbot, one).sample_row.isVisible()


def test_the_diagram_shows_the_selected_samples_colours(qtbot) -> None:
    """Every layer's colours follow the sample, not only the input layer's (the hidden
    layers kept sample 1's colours when only the sample changed)."""
    s = Session(experiment(samples=24))
    scene = DiagramScene(s)
    s.to_end()
    for k in (5, 11):
        s.set_sample(k)
        scene._finish_fade()
        p = s.current
        for i in range(p.depth):
            want = [c.name() for c in palette.delta_colors(p.delta[i][k])]
            assert [c.name() for c in scene.neuron_items[i + 1].fills] == want


# -- the loss box and δ's average ------------------------------------------------------------


def box_fits(scene: DiagramScene) -> bool:
    box = scene.loss_box
    r = QFontMetricsF(box.font).boundingRect(QRectF(0, 0, 1e6, 1e6),
                                             Qt.AlignmentFlag.AlignCenter, box.text)
    inner = box.boundingRect()
    return r.width() <= inner.width() and r.height() <= inner.height()


def test_the_loss_box_says_mean_over_n_samples_exactly_when_n_is_more_than_one(qtbot):
    one = Session(classic())
    scene = DiagramScene(one)
    one.to_end()
    assert "mean" not in scene.loss_box.text and "sample" not in scene.loss_box.text
    assert f"target y = {num(one.current.targets[0, 0])}" in scene.loss_box.text

    s = Session(experiment(samples=24))
    scene = DiagramScene(s)
    assert "mean over 24 samples" in scene.loss_box.text
    assert "?" in scene.loss_box.text and "ŷ" not in scene.loss_box.text  # not yet computed
    s.set_sample(6)
    s.to_end()
    p = s.current
    lines = scene.loss_box.text.split("\n")
    assert lines[:3] == ["loss L", "mean over 24 samples", num(p.loss)]
    assert lines[3] == f"sample 7: y = {num(p.targets[6, 0])}, ŷ = {num(p.output[6, 0])}"
    assert box_fits(scene)

    mini = Session(experiment(samples=10, batch_size=4))
    scene = DiagramScene(mini)
    assert "mean over 4 samples" in scene.loss_box.text and box_fits(scene)

    outputs = Session(two_outputs())
    scene = DiagramScene(outputs)
    assert "mean over 2 outputs" in scene.loss_box.text and "samples" not in scene.loss_box.text


@pytest.mark.parametrize(("make", "note"), [
    (classic, ""),  # one sample, one output: no average
    (lambda: experiment(samples=24), "δ includes the loss's average over the batch: ×1/24"),
    (lambda: experiment(samples=10, batch_size=4),
     "δ includes the loss's average over the batch: ×1/4"),
    (lambda: experiment(samples=10, batch_size=4, loss="squared"),
     "δ includes the loss's average over the batch: ×1/4"),
    (two_outputs, "δ includes the loss's average over 2 outputs: ×1/2"),
])
def test_the_inspector_says_what_average_delta_carries(qtbot, make, note) -> None:
    s = Session(make())
    panel = inspector(qtbot, s)
    s.select(Selection(s.experiment.depth, 0))
    assert panel.average.text() == note
    assert panel.average.isVisible() == bool(note)


@pytest.mark.parametrize("loss", ["squared", "mse", "bce"])
def test_delta_carries_one_over_the_loss_divisor(loss) -> None:
    """The factor the note names is the core's: the output layer's δ times the divisor is
    the per-sample derivative of the loss's un-averaged term times σ'(z)."""
    exp = experiment((2, 3, 2), loss=loss,
                     data={"inputs": [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.2]],
                           "targets": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]})
    p = exp.trainer().preview()
    assert p.loss_divisor == (3 if loss == "squared" else 6)
    y_hat, y = p.output, p.targets
    per_sample = {"squared": y_hat - y, "mse": 2 * (y_hat - y),
                  "bce": (y_hat - y) / (y_hat * (1 - y_hat))}[loss]
    np.testing.assert_allclose(p.delta[-1] * p.loss_divisor, per_sample * p.dact[-1],
                               rtol=1e-12)


# -- editing a weight ---------------------------------------------------------------------------


def adam_minibatches():
    return experiment((2, 4, 3, 1), optimizer="adam", samples=20, batch_size=6)


def test_editing_a_weight_recomputes_the_pass_and_keeps_the_history_and_optimiser(qtbot):
    exp = adam_minibatches()
    s = Session(exp)
    s.train_now(5)
    panel = inspector(qtbot, s)
    gradients = shown_panel(qtbot, GradientsPanel, s)
    h = s.trainer.history
    before = {"steps": h.steps.copy(), "loss": h.loss.copy(),
              "grad": h.layer("grad_mean_abs").copy(), "total": h.total_steps}
    state = s.trainer.state
    moments = [m.copy() for m in state.m] + [v.copy() for v in state.v]
    shown = s.current
    s.select(Selection(2, 1, 2))
    with qtbot.waitSignal(s.pass_changed), qtbot.waitSignal(s.marks_changed):
        type_into(qtbot, panel.weight_box, "1.25")

    # the pass is the core's, recomputed on the same batch from the edited weight
    p = s.current
    assert p.network.weights[1][1, 2] == 1.25 and p.step == 5
    edited = shown.network.with_weight(2, 1, 2, 1.25)
    want = run_pass(edited, shown.inputs, shown.targets, exp.loss, batch=shown.batch, step=5)
    np.testing.assert_array_equal(p.batch, shown.batch)
    for got, core in zip(p.grad_weights, want.grad_weights):
        np.testing.assert_array_equal(got, core)
    assert p.loss == want.loss and p.loss != shown.loss
    # every other weight as it was
    for i, (a, b) in enumerate(zip(p.network.weights, shown.network.weights)):
        diff = np.argwhere(a != b).tolist()
        assert diff == ([[1, 2]] if i == 1 else [])
    # history and optimiser state untouched
    h = s.trainer.history
    assert h.total_steps == before["total"] == 5
    np.testing.assert_array_equal(h.steps, before["steps"])
    np.testing.assert_array_equal(h.loss, before["loss"])
    np.testing.assert_array_equal(h.layer("grad_mean_abs"), before["grad"])
    assert s.trainer.state is state
    for a, b in zip([*state.m, *state.v], moments):
        np.testing.assert_array_equal(a, b)
    # the update shown is the core's from that state
    core = exp.trainer()
    core.train(5)
    core.network = core.network.with_weight(2, 1, 2, 1.25)
    for got, new in zip(p.update.weights, core.preview().update.weights):
        np.testing.assert_array_equal(got, new)
    # the mark, recorded and drawn on the gradients plot at its step
    assert s.marks == [Mark(5, WEIGHT_EDITED)]
    gradients.flush()
    lines = mark_lines(gradients)
    assert [ln.value() for ln in lines] == [5]
    assert lines[0].label.toPlainText() == WEIGHT_EDITED
    vb = gradients.plot.getViewBox()
    # in view once the plot has painted, though the newest recorded step is 4
    qtbot.waitUntil(lambda: vb.viewRange()[0][0] <= 5 <= vb.viewRange()[0][1] > 4.5)
    # and the inspector shows the new value
    assert panel.values.text().startswith(f"w = {num(1.25)}")
    assert panel.weight_box.value() == 1.25

    # the next step trains on from the edited weight, exactly as the core does
    s.train_step()
    core.step()
    for a, b in zip(s.trainer.network.weights, core.network.weights):
        np.testing.assert_array_equal(a, b)
    assert s.trainer.history.loss[-1] == core.history.loss[-1]
    gradients.flush()
    assert [ln.value() for ln in mark_lines(gradients)] == [5]  # the mark stays

    # R: the initial weights exactly, no marks, none drawn
    with qtbot.waitSignal(s.marks_changed):
        s.reset()
    initial = exp.trainer().network
    for a, b in zip(s.trainer.network.weights, initial.weights):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(s.current.network.weights, initial.weights):
        np.testing.assert_array_equal(a, b)
    assert s.marks == [] and s.trainer.initial_network.weights[1][1, 2] != 1.25
    gradients.flush()
    assert mark_lines(gradients) == []


def test_the_loss_and_weight_change_plots_draw_the_mark_too(qtbot) -> None:
    s = Session(experiment(samples=12))
    s.train_now(8)
    panels = [shown_panel(qtbot, cls, s) for cls in (LossPanel, UpdatesPanel)]
    s.edit_weight(1, 0, 1, -2.0)
    s.add_mark("lr 0.1")  # another change at the same step shares its line
    for panel in panels:
        panel.flush()
        lines = mark_lines(panel)
        assert lines and all(ln.value() == 8 for ln in lines)
        labelled = [ln for ln in lines if getattr(ln, "label", None) is not None]
        assert [ln.label.toPlainText() for ln in labelled] == [f"{WEIGHT_EDITED}, lr 0.1"]


def test_dragging_the_slider_edits_the_weight_and_leaves_one_mark(qtbot) -> None:
    s = Session(classic())  # a chain: the ledger shows w₂ as a factor of w₁'s gradient
    panel = inspector(qtbot, s)
    s.select(Selection(2, 0, 0))
    w = float(s.current.network.weights[1][0, 0])
    assert panel.span == max(4.0, np.ceil(2 * abs(w)))
    assert panel.weight_low.text() == num(-panel.span)
    start = panel.weight_slider.value()
    panel.weight_slider.setFocus()
    for _ in range(3):
        qtbot.keyClick(panel.weight_slider, Qt.Key.Key_Right)
    position = panel.weight_slider.value()
    assert position == start + 3 * panel.weight_slider.singleStep()
    new = float(s.current.network.weights[1][0, 0])
    assert new == round(panel.span * position / SLIDER_STEPS, 9) and new != w
    assert s.marks == [Mark(0, WEIGHT_EDITED)]  # three moves, one mark
    assert panel.weight_box.value() == pytest.approx(new)
    # the ledger's chain for w₁ has the dragged w₂ among its factors, from the new pass
    rule = chain_rule(s.current, 1, 0, 0, 0)
    assert [f.value for f in rule.factors if f.symbol == "w₂"] == [new]
    want = run_pass(s.trainer.initial_network.with_weight(2, 0, 0, new), s.current.inputs,
                    s.current.targets, s.experiment.loss)
    assert rule.gradient == float(want.grad_weights[0][0, 0])


def test_the_editor_is_off_while_training_runs(qtbot) -> None:
    s = Session(experiment(samples=12))
    panel = inspector(qtbot, s)
    s.select(Selection(1, 0, 0))
    assert panel.weight_box.isEnabled() and panel.weight_slider.isEnabled()
    with qtbot.waitSignal(s.training_changed):
        s.train()
    try:
        assert not panel.weight_box.isEnabled() and not panel.weight_slider.isEnabled()
        assert "Pause training first" in panel.weight_box.toolTip()
        assert panel.edit_note.text() == panel.weight_box.toolTip()
        with pytest.raises(RuntimeError, match="pause training"):
            s.edit_weight(1, 0, 0, 2.0)
    finally:
        with qtbot.waitSignal(s.training_changed):
            s.pause()
    assert panel.weight_box.isEnabled() and s.marks == []
    assert "R returns to the initial weights" in panel.edit_note.text()
    s.edit_weight(1, 0, 0, 2.0)  # paused: allowed
    assert s.current.network.weights[0][0, 0] == 2.0


def test_a_refused_edit_changes_nothing(qtbot) -> None:
    s = Session(classic())
    shown = s.current
    with qtbot.assertNotEmitted(s.pass_changed), qtbot.assertNotEmitted(s.marks_changed):
        with pytest.raises(ValueError, match="finite"):
            s.edit_weight(1, 0, 0, float("nan"))
        with pytest.raises(IndexError):
            s.edit_weight(4, 0, 0, 1.0)
        with pytest.raises(IndexError):
            s.edit_weight(1, -1, 0, 1.0)  # no wrap-around to the last neuron
        s.edit_weight(1, 0, 0, float(shown.network.weights[0][0, 0]))  # the same number
    assert s.current is shown and s.marks == [] and not s.modified
