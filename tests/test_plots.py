"""Tests of mnist_lesson.plots: the digit grid, the history plot, deterministic atomic PNGs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import numpy as np
import pytest

from mnist_lesson import data, plots

from .conftest import require_real_cache


@pytest.fixture
def digits():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=40)


def test_digit_grid_draws_forty_digits_titled_with_their_labels(digits):
    images, labels = digits
    fig = plots.digit_grid(images, labels)
    assert len(fig.axes) == 40
    assert [ax.get_title() for ax in fig.axes] == [str(label) for label in labels]
    np.testing.assert_array_equal(fig.axes[7].images[0].get_array(), images[7])


def test_digit_grid_says_what_is_wrong_with_too_few_images(digits):
    images, labels = digits
    with pytest.raises(ValueError, match=r"at least 40 images.*\(10, 28, 28\)"):
        plots.digit_grid(images[:10], labels)


def test_history_plot_draws_one_line_per_metric_per_epoch():
    history = {"accuracy": [0.9, 0.95, 0.97], "val_accuracy": [0.92, 0.96, 0.975], "loss": [0.3, 0.2, 0.1]}
    fig = plots.history_plot(history)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["accuracy", "val_accuracy"]
    assert list(lines[1].get_xdata()) == [1, 2, 3] and list(lines[1].get_ydata()) == [0.92, 0.96, 0.975]


def test_history_plot_names_a_missing_metric():
    with pytest.raises(ValueError, match="no val_accuracy; it has accuracy"):
        plots.history_plot({"accuracy": [0.9]})


def test_save_figure_is_byte_for_byte_reproducible(tmp_path, digits):
    first = plots.save_figure(plots.digit_grid(*digits), tmp_path / "a.png").read_bytes()
    second = plots.save_figure(plots.digit_grid(*digits), tmp_path / "b.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first == second


def test_save_figure_leaves_the_old_file_when_drawing_fails(tmp_path, digits):
    path = plots.save_figure(plots.digit_grid(*digits), tmp_path / "mnist1.png")
    before = path.read_bytes()

    class Broken:
        def savefig(self, f, **kwargs):
            f.write(b"\x89PNG half")
            raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        plots.save_figure(Broken(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["mnist1.png"]


def test_make_images_writes_the_lesson_figures(tmp_path, monkeypatch, digits):
    images, labels = digits
    monkeypatch.setattr(data, "load_mnist", lambda: ((images, labels), (images, labels)))
    written = plots.make_images(tmp_path)
    assert sorted(p.name for p in written) == sorted(["mnist1.png", *plots.SAMPLE_DIGITS.values()])
    assert all(p.stat().st_size > 100 for p in written)


def test_sample_digits_are_dark_ink_on_light_paper(tmp_path):
    from PIL import Image

    for path in plots.make_sample_digits(tmp_path):
        pixels = np.asarray(Image.open(path))
        assert pixels.shape == (112, 112) and pixels[0, 0] == 255 and pixels.min() < 64


def test_committed_figures_are_what_make_images_draws(tmp_path):
    require_real_cache()
    committed = Path(__file__).resolve().parents[1] / "book" / "images"
    for fresh in plots.make_images(tmp_path):
        assert fresh.read_bytes() == (committed / fresh.name).read_bytes(), (
            f"book/images/{fresh.name} is stale: run `make images` and commit it"
        )


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
