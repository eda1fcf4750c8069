"""The controls for the other cures (issue 15): residual, norm and clipping, round-tripping
through the experiment, save and load; skips and a norm rebuild, clipping keeps the
network; a setting the network cannot take is one sentence and nothing changes."""

from __future__ import annotations

from dataclasses import replace

from vanishgui.cli.window import build_window
from vanishgui.core.experiment import load_experiment, parse_experiment
from vanishgui.ui.model.session import Session


def circles(samples: int = 30) -> dict:
    return {"format": "vanishgui-experiment", "version": 1,
            "network": {"layers": [2, 4, 4, 4, 1], "hidden_activation": "tanh",
                        "output_activation": "sigmoid",
                        "init": {"scheme": "xavier_uniform", "seed": 0}},
            "data": {"dataset": "circles", "samples": samples, "noise": 0.1, "seed": 0},
            "training": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.3,
                         "momentum": 0.0, "batch_size": None}}


def window_for(qtbot, doc: dict):
    w = build_window(Session(parse_experiment(doc)), restore=False)
    qtbot.addWidget(w)
    return w


def test_the_cure_controls_round_trip_through_save_and_load(qtbot, tmp_path) -> None:
    w = window_for(qtbot, circles())
    c, s = w.controls, w.session
    assert (c.residual.currentData(), c.norm.currentData(), c.clip.value()) == (None, "none",
                                                                                0.0)
    c.residual.setCurrentIndex(c.residual.findData(2))
    c.norm.setCurrentIndex(c.norm.findData("batch"))
    c.clip.setValue(1.5)
    assert c.apply() is not None
    exp = s.experiment
    assert (exp.residual, exp.norm, exp.clip_norm) == (2, "batch", 1.5)
    assert s.trainer.network.skip_from and s.trainer.network.norm == "batch"
    s.train_now(3)  # γ and β move; saving writes them
    path = tmp_path / "cured.vanishgui.json"
    s.save(path)
    again = load_experiment(path)
    assert (again.residual, again.norm, again.clip_norm) == (2, "batch", 1.5)
    assert again.gammas is not None and again.gammas[0].shape == (4,)
    w2 = window_for(qtbot, again.to_json())
    c2 = w2.controls
    assert (c2.residual.currentData(), c2.norm.currentData(), c2.clip.value()) == (2, "batch",
                                                                                   1.5)
    # the controls, unchanged, describe the same experiment: γ and β kept
    assert c2.apply() is not None
    assert w2.session.experiment.to_json() == again.to_json()


def test_skips_and_norms_rebuild_clipping_keeps(qtbot) -> None:
    w = window_for(qtbot, circles())
    c, s = w.controls, w.session
    s.train_now(4)
    c.clip.setValue(0.5)
    c.apply()
    assert s.trainer.step_count == 4 and s.trainer.clip_norm == 0.5  # kept
    c.norm.setCurrentIndex(c.norm.findData("layer"))
    c.apply()
    assert s.trainer.step_count == 0 and s.trainer.network.norm == "layer"  # rebuilt
    assert "normalisation changed" in w.transport.status.text()


def test_a_cure_the_network_cannot_take_is_one_sentence(qtbot) -> None:
    doc = circles()
    doc["network"]["layers"] = [2, 4, 3, 5, 1]  # a block of 2 needs equal widths
    w = window_for(qtbot, doc)
    c, s = w.controls, w.session
    before = s.experiment
    c.residual.setCurrentIndex(c.residual.findData(2))
    assert c.apply() is None
    assert s.experiment is before
    text = c.error.text()
    assert "network.residual" in text and "\n" not in text
    c.residual.setCurrentIndex(0)
    one = window_for(qtbot, {**circles(), "training": {**circles()["training"],
                                                       "batch_size": 1}})
    one.controls.norm.setCurrentIndex(one.controls.norm.findData("batch"))
    assert one.controls.apply() is None
    assert "batch" in one.controls.error.text()


def test_a_files_own_k_is_offered(qtbot) -> None:
    doc = circles()
    doc["network"]["layers"] = [2, 4, 4, 4, 4, 4, 4, 1]
    w = window_for(qtbot, replace(parse_experiment(doc), residual=5).to_json())
    assert w.controls.residual.currentData() == 5
    assert w.controls.residual.currentText() == "every 5 layers"
