"""``vanishgui report EXPERIMENT.json [--steps N] [--json]``: the numbers without the GUI.

The table shows, layer by layer, how large the gradient still is: the teacher's view
of the gradient vanishing. ``--json`` prints every number at full precision. This
module (like all of ``vanishgui.core``) never imports Qt.

Whatever happens to its output, the command says so in one sentence on stderr, never a
traceback. Exit status: 0 done; 1 the report could not be written (a full disk, a closed
stdout); 2 a bad argument or experiment file; 141 the reader went away (``| head``),
quietly; 130 interrupted (Ctrl+C). On a console that cannot show δ or ∂ (cp1252, ascii),
everything it prints spells them plainly (:data:`ASCII_NAMES`).
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys
from typing import Any, NoReturn, TextIO

import numpy as np

from .budget import estimate
from .diagnosis import diagnose, layer_list
from .experiment import Experiment, ExperimentError, load_experiment
from .jsonfile import clip_words, display_name, show_value
from .network import Pass

REPORT_FORMAT = "vanishgui-report"
MAX_STEPS = 10_000_000

DONE = 0
OUTPUT_FAILED = 1
BAD_INPUT = 2
INTERRUPTED = 130  # 128 + SIGINT, as the shell reports a command stopped by Ctrl+C
# The reader of our output went away (`report … | head -1`): 141 = 128 + SIGPIPE, the
# status the shell shows for cat or grep ended that way, so a script (with pipefail) treats
# us as it treats them; and, as they are, we are quiet about it.
CLOSED_PIPE = 141

# Every character outside ASCII that the report or the core's messages print, spelled for
# a console that cannot show it (cp1252 has no δ, ascii none of them). One mapping for all
# the command prints: the table, the notes under it and the error messages.
ASCII_NAMES = {
    "δ": "delta", "σ": "sigma", "∂": "d", "ŷ": "y_hat", "ẑ": "z_hat", "²": "^2", "‖": "||",
    "π": "pi",
    "α": "alpha", "½": "1/2", "×": "x", "±": "+/-", "·": "*", "−": "-", "—": "-", "–": "-",
    "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "→": "->", "≤": "<=", "≥": ">=",
    "Δ": "Delta", "∞": "inf",
}
_PLAIN = str.maketrans(ASCII_NAMES)


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
    """Per layer, first layer first: the figures of the report's table.

    How much gradient reaches a layer is measured one way everywhere (plots, ledger,
    lessons, report): the mean |∂L/∂W| of its weights, and ``ratio`` is that over the
    output layer's (issue 12: the report had used ‖∂L/∂W‖, 1/26,880 where the plots said
    1/45,000 for the same pass)."""
    out_mean = float(np.abs(p.grad_weights[-1]).mean())
    rows = []
    with np.errstate(all="ignore"):
        for i in range(p.depth):
            mean = float(np.abs(p.grad_weights[i]).mean())
            rows.append({
                "index": i + 1,
                "size": p.network.layers[i + 1],
                "activation": p.network.activations[i].describe(),
                "dact_mean": float(p.dact[i].mean()),
                "delta_mean_abs": float(np.abs(p.delta[i]).mean()),
                "grad_mean_abs": mean,
                "ratio": mean / out_mean if out_mean else math.nan,
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
    net0 = first.network
    for i in range(first.depth):
        normed = i < len(net0.gammas)  # a hidden layer with a norm
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
            "z_hat": first.f_input(i + 1),
            "gamma": net0.gammas[i] if normed else None,
            "beta": net0.betas[i] if normed else None,
            "grad_gamma": first.grad_gammas[i] if normed else None,
            "grad_beta": first.grad_betas[i] if normed else None,
            "skip_from": first.skip_source(i + 1),
        })
    history: dict[str, Any] = {
        "loss": h.loss,
        "grad_mean_abs": h.grad_mean_abs,
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
            "gammas": list(net.gammas) if net.norm != "none" else None,
            "betas": list(net.betas) if net.norm != "none" else None,
        },
        "table": {"first": layer_rows(first), "last": layer_rows(last)},
    }
    if h.diverged_at_step is not None:
        report["diverged_at_step"] = h.diverged_at_step
        report["diverged_in"] = h.diverged_in  # forward, loss, gradient or update
        report["diverged_layer"] = h.diverged_layer
    # the state after the steps: the pass at the final weights, and the steps' history
    report["diagnosis"] = [f.as_dict() for f in diagnose(trainer.preview(), h)]
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


def format_table(rows: list[dict[str, Any]], ascii_only: bool = False) -> str:
    """The table, its columns as wide as their widest cell; ``ascii_only`` spells the
    maths plainly (before the widths are measured, so the columns still line up)."""
    spell = plain if ascii_only else str
    head = ["layer", "size", "activation", "mean f'(z)", "mean |δ|", "mean |∂L/∂W|",
            "vs output"]
    body = [[str(r["index"]), str(r["size"]), r["activation"], _fmt(r["dact_mean"]),
             _fmt(r["delta_mean_abs"]), _fmt(r["grad_mean_abs"]), _ratio(r["ratio"])]
            for r in rows]
    head = [spell(h) for h in head]
    body = [[spell(c) for c in b] for b in body]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) if i != 2 else h.ljust(w)
                       for i, (h, w) in enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append("  ".join(c.rjust(w) if i != 2 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(b, widths))))
    return "\n".join(lines)


def format_text(report: dict[str, Any], source: str, ascii_only: bool = False) -> str:
    """The report as the command prints it; ``ascii_only`` spells the maths plainly (the
    file's name, ``source``, is left as it is)."""
    steps = report["steps"]
    spell = plain if ascii_only else str
    out = [f"vanishgui report: {source}", ""]
    title = "Gradient per layer at the starting weights (first layer first)"
    out += [title, format_table(report["table"]["first"], ascii_only), ""]
    if steps:
        out += [f"The same in the last training step ({steps:,} of {steps:,}), at the weights "
                "before its update:", format_table(report["table"]["last"], ascii_only), ""]
        out.append(f"loss before: {_fmt(report['loss'])}   after {steps:,} step(s): "
                   f"{_fmt(report['final']['loss'])}")
    else:
        out.append(f"loss: {_fmt(report['loss'])}")
    if "diverged_at_step" in report:
        out.append(f"training diverged: step {report['diverged_at_step']} produced a "
                   "non-finite number (inf or NaN)")
    out.append(spell("“vs output” is each layer's mean |∂L/∂W| divided by the output "
                     "layer's: the smaller it is, the less that layer learns."))
    out += ["", format_diagnosis(report["diagnosis"], steps, ascii_only)]
    return "\n".join(out)


def format_diagnosis(findings: list[dict[str, Any]], steps: int,
                     ascii_only: bool = False) -> str:
    """The diagnosis's lines: a heading, then one line per finding (kind, layers,
    evidence), or that none was found."""
    spell = plain if ascii_only else str
    when = f"after {steps:,} step{'s' * (steps != 1)}" if steps else "at the starting weights"
    if not findings:
        return f"Diagnosis {when}: no finding (see the README for the rules)."
    lines = [f"Diagnosis {when}:"]
    for f in findings:
        lines.append(spell(f"- {f['kind']} ({layer_list(f['layers'])}): {f['evidence']}"))
    return "\n".join(lines)


def plain(text: str) -> str:
    """``text`` with the maths spelled in ASCII (δ → delta, ∂L/∂W → dL/dW)."""
    return text.translate(_PLAIN)


def encodes(text: str, stream: TextIO) -> bool:
    """Whether ``stream`` can write every character of ``text``."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):  # LookupError: an encoding Python lacks
        return False
    return True


def for_console(text: str, stream: TextIO) -> str:
    """``text`` as ``stream`` can encode it: as it is, or (when its encoding lacks a character)
    all of it plain (:func:`plain`), and what is still left (a user's "é" on an ascii
    console) escaped as \\xe9."""
    if encodes(text, stream):
        return text
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        "".encode(encoding)
    except LookupError:  # an encoding Python does not know: ASCII is safe anywhere
        encoding = "ascii"
    return plain(text).encode(encoding, "backslashreplace").decode(encoding)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's way is the usage, then the message quoting the arguments whole; this
        # is one line, and quotes at most SHOW_CHARS of any argument.
        raise _UsageError(clip_words(message))


def _steps(text: str) -> int:
    try:
        steps = int(text)
    except ValueError:  # not a number, or over Python's 4,300 digits
        steps = -1
    if not 0 <= steps <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {MAX_STEPS:,}, "
                                         f"got {show_value(text)}")
    return steps


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command; the exit status (see the module's docstring)."""
    # sys.stdout is None when the command was started with its stdout closed (`>&-`).
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        return _report(argv, out, err)
    except KeyboardInterrupt:
        return INTERRUPTED


def _report(argv: list[str] | None, stdout: TextIO | None, stderr: TextIO | None) -> int:
    parser = _Parser(
        prog="vanishgui report",
        description="Print the per-layer gradients of an experiment, without the GUI.")
    parser.add_argument("experiment", help="an experiment file (JSON)")
    parser.add_argument("--steps", type=_steps, default=0,
                        help=f"train this many steps first (0 to {MAX_STEPS:,}; default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        _say(stderr, f"vanishgui report: {e} (see vanishgui report --help)")
        return BAD_INPUT
    try:
        experiment = load_experiment(args.experiment)
    except ExperimentError as e:
        _say(stderr, f"vanishgui report: {e}")
        return BAD_INPUT
    samples = len(experiment.inputs) if experiment.inputs is not None else experiment.samples
    too_big = estimate(experiment.layers, samples, experiment.batch_size,
                       normalised=experiment.norm != "none").refusal(report=args.json)
    if too_big:  # refused before anything is built: it would exhaust the machine
        _say(stderr, f"vanishgui report: {display_name(args.experiment)}: {too_big}")
        return BAD_INPUT
    if stdout is None:  # checked before training: there would be nowhere to say the result
        _say(stderr, "vanishgui report: standard output is closed, so the report has "
                     "nowhere to go")
        return OUTPUT_FAILED
    report = build_report(experiment, args.steps)
    if args.json:
        del report["table"]
        text = json.dumps(_clean(report), allow_nan=False)  # ASCII: any console takes it
    else:
        text = format_text(report, display_name(args.experiment))
        if not encodes(text, stdout):  # spelled plainly as a whole, the table still aligned
            text = format_text(report, display_name(args.experiment), ascii_only=True)
    return _output(text + "\n", stdout, stderr)


def _output(text: str, stdout: TextIO, stderr: TextIO | None) -> int:
    try:
        _write_all(for_console(text, stdout), stdout)
    except BrokenPipeError:
        _discard(stdout)
        return CLOSED_PIPE
    except (OSError, ValueError) as e:  # ValueError: a stdout object that was closed
        _discard(stdout)
        why = e.strerror if isinstance(e, OSError) and e.strerror else "it is closed"
        _say(stderr, f"vanishgui report: the report could not be written to standard "
                     f"output ({why})")
        return OUTPUT_FAILED
    return DONE


def _write_all(text: str, stream: TextIO) -> None:
    """Write ``text`` and flush it, every byte or an OSError.

    Through the byte buffer beneath, where there is one: when the reader of a pipe goes
    away in the middle of a large write, that write stops short, and the text layer drops
    what was left without a word, so the command ended "successfully" having printed part
    of its report. Written here byte by byte count, the next write meets the closed pipe.
    """
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a StringIO, say
        stream.write(text)
        stream.flush()
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    # "\n" as the text layer of sys.stdout writes it (on Windows, "\r\n")
    data = memoryview(text.replace("\n", os.linesep).encode(encoding))
    stream.flush()  # what the text layer already holds goes first
    while data:
        written = buffer.write(data)
        if not written:  # a stdout set not to block, and full
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        data = data[written:]
    buffer.flush()


def _say(stderr: TextIO | None, message: str) -> None:
    """One line on stderr, if there is a stderr that takes it."""
    if stderr is None:
        return
    try:
        stderr.write(for_console(message + "\n", stderr))
        stderr.flush()
    except (OSError, ValueError):
        _discard(stderr)


def _discard(stream: TextIO) -> None:
    """Point the process's own stdout or stderr at the null device: what is left in its
    buffer would otherwise fail again as Python exits, with a traceback."""
    if stream is not sys.stdout and stream is not sys.stderr:
        return  # a caller's stream: theirs to tidy
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)


if __name__ == "__main__":
    sys.exit(main())
