"""Run by test_real_window.py in a child process on a real X server (Xvfb).

Shows the main window, steps to the end of the backward pass, grabs the X screen and
prints JSON: for each neuron, where the scene says it is on screen, the colour the
scene gave it, and the colour of the screen's pixel there.
"""

import json
import sys

from PySide6.QtCore import QElapsedTimer
from PySide6.QtWidgets import QApplication

from vanishgui.cli.window import build_window
from vanishgui.ui.model.session import Session

app = QApplication(sys.argv[:1])
window = build_window(Session(), restore=False)
window.resize(1600, 900)
window.show()
timer = QElapsedTimer()
timer.start()
while not window.windowHandle().isExposed() and timer.elapsed() < 10_000:
    app.processEvents()
s = window.session
s.seek(s.trace.phase_start["update"])
scene = window.diagram.scene
scene._finish_fade()
for _ in range(50):
    app.processEvents()
view = window.diagram.view
shot = app.primaryScreen().grabWindow(0).toImage()
neurons = []
for item in scene.neuron_items:
    for j, c in enumerate(item.centres):
        p = view.viewport().mapToGlobal(view.mapFromScene(float(c[0]), float(c[1])))
        ratio = shot.devicePixelRatio()
        px = shot.pixelColor(int(p.x() * ratio), int(p.y() * ratio))
        neurons.append({"layer": item.layer, "neuron": j, "x": p.x(), "y": p.y(),
                        "expected": item.fills[j].name(), "screen": px.name()})
print(json.dumps({"platform": app.platformName(), "screen": [shot.width(), shot.height()],
                  "neurons": neurons}))
window.close()
