"""Tests of benchmarks/convnet.py: it trains lesson 03's own convnet, with the lesson's own optimizer and batch size."""

from __future__ import annotations

import ast

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


def fit_batch_sizes(cells: list[str], scope: dict) -> list:
    """The batch size of every `fit` call in the lesson's code cells, evaluated where the recipe ran."""
    calls = [
        node
        for cell in cells
        for node in ast.walk(ast.parse(cell))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fit"
    ]
    assert calls, "the lesson has no fit call"
    sizes = []
    for call in calls:
        keyword = next((k.value for k in call.keywords if k.arg == "batch_size"), ast.Constant(32))  # fit's default
        sizes.append(eval(ast.unparse(keyword), dict(scope)))
    return sizes


def test_the_convnet_benchmark_builds_lesson_03s_own_network_and_optimizer():
    scope = recipe_scope()
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    # The parameter count the lesson's summary shows.
    assert f"{model.count_params():,}" in convnet.LESSON.notebook.read_text()
    assert isinstance(scope["optimizer"](), keras.optimizers.Optimizer)


def test_every_fit_of_the_lesson_trains_in_the_batches_the_benchmark_uses():
    scope = recipe_scope()
    assert set(fit_batch_sizes(convnet.LESSON.code, scope)) == {scope["batch_size"]}


def test_a_fit_in_other_batches_is_told_apart():
    scope = recipe_scope()
    cells = ["model.fit(x, y, batch_size=batch_size)", "model.fit(x, y, batch_size=batch_size // 2)", "m.fit(x)"]
    assert fit_batch_sizes(cells, scope) == [scope["batch_size"], scope["batch_size"] // 2, 32]


def test_the_recipe_defines_the_network_and_its_training_and_runs_nothing_else():
    definition, setup = convnet.lesson_recipe()
    # Only definitions and assignments: no fit, no summary, no figure, nothing printed.
    statements = [*ast.parse(definition).body, *ast.parse(setup).body]
    assert all(isinstance(s, ast.FunctionDef | ast.Assign | ast.Import | ast.ImportFrom) for s in statements), [
        ast.unparse(s) for s in statements if not isinstance(s, ast.FunctionDef | ast.Assign)
    ]
    assert {"convnet_layers", "optimizer"} <= {s.name for s in statements if isinstance(s, ast.FunctionDef)}


def test_a_changed_convnet_changes_what_the_convnet_benchmark_trains(tmp_path, monkeypatch):
    lesson = convnet.LESSON.source
    edited = lesson.replace("filters=64", "filters=16").replace(
        "epochs, batch_size = 5, 128", "epochs, batch_size = 5, 64"
    )
    (tmp_path / "03_convnets.md").write_text(edited)
    monkeypatch.setattr(convnet, "LESSON", Lesson(tmp_path / "03_convnets.ipynb"))
    assert "filters=16" in convnet.lesson_recipe()[0]
    assert recipe_scope()["batch_size"] == 64


def test_the_benchmarks_train_and_validate_on_the_lessons_own_split():
    data = convnet.lesson_data()
    train, valid = data["x_train"], data["x_valid"]
    # Validation images are the training images the lesson holds out, never MNIST's test images.
    assert len(train) + len(valid) == len(data["train_images"])
    assert np.allclose(valid[:, :, :, 0] * 255, data["train_images"][len(train) :])
    assert len(data["y_valid"]) == len(valid) and data["y_valid"].argmax(axis=1).tolist() == list(
        data["train_labels"][len(train) :]
    )
