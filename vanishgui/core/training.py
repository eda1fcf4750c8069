"""Training: a Trainer that steps, and a History whose memory is bounded.

One training step takes the next batch, runs the forward and backward pass at the
current parameters (:meth:`Trainer.preview`), then applies the optimiser's update
(:meth:`Trainer.commit`). The two halves are separate so the app can show a step
event by event before it commits it; :meth:`Trainer.step` does both.

Mini-batches: with ``batch_size`` b, each epoch draws one permutation of the samples
from ``numpy.random.default_rng([seed, epoch])`` and steps through it b samples at a
time; the last batch of an epoch is smaller when b does not divide N. Full batch
(``batch_size`` None) uses every sample, in order.

With ``clip_norm`` the gradients of a step are clipped by their global 2-norm before the
optimiser takes them (:func:`~.optimizers.clip_gradients`); the Pass keeps the gradients
from before clipping, and its Update the norm and the factor. γ and β of a norm are
trained like the weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from .losses import loss_value
from .network import Network, Pass, Update, first_non_finite, run_pass
from .optimizers import OptimizerConfig, OptimizerState, clip_gradients, optimizer_step

HISTORY_CAPACITY = 12_288  # rows kept before decimation; even, and above 10,000 steps

_add_reduce = np.add.reduce
_and_reduce = np.logical_and.reduce
_FLOAT64 = np.dtype(np.float64)


def _all_finite(x: np.ndarray) -> bool:
    """``np.isfinite(x).all()`` (the same reduction), without ndarray.all's Python layer.

    (Not a test of the sum's finiteness: that would warn when finite numbers overflow.)
    """
    return bool(_and_reduce(np.isfinite(x), None))


def _layer_figures(
    gw: np.ndarray, dact: np.ndarray, w_new: np.ndarray, w_old: np.ndarray
) -> tuple[float, float, float, float]:
    """One layer's (mean |∂L/∂W|, ∂L/∂W·∂L/∂W, mean f'(z), mean |ΔW|), bit for bit what
    ``np.abs(gw).mean()``, ``np.vdot(gw, gw)``, ``dact.mean()`` and
    ``np.abs(w_new - w_old).mean()`` give, at a fraction of their Python overhead.

    A mean here is the same ``np.add.reduce`` divided by the same count, without the
    layers of ndarray.mean. One-element float64 arrays (all of the classic 1-1-1-1
    network's) are done on their one float: numpy's sum of one number x is 0.0 + x
    (so −0.0 becomes +0.0), dividing by a count of 1 changes nothing, and abs, +, −
    and × are the same IEEE operations in Python as in numpy.
    """
    if gw.dtype == dact.dtype == w_new.dtype == w_old.dtype == _FLOAT64:
        if gw.size == 1 and dact.size == 1:
            g = gw.item()
            return abs(g), g * g, 0.0 + dact.item(), abs(w_new.item() - w_old.item())
        return (
            _add_reduce(np.abs(gw), None) / gw.size,
            np.vdot(gw, gw),
            _add_reduce(dact, None) / dact.size,
            _add_reduce(np.abs(w_new - w_old), None) / w_new.size,
        )
    return np.abs(gw).mean(), np.vdot(gw, gw), dact.mean(), np.abs(w_new - w_old).mean()


def _norm_figures(p: Pass, u: Update, old: Network) -> dict[str, np.ndarray]:
    """Per layer, mean |∂L/∂γ|, mean |∂L/∂β| and the step's mean |Δγ|, |Δβ|; NaN for the
    output layer, which has no norm."""
    depth = old.depth
    out = {name: np.full(depth, np.nan) for name in History.NORM_LAYER}
    for i in range(depth - 1):
        g_gamma, g_beta = p.grad_gammas[i], p.grad_betas[i]
        if g_gamma is None or g_beta is None or u.gammas is None or u.betas is None:
            continue
        out["gamma_grad_mean_abs"][i] = np.abs(g_gamma).mean()
        out["beta_grad_mean_abs"][i] = np.abs(g_beta).mean()
        out["gamma_update_mean_abs"][i] = np.abs(u.gammas[i] - old.gammas[i]).mean()
        out["beta_update_mean_abs"][i] = np.abs(u.betas[i] - old.betas[i]).mean()
    return out


class History:
    """Per-step training figures, kept within ``capacity`` rows however long training runs.

    Every step is recorded until the buffer is full; then every other row is dropped
    and from there on only steps that are multiples of ``every`` (which doubles each
    time) are recorded. So the rows are always the steps 0, every, 2·every, …, and the
    memory is at most ``capacity × (3 + 5·depth)`` numbers of 8 bytes (step, loss and
    accuracy, and the five per-layer figures), ``capacity × (3 + 9·depth)`` with a norm
    (γ's and β's four more): what :meth:`nbytes` counts.
    ``grad_cumsum`` (the running sum of the mean |∂L/∂W| per layer) counts every step,
    decimated or not.
    """

    PER_LAYER = ("grad_mean_abs", "grad_norm", "dact_mean", "update_mean_abs", "grad_cumsum")
    # with a norm, γ's and β's own series (issue 15): mean |∂L/∂γ|, mean |∂L/∂β| and their
    # steps' mean |Δγ|, |Δβ| per hidden layer (the output layer's column is NaN)
    NORM_LAYER = ("gamma_grad_mean_abs", "beta_grad_mean_abs", "gamma_update_mean_abs",
                  "beta_update_mean_abs")

    def __init__(self, depth: int, capacity: int = HISTORY_CAPACITY,
                 norm: bool = False) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.depth = depth
        self.capacity = capacity
        self.every = 1
        self.count = 0  # rows in use
        self.total_steps = 0  # steps recorded or skipped
        self.diverged_at_step: int | None = None
        # at that step: what was non-finite first ("forward", "loss", "gradient" or
        # "update", see network.first_non_finite) and its layer, 1-based
        self.diverged_in: str | None = None
        self.diverged_layer: int | None = None
        self._running = np.zeros(depth)
        # the last step's mean |ΔW| per layer, decimated or not (the diagnosis's tiny steps)
        self.last_update_mean_abs = np.zeros(depth)
        rows = min(capacity, 256)
        self._steps = np.zeros(rows, dtype=np.int64)
        self._loss = np.zeros(rows)
        self._accuracy = np.zeros(rows)
        self.norm = norm
        names = self.PER_LAYER + (self.NORM_LAYER if norm else ())
        self._layers = {name: np.zeros((rows, depth)) for name in names}

    # -- reading -----------------------------------------------------------------------
    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self.count]

    @property
    def loss(self) -> np.ndarray:
        return self._loss[: self.count]

    @property
    def accuracy(self) -> np.ndarray:
        return self._accuracy[: self.count]

    def layer(self, name: str) -> np.ndarray:
        """(rows, depth) array of a per-layer figure, first layer first."""
        return self._layers[name][: self.count]

    @property
    def grad_mean_abs(self) -> np.ndarray:
        return self.layer("grad_mean_abs")

    @property
    def accumulated(self) -> np.ndarray:
        """Running sum of the mean |∂L/∂W| per layer since the last reset, as of now."""
        return self._running.copy()

    def nbytes(self) -> int:
        arrays = [self._steps, self._loss, self._accuracy, *self._layers.values()]
        return sum(a.nbytes for a in arrays)

    # -- writing -----------------------------------------------------------------------
    def record(
        self,
        loss: float,
        accuracy: float,
        grad_mean_abs: np.ndarray,
        grad_norm: np.ndarray,
        dact_mean: np.ndarray,
        update_mean_abs: np.ndarray,
        norm_figures: dict[str, np.ndarray] | None = None,
    ) -> None:
        step = self.total_steps
        self.total_steps = step + 1
        running = self._running
        np.add(running, grad_mean_abs, out=running)  # the running sum, in place
        self.last_update_mean_abs[:] = update_mean_abs
        if self.diverged_at_step is None and not (
            math.isfinite(loss) and _all_finite(grad_mean_abs) and _all_finite(update_mean_abs)
        ):
            self.diverged_at_step = step
        if step % self.every:
            return
        i = self.count
        if i == len(self._loss):
            if i == self.capacity:
                self._decimate()
                if step % self.every:
                    return
                i = self.count
            else:
                self._grow()
        self._steps[i] = step
        self._loss[i] = loss
        self._accuracy[i] = accuracy
        row = self._layers
        row["grad_mean_abs"][i] = grad_mean_abs
        row["grad_norm"][i] = grad_norm
        row["dact_mean"][i] = dact_mean
        row["update_mean_abs"][i] = update_mean_abs
        row["grad_cumsum"][i] = running
        if self.norm and norm_figures is not None:
            for name in self.NORM_LAYER:
                row[name][i] = norm_figures[name]
        self.count = i + 1

    def _grow(self) -> None:
        rows = min(self.capacity, 2 * len(self._loss))

        def grown(a: np.ndarray) -> np.ndarray:
            out = np.zeros((rows, *a.shape[1:]), dtype=a.dtype)
            out[: len(a)] = a
            return out

        self._steps = grown(self._steps)
        self._loss = grown(self._loss)
        self._accuracy = grown(self._accuracy)
        self._layers = {k: grown(v) for k, v in self._layers.items()}

    def _decimate(self) -> None:
        half = self.count // 2
        for a in (self._steps, self._loss, self._accuracy, *self._layers.values()):
            a[:half] = a[: self.count : 2]
        self.count = half
        self.every *= 2


@dataclass(frozen=True)
class BatchCursor:
    """Where the next batch starts: epoch number and position in that epoch's order."""

    epoch: int = 0
    position: int = 0


class Trainer:
    """Trains a network on (inputs, targets), recording a History.

    ``cancel`` lets a long :meth:`train` stop between steps (a GUI's pause button).
    """

    def __init__(
        self,
        network: Network,
        inputs: np.ndarray,
        targets: np.ndarray,
        loss_name: str,
        optimizer: OptimizerConfig,
        batch_size: int | None = None,
        seed: int = 0,
        classification: bool = False,
        history_capacity: int = HISTORY_CAPACITY,
        clip_norm: float | None = None,
    ) -> None:
        self.inputs = np.ascontiguousarray(inputs, dtype=np.float64)
        if network.norm == "batch":  # outside a step, batch norm takes the training set's μ, σ²
            network = network.with_reference(self.inputs)
        self.initial_network = network
        self.network = network
        self.clip_norm = clip_norm
        self.targets = np.ascontiguousarray(targets, dtype=np.float64)
        self.loss_name = loss_name
        self.optimizer = optimizer
        n = len(self.inputs)
        self.batch_size = None if batch_size is None or batch_size >= n else int(batch_size)
        self.seed = seed
        self.classification = classification
        self.history_capacity = history_capacity
        self.state = OptimizerState()
        self.cursor = BatchCursor()
        self.step_count = 0
        self.history = History(network.depth, history_capacity, norm=network.norm != "none")
        self._order_cache: tuple[int, np.ndarray] | None = None

    # -- batches -------------------------------------------------------------------------
    def _order(self, epoch: int) -> np.ndarray:
        if self._order_cache is None or self._order_cache[0] != epoch:
            perm = np.random.default_rng([self.seed, epoch]).permutation(len(self.inputs))
            self._order_cache = (epoch, perm)
        return self._order_cache[1]

    def next_batch(self) -> tuple[np.ndarray | None, BatchCursor]:
        """Indices of the next batch (None for the full batch) and the cursor after it."""
        if self.batch_size is None:
            return None, self.cursor
        n = len(self.inputs)
        c = self.cursor
        idx = self._order(c.epoch)[c.position : c.position + self.batch_size]
        end = c.position + len(idx)
        after = BatchCursor(c.epoch + 1, 0) if end >= n else BatchCursor(c.epoch, end)
        return idx, after

    # -- stepping ------------------------------------------------------------------------
    def preview(self) -> Pass:
        """The next step's pass and its update, without committing anything."""
        idx, _ = self.next_batch()
        if idx is None:
            x, y = self.inputs, self.targets
        else:
            x, y = self.inputs[idx], self.targets[idx]
        p = run_pass(self.network, x, y, self.loss_name, batch=idx, step=self.step_count)
        return p.with_update(self._update(p))

    def _update(self, p: Pass) -> Update:
        net = p.network
        alphas = net.alphas
        params: list[np.ndarray] = []
        grads: list[np.ndarray] = []
        learnable = False
        for w, b, alpha, gw, gb, ga in zip(
            net.weights, net.biases, alphas, p.grad_weights, p.grad_biases, p.grad_alphas
        ):
            params += (w, b)
            grads += (gw, gb)
            if alpha is not None:
                learnable = True
                # the slope as a 0-d array, as the optimiser takes arrays; its arithmetic
                # (and so the step) is exactly that of a float64
                params.append(np.array(alpha, dtype=np.float64))
                grads.append(np.array(ga, dtype=np.float64))
        hidden = len(net.gammas)  # γ, β after every weight, bias and slope; 0 without a norm
        clip = self.clip_norm
        if hidden or clip is not None:
            return self._cured_update(p, params, grads, hidden, clip)
        new, state = optimizer_step(self.optimizer, params, grads, self.state)
        if not learnable:  # (W₁, b₁, W₂, b₂, …); the alphas are all None
            weights, biases, new_alphas = tuple(new[0::2]), tuple(new[1::2]), alphas
        else:
            wl, bl, al = [], [], []
            it = iter(new)
            for alpha in alphas:
                wl.append(next(it))
                bl.append(next(it))
                al.append(float(next(it)) if alpha is not None else None)
            weights, biases, new_alphas = tuple(wl), tuple(bl), tuple(al)
        return Update(
            weights,
            biases,
            new_alphas,
            self.optimizer.learning_rate,
            self.optimizer.name,
            state,
        )

    def _cured_update(self, p: Pass, params: list[np.ndarray], grads: list[np.ndarray],
                      hidden: int, clip: float | None) -> Update:
        """:meth:`_update` with γ and β (after every weight, bias and slope), and with
        clipping by the global 2-norm before the optimiser's step."""
        net = p.network
        if hidden:
            params = [*params, *net.gammas, *net.betas]
            # a hidden layer's ∂L/∂γ and ∂L/∂β are arrays (None is the output layer's)
            grads = [*grads, *cast("tuple[np.ndarray, ...]", p.grad_gammas[:hidden]),
                     *cast("tuple[np.ndarray, ...]", p.grad_betas[:hidden])]
        grad_norm: float | None = None
        scale = 1.0
        if clip is not None:
            grads, grad_norm, scale = clip_gradients(grads, clip)
        new, state = optimizer_step(self.optimizer, params, grads, self.state)
        gammas, betas = net.gammas, net.betas
        if hidden:
            gammas, betas = tuple(new[-2 * hidden:-hidden]), tuple(new[-hidden:])
            new = new[:-2 * hidden]
        wl, bl, al = [], [], []
        it = iter(new)
        for alpha in net.alphas:
            wl.append(next(it))
            bl.append(next(it))
            al.append(float(next(it)) if alpha is not None else None)
        return Update(tuple(wl), tuple(bl), tuple(al), self.optimizer.learning_rate,
                      self.optimizer.name, state, gammas, betas, grad_norm, scale)

    def commit(self, p: Pass) -> None:
        """Apply a previewed pass's update and record its figures in the History."""
        if p.update is None or p.step != self.step_count:
            raise ValueError("only the pass previewed for the current step can be committed")
        u = p.update
        old = self.network
        depth = old.depth
        gma = np.empty(depth)
        gnorm = np.empty(depth)  # ‖∂L/∂W‖² until the square root below
        dmean = np.empty(depth)
        upd = np.empty(depth)
        with np.errstate(all="ignore"):
            for i, figures in enumerate(
                map(_layer_figures, p.grad_weights, p.dact, u.weights, old.weights)
            ):
                gma[i], gnorm[i], dmean[i], upd[i] = figures
            np.sqrt(gnorm, out=gnorm)  # elementwise: the same as one np.sqrt per layer
            acc = self._accuracy(p) if self.classification else np.nan
            norm = _norm_figures(p, u, old) if self.history.norm else None
            # inside: the running sum of two huge finite figures may overflow to inf
            self.history.record(p.loss, acc, gma, gnorm, dmean, upd, norm)
        h = self.history
        if h.diverged_at_step == self.step_count and h.diverged_in is None:
            found = first_non_finite(p)  # the update is p's: it holds the new weights
            if found is None:  # every number finite, a mean of them overflowed
                bad = ~np.isfinite(gma)
                where, row = ("gradient", bad) if bad.any() else ("update", ~np.isfinite(upd))
                found = (where, int(np.argmax(row)) + 1)
            h.diverged_in, h.diverged_layer = found
        self.network = old.with_parameters(u.weights, u.biases, u.alphas, u.gammas, u.betas)
        self.state = u.state
        self.cursor = self.next_batch()[1]
        self.step_count += 1

    @staticmethod
    def _accuracy(p: Pass) -> float:
        return float(np.mean((p.output > 0.5) == (p.targets > 0.5)))

    def step(self) -> Pass:
        """One whole training step; returns its pass (with the update it applied)."""
        p = self.preview()
        self.commit(p)
        return p

    def train(
        self,
        steps: int,
        cancel: Callable[[], bool] | None = None,
        stop_on_divergence: bool = False,
    ) -> int:
        """Run up to ``steps`` steps; returns how many ran."""
        done = 0
        for _ in range(steps):
            if cancel is not None and cancel():
                break
            self.step()
            done += 1
            if stop_on_divergence and self.history.diverged_at_step is not None:
                break
        return done

    def reset(self) -> None:
        """Back to the initial parameters, a fresh optimiser and an empty history."""
        self.network = self.initial_network
        self.state = OptimizerState()
        self.cursor = BatchCursor()
        self.step_count = 0
        self.history = History(self.network.depth, self.history_capacity,
                               norm=self.network.norm != "none")

    def full_loss(self) -> float:
        """The loss over the whole data set at the current parameters (batch norm with the
        whole data set's μ and σ²)."""
        return loss_value(self.loss_name, self.network.predict(self.inputs), self.targets)

    def retune(self, optimizer: OptimizerConfig, batch_size: int | None,
               clip_norm: float | None = None) -> None:
        """Train on with these settings from the next step, keeping the parameters, the
        history, the step count and where the next batch starts (a teacher's edit in the
        middle of training). The optimiser's state (momentum buffers, Adam's moments and
        step count) is kept unless the optimiser itself changes: then it starts afresh, as
        a new optimiser would. A new batch size takes its next batch from the current
        position in this epoch's order (the order itself is unchanged).

        Raises ValueError, and changes nothing, for a batch size below 1 or a clip norm
        that is not a number above 0, and under batch norm for a size that would leave a
        batch of one sample (in the rest of this epoch or in a whole one)."""
        n = len(self.inputs)
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"a batch size must be at least 1, not {batch_size}")
        if clip_norm is not None and not (math.isfinite(clip_norm) and clip_norm > 0):
            raise ValueError(f"a clip norm must be a finite number above 0, not {clip_norm}")
        size = None if batch_size is None or batch_size >= n else int(batch_size)
        if size is not None and self.network.norm == "batch":
            rest = n - self.cursor.position
            if size == 1 or rest % size == 1 or n % size == 1:
                raise ValueError(
                    f"batch norm needs at least 2 samples in every batch, and a batch size "
                    f"of {size} leaves one (sample {self.cursor.position + 1} of {n} is next)")
        if optimizer.name != self.optimizer.name:
            self.state = OptimizerState()
        self.optimizer = optimizer
        self.batch_size = size
        self.clip_norm = clip_norm
