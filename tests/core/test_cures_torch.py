"""Residual blocks, batch and layer norm and gradient clipping against PyTorch (float64).

The torch side is built from torch's own parts: ``nn.Linear``, ``nn.BatchNorm1d`` (training
mode, no running statistics), ``nn.LayerNorm(width)``, ``torch.nn.utils.clip_grad_norm_``
and ``torch.optim``; the skips are torch additions ``a_e = f(ẑ_e) + a_{s−1}`` laid out as
issue 15 writes them (layer 1 the stem, blocks [2…k+1], [k+2…2k+1], …, a trailing partial
group no block). Under batch norm a hidden layer's bias cancels in z − μ; the issue has the
core report its gradient as exactly 0 (torch leaves rounding there), so the torch side sets
that gradient to 0 before clipping and stepping, as the issue says clipping counts it.
Every number must agree to rtol 1e-9.
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

from vanishgui.core.cures import skip_sources
from vanishgui.core.curves import output_grid
from vanishgui.core.experiment import Experiment, parse_experiment
from vanishgui.core.network import Network, run_pass
from vanishgui.core.report import main as report_main

RTOL = 1e-9
ATOL = 1e-300
# A norm makes some sums analytically 0 (β's gradient of a unit whose f is linear there,
# under a batch-normed layer: Σ over the batch of its δ), and then both sides hold
# rounding, ±1e-17. So an entry may also differ by FLOOR × the largest entry of its array:
# ~500 units of rounding, far below anything the rtol would let through elsewhere.
FLOOR = 1e-13
F64 = torch.float64
STEPS = 4
OPTIMIZERS = {
    "sgd": {"optimizer": "sgd", "learning_rate": 0.2},
    "momentum": {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9},
    "adam": {"optimizer": "adam", "learning_rate": 0.02},
}


def close(actual, desired, what: str = "") -> None:
    desired = np.asarray(desired, dtype=np.float64)
    floor = FLOOR * float(np.abs(desired).max()) if desired.size else 0.0
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), desired,
                               rtol=RTOL, atol=max(ATOL, floor), err_msg=what)


def torch_act(name: str, z: torch.Tensor, prelu: nn.PReLU | None) -> torch.Tensor:
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "prelu":
        assert prelu is not None
        return prelu(z)
    if name == "relu":
        return F.relu(z)
    raise AssertionError(name)


@dataclass
class TorchRecord:
    loss: float
    z: list[np.ndarray]
    z_hat: list[np.ndarray]
    a: list[np.ndarray]
    dact: list[np.ndarray]
    grad_a: list[np.ndarray]
    grad_z_hat: list[np.ndarray]
    delta: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    grad_alphas: list[float | None]
    grad_gammas: list[np.ndarray | None]
    grad_betas: list[np.ndarray | None]
    total_norm: float | None


class TorchCured:
    """The core's network rebuilt from torch.nn parts, norms and skips included."""

    def __init__(self, net: Network, every: int | None) -> None:
        self.names = [a.name for a in net.activations]
        self.norm = net.norm
        self.skips = skip_sources(net.depth, every)
        self.linears: list[nn.Linear] = []
        self.prelus: list[nn.PReLU | None] = []
        self.norms: list[nn.Module | None] = []
        hidden = net.depth - 1
        for i, (w, b, alpha) in enumerate(zip(net.weights, net.biases, net.alphas)):
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=F64)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(w))
                lin.bias.copy_(torch.tensor(b))
            self.linears.append(lin)
            self.prelus.append(None if alpha is None
                               else nn.PReLU(num_parameters=1, init=alpha, dtype=F64))
            module: nn.Module | None = None
            if i < hidden and net.norm == "batch":
                module = nn.BatchNorm1d(w.shape[0], eps=1e-5, track_running_stats=False,
                                        dtype=F64)
            elif i < hidden and net.norm == "layer":
                module = nn.LayerNorm(w.shape[0], eps=1e-5, dtype=F64)
            if module is not None:
                with torch.no_grad():
                    module.weight.copy_(torch.tensor(net.gammas[i]))
                    module.bias.copy_(torch.tensor(net.betas[i]))
                module.train()
            self.norms.append(module)

    def parameters(self) -> list[torch.Tensor]:
        params: list[torch.Tensor] = []
        for lin, pr in zip(self.linears, self.prelus):
            params += [lin.weight, lin.bias]
            if pr is not None:
                params.append(pr.weight)
        for m in self.norms:
            if m is not None:
                params += [m.weight, m.bias]
        return params

    def forward(self, x: torch.Tensor, keep: bool = False,
                stats: list | None = None) -> tuple[torch.Tensor, list, list, list]:
        a = x
        zs, zhats, acts = [], [], []
        for i, (lin, pr, m, name) in enumerate(zip(self.linears, self.prelus, self.norms,
                                                   self.names)):
            z = lin(a)
            if m is None:
                zh = z
            elif stats is not None and self.norm == "batch":  # the training set's μ, σ²
                mu, var = stats[i]
                zh = F.batch_norm(z, mu, var, m.weight, m.bias, training=False, eps=1e-5)
            else:
                zh = m(z)
            f = torch_act(name, zh, pr)
            a = f if self.skips[i] is None else f + acts[self.skips[i] - 1]
            if keep:
                for t in {id(z): z, id(zh): zh, id(a): a}.values():
                    t.retain_grad()
            zs.append(z)
            zhats.append(zh)
            acts.append(a)
        return a, zs, zhats, acts

    def run(self, x: np.ndarray, y: np.ndarray, clip: float | None) -> TorchRecord:
        """Forward, backward and clipping (gradients left on the parameters)."""
        for p in self.parameters():
            p.grad = None
        out, zs, zhats, acts = self.forward(torch.tensor(x, dtype=F64), keep=True)
        loss = F.mse_loss(out, torch.tensor(y, dtype=F64))
        loss.backward()
        dacts = []
        for zh, pr, name in zip(zhats, self.prelus, self.names):
            zc = zh.detach().clone().requires_grad_(True)
            (d,) = torch.autograd.grad(torch_act(name, zc, pr).sum(), zc)
            dacts.append(d.numpy())
        for lin, m in zip(self.linears, self.norms):
            if m is not None and self.norm == "batch":
                # the bias cancels in z − μ: its gradient is rounding around 0 ...
                assert np.abs(lin.bias.grad.numpy()).max() <= 1e-12
                lin.bias.grad.zero_()  # ... which the issue has the core report as 0
        record = TorchRecord(
            loss=loss.item(),
            z=[z.detach().numpy().copy() for z in zs],
            z_hat=[z.detach().numpy().copy() for z in zhats],
            a=[a.detach().numpy().copy() for a in acts],
            dact=dacts,
            grad_a=[a.grad.numpy().copy() for a in acts],
            grad_z_hat=[z.grad.numpy().copy() for z in zhats],
            delta=[z.grad.numpy().copy() for z in zs],
            grad_weights=[lin.weight.grad.numpy().copy() for lin in self.linears],
            grad_biases=[lin.bias.grad.numpy().copy() for lin in self.linears],
            grad_alphas=[None if pr is None else pr.weight.grad.item() for pr in self.prelus],
            grad_gammas=[None if m is None else m.weight.grad.numpy().copy()
                         for m in self.norms],
            grad_betas=[None if m is None else m.bias.grad.numpy().copy() for m in self.norms],
            total_norm=None,
        )
        if clip is not None:
            record.total_norm = float(torch.nn.utils.clip_grad_norm_(self.parameters(), clip))
        return record

    def optimizer(self, exp: Experiment) -> torch.optim.Optimizer:
        if exp.optimizer == "sgd":
            return torch.optim.SGD(self.parameters(), lr=exp.learning_rate,
                                   momentum=exp.momentum)
        return torch.optim.Adam(self.parameters(), lr=exp.learning_rate, betas=(0.9, 0.999),
                                eps=1e-8)

    def training_stats(self, x: np.ndarray) -> list:
        """Per layer, μ and the biased σ² of the whole training set (batch norm)."""
        with torch.no_grad():
            _, zs, _, _ = self.forward(torch.tensor(x, dtype=F64))
        return [None if m is None else (z.mean(0), z.var(0, unbiased=False))
                for z, m in zip(zs, self.norms)]

    def predict(self, grid: np.ndarray, train_x: np.ndarray) -> np.ndarray:
        stats = self.training_stats(train_x) if self.norm == "batch" else None
        with torch.no_grad():
            out, *_ = self.forward(torch.tensor(grid, dtype=F64), stats=stats)
        return out.numpy()

    def full_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(F.mse_loss(torch.tensor(self.predict(x, x)), torch.tensor(y, dtype=F64)))


def assert_pass_matches(p, ref: TorchRecord, what: str) -> None:
    assert p.loss == pytest.approx(ref.loss, rel=RTOL, abs=ATOL), what
    hidden = len(p.network.gammas)
    for i in range(p.depth):
        w = f"{what} layer {i + 1}"
        for key in ("z", "z_hat", "a", "dact", "grad_a", "grad_z_hat", "delta",
                    "grad_weights", "grad_biases"):
            close(getattr(p, key)[i], getattr(ref, key)[i], f"{w} {key}")
        if ref.grad_alphas[i] is None:
            assert p.grad_alphas[i] is None
        else:
            close(p.grad_alphas[i], ref.grad_alphas[i], f"{w} grad_alpha")
        if i < hidden:
            close(p.grad_gammas[i], ref.grad_gammas[i], f"{w} grad_gamma")
            close(p.grad_betas[i], ref.grad_betas[i], f"{w} grad_beta")
        else:
            assert p.grad_gammas[i] is None and p.grad_betas[i] is None
            assert ref.grad_gammas[i] is None
    if p.network.norm == "batch":  # the biases' gradients are exactly 0, not rounding
        assert all(not g.any() for g in p.grad_biases[:-1])


# -- the experiments ----------------------------------------------------------------------

HIDDEN = 5  # blocks: every 1 → [2] … [5]; 2 → [2, 3], [4, 5]; 3 → [2, 3, 4] and [5], no block
WIDTH = 4


def make_doc(every: int | None, norm: str, given: bool, clip: float | None, optimizer: str,
             act: str, batch_size: int | None, seed: int = 0, ends: tuple[int, int] = (3, 2),
             ) -> dict:
    rng = np.random.default_rng(seed)
    layers = [ends[0]] + [WIDTH] * HIDDEN + [ends[1]]
    n = 12
    network: dict = {
        "layers": layers, "hidden_activation": act, "output_activation": "tanh",
        "init": {"scheme": "he_normal", "seed": 5 + seed},
        "biases": [rng.normal(0.0, 0.3, m).tolist() for m in layers[1:]],
    }
    if every is not None:
        network["residual"] = {"every": every}
    if norm != "none":
        network["norm"] = norm
        if given:
            network["gammas"] = [rng.uniform(0.5, 1.5, WIDTH).tolist() for _ in range(HIDDEN)]
            network["betas"] = [rng.normal(0.0, 0.4, WIDTH).tolist() for _ in range(HIDDEN)]
    training: dict = {"loss": "mse", **OPTIMIZERS[optimizer]}
    if batch_size is not None:
        training["batch_size"] = batch_size
    if clip is not None:
        training["clip_norm"] = clip
    return {
        "format": "vanishgui-experiment", "version": 1, "network": network,
        "data": {"inputs": rng.normal(0.0, 1.0, (n, 3)).tolist(),
                 "targets": rng.normal(0.0, 0.6, (n, 2)).tolist()},
        "training": training,
    }


CLIP = 0.01  # small enough that the report's networks' steps are clipped


def clip_below(exp: Experiment) -> float:
    """Half the 2-norm of every gradient entry of the experiment's first step."""
    p = exp.trainer().preview()
    grads = [*p.grad_weights, *p.grad_biases, *(g for g in p.grad_gammas if g is not None),
             *(g for g in p.grad_betas if g is not None),
             *(np.array(g) for g in p.grad_alphas if g is not None)]
    return 0.5 * float(np.sqrt(sum(np.vdot(g, g) for g in grads)))


def run_both(exp: Experiment, steps: int = STEPS):
    trainer = exp.trainer()
    ref = TorchCured(trainer.network, exp.residual)
    opt = ref.optimizer(exp)
    x, y = exp.data()
    scales = []
    for step in range(steps):
        p = trainer.step()
        idx = p.batch
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        record = ref.run(xb, yb, exp.clip_norm)
        assert p.update is not None
        if step == 0:
            assert_pass_matches(p, record, "first pass")
        if exp.clip_norm is None:
            assert p.update.grad_norm is None and p.update.clip_scale == 1.0
        else:
            close(p.update.grad_norm, record.total_norm, f"step {step}: N")
            want = min(1.0, exp.clip_norm / (record.total_norm + 1e-6))
            close(p.update.clip_scale, want, f"step {step}: c")
            scales.append(p.update.clip_scale)
        close(trainer.history.loss[step], record.loss, f"step {step}: loss")
        close(trainer.history.grad_mean_abs[step],
              [np.abs(g).mean() for g in record.grad_weights], f"step {step}: mean |dL/dW|")
        opt.step()
    if exp.clip_norm is not None:
        assert min(scales) < 1.0, "clipping never clipped: the test would test nothing"
    return trainer, ref


def assert_final_matches(trainer, ref: TorchCured, exp: Experiment) -> None:
    net = trainer.network
    for i, (lin, pr) in enumerate(zip(ref.linears, ref.prelus)):
        close(net.weights[i], lin.weight.detach().numpy(), f"final W{i + 1}")
        close(net.biases[i], lin.bias.detach().numpy(), f"final b{i + 1}")
        if pr is not None:
            close(net.alphas[i], pr.weight.item(), f"final alpha{i + 1}")
    hidden = [m for m in ref.norms if m is not None]
    assert len(net.gammas) == len(hidden)
    for i, m in enumerate(hidden):
        close(net.gammas[i], m.weight.detach().numpy(), f"final gamma{i + 1}")
        close(net.betas[i], m.bias.detach().numpy(), f"final beta{i + 1}")
    x, y = exp.data()
    close(trainer.full_loss(), ref.full_loss(x, y), "whole-set loss")


NORM_CASES = (("none", False), ("batch", False), ("batch", True), ("layer", False),
              ("layer", True))
EVERY = (None, 1, 2, 3)
# Every residual setting × norm × optimiser; clipping on for half of them, so that each
# norm and optimiser meets each residual setting once with clipping and once without.
CASES = [
    (every, norm, given, bool((e + n + o) % 2), opt)
    for e, every in enumerate(EVERY)
    for n, (norm, given) in enumerate(NORM_CASES)
    for o, opt in enumerate(OPTIMIZERS)
]
ACTS = ("tanh", "sigmoid", "prelu")


@pytest.mark.parametrize(
    ("every", "norm", "given", "clip", "optimizer"), CASES,
    ids=[f"every{e}-{n}{'-given' if g else ''}-{'clip' if c else 'noclip'}-{o}"
         for e, n, g, c, o in CASES])
def test_training_with_the_cures_matches_torch(every, norm, given, clip, optimizer) -> None:
    k = CASES.index((every, norm, given, clip, optimizer))
    e, n, o = EVERY.index(every), NORM_CASES.index((norm, given)), list(OPTIMIZERS).index(
        optimizer)
    # each norm and optimiser meets every activation and batch size across the residuals
    act = ACTS[(o + 2 * e) % 3]
    if act == "prelu" and norm == "batch" and optimizer == "adam":
        # A PReLU unit whose ẑ are all of one sign over a batch is linear there, so with
        # batch norm downstream its β's gradient is analytically 0 and both sides hold
        # rounding (1e-17); Adam divides that by √v + 1e-8 into steps of ±1e-10 that
        # differ in sign between them. PReLU meets batch norm under SGD and momentum.
        act = "sigmoid"
    batch = (None, 4, 6)[(o + n + e) % 3]  # 12 samples: batches of 4 or 6, never fewer
    doc = make_doc(every, norm, given, None, optimizer, act, batch, seed=k)
    if clip:  # half the first step's gradient norm: the first step at least is clipped
        doc["training"]["clip_norm"] = clip_below(parse_experiment(doc, "test"))
    exp = parse_experiment(doc, "test")
    trainer, ref = run_both(exp)
    assert_final_matches(trainer, ref, exp)
    net = trainer.network
    want = [s for s in skip_sources(net.depth, every) if s is not None]
    assert [s for s in net.skip_from if s is not None] == want
    if norm == "batch":
        for b_now, b_then in zip(net.biases[:-1], trainer.initial_network.biases[:-1]):
            assert b_now.tobytes() == b_then.tobytes(), "a batch-norm bias moved"


def test_block_layout_is_the_issues() -> None:
    # H = 7 hidden layers, the output is layer 8 and never has a skip
    assert skip_sources(6, 3) == (None, None, None, 1, None, None)  # [5] is no block
    assert skip_sources(8, 1) == (None, 1, 2, 3, 4, 5, 6, None)
    assert skip_sources(8, 2) == (None, None, 1, None, 3, None, 5, None)
    assert skip_sources(8, 3) == (None, None, None, 1, None, None, 4, None)
    assert skip_sources(8, 4) == (None, None, None, None, 1, None, None, None)  # [6, 7] no block
    assert skip_sources(8, 6) == (None,) * 6 + (1, None)
    assert skip_sources(8, 7) == (None,) * 8  # no complete block


def test_a_block_adds_what_its_source_passes_on_skip_included() -> None:
    exp = parse_experiment(make_doc(2, "layer", True, None, "sgd", "tanh", None), "test")
    p = exp.trainer().preview()
    for end, source in ((3, 1), (5, 3)):
        f = np.tanh(p.z_hat[end - 1])
        close(p.a[end - 1], f + p.a[source - 1], f"a_{end}")
        assert p.skip_from[end - 1] == source
    close(p.a[3], np.tanh(p.z_hat[3]), "layer 4 adds nothing")
    assert p.skip_from == (None, None, 1, None, 3, None)


def test_a_residual_with_no_complete_block_changes_nothing() -> None:
    plain = parse_experiment(make_doc(None, "none", False, None, "adam", "tanh", 4), "t")
    doc = make_doc(None, "none", False, None, "adam", "tanh", 4)
    doc["network"]["residual"] = {"every": 63}
    idle = parse_experiment(doc, "t")
    t1, t2 = plain.trainer(), idle.trainer()
    t1.train(3)
    t2.train(3)
    assert t2.network.skip_from == ()
    for a, b in zip(t1.network.weights + t1.network.biases, t2.network.weights
                    + t2.network.biases):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_decision_boundary_and_loss_use_the_training_sets_statistics(norm: str) -> None:
    doc = make_doc(2, norm, True, None, "sgd", "tanh", 4, seed=9, ends=(2, 1))
    doc["data"] = {"dataset": "circles", "samples": 30, "noise": 0.1, "seed": 2}
    exp = parse_experiment(doc, "test")
    trainer = exp.trainer()
    trainer.train(5)  # 30 in batches of 4: the last batch of an epoch has 2
    ref = TorchCured(exp.build_network(), exp.residual)
    for lin, w, b in zip(ref.linears, trainer.network.weights, trainer.network.biases):
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w))
            lin.bias.copy_(torch.tensor(b))
    for m, g, bt in zip([m for m in ref.norms if m is not None], trainer.network.gammas,
                        trainer.network.betas):
        with torch.no_grad():
            m.weight.copy_(torch.tensor(g))
            m.bias.copy_(torch.tensor(bt))
    x, y = exp.data()
    grid = output_grid(trainer.network, (-1.5, 1.5, -1.5, 1.5), points=7)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    want = ref.predict(np.column_stack([gx.ravel(), gy.ravel()]), x)[:, 0].reshape(7, 7)
    close(grid.values, want, "boundary grid")
    close(trainer.full_loss(), ref.full_loss(x, y) * 1.0, "whole-set loss")
    if norm == "batch":  # not the grid's own statistics: those would give other numbers
        own = trainer.network.with_reference(None).predict(
            np.column_stack([gx.ravel(), gy.ravel()]))[:, 0].reshape(7, 7)
        assert np.abs(own - want).max() > 1e-3


def test_with_weight_carries_the_cures() -> None:
    exp = parse_experiment(make_doc(2, "batch", True, 0.5, "sgd", "tanh", None), "test")
    net = exp.trainer().network
    edited = net.with_weight(2, 1, 0, 0.75)
    assert edited.weights[1][1, 0] == 0.75 and net.weights[1][1, 0] != 0.75
    for key in ("norm", "gammas", "betas", "residual", "skip_from", "reference"):
        assert getattr(edited, key) is getattr(net, key), key
    x, y = exp.data()
    p = run_pass(edited, x, y, exp.loss)
    assert p.grad_gammas[0] is not None and p.skip_from[2] == 1
    assert p.a[2].tobytes() != run_pass(net, x, y, exp.loss).a[2].tobytes()


# -- the report's JSON ----------------------------------------------------------------------

REPORT_CASES = {
    "residual-batch-clip-momentum": (2, "batch", False, CLIP, "momentum", "sigmoid", 4),
    "residual-layer-given-adam": (1, "layer", True, None, "adam", "prelu", None),
    "layer-clip-sgd": (None, "layer", False, CLIP, "sgd", "tanh", 6),
}


@pytest.mark.parametrize("name", list(REPORT_CASES))
def test_report_json_with_the_cures_matches_torch(tmp_path, name: str) -> None:
    doc = make_doc(*REPORT_CASES[name], seed=4)
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    steps = 5
    assert report_main([str(path), "--steps", str(steps), "--json"], stdout=out,
                       stderr=err) == 0, err.getvalue()
    report = json.loads(out.getvalue())
    exp = parse_experiment(doc, "test")
    x, y = exp.data()
    ref = TorchCured(exp.build_network(), exp.residual)
    opt = ref.optimizer(exp)
    trainer = exp.trainer()  # only for its batches
    first = None
    scales = []
    for _ in range(steps):
        step = trainer.step()
        assert step.update is not None
        scales.append(step.update.clip_scale)
        idx = step.batch
        record = ref.run(x if idx is None else x[idx], y if idx is None else y[idx],
                         exp.clip_norm)
        first = first or record
        opt.step()
    assert first is not None
    assert (min(scales) < 1.0) == (exp.clip_norm is not None)
    hidden = HIDDEN
    skips = skip_sources(HIDDEN + 1, exp.residual)
    for i, layer in enumerate(report["layers"]):
        for key in ("z", "z_hat", "a", "dact", "delta", "grad_weights", "grad_biases"):
            close(layer[key], getattr(first, key)[i], f"layers[{i}].{key}")
        assert layer["skip_from"] == skips[i]
        if i < hidden:
            close(layer["gamma"], exp.build_network().gammas[i], f"layers[{i}].gamma")
            close(layer["beta"], exp.build_network().betas[i], f"layers[{i}].beta")
            close(layer["grad_gamma"], first.grad_gammas[i], f"layers[{i}].grad_gamma")
            close(layer["grad_beta"], first.grad_betas[i], f"layers[{i}].grad_beta")
        else:
            assert [layer[k] for k in ("gamma", "beta", "grad_gamma", "grad_beta",
                                       "skip_from")] == [None] * 5
    final = report["final"]
    norms = [m for m in ref.norms if m is not None]
    assert len(final["gammas"]) == len(final["betas"]) == hidden
    for i, m in enumerate(norms):
        close(final["gammas"][i], m.weight.detach().numpy(), f"final.gammas[{i}]")
        close(final["betas"][i], m.bias.detach().numpy(), f"final.betas[{i}]")
    for i, lin in enumerate(ref.linears):
        close(final["weights"][i], lin.weight.detach().numpy(), f"final.weights[{i}]")
        close(final["biases"][i], lin.bias.detach().numpy(), f"final.biases[{i}]")
    close(final["loss"], ref.full_loss(x, y), "final.loss")
