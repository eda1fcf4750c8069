"""Recordings for slides and handouts: the step's events, or training steps, as an
animated GIF or APNG, an MP4, or a numbered PNG series.

Frames are pictures of a window as the class sees it: one frame per event of the step
(13 for the classic example's pass), or one per training step. How long a frame stays up
is its duration, never a repeated frame, so a GIF or APNG holds exactly one frame per
event; the end of each phase and the last frame are held longer. An MP4 has a fixed frame
rate, so there a hold repeats its frame.

Pillow (GIF, APNG, PNG) and imageio-ffmpeg (MP4) come with the ``record`` extra
(``pip install 'vanishgui[record]'``); :func:`missing` says in one sentence what a format
lacks. Every file is written to a temporary name beside the target and renamed into place
at the end, so a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from .dialogs import settle

DEFAULT_SIZE = (1280, 720)
EVENT_MS = 700  # a frame per event, at the default pace
STEP_MS = 150  # a frame per training step
PHASE_HOLD = 3  # the last event of a phase stays up this many times as long
LAST_HOLD_MS = 2500  # and the very last frame this long, before a GIF loops
MP4_FPS = 10
FORMATS = {".gif": "GIF", ".apng": "APNG", ".png": "APNG", ".mp4": "MP4"}
INSTALL = "pip install 'vanishgui[record]'"

Progress = Callable[[int, int], bool]  # (done, total) -> go on?


class RecordError(Exception):
    """A recording that could not be made or written: one sentence for the user."""


class Cancelled(Exception):
    """The user cancelled: nothing was written."""


@dataclass
class Recording:
    """The frames, all of one size, each kept as PNG bytes (~0.1 MB, not the 2.7 MB of a
    1280×720 picture), and how long each stays up (ms)."""

    size: tuple[int, int]
    frames: list[bytes] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)

    def add(self, frame: QImage, ms: int) -> None:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        frame.save(buffer, "PNG")
        buffer.close()
        self.frames.append(bytes(data.data()))
        self.durations.append(int(ms))

    def hold_last(self, ms: int) -> None:
        if self.durations:
            self.durations[-1] = max(self.durations[-1], int(ms))


def kind_of(out: str | Path) -> str:
    """"GIF", "APNG", "MP4" or "PNGS" (a folder: a numbered PNG series), from the name."""
    path = Path(out)
    if path.is_dir() or str(out).endswith(("/", os.sep)) or not path.suffix:
        return "PNGS"
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise RecordError(f"{path.name}: a recording is .gif, .apng, .png (APNG) or .mp4, "
                          f"or a folder for a PNG series; got {path.suffix!r}")
    return kind


def missing(kind: str) -> str | None:
    """What the format needs that is not installed, in one sentence; None when ready."""
    if getattr(sys, "frozen", False) and importlib.util.find_spec("PIL") is None:
        return ("This packaged app records no animations (Pillow and ffmpeg would take it "
                "past 150 MB); the app installed with Python does: pip install "
                "'vanishgui[record]'.")
    if importlib.util.find_spec("PIL") is None:
        return f"Recording needs Pillow, which is not installed ({INSTALL})."
    if kind == "MP4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        return f"MP4 needs imageio-ffmpeg, which is not installed ({INSTALL}); GIF and APNG work."
    return None


# -- capturing ---------------------------------------------------------------------------


def fit_frame(image: QImage, size: tuple[int, int], background: QColor) -> QImage:
    """``image`` at exactly ``size``: scaled to fit (aspect kept), centred on the
    background colour. Unchanged when it already has that size."""
    w, h = size
    if image.width() == w and image.height() == h:
        return image.convertToFormat(QImage.Format.Format_RGB888)
    scaled = image.scaled(QSize(w, h), Qt.AspectRatioMode.KeepAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
    out = QImage(w, h, QImage.Format.Format_RGB888)
    out.fill(background)
    painter = QPainter(out)
    painter.drawImage((w - scaled.width()) // 2, (h - scaled.height()) // 2, scaled)
    painter.end()
    return out


def grab(widget: QWidget, size: tuple[int, int], before: Callable[[], None] | None = None
         ) -> QImage:
    settle()
    if before is not None:
        before()
    image = widget.grab().toImage()
    return fit_frame(image, size, widget.palette().window().color())


def record_pass(window: Any, size: tuple[int, int] = DEFAULT_SIZE, event_ms: int = EVENT_MS,
                progress: Progress | None = None, target: QWidget | None = None) -> Recording:
    """One frame per event of the step shown (the state after that event), the end of
    each phase held longer. The window is left where it was."""
    session = window.session
    trace = session.trace
    was = session.position
    session.pause()
    rec = Recording(size)
    total = len(trace)
    ends = {trace.phase_range(ph)[1] for ph in trace.phase_start}
    try:
        for k in range(1, total + 1):
            if progress is not None and not progress(k - 1, total):
                raise Cancelled
            session.seek(k)
            rec.add(grab(target or window, size, window.plots.flush),
                    event_ms * (PHASE_HOLD if k in ends else 1))
        rec.hold_last(LAST_HOLD_MS)
    finally:
        session.seek(was)
    if progress is not None and not progress(total, total):
        raise Cancelled
    return rec


def record_steps(window: Any, steps: int, size: tuple[int, int] = DEFAULT_SIZE,
                 step_ms: int = STEP_MS, progress: Progress | None = None,
                 target: QWidget | None = None) -> Recording:
    """One frame per training step: the window after each of ``steps`` steps (they are
    trained for real and stay trained, as Train would leave them)."""
    session = window.session
    session.pause()
    if session.training:
        session.stop_training()
    rec = Recording(size)
    for i in range(steps):
        if progress is not None and not progress(i, steps):
            raise Cancelled
        session.train_now(1)
        rec.add(grab(target or window, size, window.plots.flush), step_ms)
        if session.diverged_at is not None:
            break
    rec.hold_last(LAST_HOLD_MS)
    if progress is not None and not progress(steps, steps):
        raise Cancelled
    return rec


# -- writing -----------------------------------------------------------------------------


def to_pil(frame: bytes) -> Any:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(frame))
    image.load()
    return image.convert("RGB")


@contextlib.contextmanager
def _atomic(out: Path, folder: bool = False) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed onto it only if the block succeeds."""
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise RecordError(f"{out}: the folder {parent} does not exist")
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
    except BaseException:
        if folder:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise
    _readable(tmp)
    if folder and out.exists():
        if not (out.is_dir() and _only_frames(out)):  # never delete someone's files
            shutil.rmtree(tmp, ignore_errors=True)
            raise RecordError(f"{out}: the folder is not empty; choose a new or empty one")
        shutil.rmtree(out)  # an earlier series of frames, replaced whole
    os.replace(tmp, out)


def _readable(tmp: Path) -> None:
    """mkstemp/mkdtemp make 0600/0700; a recording gets the user's usual mode."""
    mask = os.umask(0)
    os.umask(mask)
    for p in [tmp, *tmp.iterdir()] if tmp.is_dir() else [tmp]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def _only_frames(folder: Path) -> bool:
    """An empty folder, or one holding only a previous series (frame-NNN.png)."""
    return all(p.name.startswith("frame-") and p.suffix == ".png" for p in folder.iterdir())


def write(rec: Recording, out: str | Path, progress: Progress | None = None) -> Path:
    """Write ``rec`` in the format its name says; returns the path written. Raises
    RecordError (one sentence) or Cancelled; either way nothing is left behind."""
    path = Path(out)
    kind = kind_of(path)
    why = missing(kind)
    if why:
        raise RecordError(why)
    if not rec.frames:
        raise RecordError("there is nothing to record")
    total = len(rec.frames)

    def tick(i: int) -> None:
        if progress is not None and not progress(i, total):
            raise Cancelled

    try:
        if kind == "PNGS":
            with _atomic(path, folder=True) as tmp:
                for i, frame in enumerate(rec.frames):
                    tick(i)
                    to_pil(frame).save(tmp / f"frame-{i + 1:03d}.png")
            return path
        with _atomic(path) as tmp:
            if kind == "MP4":
                _write_mp4(rec, tmp, tick)
            else:
                images = []
                for i, frame in enumerate(rec.frames):
                    tick(i)
                    images.append(to_pil(frame))
                fmt = "GIF" if kind == "GIF" else "PNG"
                extra = {"optimize": False} if kind == "GIF" else {}
                images[0].save(tmp, format=fmt, save_all=True, append_images=images[1:],
                               duration=rec.durations, loop=0, **extra)
        return path
    except OSError as e:
        raise RecordError(f"{path}: could not be written ({e.strerror or e})") from None


def _write_mp4(rec: Recording, tmp: Path, tick: Callable[[int], None]) -> None:
    import imageio_ffmpeg
    import numpy as np

    w, h = rec.size
    writer = imageio_ffmpeg.write_frames(str(tmp), (w, h), fps=MP4_FPS, codec="libx264",
                                         pix_fmt_out="yuv420p", macro_block_size=2,
                                         ffmpeg_log_level="error")
    writer.send(None)
    try:
        for i, (frame, ms) in enumerate(zip(rec.frames, rec.durations)):
            tick(i)
            pixels = np.asarray(to_pil(frame), dtype=np.uint8)
            for _ in range(max(1, round(ms * MP4_FPS / 1000))):
                writer.send(np.ascontiguousarray(pixels))
    finally:
        writer.close()


# -- the window's File → Export animation… --------------------------------------------------

PACES = (("Slow", 1200, 400), ("Normal", EVENT_MS, STEP_MS), ("Fast", 350, 60))  # ms: event, step
SIZES = ((1280, 720), (1920, 1080), (1024, 768))
FILTERS = {"GIF": "Animated GIF (*.gif)", "APNG": "Animated PNG (*.apng *.png)",
           "MP4": "MP4 video (*.mp4)"}


class ExportDialog:
    """What to record (the step's pass or N training steps), at what size and pace, in
    which format; a format whose library is missing is offered with the reason."""

    def __init__(self, parent: QWidget) -> None:
        from PySide6.QtWidgets import (
            QComboBox,
            QDialog,
            QDialogButtonBox,
            QFormLayout,
            QLabel,
            QRadioButton,
            QSpinBox,
        )

        self.dialog = d = QDialog(parent)
        d.setObjectName("exportAnimationDialog")
        d.setWindowTitle("Export animation")
        form = QFormLayout(d)
        self.pass_button = QRadioButton("This step's forward and backward pass, a frame per "
                                        "event", d)
        self.steps_button = QRadioButton("Training steps, a frame per step:", d)
        self.pass_button.setChecked(True)
        self.steps = QSpinBox(d)
        self.steps.setRange(1, 1000)
        self.steps.setValue(50)
        form.addRow(self.pass_button)
        form.addRow(self.steps_button, self.steps)
        self.size = QComboBox(d)
        for w, h in SIZES:
            self.size.addItem(f"{w} × {h}", (w, h))
        form.addRow("Size", self.size)
        self.pace = QComboBox(d)
        for label, event_ms, step_ms in PACES:
            self.pace.addItem(f"{label} ({event_ms / 1000:g} s an event, {step_ms} ms a step)",
                              (event_ms, step_ms))
        self.pace.setCurrentIndex(1)
        form.addRow("Pace", self.pace)
        self.format = QComboBox(d)
        for kind in ("GIF", "APNG", "MP4", "PNGS"):
            why = missing(kind)
            label = {"PNGS": "PNG series (a folder, one file per frame)"}.get(kind, FILTERS.get(
                kind, kind))
            self.format.addItem(label + (" — not available" if why else ""), kind)
            if why:
                self.format.model().item(self.format.count() - 1).setEnabled(False)
                self.format.setItemData(self.format.count() - 1, why,
                                        Qt.ItemDataRole.ToolTipRole)
        form.addRow("Format", self.format)
        self.note = QLabel(d)
        self.note.setWordWrap(True)
        why = missing("GIF")
        mp4 = missing("MP4")
        self.note.setText(why or mp4 or "")
        self.note.setVisible(bool(why or mp4))
        form.addRow(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, d)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record…")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(why is None)
        buttons.accepted.connect(d.accept)
        buttons.rejected.connect(d.reject)
        form.addRow(buttons)

    @property
    def kind(self) -> str:
        return str(self.format.currentData())


def export_animation(window: Any) -> None:
    """File → Export animation…: ask, record with a progress bar and Cancel, write
    atomically; errors in one sentence, a cancel leaves nothing."""
    from PySide6.QtWidgets import QFileDialog, QProgressDialog

    ask = ExportDialog(window)
    if not ask.dialog.exec():
        return
    kind = ask.kind
    if kind == "PNGS":
        out = QFileDialog.getExistingDirectory(window, "Folder for the PNG series")
    else:
        suffix = {"GIF": "gif", "APNG": "png", "MP4": "mp4"}[kind]
        out, _ = QFileDialog.getSaveFileName(window, "Export animation",
                                             f"animation.{suffix}", FILTERS[kind])
    if not out:
        return
    if kind == "PNGS":
        out = str(Path(out) / "frames")  # a new folder inside the chosen one
    event_ms, step_ms = ask.pace.currentData()
    size = ask.size.currentData()
    bar = QProgressDialog("Recording…", "Cancel", 0, 100, window)
    bar.setObjectName("exportProgress")
    bar.setWindowTitle("Export animation")
    bar.setWindowModality(Qt.WindowModality.WindowModal)
    bar.setMinimumDuration(0)

    def progress(stage: str) -> Progress:
        def tick(done: int, total: int) -> bool:
            bar.setLabelText(f"{stage} {done} of {total}…")
            bar.setMaximum(total)
            bar.setValue(done)
            return not bar.wasCanceled()
        return tick

    try:
        if ask.steps_button.isChecked():
            rec = record_steps(window, ask.steps.value(), size, step_ms,
                               progress("Recording step"))
        else:
            rec = record_pass(window, size, event_ms, progress("Recording event"))
        write(rec, out, progress("Writing frame"))
    except Cancelled:
        window.notify("Export cancelled: nothing was written.")
        return
    except RecordError as e:
        window.show_error("The animation could not be saved", str(e))
        return
    finally:
        bar.close()
    window.notify(f"Saved {len(rec.frames)} frames to {out}.")
