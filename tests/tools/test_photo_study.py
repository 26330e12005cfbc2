"""Tests of tools/photo_study.py: it says what to run first when the trained networks are missing."""

from __future__ import annotations

import pytest

from mnist_lesson import models
from tools import photo_study


def test_without_trained_networks_it_says_to_run_the_lessons_first(tmp_path, monkeypatch):
    monkeypatch.setenv(models.MODEL_ENV, str(tmp_path / "01_mnist.keras"))
    # main() sets KERAS_BACKEND in os.environ (TensorFlow, its choice); set here, it is undone after the test.
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    with pytest.raises(SystemExit, match=r"no trained network at .*01_mnist\.keras.*run `make run` first"):
        photo_study.main()
