"""Tests of mnist_lesson.plots: the digit grid, the history plot, deterministic atomic PNGs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import numpy as np
import pytest

from mnist_lesson import data, plots

from .conftest import REAL_CACHE


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


def test_make_images_writes_the_lesson_figure_from_the_data(tmp_path, monkeypatch, digits):
    images, labels = digits
    monkeypatch.setattr(data, "load_mnist", lambda: ((images, labels), (images, labels)))
    written = plots.make_images(tmp_path)
    assert [p.name for p in written] == ["mnist1.png"] and written[0].stat().st_size > 1000


def test_committed_figures_are_what_make_images_draws(tmp_path):
    if not REAL_CACHE.exists():
        pytest.skip(f"no MNIST cache at {REAL_CACHE} (run `make data`)")
    arrays = data.read_npz(REAL_CACHE)
    fig = plots.digit_grid(arrays["x_train"], arrays["y_train"])
    fresh = plots.save_figure(fig, tmp_path / "mnist1.png").read_bytes()
    committed = Path(__file__).resolve().parents[1] / "book" / "images" / "mnist1.png"
    assert fresh == committed.read_bytes(), "book/images/mnist1.png is stale: run `make images` and commit it"
