"""The README's caption of the circles plots, recomputed from the core (issue 12: the
stall after ~20 steps is a plateau at every depth, not the vanishing of step 0)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from vanishgui.core.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[2]


def mean_grads(p) -> np.ndarray:
    return np.array([np.abs(g).mean() for g in p.grad_weights])


def test_the_circles_caption_is_true_of_the_core() -> None:
    readme = " ".join((ROOT / "README.md").read_text("utf-8").split())
    caption = readme[readme.index("At step 0 the first layer's mean |∂L/∂W| is about"):]
    caption = caption[: caption.index("*")]
    t = load_experiment(ROOT / "resources/examples/deep-sigmoid-circles.json").trainer()
    g = mean_grads(t.preview())
    decades = float(re.search(r"about ([\d.]+) decades", caption).group(1))
    assert round(math.log10(g[-1] / g[0]), 1) == decades  # "about 4.7 decades below"
    t.train(20)
    assert abs(t.full_loss() - math.log(2)) < 1e-5  # "within about 20 steps … loss ln 2"
    t.train(180)
    p = t.preview()
    g = mean_grads(p)
    assert abs(float(p.output.mean()) - 0.5) < 1e-3  # ŷ ≈ 0.5
    assert np.all((g > 1e-7) & (g < 1e-5))  # "every layer's gradient is about 10⁻⁶"
    share = float(re.search(r"\(([\d.]+) at step 200\)", caption).group(1))
    assert round(g[0] / g[-1], 2) == share
    lo, hi = (float(v) for v in re.search(r"mean ([\d.]+)–([\d.]+)\)", caption).groups())
    means = [float(d.mean()) for d in p.dact]
    assert all(lo - 0.005 <= m <= hi + 0.005 for m in means), means


def test_the_sigma_scene_bounds_the_slope_alone_and_names_the_weight() -> None:
    """Scene 5 said each sigmoid layer "scales it by 0.25 or less": that is σ' alone; with
    its weight the layer's factor is σ'(z)·w (0.36 at w₃ = −1.59 in the ledger)."""
    from vanishgui.core.activations import parse_activation
    from vanishgui.core.curves import derivative_bound
    from vanishgui.core.lesson import load_lesson

    lesson = load_lesson(ROOT / "resources/lessons/vanishing-gradient.json",
                         ROOT / "resources/examples")
    scene = next(s for s in lesson.scenes if s.title == "σ'(z) is at most 0.25")
    bound = derivative_bound([parse_activation("sigmoid")]).per_layer[0]
    assert bound == 0.25 and "at most 0.25" in scene.text
    assert "0.25 or less" not in scene.text and "weight" in scene.text
    # and the chain it is shown on has a layer whose σ'(z)·w is above 0.25
    p = scene.experiment.trainer().preview()
    factors = [abs(float(p.dact[i][0, 0]) * float(p.network.weights[i + 1][0, 0]))
               for i in range(p.depth - 1)]
    assert max(factors) > 0.25
