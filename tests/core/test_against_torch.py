"""PyTorch (float64, CPU) as an independent reference for every number the core computes.

The same network (the core's starting weights copied into ``torch.nn.Linear`` layers,
``torch.nn.functional`` activations and ``torch.nn.PReLU``), the same batches (taken
from the core's ``Pass.batch``), torch's own losses and ``torch.optim`` optimisers; the
first pass, the loss and gradient history and the final parameters must agree to 1e-9.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vanishgui.core.activations import NAMES as ACTIVATION_NAMES
from vanishgui.core.activations import Activation, parse_activation
from vanishgui.core.experiment import Experiment, parse_experiment
from vanishgui.core.network import Network
from vanishgui.core.report import main as report_main

RTOL = 1e-9
ATOL = 1e-300  # "tiny": only exact zeros may differ by nothing at all
STEPS = 5
F64 = torch.float64

ACTIVATION_SPECS: list = [
    *ACTIVATION_NAMES,
    "silu",
    {"name": "leaky_relu", "negative_slope": 0.2},
    {"name": "elu", "alpha": 0.5},
]
OPTIMIZERS = {
    "sgd": {"optimizer": "sgd", "learning_rate": 0.1},
    "momentum": {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9},
    "adam": {"optimizer": "adam", "learning_rate": 0.01},
}


def _spec_id(spec) -> str:
    if isinstance(spec, str):
        return spec
    return "-".join(f"{k}={v}" if k != "name" else str(v) for k, v in spec.items())


def close(actual, desired, what: str = "") -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(desired, dtype=np.float64),
        rtol=RTOL,
        atol=ATOL,
        err_msg=what,
    )


# -- the torch side ---------------------------------------------------------------------


def torch_activation(act: Activation, z: torch.Tensor, prelu: nn.PReLU | None) -> torch.Tensor:
    n = act.name
    if n == "sigmoid":
        return torch.sigmoid(z)
    if n == "tanh":
        return torch.tanh(z)
    if n == "relu":
        return F.relu(z)
    if n == "leaky_relu":
        return F.leaky_relu(z, negative_slope=act.param("negative_slope"))
    if n == "prelu":
        assert prelu is not None
        return prelu(z)
    if n == "elu":
        return F.elu(z, alpha=act.param("alpha"))
    if n == "selu":
        return F.selu(z)
    if n == "gelu":
        return F.gelu(z, approximate="none")
    if n == "swish":
        return F.silu(z)
    if n == "softplus":
        return F.softplus(z, beta=1.0, threshold=20.0)
    if n == "linear":
        return z
    raise AssertionError(n)


def torch_loss(name: str, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if name == "squared":  # (1/B) Σ ½(ŷ−y)²: not a torch built-in, so written out
        return 0.5 * ((y_hat - y) ** 2).sum() / y_hat.shape[0]
    if name == "mse":
        return nn.MSELoss()(y_hat, y)
    if name == "bce":
        return nn.BCELoss()(y_hat, y)
    raise AssertionError(name)


@dataclass
class TorchPass:
    loss: float
    z: list[np.ndarray]
    a: list[np.ndarray]
    dact: list[np.ndarray]
    grad_a: list[np.ndarray]
    delta: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    grad_alphas: list[float | None]


class TorchNet:
    """The core's network rebuilt from torch.nn parts."""

    def __init__(self, net: Network) -> None:
        self.activations = net.activations
        self.linears: list[nn.Linear] = []
        self.prelus: list[nn.PReLU | None] = []
        for w, b, act, alpha in zip(net.weights, net.biases, net.activations, net.alphas):
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=F64)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(w, dtype=F64))
                lin.bias.copy_(torch.tensor(b, dtype=F64))
            self.linears.append(lin)
            if act.learnable:
                assert alpha is not None
                self.prelus.append(nn.PReLU(num_parameters=1, init=alpha, dtype=F64))
            else:
                assert alpha is None
                self.prelus.append(None)

    def parameters(self) -> list[torch.Tensor]:
        params: list[torch.Tensor] = []
        for lin, pr in zip(self.linears, self.prelus):
            params += [lin.weight, lin.bias]
            if pr is not None:
                params.append(pr.weight)
        return params

    def run(self, x: np.ndarray, y: np.ndarray, loss_name: str) -> tuple[torch.Tensor, TorchPass]:
        """Forward and backward (gradients left on the parameters for an optimiser)."""
        for p in self.parameters():
            p.grad = None
        a = torch.tensor(x, dtype=F64)
        zs, acts = [], []
        for lin, pr, act in zip(self.linears, self.prelus, self.activations):
            z = lin(a)
            z.retain_grad()
            a = torch_activation(act, z, pr)
            a.retain_grad()
            zs.append(z)
            acts.append(a)
        loss = torch_loss(loss_name, a, torch.tensor(y, dtype=F64))
        loss.backward()
        dacts = []
        for z, pr, act in zip(zs, self.prelus, self.activations):
            zc = z.detach().clone().requires_grad_(True)
            (d,) = torch.autograd.grad(torch_activation(act, zc, pr).sum(), zc)
            dacts.append(d.numpy())
        record = TorchPass(
            loss=loss.item(),
            z=[z.detach().numpy() for z in zs],
            a=[a.detach().numpy() for a in acts],
            dact=dacts,
            grad_a=[a.grad.numpy() for a in acts],
            delta=[z.grad.numpy() for z in zs],
            grad_weights=[lin.weight.grad.numpy().copy() for lin in self.linears],
            grad_biases=[lin.bias.grad.numpy().copy() for lin in self.linears],
            grad_alphas=[pr.weight.grad.item() if pr is not None else None
                         for pr in self.prelus],
        )
        return loss, record

    def optimizer(self, exp: Experiment) -> torch.optim.Optimizer:
        if exp.optimizer == "sgd":
            return torch.optim.SGD(self.parameters(), lr=exp.learning_rate,
                                   momentum=exp.momentum)
        return torch.optim.Adam(self.parameters(), lr=exp.learning_rate, betas=(0.9, 0.999),
                                eps=1e-8)

    def weights(self) -> list[np.ndarray]:
        return [lin.weight.detach().numpy() for lin in self.linears]

    def biases(self) -> list[np.ndarray]:
        return [lin.bias.detach().numpy() for lin in self.linears]

    def alphas(self) -> list[float | None]:
        return [pr.weight.item() if pr is not None else None for pr in self.prelus]

    def full_loss(self, x: np.ndarray, y: np.ndarray, loss_name: str) -> float:
        with torch.no_grad():
            a = torch.tensor(x, dtype=F64)
            for lin, pr, act in zip(self.linears, self.prelus, self.activations):
                a = torch_activation(act, lin(a), pr)
            return torch_loss(loss_name, a, torch.tensor(y, dtype=F64)).item()


def assert_pass_matches(core, ref: TorchPass, what: str = "") -> None:
    assert core.loss == pytest.approx(ref.loss, rel=RTOL, abs=ATOL), what
    for i in range(core.depth):
        w = f"{what} layer {i + 1}"
        close(core.z[i], ref.z[i], f"{w} z")
        close(core.a[i], ref.a[i], f"{w} a")
        close(core.dact[i], ref.dact[i], f"{w} f'(z)")
        close(core.grad_a[i], ref.grad_a[i], f"{w} dL/da")
        close(core.delta[i], ref.delta[i], f"{w} delta")
        close(core.grad_weights[i], ref.grad_weights[i], f"{w} dL/dW")
        close(core.grad_biases[i], ref.grad_biases[i], f"{w} dL/db")
        if ref.grad_alphas[i] is None:
            assert core.grad_alphas[i] is None, w
        else:
            close(core.grad_alphas[i], ref.grad_alphas[i], f"{w} dL/dalpha")


# -- experiments ------------------------------------------------------------------------


def make_experiment(spec, loss: str, optimizer: str, batch_size: int | None,
                    seed: int = 0) -> Experiment:
    rng = np.random.default_rng(seed)
    layers = [3, 5, 4, 2]
    n = 12
    x = rng.normal(0.0, 1.0, (n, layers[0]))
    if loss == "bce":
        y = rng.uniform(0.0, 1.0, (n, layers[-1]))
        y[: n // 2] = np.round(y[: n // 2])  # hard and soft labels
    else:
        y = rng.normal(0.0, 1.0, (n, layers[-1]))
    training = {"loss": loss, **OPTIMIZERS[optimizer]}
    if batch_size is not None:
        training["batch_size"] = batch_size
    return parse_experiment({
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {
            "layers": layers,
            "hidden_activation": spec,
            "output_activation": "sigmoid" if loss == "bce" else spec,
            "init": {"scheme": "he_normal", "seed": 11 + seed},
            "biases": [rng.normal(0.0, 0.3, m).tolist() for m in layers[1:]],
        },
        "data": {"inputs": x.tolist(), "targets": y.tolist()},
        "training": training,
    }, "test")


def run_both(exp: Experiment, steps: int = STEPS):
    """Train the core and torch side by side; returns both, checking each step's pass."""
    trainer = exp.trainer()
    ref = TorchNet(trainer.network)
    opt = ref.optimizer(exp)
    x, y = exp.data()
    passes = []
    torch_loss_history, torch_grad_history = [], []
    for step in range(steps):
        p = trainer.step()
        assert p.step == step
        idx = p.batch
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        _, record = ref.run(xb, yb, exp.loss)
        if step == 0:
            assert_pass_matches(p, record, "first pass")
        passes.append(p)
        torch_loss_history.append(record.loss)
        torch_grad_history.append([np.abs(g).mean() for g in record.grad_weights])
        opt.step()
    return trainer, ref, passes, torch_loss_history, torch_grad_history


CASES = [
    (spec, loss, opt, batch)
    for spec in ACTIVATION_SPECS
    for loss in ("squared", "mse", "bce")
    for opt in OPTIMIZERS
    for batch in (None, 5)
]


@pytest.mark.parametrize(
    ("spec", "loss", "optimizer", "batch_size"),
    CASES,
    ids=[f"{_spec_id(s)}-{lo}-{o}-{'full' if b is None else f'batch{b}'}"
         for s, lo, o, b in CASES],
)
def test_training_matches_torch(spec, loss: str, optimizer: str, batch_size) -> None:
    exp = make_experiment(spec, loss, optimizer, batch_size)
    trainer, ref, passes, losses_t, grads_t = run_both(exp)
    if batch_size is None:
        assert all(p.batch is None for p in passes)
    else:
        # 12 samples in batches of 5: 5, 5, 2, then a new epoch
        assert [len(p.batch) for p in passes] == [5, 5, 2, 5, 5]
    h = trainer.history
    assert list(h.steps) == list(range(STEPS))
    close(h.loss, losses_t, "loss history")
    close(h.grad_mean_abs, grads_t, "mean |dL/dW| history")
    close(h.loss[0], passes[0].loss, "history.loss[0] is the first pass's loss")
    for i, (w, b, al) in enumerate(zip(ref.weights(), ref.biases(), ref.alphas())):
        close(trainer.network.weights[i], w, f"final W{i + 1}")
        close(trainer.network.biases[i], b, f"final b{i + 1}")
        if al is None:
            assert trainer.network.alphas[i] is None
        else:
            close(trainer.network.alphas[i], al, f"final alpha{i + 1}")
    if parse_activation(spec).learnable:
        # the slope is a parameter: it must have moved, in both
        assert trainer.network.alphas[0] != 0.25
    x, y = exp.data()
    close(trainer.full_loss(), ref.full_loss(x, y, exp.loss), "final loss")


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_previewed_update_matches_torch_step(optimizer: str) -> None:
    """The update a Pass carries before it is committed is torch's step, for PReLU too."""
    exp = make_experiment("prelu", "mse", optimizer, None, seed=3)
    trainer = exp.trainer()
    ref = TorchNet(trainer.network)
    opt = ref.optimizer(exp)
    x, y = exp.data()
    for _ in range(3):
        p = trainer.preview()
        ref.run(x, y, exp.loss)
        opt.step()
        assert p.update is not None
        for i in range(p.depth):
            close(p.update.weights[i], ref.weights()[i], f"W{i + 1}")
            close(p.update.biases[i], ref.biases()[i], f"b{i + 1}")
            close(p.update.alphas[i], ref.alphas()[i], f"alpha{i + 1}")
        trainer.commit(p)


def test_activations_match_torch_on_a_grid_including_kinks_and_extremes() -> None:
    z = np.array([-1000.0, -710.0, -100.0, -30.0, -20.5, -5.0, -1.0, -1e-3, -1e-10, -1e-300,
                  0.0, 1e-300, 1e-10, 1e-3, 0.5, 1.0, 5.0, 19.999, 20.0, 20.0001, 30.0, 100.0,
                  710.0, 1000.0])
    for spec in ACTIVATION_SPECS:
        act = parse_activation(spec)
        prelu = nn.PReLU(init=0.3, dtype=F64) if act.learnable else None
        alpha = 0.3 if act.learnable else None
        zt = torch.tensor(z, dtype=F64, requires_grad=True)
        ft = torch_activation(act, zt, prelu)
        (dt,) = torch.autograd.grad(ft.sum(), zt)
        with np.errstate(all="ignore"):
            f = act.forward(z, alpha)
            d = act.derivative(z, f, alpha)
            d_without_a = act.derivative(z, None, alpha)
        close(f, ft.detach().numpy(), f"{act.describe()} f(z)")
        close(d, dt.numpy(), f"{act.describe()} f'(z)")
        close(d_without_a, dt.numpy(), f"{act.describe()} f'(z) without a")


@pytest.mark.parametrize("loss", ["squared", "mse", "bce"])
def test_losses_match_torch_including_clamped_logs(loss: str) -> None:
    from vanishgui.core import losses

    y_hat = np.array([[0.3, 1e-10], [0.999, 0.5], [1e-300, 0.25], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.0, 0.2], [1.0, 1.0], [0.0, 0.7]])
    yt = torch.tensor(y_hat, dtype=F64, requires_grad=True)
    lt = torch_loss(loss, yt, torch.tensor(y, dtype=F64))
    (gt,) = torch.autograd.grad(lt, yt)
    close(losses.loss_value(loss, y_hat, y), lt.item(), "loss")
    grad = losses.loss_gradient(loss, y_hat, y)
    if loss != "bce":
        close(grad, gt.numpy(), "gradient")
        return
    # Where ŷ(1−ŷ) < 1e-12 the formula divides by 1e-12 exactly; torch's kernel
    # divides by the float32 constant 1e-12f (= 9.99999996e-13), 4e-9 away. So torch is the
    # reference everywhere else, and the formula in the clamped entries.
    clamped = y_hat * (1 - y_hat) < 1e-12
    assert clamped.sum() == 3
    close(grad[~clamped], gt.numpy()[~clamped], "gradient")
    close(grad[clamped], ((y_hat - y) / 1e-12 / y.size)[clamped], "clamped gradient")


@pytest.mark.parametrize("y_hat", [1e-10, 1e-6, 0.25, 0.75, 1 - 1e-6])
def test_bce_of_one_sample_matches_torch_to_the_last_digits(y_hat: float) -> None:
    """Both logs matter on their own: log(1 − ŷ) of a small ŷ must be log1p(−ŷ), as torch's."""
    from vanishgui.core import losses

    for target in (0.0, 1.0, 0.3):
        a = np.array([[y_hat]])
        y = np.array([[target]])
        lt = nn.BCELoss()(torch.tensor(a, dtype=F64), torch.tensor(y, dtype=F64))
        assert losses.loss_value("bce", a, y) == pytest.approx(lt.item(), rel=1e-14)


# -- the report's JSON against torch --------------------------------------------------------


def _run_report(tmp_path, doc: dict, steps: int) -> dict:
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = report_main([str(path), "--steps", str(steps), "--json"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert err.getvalue() == ""
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON number {c}"))


REPORT_DOCS = {
    "prelu-tanh-bce-adam-minibatch": {
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {
            "layers": [2, 4, 3, 1],
            "activations": ["prelu", "tanh", "sigmoid"],
            "weights": [
                [[0.5, -0.3], [0.8, 0.1], [-0.6, 0.9], [0.2, -0.7]],
                [[0.3, -0.2, 0.5, 0.1], [-0.4, 0.6, 0.2, -0.3], [0.7, 0.1, -0.5, 0.4]],
                [[0.9, -0.8, 0.6]],
            ],
            "biases": [[0.1, -0.1, 0.05, 0.0], [0.2, 0.0, -0.2], [0.1]],
            "alphas": [0.2, None, None],
        },
        "data": {"dataset": "moons", "samples": 10, "noise": 0.1, "seed": 3},
        "training": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.05,
                     "batch_size": 4},
    },
    "elu-leaky-squared-momentum-full": {
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {
            "layers": [1, 3, 2, 2],
            "activations": [{"name": "elu", "alpha": 0.7},
                            {"name": "leaky_relu", "negative_slope": 0.2}, "linear"],
            "weights": [[[0.9], [-1.1], [0.4]], [[0.5, -0.6, 0.3], [-0.2, 0.8, 0.7]],
                        [[1.2, -0.4], [0.3, 0.9]]],
            "biases": [[0.1, 0.2, -0.3], [0.05, -0.05], [0.0, 0.1]],
        },
        "data": {"inputs": [[-1.0], [-0.3], [0.4], [1.5]],
                 "targets": [[0.5, -1.0], [0.2, 0.0], [-0.1, 0.3], [1.0, 0.8]]},
        "training": {"loss": "squared", "optimizer": "sgd", "learning_rate": 0.1,
                     "momentum": 0.9},
    },
    "classic-sigmoid": {
        "format": "vanishgui-experiment",
        "version": 1,
        "network": {"layers": [1, 1, 1, 1], "weights": [[[0.8]], [[-1.2]], [[1.5]]],
                    "biases": [[0.1], [0.2], [-0.3]]},
        "data": {"inputs": [[0.5]], "targets": [[1.0]]},
        "training": {"loss": "mse", "learning_rate": 0.5},
    },
}


@pytest.mark.parametrize("name", list(REPORT_DOCS))
def test_report_json_matches_torch(tmp_path, name: str) -> None:
    doc = REPORT_DOCS[name]
    steps = 6
    report = _run_report(tmp_path, doc, steps)

    exp = parse_experiment(doc)
    x, y = exp.data()
    n = len(x)
    batch = exp.batch_size
    # The batches, as training.py documents them: one permutation per epoch from
    # default_rng([seed, epoch]) (seed = the initialiser's), walked b at a time.
    batches: list[np.ndarray | None] = []
    epoch, pos = 0, 0
    for _ in range(steps):
        if batch is None:
            batches.append(None)
            continue
        order = np.random.default_rng([exp.init.seed, epoch]).permutation(n)
        batches.append(order[pos: pos + batch])
        pos += batch
        if pos >= n:
            epoch, pos = epoch + 1, 0

    ref = TorchNet(exp.build_network())
    opt = ref.optimizer(exp)
    first: TorchPass | None = None
    loss_hist, grad_hist = [], []
    for idx in batches:
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        _, record = ref.run(xb, yb, exp.loss)
        first = first or record
        loss_hist.append(record.loss)
        grad_hist.append([np.abs(g).mean() for g in record.grad_weights])
        opt.step()
    assert first is not None

    assert {"format", "version", "loss", "layers", "steps", "history", "final"} <= set(report)
    assert {"loss", "grad_mean_abs"} <= set(report["history"])
    # issue 15 added the cures' fields: null here, as there is no norm and no skip
    assert set(report["final"]) == {"loss", "weights", "biases", "alphas", "gammas", "betas"}
    assert report["final"]["gammas"] is None and report["final"]["betas"] is None
    for layer in report["layers"]:
        assert set(layer) == {"index", "size", "activation", "z", "a", "dact", "delta",
                              "grad_weights", "grad_biases", "grad_alpha", "z_hat", "gamma",
                              "beta", "grad_gamma", "grad_beta", "skip_from"}
        assert layer["z_hat"] == layer["z"]
        assert [layer[k] for k in ("gamma", "beta", "grad_gamma", "grad_beta",
                                   "skip_from")] == [None] * 5
    assert report["format"] == "vanishgui-report"
    assert report["version"] == 1
    assert report["steps"] == steps
    assert "diverged_at_step" not in report
    close(report["loss"], first.loss, "loss")
    assert len(report["layers"]) == exp.depth
    for i, layer in enumerate(report["layers"]):
        assert layer["index"] == i + 1
        assert layer["size"] == exp.layers[i + 1]
        assert layer["activation"] == exp.activations[i].name
        for key, want in (("z", first.z), ("a", first.a), ("dact", first.dact),
                          ("delta", first.delta), ("grad_weights", first.grad_weights),
                          ("grad_biases", first.grad_biases)):
            close(layer[key], want[i], f"layers[{i}].{key}")
        if first.grad_alphas[i] is None:
            assert layer["grad_alpha"] is None
        else:
            close(layer["grad_alpha"], first.grad_alphas[i], f"layers[{i}].grad_alpha")
    assert len(report["history"]["loss"]) == steps
    close(report["history"]["loss"], loss_hist, "history.loss")
    assert report["history"]["loss"][0] == report["loss"]
    close(report["history"]["grad_mean_abs"], grad_hist, "history.grad_mean_abs")
    final = report["final"]
    for i in range(exp.depth):
        close(final["weights"][i], ref.weights()[i], f"final.weights[{i}]")
        close(final["biases"][i], ref.biases()[i], f"final.biases[{i}]")
        if ref.alphas()[i] is None:
            assert final["alphas"][i] is None
        else:
            close(final["alphas"][i], ref.alphas()[i], f"final.alphas[{i}]")
    close(final["loss"], ref.full_loss(x, y, exp.loss), "final.loss (whole data set)")
