"""A FIFO, a folder or /dev/zero opened as a lesson or a comparison: one sentence in a
dialog, at once (a FIFO used to block File → Open lesson forever, freezing the window)."""

from __future__ import annotations

import os
import time

import pytest

from vanishgui.ui.compare.window import comparisons, open_comparison_file
from vanishgui.ui.lesson.player import install


def special_files(tmp_path) -> list[str]:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    return [str(fifo), str(folder), "/dev/zero"]


@pytest.mark.parametrize("kind", ["lesson", "comparison"])
def test_a_special_file_gets_one_sentence_at_once(window, tmp_path, kind) -> None:
    player = install(window)
    before = window.session.experiment
    for path in special_files(tmp_path):
        window.last_error = ""
        started = time.perf_counter()
        if kind == "lesson":
            assert not player.open_path(path)
        else:
            assert open_comparison_file(window, path) is None
        took = time.perf_counter() - started
        message = window.last_error
        assert took < 1.0, (path, took)
        assert message and "\n" not in message and len(message) < 300, message
        assert os.path.basename(path) in message, message
        assert window.session.experiment is before  # nothing lost
    assert player.lesson is None and comparisons(window) == []
