"""Tests of mnist_lesson.models: where the trained model lives, its architecture, training when missing."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from mnist_lesson import models, paths
from tools.lessons import checked_backends


def test_model_path_is_in_the_checkout_and_gitignored(monkeypatch):
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    path = models.trained_model_path()
    root = paths.CHECKOUT
    assert path == root / "artifacts" / "01_mnist.keras"
    assert "artifacts/" in (root / ".gitignore").read_text().split()


def test_environment_variable_overrides_the_model_path(monkeypatch, tmp_path):
    monkeypatch.setenv(models.MODEL_ENV, str(tmp_path / "m.keras"))
    assert models.trained_model_path() == tmp_path / "m.keras"
    assert models.trained_model_path("03_convnets") == tmp_path / "03_convnets.keras"


def test_later_lessons_save_beside_lesson_01(monkeypatch):
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    assert models.trained_model_path("03_convnets") == models.trained_model_path().with_name("03_convnets.keras")


@pytest.mark.parametrize("name", ["", "03_convnets.keras", "../03_convnets", "a/b"])
def test_a_lesson_is_named_by_its_stem(name):
    with pytest.raises(ValueError, match="such as '03_convnets'"):
        models.trained_model_path(name)


def test_missing_model_is_trained_with_one_line_of_notice(tmp_path, capsys):
    trained = []
    path = tmp_path / "01_mnist.keras"
    assert models.ensure_trained_model(path, train=trained.append) == path
    assert trained == [path]
    assert capsys.readouterr().out.count("\n") == 1


def test_existing_model_is_not_retrained(tmp_path):
    path = tmp_path / "01_mnist.keras"
    path.write_bytes(b"model")
    models.ensure_trained_model(path, train=lambda p: pytest.fail("retrained an existing model"))


def test_the_fallback_runs_lesson_01_itself(tmp_path, monkeypatch):
    # One source for the recipe: what lesson 02 falls back on is lesson 01's own notebook.
    assert models.LESSON01 == paths.NOTEBOOKS / "01_mnist.ipynb" and models.LESSON01.exists()
    runs = []
    monkeypatch.setattr(models, "run_lesson", lambda notebook, path: runs.append((notebook, path)))
    path = tmp_path / "01_mnist.keras"
    models.ensure_trained_model(path)
    assert runs == [(models.LESSON01, path)]


def tiny_lesson(tmp_path, source: str) -> Path:
    """A one-cell lesson, standing in for lesson 01 (which takes a minute to train)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "notebooks" / "00_tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


SAVES_A_MODEL = """
import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras
from mnist_lesson.models import trained_model_path
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
model.save(trained_model_path())
"""


def test_run_lesson_executes_the_notebook_and_moves_its_model_into_place(tmp_path, monkeypatch):
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    lesson = tiny_lesson(tmp_path, SAVES_A_MODEL)
    before = lesson.read_bytes()
    path = models.run_lesson(lesson, tmp_path / "out" / "model.keras")
    assert zipfile.is_zipfile(path) and sorted(p.name for p in path.parent.iterdir()) == ["model.keras"]
    assert lesson.read_bytes() == before  # the lesson's stored outputs are untouched
    assert models.MODEL_ENV not in os.environ  # and so is this process's environment


def test_run_lesson_that_saves_nothing_says_so_and_leaves_nothing(tmp_path):
    lesson = tiny_lesson(tmp_path, "print('trained nothing')")
    (tmp_path / "out").mkdir()
    with pytest.raises(RuntimeError, match="saved no model"):
        models.run_lesson(lesson, tmp_path / "out" / "model.keras")
    assert list((tmp_path / "out").iterdir()) == []


def test_run_lesson_names_a_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="git checkout"):
        models.run_lesson(tmp_path / "01_mnist.ipynb", tmp_path / "model.keras")


SAVE = """
import os, sys
os.environ["KERAS_BACKEND"] = sys.argv[1]
from mnist_lesson.repro import reproducible
reproducible(seed=3)
import keras, numpy as np
from keras import layers
# Lesson 01's kind of network, smaller: dense layers, softmax, RMSprop, categorical cross-entropy.
model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(64, activation="relu"),
                          layers.Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
model.fit(x, np.eye(10, dtype="float32")[:5], epochs=1, verbose=0)  # trained weights and optimizer state
model.save(sys.argv[2])
np.save(sys.argv[3], model.predict(x, verbose=0))
"""

LOAD = """
import os, sys
os.environ["KERAS_BACKEND"] = sys.argv[1]
from mnist_lesson.repro import reproducible
reproducible(seed=3)
import keras, numpy as np
model = keras.saving.load_model(sys.argv[2])
x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
np.testing.assert_allclose(model.predict(x, verbose=0), np.load(sys.argv[3]), atol=1e-5)
print(keras.backend.backend(), model.count_params(), type(model.optimizer).__name__)
"""

# Each way between JAX and TensorFlow, the lessons' own backends; PyTorch both ways too in `make test-all`.
BACKENDS = checked_backends()
BACKEND_PAIRS = [(s, loaded) for s in BACKENDS for loaded in BACKENDS if s != loaded and "jax" in (s, loaded)]


def run_together(commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Each command in a new interpreter, all at once: they spend most of their time importing a backend."""
    started = [subprocess.Popen(each, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for each in commands]
    finished = []
    for process in started:
        out, err = process.communicate(timeout=300)
        finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return finished


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """A model saved once under each backend, then loaded under each other one: each step's processes at once."""
    folder = tmp_path_factory.mktemp("round-trips")
    saved = {backend: (folder / f"{backend}.keras", folder / f"{backend}.npy") for backend in BACKENDS}
    saves = run_together([[sys.executable, "-c", SAVE, b, str(m), str(p)] for b, (m, p) in saved.items()])
    for backend, done in zip(saved, saves):
        assert done.returncode == 0, f"saving under {backend}: {done.stderr[-3000:]}"
    loads = [[sys.executable, "-c", LOAD, loaded, *map(str, saved[s])] for s, loaded in BACKEND_PAIRS]
    return dict(zip(BACKEND_PAIRS, run_together(loads)))


@pytest.mark.parametrize(("saved_under", "loaded_under"), BACKEND_PAIRS)
def test_a_model_saved_under_one_backend_loads_and_predicts_the_same_under_another(
    round_trips, saved_under, loaded_under
):  # noqa: E501
    done = round_trips[saved_under, loaded_under]
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [loaded_under, "50890", "RMSprop"]
