"""Tests of benchmarks/convnet.py: it trains lesson 03's own convnet, with the lesson's own optimizer and batch size."""

from __future__ import annotations

import keras
import numpy as np

from benchmarks import convnet
from tools.lessons import Lesson


def recipe_scope() -> dict:
    definition, setup = convnet.lesson_recipe()
    scope = {"keras": keras, "layers": keras.layers, "np": np, "num_categories": 10, "x_train": np.zeros((60000,))}
    exec(definition, scope)
    exec(setup, scope)
    return scope


def test_the_convnet_benchmark_builds_lesson_03s_own_network_and_optimizer():
    scope = recipe_scope()
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    # The parameter count the lesson's summary shows, and the settings of its fits.
    assert f"{model.count_params():,}" in convnet.LESSON.notebook.read_text()
    assert isinstance(scope["optimizer"](), keras.optimizers.Optimizer)
    assert "batch_size=batch_size" in convnet.LESSON.source  # its fits use the batch size read here
    assert "model.summary()" not in convnet.lesson_recipe()[0]


def test_a_changed_convnet_changes_what_the_convnet_benchmark_trains(tmp_path, monkeypatch):
    lesson = convnet.LESSON.source
    edited = lesson.replace("filters=64", "filters=16").replace(
        "epochs, batch_size = 4, 128", "epochs, batch_size = 4, 64"
    )
    (tmp_path / "03_convnets.md").write_text(edited)
    monkeypatch.setattr(convnet, "LESSON", Lesson(tmp_path / "03_convnets.ipynb"))
    assert "filters=16" in convnet.lesson_recipe()[0]
    assert recipe_scope()["batch_size"] == 64
