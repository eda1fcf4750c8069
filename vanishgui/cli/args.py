"""The GUI's command line: one parser, with argparse ``type=`` converters for every option
that has a grammar, so a bad value stops the program (exit 2, one line) before any window
exists.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from ..core.compare import SETTINGS

SIZE_LIMITS = ((320, 240), (8192, 8192))
MAX_RECORD_STEPS = 1000  # a frame each: a longer run is a video, not a slide
AT_PHASES = ("forward", "loss", "backward", "update", "trained")


@dataclass(frozen=True)
class At:
    """``--at PHASE:N``: N events into a phase of the shown step, or N training steps."""

    phase: str
    n: int


@dataclass(frozen=True)
class Pick:
    """``--select LAYER:NEURON[:FROM]``, 1-based as the window numbers them."""

    layer: int
    neuron: int
    source: int | None = None


def size_arg(text: str) -> tuple[int, int]:
    """``1280x720`` → (1280, 720)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expects WIDTHxHEIGHT such as 1280x720, got {text!r}") from None
    (lo_w, lo_h), (hi_w, hi_h) = SIZE_LIMITS
    if not (lo_w <= w <= hi_w and lo_h <= h <= hi_h):
        raise argparse.ArgumentTypeError(
            f"must be between {lo_w}x{lo_h} and {hi_w}x{hi_h}, got {text}")
    return w, h


def at_arg(text: str) -> At:
    """``trained:300``, ``backward:6``, … → At(phase, n)."""
    phase, _, n_text = text.partition(":")
    try:
        n = int(n_text)
    except ValueError:
        n = -1
    if n < 0 or phase not in AT_PHASES:
        raise argparse.ArgumentTypeError(
            f"expects PHASE:N with PHASE one of {', '.join(AT_PHASES)} and N of 0 or more, "
            f"got {text!r}")
    return At(phase, n)


def select_arg(text: str) -> Pick:
    """``2:1`` (a neuron) or ``1:1:1`` (the weight into it from neuron 1 of the layer
    before); checked against the network once it is loaded (:func:`check_pick`)."""
    try:
        parts = [int(v) for v in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) not in (2, 3) or min(parts) < 1:
        raise argparse.ArgumentTypeError(
            f"expects LAYER:NEURON or LAYER:NEURON:FROM (whole numbers from 1), got {text!r}")
    return Pick(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def compare_arg(text: str) -> tuple[str, list[Any]]:
    """``activation:sigmoid,relu`` → ("activation", ["sigmoid", "relu"]); depths are ints."""
    setting, _, rest = text.partition(":")
    values: list[Any] = [v.strip() for v in rest.split(",") if v.strip()]
    if setting not in SETTINGS or not values:
        raise argparse.ArgumentTypeError(
            f"expects SETTING:VALUE,VALUE with SETTING one of {', '.join(SETTINGS)}, "
            f"got {text!r}")
    if setting == "depth":
        try:
            values = [int(v) for v in values]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"depth expects whole numbers of hidden layers, got {rest!r}") from None
    if setting in ("residual", "clip"):  # "off", or a number the comparison checks
        values = [v if v == "off" else _number(v) for v in values]
    return setting, values


def _number(text: str) -> Any:
    """'2' → 2, '0.5' → 0.5; anything else stays text (the comparison refuses it)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def check_pick(pick: Pick | None, layers: tuple[int, ...]) -> str | None:
    """Why ``pick`` is not inside a network of ``layers`` sizes, or None if it is."""
    if pick is None:
        return None
    ok = (1 <= pick.layer < len(layers) and pick.neuron <= layers[pick.layer]
          and (pick.source is None or pick.source <= layers[pick.layer - 1]))
    if ok:
        return None
    spec = f"{pick.layer}:{pick.neuron}" + (f":{pick.source}" if pick.source else "")
    return (f"--select expects LAYER:NEURON[:FROM] inside the network {list(layers)}, "
            f"got {spec!r}")


def steps_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_RECORD_STEPS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of steps from 1 to {MAX_RECORD_STEPS:,}, got {text!r}")
    return n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vanishgui",
        description="Watch the vanishing-gradient problem happen. "
        "Also: 'vanishgui report FILE' prints the numbers without a window.")
    p.add_argument("experiment", nargs="?", help="an experiment file to open")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="render the main window to a PNG without showing it, then exit")
    p.add_argument("--record", metavar="OUT",
                   help="record the step's forward and backward pass (or --steps N training "
                        "steps) without showing a window, then exit: OUT.gif, OUT.apng, "
                        "OUT.png (APNG), OUT.mp4, or a folder for a numbered PNG series")
    p.add_argument("--steps", type=steps_arg, default=None, metavar="N",
                   help="with --record: record N training steps, a frame per step")
    p.add_argument("--size", type=size_arg, default=None, metavar="WIDTHxHEIGHT",
                   help="picture size for --screenshot (default 1600x900) or --record "
                        "(default 1280x720)")
    p.add_argument("--at", type=at_arg, default=None, metavar="PHASE:N",
                   help="with --screenshot: forward:N or backward:N (after the N-th event of "
                        "that phase), or trained:N (after N training steps; --record takes "
                        "only this one)")
    p.add_argument("--select", type=select_arg, default=None, metavar="LAYER:NEURON[:FROM]",
                   help="with --screenshot or --record: select a neuron (2:1) or the weight "
                        "into it from neuron FROM of the layer before (1:1:1); 1-based")
    p.add_argument("--plots", action="store_true",
                   help="with --screenshot: show all the plots in a grid")
    p.add_argument("--compare", type=compare_arg, default=None, metavar="SETTING:A,B[,C,D]",
                   help="with --screenshot: the experiment compared side by side as SETTING "
                        "(activation, init, depth or optimizer) takes each value, e.g. "
                        "activation:sigmoid,relu; --at moves every network")
    p.add_argument("--projector", action="store_true",
                   help="start in projector mode (full screen, large type; Esc leaves)")
    p.add_argument("--lesson", metavar="NAME",
                   help="start a lesson: vanishing-gradient, initialisation or a lesson file")
    p.add_argument("--scene", type=int, default=1, metavar="K",
                   help="with --lesson: start at scene K (1-based); with --screenshot, the "
                        "scene's steps run first, so the picture shows the scene as it ends")
    p.add_argument("--self-test", action="store_true",
                   help="open the window, play the classic example, check its numbers, exit")
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    return parser().parse_args(argv)
