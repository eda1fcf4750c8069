"""The diagnosis strip under the diagram: one line per finding of the core's diagnosis
(its name, its sentence of evidence with the numbers, and "Show me"), hidden while
there is none. It follows the pass and the training as the diagram does."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolButton, QWidget

from ...core.diagnosis import Finding, layer_list
from ..model import palette
from ..model.findings import NAMES, line
from ..model.session import Session


class DiagnosisStrip(QWidget):
    """Pale yellow (the palette's NOTICE: orange is the current event's colour)."""

    show_me = Signal(object)  # the Finding whose evidence to show

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosisStrip")
        self.session = session
        self.findings: list[Finding] = []
        self.wanted = True  # False: never shown (a comparison's column says it in its header)
        # compact: each line is the finding's name and layers, its sentence in the tooltip
        # (the window's: True on a laptop or projector layout, where a paragraph of 24-px
        # type under the diagram left the plots 25-80 px)
        self.compact_when: Callable[[], bool] = lambda: False
        self.compact = False
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), palette.NOTICE)
        pal.setColor(self.foregroundRole(), palette.TEXT)
        self.setPalette(pal)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(12, 4, 8, 4)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(0, 1)
        self.rows: list[tuple[QLabel, QToolButton]] = []
        self.setToolTip("What the diagnosis finds in the pass shown and the training so far "
                        "(the rules and their thresholds are in the README)")
        session.pass_changed.connect(self.refresh)
        session.experiment_changed.connect(self.refresh)
        session.trained.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        if not self.wanted:
            return
        findings = self.session.diagnosis()
        compact = self.compact_when()
        if findings == self.findings and compact == self.compact and self.rows:
            return
        self.findings, self.compact = findings, compact
        while len(self.rows) < len(findings):
            text = QLabel(self)
            text.setObjectName("diagnosisLine")
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setStyleSheet("color: black;")
            button = QToolButton(self)
            button.setText("Show me")
            row = len(self.rows)
            button.clicked.connect(lambda _c=False, r=row: self._on_show_me(r))
            self.grid.addWidget(text, row, 0)
            self.grid.addWidget(button, row, 1, Qt.AlignmentFlag.AlignTop)
            self.rows.append((text, button))
        for k, (text, button) in enumerate(self.rows):
            shown = k < len(findings)
            text.setVisible(shown)
            button.setVisible(shown)
            if shown:
                f = findings[k]
                text.setText(f"<b>{NAMES[f.kind]}</b> ({layer_list(f.layers)})" if compact
                             else f"<b>{NAMES[f.kind]}.</b> {escape(f.evidence)}")
                text.setToolTip(line(f) if compact else "")
                button.setToolTip(f"Select the evidence of “{NAMES[f.kind].lower()}” in the "
                                  "diagram and bring its plot to the front"
                                  + (" (D)" if k == 0 else ""))  # D: the first line's
        self.setVisible(bool(findings) and self.wanted)

    def set_wanted(self, wanted: bool) -> None:
        """Show the strip when there is a finding (True), or never (False)."""
        if wanted == self.wanted:
            return
        self.wanted = wanted
        if wanted:
            self.findings = []  # refresh() writes the lines again
            self.refresh()
        else:
            self.hide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.wanted and self.compact_when() != self.compact:
            self.refresh()  # the window's layout changed (projector mode left, say)

    def _on_show_me(self, row: int) -> None:
        if row < len(self.findings):
            self.show_me.emit(self.findings[row])

    def lines(self) -> list[str]:
        """The lines shown, as plain text (tests)."""
        if not self.isVisibleTo(self.parentWidget()):
            return []
        return [f"{NAMES[f.kind]} ({layer_list(f.layers)})" if self.compact else line(f)
                for f in self.findings]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
