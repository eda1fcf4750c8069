"""The lesson dock: where the lesson is, the scene's title and text, the depth table of a
"deepen the chain" scene, and what Page Down does next, in type read from the back row.

Every number in the table comes from :func:`vanishgui.core.scene.depth_row`.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.numbers import num, ratio
from ...core.scene import DepthRow, Lesson, Scene, Step, TrainAction
from ..model import palette
from ..model.findings import NAMES, line
from ..model.session import Session
from ..shell.theme import BASE_POINT_SIZE


class ScenePlace(Protocol):
    """What the panel reads of the lesson player (which drives it): where the lesson is."""

    scene_changed: Any  # a Qt signal: a new scene, or a step of it started or finished
    session: Session
    lesson: Lesson | None
    done: int  # how many of the scene's steps have started
    rows: list[DepthRow]  # the depth table of a "deepen" scene
    running: Step | None

    @property
    def scene(self) -> Scene | None: ...

# (label, size relative to the application's font, more style): read from the back row.
# The boost fades as the theme's zoom grows: at projector zoom every text is large already.
LESSON_TYPE = (("lessonPlace", 1.0, ""), ("lessonTitle", 1.6, "font-weight: bold;"),
               ("lessonText", 1.25, ""), ("lessonNext", 1.1, "font-style: italic;"),
               ("lessonDepthTable", 1.15, ""))
LARGE_PT = 19.0  # an application font this large (11 pt × 1.75) needs no boost
LINE_CHARS = 30  # the lesson dock is never narrower than this many characters of its text


class LessonPanel(QWidget):
    """The scene: where we are, its title, its text, the depth table and what comes next."""

    COLUMNS = ("L", "bound", "product\n∏ f'(z)", "layer 1\n÷\noutput")

    def __init__(self, player: ScenePlace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.place = QLabel(self)
        self.place.setObjectName("lessonPlace")
        self.place.setWordWrap(True)
        self.heading = QLabel(self)
        self.heading.setObjectName("lessonTitle")
        self.heading.setWordWrap(True)
        self.body = QLabel(self)
        self.body.setObjectName("lessonText")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)  # a teacher's file is not HTML
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("lessonDepthTable")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # no "9.77e…"
        header.setStretchLastSection(True)
        for bars in (self.table.setHorizontalScrollBarPolicy,
                     self.table.setVerticalScrollBarPolicy):
            bars(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setToolTip("L: hidden layers. 0.25ᴸ: the most L sigmoid slopes can pass "
                              "on. ∏ σ'(z): their product on the chain shown. layer 1 ÷ output: "
                              "‖∂L/∂W₁‖ ÷ ‖∂L/∂W_out‖ of the pass shown.")
        self.table.hide()
        # a scene about a finding shows the diagnosis's line for it once its actions ran
        self.finding = QLabel(self)
        self.finding.setObjectName("lessonFinding")
        self.finding.setWordWrap(True)
        self.finding.setTextFormat(Qt.TextFormat.PlainText)
        self.finding.setStyleSheet(f"background: {palette.NOTICE.name()}; color: black; "
                                   "padding: 6px;")
        self.finding.hide()
        self.coming = QLabel(self)
        self.coming.setObjectName("lessonNext")
        self.coming.setWordWrap(True)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for name in ("lesson_previous", "lesson_next", "leave_lesson"):
            b = QToolButton(self)
            buttons.addWidget(b)
            self.buttons[name] = b
        buttons.addStretch(1)
        # The scene scrolls only if it cannot fit: never cut off without a scroll bar.
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(14, 10, 14, 10)
        inner.setSpacing(10)
        for widget in (self.place, self.heading, self.body, self.table, self.finding,
                       self.coming):
            inner.addWidget(widget)
        inner.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 10)
        lay.addWidget(self.scroll, 1)
        buttons.setContentsMargins(14, 0, 14, 0)
        lay.addLayout(buttons)
        player.scene_changed.connect(self._on_scene_changed)
        for signal in (player.session.pass_changed, player.session.trained):
            signal.connect(self._show_finding)
        self._apply_fonts()
        self._on_scene_changed()

    def use_actions(self, actions: dict[str, QAction]) -> None:
        """The buttons trigger the window's lesson actions (and share their state)."""
        for name, b in self.buttons.items():
            b.setDefaultAction(actions[name])

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            self._apply_fonts()  # the projector's zoom changes the application's font

    def _apply_fonts(self) -> None:
        """Sizes relative to the application's font, which the theme's zoom sets; written as
        this panel's own stylesheet, as the theme gives every widget its size that way."""
        base = QApplication.font().pointSizeF()
        boost = min(1.0, max(0.0, (LARGE_PT - base) / (LARGE_PT - BASE_POINT_SIZE)))
        rules = []
        for name, scale, extra in LESSON_TYPE:
            size = base * (1 + (scale - 1) * max(boost, 0.5 if name == "lessonTitle" else 0))
            rules.append(f"#{name}, #{name} QHeaderView::section {{ font-size: {size:.1f}pt; "
                         f"{extra} }}")
        rules.append("#lessonDepthTable QHeaderView::section { font-weight: bold; }")
        sheet = "\n".join(rules)
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)
            self.body.ensurePolished()
            self._fit_width()

    def _on_scene_changed(self) -> None:
        p = self.player
        lesson, scene = p.lesson, p.scene
        if lesson is None or scene is None:
            self.place.setText("No lesson is open")
            self.heading.setText("Lessons")
            self.body.setText("Choose a lesson from the Lesson menu, or open your own with "
                              "File → Open lesson….")
            self.coming.setText("")
            self.table.hide()
            return
        self.place.setText(f"{lesson.title} · scene {scene.index + 1} of {len(lesson.scenes)}")
        self.heading.setText(scene.title)
        self.body.setText(scene.text)
        self._fill_table(p.rows)
        self.coming.setText(self._coming_text())
        self._show_finding()

    def _show_finding(self, *_args: object) -> None:
        """The diagnosis's line for the scene's finding (the strip under the diagram
        shows it too), or that the diagnosis does not find it, once the actions ran."""
        p = self.player
        scene = p.scene
        if scene is None or scene.finding is None or p.running is not None \
                or p.done < len(scene.steps):
            self.finding.hide()
            return
        found = [f for f in p.session.diagnosis() if f.kind == scene.finding]
        self.finding.setText(f"The diagnosis: {line(found[0])}" if found else
                             f"The diagnosis does not find “{NAMES[scene.finding].lower()}” "
                             "here.")
        self.finding.show()

    def _coming_text(self) -> str:
        p = self.player
        lesson, scene = p.lesson, p.scene
        assert lesson is not None and scene is not None
        if p.running is not None:
            doing = "Training…" if isinstance(p.running.action, TrainAction) else "Playing…"
            return f"{doing} (Page Down: finish now)"
        if p.done < len(scene.steps):
            return f"Page Down: {scene.steps[p.done].label}"
        if scene.index + 1 < len(lesson.scenes):
            return f"Page Down: next scene, “{lesson.scenes[scene.index + 1].title}”"
        return "This is the last scene of the lesson."

    def _fill_table(self, rows: list[DepthRow]) -> None:
        self.table.setVisible(bool(rows))
        if not rows:
            return
        m = rows[-1].max_derivative
        slope = self.player.session.experiment.activations[0].info.derivative_label
        self.table.horizontalHeaderItem(1).setText(
            f"bound\n{num(m)}ᴸ" if m is not None else "bound\n∏ max f'")
        self.table.horizontalHeaderItem(2).setText(f"product\n∏ {slope}")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = (str(row.hidden_layers), num(row.bound), num(row.product),
                     ratio(row.ratio))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        header = self.table.horizontalHeader().sizeHint().height()
        height = header + sum(self.table.rowHeight(r) for r in range(len(rows))) + 4
        self.table.setFixedHeight(height)
        self._fit_width()

    def _fit_width(self) -> None:
        """Room for about LINE_CHARS characters of the text on a line, and for the depth
        table's columns whole (at 24-px type its last column lost 6 px of "layer 1")."""
        width = self.body.fontMetrics().averageCharWidth() * LINE_CHARS
        if not self.table.isHidden():
            header = self.table.horizontalHeader()
            columns = sum(max(self.table.sizeHintForColumn(c), header.sectionSizeHint(c))
                          for c in range(self.table.columnCount()))
            margins = self.scroll.widget().layout().contentsMargins()
            bar = self.scroll.verticalScrollBar().sizeHint().width()
            width = max(width, columns + 2 * self.table.frameWidth() + margins.left()
                        + margins.right() + bar)
        self.scroll.setMinimumWidth(width)
