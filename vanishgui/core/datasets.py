"""Small data sets generated with numpy from a seed.

Every generator returns ``(inputs, targets)`` as float64 arrays of shape (N, d_in) and
(N, 1). The 2-D classification sets label their two classes 0 and 1; ``sine`` is a 1-D
regression of y = sin(x) on x ∈ [−π, π]. ``noise`` is the standard deviation of the
Gaussian jitter added to the inputs (classification) or the targets (``sine``).
"""

from __future__ import annotations

import numpy as np

# name -> (input size, output size, is classification, one-line description)
DATASETS: dict[str, tuple[int, int, bool, str]] = {
    "classic": (1, 1, False, "one sample, x = 0.5 with target 1 (the textbook example)"),
    "xor": (2, 1, True, "four clusters; the class is 1 where x and y have opposite signs"),
    "circles": (2, 1, True, "a small circle (class 1) inside a larger one (class 0)"),
    "moons": (2, 1, True, "two interleaving half-moons"),
    "spiral": (2, 1, True, "two intertwined spirals"),
    "gaussians": (2, 1, True, "two Gaussian blobs"),
    "sine": (1, 1, False, "regression of y = sin(x) on x in [-π, π]"),
}
NAMES = tuple(DATASETS)
MAX_SAMPLES = 100_000
MAX_NOISE = 1.0


def generate(
    name: str, samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of the named data set."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}")
    if name == "classic":
        return np.array([[0.5]]), np.array([[1.0]])
    rng = np.random.default_rng(seed)
    n = int(samples)
    n0 = n // 2
    n1 = n - n0
    labels = np.concatenate([np.zeros(n0), np.ones(n1)])
    if name == "sine":
        x = rng.uniform(-np.pi, np.pi, (n, 1))
        y = np.sin(x) + noise * rng.standard_normal((n, 1))
        return x, y
    if name == "xor":
        pts = rng.uniform(-1.0, 1.0, (n, 2))
        # push points off the axes so that clean data is separable by quadrant
        pts += 0.1 * np.sign(pts)
        labels = (pts[:, 0] * pts[:, 1] < 0).astype(np.float64)
    elif name == "circles":
        t = rng.uniform(0.0, 2.0 * np.pi, n)
        radius = np.where(labels == 1, 0.5, 1.0)
        pts = np.column_stack([radius * np.cos(t), radius * np.sin(t)])
    elif name == "moons":
        t = rng.uniform(0.0, np.pi, n)
        upper = np.column_stack([np.cos(t), np.sin(t)])
        lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
        pts = np.where(labels[:, None] == 1, lower, upper) - np.array([0.5, 0.25])
    elif name == "spiral":
        t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi
        turn = np.where(labels == 1, np.pi, 0.0)
        r = t / (3.0 * np.pi)
        pts = np.column_stack([r * np.cos(t + turn), r * np.sin(t + turn)])
    else:  # gaussians
        centres = np.where(labels[:, None] == 1, 0.6, -0.6)
        pts = centres + 0.35 * rng.standard_normal((n, 2))
    pts = pts + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)  # classes interleaved, so mini-batches see both
    return pts[order], labels[order][:, None]
