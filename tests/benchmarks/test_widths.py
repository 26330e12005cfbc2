"""Tests of benchmarks/widths.py: it trains lesson 03's own recipe, narrowed or shortened, and tables it honestly."""

from __future__ import annotations

import keras
import nbformat
import numpy as np
import pytest

from benchmarks import widths
from tools.lessons import Lesson
from tools.plumbing import TOLERANCE_TAG


def built(first, second) -> keras.Model:
    """The lesson's convnet with the given filter counts (None keeps the lesson's)."""
    layers_code, _ = widths.lesson_recipe()
    scope = {"keras": keras, "layers": keras.layers, "np": np, "num_categories": 10}
    exec(widths.narrower(layers_code, first, second), scope)
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])


def test_the_lessons_candidate_is_the_lessons_own_network():
    model = built(None, None)
    # The parameter count lesson 03's stored summary shows.
    assert f"{model.count_params():,}" in widths.LESSON.notebook.read_text()


@pytest.mark.parametrize(("first", "second"), [(16, None), (16, 32), (None, 8)])
def test_narrower_changes_only_the_filters_it_is_given(first, second):
    convolutions = [layer for layer in built(first, second).layers if isinstance(layer, keras.layers.Conv2D)]
    lesson = [layer.filters for layer in built(None, None).layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convolutions] == [first or lesson[0], second or lesson[1]]
    assert all(c.kernel_size == (3, 3) for c in convolutions)


def stored_floor(notebook) -> float:
    """What nbval checks after the lesson's first fit: the val_accuracy minimum of the first tagged cell after it."""
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    first_fit = next(i for i, cell in enumerate(cells) if ".fit(" in cell.source)
    return next(
        cell.metadata["nbval_minimum"]["val_accuracy"]
        for cell in cells[first_fit:]
        if TOLERANCE_TAG in cell.metadata.get("tags", []) and "nbval_minimum" in cell.metadata
    )


def test_the_floor_is_the_one_the_lessons_stored_notebook_checks():
    assert widths.floor() == stored_floor(nbformat.read(widths.LESSON.notebook, as_version=4))


def test_a_lesson_with_another_floor_moves_the_benchmarks_floor(tmp_path, monkeypatch):
    notebook = nbformat.read(widths.LESSON.notebook, as_version=4)
    raised = stored_floor(notebook) + 0.004
    for cell in notebook.cells:
        if "val_accuracy" in cell.metadata.get("nbval_minimum", {}):
            cell.metadata["nbval_minimum"]["val_accuracy"] = raised
    nbformat.write(notebook, tmp_path / widths.LESSON.notebook.name)
    monkeypatch.setattr(widths, "LESSON", Lesson(tmp_path / widths.LESSON.notebook.name))
    assert widths.floor() == raised


def test_a_convnet_without_two_convolutions_is_refused_with_a_reason():
    with pytest.raises(SystemExit, match="expected two Conv2D"):
        widths.narrower("layers.Conv2D(filters=32, kernel_size=3)", 16, None)


def test_the_table_marks_a_candidate_below_the_floor_on_any_seed():
    row = {"params": 108_618, "epochs": 4, "fit_s": {"median": 40.0, "min": 36.0, "max": 41.0}, "over_lesson": 0.59}
    result = {
        "seeds": [42, 1],
        "floor": 0.99,
        "candidates": {
            "the lesson's": row | {"params": 225_034, "over_lesson": 1.0, "val_accuracy": [0.9917, 0.9920]},
            "narrow": row | {"val_accuracy": [0.9901, 0.9886]},
        },
    }
    lines = widths.table(result).splitlines()
    assert lines[2] == "| the lesson's | 225,034 | 4 | 40 (36–41) | 1.00× | 0.9917 | 0.9920 | yes (lowest 0.9917) |"
    assert lines[3] == "| narrow | 108,618 | 4 | 40 (36–41) | 0.59× | 0.9901 | 0.9886 | **no** (lowest 0.9886) |"
