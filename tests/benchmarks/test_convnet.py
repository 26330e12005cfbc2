"""Tests of benchmarks/convnet.py: it trains lesson 03's own convnet, with the lesson's own settings."""

from __future__ import annotations

from benchmarks import convnet
from tools.lessons import Lesson


def test_the_convnet_benchmark_builds_lesson_03s_own_network():
    import keras

    definition, optimizer, batch = convnet.lesson_recipe()
    scope = {"keras": keras, "layers": keras.layers, "num_categories": 10}
    exec(definition, scope)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    lesson = convnet.LESSON.source
    # The parameter count the lesson's summary shows, and the settings of its first fit.
    assert f"{model.count_params():,}" in convnet.LESSON.notebook.read_text()
    assert f"optimizer={optimizer}" in lesson and f"batch_size={batch}" in lesson
    assert "model.summary()" not in definition and "model = " not in definition


def test_a_changed_convnet_changes_what_the_convnet_benchmark_trains(tmp_path, monkeypatch):
    lesson = convnet.LESSON.source
    (tmp_path / "03_convnets.md").write_text(
        lesson.replace("filters=64", "filters=16").replace("batch_size=128", "batch_size=64")
    )
    monkeypatch.setattr(convnet, "LESSON", Lesson(tmp_path / "03_convnets.ipynb"))
    definition, _, batch = convnet.lesson_recipe()
    assert "filters=16" in definition and batch == 64
