"""A file within the format's limits but past the memory budget, named on the command line
or opened last time, is refused in one sentence and the app starts on the classic example
(it used to die with MemoryError and could then not start at all)."""

from __future__ import annotations

import json

import pytest

from vanishgui.cli.args import parse_args
from vanishgui.cli.gui import plan

HUGE = {"format": "vanishgui-experiment", "version": 1,
        "network": {"layers": [2] + [256] * 63 + [1], "hidden_activation": "relu"},
        "data": {"dataset": "circles", "samples": 100_000, "seed": 0},
        "training": {"loss": "bce", "learning_rate": 0.01}}


def test_a_file_past_the_budget_stops_a_headless_run_in_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "huge.vanishgui.json"
    path.write_text(json.dumps(HUGE))
    with pytest.raises(SystemExit) as stop:
        plan(parse_args([str(path), "--screenshot", "never.png"]), headless=True)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "huge.vanishgui.json" in err and "1.5 GiB" in err


def test_the_window_opens_on_the_classic_example_and_says_why(tmp_path) -> None:
    path = tmp_path / "huge.vanishgui.json"
    path.write_text(json.dumps(HUGE))
    todo = plan(parse_args([str(path)]), headless=False)
    assert todo.experiment.layers == (1, 1, 1, 1) and todo.path is None
    assert todo.error is not None and "fewer samples" in todo.error
