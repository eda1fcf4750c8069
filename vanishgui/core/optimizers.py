"""Optimisers that update every parameter exactly as PyTorch's do.

* ``sgd``: ``torch.optim.SGD(lr, momentum)`` with no dampening and no Nesterov. With
  momentum μ > 0 the buffer starts as the first gradient, then b ← μ·b + g; p ← p − lr·b.
* ``adam``: ``torch.optim.Adam(lr, betas=(0.9, 0.999), eps=1e-8)``.

A step is a pure function: it takes the parameters, their gradients and the state, and
returns new parameters and a new state without changing anything it was given. So a
recorded Pass can show the update before it is committed, and stepping back is free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NAMES = ("sgd", "adam")
LABELS = {"sgd": "SGD", "adam": "Adam"}
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class OptimizerConfig:
    name: str = "sgd"
    learning_rate: float = 0.5
    momentum: float = 0.0


@dataclass(frozen=True, eq=False)
class OptimizerState:
    """Step count, momentum buffers (sgd) or first and second moments (adam)."""

    t: int = 0
    m: tuple[np.ndarray, ...] | None = None
    v: tuple[np.ndarray, ...] | None = None


def optimizer_step(
    config: OptimizerConfig,
    params: list[np.ndarray],
    grads: list[np.ndarray],
    state: OptimizerState,
) -> tuple[list[np.ndarray], OptimizerState]:
    """New parameters and state after one step; nothing given is modified."""
    lr = config.learning_rate
    t = state.t + 1
    with np.errstate(all="ignore"):
        if config.name == "sgd":
            if config.momentum == 0.0:
                return [p - lr * g for p, g in zip(params, grads)], OptimizerState(t)
            mu = config.momentum
            if state.m is None:
                bufs = tuple(np.array(g, copy=True) for g in grads)
            else:
                bufs = tuple(mu * b + g for b, g in zip(state.m, grads))
            return [p - lr * b for p, b in zip(params, bufs)], OptimizerState(t, bufs)
        if config.name != "adam":
            raise ValueError(f"unknown optimiser {config.name!r}")
        beta1, beta2 = ADAM_BETAS
        ms = state.m if state.m is not None else tuple(np.zeros_like(g) for g in grads)
        vs = state.v if state.v is not None else tuple(np.zeros_like(g) for g in grads)
        bias1 = 1.0 - beta1**t
        bias2_sqrt = math.sqrt(1.0 - beta2**t)
        step_size = lr / bias1
        new_m, new_v, out = [], [], []
        for p, g, m, v in zip(params, grads, ms, vs):
            m = m + (g - m) * (1.0 - beta1)  # torch: exp_avg.lerp_(grad, 1 - beta1)
            v = v * beta2 + (1.0 - beta2) * g * g
            new_m.append(m)
            new_v.append(v)
            out.append(p - step_size * (m / (np.sqrt(v) / bias2_sqrt + ADAM_EPS)))
        return out, OptimizerState(t, tuple(new_m), tuple(new_v))


CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_'s


def clip_gradients(
    grads: list[np.ndarray], clip_norm: float
) -> tuple[list[np.ndarray], float, float]:
    """(the gradients scaled, N, c): N = √(sum of squares of every entry of every gradient)
    and c = min(1, clip_norm / (N + 1e−6)), exactly ``torch.nn.utils.clip_grad_norm_(params,
    clip_norm)`` with the 2-norm (its N is the 2-norm of the per-tensor 2-norms, as here).
    When c is 1 the gradients are returned as they are; a NaN N makes every gradient NaN,
    as torch's does. Nothing given is modified."""
    with np.errstate(all="ignore"):
        norms = np.array([math.sqrt(np.vdot(g, g)) if g.size else 0.0 for g in grads])
        total = float(math.sqrt(np.vdot(norms, norms)))
        scale = clip_norm / (total + CLIP_EPS)
        if scale >= 1.0:
            return grads, total, 1.0
        return [g * scale for g in grads], total, scale
