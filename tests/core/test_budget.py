"""The memory budget: estimated before anything is built, one sentence past 1.5 GiB, and
an accepted network really fits (checked under a 4 GiB address-space limit)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from vanishgui.core import budget, training
from vanishgui.core.budget import BUDGET_BYTES, estimate

DEEPEST = [2] + [256] * 63 + [1]  # the controls' limits: 63 hidden layers of 256


def test_the_history_rows_are_the_historys() -> None:
    assert budget.HISTORY_ROWS == training.HISTORY_CAPACITY


def test_what_the_issue_measured_is_refused_in_one_sentence() -> None:
    """64 weight layers × 256 on 100,000 samples needed about 65 GB for one step."""
    e = estimate(DEEPEST, 100_000, None)
    assert e.passes > 60e9
    why = e.refusal()
    assert why is not None and "\n" not in why and why.endswith(".")
    assert "100,000 samples a step" in why and "16,129 neurons" in why
    assert "fewer samples or a smaller batch" in why
    # a mini-batch is what one step holds
    assert estimate(DEEPEST, 100_000, 32).refusal() is None


@pytest.mark.parametrize(("samples", "fits"), [(200, True), (300, True), (10_000, False)])
def test_the_deepest_network_fits_with_a_few_hundred_samples(samples, fits) -> None:
    assert (estimate(DEEPEST, samples, None).refusal() is None) == fits


def test_report_json_counts_what_it_prints() -> None:
    e = estimate(DEEPEST, 200, None)
    assert e.refusal() is None and e.refusal(report=True) is not None
    assert "to train and report" in e.refusal(report=True)


def test_the_estimate_grows_with_every_factor() -> None:
    base = estimate([2, 8, 8, 1], 100, None).total()
    assert estimate([2, 16, 8, 1], 100, None).total() > base  # wider
    assert estimate([2, 8, 8, 8, 1], 100, None).total() > base  # deeper
    assert estimate([2, 8, 8, 1], 200, None).total() > base  # more samples
    assert estimate([2, 8, 8, 1], 200, 10).total() < estimate([2, 8, 8, 1], 200, None).total()


def _largest_accepted_samples() -> int:
    lo, hi = 1, 10_000
    while lo < hi:  # the most samples the deepest network may train on
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if estimate(DEEPEST, mid, None).refusal() is None else (lo, mid - 1)
    return lo


PROBE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
from vanishgui.core.experiment import parse_experiment
doc = json.loads(sys.argv[1])
trainer = parse_experiment(doc).trainer()
trainer.preview()
trainer.step()
trainer.step()
print("ok", trainer.step_count)
"""


def test_the_largest_accepted_network_trains_within_4_gib() -> None:
    samples = _largest_accepted_samples()
    assert estimate(DEEPEST, samples, None).total() <= BUDGET_BYTES
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": DEEPEST, "hidden_activation": "relu"},
           "data": {"dataset": "circles", "samples": samples, "seed": 0},
           "training": {"loss": "bce", "learning_rate": 0.01}}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(doc)], capture_output=True,
                          text=True, timeout=600,
                          env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "2"]
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 4 * 2**30  # only the child was limited


def test_report_refuses_past_the_budget_in_one_line_before_building(tmp_path) -> None:
    doc = {"format": "vanishgui-experiment", "version": 1,
           "network": {"layers": DEEPEST, "hidden_activation": "relu"},
           "data": {"dataset": "circles", "samples": 200, "seed": 0},
           "training": {"loss": "bce", "learning_rate": 0.01}}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    done = subprocess.run([sys.executable, "-m", "vanishgui", "report", str(path), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "numbers to print" in done.stderr
    assert "Traceback" not in done.stderr
