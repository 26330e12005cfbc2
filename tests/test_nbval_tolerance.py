"""Tests of tests/nbval_tolerance.py: the number-by-number comparison and its use by nbval."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests import nbval_tolerance as tol

ROOT = Path(__file__).resolve().parents[1]

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


# ------------------------------------------------------------------ the plugin inside nbval

STORED = "accuracy: 0.9918\nval_accuracy: 0.9795\n"


def write_notebook(pytester, printed: str, metadata=None, stored: str = STORED):
    """A one-cell notebook whose code prints `printed`, stored with output `stored`."""
    cell = nbformat.v4.new_code_cell(f"print({printed!r}, end='')", execution_count=1)
    cell.metadata = {"tags": [tol.TAG], "nbval_minimum": {"val_accuracy": 0.97}, **(metadata or {})}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, pytester.path / "lesson.ipynb")


@pytest.fixture(autouse=True)
def _checkout_on_path(monkeypatch):
    """nbval runs in a subprocess that loads the add-on from the checkout, as `make test` does."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def run_nbval(pytester):
    pytester.makeini("[pytest]\nnbval_tolerance = 0.005\n")
    plugin = ["-p", "tests.nbval_tolerance", "-p", "no:cacheprovider"]
    return pytester.runpytest_subprocess("--nbval", "--nbval-current-env", *plugin, "lesson.ipynb")


@pytest.mark.parametrize(
    ("printed", "passes", "says"),
    [
        ("accuracy: 0.9918\nval_accuracy: 0.9795\n", True, ""),  # identical
        ("accuracy: 0.9931\nval_accuracy: 0.9781\n", True, ""),  # last digits moved, within 0.005
        ("accuracy: 0.9918\nval_accuracy: 0.9720\n", False, "differs by 0.0075 > tolerance 0.005"),
        ("accuracy: 0.9650\nval_accuracy: 0.9690\n", False, "below the required minimum 0.97"),
        ("accuracy: 0.9918\nvalid_acc: 0.9795\n", False, "mismatch 'stdout'"),  # words are compared verbatim
        ("accuracy: 0.9918\n", False, ""),  # a value went missing
    ],
)
def test_tagged_cell_is_checked_within_tolerance(pytester, printed, passes, says):
    write_notebook(pytester, printed)
    result = run_nbval(pytester)
    assert (result.ret == 0) is passes, result.stdout.str()
    if says:
        result.stdout.fnmatch_lines([f"*{says}*"])


def test_cell_metadata_overrides_the_ini_tolerance(pytester):
    write_notebook(pytester, "accuracy: 0.9918\nval_accuracy: 0.9720\n", {"nbval_tolerance": 0.01})
    assert run_nbval(pytester).ret == 0


def test_untagged_cell_is_still_compared_verbatim(pytester):
    write_notebook(pytester, "accuracy: 0.9931\nval_accuracy: 0.9781\n", {"tags": []})
    assert run_nbval(pytester).ret != 0


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


def write_list_cell(pytester, printed: str, stored: str, metadata):
    cell = nbformat.v4.new_code_cell(printed, execution_count=1)
    cell.metadata = {"tags": [tol.TAG], **metadata}
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": stored}, execution_count=1)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, pytester.path / "lesson.ipynb")


@pytest.mark.parametrize(("printed", "passes"), [("[(4, 9), (9, 7), (3, 5)]", True), ("[(1, 2), (3, 5)]", False)])
def test_min_overlap_cell_inside_nbval(pytester, printed, passes):
    write_list_cell(pytester, printed, "[(9, 7), (8, 7), (4, 9)]", {"nbval_min_overlap": 2})
    result = run_nbval(pytester)
    assert (result.ret == 0) is passes, result.stdout.str()


@pytest.mark.parametrize(("printed", "passes"), [("[7, 2, 1, 6]", True), ("[7, 2, 0, 6]", False)])
def test_max_changed_cell_inside_nbval(pytester, printed, passes):
    write_list_cell(pytester, printed, "[7, 2, 1, 5]", {"nbval_tolerance": 0, "nbval_max_changed": 1})
    result = run_nbval(pytester)
    assert (result.ret == 0) is passes, result.stdout.str()
