"""Benchmark: how fast the numeric core is, against PyTorch eager, and that its memory is bounded.

Run: .venv/bin/python tests/bench/bench_core.py [--json] [--repeat N] [--long]
(``make bench`` runs it). It prints figures and asserts nothing about time. Measured, per
full-batch training step:

* the core: :meth:`Trainer.step` (forward, backward, the SGD update and the History row)
  of the classic 1-1-1-1 sigmoid network on its one sample, and of a 10-weight-layer
  sigmoid network 2 → 32 ×9 → 1 on 256 samples of the ``moons`` data set (a
  classification set, so each core step also computes the accuracy); squared loss,
  SGD with learning rate 0.5, float64;
* the same two networks in PyTorch eager on the CPU, float64, started from the core's
  weights: ``nn.Sequential`` of ``nn.Linear`` + ``nn.Sigmoid``, the loss
  ``F.mse_loss(out, y, reduction="sum") * (0.5 / B)`` (the core's squared loss),
  ``backward()``, ``torch.optim.SGD.step()``, ``zero_grad()``; with one thread per CPU
  (torch's default when ``OMP_NUM_THREADS`` is unset; the app, and so this script, sets it
  to 1, so the benchmark calls ``torch.set_num_threads`` itself) and with
  ``torch.set_num_threads(1)``.

The speed-up column compares the core with the *faster* of the two torch settings.
Then a long run of the classic network backs the claim that the History's memory is
bounded: its ``nbytes()``, the process's resident memory along the way, and (on a
shorter run under ``tracemalloc``) every byte Python allocated and still holds. The run
is 100,000 steps by default, with the time for 1,000,000 extrapolated and labelled so;
``--long`` runs and measures all 1,000,000 (over a minute).

torch is imported lazily: ``vanishgui.core`` never needs it, and without it the benchmark
prints the core's figures only.
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import gc
import json
import os
import platform
import statistics
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any, TextIO

# As the app runs (vanishgui/__main__.py), set before numpy loads its BLAS, so the figures
# are the app's. A user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

from vanishgui.core.experiment import CLASSIC, Experiment, classic, parse_experiment
from vanishgui.core.training import Trainer

DEEP_LAYERS = [2] + [32] * 9 + [1]  # 10 weight layers: 2→32, eight 32→32, 32→1
DEEP_SAMPLES = 256
MEMORY_STEPS = 100_000
LONG_STEPS = 1_000_000
TRACED_STEPS = 30_000  # past the History's first two decimations (steps 12,288 and 24,576)
REPEAT = 7
REPEAT_SECONDS = 0.25  # each repeat runs this long, about
WARMUP_STEPS = 200
ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


# -- the networks ---------------------------------------------------------------------------


def deep_experiment() -> Experiment:
    """The 10 × 32 sigmoid network on 256 moons samples; otherwise the classic settings."""
    doc = copy.deepcopy(CLASSIC)  # squared loss, SGD, learning rate 0.5
    doc["network"] = {
        "layers": DEEP_LAYERS,
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "init": {"scheme": "xavier_uniform", "seed": 0},
    }
    doc["data"] = {"dataset": "moons", "samples": DEEP_SAMPLES, "noise": 0.1, "seed": 0}
    return parse_experiment(doc, "the benchmark's 10 × 32 network")


def cases() -> list[tuple[str, str, Experiment]]:
    return [
        ("classic", "classic 1-1-1-1 sigmoid, 1 sample", classic()),
        ("deep", "2-32×9-1 sigmoid (10 weight layers), 256 samples", deep_experiment()),
    ]


# -- timing ---------------------------------------------------------------------------------


def time_steps(step: Callable[[], object], repeat: int) -> dict[str, float]:
    """Per-step seconds of ``step``: median and best of ``repeat`` timed runs.

    Each run is ``number`` calls in a row, ``number`` chosen so a run lasts about
    REPEAT_SECONDS. The garbage collector stays on, as in the app.
    """
    for _ in range(WARMUP_STEPS):
        step()
    # timeit turns the garbage collector off while it times; the app runs with it on
    timer = timeit.Timer(step, setup="import gc; gc.enable()")
    number, elapsed = timer.autorange()  # a run of at least 0.2 s
    number = max(1, round(number * REPEAT_SECONDS / elapsed))
    per_step = [t / number for t in timer.repeat(repeat=repeat, number=number)]
    median = statistics.median(per_step)
    return {
        "median_us": median * 1e6,
        "best_us": min(per_step) * 1e6,
        "steps_per_s": 1.0 / median,
        "steps_per_repeat": number,
        "repeat": repeat,
    }


def torch_step(torch: Any, trainer: Trainer) -> tuple[Callable[[], None], Callable[[], float]]:
    """An idiomatic torch training step for the trainer's network and data.

    Returns (step, loss_of_last_step); the model starts from the core's weights.
    """
    from torch import nn
    from torch.nn import functional as F

    net = trainer.network
    modules: list[Any] = []
    for w, b, act in zip(net.weights, net.biases, net.activations):
        if act.name != "sigmoid":
            raise ValueError("the torch benchmark builds sigmoid networks only")
        linear = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        modules += [linear, nn.Sigmoid()]
    model = nn.Sequential(*modules)
    optimizer = torch.optim.SGD(model.parameters(), lr=trainer.optimizer.learning_rate)
    x = torch.from_numpy(trainer.inputs.copy())
    y = torch.from_numpy(trainer.targets.copy())
    scale = 0.5 / len(x)  # the core's squared loss: (1/B) Σ ½(ŷ − y)²
    last = [torch.zeros((), dtype=torch.float64)]

    def step() -> None:
        out = model(x)
        loss = F.mse_loss(out, y, reduction="sum") * scale
        loss.backward()  # type: ignore[no-untyped-call]  # torch's own stub leaves it untyped
        optimizer.step()
        optimizer.zero_grad()
        last[0] = loss

    return step, lambda: float(last[0].detach())


def agreement(torch: Any, experiment: Experiment, steps: int = 20) -> float:
    """Largest relative difference of the loss between the core and the torch loop over
    ``steps`` steps from the same start: that both really do the same computation."""
    trainer = experiment.trainer()
    step, last_loss = torch_step(torch, experiment.trainer())
    worst = 0.0
    for _ in range(steps):
        core = trainer.step().loss
        step()
        worst = max(worst, abs(last_loss() - core) / abs(core))
    return worst


# -- memory ---------------------------------------------------------------------------------


def rss_bytes() -> int | None:
    """The process's resident memory now (Linux), else None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def memory_run(steps: int, checkpoints: int = 10) -> dict[str, Any]:
    """Train the classic network ``steps`` steps: time, History size and RSS along the way."""
    gc.collect()
    trainer = classic().trainer()
    rss_start = rss_bytes()
    rows = []
    done = 0
    elapsed = 0.0
    for k in range(checkpoints):
        n = steps // checkpoints if k < checkpoints - 1 else steps - done
        t0 = time.perf_counter()
        trainer.train(n)
        elapsed += time.perf_counter() - t0
        done += n
        h = trainer.history
        rss = rss_bytes()
        rows.append({
            "steps": done,
            "history_nbytes": h.nbytes(),
            "history_rows": h.count,
            "every": h.every,
            "rss_growth_bytes": None if rss is None or rss_start is None else rss - rss_start,
        })
    h = trainer.history
    result: dict[str, Any] = {
        "steps": steps,
        "seconds": elapsed,
        "us_per_step": elapsed / steps * 1e6,
        "history_nbytes": h.nbytes(),
        "history_capacity": h.capacity,
        "history_bound_bytes": h.capacity * (3 + 5 * h.depth) * 8,
        "history_rows": h.count,
        "every": h.every,
        "rss_start_bytes": rss_start,
        "rss_end_bytes": rss_bytes(),
        "checkpoints": rows,
    }
    if steps < LONG_STEPS:
        result["extrapolated"] = {  # not measured: labelled so wherever it is shown
            "steps": LONG_STEPS,
            "seconds": elapsed / steps * LONG_STEPS,
            # the buffer reaches capacity rows and is never reallocated after that
            "history_nbytes": result["history_bound_bytes"],
        }
    return result


def traced_run(steps: int, checkpoints: int = 6) -> dict[str, Any]:
    """Bytes Python allocated and still holds (tracemalloc) while the classic network trains:
    the trainer, its History, the last Pass, everything but this module's own bookkeeping."""
    gc.collect()
    tracemalloc.start()
    try:
        base = _held()
        trainer = classic().trainer()
        rows = []
        done = 0
        for k in range(checkpoints):
            n = steps // checkpoints if k < checkpoints - 1 else steps - done
            trainer.train(n)
            done += n
            gc.collect()
            rows.append({
                "steps": done,
                "traced_bytes": _held() - base,
                "history_nbytes": trainer.history.nbytes(),
            })
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"steps": steps, "checkpoints": rows, "peak_bytes": peak}


_NOT_OURS = (
    tracemalloc.Filter(False, __file__),
    tracemalloc.Filter(False, tracemalloc.__file__),
)


def _held() -> int:
    """Traced bytes still allocated, leaving out those allocated here and by tracemalloc."""
    snapshot = tracemalloc.take_snapshot().filter_traces(_NOT_OURS)
    return sum(stat.size for stat in snapshot.statistics("filename"))


# -- the machine ----------------------------------------------------------------------------


def openblas_runtime() -> dict[str, Any]:
    """Threads and kernel of the OpenBLAS that numpy loaded, asked through ctypes (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({
                line.split()[-1] for line in f
                if "openblas" in line.lower() and ".so" in line.split()[-1]
            })
    except OSError:
        return {}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)  # already loaded: this only looks its symbols up
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                               ("openblas", "64_"), ("openblas", "")):
            get_threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if get_threads is None:
                continue
            get_threads.restype = ctypes.c_int
            info: dict[str, Any] = {"library": os.path.basename(path), "threads": get_threads()}
            corename = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            if corename is not None:
                corename.restype = ctypes.c_char_p
                info["core"] = corename().decode()
            return info
    return {}


def cpu_count() -> int:
    """CPUs this process may run on: torch's default thread count without OMP_NUM_THREADS."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages: above 0 means other programs competed for the
    CPUs while the figures were taken."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def machine_info(torch: Any) -> dict[str, Any]:
    blas: dict[str, Any] = {}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = {k: deps.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception:  # older numpy: no mode="dicts"
        pass
    blas.update(openblas_runtime())
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info: dict[str, Any] = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "blas": blas,
        "environment": {k: os.environ.get(k) for k in ENV_VARS},
        "load_average_start": load_average(),
        "torch": None,
    }
    if torch is not None:
        info["torch"] = {
            "version": torch.__version__,
            "threads_at_import": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
        }
    return info


# -- the command ----------------------------------------------------------------------------


def run(repeat: int, memory_steps: int, traced_steps: int) -> dict[str, Any]:
    torch: Any  # the module, or None: it is not typed here
    try:
        import torch
    except ImportError:  # torch is optional: the core's figures only
        torch = None
    result: dict[str, Any] = {"machine": machine_info(torch), "steps": []}
    for key, label, experiment in cases():
        row: dict[str, Any] = {"network": key, "label": label,
                               "parameters": experiment.build_network().parameter_count()}
        trainer = experiment.trainer()
        row["core"] = time_steps(trainer.step, repeat)
        if torch is not None:
            row["torch_agreement"] = agreement(torch, experiment)
            initial_threads = torch.get_num_threads()
            for name, threads in (("torch", cpu_count()), ("torch_1_thread", 1)):
                torch.set_num_threads(threads)
                try:
                    step, _ = torch_step(torch, experiment.trainer())
                    row[name] = time_steps(step, repeat)
                    row[name]["threads"] = threads
                finally:
                    torch.set_num_threads(initial_threads)
            faster = min(("torch", "torch_1_thread"), key=lambda k: row[k]["median_us"])
            row["compared_with"] = faster
            row["speedup"] = row[faster]["median_us"] / row["core"]["median_us"]
            row["speedup_vs_all_cpus"] = row["torch"]["median_us"] / row["core"]["median_us"]
            row["speedup_vs_1_thread"] = (
                row["torch_1_thread"]["median_us"] / row["core"]["median_us"]
            )
        result["steps"].append(row)
    result["memory"] = memory_run(memory_steps)
    result["traced"] = traced_run(traced_steps) if traced_steps else None
    result["machine"]["load_average_end"] = load_average()
    return result


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _mb(n: float | None) -> str:
    return "n/a" if n is None else f"{n / 1e6:.2f} MB"


def print_text(r: dict[str, Any], out: TextIO = sys.stdout) -> None:
    m = r["machine"]
    w = out.write
    w("vanishgui bench: one full-batch training step (SGD, squared loss, float64)\n\n")
    w(f"{m['python']}, numpy {m['numpy']}, {m['machine']}, {m['cpu']}, {m['cpus']} CPUs\n")
    b = m["blas"]
    blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
    if "threads" in b:
        blas += f", {_count(b['threads'], 'thread')} at run time"
    if b.get("core"):
        blas += f", kernel {b['core']}"
    w(f"numpy BLAS: {blas}\n")
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in m["environment"].items())
    w(f"environment: {env}\n")
    if m.get("load_average_start") is not None:
        w(f"load average (1, 5, 15 min) before: {m['load_average_start']}, "
          f"after: {m.get('load_average_end')} (other programs running make the figures noisy)\n")
    t = m["torch"]
    if t is None:
        w("torch: not installed, so the core's figures only\n")
    else:
        w(f"torch {t['version']}: {_count(t['threads_at_import'], 'thread')} when imported here "
          f"({t['interop_threads']} inter-op); timed with one thread per CPU "
          f"({cpu_count()}, its default when OMP_NUM_THREADS is unset) and with 1\n")
    w("\nper step, µs: median and best of the repeats; speed-up = faster torch ÷ core\n")
    header = (f"{'network':<50} {'engine':<22} {'median':>9} {'best':>9} {'steps/s':>9} "
              f"{'speed-up':>10}\n")
    w(header)
    w("-" * (len(header) - 1) + "\n")
    for row in r["steps"]:
        engines = [("core", "vanishgui core")]
        if "torch" in row:
            engines += [("torch", f"torch eager, {row['torch']['threads']} threads"),
                        ("torch_1_thread", "torch eager, 1 thread")]
        for i, (key, name) in enumerate(engines):
            f = row[key]
            label = row["label"] if i == 0 else ""
            speed = ""
            if key == "core" and "speedup" in row:
                speed = f"{row['speedup']:.2f}×"
            elif key == row.get("compared_with"):
                speed = "← compared"
            w(f"{label:<50} {name:<22} {f['median_us']:>9.1f} {f['best_us']:>9.1f} "
              f"{f['steps_per_s']:>9,.0f} {speed:>10}\n")
        if "torch_agreement" in row:
            w(f"{'':<50} core and torch losses over 20 steps agree to "
              f"{row['torch_agreement']:.1e} (relative)\n")
    mem = r["memory"]
    w(f"\nHistory memory, classic network, {mem['steps']:,} steps in {mem['seconds']:.1f} s "
      f"({mem['us_per_step']:.1f} µs per step, Trainer.train):\n")
    w(f"  History.nbytes() = {mem['history_nbytes']:,} bytes: {mem['history_rows']:,} rows, "
      f"one every {mem['every']:,} steps; the bound capacity × (3 + 5·depth) × 8 bytes is "
      f"{mem['history_bound_bytes']:,}\n")
    w("  steps        History.nbytes   rows    every   RSS growth since start\n")
    for c in mem["checkpoints"]:
        w(f"  {c['steps']:>10,}   {c['history_nbytes']:>14,}   {c['history_rows']:>6,}  "
          f"{c['every']:>6,}   {_mb(c['rss_growth_bytes'])}\n")
    if "extrapolated" in mem:
        x = mem["extrapolated"]
        w(f"  EXTRAPOLATED, NOT MEASURED: {x['steps']:,} steps would take about "
          f"{x['seconds']:.0f} s; History.nbytes() cannot exceed {x['history_nbytes']:,} "
          "(the buffer is full and never reallocated). Run with --long to measure it.\n")
    tr = r["traced"]
    if tr:
        w(f"\ntracemalloc, a fresh classic trainer, {tr['steps']:,} steps "
          "(bytes Python allocated and still holds):\n")
        for c in tr["checkpoints"]:
            w(f"  {c['steps']:>10,} steps: {c['traced_bytes']:>12,} bytes traced, "
              f"History.nbytes() {c['history_nbytes']:,}\n")
        w(f"  peak traced (all of the process's Python allocations): {tr['peak_bytes']:,} bytes\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_core.py",
        description="Time one training step of the core (and of PyTorch eager, when it is "
        "installed) and show that the History's memory stays bounded. Prints figures only.",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeat", type=int, default=REPEAT, metavar="N",
                        help=f"timed repeats per measurement (default {REPEAT})")
    parser.add_argument("--long", action="store_true",
                        help=f"run the History memory run for {LONG_STEPS:,} steps "
                        "(over a minute) instead of extrapolating from fewer")
    parser.add_argument("--memory-steps", type=int, default=None, metavar="N",
                        help=f"steps of the History memory run (default {MEMORY_STEPS:,}, "
                        f"or {LONG_STEPS:,} with --long)")
    parser.add_argument("--traced-steps", type=int, default=TRACED_STEPS, metavar="N",
                        help=f"steps of the tracemalloc run (default {TRACED_STEPS:,}; 0 skips it)")
    args = parser.parse_args(argv)
    if args.memory_steps is None:
        args.memory_steps = LONG_STEPS if args.long else MEMORY_STEPS
    if args.repeat < 1 or args.memory_steps < 10 or args.traced_steps < 0:
        parser.error("--repeat must be at least 1, --memory-steps at least 10, "
                     "--traced-steps 0 or more")
    result = run(args.repeat, args.memory_steps, args.traced_steps)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
