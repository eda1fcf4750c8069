"""The monkey with the two seeds that once left the step counter stale (8675309, 31337):
in a file of their own, so that under ``pytest -n 2 --dist loadfile`` they run beside the
fixed seed's file instead of after it on the same worker."""

from __future__ import annotations

import os

import pytest
from test_monkey import CHILD_ENV, SEEDS, run_a_monkey_process

if not os.environ.get(CHILD_ENV):  # in the monkey's own process, nothing to collect here
    @pytest.mark.parametrize("seed", SEEDS[1:])
    def test_a_monkey_with_another_seed_cannot_break_the_window(tmp_path, seed):
        run_a_monkey_process(tmp_path, seed)
