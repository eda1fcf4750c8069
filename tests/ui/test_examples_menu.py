"""File → Examples and the first run's offer of the deep chain (issue 16): every shipped
example and each lesson's networks, opened as templates (Save asks for a new name)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QPushButton

from vanishgui.core.experiment import load_experiment
from vanishgui.core.lesson import load_lesson
from vanishgui.ui.model.describe import network_summary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources/examples"
LESSONS = ROOT / "resources/lessons"


def menu_tree(menu) -> dict:
    out = {}
    for act in menu.actions():
        out[act.text()] = menu_tree(act.menu()) if act.menu() else act
    return out


def test_every_example_and_every_lesson_is_in_the_menu(window) -> None:
    window.fill_examples()
    tree = menu_tree(window.examples_menu)
    files = sorted(EXAMPLES.glob("*.json"))
    for path in files:
        label = f"{path.stem}  —  {network_summary(load_experiment(path))}"
        assert label in tree, label
    lessons = sorted(LESSONS.glob("*.json"))
    subs = {k: v for k, v in tree.items() if k.startswith("Lesson: ")}
    assert len(subs) == len(lessons) and len(tree) == len(files) + len(lessons)
    for path in lessons:
        lesson = load_lesson(path, EXAMPLES)
        items = subs[f"Lesson: {lesson.title}"]
        # one item per distinct network, the first scene that shows it
        distinct = {json.dumps(s.experiment.to_json(), sort_keys=True) for s in lesson.scenes}
        assert len(items) == len(distinct)
        assert next(iter(items)).startswith(f"Scene 1: {lesson.scenes[0].title}")
    window.fill_examples()  # a second opening adds nothing
    assert len(menu_tree(window.examples_menu)) == len(tree)


def test_the_summary_counts_hidden_layers() -> None:
    chain = load_experiment(EXAMPLES / "deep-chain-sigmoid.json")
    assert network_summary(chain) == "9 hidden sigmoid layers of 1 · 1 sample"
    circles = load_experiment(EXAMPLES / "deep-sigmoid-circles.json")
    assert network_summary(circles) == "6 hidden sigmoid layers of 8 · circles, 200 samples"


def test_an_example_opens_as_a_template(window) -> None:
    window.fill_examples()
    tree = menu_tree(window.examples_menu)
    (label,) = [k for k in tree if k.startswith("deep-chain-relu  —")]
    tree[label].trigger()
    s = window.session
    assert s.path is None  # Save asks for a name; the shipped file is never overwritten
    assert s.experiment.to_json() == load_experiment(EXAMPLES / "deep-chain-relu.json").to_json()


def test_a_lesson_network_opens_as_a_new_experiment(window) -> None:
    window.fill_examples()
    tree = menu_tree(window.examples_menu)
    lesson = load_lesson(LESSONS / "vanishing-gradient.json", EXAMPLES)
    items = tree[f"Lesson: {lesson.title}"]
    scene = next(s for s in lesson.scenes if s.index > 0
                 and s.experiment.to_json() != lesson.scenes[0].experiment.to_json())
    (label,) = [k for k in items if k.startswith(f"Scene {scene.index + 1}: ")]
    items[label].trigger()
    assert window.session.path is None
    assert window.session.experiment.to_json() == scene.experiment.to_json()
    assert scene.title in window.transport.status.text()


def test_the_first_run_offers_the_deep_chain(window, qtbot) -> None:
    window.offer_examples()
    button = window.findChild(QPushButton, "firstRunOffer")
    assert button is not None and button.isVisible()
    assert "deep chain" in button.text()
    button.click()
    assert window.session.experiment.depth - 1 == 9
    assert window.first_run_offer is None
    qtbot.waitUntil(lambda: window.findChild(QPushButton, "firstRunOffer") is None)
