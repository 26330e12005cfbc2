"""Tests of mnist_lesson.checks: right, wrong and malformed answers, and verdicts that never give the answer away."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_lesson import checks
from mnist_lesson.checks import QUESTIONS, check, verdict


def test_the_answers_are_the_ones_the_lessons_teach():
    # Worked out independently of the module, the way a learner would.
    assert QUESTIONS["01-parameters"].answer == 25450
    assert list(QUESTIONS["01-one-hot"].answer) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert QUESTIONS["01-batches"].answer == 1563
    assert QUESTIONS["01-loss"].answer == pytest.approx(1.3863, abs=1e-4)
    assert QUESTIONS["02-row-share"].answer == pytest.approx(0.9544, abs=1e-4)
    assert QUESTIONS["03-output-size"].answer == 24
    assert QUESTIONS["03-conv-parameters"].answer == 9280
    assert QUESTIONS["04-one-step-rate"].answer == 0.5
    assert list(QUESTIONS["04-logit-gradient"].answer) == [0.1, -0.3, 0.2]
    assert QUESTIONS["01-best-epoch"].answer(RUN) == 4 and QUESTIONS["02-row-share"].share


#: A run as fit() reports it: val_loss lowest after epoch 4 (position 3), the training loss after epoch 5.
RUN = {"loss": [0.3, 0.2, 0.1, 0.05, 0.03], "val_loss": [0.2, 0.15, 0.1, 0.09, 0.11]}


@pytest.mark.parametrize(
    "question, answer",
    [
        ("01-parameters", 25450),
        ("01-parameters", np.int64(25450)),
        ("01-parameters", 25450.0),
        ("01-one-hot", [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("01-one-hot", np.eye(10, dtype="float32")[3]),
        ("01-batches", 1563),
        ("01-loss", math.log(4)),
        ("01-loss", 1.386),
        ("02-mistakes", 168),
        # Computed the natural way, it lands a hair off the whole number.
        ("02-mistakes", (1 - 0.9832) * 10000),
        ("02-row-share", 0.954),
        ("03-output-size", 24),
        ("03-conv-parameters", 9280),
        ("04-one-step-rate", 0.5),
        ("04-one-step-rate", 1 / 2),
        ("04-logit-gradient", [0.1, -0.3, 0.2]),
        # Computed the natural way, 0.7 - 1 is -0.30000000000000004: still right.
        ("04-logit-gradient", np.array([0.1, 0.7, 0.2]) - np.array([0, 1, 0])),
        ("04-logit-gradient", np.array([0.1, 0.7, 0.2], dtype="float32") - np.eye(3, dtype="float32")[1]),
    ],
)
def test_a_right_answer_is_confirmed_with_the_reason(question, answer):
    result = verdict(question, answer)
    assert result.correct is True
    assert result.message.startswith("Right: ") and result.message.endswith(QUESTIONS[question].right)


@pytest.mark.parametrize(
    "question, answer, hint",
    [
        ("01-parameters", 25408, "every neuron also has one bias"),
        ("01-parameters", 25120, "hidden layer alone"),
        ("01-one-hot", [0, 0, 1, 0, 0, 0, 0, 0, 0, 0], "One place too early"),
        ("01-batches", 1562, "16 images"),
        ("01-batches", 50000 / 32, "no half an adjustment"),
        ("01-loss", -1.386, "The sign"),
        ("01-loss", 0.602, "log base 10"),
        ("02-mistakes", 9832, "number read right"),
        ("02-row-share", 963, "divide by how many 8s"),
        ("03-output-size", 26, "3 × 3 filter"),
        ("03-conv-parameters", 640, "all 16 channels"),
        ("04-one-step-rate", 1, "twice too far"),
        ("04-one-step-rate", 0.4, "80 % of the way"),
        ("04-logit-gradient", [0.1, 0.3, 0.2], "0.7 − 1: negative"),
        ("04-logit-gradient", [-0.1, 0.3, -0.2], "The sign"),
        ("04-logit-gradient", np.array([0, 1, 0]) - np.array([0.1, 0.7, 0.2]), "The sign"),
        ("04-logit-gradient", [0.1, 0.7, 0.2], "subtract the one-hot label"),
    ],
)
def test_a_typical_wrong_answer_gets_its_own_hint(question, answer, hint):
    result = verdict(question, answer)
    assert result.correct is False and hint in result.message


@pytest.mark.parametrize(
    "question, answer",
    [
        ("01-parameters", 12345),
        ("01-one-hot", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("01-batches", 1564),
        ("01-loss", 2.302),
        ("02-mistakes", 169),
        ("02-row-share", 0.96),
        ("04-one-step-rate", 0.1),
        ("04-logit-gradient", [0.2, -0.3, 0.1]),
        ("04-logit-gradient", [0.1, -0.3001, 0.2]),
    ],
)
def test_any_other_wrong_answer_gets_the_general_hint(question, answer):
    result = verdict(question, answer)
    assert result == checks.Verdict(False, f"Not yet. {QUESTIONS[question].wrong}")


def test_no_verdict_reveals_the_answer():
    for name, question in QUESTIONS.items():
        run = RUN if callable(question.answer) else None
        answer = question.answer(RUN) if run else question.answer
        shown = {str(answer), f"{answer:,}" if question.kind == "whole" else ""} - {""}
        if question.kind == "number":
            shown = {f"{answer:.{digits}f}" for digits in (2, 3, 4)}
        if run:
            shown = {f"epoch {answer}", f"{answer}th"}
        for wrong in [12345, 0.5, [1] * 10, 1.4, 0.95, 3]:
            message = verdict(name, wrong, run).message
            assert not any(text in message for text in shown), (name, message)


def test_a_wrong_shape_is_named():
    result = verdict("01-one-hot", [0, 0, 0, 1])
    assert result.correct is False and "shape (4,)" in result.message


def test_the_placeholder_gets_a_reminder_not_an_error():
    assert verdict("01-parameters", ...) == checks.Verdict(
        None, "No answer yet: replace the ... with your answer, then run this cell again."
    )


@pytest.mark.parametrize(
    "question, answer, says",
    [
        ("01-parameters", "25,450", "without quotes or thousands separators; got '25,450' (str)"),
        ("01-parameters", 25450.5, "Expected a whole number"),
        ("01-parameters", True, "Expected a number"),
        ("01-loss", float("nan"), "Expected a finite number"),
        ("01-loss", None, "Expected a number such as 0.25"),
        ("01-one-hot", "0001000000", "Expected a list or array of numbers"),
        ("01-one-hot", [[0, 1], [1]], "Expected a list or array of numbers"),
        ("01-one-hot", ["0", "1"], "Expected a list or array of numbers"),
    ],
)
def test_a_malformed_answer_says_what_was_expected(question, answer, says):
    result = verdict(question, answer)
    assert result.correct is None and says in result.message


def test_an_unknown_question_lists_the_known_ones():
    with pytest.raises(KeyError, match="no self-check called '01-params'.*01-parameters"):
        verdict("01-params", 1)


def test_check_prints_the_verdict(capsys):
    check("01-batches", 1562)
    assert capsys.readouterr().out == "Not yet. " + QUESTIONS["01-batches"].hints[0][1] + "\n"


@pytest.mark.parametrize(
    "question, answer, says",
    [
        (
            "01-loss",
            1.4,
            "Right to the one decimal you gave, and too rounded to tell it from nearby wrong answers: "
            "give two decimals or more.",
        ),
        ("02-row-share", 0.95, "Right to the two decimals you gave"),
        ("02-row-share", 95, "Right as a percentage to the whole number you gave"),
    ],
)
def test_a_right_answer_rounded_too_far_to_judge_asks_for_more_decimals(question, answer, says):
    for given in (answer, np.float32(answer)):  # a NumPy result too, as printing it shows it
        assert verdict(question, given).message == verdict(question, answer).message
    result = verdict(question, answer)
    assert result.correct is None and result.message.startswith(says)
    assert "Not yet" not in result.message and QUESTIONS[question].wrong not in result.message


@pytest.mark.parametrize("answer", [1.3, 1.5, 1.38, 1.0])
def test_a_rounded_answer_that_is_not_the_right_one_is_still_wrong(answer):
    assert verdict("01-loss", answer).correct is False


@pytest.mark.parametrize("answer", [95.4, 95.44, np.float32(95.4)])
def test_a_percentage_where_a_share_is_asked_is_accepted_with_a_note(answer):
    result = verdict("02-row-share", answer)
    assert result.correct is True
    assert result.message.startswith(f"Right, as a percentage ({answer:g} % is the share {answer / 100:g}): ")


def test_a_percentage_is_not_accepted_where_no_share_is_asked():
    assert verdict("01-loss", 13.86).correct is False  # a percentage of −ln 0.25 means nothing
    assert verdict("02-row-share", 96).correct is False and verdict("02-row-share", 0.96).correct is False


class History:
    """What fit() returns: the run's numbers are in .history."""

    history = RUN


@pytest.mark.parametrize(
    "answer, correct, says",
    [
        (4, True, "Right: epoch 4: its val_loss is the lowest of the run."),
        (3, False, "Python counts positions from 0"),
        (5, False, "where the training loss is lowest"),
        (2, False, "Find the smallest number in history.history['val_loss']"),
    ],
)
def test_which_epoch_was_best_is_judged_on_the_learners_own_run(answer, correct, says):
    for results in (History(), RUN):
        result = verdict("01-best-epoch", answer, results)
        assert result.correct is correct and says in result.message


def test_a_hint_that_is_the_right_answer_in_this_run_is_dropped():
    # When val_loss and loss are lowest in the same epoch, that epoch is right, not "the training loss".
    run = {"loss": [0.3, 0.2, 0.1], "val_loss": [0.3, 0.2, 0.1]}
    question = checks._for_this_run("01-best-epoch", QUESTIONS["01-best-epoch"], run)
    assert question.answer == 3 and [wrong for wrong, _ in question.hints] == [2]
    assert verdict("01-best-epoch", 3, run).correct is True


def test_a_run_without_validation_says_how_to_train_for_it():
    for run in ({"loss": [0.3, 0.2]}, {"loss": [0.3], "val_loss": [float("nan")]}):
        with pytest.raises(ValueError, match=r"no usable val_loss; train with validation_data"):
            verdict("01-best-epoch", 1, run)
    assert verdict("01-best-epoch", 2, {"loss": [0.3, 0.2], "val_loss": [0.5, float("nan")]}).correct is False


def test_the_placeholder_needs_no_history():
    assert verdict("01-best-epoch", ...).correct is None


def test_a_question_about_the_learners_run_says_what_it_needs():
    with pytest.raises(TypeError, match=r"needs the History that fit\(\) returned as its third argument; got NoneType"):
        verdict("01-best-epoch", 4)
