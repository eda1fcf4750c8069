"""γ's and β's own series in the gradient and weight-change plots (issue 15), read back
from the drawn curves and compared with the History's columns; they follow the selected
hidden layer and are not drawn without a norm."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QGridLayout, QWidget

from vanishgui.core.experiment import parse_experiment
from vanishgui.ui.model.presentation import Presentation
from vanishgui.ui.model.session import Selection, Session
from vanishgui.ui.plots import PlotHub


def normed(norm: str = "batch") -> dict:
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [2, 5, 5, 5, 1], "hidden_activation": "sigmoid",
                        "output_activation": "sigmoid", "norm": norm,
                        "init": {"scheme": "xavier_uniform", "seed": 0}},
            "data": {"dataset": "circles", "samples": 40, "noise": 0.1, "seed": 0},
            "training": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.5,
                         "batch_size": None}}


@pytest.fixture
def hub(qtbot):
    keep = []

    def make(doc: dict):
        session = Session(parse_experiment(doc))
        h = PlotHub(session, Presentation())
        box = QWidget()
        grid = QGridLayout(box)
        for i, name in enumerate(("gradients", "updates")):
            grid.addWidget(h.panels[name], 0, i)
        qtbot.addWidget(box)
        box.resize(1200, 500)
        box.show()
        keep.append(box)
        session.train_now(6)
        h.flush()
        return session, h

    return make


def drawn(curve) -> np.ndarray:
    _x, y = curve.getOriginalDataset()
    return np.asarray(y)


@pytest.mark.parametrize(("panel", "columns"), [
    ("gradients", ("gamma_grad_mean_abs", "beta_grad_mean_abs")),
    ("updates", ("gamma_update_mean_abs", "beta_update_mean_abs")),
])
def test_gamma_and_beta_lines_are_the_historys(hub, panel, columns) -> None:
    session, h = hub(normed())
    p = h.panels[panel]
    history = session.trainer.history
    gamma, beta = p.norm_curves
    assert (gamma.name(), beta.name()) == ("γ₁", "β₁")  # nothing selected: layer 1
    for curve, name in zip((gamma, beta), columns):
        assert curve.isVisible()
        np.testing.assert_allclose(drawn(curve), history.layer(name)[:, 0], rtol=0)
    labels = [label.text for _sample, label in p.legend.items]
    assert "γ₁" in labels and "β₁" in labels
    # a neuron of hidden layer 2 selected: its γ₂ and β₂
    session.select(Selection(2, 1, None))
    h.flush()
    gamma, beta = p.norm_curves
    assert (gamma.name(), beta.name()) == ("γ₂", "β₂")
    np.testing.assert_allclose(drawn(gamma), history.layer(columns[0])[:, 1], rtol=0)


def test_the_accumulated_view_hides_them_and_no_norm_has_none(hub) -> None:
    _session, h = hub(normed())
    grads = h.panels["gradients"]
    grads.accumulated.setChecked(True)
    h.flush()
    assert not any(c.isVisible() for c in grads.norm_curves)
    _session, plain = hub(normed("none"))
    assert plain.panels["gradients"].norm_curves == []
    assert plain.panels["updates"].norm_curves == []


def test_sigma_panel_marks_sit_at_z_hat_and_f_of_z_hat(qtbot) -> None:
    """Under a norm the activation takes ẑ, not z; at a skip's end a = f(ẑ) + the block's
    input, and the f(z) curve shows f(ẑ) (issue 15)."""
    from vanishgui.core import curves

    doc = normed("layer")
    doc["network"]["residual"] = {"every": 1}
    session = Session(parse_experiment(doc))
    h = PlotHub(session, Presentation())
    panel = h.panels["dact"]
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    h.flush()
    p = session.current
    assert p.skip_from[1] == 1 and p.skip_from[2] == 2  # skips every 1 from layer 2
    z_hat = np.concatenate([p.f_input(i + 1)[0] for i in panel.curve_layers])
    fx, fy = panel.f_marks.getData()
    lo, hi = curves.CURVE_RANGE
    np.testing.assert_array_equal(fx, np.clip(z_hat, lo, hi))
    assert not np.array_equal(z_hat, np.concatenate([p.z[i][0] for i in panel.curve_layers]))
    expected = 1 / (1 + np.exp(-z_hat))
    np.testing.assert_allclose(fy, expected, rtol=1e-12)  # f(ẑ), the skip not added
    assert panel.df_plot.getAxis("bottom").labelText == "ẑ (after the norm)"


def test_the_inspector_and_the_diagnosis_name_z_hat_under_a_norm(qtbot) -> None:
    from vanishgui.core.diagnosis import diagnose
    from vanishgui.core.numbers import num
    from vanishgui.ui.views.inspector import InspectorPanel

    doc = normed("batch")
    doc["network"]["residual"] = {"every": 1}
    session = Session(parse_experiment(doc))
    panel = InspectorPanel(session)
    qtbot.addWidget(panel)
    session.select(Selection(2, 0, None))
    p = session.current
    text = panel.values.text()
    assert f"ẑ = {num(float(p.f_input(2)[0, 0]))} (after the norm)" in text
    assert "σ'(ẑ) = " in text and "σ'(z)" not in text
    assert (f"a = {num(float(p.a[1][0, 0]))} = f(ẑ) {num(float(p.f_output(2)[0, 0]))} + "
            f"layer 1's a {num(float(p.a[0][0, 0]))}") in text
    assert f"γ = {num(float(p.network.gammas[1][0]))}" in text
    assert "b cancels" in text and float(p.grad_biases[1][0]) == 0.0
    for f in diagnose(p, session.trainer.history):
        assert "f'(z)" not in f.evidence or f.kind == "saturated-output"


def test_one_recorded_step_is_drawn_as_a_dot_per_layer(qtbot) -> None:
    session = Session(parse_experiment(normed("none")))
    h = PlotHub(session, Presentation())
    panel = h.panels["updates"]
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    session.train_now(1)
    h.flush()
    assert all(c.opts["symbol"] == "o" for c in panel.curves)
    _x, y = panel.curves[0].getOriginalDataset()
    assert len(y) == 1 and y[0] == session.trainer.history.layer("update_mean_abs")[0, 0]
    session.train_now(1)
    h.flush()
    assert all(c.opts["symbol"] is None for c in panel.curves)  # a line from two steps on
