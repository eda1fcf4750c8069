"""``vanishgui report EXPERIMENT.json [--steps N] [--json]``: the numbers without the GUI.

The table shows, layer by layer, how large the gradient still is: the teacher's view
of the gradient vanishing. ``--json`` prints every number at full precision. This
module (like all of ``vanishgui.core``) never imports Qt.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, TextIO

import numpy as np

from .experiment import Experiment, ExperimentError, load_experiment
from .network import Pass

REPORT_FORMAT = "vanishgui-report"
MAX_STEPS = 10_000_000


def _clean(value: Any) -> Any:
    """JSON-ready: arrays to lists, non-finite floats to None."""
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def layer_rows(p: Pass) -> list[dict[str, Any]]:
    """Per layer, first layer first: the figures of the report's table."""
    out_norm = float(np.sqrt(np.vdot(p.grad_weights[-1], p.grad_weights[-1])))
    rows = []
    with np.errstate(all="ignore"):
        for i in range(p.depth):
            norm = float(np.sqrt(np.vdot(p.grad_weights[i], p.grad_weights[i])))
            rows.append({
                "index": i + 1,
                "size": p.network.layers[i + 1],
                "activation": p.network.activations[i].describe(),
                "dact_mean": float(p.dact[i].mean()),
                "delta_mean_abs": float(np.abs(p.delta[i]).mean()),
                "grad_norm": norm,
                "ratio": norm / out_norm if out_norm else math.nan,
            })
    return rows


def build_report(experiment: Experiment, steps: int = 0) -> dict[str, Any]:
    """Everything ``--json`` prints, as a dict (floats may be non-finite here)."""
    trainer = experiment.trainer()
    first = trainer.preview()
    last = first
    for _ in range(steps):
        last = trainer.step()
    h = trainer.history
    layers = []
    for i in range(first.depth):
        layers.append({
            "index": i + 1,
            "size": first.network.layers[i + 1],
            "activation": first.network.activations[i].name,
            "z": first.z[i],
            "a": first.a[i],
            "dact": first.dact[i],
            "delta": first.delta[i],
            "grad_weights": first.grad_weights[i],
            "grad_biases": first.grad_biases[i],
            "grad_alpha": first.grad_alphas[i],
        })
    history: dict[str, Any] = {
        "loss": h.loss,
        "grad_mean_abs": h.grad_mean_abs,
        "grad_norm": h.layer("grad_norm"),
        "dact_mean": h.layer("dact_mean"),
        "update_mean_abs": h.layer("update_mean_abs"),
    }
    if h.every > 1:
        history["every"] = h.every
        history["steps"] = h.steps
    net = trainer.network
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": 1,
        "loss": first.loss,
        "layers": layers,
        "steps": steps,
        "history": history,
        "final": {
            "loss": trainer.full_loss(),
            "weights": list(net.weights),
            "biases": list(net.biases),
            "alphas": list(net.alphas),
        },
        "table": {"first": layer_rows(first), "last": layer_rows(last)},
    }
    if h.diverged_at_step is not None:
        report["diverged_at_step"] = h.diverged_at_step
    return report


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:.3e}"


def _ratio(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if x >= 0.5:
        return f"{x:.3g}"
    return f"1/{1 / x:,.0f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    head = ["layer", "size", "activation", "mean f'(z)", "mean |δ|", "‖∂L/∂W‖", "vs output"]
    body = [[str(r["index"]), str(r["size"]), r["activation"], _fmt(r["dact_mean"]),
             _fmt(r["delta_mean_abs"]), _fmt(r["grad_norm"]), _ratio(r["ratio"])]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) if i != 2 else h.ljust(w)
                       for i, (h, w) in enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append("  ".join(c.rjust(w) if i != 2 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(b, widths))))
    return "\n".join(lines)


def format_text(report: dict[str, Any], source: str) -> str:
    steps = report["steps"]
    out = [f"vanishgui report: {source}", ""]
    title = "Gradient per layer at the starting weights (first layer first)"
    out += [title, format_table(report["table"]["first"]), ""]
    if steps:
        out += [f"The same in the last training step ({steps:,} of {steps:,}), at the weights "
                "before its update:", format_table(report["table"]["last"]), ""]
        out.append(f"loss before: {_fmt(report['loss'])}   after {steps:,} step(s): "
                   f"{_fmt(report['final']['loss'])}")
    else:
        out.append(f"loss: {_fmt(report['loss'])}")
    if "diverged_at_step" in report:
        out.append(f"training diverged: step {report['diverged_at_step']} produced a "
                   "non-finite number (inf or NaN)")
    out.append("“vs output” is each layer's ‖∂L/∂W‖ divided by the output layer's: "
               "the smaller it is, the less that layer learns.")
    return "\n".join(out)


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="vanishgui report",
        description="Print the per-layer gradients of an experiment, without the GUI.")
    parser.add_argument("experiment", help="an experiment file (JSON)")
    parser.add_argument("--steps", type=int, default=0,
                        help="train this many steps first (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not 0 <= args.steps <= MAX_STEPS:
        print(f"vanishgui report: --steps must be from 0 to {MAX_STEPS:,}, not {args.steps}",
              file=stderr)
        return 2
    try:
        experiment = load_experiment(args.experiment)
    except ExperimentError as e:
        print(f"vanishgui report: {e}", file=stderr)
        return 2
    report = build_report(experiment, args.steps)
    if args.json:
        del report["table"]
        json.dump(_clean(report), stdout, allow_nan=False)
        stdout.write("\n")
    else:
        stdout.write(format_text(report, args.experiment) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
