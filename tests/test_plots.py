"""Tests of mnist_lesson.plots: the figures lessons draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from mnist_lesson import plots


def test_history_plot_draws_one_line_per_metric_per_epoch():
    history = {"accuracy": [0.9, 0.95, 0.97], "val_accuracy": [0.92, 0.96, 0.975], "loss": [0.3, 0.2, 0.1]}
    fig = plots.history_plot(history)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["accuracy", "val_accuracy"]
    assert list(lines[1].get_xdata()) == [1, 2, 3] and list(lines[1].get_ydata()) == [0.92, 0.96, 0.975]


def test_history_plot_names_a_missing_metric():
    with pytest.raises(ValueError, match="no val_accuracy; it has accuracy"):
        plots.history_plot({"accuracy": [0.9]})


def test_prediction_bars_highlights_the_answer():
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    fig = plots.prediction_bars(np.zeros((28, 28)), probabilities, label=7)
    bars = fig.axes[1].patches
    assert len(bars) == 10 and bars[7].get_height() == pytest.approx(0.82)
    assert fig.axes[1].get_title() == "the model's answer: 7"
    with pytest.raises(ValueError, match="expected 10 probabilities"):
        plots.prediction_bars(np.zeros((28, 28)), [0.5, 0.5])


def test_mistakes_gallery_titles_true_predicted_and_confidence():
    images = np.zeros((3, 784))
    fig = plots.mistakes_gallery(images, [4, 7, 3], [9, 2, 5], [0.99, 0.875, 0.5], cols=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["4 → 9 (99%)", "7 → 2 (88%)", "3 → 5 (50%)"]
    with pytest.raises(ValueError, match="as many labels"):
        plots.mistakes_gallery(images, [4], [9], [0.9])


def test_side_by_side_draws_two_rows():
    fig = plots.side_by_side(np.zeros((10, 8, 8)), np.zeros((10, 28, 28)), list(range(10)))
    assert len(fig.axes) == 20 and fig.axes[0].images[0].get_array().shape == (8, 8)
