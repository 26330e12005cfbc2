"""Tests of mnist_lesson.models: where the trained model lives, its architecture, training when missing."""

from __future__ import annotations

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
