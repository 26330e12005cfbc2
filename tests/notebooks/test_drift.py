"""Proof that CI's comparison of stored outputs bites where it should, and only there; nothing is executed.

Each lesson's stored outputs are handed to nbval's own comparison (the course's tolerance add-on
included) as if a fresh execution had produced them: every cell must pass. Then lesson 01's
copy gets four edits, each in a different cell, as a careless commit might store them: a
shape, the trainable-parameter count, an accuracy moved beyond its tolerance, and a removed
output. Compared against the unedited outputs (what an execution produces: `make test`'s strict
nbval run proves that on every push), exactly those four cells must fail, each for its reason.

That outputs executed under another configuration pass is proved by the second configuration
(`python -m tools.lessons second-configuration`, docs/checks.md), not here.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import coalesce_streams

from mnist_lesson.paths import CHECKOUT
from tools.lessons import NBVAL, lesson, lessons

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
    """The one code cell that matches, and its index among code cells (nbval's 'Cell N')."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    matches = [i for i, cell in enumerate(code) if predicate(cell)]
    assert len(matches) == 1, f"expected one matching cell, found {matches}"
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


def drift(nb) -> dict[int, str]:
    """Edit four of lesson 01's stored outputs in place; return each edited cell's index and what must be said."""
    shape, cell = code_cell(nb, lambda c: c.source.endswith("x_train.shape") and "28, 28" in str(c.outputs))
    replace_in_outputs(cell, "(60000, 28, 28)", "(60000, 28, 29)")

    summary, cell = code_cell(nb, lambda c: "model.summary()" in c.source)
    replace_in_outputs(cell, "669,706", "669,707")

    # The final accuracies, printed as "val_accuracy: 0.9805" (the early-stopping replay prints one too).
    tagged = lambda c: "nbval-tolerance" in c.metadata.get("tags", []) and c.source.startswith("# The last epoch")  # noqa: E731
    results, cell = code_cell(nb, tagged)
    val = float(cell.outputs[0].text.split("val_accuracy:")[1].split()[0])
    replace_in_outputs(cell, f"val_accuracy: {val:.4f}", f"val_accuracy: {val - 0.02:.4f}")

    labels, cell = code_cell(nb, lambda c: "dtype=uint8" in str(c.outputs) and "y_train[:10]" in c.source)
    cell.outputs = []
    return {
        shape: "(60000, 28, 28)",
        summary: "669,706",
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
