"""Self-checks: a learner's answer judged right or wrong, and why, without giving it away (introduced in lesson 01).

Each question has an id, the right answer, what to say when it is right, and hints for
the wrong answers learners typically give. ``check("01-parameters", answer)`` prints the
verdict; a cell that still holds the placeholder ``...`` gets a reminder, not an error.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class Question:
    """One question: its answer ("whole", "number" or "array"), the reason when right, hints when wrong.

    A share (a number between 0 and 1) is also accepted as a percentage. An answer that depends on
    the learner's own run is a function of it (`results`), as are its hints, and `right` may name it.
    """

    kind: str
    answer: object
    right: str
    wrong: str
    hints: tuple[tuple[object, str], ...] | object = field(default=())
    tolerance: float = 0.0
    share: bool = False


@dataclass(frozen=True)
class Verdict:
    """What check() says: correct is True, False, or None when there is no usable answer yet."""

    correct: bool | None
    message: str

    def __str__(self) -> str:
        return self.message


_ONE_HOT_3 = (0, 0, 0, 1, 0, 0, 0, 0, 0, 0)

QUESTIONS: dict[str, Question] = {
    "01-parameters": Question(
        kind="whole",
        answer=784 * 32 + 32 + 32 * 10 + 10,
        right="784 × 32 + 32 for the hidden layer plus 32 × 10 + 10 for the output layer: "
        "about 26 times fewer parameters than our network.",
        wrong="Count each dense layer as inputs × neurons (the weights) plus neurons (one bias each), "
        "then add the two layers.",
        hints=(
            (784 * 32 + 32 * 10, "You counted the weights; every neuron also has one bias."),
            (784 * 32 + 32, "That is the hidden layer alone; add the output layer's weights and biases."),
            (32 * 10 + 10, "That is the output layer alone; add the hidden layer's weights and biases."),
            (784 * 32 * 10, "Layers add up, they don't multiply: count each layer on its own, then add."),
        ),
    ),
    "01-one-hot": Question(
        kind="array",
        answer=_ONE_HOT_3,
        right="ten entries, one per digit, all 0 except a 1 in position 3 (the fourth, counting from 0).",
        wrong="A one-hot label has one entry per category, all 0 except a single 1 at the position of the digit.",
        hints=(
            ((0, 0, 1, 0, 0, 0, 0, 0, 0, 0), "One place too early: positions count from 0, so digit 0 is the first."),
            ((0, 0, 0, 0, 1, 0, 0, 0, 0, 0), "One place too late: positions count from 0, so digit 0 is the first."),
        ),
    ),
    "01-batches": Question(
        kind="whole",
        answer=math.ceil(50000 / 32),
        right="50,000 / 32 = 1,562.5: 1,562 full batches of 32 images, and one last batch "
        "of the 16 images left over, which is also one adjustment.",
        wrong="The weights are adjusted once per batch; how many batches of 32 does it take to cover 50,000 images?",
        hints=(
            (1562, "Close: 1,562 full batches leave 16 images, and they make one more, smaller batch."),
            (391, "That is the number for batch_size=128, the one fit used; the question asks about 32."),
            (1875, "That would be for all 60,000 training images; the network learns from 50,000."),
            (50000, "That would be one adjustment per image; Keras adjusts once per batch."),
            (50000 / 32, "There is no half an adjustment: the last 16 images make one more, smaller batch."),
        ),
    ),
    "01-loss": Question(
        kind="number",
        answer=-math.log(0.25),
        tolerance=0.005,
        right="−ln 0.25 ≈ 1.386: worse than a network that is sure of the right digit (loss 0), "
        "better than one that guesses evenly among ten (≈ 2.303).",
        wrong="For one image, the categorical cross-entropy is minus the natural logarithm of the "
        "probability the network gives the right digit; math.log is the natural logarithm.",
        hints=(
            (0.25, "That is the probability itself; the loss is −ln of it."),
            (math.log(0.25), "The sign: ln of a probability is negative, and the loss is minus that."),
            (-math.log10(0.25), "That uses log base 10; cross-entropy uses the natural logarithm (math.log)."),
            (0.75, "That is 1 minus the probability; the loss is −ln of the probability."),
        ),
    ),
    "01-best-epoch": Question(
        kind="whole",
        answer=lambda results: int(np.nanargmin(results["val_loss"])) + 1,
        right="epoch {answer}: its val_loss is the lowest of the run. Epochs count from 1, as fit's log does "
        "(Epoch 1/10), and history's lists from 0.",
        wrong="Find the smallest number in history.history['val_loss']; its position in the list, counted from 1 "
        "as fit's log counts epochs, is the epoch.",
        hints=lambda results: (
            (int(np.nanargmin(results["val_loss"])), "Python counts positions from 0, fit's log counts epochs from 1."),
            (
                int(np.nanargmin(results["loss"])) + 1,
                "That is where the training loss is lowest; the question asks "
                "about val_loss, the loss on the validation images.",
            ),
        ),
    ),
    "02-mistakes": Question(
        kind="whole",
        answer=168,
        right="(1 − 0.9832) × 10,000 = 168 images read wrong.",
        wrong="Accuracy is the share read right; the rest of the 10,000 images are the mistakes.",
        hints=(
            (9832, "That is the number read right; the question asks for the mistakes."),
            (0.0168, "That is the share of mistakes; the question asks how many images that is."),
        ),
    ),
    "02-row-share": Question(
        kind="number",
        answer=963 / 1009,
        tolerance=0.0005,
        share=True,
        right="963 / 1009 ≈ 0.954: the diagonal cell divided by its row's total, all the 8s there are.",
        wrong="The share of 8s read correctly is the diagonal cell (8s read as 8) divided by "
        "the number of 8s, which is the sum of the whole row.",
        hints=(
            (963, "That is how many 8s were read correctly; divide by how many 8s there are."),
            (0.963, "That divides by 1,000, but the row holds a different number of 8s: add it up."),
            (46 / 1009, "That is the share of 8s read wrong; the question asks for the share read right."),
        ),
    ),
    "03-output-size": Question(
        kind="whole",
        answer=28 - 5 + 1,
        right="the 5 × 5 filter fits in 28 − 5 + 1 = 24 positions along each row (and each column), "
        "so its output is 24 × 24.",
        wrong="Without padding the filter must lie entirely inside the image: count the positions "
        "its left edge can take in a row of 28 pixels.",
        hints=(
            (28, "That would need padding: without it, the filter cannot be centred on the border pixels."),
            (23, "One too few: the filter can start at position 0 and at position 23, and at every one in between."),
            (26, "That is the answer for a 3 × 3 filter; this one is 5 × 5."),
        ),
    ),
    "03-conv-parameters": Question(
        kind="whole",
        answer=3 * 3 * 16 * 64 + 64,
        right="each of the 64 filters has 3 × 3 weights for each of the 16 channels it reads, "
        "plus one bias: 3 × 3 × 16 × 64 + 64 = 9,280.",
        wrong="A filter has kernel height × kernel width weights for every channel it reads, plus one bias; "
        "then count the filters.",
        hints=(
            (3 * 3 * 64 + 64, "Each filter reads all 16 channels of the layer before, with 3 × 3 weights for each."),
            (3 * 3 * 16 * 64, "You counted the weights; every filter also has one bias."),
            (13 * 13 * 16 * 64 + 64, "A filter's weights do not depend on the image size: 3 × 3 wherever it slides."),
        ),
    ),
    "04-one-step-rate": Question(
        kind="number",
        answer=0.5,
        tolerance=1e-9,
        right="the slope is 2 × (w − w*), so a step of 0.5 × slope moves w by exactly w − w*, onto the minimum, "
        "from wherever it starts. Smaller rates stop short of it, larger ones overshoot, and beyond 1 every step "
        "lands farther away than the last.",
        wrong="Write one step as w − rate × 2 × (w − w*) and find the rate that makes the result w*, whatever w is.",
        hints=(
            (
                1.0,
                "With 1, the step is 2 × (w − w*): twice too far. w lands on the other side, as far from w* as it "
                "started, and stays bouncing there.",
            ),
            (2.0, "That moves w by 4 × (w − w*): far past the minimum, and farther with every step."),
            (0.25, "That moves w halfway to w*, not all the way."),
            (
                0.4,
                "0.4 was about right in the figure, but not exact: it moves w by 0.8 × (w − w*), 80 % of the way, "
                "so it needs several steps.",
            ),
        ),
    ),
    "04-logit-gradient": Question(
        kind="array",
        answer=(0.1, -0.3, 0.2),
        tolerance=1e-6,
        right="probabilities minus the one-hot label: [0.1, 0.7, 0.2] − [0, 1, 0] = [0.1, −0.3, 0.2]. A step "
        "downhill goes against it: it raises the right class's logit and lowers the others, each in proportion to "
        "the probability it wrongly took.",
        wrong="The gradient of the cross-entropy with respect to the logits is the probabilities minus the one-hot "
        "label; write the label as three numbers first.",
        hints=(
            ((-0.1, 0.3, -0.2), "The sign: it is probabilities minus label, not label minus probabilities."),
            ((0.1, 0.7, 0.2), "Those are the probabilities; subtract the one-hot label from them."),
            ((0.0, -0.3, 0.0), "Every class with some probability has a gradient too, not only the right one."),
            ((0.1, 0.3, 0.2), "The right class's label is 1, so its entry is 0.7 − 1: negative."),
        ),
    ),
}


def _malformed(q: Question, answer) -> str | None:
    """Why an answer cannot be compared, or None when it can."""
    kind = q.kind
    shown = f"{answer!r} ({type(answer).__name__})"
    if kind in ("whole", "number"):
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            example = "1234" if kind == "whole" else "0.25"
            return f"Expected a number such as {example}, without quotes or thousands separators; got {shown}."
        if not math.isfinite(answer):
            return f"Expected a finite number; got {shown}."
        # A computed count such as (1 - 0.9832) * 10000 lands a hair off the whole number: accept it.
        typical = any(math.isclose(answer, wrong, rel_tol=0, abs_tol=1e-9) for wrong, _ in q.hints)
        if kind == "whole" and abs(answer - round(answer)) > 1e-6 and not typical:
            return f"Expected a whole number (this one counts things); got {shown}."
        return None
    try:
        array = np.asarray(answer)
    except (TypeError, ValueError):
        return f"Expected a list or array of numbers; got {shown}."
    if array.dtype.kind not in "biuf":
        return f"Expected a list or array of numbers, such as [0, 1, 0]; got {shown}."
    return None


def _written(number) -> Decimal:
    """A number as the learner wrote it: a float32 such as np.float32(1.4) as 1.4, not 1.399999976158142."""
    if isinstance(number, np.floating) and number.dtype.itemsize < 8:
        return Decimal(str(number))  # NumPy prints the shortest text that gives back the same float32
    return Decimal(repr(float(number)))


def _decimals(number) -> int:
    """How many decimals a learner wrote: 1.4 has one, 0.955 three, 95 none."""
    exponent = _written(number).normalize().as_tuple().exponent
    return max(0, -exponent)


def _for_this_run(name: str, q: Question, results) -> Question:
    """The question with its answer and hints worked out from the learner's own results, where they depend on it."""
    if not callable(q.answer):
        return q
    results = getattr(results, "history", results)  # a History from fit(), or its dict
    if not isinstance(results, dict):
        raise TypeError(
            f"check({name!r}, answer, history) needs the History that fit() returned as its third argument; "
            f"got {type(results).__name__}"
        )
    if not all(np.isfinite(results.get(key, [np.nan])).any() for key in ("loss", "val_loss")):
        raise ValueError(
            f"check({name!r}, answer, history): this History has no usable val_loss; "
            "train with validation_data=(x_valid, y_valid), as the lesson does, then check again"
        )
    answer = q.answer(results)
    hints = tuple((wrong, hint) for wrong, hint in q.hints(results) if wrong != answer)
    return replace(q, answer=answer, hints=hints, right=q.right.format(answer=answer))


def _rounded_right(q: Question, answer) -> int | None:
    """How many decimals an answer gave, when it is the right one rounded to them (not precise enough to judge)."""
    decimals = _decimals(answer)
    if q.kind != "number" or decimals == 0 or decimals > 6:
        return None
    written = float(_written(answer))
    return decimals if math.isclose(round(q.answer, decimals), written, rel_tol=0, abs_tol=1e-9) else None


def verdict(question: str, answer, results=None) -> Verdict:
    """Judge an answer to one of QUESTIONS without revealing the right one; check() prints the verdict."""
    if question not in QUESTIONS:
        raise KeyError(f"no self-check called {question!r}; the questions are: {', '.join(QUESTIONS)}")
    if answer is Ellipsis:
        return Verdict(None, "No answer yet: replace the ... with your answer, then run this cell again.")
    q = _for_this_run(question, QUESTIONS[question], results)
    problem = _malformed(q, answer)
    if problem:
        return Verdict(None, problem)
    if q.kind == "array":
        given, expected = np.asarray(answer, dtype=float), np.asarray(q.answer, dtype=float)
        if given.shape != expected.shape:
            return Verdict(False, f"Not yet: your answer has shape {given.shape}. {q.wrong}")
        # Computed answers such as 0.7 - 1 land a hair off the exact value: the tolerance accepts them.
        if np.allclose(given, expected, rtol=0, atol=q.tolerance):
            return Verdict(True, f"Right: {q.right}")
        for wrong, hint in q.hints:
            if np.allclose(given, np.asarray(wrong, dtype=float), rtol=0, atol=max(q.tolerance, 1e-9)):
                return Verdict(False, f"Not yet. {hint}")
        return Verdict(False, f"Not yet. {q.wrong}")
    if q.kind == "whole" and abs(answer - round(answer)) <= 1e-6:
        answer = round(answer)
    if math.isclose(answer, q.answer, rel_tol=0, abs_tol=q.tolerance):
        return Verdict(True, f"Right: {q.right}")
    decimals = _rounded_right(q, answer)
    if decimals is not None:
        return Verdict(
            None,
            f"Right to the {_places(decimals)} you gave, and too rounded to tell it from nearby wrong answers: "
            f"give {_places(decimals + 1)} or more.",
        )
    if q.share and 1 < answer <= 100:
        as_share = float(_written(answer) / 100)  # 1.07 % is the share 0.0107 exactly, as written
        if math.isclose(as_share, q.answer, rel_tol=0, abs_tol=q.tolerance):
            return Verdict(True, f"Right, as a percentage ({answer:g} % is the share {as_share:g}): {q.right}")
        if _rounded_right(q, as_share) is not None and _decimals(answer) + 2 == _decimals(as_share):
            places = _places(_decimals(answer))
            return Verdict(
                None,
                f"Right as a percentage to the {places} you gave, and too rounded to tell: "
                "give the share, a number between 0 and 1, with three decimals or more.",
            )
    for wrong, hint in q.hints:
        if math.isclose(answer, wrong, rel_tol=0, abs_tol=max(q.tolerance, 1e-9)):
            return Verdict(False, f"Not yet. {hint}")
    return Verdict(False, f"Not yet. {q.wrong}")


def _places(decimals: int) -> str:
    """'one decimal', 'two decimals', ... as a sentence says it."""
    if decimals == 0:
        return "whole number"
    words = ("one", "two", "three", "four", "five", "six", "seven")
    return f"{words[decimals - 1]} decimal{'s' if decimals > 1 else ''}"


def check(question: str, answer, results=None) -> None:
    """Print whether an answer to a self-check is right, and why, or a hint when it is not (lesson 01).

    A question about your own run (which epoch was best, say) also takes the History that fit() returned.
    """
    print(verdict(question, answer, results).message)
