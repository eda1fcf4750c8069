"""A fully connected network and one recorded forward/backward pass.

Layer ``l`` (1-based; layer 0 is the input) computes z = a_prev · Wᵀ + b and a = f(z),
with W of shape (size of layer, size of previous layer), as ``torch.nn.Linear``. The
per-layer lists below are indexed from 0 for layer 1: ``weights[0]`` is W₁.

With a norm (see :mod:`.cures`) a hidden layer's activation takes ẑ = γ ⊙ (z − μ)/√(σ² +
eps) + β instead of z, and with residual blocks the last layer of a block passes on
f(ẑ) + a of the layer before the block. Without either, nothing of this is computed.

:func:`run_pass` records everything the app draws (z, ẑ, a, f'(ẑ), ∂L/∂a, δ = ∂L/∂z,
∂L/∂W, ∂L/∂b, ∂L/∂α, ∂L/∂γ, ∂L/∂β) in a :class:`Pass`, whose arrays are never modified
afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import losses
from .activations import PRELU_INIT, Activation
from .cures import NORMS, block_widths_problem, cured_pass, forward, skip_sources
from .optimizers import OptimizerState

MAX_WEIGHT_LAYERS = 64
MAX_WIDTH = 256


@dataclass(frozen=True, eq=False)
class Network:
    """Sizes, activations, the cures (a norm, residual blocks) and the current parameters
    (float64)."""

    layers: tuple[int, ...]  # sizes, the input layer first
    activations: tuple[Activation, ...]  # one per weight layer
    weights: tuple[np.ndarray, ...]  # W_l, shape (layers[l], layers[l-1])
    biases: tuple[np.ndarray, ...]  # b_l, shape (layers[l],)
    alphas: tuple[float | None, ...]  # PReLU slope per weight layer, None elsewhere
    norm: str = "none"  # "none", "batch" or "layer", for every hidden layer
    gammas: tuple[np.ndarray, ...] = ()  # γ per hidden layer with a norm, else ()
    betas: tuple[np.ndarray, ...] = ()  # β per hidden layer with a norm, else ()
    residual: int | None = None  # k of the residual blocks, None without
    # per weight layer: the hidden layer (1-based) whose activation its output adds, or
    # None; () when no layer has a skip
    skip_from: tuple[int | None, ...] = ()
    # Batch norm outside a training step (the whole data set's loss, the decision
    # boundary) takes μ and σ² of these inputs, the training set's, at the current weights.
    reference: np.ndarray | None = None

    @property
    def depth(self) -> int:
        """Number of weight layers."""
        return len(self.weights)

    @property
    def plain(self) -> bool:
        """Neither a norm nor a skip: z goes straight into f."""
        return self.norm == "none" and not self.skip_from

    def with_parameters(
        self,
        weights: tuple[np.ndarray, ...],
        biases: tuple[np.ndarray, ...],
        alphas: tuple[float | None, ...],
        gammas: tuple[np.ndarray, ...] | None = None,
        betas: tuple[np.ndarray, ...] | None = None,
    ) -> Network:
        """The same network with new parameters (γ and β kept unless given)."""
        # dataclasses.replace without its per-field introspection, and without __init__
        # (once per training step): the instance dict holds exactly the fields.
        new = object.__new__(type(self))
        fields = new.__dict__
        fields.update(self.__dict__)
        fields["weights"] = weights
        fields["biases"] = biases
        fields["alphas"] = alphas
        if gammas is not None:
            fields["gammas"] = gammas
        if betas is not None:
            fields["betas"] = betas
        return new

    def with_reference(self, inputs: np.ndarray | None) -> Network:
        """The same network, taking batch norm's statistics outside a training step from
        ``inputs`` (the training set's)."""
        return type(self)(
            self.layers, self.activations, self.weights, self.biases, self.alphas,
            self.norm, self.gammas, self.betas, self.residual, self.skip_from, inputs,
        )

    def with_weight(self, layer: int, neuron: int, source: int, value: float) -> Network:
        """The same network with one weight changed: W_layer[neuron, source] = value
        (``layer`` 1-based). Only that layer's matrix is copied; nothing of ``self``
        changes, so a network kept elsewhere (the initial one) stays as it was."""
        if not 1 <= layer <= len(self.weights):
            raise IndexError(f"no weight layer {layer}")
        w = self.weights[layer - 1].copy()
        rows, cols = w.shape
        if not (0 <= neuron < rows and 0 <= source < cols):  # no wrap-around from the end
            raise IndexError(f"layer {layer} has no weight from {source} to {neuron}")
        w[neuron, source] = value
        weights = (*self.weights[: layer - 1], w, *self.weights[layer:])
        return self.with_parameters(weights, self.biases, self.alphas)

    def parameter_count(self) -> int:
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases)) + sum(
            1 for a in self.alphas if a is not None
        ) + sum(g.size + b.size for g, b in zip(self.gammas, self.betas))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for inputs x (N, layers[0]); no gradients. Batch norm
        takes μ and σ² from :attr:`reference` (the training set) at the current weights,
        or from x itself when there is none."""
        if self.plain:
            a = x
            with np.errstate(all="ignore"):
                for w, b, act, alpha in zip(self.weights, self.biases, self.activations,
                                            self.alphas):
                    a = act.forward(a @ w.T + b, alpha)
            return a
        ref = self.reference if self.norm == "batch" else None
        if ref is not None and ref is not x:
            return forward(self, x, forward(self, ref, None).stats).a[-1]
        return forward(self, x, None).a[-1]

    def norm_statistics(self) -> tuple[tuple[np.ndarray, np.ndarray] | None, ...]:
        """Per weight layer, the (μ, σ²) batch norm uses outside a training step: those of
        :attr:`reference` at the current weights; None for the output layer, for layer
        norm (which needs no data set) and when there is no reference."""
        if self.norm != "batch" or self.reference is None:
            return (None,) * self.depth
        return forward(self, self.reference, None).stats


def make_network(
    layers: tuple[int, ...] | list[int],
    activations: tuple[Activation, ...] | list[Activation],
    weights: list[np.ndarray],
    biases: list[np.ndarray] | None = None,
    alphas: list[float | None] | None = None,
    *,
    norm: str = "none",
    gammas: list[np.ndarray] | None = None,
    betas: list[np.ndarray] | None = None,
    residual: int | None = None,
) -> Network:
    """A Network with zero biases and PReLU slopes of 0.25 unless given; with a norm, γ of
    1 and β of 0 unless given. ValueError for a norm that is not one of NORMS, γ or β
    without a norm, or a residual block whose layers differ in width."""
    layers = tuple(int(n) for n in layers)
    if biases is None:
        biases = [np.zeros(n) for n in layers[1:]]
    if alphas is None:
        alphas = [PRELU_INIT if act.learnable else None for act in activations]
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}")
    hidden = layers[1:-1]
    if norm == "none":
        if gammas is not None or betas is not None:
            raise ValueError("γ and β need a norm")
        g: tuple[np.ndarray, ...] = ()
        bt: tuple[np.ndarray, ...] = ()
    else:
        g = tuple(np.ones(n) for n in hidden) if gammas is None else tuple(
            np.array(v, dtype=np.float64) for v in gammas)
        bt = tuple(np.zeros(n) for n in hidden) if betas is None else tuple(
            np.array(v, dtype=np.float64) for v in betas)
        if [v.shape for v in g] != [(n,) for n in hidden] or \
                [v.shape for v in bt] != [(n,) for n in hidden]:
            raise ValueError("γ and β need one vector per hidden layer, of its width")
    skips: tuple[int | None, ...] = ()
    if residual is not None:
        bad = block_widths_problem(layers, residual)
        if bad is not None:
            raise ValueError(f"layers {bad[0]} to {bad[1]} form a residual block but differ "
                             "in width")
        sources = skip_sources(len(layers) - 1, residual)
        if any(s is not None for s in sources):  # () when no block is complete: plain
            skips = sources
    return Network(
        layers,
        tuple(activations),
        tuple(np.array(w, dtype=np.float64) for w in weights),
        tuple(np.array(b, dtype=np.float64) for b in biases),
        tuple(
            (float(a) if a is not None else PRELU_INIT) if act.learnable else None
            for a, act in zip(alphas, activations)
        ),
        norm,
        g,
        bt,
        residual,
        skips,
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
    gammas: tuple[np.ndarray, ...] = ()  # per hidden layer with a norm, else ()
    betas: tuple[np.ndarray, ...] = ()
    # With clipping: N, the 2-norm over every gradient entry, and the factor
    # c = min(1, clip_norm / (N + 1e−6)) every gradient was multiplied by before the step.
    grad_norm: float | None = None
    clip_scale: float = 1.0


@dataclass(frozen=True, eq=False)
class Pass:
    """One forward and backward pass over a batch, and the update that follows it.

    Per-layer lists are indexed from 0 for layer 1. Arrays are (B, size of layer).
    ``delta`` carries the loss's averaging factor (1/B for squared, 1/(B·K) for mse
    and bce), so ``grad_weights[l] = delta[l]ᵀ · a_prev``.

    ``z`` is the linear output, ``z_hat`` what the activation takes (z itself without a
    norm), ``a`` what the layer passes on (f(ẑ), plus the skip if the layer ends a block),
    ``dact`` f'(ẑ), ``grad_a`` ∂L/∂a (along every path), ``grad_z_hat`` ∂L/∂ẑ =
    ∂L/∂a ⊙ f'(ẑ), and ``delta`` ∂L/∂z. The gradients are those of the loss, before any
    clipping. Under batch norm a hidden layer's bias cancels in z − μ: its gradient is
    recorded as exactly 0.
    """

    network: Network  # the parameters the pass ran with
    loss_name: str
    inputs: np.ndarray  # (B, layers[0])
    targets: np.ndarray  # (B, layers[-1])
    z: tuple[np.ndarray, ...]
    a: tuple[np.ndarray, ...]
    dact: tuple[np.ndarray, ...]  # f'(ẑ): f'(z) without a norm
    grad_a: tuple[np.ndarray, ...]  # ∂L/∂a
    delta: tuple[np.ndarray, ...]  # ∂L/∂z of the linear output
    grad_weights: tuple[np.ndarray, ...]
    grad_biases: tuple[np.ndarray, ...]
    grad_alphas: tuple[float | None, ...]
    loss: float
    batch: np.ndarray | None = None  # sample indices into the data set (None: all, in order)
    step: int = 0  # the training step this pass belongs to (0 = the first)
    update: Update | None = field(default=None)
    # The cures (empty tuples stand for "as z", "as delta", "none" in a pass made elsewhere)
    z_hat: tuple[np.ndarray, ...] = ()  # what f takes: ẑ with a norm, z without
    grad_z_hat: tuple[np.ndarray, ...] = ()  # ∂L/∂ẑ
    grad_gammas: tuple[np.ndarray | None, ...] = ()  # None for the output, or without a norm
    grad_betas: tuple[np.ndarray | None, ...] = ()
    # per layer: μ and σ² of the norm (batch: (width,), layer: (B, 1)), None without
    norm_mean: tuple[np.ndarray | None, ...] = ()
    norm_var: tuple[np.ndarray | None, ...] = ()
    skip_from: tuple[int | None, ...] = ()  # the hidden layer (1-based) added, or None

    @property
    def depth(self) -> int:
        return len(self.z)

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]

    @property
    def loss_divisor(self) -> int:
        """What the loss averages over, and so the factor 1/n every δ carries: n = B for
        the squared loss, B·K (samples × outputs) for mse and bce."""
        b, k = self.targets.shape
        return int(b if self.loss_name == "squared" else b * k)

    def f_input(self, layer: int) -> np.ndarray:
        """ẑ of layer ``layer`` (1-based): what its activation takes."""
        return self.z_hat[layer - 1] if self.z_hat else self.z[layer - 1]

    def f_output(self, layer: int) -> np.ndarray:
        """f(ẑ) of layer ``layer`` (1-based): its activation's own output, before a skip
        adds its block's input (``a`` is what the layer passes on, skip included)."""
        a = self.a[layer - 1]
        source = self.skip_source(layer)
        if source is None:
            return a
        before: np.ndarray = self.inputs if source == 0 else self.a[source - 1]
        out: np.ndarray = a - before
        return out

    def skip_source(self, layer: int) -> int | None:
        """The hidden layer (1-based) whose activation layer ``layer`` adds, or None."""
        return self.skip_from[layer - 1] if self.skip_from else None

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
    if network.norm != "none" or network.skip_from:  # the one branch: the cures' own pass
        c = cured_pass(network, inputs, targets, loss_name)
        return Pass(network, loss_name, inputs, targets, c.z, c.a, c.dact, c.grad_a, c.delta,
                    c.grad_weights, c.grad_biases, c.grad_alphas, c.loss, batch, step, None,
                    c.z_hat, c.grad_z_hat, c.grad_gammas, c.grad_betas, c.norm_mean,
                    c.norm_var, c.skip_from)
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
    z_tuple = tuple(zs)
    delta_tuple = tuple(reversed(deltas))
    nothing = (None,) * depth
    # positionally, in the order of Pass's fields (keywords cost a step's microsecond)
    return Pass(
        network, loss_name, inputs, targets,
        z_tuple,  # z
        tuple(activations),  # a
        tuple(reversed(dacts)),  # dact
        tuple(reversed(grad_as)),  # grad_a
        delta_tuple,  # delta
        tuple(reversed(gws)),  # grad_weights
        tuple(reversed(gbs)),  # grad_biases
        tuple(galphas),  # grad_alphas
        loss, batch, step,
        None,  # update
        z_tuple,  # z_hat: z itself, without a norm
        delta_tuple,  # grad_z_hat: δ itself
        nothing, nothing, nothing, nothing, nothing,  # γ, β, μ, σ², skips: none
    )


def first_non_finite(p: Pass) -> tuple[str, int] | None:
    """What in a pass was non-finite first, and its layer (1-based): the forward pass
    (z or a) layer by layer, then the loss (the output layer), then the gradient from
    the output back, then the update; None if everything is finite."""
    for i, (z, a) in enumerate(zip(p.z, p.a)):
        if not (np.isfinite(z).all() and np.isfinite(p.f_input(i + 1)).all()
                and np.isfinite(a).all()):
            return "forward", i + 1
    if not math.isfinite(p.loss):
        return "loss", p.depth
    for i in reversed(range(p.depth)):
        extra = [x for x in (p.grad_gammas[i:i + 1] + p.grad_betas[i:i + 1]) if x is not None]
        if not all(np.isfinite(x).all() for x in (p.delta[i], p.grad_weights[i],
                                                   p.grad_biases[i], *extra)):
            return "gradient", i + 1
    if p.update is not None:
        u = p.update
        for i, (w, b) in enumerate(zip(u.weights, u.biases)):
            extra = [*u.gammas[i:i + 1], *u.betas[i:i + 1]]
            if not (np.isfinite(w).all() and np.isfinite(b).all()
                    and all(np.isfinite(x).all() for x in extra)):
                return "update", i + 1
    return None
