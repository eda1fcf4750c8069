"""A fully connected network and one recorded forward/backward pass.

Layer ``l`` (1-based; layer 0 is the input) computes z = a_prev · Wᵀ + b and a = f(z),
with W of shape (size of layer, size of previous layer), as ``torch.nn.Linear``. The
per-layer lists below are indexed from 0 for layer 1: ``weights[0]`` is W₁.

:func:`run_pass` records everything the app draws (z, a, f'(z), ∂L/∂a, δ = ∂L/∂z,
∂L/∂W, ∂L/∂b, ∂L/∂α) in a :class:`Pass`, whose arrays are never modified afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .activations import PRELU_INIT, Activation
from .optimizers import OptimizerState

MAX_WEIGHT_LAYERS = 64
MAX_WIDTH = 256


@dataclass(frozen=True, eq=False)
class Network:
    """Sizes, activations and the current parameters (float64)."""

    layers: tuple[int, ...]  # sizes, the input layer first
    activations: tuple[Activation, ...]  # one per weight layer
    weights: tuple[np.ndarray, ...]  # W_l, shape (layers[l], layers[l-1])
    biases: tuple[np.ndarray, ...]  # b_l, shape (layers[l],)
    alphas: tuple[float | None, ...]  # PReLU slope per weight layer, None elsewhere

    @property
    def depth(self) -> int:
        """Number of weight layers."""
        return len(self.weights)

    def with_parameters(
        self,
        weights: tuple[np.ndarray, ...],
        biases: tuple[np.ndarray, ...],
        alphas: tuple[float | None, ...],
    ) -> Network:
        # dataclasses.replace, without its per-field introspection (once per training step)
        return type(self)(
            layers=self.layers,
            activations=self.activations,
            weights=weights,
            biases=biases,
            alphas=alphas,
        )

    def parameter_count(self) -> int:
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases)) + sum(
            1 for a in self.alphas if a is not None
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for inputs x (N, layers[0]); no gradients."""
        a = x
        with np.errstate(all="ignore"):
            for w, b, act, alpha in zip(self.weights, self.biases, self.activations, self.alphas):
                a = act.forward(a @ w.T + b, alpha)
        return a


def make_network(
    layers: tuple[int, ...] | list[int],
    activations: tuple[Activation, ...] | list[Activation],
    weights: list[np.ndarray],
    biases: list[np.ndarray] | None = None,
    alphas: list[float | None] | None = None,
) -> Network:
    """A Network with zero biases and PReLU slopes of 0.25 unless given."""
    layers = tuple(int(n) for n in layers)
    if biases is None:
        biases = [np.zeros(n) for n in layers[1:]]
    if alphas is None:
        alphas = [PRELU_INIT if act.learnable else None for act in activations]
    return Network(
        layers,
        tuple(activations),
        tuple(np.array(w, dtype=np.float64) for w in weights),
        tuple(np.array(b, dtype=np.float64) for b in biases),
        tuple(
            (float(a) if a is not None else PRELU_INIT) if act.learnable else None
            for a, act in zip(alphas, activations)
        ),
    )


@dataclass(frozen=True, eq=False)
class Update:
    """The parameters after an optimiser step, and the optimiser state that produced them."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    alphas: tuple[float | None, ...]
    learning_rate: float
    optimizer: str
    state: OptimizerState  # the optimiser's state after the step


@dataclass(frozen=True, eq=False)
class Pass:
    """One forward and backward pass over a batch, and the update that follows it.

    Per-layer lists are indexed from 0 for layer 1. Arrays are (B, size of layer).
    ``delta`` carries the loss's averaging factor (1/B for squared, 1/(B·K) for mse
    and bce), so ``grad_weights[l] = delta[l]ᵀ · a_prev``.
    """

    network: Network  # the parameters the pass ran with
    loss_name: str
    inputs: np.ndarray  # (B, layers[0])
    targets: np.ndarray  # (B, layers[-1])
    z: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    dact: tuple[np.ndarray, ...]  # f'(z)
    grad_a: tuple[np.ndarray, ...]  # ∂L/∂a
    delta: tuple[np.ndarray, ...]  # ∂L/∂z
    grad_weights: tuple[np.ndarray, ...]
    grad_biases: tuple[np.ndarray, ...]
    grad_alphas: tuple[float | None, ...]
    loss: float
    batch: np.ndarray | None = None  # sample indices into the data set (None: all, in order)
    step: int = 0  # the training step this pass belongs to (0 = the first)
    update: Update | None = field(default=None)

    @property
    def depth(self) -> int:
        return len(self.z)

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]

    def layer_input(self, layer: int) -> np.ndarray:
        """a of layer ``layer - 1`` (the inputs when layer is 1); ``layer`` is 1-based."""
        return self.inputs if layer == 1 else self.a[layer - 2]

    def with_update(self, update: Update) -> Pass:
        # dataclasses.replace(self, update=update) without its per-field introspection:
        # the instance dict holds exactly the init fields (there is no __post_init__).
        return type(self)(**{**self.__dict__, "update": update})


def run_pass(
    network: Network,
    inputs: np.ndarray,
    targets: np.ndarray,
    loss_name: str,
    *,
    batch: np.ndarray | None = None,
    step: int = 0,
) -> Pass:
    """Forward and backward pass of the averaged loss over the batch (no update)."""
    # The hot path of every training step: attribute lookups are hoisted and the
    # per-layer work is the numpy calls the recorded arrays need, nothing more.
    weights = network.weights
    acts = network.activations
    alphas = network.alphas
    depth = len(weights)
    zs: list[np.ndarray] = []
    activations: list[np.ndarray] = []
    # The backward lists are filled from the last layer to the first, and reversed below.
    dacts: list[np.ndarray] = []
    grad_as: list[np.ndarray] = []
    deltas: list[np.ndarray] = []
    gws: list[np.ndarray] = []
    gbs: list[np.ndarray] = []
    galphas: list[float | None] = [None] * depth
    add_reduce = np.add.reduce
    a = inputs
    with np.errstate(all="ignore"):
        for i in range(depth):
            z = a @ weights[i].T + network.biases[i]
            a = acts[i].forward(z, alphas[i])
            zs.append(z)
            activations.append(a)
        loss = losses.loss_value(loss_name, a, targets)
        grad = losses.loss_gradient(loss_name, a, targets)
        for i in range(depth - 1, -1, -1):
            act = acts[i]
            z = zs[i]
            d = act.derivative(z, activations[i], alphas[i])
            delta = grad * d
            dacts.append(d)
            grad_as.append(grad)
            deltas.append(delta)
            gws.append(delta.T @ (activations[i - 1] if i else inputs))
            gbs.append(add_reduce(delta, 0))  # delta.sum(axis=0), the same reduction
            if act.learnable:
                galphas[i] = float(np.sum(grad * np.minimum(z, 0.0)))
            if i:
                grad = delta @ weights[i]
    return Pass(
        network=network,
        loss_name=loss_name,
        inputs=inputs,
        targets=targets,
        z=tuple(zs),
        a=tuple(activations),
        dact=tuple(reversed(dacts)),
        grad_a=tuple(reversed(grad_as)),
        delta=tuple(reversed(deltas)),
        grad_weights=tuple(reversed(gws)),
        grad_biases=tuple(reversed(gbs)),
        grad_alphas=tuple(galphas),
        loss=loss,
        batch=batch,
        step=step,
    )


def first_non_finite(p: Pass) -> tuple[str, int] | None:
    """What in a pass was non-finite first, and its layer (1-based): the forward pass
    (z or a) layer by layer, then the loss (the output layer), then the gradient from
    the output back, then the update; None if everything is finite."""
    for i, (z, a) in enumerate(zip(p.z, p.a)):
        if not (np.isfinite(z).all() and np.isfinite(a).all()):
            return "forward", i + 1
    if not math.isfinite(p.loss):
        return "loss", p.depth
    for i in reversed(range(p.depth)):
        if not all(np.isfinite(x).all() for x in (p.delta[i], p.grad_weights[i],
                                                   p.grad_biases[i])):
            return "gradient", i + 1
    if p.update is not None:
        for i, (w, b) in enumerate(zip(p.update.weights, p.update.biases)):
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                return "update", i + 1
    return None
