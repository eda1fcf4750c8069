"""Weight initialisers, following PyTorch's ``torch.nn.init`` formulas.

A weight matrix has shape (fan_out, fan_in), as ``torch.nn.Linear.weight``. Every
scheme draws from one ``numpy.random.Generator`` seeded by the experiment, so the
same seed always gives the same network. Biases start at zero.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# scheme -> (parameter name, default) pairs
SCHEMES: dict[str, tuple[tuple[str, float], ...]] = {
    "xavier_uniform": (),
    "xavier_normal": (),
    "he_uniform": (),
    "he_normal": (),
    "lecun_normal": (),
    "normal": (("std", 1.0), ("mean", 0.0)),
    "uniform": (("low", -1.0), ("high", 1.0)),
    "constant": (("value", 0.5),),
}
LABELS = {
    "xavier_uniform": "Xavier uniform",
    "xavier_normal": "Xavier normal",
    "he_uniform": "He uniform",
    "he_normal": "He normal",
    "lecun_normal": "LeCun normal",
    "normal": "Normal",
    "uniform": "Uniform",
    "constant": "Constant",
}


class InitError(ValueError):
    """An initialiser the core does not accept."""


@dataclass(frozen=True)
class Init:
    """An initialisation scheme, its parameters and its seed."""

    scheme: str = "xavier_uniform"
    seed: int = 0
    params: tuple[tuple[str, float], ...] = ()

    def param(self, key: str) -> float:
        given = dict(self.params)
        return given.get(key, dict(SCHEMES[self.scheme]).get(key, 0.0))

    def to_json(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "seed": self.seed, **dict(self.params)}

    def weights(self, layers: list[int] | tuple[int, ...]) -> list[np.ndarray]:
        """One (fan_out, fan_in) float64 matrix per weight layer."""
        rng = np.random.default_rng(self.seed)
        return [self._draw(rng, fan_in, fan_out) for fan_in, fan_out in itertools.pairwise(layers)]

    def _draw(self, rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
        shape = (fan_out, fan_in)
        s = self.scheme
        if s == "xavier_uniform":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-bound, bound, shape)
        if s == "xavier_normal":
            return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)
        if s == "he_uniform":
            bound = math.sqrt(6.0 / fan_in)
            return rng.uniform(-bound, bound, shape)
        if s == "he_normal":
            return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)
        if s == "lecun_normal":
            return rng.normal(0.0, math.sqrt(1.0 / fan_in), shape)
        if s == "normal":
            return rng.normal(self.param("mean"), self.param("std"), shape)
        if s == "uniform":
            return rng.uniform(self.param("low"), self.param("high"), shape)
        if s == "constant":
            return np.full(shape, self.param("value"), dtype=np.float64)
        raise InitError(f"unknown initialiser {s!r}")


def parse_init(spec: Any) -> Init:
    """Turn ``{"scheme": "normal", "std": 1.0, "seed": 3}`` (or a bare name) into an Init."""
    if isinstance(spec, Init):
        return spec
    if isinstance(spec, str):
        spec = {"scheme": spec}
    if not isinstance(spec, Mapping):
        raise InitError(f"expected an initialiser object, got {spec!r}")
    scheme = spec.get("scheme", "xavier_uniform")
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise InitError(
            f"unknown initialiser scheme {scheme!r}; expected one of {', '.join(SCHEMES)}"
        )
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InitError(f"seed must be a whole number from 0 to 4294967295, not {seed!r}")
    allowed = dict(SCHEMES[scheme])
    params: list[tuple[str, float]] = []
    for key, value in spec.items():
        if key in ("scheme", "seed"):
            continue
        if key not in allowed:
            takes = ", ".join(allowed) or "only scheme and seed"
            raise InitError(f"initialiser {scheme} has no parameter {key!r} (it takes {takes})")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InitError(f"{scheme}.{key} must be a number, not {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float
            value = math.inf
        if not math.isfinite(value) or abs(value) > 1e3:
            raise InitError(f"{scheme}.{key} must be a finite number within ±1000, not {value!r}")
        params.append((key, value))
    init = Init(scheme, seed, tuple(params))
    if scheme == "normal" and init.param("std") < 0:
        raise InitError(f"normal.std must be 0 or more, not {init.param('std')!r}")
    if scheme == "uniform" and not init.param("low") < init.param("high"):
        raise InitError(
            f"uniform needs low < high, got low={init.param('low')!r}, high={init.param('high')!r}"
        )
    return init
