"""Tests of tools/rerun.py: every code cell run twice in a row, a cell that calls fit once, floors checked each run."""

from __future__ import annotations

import nbformat
import pytest

from tools import rerun
from tools.lessons import Lesson
from tools.nbval_tolerance import TAG


def notebook(*sources: str, **metadata_of: dict) -> nbformat.NotebookNode:
    """A notebook of code cells, with a markdown cell first; metadata_of["cell2"] is code cell 2's metadata."""
    cells = [nbformat.v4.new_markdown_cell("A tiny lesson.")]
    for index, source in enumerate(sources):
        cells.append(nbformat.v4.new_code_cell(source, metadata=metadata_of.get(f"cell{index}", {})))
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.parametrize(
    "source, trains",
    [
        ("history = model.fit(x_train, y_train, epochs=5)", True),
        ("model.fit(\n    x_train,\n    y_train,\n)", True),
        ("fit(model)", True),
        ("%time history = model.fit(x, y)", True),  # a magic: read without it
        ("# Training calls model.fit(x, y) below\nmodel.summary()", False),  # a comment is not a call
        ('print("model.fit(x, y) trains")', False),  # nor is a string
        ("scaler.fit_transform(x)", False),
        ("model.evaluate(x_test, y_test)", False),
        ("model.fit(x y)  # not Python\n", True),  # unparseable: read as text, comments dropped
    ],
)
def test_a_cell_that_calls_fit_is_told_apart(source, trains):
    assert rerun.calls_fit(source) is trains


def test_every_code_cell_is_doubled_in_place_but_a_fit_cell(tmp_path):
    original = notebook("x = 1", "history = model.fit(x)", "%%time\ny = 2")
    result = rerun.doubled(original)
    kinds = [(cell.cell_type, cell.metadata.get(rerun.RUN_KEY)) for cell in result.cells]
    assert kinds == [
        ("markdown", None),
        ("code", {"cell": 0, "run": 1}),
        ("code", {"cell": 0, "run": 2}),
        ("code", {"cell": 1, "run": 1}),
        ("code", {"cell": 2, "run": 1}),
        ("code", {"cell": 2, "run": 2}),
    ]
    # A cell magic stays first; the label an error message shows comes after it.
    assert result.cells[4].source == "%%time\n# (re-run check: code cell 2, run 1 of 2)\ny = 2"
    assert result.cells[3].source.endswith("run 1 of 1)\nhistory = model.fit(x)")
    assert len(original.cells) == 4 and rerun.RUN_KEY not in original.cells[1].metadata  # the original is untouched


def test_a_floor_or_ceiling_broken_on_either_run_is_named_with_its_cell_and_run():
    floors = {"tags": [TAG], "nbval_minimum": {"accuracy": 0.97}, "nbval_maximum": {"error": 0.1}}
    executed = rerun.doubled(notebook("print(score)", cell0=floors))
    first, second = executed.cells[1:]
    first.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy: 0.98\nerror: 0.05\n")]
    second.outputs = [nbformat.v4.new_output("stream", name="stdout", text="accuracy: 0.96\nerror: 0.2\n")]
    assert rerun.limits_broken(executed) == [
        "code cell 0, run 2: accuracy is 0.96, below the required minimum 0.97",
        "code cell 0, run 2: error is 0.2, above the allowed maximum 0.1",
    ]
    untagged = rerun.doubled(notebook("print(score)", cell0={"nbval_minimum": {"accuracy": 0.97}}))
    untagged.cells[2].outputs = second.outputs
    assert rerun.limits_broken(untagged) == []  # the add-on checks floors of tagged cells only, and so does this


COUNTER = "runs = globals().get('runs', [])"  # a cell that survives a re-run: it keeps what it has


def test_executed_a_plain_cell_runs_twice_a_fit_cell_once_and_a_cell_not_safe_to_rerun_breaks_its_floor(tmp_path):
    floor = {"tags": [TAG], "nbval_minimum": {"accuracy": 0.97}}
    tiny = notebook(
        COUNTER,
        "runs.append('plain')",
        "class Model:\n    def fit(self):\n        runs.append('fit')\nmodel = Model()",
        "model.fit()",
        "print(runs)",
        # Like scaling a second time: each run lowers what the next cell reports.
        "accuracy = globals().get('accuracy', 1.0) - 0.02",
        "print(f'accuracy: {accuracy:.2f}')",
        cell6=floor,
    )
    nbformat.write(tiny, tmp_path / "01_tiny.ipynb")
    results = rerun.check([Lesson(tmp_path / "01_tiny.ipynb")], tmp_path / "scratch", timeout=60)
    executed = nbformat.read(tmp_path / "scratch" / "notebooks" / "01_tiny.ipynb", as_version=4)
    printed = [cell.outputs[0].text for cell in executed.cells if cell.source.endswith("print(runs)")]
    assert printed == ["['plain', 'plain', 'fit']\n"] * 2
    # Run once, the accuracy would be 0.98; run twice, it is 0.96 on the first print's run already.
    assert results == {
        "01_tiny": [
            "code cell 6, run 1: accuracy is 0.96, below the required minimum 0.97",
            "code cell 6, run 2: accuracy is 0.96, below the required minimum 0.97",
        ]
    }


def test_a_cell_that_fails_when_run_again_fails_the_lesson_saying_which_run(tmp_path):
    # Like adding a layer to a model that has it already: the second run raises.
    tiny = notebook("layers = []", "assert 'dense' not in layers, 'added twice'\nlayers.append('dense')")
    nbformat.write(tiny, tmp_path / "01_tiny.ipynb")
    (problem,) = rerun.check([Lesson(tmp_path / "01_tiny.ipynb")], tmp_path / "scratch", timeout=60)["01_tiny"]
    assert "added twice" in problem and "code cell 1, run 2 of 2" in problem
