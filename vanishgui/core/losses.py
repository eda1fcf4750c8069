"""Losses, always averaged over the batch, with PyTorch's gradient conventions.

``y_hat`` and ``y`` are (B, K): B samples with K outputs each.

* ``squared``: (1/B) Σ ½(ŷ−y)², the textbook loss whose derivative is ŷ−y per sample.
* ``mse``: (1/(B·K)) Σ (ŷ−y)², as ``torch.nn.MSELoss``.
* ``bce``: ``torch.nn.BCELoss``: mean over B·K of −[y·log ŷ + (1−y)·log(1−ŷ)], each
  log clamped at −100 (log(1−ŷ) as log1p(−ŷ), as torch computes it); gradient
  (ŷ−y) / max(ŷ(1−ŷ), 1e-12) / (B·K).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

NAMES = ("squared", "mse", "bce")
LABELS = {
    "squared": "Squared  ½(ŷ−y)²",
    "mse": "Mean squared error",
    "bce": "Binary cross-entropy",
}
FORMULAS = {"squared": "½(ŷ−y)²", "mse": "(ŷ−y)²", "bce": "−[y·log ŷ + (1−y)·log(1−ŷ)]"}
BCE_EPS = 1e-12
LOG_CLAMP = -100.0
# bce only makes sense for outputs in [0, 1].
BCE_OUTPUTS = frozenset({"sigmoid"})


def loss_value(name: str, y_hat: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """The averaged loss L."""
    batch = y_hat.shape[0]
    with np.errstate(all="ignore"):
        if name == "squared":
            d = y_hat - y
            return float(0.5 * np.sum(d * d) / batch)
        if name == "mse":
            d = y_hat - y
            return float(np.sum(d * d) / d.size)
        if name == "bce":
            log_p = np.maximum(np.log(y_hat), LOG_CLAMP)
            # log1p(−ŷ), as torch has it: log(1 − ŷ) loses digits when ŷ is small.
            log_q = np.maximum(np.log1p(-y_hat), LOG_CLAMP)
            return float(-np.sum(y * log_p + (1.0 - y) * log_q) / y_hat.size)
    raise ValueError(f"unknown loss {name!r}")


def loss_gradient(
    name: str, y_hat: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    """∂L/∂ŷ for the averaged loss L, shape (B, K)."""
    with np.errstate(all="ignore"):
        if name == "squared":
            return (y_hat - y) / len(y_hat)  # the batch size B
        if name == "mse":
            return 2.0 * (y_hat - y) / y_hat.size
        if name == "bce":
            return (y_hat - y) / np.maximum(y_hat * (1.0 - y_hat), BCE_EPS) / y_hat.size
    raise ValueError(f"unknown loss {name!r}")
