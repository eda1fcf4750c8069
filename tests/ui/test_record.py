"""Recordings for slides (issue 16): the classic pass as GIF, APNG, PNG series and MP4,
one frame per event, at the size asked for; a cancel leaves nothing; ``--record`` works
headless from the command line. Every file is decoded back with Pillow (or ffmpeg)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from vanishgui.ui.shell import record as rec_module
from vanishgui.ui.shell.record import (
    EVENT_MS,
    LAST_HOLD_MS,
    PHASE_HOLD,
    Cancelled,
    RecordError,
    kind_of,
    record_pass,
    record_steps,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
CLASSIC_EVENTS = 13  # 3 forward, the loss, 6 backward, 3 updates


def frames_of(path: Path) -> list[Image.Image]:
    with Image.open(path) as im:
        return [f.convert("RGB").copy() for f in ImageSequence.Iterator(im)]


def durations_of(path: Path) -> list[int]:
    with Image.open(path) as im:
        return [f.info["duration"] for f in ImageSequence.Iterator(im)]


@pytest.fixture
def classic_pass(window):
    return record_pass(window, (640, 360))


def test_the_classic_pass_is_one_frame_per_event_with_holds(window, classic_pass) -> None:
    rec = classic_pass
    trace = window.session.trace
    assert len(trace) == CLASSIC_EVENTS == len(rec.frames)
    ends = {trace.phase_range(p)[1] for p in trace.phase_start}
    expected = [EVENT_MS * (PHASE_HOLD if k in ends else 1) for k in range(1, 14)]
    expected[-1] = max(expected[-1], LAST_HOLD_MS)
    assert rec.durations == expected
    assert window.session.position == 0  # left where it was
    # every frame differs from the one before (a GIF writer would merge equal ones)
    assert len(set(rec.frames)) == CLASSIC_EVENTS


@pytest.mark.parametrize("name", ["pass.gif", "pass.apng", "pass.png"])
def test_gif_and_apng_decode_with_a_frame_per_event(classic_pass, tmp_path, name) -> None:
    out = write(classic_pass, tmp_path / name)
    frames = frames_of(out)
    assert len(frames) == CLASSIC_EVENTS
    assert all(f.size == (640, 360) for f in frames)
    assert durations_of(out) == classic_pass.durations
    with Image.open(out) as im:
        assert im.format == ("GIF" if name.endswith(".gif") else "PNG")
        assert im.info.get("loop") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left
    assert (out.stat().st_mode & 0o777) == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_png_series_is_a_numbered_file_per_event(classic_pass, tmp_path) -> None:
    out = write(classic_pass, tmp_path / "frames")
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"frame-{k:03d}.png" for k in range(1, 14)]
    for f in files:
        with Image.open(f) as im:
            assert im.size == (640, 360)
    # again into the same folder: the earlier series is replaced whole
    write(classic_pass, out)
    assert len(list(out.iterdir())) == CLASSIC_EVENTS
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RecordError, match="not empty"):
        write(classic_pass, out)
    assert (out / "notes.txt").read_text() == "mine"


def test_mp4_holds_repeat_frames_at_its_fixed_rate(classic_pass, tmp_path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="MP4 needs imageio-ffmpeg")
    out = write(classic_pass, tmp_path / "pass.mp4")
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    expected = sum(max(1, round(ms * rec_module.MP4_FPS / 1000))
                   for ms in classic_pass.durations)
    assert frames == expected
    assert seconds == pytest.approx(sum(classic_pass.durations) / 1000, abs=0.2)
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert tuple(meta["size"]) == (640, 360)
    reader.close()


def test_a_cancelled_recording_or_export_leaves_nothing(window, classic_pass, tmp_path) -> None:
    with pytest.raises(Cancelled):
        record_pass(window, (320, 240), progress=lambda done, total: done < 5)
    assert window.session.position == 0
    for name in ("a.gif", "b.apng", "series"):
        with pytest.raises(Cancelled):
            write(classic_pass, tmp_path / name, progress=lambda done, total: done < 7)
    assert list(tmp_path.iterdir()) == []


def test_bad_names_and_folders_get_one_sentence(classic_pass, tmp_path) -> None:
    with pytest.raises(RecordError) as e:
        kind_of(tmp_path / "pass.bmp")
    assert str(e.value) == ("pass.bmp: a recording is .gif, .apng, .png (APNG) or .mp4, or a "
                            "folder for a PNG series; got '.bmp'")
    with pytest.raises(RecordError, match="does not exist"):
        write(classic_pass, tmp_path / "no" / "such" / "pass.gif")


def test_training_steps_are_a_frame_each_and_stay_trained(window, tmp_path) -> None:
    rec = record_steps(window, 4, (320, 240))
    assert len(rec.frames) == 4 and window.session.trainer.history.steps[-1] == 3
    out = write(rec, tmp_path / "steps.gif")
    assert len(frames_of(out)) == 4


def test_missing_libraries_are_named(monkeypatch) -> None:
    real = rec_module.importlib.util.find_spec
    monkeypatch.setattr(rec_module.importlib.util, "find_spec",
                        lambda name: None if name == "imageio_ffmpeg" else real(name))
    assert rec_module.missing("GIF") is None
    assert rec_module.missing("MP4") == ("MP4 needs imageio-ffmpeg, which is not installed "
                                         "(pip install 'vanishgui[record]'); GIF and APNG work.")
    monkeypatch.setattr(rec_module.importlib.util, "find_spec", lambda name: None)
    assert "Pillow" in rec_module.missing("GIF")
    # the packaged app leaves them out (150 MB): it says so, not "pip install" alone
    monkeypatch.setattr(rec_module.sys, "frozen", True, raising=False)
    assert rec_module.missing("GIF").startswith("This packaged app records no animations")
    dialog = rec_module.ExportDialog(None)
    model = dialog.format.model()
    assert [model.item(i).isEnabled() for i in range(dialog.format.count())] == [False] * 4
    assert dialog.note.text() == rec_module.missing("GIF")
    assert dialog.note.isVisibleTo(dialog.dialog)


def test_the_menu_exports_through_the_dialog(window, tmp_path, monkeypatch, qtbot) -> None:
    from PySide6.QtWidgets import QDialog, QFileDialog

    monkeypatch.setattr(QDialog, "exec", lambda self: 1)
    out = tmp_path / "menu.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.actions_by_name["export_animation"].trigger()
    assert len(frames_of(out)) == CLASSIC_EVENTS
    assert frames_of(out)[0].size == (1280, 720)  # the default size
    assert window.transport.status.text() == f"Saved 13 frames to {out}."


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return subprocess.run([sys.executable, "-m", "vanishgui", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)


def test_record_from_the_command_line(tmp_path) -> None:
    done = run_cli(tmp_path, "--record", "pass.gif", "--size", "800x450")
    assert (done.returncode, done.stderr) == (0, "")
    frames = frames_of(tmp_path / "pass.gif")
    assert len(frames) == CLASSIC_EVENTS and frames[0].size == (800, 450)
    done = run_cli(tmp_path, str(ROOT / "resources/examples/deep-chain-sigmoid.json"),
                   "--record", "steps.apng", "--steps", "3", "--size", "400x300")
    assert (done.returncode, done.stderr) == (0, "")
    assert len(frames_of(tmp_path / "steps.apng")) == 3
    done = run_cli(tmp_path, "--record", "series", "--size", "320x240")
    assert done.returncode == 0 and len(list((tmp_path / "series").iterdir())) == 13


@pytest.mark.parametrize(("args", "says"), [
    (["--record", "x.bmp"], "x.bmp: a recording is .gif, .apng, .png (APNG) or .mp4"),
    (["--record", "x.gif", "--at", "backward:2"], "with --record, --at takes trained:N"),
    (["--record", "x.gif", "--steps", "0"], "expected a whole number of steps from 1 to 1,000"),
])
def test_bad_record_arguments_exit_2_with_one_line(tmp_path, args, says) -> None:
    done = run_cli(tmp_path, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert says in lines[-1], done.stderr
    assert not list(tmp_path.glob("x.*"))
