"""What learners read in the committed notebooks: no errors, warnings, log lines, addresses or NumPy scalar reprs."""

from __future__ import annotations

import re

import nbformat
import pytest

from mnist_lesson.paths import CHECKOUT
from tools.lessons import lessons

NOTEBOOKS = [each.notebook for each in lessons()]
NOISE = [
    (re.compile(r"\b0x[0-9a-f]{6,}\b"), "a memory address"),
    (re.compile(r"Warning\b|WARNING"), "a warning"),
    (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::|cuda|oneDNN", re.MULTILINE), "a TensorFlow log line"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    # NumPy 2 shows scalars as np.uint8(0) or np.float32(1.0), which beginners cannot read: print them instead.
    (re.compile(r"\bnp\.(?:u?int|float|bool|str)\w*\("), "a NumPy scalar repr"),
]


def texts(output) -> list[str]:
    found = [output.get("text", "")] if output.output_type == "stream" else []
    return found + [v for k, v in output.get("data", {}).items() if k.startswith("text/") and isinstance(v, str)]


def problems(notebook) -> list[str]:
    """What a learner should not read in a notebook's stored outputs, cell by cell."""
    found = []
    for number, cell in enumerate(notebook.cells, 1):
        for output in cell.get("outputs", []):
            if output.output_type == "error" or output.get("name") == "stderr":
                found.append(f"cell {number}: {output.output_type} {output.get('name', '')} output")
            for text in texts(output):
                found += [f"cell {number}: {what}: {m.group(0)!r}" for rx, what in NOISE if (m := rx.search(text))]
    return found


def test_every_committed_lesson_is_checked():
    # The registry's lessons are the notebooks a learner finds in notebooks/, so none escapes the check below.
    found = sorted(path.name for path in (CHECKOUT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert found, "no lesson notebook in notebooks/"
    assert sorted(path.name for path in NOTEBOOKS) == found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_are_clean(path):
    found = problems(nbformat.read(path, as_version=4))
    assert not found, f"{path.name}: " + "; ".join(found) + " (fix the cause, then `make execute`)"


def code_cell(*outputs) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    return cell


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def result(text: str) -> dict:
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": text}}


@pytest.mark.parametrize(
    ("output", "what"),
    [
        ({"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}, "error"),
        (stream("1875/1875 - 4s\n", "stderr"), "stderr"),
        (result("<keras.src.models.sequential.Sequential object at 0x7f3a2c1d9e50>"), "a memory address"),
        (stream("UserWarning: Do not pass an `input_shape`\n"), "a warning"),
        (stream("I0000 00:00:1732791234.123 oneDNN custom operations are on\n"), "a TensorFlow log line"),
        (stream("Traceback (most recent call last):\n"), "a traceback"),
        (result("np.float32(0.9805)"), "a NumPy scalar repr"),
    ],
    ids=["error", "stderr", "address", "warning", "tf-log", "traceback", "numpy-scalar"],
)
def test_each_kind_of_noise_is_found_and_named(output, what):
    notebook = nbformat.v4.new_notebook(cells=[code_cell(stream("Shape: (60000, 28, 28)\n")), code_cell(output)])
    found = problems(notebook)
    assert len(found) == 1 and found[0].startswith("cell 2: ") and what in found[0], found


def test_printed_results_figures_and_tables_are_clean():
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0K", "text/plain": "<Figure>"}}
    cell = code_cell(stream("0.9805\n"), result("array([7, 2, 1], dtype=uint8)"), image)
    assert problems(nbformat.v4.new_notebook(cells=[cell])) == []
