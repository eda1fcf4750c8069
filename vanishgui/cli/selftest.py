"""``vanishgui --self-test``: play the classic example in the real window and check that
every number shown equals the core's. Exit 0, or 1 with the reason."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from ..core.experiment import classic
from ..core.numbers import num


def run_self_test(window) -> int:
    app = QApplication.instance()
    session = window.session
    problems: list[str] = []
    try:
        session.set_experiment(classic(), modified=False)
        window.show()
        app.processEvents()
        scene = window.diagram.scene
        p = session.current
        for k in range(len(session.trace)):
            session.step_forward()
            app.processEvents()
            rv = session.reveal()
            for i in range(p.depth):
                text = scene.labels[i + 1][0].text()
                if rv.forward[i] and f"z = {num(p.z[i][0, 0])}" not in text:
                    problems.append(f"event {k + 1}: layer {i + 1} label {text!r} lacks z")
                if rv.delta[i] and f"δ = {num(p.delta[i][0, 0])}" not in text:
                    problems.append(f"event {k + 1}: layer {i + 1} label {text!r} lacks δ")
        if session.position != len(session.trace):
            problems.append(f"the player stopped at {session.position} of {len(session.trace)}")
        for _ in range(10):
            session.train_step()
            app.processEvents()
        if session.trainer.step_count != 10:
            problems.append(f"trained {session.trainer.step_count} steps instead of 10")
        reference = classic().trainer()
        reference.train(10)
        for a, b in zip(reference.network.weights, session.trainer.network.weights):
            if not (a == b).all():
                problems.append("weights after 10 steps differ from the core's")
    except Exception as e:  # a self-test reports every failure as a reason
        problems.append(f"{type(e).__name__}: {e}")
    window.close()
    if problems:
        print("self-test failed: " + "; ".join(problems[:5]), file=sys.stderr)
        return 1
    print("self-test passed: classic example played (13 events), 10 steps trained, "
          "numbers match the core")
    return 0
