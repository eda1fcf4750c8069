"""How the window names the core's findings (:mod:`vanishgui.core.diagnosis`) and where
their evidence is on screen: what "Show me" selects and which plot it brings forward."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.diagnosis import Finding, dead_units, layer_list
from ...core.network import Pass
from .session import Selection

NAMES = {  # a finding's kind, as the strip heads its line
    "diverged": "Diverged",
    "saturated-output": "Saturated output",
    "vanishing": "Vanishing gradient",
    "exploding": "Exploding gradient",
    "dead-units": "Dead units",
    "tiny-steps": "Tiny steps",
    "plateau": "Plateau",
}

PANEL = {  # the plot that shows a finding's evidence (a PANELS name)
    "diverged": "flow",
    "saturated-output": "dact",
    "vanishing": "flow",
    "exploding": "flow",
    "dead-units": "dact",
    "tiny-steps": "updates",
    "plateau": "loss",
}


@dataclass(frozen=True)
class Evidence:
    """What "Show me" does: select a neuron in the diagram (None: keep the selection)
    and bring a plot to the front."""

    selection: Selection | None
    panel: str


def evidence(finding: Finding, p: Pass) -> Evidence:
    """The first layer a finding names, at the neuron that shows it: the output neuron
    of a saturated output, a dead unit of a dead layer, else the layer's first neuron
    (its bar in the gradient flow is outlined in the selection's colour)."""
    panel = PANEL[finding.kind]
    if finding.kind in ("tiny-steps", "plateau"):  # every layer alike: nothing to pick
        return Evidence(None, panel)
    layer = finding.layers[0]
    neuron = 0
    if finding.kind == "dead-units":
        dead = dead_units(p, layer)
        neuron = int(dead[0]) if len(dead) else 0
    return Evidence(Selection(layer, neuron), panel)


def line(f: Finding) -> str:
    """A finding as the strip shows it: its name, then its sentence of evidence."""
    return f"{NAMES[f.kind]}. {f.evidence}"


def short(findings: list[Finding]) -> str:
    """'vanishing gradient (layers 1–4) · dead units (layer 2)': a comparison's header."""
    return " · ".join(f"{NAMES[f.kind].lower()} ({layer_list(f.layers)})" for f in findings)
