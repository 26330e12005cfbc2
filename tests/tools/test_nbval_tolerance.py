"""Tests of tools/nbval_tolerance.py: the number-by-number comparison, and its use inside nbval (one kernel)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest

from mnist_lesson.paths import CHECKOUT
from tools import nbval_tolerance as tol

# ------------------------------------------------------------------ the comparison itself


def test_numbers_in_reads_integers_decimals_signs_and_exponents():
    assert tol.numbers_in("acc: 0.9812 - loss: 6.1e-02, epoch 5/5, delta -3") == [0.9812, 0.061, 5, 5, -3]


def test_mask_numbers_masks_text_and_keeps_other_fields():
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "accuracy: 0.9918\n"},
        {"output_type": "execute_result", "data": {"text/plain": "(0.5, 2)", "image/png": "iVBOR0"}},
    ]
    masked, numbers = tol.mask_numbers(outputs)
    assert numbers == [0.9918, 0.5, 2]
    assert masked[0]["text"] == "accuracy:<number>\n"
    assert masked[1]["data"] == {"text/plain": "(<number>,<number>)", "image/png": "iVBOR0"}
    assert outputs[0]["text"] == "accuracy: 0.9918\n"  # the originals are untouched


def test_padding_that_follows_a_numbers_width_is_not_layout():
    # NumPy right-aligns a matrix's columns: a count that gains a digit loses a space before it.
    stored, _ = tol.mask_numbers([{"output_type": "stream", "name": "stdout", "text": "[[ 9 10]\n [10  9]]\n"}])
    fresh, _ = tol.mask_numbers([{"output_type": "stream", "name": "stdout", "text": "[[10  9]\n [ 9 10]]\n"}])
    assert stored == fresh
    other, _ = tol.mask_numbers([{"output_type": "stream", "name": "stdout", "text": "[[10, 9]\n [ 9 10]]\n"}])
    assert other != stored  # a comma is not padding


@pytest.mark.parametrize(
    ("fresh", "ok"),
    [([0.9795], True), ([0.9835], True), ([0.9755], True), ([0.9846], False), ([0.9744], False)],
)
def test_compare_numbers_within_an_absolute_tolerance(fresh, ok):
    assert (tol.compare_numbers([0.9795], fresh, 0.005) == []) is ok


def test_compare_numbers_reports_a_different_count():
    assert tol.compare_numbers([1, 2], [1], 0.1) == ["stored output has 2 numbers, fresh output has 1"]


def test_check_minimums():
    text = "accuracy: 0.9918\nval_accuracy: 0.9695\n"
    assert tol.check_minimums(text, {"accuracy": 0.97}) == []
    assert tol.check_minimums(text, {"val_accuracy": 0.97}) == [
        "val_accuracy is 0.9695, below the required minimum 0.97"
    ]
    assert "no value printed for 'val_loss'" in tol.check_minimums(text, {"val_loss": 0.0})[0]


def test_check_maximums_for_claims_such_as_clearly_worse():
    text = "accuracy on new handwriting:     0.8737\naccuracy on MNIST's validation:  0.9763\n"
    assert tol.check_minimums(text, {}, {"accuracy on new handwriting": 0.95}) == []
    assert tol.check_minimums(text, {}, {"accuracy on MNIST's validation": 0.95}) == [
        "accuracy on MNIST's validation is 0.9763, above the allowed maximum 0.95"
    ]


# ------------------------------------------------------------------ counts and lists of predictions


def test_max_changed_excuses_that_many_numbers_and_no_more():
    stored, fresh = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9], [7, 2, 1, 0, 4, 1, 4, 9, 6, 9]
    assert tol.compare_numbers(stored, fresh, 0, max_changed=1) == []
    two_flipped = [7, 2, 1, 0, 4, 1, 4, 4, 6, 9]
    problems = tol.compare_numbers(stored, two_flipped, 0, max_changed=1)
    assert problems[-1] == "2 numbers changed beyond the tolerance; at most 1 may"


@pytest.mark.parametrize(
    ("fresh", "problem"),
    [
        ("[(9, 7), (4, 9), (8, 7)]", None),  # same items, another order
        ("[(9, 7), (4, 9), (3, 5)]", None),  # two of three shared
        ("[(9, 7), (2, 7), (3, 5)]", "the lists share 1 items, fewer than the required 2"),
        ("[(9, 7), (4, 9)]", "stored list has 3 items, fresh list has 2"),
        ("nothing to see", "needs a Python list"),
    ],
)
def test_compare_overlap_treats_printed_lists_as_sets(fresh, problem):
    problems = tol.compare_overlap("[(9, 7), (8, 7), (4, 9)]", fresh, 2)
    assert (problems == []) if problem is None else (problem in problems[0])


# ------------------------------------------------------------------ the add-on inside nbval, in one kernel

STORED = "accuracy: 0.9918\nval_accuracy: 0.9795\n"
FLOOR = {"tags": [tol.TAG], "nbval_minimum": {"val_accuracy": 0.97}}

#: (what the cell prints now, what it stored, its metadata, passes?, what the failure says)
CASES = {
    "identical": ("accuracy: 0.9918\nval_accuracy: 0.9795\n", STORED, FLOOR, True, ""),
    "last digits moved": ("accuracy: 0.9931\nval_accuracy: 0.9781\n", STORED, FLOOR, True, ""),
    "beyond the tolerance": ("accuracy: 0.9918\nval_accuracy: 0.9720\n", STORED, FLOOR, False, "differs by 0.0075"),
    "below the floor": ("accuracy: 0.9650\nval_accuracy: 0.9690\n", STORED, FLOOR, False, "below the required minimum"),
    "words changed": ("accuracy: 0.9918\nvalid_acc: 0.9795\n", STORED, FLOOR, False, "mismatch 'stdout'"),
    "a value went missing": ("accuracy: 0.9918\n", STORED, FLOOR, False, ""),
    "cell tolerance wins": (
        "accuracy: 0.9918\nval_accuracy: 0.9720\n",
        STORED,
        {**FLOOR, "nbval_tolerance": 0.01},
        True,
        "",
    ),
    "untagged is verbatim": ("accuracy: 0.9931\nval_accuracy: 0.9781\n", STORED, {}, False, ""),
}
#: Cells whose result is a printed list: compared as sets, or with a few numbers excused.
LIST_CASES = {
    "same pairs, another order": (
        "[(4, 9), (9, 7), (3, 5)]",
        "[(9, 7), (8, 7), (4, 9)]",
        {"nbval_min_overlap": 2},
        True,
    ),
    "too few pairs": ("[(1, 2), (3, 5)]", "[(9, 7), (8, 7), (4, 9)]", {"nbval_min_overlap": 2}, False),
    "one flipped digit": ("[7, 2, 1, 6]", "[7, 2, 1, 5]", {"nbval_tolerance": 0, "nbval_max_changed": 1}, True),
    "two flipped digits": ("[7, 2, 0, 6]", "[7, 2, 1, 5]", {"nbval_tolerance": 0, "nbval_max_changed": 1}, False),
}


@pytest.fixture(scope="module")
def nbval_run(tmp_path_factory):
    """Every case as one cell of one notebook, checked by one strict nbval run: (cell name → passed, its report)."""
    folder = tmp_path_factory.mktemp("nbval")
    cells = []
    for printed, stored, metadata, _, _ in CASES.values():
        cell = nbformat.v4.new_code_cell(f"print({printed!r}, end='')", execution_count=1)
        cell.metadata = dict(metadata)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        cells.append(cell)
    for printed, stored, metadata, _ in LIST_CASES.values():
        cell = nbformat.v4.new_code_cell(printed, execution_count=1)
        cell.metadata = {"tags": [tol.TAG], **metadata}
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": stored}, execution_count=1)]
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "lesson.ipynb")
    (folder / "pytest.ini").write_text("[pytest]\nnbval_tolerance = 0.005\n")
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "tools.nbval_tolerance"]
    command += ["-p", "no:cacheprovider", "--junitxml", str(folder / "report.xml"), "lesson.ipynb"]
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT))
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    results = {}
    for case in ET.parse(folder / "report.xml").getroot().iter("testcase"):
        failure = case.find("failure")
        results[int(case.get("name").split()[-1])] = (failure is None, "" if failure is None else failure.text or "")
    assert len(results) == len(CASES) + len(LIST_CASES), done.stdout[-3000:]
    return results


@pytest.mark.parametrize("name", CASES)
def test_a_tagged_cell_is_checked_within_its_tolerance_inside_nbval(nbval_run, name):
    *_, passes, says = CASES[name]
    passed, report = nbval_run[list(CASES).index(name)]
    assert passed is passes, report
    assert says in report


@pytest.mark.parametrize("name", LIST_CASES)
def test_a_printed_list_is_compared_as_its_metadata_says_inside_nbval(nbval_run, name):
    passed, report = nbval_run[len(CASES) + list(LIST_CASES).index(name)]
    assert passed is LIST_CASES[name][-1], report
