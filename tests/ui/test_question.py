"""Predict, then reveal in the lesson panel: a scene's question holds back its action until
the class answers (keys 1–4 or a click) or Page Down skips it, and the answer revealed
afterwards is the core's number for the state on screen, marked on the choice that holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from vanishgui.core.numbers import num, ratio
from vanishgui.core.question import evaluate
from vanishgui.core.report import layer_rows
from vanishgui.ui.lesson.panel import RIGHT, WRONG
from vanishgui.ui.lesson.player import apply_lesson_cli, install, read_lesson

SHARE = {"ask": "How much of the output's gradient reaches layer 1?", "quantity": "ratio:1",
         "choices": [{"label": "less than 1/1000", "range": [0, 0.001]},
                     {"label": "1/1000 to 1/10", "range": [0.001, 0.1]},
                     {"label": "more than 1/10", "range": [0.1, None]}]}
LOSS = {"ask": "Where is the loss after 20 steps?", "quantity": "loss",
        "choices": [{"label": "above 0.1", "range": [0.1, None]},
                    {"label": "0.01 to 0.1", "range": [0.01, 0.1]},
                    {"label": "below 0.01", "range": [0, 0.01]}]}
DEEPER = {"ask": "With 5 hidden layers, what share reaches layer 4?", "quantity": "ratio:4",
          "choices": [{"label": "less than 1/10", "range": [None, 0.1]},
                      {"label": "1/10 or more", "range": [0.1, None]}]}


def scenes() -> list[dict]:
    return [
        {"title": "Start", "text": "A chain.", "experiment": {"example": "classic"}},
        {"title": "Guess the share", "text": "Ten sigmoid layers.",
         "experiment": {"example": "deep-chain-sigmoid"}, "show": {"at": "loss"},
         "actions": [{"do": "play", "phase": "backward"}], "question": SHARE},
        {"title": "Guess the loss", "text": "Train it.", "experiment": {"example": "classic"},
         "actions": [{"do": "play", "phase": "step"}, {"do": "train", "steps": 20}],
         "question": LOSS},
        {"title": "Deeper", "text": "Add layers.",
         "experiment": {"example": "deep-chain-sigmoid"},
         "actions": [{"do": "deepen", "hidden_layers": [2, 5], "auto": True}],
         "question": DEEPER},
    ]


@pytest.fixture
def lesson_file(tmp_path: Path) -> Path:
    doc = {"format": "vanishgui-lesson", "version": 1, "title": "Guess first",
           "scenes": scenes()}
    path = tmp_path / "guess.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def player(window, lesson_file):
    p = install(window)
    p.instant = True
    assert p.open_path(lesson_file)
    return p


def press(qtbot, window, key) -> None:
    qtbot.keyClick(window.diagram.view, key)


def wait_idle(qtbot, player) -> None:
    qtbot.waitUntil(lambda: player.running is None, timeout=20_000)


def answer_keys(window) -> list[tuple[bool, int]]:
    """(enabled, how many keys) of the four answer actions."""
    acts = [window.actions_by_name[f"lesson_answer_{k}"] for k in range(1, 5)]
    return [(a.isEnabled(), len(a.shortcuts())) for a in acts]


def test_the_keys_1_to_4_are_free_while_no_question_waits(window, player, qtbot) -> None:
    s = window.session
    assert player.index == 0 and not player.asking
    assert answer_keys(window) == [(False, 0)] * 4
    press(qtbot, window, Qt.Key.Key_2)
    assert player.index == 0 and s.position == 0 and player.done == 0
    panel = player.panel
    assert panel.question.isHidden() and panel.choices == [] and panel.reveal.isHidden()


def test_a_question_blocks_its_action_until_the_class_answers(window, player, qtbot) -> None:
    s = window.session
    press(qtbot, window, Qt.Key.Key_PageDown)
    assert player.index == 1
    scene = player.scene
    panel = player.panel
    loss_end = s.trace.phase_range("loss")[1]
    # the question is shown, its choices numbered, and nothing has run
    assert player.asking and player.done == 0 and s.position == loss_end
    assert panel.question.isVisible() and panel.question.text() == SHARE["ask"]
    assert [b.text() for b in panel.choices] == ["1   less than 1/1000", "2   1/1000 to 1/10",
                                                 "3   more than 1/10"]
    assert all(b.isEnabled() for b in panel.choices)
    assert panel.choices[0].height() >= 2 * panel.choices[0].fontMetrics().height()
    assert panel.reveal.isHidden()
    assert panel.coming.text().startswith("Keys 1–3 (or a click): the class's answer, then "
                                          "play the backward pass.")
    assert answer_keys(window) == [(True, 1)] * 3 + [(False, 0)]  # three choices
    press(qtbot, window, Qt.Key.Key_4)  # no fourth choice: nothing happens
    assert player.asking and player.done == 0 and s.position == loss_end

    press(qtbot, window, Qt.Key.Key_2)  # the class's guess: 1/1000 to 1/10
    wait_idle(qtbot, player)
    assert player.guess == 1 and player.done == 1 and not player.asking
    assert s.position == s.trace.phase_range("backward")[1]  # the action ran
    assert answer_keys(window) == [(False, 0)] * 4  # the keys are free again
    assert not any(b.isEnabled() for b in panel.choices)

    # the answer is the core's share for the pass on screen, and for the scene's network
    share = layer_rows(s.current)[0]["ratio"]
    assert share == layer_rows(scene.experiment.trainer().preview())[0]["ratio"]
    answer = panel.answer
    assert answer is not None and answer.value == share
    holder = next(k for k, c in enumerate(scene.question.choices) if c.holds(share))
    assert answer.holder == holder == 0  # ten sigmoid layers pass on less than 1/1000
    assert panel.reveal.isVisible()
    assert panel.reveal.text() == (
        f"Layer 1's mean |∂L/∂W| is {ratio(share)} of the output layer's. It is "
        "in choice 1, “less than 1/1000”. The class chose 2: wrong.")
    assert panel.choices[0].text().startswith(f"{RIGHT} 1")
    assert panel.choices[1].text().startswith(f"{WRONG} 2")
    assert not panel.choices[2].text().startswith((RIGHT, WRONG))
    press(qtbot, window, Qt.Key.Key_PageDown)  # on to the next scene
    assert player.index == 2 and panel.reveal.isHidden()


def test_page_down_skips_the_question_and_runs_the_action(window, player, qtbot) -> None:
    s = window.session
    player.go_to(1)
    assert player.asking
    press(qtbot, window, Qt.Key.Key_PageDown)  # a clicker: no number keys
    wait_idle(qtbot, player)
    assert player.guess is None and player.done == 1
    assert s.position == s.trace.phase_range("backward")[1]
    share = layer_rows(s.current)[0]["ratio"]
    panel = player.panel
    assert panel.answer.value == share and panel.answer.holder == 0
    assert panel.reveal.text().endswith("It is in choice 1, “less than 1/1000”. No guess "
                                        "was made.")
    assert panel.choices[0].text().startswith(f"{RIGHT} 1")
    assert not any(b.text().startswith(WRONG) for b in panel.choices)
    press(qtbot, window, Qt.Key.Key_PageUp)  # back and forth: the scene asks again
    press(qtbot, window, Qt.Key.Key_PageDown)
    assert player.index == 1 and player.asking and player.done == 0
    assert panel.reveal.isHidden() and all(b.isEnabled() for b in panel.choices)
    assert not any(b.text().startswith((RIGHT, WRONG)) for b in panel.choices)


def test_a_click_answers_and_the_reveal_waits_for_every_action(window, player,
                                                               qtbot) -> None:
    s = window.session
    player.go_to(2)  # play the step, then train 20 steps: the loss is revealed after both
    panel = player.panel
    assert player.asking
    qtbot.mouseClick(panel.choices[1], Qt.MouseButton.LeftButton)
    wait_idle(qtbot, player)
    assert player.guess == 1 and player.done == 1 and not player.revealed
    assert panel.reveal.isHidden() and s.trainer.step_count == 0
    press(qtbot, window, Qt.Key.Key_PageDown)  # the training
    wait_idle(qtbot, player)
    assert s.trainer.step_count == 20 and player.revealed
    trainer = player.scene.experiment.trainer()
    trainer.train(20)
    loss = trainer.preview().loss
    assert s.current.loss == loss
    answer = panel.answer
    assert answer.value == loss
    holder = next(k for k, c in enumerate(player.scene.question.choices) if c.holds(loss))
    assert answer.holder == holder
    assert answer == evaluate(player.scene.question, s.current, s.trainer.history)
    verdict = "right" if holder == 1 else "wrong"
    assert panel.reveal.text() == (
        f"The loss is {num(loss)}. It is in choice {holder + 1}, "
        f"“{LOSS['choices'][holder]['label']}”. The class chose 2: {verdict}.")
    assert panel.choices[holder].text().startswith(f"{RIGHT} {holder + 1}")
    s.train_step()  # trained on by hand: the answer follows the loss on screen
    assert s.trainer.step_count == 21 and s.current.loss != loss
    assert panel.answer.value == s.current.loss
    assert panel.reveal.text().startswith(f"The loss is {num(s.current.loss)}.")


def test_the_question_waits_until_the_auto_steps_have_run(window, player, qtbot) -> None:
    s = window.session
    player.go_to(3)  # the first depth is shown as the scene opens
    wait_idle(qtbot, player)
    assert len(player.rows) == 1 and player.asking
    assert s.experiment.layers == (1,) * 4
    press(qtbot, window, Qt.Key.Key_1)
    wait_idle(qtbot, player)
    assert s.experiment.layers == (1,) * 7 and player.revealed
    share = layer_rows(s.current)[3]["ratio"]
    deepest = player.scene.actions[0].experiments[-1]
    assert share == layer_rows(deepest.trainer().preview())[3]["ratio"]
    assert player.panel.answer.value == share
    assert player.panel.answer.holder == (0 if share < 0.1 else 1)


def test_a_scene_run_to_its_end_reveals_without_a_guess(window, lesson_file) -> None:
    player = apply_lesson_cli(window, read_lesson(lesson_file), 1, run_steps=True)
    assert player.revealed and player.guess is None
    share = layer_rows(window.session.current)[0]["ratio"]
    assert player.panel.answer.value == share
    assert player.panel.reveal.text().endswith("No guess was made.")


def test_the_choices_and_the_answer_scroll_into_view_in_a_short_column(window, qtbot,
                                                                       tmp_path) -> None:
    """A long text and the depth table above them: the column scrolls so the class sees
    the choices while it is asked, and the answer once revealed."""
    root = Path(__file__).resolve().parents[2]
    player = install(window)
    player.open_path(root / "resources/lessons/vanishing-gradient.json")
    player.instant = True
    scene = next(s for s in player.lesson.scenes if s.question is not None)
    window.resize(1200, 560)  # a short column: the scene cannot fit
    player.go_to(scene.index)
    panel = player.panel
    qtbot.waitUntil(lambda: panel.scroll.verticalScrollBar().maximum() > 0, timeout=3000)

    def shown(widget) -> bool:
        viewport = panel.scroll.viewport()
        top = widget.mapTo(viewport, widget.rect().topLeft()).y()
        return top >= 0 and top + widget.height() <= viewport.height()

    qtbot.waitUntil(lambda: shown(panel.choices[-1]), timeout=3000)
    player.finish_scene()
    qtbot.waitUntil(lambda: panel.reveal.isVisible() and shown(panel.reveal), timeout=3000)
