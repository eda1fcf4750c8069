"""Preview: ``python -m vanishgui.ui.diagram [EXPERIMENT.json]`` shows the diagram alone."""

import sys

from PySide6.QtWidgets import QApplication

from ...core.experiment import classic, load_experiment
from ..model.session import Session
from .view import DiagramPanel

app = QApplication(sys.argv)
exp = load_experiment(sys.argv[1]) if len(sys.argv) > 1 else classic()
session = Session(exp)
panel = DiagramPanel(session)
panel.resize(1200, 700)
panel.show()
sys.exit(app.exec())
