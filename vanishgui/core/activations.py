"""Activation functions and their exact derivatives, defined as PyTorch defines them.

Every activation maps a float64 array ``z`` to ``f(z)`` and ``f'(z)``. At a kink the
derivative is the left piece's, as PyTorch's autograd has it: relu'(0) = 0,
leaky_relu'(0) = negative_slope, prelu'(0) = alpha, elu'(0) = alpha.

An activation is named by a string (``"relu"``) or a mapping with parameters
(``{"name": "leaky_relu", "negative_slope": 0.2}``); :func:`parse_activation` turns
either into an :class:`Activation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

# SELU's constants, as in PyTorch (Klambauer et al. 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SOFTPLUS_THRESHOLD = 20.0
PRELU_INIT = 0.25

_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# gelu'(z) = Φ(z) + zφ(z) peaks at z = √2: Φ(√2) + √2·φ(√2) = ½(1 + erf 1) + e⁻¹/√π.
GELU_MAX_DERIVATIVE = 0.5 * (1.0 + math.erf(1.0)) + math.exp(-1.0) / math.sqrt(math.pi)
# swish'(z) = σ(z)(1 + z(1 − σ(z))) peaks where 2 + z(1 − 2σ(z)) = 0, at z ≈ 2.3993572805.
SWISH_MAX_DERIVATIVE = 1.099839320128867


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    # exp(-z) overflows to inf for z < -709; 1/(1+inf) is the correct 0.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _phi_cdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    # math.erf is exact to the last bit; numpy has no erf of its own.
    # (_erf is a ufunc of Python objects: its result is an object array, made float64.)
    return 0.5 * (1.0 + np.asarray(_erf(z * _SQRT1_2), dtype=np.float64))


@dataclass(frozen=True)
class ActivationInfo:
    """What the app tells a person about an activation."""

    label: str  # how the UI names it
    derivative_label: str  # the symbol for its derivative, e.g. "σ'(z)"
    max_derivative: float | None  # the largest f'(z) can be (None when unbounded)
    params: tuple[tuple[str, float], ...] = ()  # (parameter name, default)


INFO: dict[str, ActivationInfo] = {
    "sigmoid": ActivationInfo("Sigmoid", "σ'(z)", 0.25),
    "tanh": ActivationInfo("Tanh", "tanh'(z)", 1.0),
    "relu": ActivationInfo("ReLU", "relu'(z)", 1.0),
    "leaky_relu": ActivationInfo(
        "Leaky ReLU", "leaky'(z)", None, (("negative_slope", 0.01),)
    ),
    "prelu": ActivationInfo("PReLU", "prelu'(z)", None),
    "elu": ActivationInfo("ELU", "elu'(z)", None, (("alpha", 1.0),)),
    "selu": ActivationInfo("SELU", "selu'(z)", SELU_SCALE * SELU_ALPHA),
    "gelu": ActivationInfo("GELU", "gelu'(z)", None),
    "swish": ActivationInfo("Swish (SiLU)", "swish'(z)", None),
    "softplus": ActivationInfo("Softplus", "softplus'(z)", 1.0),
    "linear": ActivationInfo("Linear", "f'(z)", 1.0),
}
ALIASES = {"silu": "swish", "identity": "linear"}
NAMES: tuple[str, ...] = tuple(INFO)


@dataclass(frozen=True)
class Activation:
    """One activation with its fixed parameters.

    PReLU's slope is learnable, so it is not stored here: :meth:`forward` and
    :meth:`derivative` take it as ``alpha``.
    """

    name: str
    params: tuple[tuple[str, float], ...] = field(default=())

    def param(self, key: str) -> float:
        for k, v in self.params:
            if k == key:
                return v
        for k, v in INFO[self.name].params:
            if k == key:
                return v
        raise KeyError(key)

    @property
    def info(self) -> ActivationInfo:
        return INFO[self.name]

    @property
    def learnable(self) -> bool:
        return self.name == "prelu"

    @property
    def max_derivative(self) -> float | None:
        """The largest value f'(z) can take, or None when it depends on a parameter."""
        if self.name == "leaky_relu":
            return max(1.0, abs(self.param("negative_slope")))
        if self.name == "elu":
            return max(1.0, abs(self.param("alpha")))
        if self.name == "gelu":
            return GELU_MAX_DERIVATIVE
        if self.name == "swish":
            return SWISH_MAX_DERIVATIVE
        return self.info.max_derivative

    def to_json(self) -> str | dict[str, Any]:
        if not self.params:
            return self.name
        return {"name": self.name, **dict(self.params)}

    def describe(self) -> str:
        if not self.params:
            return self.name
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params)
        return f"{self.name}({inner})"

    def forward(self, z: NDArray[np.float64], alpha: float | None = None) -> NDArray[np.float64]:
        """f(z), elementwise."""
        n = self.name
        if n == "sigmoid":
            return _sigmoid(z)
        if n == "tanh":
            return np.tanh(z)
        if n == "relu":
            return np.maximum(z, 0.0)
        if n == "leaky_relu":
            return np.where(z > 0, z, z * self.param("negative_slope"))
        if n == "prelu":
            return np.where(z >= 0, z, z * _alpha(alpha))
        if n == "elu":
            return _elu(z, self.param("alpha"), 1.0)
        if n == "selu":
            return _elu(z, SELU_ALPHA, SELU_SCALE)
        if n == "gelu":
            return z * _phi_cdf(z)
        if n == "swish":
            return z * _sigmoid(z)
        if n == "softplus":
            with np.errstate(over="ignore"):
                soft = np.log1p(np.exp(z))
            return np.where(z > SOFTPLUS_THRESHOLD, z, soft)
        if n == "linear":
            return z
        raise ValueError(f"unknown activation {n!r}")

    def derivative(
        self,
        z: NDArray[np.float64],
        a: NDArray[np.float64] | None = None,
        alpha: float | None = None,
    ) -> NDArray[np.float64]:
        """f'(z), elementwise. ``a`` (= f(z)) saves work where the derivative uses it."""
        n = self.name
        if n == "sigmoid":
            s = _sigmoid(z) if a is None else a
            return s * (1.0 - s)
        if n == "tanh":
            t = np.tanh(z) if a is None else a
            return 1.0 - t * t
        if n == "relu":
            return (z > 0).astype(np.float64)
        if n == "leaky_relu":
            return np.where(z > 0, 1.0, self.param("negative_slope"))
        if n == "prelu":
            return np.where(z > 0, 1.0, _alpha(alpha))
        if n == "elu":
            return _elu_derivative(z, self.param("alpha"), 1.0)
        if n == "selu":
            return _elu_derivative(z, SELU_ALPHA, SELU_SCALE)
        if n == "gelu":
            return _phi_cdf(z) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
        if n == "swish":
            s = _sigmoid(z)
            return s * (1.0 + z * (1.0 - s))
        if n == "softplus":
            return np.where(z > SOFTPLUS_THRESHOLD, 1.0, _sigmoid(z))
        if n == "linear":
            return np.ones_like(z)
        raise ValueError(f"unknown activation {n!r}")


def _alpha(alpha: float | None) -> float:
    return PRELU_INIT if alpha is None else alpha


def _elu(z: NDArray[np.float64], alpha: float, scale: float) -> NDArray[np.float64]:
    # expm1 of a large positive z overflows in the branch np.where discards.
    with np.errstate(over="ignore"):
        neg = alpha * np.expm1(z)
    return scale * np.where(z > 0, z, neg)


def _elu_derivative(z: NDArray[np.float64], alpha: float, scale: float) -> NDArray[np.float64]:
    with np.errstate(over="ignore"):
        neg = alpha * np.exp(z)
    return scale * np.where(z > 0, 1.0, neg)


class ActivationError(ValueError):
    """An activation name or parameter that the core does not accept."""


def parse_activation(spec: Any) -> Activation:
    """Turn ``"relu"`` or ``{"name": "elu", "alpha": 0.5}`` into an :class:`Activation`."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        name, given = spec, {}
    elif isinstance(spec, Mapping):
        if "name" not in spec:
            raise ActivationError("an activation object needs a \"name\"")
        name = spec["name"]
        if not isinstance(name, str):
            raise ActivationError(f"an activation name must be a string, not {name!r}")
        given = {k: v for k, v in spec.items() if k != "name"}
    else:
        raise ActivationError(
            f"expected an activation name or object, got {spec!r}"
        )
    name = ALIASES.get(name.lower(), name.lower())
    if name not in INFO:
        raise ActivationError(
            f"unknown activation {spec if isinstance(spec, str) else name!r}; "
            f"expected one of {', '.join(NAMES)} (or silu)"
        )
    allowed = dict(INFO[name].params)
    params: list[tuple[str, float]] = []
    for key, value in given.items():
        if key not in allowed:
            expected = ", ".join(allowed) or "no parameters"
            raise ActivationError(
                f"{name} has no parameter {key!r} (it takes {expected})"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ActivationError(f"{name}.{key} must be a number, not {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float
            value = math.inf
        if not math.isfinite(value) or abs(value) > 100.0:
            raise ActivationError(
                f"{name}.{key} must be a finite number between -100 and 100, not {value!r}"
            )
        if value != allowed[key]:
            params.append((key, value))
    return Activation(name, tuple(params))
