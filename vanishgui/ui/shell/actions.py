"""Every user action declared once, as data: menus, toolbar, shortcuts and the
shortcuts dialog are all built from this table (Mu's habit)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    name: str  # attribute name on the window's handler object: on_<name>
    label: str
    tooltip: str
    shortcuts: tuple[str, ...] = ()
    menu: str = ""  # "File", "Step", "Train", "View", "Help"
    toolbar: bool = False
    checkable: bool = False
    short: str = ""  # what a toolbar button shows (default: the label)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New", "Start again from the classic example", ("Ctrl+N",), "File"),
    ActionSpec("open", "&Open…", "Open an experiment file", ("Ctrl+O",), "File", True),
    ActionSpec("save", "&Save", "Save the experiment with its current weights",
               ("Ctrl+S",), "File", True),
    ActionSpec("save_as", "Save &As…", "Save the experiment under a new name",
               ("Ctrl+Shift+S",), "File"),
    ActionSpec("export_png", "Export diagram as &PNG…", "Save a picture of the diagram",
               (), "File"),
    ActionSpec("export_svg", "Export diagram as S&VG…", "Save the diagram as a vector drawing",
               (), "File"),
    ActionSpec("export_animation", "Export &animation…",
               "Record this step's pass, a frame per event, or training steps, as an "
               "animated GIF or APNG, an MP4 or a PNG series, for slides", (), "File"),
    ActionSpec("export_history", "Export &history as CSV…",
               "Save every recorded training step (loss, per-layer gradients) as one CSV file",
               (), "File"),
    ActionSpec("quit", "&Quit", "Close vanishgui", ("Ctrl+Q",), "File"),
    ActionSpec("previous", "Previous event", "Go back one event (an exact rewind)",
               ("Left", "P", "PgUp"), "Step", True, short="◀"),
    ActionSpec("play", "Play / pause", "Play the events as an animation, or pause",
               ("Space",), "Step", True, True, short="Play"),
    ActionSpec("next", "Next event", "Go forward one event; after the last, start the next "
               "training step", ("Right", "N", "PgDown"), "Step", True, short="▶"),
    ActionSpec("start", "Start of step", "Jump to the start of this training step",
               ("Home",), "Step", short="|◀"),
    ActionSpec("end", "End of step", "Jump to the end of this training step", ("End",), "Step",
               short="▶|"),
    ActionSpec("previous_phase", "Previous phase",
               "Jump back to the start of the phase (forward, loss, backward, update)",
               ("Shift+Left",), "Step", short="◀◀"),
    ActionSpec("next_phase", "Next phase",
               "Jump to the end of the phase (forward, loss, backward, update)",
               ("Shift+Right",), "Step", short="▶▶"),
    ActionSpec("train_step", "Train one step", "Apply one whole training step (T)",
               ("T",), "Train", True, short="Train 1 step"),
    ActionSpec("train", "Train / pause", "Train continuously until paused (Shift+T)",
               ("Shift+T",), "Train", True, True, short="Train"),
    ActionSpec("reset", "Reset weights", "Back to the initial weights; clears the history",
               ("R",), "Train", True, short="Reset"),
    ActionSpec("fit", "Fit diagram", "Fit the whole network in the window (or double-click)",
               ("F",), "View"),
    ActionSpec("zoom_in", "Zoom into the diagram", "Zoom into the diagram (or Ctrl+wheel)",
               ("+", "="), "View"),
    ActionSpec("zoom_out", "Zoom out of the diagram", "Zoom out of the diagram (or Ctrl+wheel)",
               ("-",), "View"),
    ActionSpec("plot_wall", "All &plots", "Show all six plots at once, in a grid "
               "(again to go back)", ("Ctrl+Shift+P",), "View", checkable=True),
    ActionSpec("next_plot", "&Next plot", "Bring the next plot to the front (the large "
               "plot of the laptop and projector layouts)", ("G",), "View"),
    ActionSpec("previous_plot", "Previous plot", "Bring the previous plot to the front",
               ("Shift+G",), "View"),
    ActionSpec("show_evidence", "Show the &diagnosis's evidence", "Select the evidence of "
               "the diagnosis's first finding and bring its plot to the front (the strip's "
               "first Show me)", ("D",), "View"),
    ActionSpec("enlarge", "&Enlarge the panel under the mouse", "Show the plot or diagram "
               "under the mouse alone in the window (over anything else: the plot in front); "
               "E again or Esc returns", ("E",), "View", checkable=True),
    # Esc is lent to it only while a panel is enlarged (projector mode keeps it otherwise)
    ActionSpec("leave_enlarged", "Back from the enlarged panel", "Put every panel back "
               "where it was (E does the same)", ("Escape",), "View"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "Every shortcut in one list", ("F1",),
               "Help"),
    ActionSpec("about", "&About vanishgui", "Version and what this app is for", (), "Help"),
)


def make_action(owner: QWidget, spec: ActionSpec, handler) -> QAction:
    """A QAction for ``spec`` on ``owner`` (its shortcuts work anywhere in that window)."""
    act = QAction(spec.label, owner)
    if spec.short:
        act.setIconText(spec.short)
    act.setObjectName(f"action_{spec.name}")
    act.setToolTip(f"{spec.tooltip} ({', '.join(spec.shortcuts)})"
                   if spec.shortcuts else spec.tooltip)
    act.setStatusTip(spec.tooltip)
    act.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.setCheckable(spec.checkable)
    act.triggered.connect(lambda _checked=False: handler())
    owner.addAction(act)
    return act
