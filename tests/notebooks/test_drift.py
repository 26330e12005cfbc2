"""Proof that the notebook check fails on drift: nbval over an edited copy of lesson 01.

One copy carries four edits, each in a different cell; a single strict nbval run over
it must fail exactly those four cells and pass every other one (the untouched cells
are the untouched copy). Re-executing lesson 01 takes a minute or two, hence `slow`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from ..conftest import REAL_CACHE

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "01_mnist.ipynb"


def find_cell(nb, predicate) -> int:
    """The index of the one code cell that matches, counted among code cells as nbval names them."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    matches = [i for i, cell in enumerate(code) if predicate(cell)]
    assert len(matches) == 1, f"expected one matching cell, found {matches}"
    return matches[0]


def code_cell(nb, index: int):
    return [cell for cell in nb.cells if cell.cell_type == "code"][index]


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


def run_nbval(notebook: Path, report: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", str(notebook), "--nbval", "--nbval-current-env"]
    command += ["--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")]
    command += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(notebook.parent), "-p", "no:cacheprovider"]
    command += [f"--junitxml={report}", "-q"]
    env = dict(os.environ, **{"MNIST_LESSON_CACHE": str(REAL_CACHE)})
    return subprocess.run(command, cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=1800)


def failed_cells(report: Path) -> set[int]:
    failed = set()
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(int(case.get("name").split()[-1]))
    return failed


@pytest.mark.slow
def test_nbval_fails_on_each_drifted_output_and_only_there(tmp_path):
    if not REAL_CACHE.exists():
        pytest.skip(f"no MNIST cache at {REAL_CACHE}: run `make data`")
    nb = nbformat.read(LESSON, as_version=4)

    shape = find_cell(nb, lambda c: c.source.endswith("x_train.shape") and "28, 28" in str(c.outputs))
    replace_in_outputs(code_cell(nb, shape), "(60000, 28, 28)", "(60000, 28, 29)")

    summary = find_cell(nb, lambda c: "model.summary()" in c.source)
    trainable = next(o for o in code_cell(nb, summary).outputs if "Trainable params" in o.data["text/plain"])
    trainable.data = {k: v.replace("669,706", "669,707") for k, v in trainable.data.items()}

    results = find_cell(nb, lambda c: "nbval-tolerance" in c.metadata.get("tags", []))
    stored = code_cell(nb, results).outputs[0].text
    val = float(stored.split("val_accuracy:")[1].split()[0])
    replace_in_outputs(code_cell(nb, results), f"val_accuracy: {val:.4f}", f"val_accuracy: {val - 0.02:.4f}")

    labels = find_cell(nb, lambda c: "dtype=uint8" in str(c.outputs) and "y_train[:10]" in c.source)
    code_cell(nb, labels).outputs = []

    copy = tmp_path / "01_mnist.ipynb"
    nbformat.write(nb, copy)
    report = tmp_path / "report.xml"
    result = run_nbval(copy, report)

    assert result.returncode == 1, result.stdout[-3000:]
    assert failed_cells(report) == {shape, summary, results, labels}, result.stdout[-5000:]
    assert "(60000, 28, 29)" in result.stdout and "669,707" in result.stdout
    assert "differs by" in result.stdout and "> tolerance" in result.stdout
    assert "Unexpected output fields from running code" in result.stdout
