"""The transport bar: step, play, phase, train (at a chosen pace) and reset, a speed choice
and a status line."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..model.describe import status_line
from ..model.presentation import Presentation
from ..model.session import PACES, SPEEDS, Session

# The buttons of a transport bar, in order (None: a gap); the main window's and a
# comparison's bars share them and their actions' names.
TRANSPORT = ("start", "previous_phase", "previous", "play", "next", "next_phase", "end", None,
             "train_step", "train", "reset")


# What projector mode's slim bar leaves out (their keys still work: Home, End,
# Shift+←/→): a class needs ◀ Play ▶, Train and Reset, in type read from the back row.
SLIM_HIDDEN = ("start", "previous_phase", "next_phase", "end")
# projector mode: the step counter's type, times the base type, as large as the row has
# room for (at 1024 px the buttons and the pace leave about 170 px)
COUNTER_SIZES = (1.5, 1.35, 1.2, 1.0)


def two_rows(bar: QWidget) -> tuple[QHBoxLayout, QHBoxLayout]:
    """A bar's two rows: the buttons first, then the status line, which wraps there
    rather than push the window wider than a small screen."""
    rows = QVBoxLayout(bar)
    rows.setContentsMargins(8, 4, 8, 4)
    rows.setSpacing(2)
    first, second = QHBoxLayout(), QHBoxLayout()
    for row in (first, second):
        row.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(row)
    return first, second


def speed_label(speed: float) -> str:
    return "instant" if math.isinf(speed) else f"{speed:g}×"


def pace_label(pace: float) -> str:
    if math.isinf(pace):
        return "full speed"
    return f"{pace:g} step/s" if pace == 1 else f"{pace:g} steps/s"


def add_buttons(bar: QWidget, lay: QHBoxLayout,
                actions: dict[str, QAction]) -> dict[str, QToolButton]:
    """One tool button per action of ``TRANSPORT``, added to ``lay``; by action name."""
    buttons: dict[str, QToolButton] = {}
    for name in TRANSPORT:
        if name is None:
            lay.addSpacing(10)
            continue
        b = QToolButton(bar)
        b.setDefaultAction(actions[name])
        # never squeezed into "Trai…step": a button is as wide as its text
        b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        lay.addWidget(b)
        buttons[name] = b
    return buttons


def add_speed_choice(bar: QWidget, lay: QHBoxLayout, tooltip: str) -> tuple[QLabel, QComboBox]:
    """The "Speed" label and its choice of ``SPEEDS`` (1× chosen), added to ``lay``."""
    label = QLabel("Speed", bar)
    lay.addWidget(label)
    box = QComboBox(bar)
    for s in SPEEDS:
        box.addItem(speed_label(s), s)
    box.setCurrentIndex(SPEEDS.index(1.0))
    box.setToolTip(tooltip)
    lay.addWidget(box)
    return label, box


def dock_at_bottom(window: QMainWindow, bar: QWidget) -> QToolBar:
    """Put a transport bar in a fixed toolbar at the bottom of ``window`` (the main window's
    and a comparison's are found by the name "transportBar": projector mode keeps it)."""
    holder = QToolBar("Transport", window)
    holder.setObjectName("transportBar")
    holder.setMovable(False)
    holder.addWidget(bar)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, holder)
    return holder


class SlimBar(QWidget):
    """A transport bar that goes slim in projector mode: what a class needs (buttons,
    status, step) stays."""

    _presentation: Presentation | None = None

    def follow(self, presentation: Presentation | None) -> None:
        if presentation is not None:
            self._presentation = presentation
            # a bound method: Qt drops the connection when this bar is deleted
            presentation.changed.connect(self._on_presentation_changed)
            self._on_presentation_changed()

    def _on_presentation_changed(self) -> None:
        if self._presentation is not None:
            self.set_slim(self._presentation.projector)

    buttons: dict[str, QToolButton]
    status: QLabel  # where the pass is: what the diagram's title says too
    steps: QLabel  # training steps so far
    _rows: tuple[QHBoxLayout, QHBoxLayout]  # from two_rows()

    def set_slim(self, slim: bool) -> None:
        """Hide what a projector does not need: SLIM_HIDDEN's buttons and the status line
        (the diagram's title says it, in larger type); the step count moves up beside
        the buttons, one row rather than two (each bar says what else it hides)."""
        for name in SLIM_HIDDEN:
            self.buttons[name].setVisible(not slim)
        self.status.setVisible(not slim)
        first, second = self._rows
        (first if slim else second).addWidget(self.steps)


class TransportBar(SlimBar):
    _slim = False
    _counter_pt = 0.0  # the step count's type in slim mode (0: not set)

    def __init__(self, session: Session, actions: dict[str, QAction],
                 parent: QWidget | None = None, *,
                 presentation: Presentation | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay, second = two_rows(self)
        self.buttons = add_buttons(self, lay, actions)
        # the pace, beside Train: it stays in projector mode, where a class watches
        self.pace = QComboBox(self)
        self.pace.setObjectName("trainingPace")
        for p in PACES:
            self.pace.addItem(pace_label(p), p)
        self.pace.setCurrentIndex(self.pace.findData(session.pace))
        self.pace.setToolTip("How fast Train runs: steps a second, each one drawn, or full "
                             "speed (the plots catch up as they can)")
        self.pace.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        lay.insertWidget(lay.indexOf(self.buttons["train"]) + 1, self.pace)
        self.pace.currentIndexChanged.connect(self._on_pace_picked)
        self.train_n = QSpinBox(self)
        self.train_n.setRange(1, 1_000_000)
        self.train_n.setValue(200)
        self.train_n.setToolTip("How many steps 'Train N' runs")
        self.train_n_button = QToolButton(self)
        self.train_n_button.setText("Train N")
        self.train_n_button.setToolTip("Train this many steps, then pause")
        self.train_n_button.clicked.connect(lambda: session.train(self.train_n.value()))
        self.train_n_button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        lay.addStretch(1)
        # the second row: Train N and the speed, then the status line (one row of
        # everything asked 978 px: more than 1080p at QT_SCALE_FACTOR=2 gives)
        second.addWidget(self.train_n)
        second.addWidget(self.train_n_button)
        second.addSpacing(8)
        self.speed_label, self.speed = add_speed_choice(
            self, second,
            "How fast Play moves through the events (instant: a whole step at once)")
        self.speed.currentIndexChanged.connect(self._on_speed_picked)
        second.addSpacing(12)
        self.status = QLabel(self)
        self.status.setObjectName("statusLine")
        self.status.setToolTip("Where you are in the current training step")
        self.status.setWordWrap(True)
        second.addWidget(self.status, 1)
        self.steps = QLabel(self)
        self.steps.setToolTip("Training steps so far, and the training speed")
        second.addWidget(self.steps)
        self._rows = (lay, second)
        self._second = second
        self._notice = QTimer(self)  # a notice stays this long, or until the cursor moves
        self._notice.setSingleShot(True)
        self._notice.timeout.connect(lambda: self._on_cursor_moved(self.session.position))
        session.cursor_moved.connect(self._on_cursor_moved)
        session.experiment_changed.connect(self._on_experiment_changed)
        session.trained.connect(self._on_trained)
        session.speed_changed.connect(self._on_speed_changed)
        session.pace_changed.connect(self._on_pace_changed)
        session.edited.connect(self.notice)
        self._on_cursor_moved(session.position)
        self._on_trained(session.trainer.step_count)
        self.follow(presentation)

    def set_slim(self, slim: bool) -> None:
        """Hide Train N and the speed choice too (projector mode), or show them again; the
        pace stays. The step count goes large (and without the measured rate, which
        the pace beside it tells well enough), for the back row."""
        self._slim = slim
        super().set_slim(slim)
        for w in (self.train_n, self.train_n_button, self.speed_label, self.speed):
            w.setVisible(not slim)
        self._counter_pt = 0.0
        if not slim:
            self.steps.setStyleSheet("")
        self._on_trained(self.session.trainer.step_count)
        self._fit_counter()

    def _fit_counter(self) -> None:
        """Slim: the step count in the largest of COUNTER_SIZES that the first row has room
        for beside its buttons and the pace (the app's type is zoomed already)."""
        if not self._slim:
            return
        row = self._rows[0]
        others = 0
        shown = 0
        # the row's widgets found from the widgets, never through row.itemAt(): a Python
        # wrapper of a layout item outlives the item when slim mode moves widgets between
        # rows, and its address, reused, crashed the process later (the monkey)
        for w in self.findChildren(QWidget):
            if w is self.steps or w.isHidden() or row.indexOf(w) < 0:
                continue
            others += w.sizeHint().width()
            shown += 1
        margins = self.layout().contentsMargins()
        room = (self.width() - margins.left() - margins.right() - others
                - row.spacing() * shown - 4)
        base = QApplication.font().pointSizeF()
        font = QFont(self.steps.font())
        font.setBold(True)
        text = self.steps.text()
        for factor in COUNTER_SIZES:
            font.setPointSizeF(round(base * factor, 1))
            if QFontMetrics(font).horizontalAdvance(text) <= room:
                break
        pt = font.pointSizeF()
        if pt != self._counter_pt:
            self._counter_pt = pt
            self.steps.setStyleSheet(f"font-size: {pt:.1f}pt; font-weight: bold;")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_counter()

    def _on_experiment_changed(self) -> None:
        self._on_cursor_moved(self.session.position)
        self._on_trained(self.session.trainer.step_count)  # a new experiment starts at 0

    def _on_speed_picked(self, index: int) -> None:
        self.session.set_speed(self.speed.itemData(index))

    def _on_speed_changed(self, speed: float) -> None:
        i = self.speed.findData(speed)
        if i >= 0 and i != self.speed.currentIndex():
            self.speed.setCurrentIndex(i)

    def _on_pace_picked(self, index: int) -> None:
        self.session.set_pace(self.pace.itemData(index))

    def _on_pace_changed(self, pace: float) -> None:
        i = self.pace.findData(pace)
        if i >= 0 and i != self.pace.currentIndex():
            self.pace.setCurrentIndex(i)

    def _on_cursor_moved(self, position: int) -> None:
        if self._notice.isActive() and self.session.training:
            return  # training moves the cursor every step: a notice stays its time
        self._notice.stop()
        self.status.setText(status_line(self.session.trace, position))

    @property
    def noticing(self) -> bool:
        """Whether the status line shows a notice now, not where the pass is."""
        return self._notice.isActive()

    def notice(self, text: str, ms: int = 8000) -> None:
        """Say ``text`` on the status line for ``ms`` (or until the cursor is moved, other
        than by training)."""
        self.status.setText(text)
        self._notice.start(ms)

    def add_offer(self, widget: QWidget) -> None:
        """A button on the status line's row, before the step count (the first run's
        offer of the deep chain)."""
        self._second.insertWidget(self._second.indexOf(self.steps), widget)
        widget.show()  # a layout shows a child added to a shown parent only later

    def _on_trained(self, steps: int) -> None:
        rate = self.session.steps_per_second
        shown = self.session.training and rate and not self._slim
        extra = f" · {rate:,.0f} step{'' if round(rate) == 1 else 's'}/s" if shown else ""
        text = f"step {steps:,}{extra}"
        if text != self.steps.text():
            self.steps.setText(text)
            self._fit_counter()
