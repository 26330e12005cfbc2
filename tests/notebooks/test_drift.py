"""Proof that the notebook check holds where it should and bites where it should.

The lessons are executed in a scratch copy under another configuration than CI's (the
other backend: other kernels, every sum in another order), as an instructor's laptop
might; then lesson 01's copy gets four edits, each in a different cell. One
strict nbval run under CI's configuration (each lesson's own backend, every core) over
those copies must fail exactly the four edited cells and pass every other cell of every
lesson it executed: outputs executed on another machine pass CI, and drift does not.
Executing the lessons twice takes a few minutes, hence `slow`.

It executes the lessons on the dense network (01 and 02) only: lesson 03 on its other backend
(JAX, whose convnet trains about four times slower on this CPU) would add about a
quarter of an hour, and proves nothing more. Its cross-backend comparison is `make test`'s second
configuration, which compares the same two executions with the same symmetric tolerances
and checks the floors on the other backend's outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from tools.lessons import LESSONS, execute_in_scratch, other_backend, own_backend

from ..conftest import REAL_CACHE, require_real_cache

#: The lessons executed elsewhere: those on the dense network, lesson 01's backend (see above).
DRIFT_LESSONS = [lesson for lesson in LESSONS if own_backend(lesson) == own_backend(LESSONS[0])]

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 1800


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


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}  # each lesson picks its own
    return dict(env, MNIST_LESSON_CACHE=str(REAL_CACHE), **extra)


def execute_elsewhere(scratch: Path) -> list[Path]:
    """Execute every lesson, in order, on its other backend, as `make execute` on another machine would."""
    return execute_in_scratch(
        scratch, clean_env(), lambda lesson: {"KERAS_BACKEND": other_backend(lesson)}, lessons=DRIFT_LESSONS
    )


def drift(lesson01: Path) -> set[int]:
    """Edit four of lesson 01's stored outputs in place; return the edited cells' indices."""
    nb = nbformat.read(lesson01, as_version=4)

    shape = find_cell(nb, lambda c: c.source.endswith("x_train.shape") and "28, 28" in str(c.outputs))
    replace_in_outputs(code_cell(nb, shape), "(60000, 28, 28)", "(60000, 28, 29)")

    summary = find_cell(nb, lambda c: "model.summary()" in c.source)
    trainable = next(o for o in code_cell(nb, summary).outputs if "Trainable params" in o.data["text/plain"])
    trainable.data = {k: v.replace("669,706", "669,707") for k, v in trainable.data.items()}

    tagged = [c for c in nb.cells if "nbval-tolerance" in c.metadata.get("tags", [])]
    results = find_cell(nb, lambda c: c in tagged and "val_accuracy:" in str(c.outputs))
    stored = code_cell(nb, results).outputs[0].text
    val = float(stored.split("val_accuracy:")[1].split()[0])
    replace_in_outputs(code_cell(nb, results), f"val_accuracy: {val:.4f}", f"val_accuracy: {val - 0.02:.4f}")

    labels = find_cell(nb, lambda c: "dtype=uint8" in str(c.outputs) and "y_train[:10]" in c.source)
    code_cell(nb, labels).outputs = []

    nbformat.write(nb, lesson01)
    return {shape, summary, results, labels}


def run_nbval(notebooks: list[Path], report: Path) -> subprocess.CompletedProcess:
    """Strict nbval as `make test` runs it (CI's configuration), over the given copies, in order."""
    command = [sys.executable, "-m", "pytest", *map(str, notebooks), "--nbval", "--nbval-current-env"]
    command += ["--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")]
    command += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(notebooks[0].parent), "-p", "no:cacheprovider"]
    command += [f"--junitxml={report}", "-q"]
    env = clean_env(PYTHONPATH=str(ROOT), MNIST_LESSON_MODEL=str(report.parent / "ci.keras"))
    return subprocess.run(command, cwd=notebooks[0].parent, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def cell_results(report: Path) -> dict[tuple[str, int], bool]:
    """(notebook, code cell index) → passed, from nbval's JUnit report."""
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        notebook = case.get("classname", "").split(".")[0] or case.get("file", "")
        passed = case.find("failure") is None and case.find("error") is None
        results[(Path(notebook).name, int(case.get("name").split()[-1]))] = passed
    return results


@pytest.fixture(scope="module")
def ci_over_drifted_copies(tmp_path_factory):
    require_real_cache()
    scratch = tmp_path_factory.mktemp("elsewhere")
    copies = execute_elsewhere(scratch)
    drifted = drift(copies[0])
    report = scratch / "report.xml"
    return run_nbval(copies, report), cell_results(report), drifted


@pytest.mark.slow
def test_nbval_fails_on_each_drifted_output_and_only_there(ci_over_drifted_copies):
    result, cells, drifted = ci_over_drifted_copies
    assert result.returncode == 1, result.stdout[-3000:]
    failed = {index for (notebook, index), passed in cells.items() if not passed and notebook == "01_mnist"}
    assert failed == drifted, result.stdout[-5000:]
    assert "(60000, 28, 29)" in result.stdout and "669,707" in result.stdout
    assert "differs by" in result.stdout and "> tolerance" in result.stdout
    assert "Unexpected output fields from running code" in result.stdout


@pytest.mark.slow
def test_outputs_executed_on_another_configuration_pass_ci(ci_over_drifted_copies):
    result, cells, drifted = ci_over_drifted_copies
    executed = {lesson.stem for lesson in DRIFT_LESSONS}
    assert {notebook for notebook, _ in cells} == executed and executed >= {"01_mnist", "02_inference"}
    drifted_cells = {("01_mnist", index) for index in drifted}
    failed = sorted(key for key, passed in cells.items() if not passed and key not in drifted_cells)
    assert failed == [], result.stdout[-5000:]
