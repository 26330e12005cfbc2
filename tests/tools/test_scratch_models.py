"""Tests of tools/scratch_models.py: a test run saves lessons' models in scratch and leaves artifacts/ alone."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from mnist_lesson.models import MODEL_ENV
from mnist_lesson.paths import ARTIFACTS, CHECKOUT
from tools import scratch_models
from tools.lessons import scratch_model

SAVES_A_MODEL = """\
from mnist_lesson.models import trained_model_path
path = trained_model_path()
path.write_text("a model")
print(path.parent.name.startswith("mnist-lesson-models-") or path.parent.name == "kept", path.exists())
"""


def test_this_run_points_the_model_path_into_scratch():
    path = os.environ[MODEL_ENV]
    assert not path.startswith(str(ARTIFACTS)) and "mnist-lesson-models-" in path


def test_a_lesson_executed_under_nbval_saves_its_model_in_scratch_not_artifacts(pytester, monkeypatch):
    before = scratch_models.learners_models()
    cell = nbformat.v4.new_code_cell(SAVES_A_MODEL, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="True True\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, pytester.path / "saves.ipynb")
    pytester.makeini("[pytest]\n")
    plugins = ["-p", "tools.scratch_models", "-p", "no:cacheprovider"]
    kept = pytester.path / "kept"
    monkeypatch.setenv("PYTHONPATH", str(CHECKOUT))
    monkeypatch.delenv(MODEL_ENV)  # as in a learner's shell: the plugin alone must redirect it
    # One kernel: the default scratch folder, then the folder a caller names (the second configuration's).
    result = pytester.runpytest_subprocess("--nbval", "--nbval-current-env", *plugins, "saves.ipynb")
    assert result.ret == 0, result.stdout.str()
    result = pytester.runpytest_subprocess(
        "--nbval", "--nbval-current-env", *plugins, "--lesson-models", kept, "saves.ipynb"
    )
    assert result.ret == 0, result.stdout.str()
    assert Path(scratch_model(kept)).read_text() == "a model"
    assert scratch_models.learners_models() == before


def test_a_run_that_changes_a_learners_model_fails(pytester, tmp_path, monkeypatch):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "01_mnist.keras").write_text("the learner's model")
    pytester.makepyfile(
        test_overwrites=f"""
from pathlib import Path
def test_overwrites():
    Path({str(artifacts / "01_mnist.keras")!r}).write_text("replaced")
"""
    )
    monkeypatch.setattr(scratch_models, "ARTIFACTS", artifacts)
    monkeypatch.setattr(scratch_models.learners_models, "__defaults__", (artifacts,))
    result = pytester.runpytest_inprocess("-p", "tools.scratch_models", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*A test changed the learner's saved models*01_mnist.keras*"])


def test_every_lesson_cell_is_one_work_unit_and_every_other_test_its_own():
    assert scratch_models.lesson_or_test("notebooks/01_mnist.ipynb::Cell 3") == scratch_models.LESSONS_UNIT
    assert scratch_models.lesson_or_test("notebooks/02_inference.ipynb::Cell 0") == scratch_models.LESSONS_UNIT
    name = "tests/test_paths.py::test_a[notebooks/01_mnist.ipynb]"
    assert scratch_models.lesson_or_test(name) == name


READS_THE_MODEL = """\
from mnist_lesson.models import trained_model_path
print(trained_model_path().read_text())
"""


def test_under_two_workers_the_lessons_run_on_one_in_order_and_share_their_scratch(pytester, monkeypatch):
    # The second notebook reads what the first saved, as lesson 02 loads lesson 01's model.
    for name, source, printed in [("a_saves", SAVES_A_MODEL, "True True\n"), ("b_reads", READS_THE_MODEL, "a model\n")]:
        cell = nbformat.v4.new_code_cell(source, execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
        nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("1 + 1")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, pytester.path / f"{name}.ipynb")
    pytester.makepyfile(**{f"test_other{i}": "def test_other():\n    pass\n" for i in range(4)})
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("PYTHONPATH", str(CHECKOUT))
    monkeypatch.delenv(MODEL_ENV)
    result = pytester.runpytest_subprocess(
        "--nbval",
        "--nbval-current-env",
        "-p",
        "tools.scratch_models",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "--dist",
        "loadgroup",
        "-v",
        "a_saves.ipynb",
        "b_reads.ipynb",
        ".",
    )
    assert result.ret == 0, result.stdout.str()
    workers = {line.split("]")[0] for line in result.outlines if "ipynb" in line and "PASSED" in line}
    assert len(workers) == 1, result.stdout.str()  # all four cells on one worker
    result.assert_outcomes(passed=8)
