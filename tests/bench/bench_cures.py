"""Benchmark: a training step through batch norm and residual blocks, core against PyTorch.

Run: .venv/bin/python tests/bench/bench_cures.py [--json] [--repeat N] (``make bench`` runs
it after bench_core.py). It prints figures and asserts nothing about time. Measured, per
full-batch training step (SGD, learning rate 0.5, squared loss, float64): the network of
bench_core.py's deep case, 2 → 32 ×9 → 1 sigmoid on 256 ``moons`` samples, with batch norm
on its 9 hidden layers and a skip every 2 layers (blocks [2, 3], [4, 5], [6, 7], [8, 9]):

* the core: :meth:`Trainer.step` (forward, backward, the update and the History row);
* PyTorch eager on the CPU: ``nn.Linear`` (no bias before a batch norm, as is usual: the
  core's bias there has a gradient of exactly 0 and never moves, so the two compute the
  same thing), ``nn.BatchNorm1d`` in training mode without running statistics,
  ``torch.sigmoid``, the skip additions, the squared loss, ``backward()``, ``SGD.step()``
  and ``zero_grad()``; with one thread per CPU and with one thread, as bench_core.py.

And the plain deep network's step again, to show that the cures' code leaves it as fast.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from bench_core import (
    DEEP_LAYERS,
    DEEP_SAMPLES,
    REPEAT,
    cpu_count,
    deep_experiment,
    load_average,
    time_steps,
)

from vanishgui.core.cures import skip_sources
from vanishgui.core.experiment import CLASSIC, Experiment, parse_experiment
from vanishgui.core.training import Trainer

EVERY = 2


def cured_experiment() -> Experiment:
    doc = copy.deepcopy(CLASSIC)  # squared loss, SGD, learning rate 0.5
    doc["network"] = {
        "layers": DEEP_LAYERS,
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "init": {"scheme": "xavier_uniform", "seed": 0},
        "norm": "batch",
        "residual": {"every": EVERY},
    }
    doc["data"] = {"dataset": "moons", "samples": DEEP_SAMPLES, "noise": 0.1, "seed": 0}
    return parse_experiment(doc, "the benchmark's 10 × 32 network with batch norm and skips")


def torch_step(torch: Any, trainer: Trainer) -> tuple[Any, Any]:
    """An idiomatic torch step for the trainer's network; (step, loss of the last step)."""
    from torch import nn
    from torch.nn import functional as F

    net = trainer.network
    hidden = net.depth - 1
    linears, norms = [], []
    for i, (w, b) in enumerate(zip(net.weights, net.biases)):
        linear = nn.Linear(w.shape[1], w.shape[0], bias=i >= hidden, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            if i >= hidden:
                linear.bias.copy_(torch.from_numpy(b))
        linears.append(linear)
        if i < hidden:
            norms.append(nn.BatchNorm1d(w.shape[0], track_running_stats=False,
                                        dtype=torch.float64))
    skips = skip_sources(net.depth, EVERY)
    params = [p for m in (*linears, *norms) for p in m.parameters()]
    optimizer = torch.optim.SGD(params, lr=trainer.optimizer.learning_rate)
    x = torch.from_numpy(trainer.inputs.copy())
    y = torch.from_numpy(trainer.targets.copy())
    scale = 0.5 / len(x)
    last = [torch.zeros((), dtype=torch.float64)]

    def step() -> None:
        outs: list[Any] = []
        a = x
        for i, linear in enumerate(linears):
            z = linear(a)
            a = torch.sigmoid(norms[i](z) if i < hidden else z)
            source = skips[i]
            if source is not None:
                a = a + outs[source - 1]
            outs.append(a)
        loss = F.mse_loss(a, y, reduction="sum") * scale
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        last[0] = loss

    return step, lambda: float(last[0].detach())


def agreement(torch: Any, experiment: Experiment, steps: int = 20) -> float:
    trainer = experiment.trainer()
    step, last_loss = torch_step(torch, experiment.trainer())
    worst = 0.0
    for _ in range(steps):
        core = trainer.step().loss
        step()
        worst = max(worst, abs(last_loss() - core) / abs(core))
    return worst


def run(repeat: int) -> dict[str, Any]:
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    result: dict[str, Any] = {"load_average_start": load_average(), "rows": []}
    for key, label, experiment in (
        ("cured", f"2-32×9-1 sigmoid, batch norm, skips every {EVERY}, 256 samples",
         cured_experiment()),
        ("plain", "2-32×9-1 sigmoid, no norm, no skips, 256 samples", deep_experiment()),
    ):
        row: dict[str, Any] = {"network": key, "label": label,
                               "core": time_steps(experiment.trainer().step, repeat)}
        if torch is not None and key == "cured":
            row["torch_agreement"] = agreement(torch, experiment)
            initial = torch.get_num_threads()
            for name, threads in (("torch", cpu_count()), ("torch_1_thread", 1)):
                torch.set_num_threads(threads)
                try:
                    step, _ = torch_step(torch, experiment.trainer())
                    row[name] = time_steps(step, repeat) | {"threads": threads}
                finally:
                    torch.set_num_threads(initial)
            faster = min(("torch", "torch_1_thread"), key=lambda k: row[k]["median_us"])
            row["compared_with"] = faster
            row["speedup"] = row[faster]["median_us"] / row["core"]["median_us"]
        result["rows"].append(row)
    result["load_average_end"] = load_average()
    return result


def print_text(r: dict[str, Any]) -> None:
    print("vanishgui bench: one full-batch training step through the cures (SGD, squared "
          "loss, float64)")
    print(f"load average before: {r['load_average_start']}, after: {r['load_average_end']} "
          "(other programs running make the figures noisy)")
    print("per step, µs: median and best of the repeats; speed-up = faster torch ÷ core")
    print(f"{'network':<58} {'engine':<22} {'median':>9} {'best':>9} {'speed-up':>9}")
    for row in r["rows"]:
        engines = [("core", "vanishgui core")]
        if "torch" in row:
            engines += [("torch", f"torch eager, {row['torch']['threads']} threads"),
                        ("torch_1_thread", "torch eager, 1 thread")]
        for i, (key, name) in enumerate(engines):
            f = row[key]
            speed = (f"{row['speedup']:.2f}×" if key == "core" and "speedup" in row
                     else "← compared" if key == row.get("compared_with") else "")
            print(f"{row['label'] if i == 0 else '':<58} {name:<22} {f['median_us']:>9.1f} "
                  f"{f['best_us']:>9.1f} {speed:>9}")
        if "torch_agreement" in row:
            print(f"{'':<58} core and torch losses over 20 steps agree to "
                  f"{row['torch_agreement']:.1e} (relative)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_cures.py", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeat", type=int, default=REPEAT, metavar="N",
                        help=f"timed repeats per measurement (default {REPEAT})")
    args = parser.parse_args(argv)
    result = run(max(1, args.repeat))
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
