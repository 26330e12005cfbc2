"""Proof that CI's comparison of stored outputs bites where it should, and only there; nothing is executed.

Each lesson's stored outputs are handed to nbval's own comparison (the course's tolerance add-on
included) as if a fresh execution had produced them: every cell must pass. Then lesson 01's
copy gets four edits, each in a different cell, as a careless commit might store them: a
shape, the trainable-parameter count, an accuracy moved beyond its tolerance, and a removed
output (each cell found by its kind, not its text, so that a rewritten lesson is proved too).
Compared against the unedited outputs (what an execution produces: `make test`'s strict nbval
run proves that on every push), exactly those four cells must fail, each for its reason.

That outputs executed under another configuration pass is proved by the second configuration
(`python -m tools.lessons second-configuration`, docs/second-configuration.md), not here.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import coalesce_streams

from mnist_lesson.paths import CHECKOUT
from tools.lessons import NBVAL, lesson, lessons
from tools.nbval_tolerance import text_of
from tools.plumbing import NOT_VERBATIM, TOLERANCE_TAG

LESSONS = lessons()


def collect(pytester, notebook: Path) -> list:
    """nbval's items for a notebook's code cells, collected in process with the course's options; no kernel."""
    items, _ = pytester.inline_genitems(
        str(notebook), *NBVAL, "-c", str(CHECKOUT / "pyproject.toml"), "--rootdir", str(notebook.parent)
    )
    return items


def compare(items, fresh: nbformat.NotebookNode) -> dict[int, str | None]:
    """Each checked cell's comparison, as nbval makes it after executing: None where it passes, else why not."""
    fresh_code = [cell for cell in fresh.cells if cell.cell_type == "code"]
    results, files = {}, set()
    for item in items:
        if item.parent not in files:
            item.parent.setup_sanitize_files()  # what nbval's setup does besides starting the kernel
            files.add(item.parent)
        if not item.options["check"] or item.cell.execution_count is None:
            continue  # nbval-ignore-output and unrun cells are not compared
        outputs = coalesce_streams(copy.deepcopy(fresh_code[item.cell_num].outputs))
        passed = item.compare_outputs(outputs, coalesce_streams(copy.deepcopy(item.cell.outputs)))
        results[item.cell_num] = None if passed else "\n".join(item.comparison_traceback)
    return results


def code_cell(nb, predicate) -> tuple[int, nbformat.NotebookNode]:
    """The first code cell that matches, and its index among code cells (nbval's 'Cell N')."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    matches = [i for i, cell in enumerate(code) if predicate(cell)]
    assert matches, "no code cell of lesson 01 matches: the drift proof needs one of each kind it edits"
    return matches[0], code[matches[0]]


def replace_in_outputs(cell, old: str, new: str) -> None:
    """Replace text in every stored output of a cell (text/plain and text/html alike)."""
    hits = 0
    for output in cell.outputs:
        if "text" in output and old in output.text:
            output.text, hits = output.text.replace(old, new), hits + 1
        for mime, value in output.get("data", {}).items():
            if isinstance(value, str) and old in value:
                output.data[mime], hits = value.replace(old, new), hits + 1
    assert hits, f"{old!r} not found in the cell's outputs"


def compared_verbatim(cell) -> bool:
    """Whether nbval compares a cell's stored outputs as they are: untagged, executed, with outputs."""
    tags = cell.metadata.get("tags", [])
    return not set(tags) & NOT_VERBATIM and bool(cell.outputs)


SHAPE = re.compile(r"^\(\d+(?:, \d+)+\)$")
#: The summary's trainable-parameter count, after the colours Keras prints around it.
TRAINABLE = re.compile(r"Trainable params: (?:\x1b\[[\d;]*m)*([\d,]+)")
ACCURACY = re.compile(r"val_accuracy: (\d\.\d+)")


def drift(nb) -> dict[int, str]:
    """Edit four of lesson 01's stored outputs in place; return each edited cell's index and what must be said.

    The cells are found by what they are, not by their text, so that a rewritten lesson 01 is still proved.
    """
    shape, cell = code_cell(nb, lambda c: compared_verbatim(c) and SHAPE.match(text_of(c.outputs).strip()))
    stored = text_of(cell.outputs).strip()
    last = stored[:-1].rpartition(", ")[2]
    replace_in_outputs(cell, stored, f"{stored[: -len(last) - 1]}{int(last) + 1})")

    summary, cell = code_cell(nb, lambda c: "model.summary()" in c.source and TRAINABLE.search(text_of(c.outputs)))
    count = TRAINABLE.search(text_of(cell.outputs)).group(1)
    replace_in_outputs(cell, f"m{count}", f"m{int(count.replace(',', '')) + 1:,}")

    # A final accuracy, printed as "val_accuracy: 0.9805", moved by four times its tolerance.
    def accuracy(c) -> bool:
        tagged = TOLERANCE_TAG in c.metadata.get("tags", []) and "nbval_min_overlap" not in c.metadata
        return tagged and ACCURACY.search(text_of(c.outputs)) is not None

    results, cell = code_cell(nb, accuracy)
    val = ACCURACY.search(text_of(cell.outputs)).group(1)
    move = 4 * float(cell.metadata.get("nbval_tolerance", 0.005))
    replace_in_outputs(cell, f"val_accuracy: {val}", f"val_accuracy: {float(val) - move:.{len(val) - 2}f}")

    edited = {shape, summary, results}
    # Any other cell compared verbatim loses its output, as a commit of a half-run notebook would store it.
    code = [c for c in nb.cells if c.cell_type == "code"]
    labels = next(i for i, c in enumerate(code) if i not in edited and compared_verbatim(c) and c.execution_count)
    code[labels].outputs = []
    return {
        shape: stored,
        summary: count,
        results: "> tolerance",
        labels: "Unexpected output fields from running code",
    }


@pytest.mark.parametrize("stem", [each.stem for each in LESSONS])
def test_every_stored_output_meets_its_own_rule_floors_ceilings_and_sanitizers_included(pytester, stem):
    notebook = lesson(stem).notebook
    results = compare(collect(pytester, notebook), nbformat.read(notebook, as_version=4))
    assert results, f"{stem}: no cell was compared"
    assert {i: why for i, why in results.items() if why} == {}


def test_the_comparison_fails_on_each_drifted_output_and_only_there(pytester):
    original = LESSONS[0].notebook
    drifted = pytester.path / original.name
    shutil.copy(original, drifted)
    nb = nbformat.read(drifted, as_version=4)
    expected = drift(nb)
    nbformat.write(nb, drifted)

    results = compare(collect(pytester, drifted), nbformat.read(original, as_version=4))
    failed = {i: why for i, why in results.items() if why}
    assert set(failed) == set(expected), failed
    for index, says in expected.items():
        assert says in failed[index], f"Cell {index}: {failed[index]}"
    assert len(results) - len(failed) > 20  # every other compared cell passed
