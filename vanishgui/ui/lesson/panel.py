"""The lesson dock: where the lesson is, the scene's title and text, the depth table of a
"deepen the chain" scene, a question with its choices, and what Page Down does next, in
type read from the back row.

Every number in the table comes from :func:`vanishgui.core.scene.depth_row`, and a
question's answer from :func:`vanishgui.core.question.evaluate`.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ...core.numbers import num, ratio
from ...core.question import Answer, evaluate
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
    guess: int | None  # the class's answer to the scene's question (0-based)

    @property
    def scene(self) -> Scene | None: ...

    @property
    def asking(self) -> bool: ...

    @property
    def revealed(self) -> bool: ...

    def answer(self, choice: int) -> None: ...

# (label, size relative to the application's font, more style): read from the back row.
# The boost fades as the theme's zoom grows: at projector zoom every text is large already.
LESSON_TYPE = (("lessonPlace", 1.0, ""), ("lessonTitle", 1.6, "font-weight: bold;"),
               ("lessonText", 1.25, ""), ("lessonNext", 1.1, "font-style: italic;"),
               ("lessonDepthTable", 1.15, ""), ("lessonQuestion", 1.25, "font-weight: bold;"),
               ("lessonChoice", 1.25, "text-align: left; padding: 0.4em 0.6em;"),
               ("lessonAnswer", 1.25, ""))
RIGHT, WRONG = "✓", "✗"  # beside the choice that holds the answer, and a wrong guess
HOLDER = (f"font-weight: bold; border: 3px solid black; background: {palette.NOTICE.name()}; "
          "color: black;")
GUESS = "border: 3px dashed palette(button-text); color: palette(button-text);"  # not greyed
CHOICE_LINES = 2  # a choice button is this many lines of its text tall
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
                              "layer 1's mean |∂L/∂W| ÷ the output layer's, in the pass "
                              "shown.")
        self.table.hide()
        # a scene about a finding shows the diagnosis's line for it once its actions ran
        self.finding = QLabel(self)
        self.finding.setObjectName("lessonFinding")
        self.finding.setWordWrap(True)
        self.finding.setTextFormat(Qt.TextFormat.PlainText)
        self.finding.setStyleSheet(f"background: {palette.NOTICE.name()}; color: black; "
                                   "padding: 6px;")
        self.finding.hide()
        # predict, then reveal: the question, its numbered choices, then the answer
        self.question = QLabel(self)
        self.question.setObjectName("lessonQuestion")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.choices: list[QPushButton] = []
        self.choice_box = QVBoxLayout()
        self.choice_box.setSpacing(6)
        self.reveal = QLabel(self)
        self.reveal.setObjectName("lessonAnswer")
        self.reveal.setWordWrap(True)
        self.reveal.setTextFormat(Qt.TextFormat.PlainText)
        self.reveal.setStyleSheet(f"background: {palette.NOTICE.name()}; color: black; "
                                  "padding: 6px;")
        self.answer: Answer | None = None  # the answer shown, from the core
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
                       self.question):
            inner.addWidget(widget)
        inner.addLayout(self.choice_box)
        inner.addWidget(self.reveal)
        inner.addWidget(self.coming)
        inner.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(content)
        self._in_view: QWidget | None = None  # what the column keeps in view, if anything
        self._shown_scene: tuple[object, int] | None = None
        content.installEventFilter(self)
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
        # the answer is read again whenever the network shown changes: it matches the screen
        for signal in (player.session.pass_changed, player.session.trained,
                       player.session.experiment_changed):
            signal.connect(self._show_answer)
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
            self._size_choices()
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
            self._show_question()
            return
        if (lesson, scene.index) != self._shown_scene:  # a new scene starts at its top
            self._shown_scene = (lesson, scene.index)
            self._in_view = None
            self.scroll.verticalScrollBar().setValue(0)
        self.place.setText(f"{lesson.title} · scene {scene.index + 1} of {len(lesson.scenes)}")
        self.heading.setText(scene.title)
        self.body.setText(scene.text)
        self._fill_table(p.rows)
        self.coming.setText(self._coming_text())
        self._show_finding()
        self._show_question()

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

    def _show_question(self) -> None:
        """The scene's question and its choices; the choices answer while it waits."""
        p = self.player
        scene = p.scene
        q = scene.question if scene is not None else None
        self.question.setVisible(q is not None)
        if q is None:
            self._set_choices([])
            self._show_answer()
            return
        self.question.setText(q.ask)
        self._set_choices([c.label for c in q.choices])
        for b in self.choices:
            b.setEnabled(p.asking)
        self._show_answer()
        if p.asking:
            self._bring_into_view(self.choices[-1] if self.choices else self.question)

    def _bring_into_view(self, widget: QWidget) -> None:
        """Scroll the scene's column so that ``widget`` shows, and keep it shown while the
        column's content grows (the depth table's rows come in after it): a question's
        choices and its answer sat below the fold of a 1080-px projector's column, under
        the text and the depth table."""
        self._in_view = widget
        QTimer.singleShot(0, self, self._keep_in_view)

    def _keep_in_view(self) -> None:
        """Down (or up) to ``_in_view``, never sideways: ensureWidgetVisible also scrolled
        a column a few px wider than its view to the right, cutting every line's start."""
        widget = self._in_view
        if widget is None or not isValid(widget) or not widget.isVisible():
            return  # (a choice of the scene before is deleted later, not at once)
        top = widget.mapTo(self.scroll.widget(), QPoint(0, 0)).y()
        bottom = top + widget.height() + 10
        bar = self.scroll.verticalScrollBar()
        room = self.scroll.viewport().height()
        if bottom > bar.value() + room:
            bar.setValue(bottom - room)
        if top < bar.value():
            bar.setValue(top)
        self.scroll.horizontalScrollBar().setValue(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll.widget() and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._keep_in_view)
        return False

    def _set_choices(self, labels: list[str]) -> None:
        if [b.property("label") for b in self.choices] != labels:
            if self._in_view in self.choices:
                self._in_view = None
            for b in self.choices:
                self.choice_box.removeWidget(b)
                b.deleteLater()
            self.choices = []
            for k, label in enumerate(labels):
                b = QPushButton(self)
                b.setObjectName("lessonChoice")
                b.setProperty("label", label)
                b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window
                # as wide as the column, never wider: a long label must not widen it
                b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
                b.setMinimumWidth(1)
                b.clicked.connect(lambda _=False, k=k: self.player.answer(k))
                self.choice_box.addWidget(b)
                self.choices.append(b)
        for k, (b, label) in enumerate(zip(self.choices, labels)):
            b.setText(f"{k + 1}   {label}")
            b.setToolTip(f"The class's answer (key {k + 1})")
            b.setStyleSheet("")
        self._size_choices()

    def _size_choices(self) -> None:
        """Choices a finger or a pointer on a projected screen hits: two lines tall."""
        for b in self.choices:
            b.ensurePolished()
            b.setMinimumHeight(CHOICE_LINES * b.fontMetrics().height())

    def _show_answer(self, *_args: object) -> None:
        """Once the scene's steps have run: the true value, from the core, beside the
        class's guess, and marks on the choice that holds it and on a wrong guess."""
        p = self.player
        scene = p.scene
        q = scene.question if scene is not None else None
        if q is None or not p.revealed:
            self.answer = None
            self.reveal.hide()
            return
        s = p.session
        a = evaluate(q, s.current, s.trainer.history, s.diagnosis())
        self.answer = a
        for k, (b, c) in enumerate(zip(self.choices, q.choices)):
            mark = RIGHT if k == a.holder else WRONG if k == p.guess else "  "
            b.setText(f"{mark} {k + 1}   {c.label}")
            b.setStyleSheet(HOLDER if k == a.holder else GUESS if k == p.guess else "")
        if a.holder is None:
            where = "None of the choices holds it."
        else:
            where = f"It is in choice {a.holder + 1}, “{q.choices[a.holder].label}”."
        if p.guess is None:
            guess = "No guess was made."
        elif p.guess == a.holder:
            guess = f"The class chose {p.guess + 1}: right."
        else:
            guess = f"The class chose {p.guess + 1}: wrong."
        self.reveal.setText(f"{a.sentence} {where} {guess}")
        self.reveal.show()
        self._bring_into_view(self.reveal)

    def _coming_text(self) -> str:
        p = self.player
        lesson, scene = p.lesson, p.scene
        assert lesson is not None and scene is not None
        if p.asking and scene.question is not None:
            n = len(scene.question.choices)
            return (f"Keys 1–{n} (or a click): the class's answer, then "
                    f"{_lower(scene.steps[p.done].label)}. Page Down: no guess, go on.")
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


def _lower(label: str) -> str:
    """"Play the backward pass" as it reads inside a sentence."""
    first = label.split(" ", 1)[0]
    plain = first[1:] == first[1:].lower()  # "Play", not "ReLU"
    return label[:1].lower() + label[1:] if plain else label
