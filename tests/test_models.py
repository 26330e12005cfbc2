"""Tests of mnist_lesson.models: where the trained model lives, its architecture, training when missing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_lesson import models


def test_model_path_is_in_the_checkout_and_gitignored(monkeypatch):
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    path = models.trained_model_path()
    root = Path(__file__).resolve().parents[1]
    assert path == root / "artifacts" / "01_mnist.keras"
    assert "artifacts/" in (root / ".gitignore").read_text().split()


def test_environment_variable_overrides_the_model_path(monkeypatch, tmp_path):
    monkeypatch.setenv(models.MODEL_ENV, str(tmp_path / "m.keras"))
    assert models.trained_model_path() == tmp_path / "m.keras"


def test_lesson01_architecture():
    model = models.build_lesson01_model()
    assert model.count_params() == 669_706
    assert [(layer.units, layer.activation.__name__) for layer in model.layers] == [
        (512, "relu"),
        (512, "relu"),
        (10, "softmax"),
    ]
    assert model.loss == "categorical_crossentropy" and type(model.optimizer).__name__ == "RMSprop"


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


def test_save_model_round_trip_leaves_no_partial_file(tmp_path):
    import keras

    model = models.build_lesson01_model()
    path = models.save_model(model, tmp_path / "sub" / "m.keras")
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.keras"]
    assert keras.saving.load_model(path).count_params() == 669_706


SAVE = """
import os, sys
os.environ["KERAS_BACKEND"] = sys.argv[1]
from mnist_lesson.repro import reproducible
reproducible(seed=3)
import numpy as np
from mnist_lesson import models
model = models.build_lesson01_model()
x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
model.fit(x, np.eye(10, dtype="float32")[:5], epochs=1, verbose=0)  # trained weights and optimizer state
models.save_model(model, sys.argv[2])
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

BACKEND_PAIRS = [("jax", "tensorflow"), ("tensorflow", "jax")]
if importlib.util.find_spec("torch") is not None:  # PyTorch is optional: `make torch`
    BACKEND_PAIRS += [("jax", "torch"), ("torch", "jax")]


@pytest.mark.parametrize(("saved_under", "loaded_under"), BACKEND_PAIRS)
def test_a_model_saved_under_one_backend_loads_and_predicts_the_same_under_another(tmp_path, saved_under, loaded_under):
    path, expected = tmp_path / "m.keras", tmp_path / "expected.npy"
    for script, backend in ((SAVE, saved_under), (LOAD, loaded_under)):
        done = subprocess.run(
            [sys.executable, "-c", script, backend, str(path), str(expected)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [loaded_under, "669706", "RMSprop"]
