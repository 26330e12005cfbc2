"""Tests of tools/images.py: the digit grid, deterministic atomic PNGs, and committed figures that are not stale."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")


import numpy as np
import pytest

from mnist_lesson import data, paths
from tools import images as build

from ..conftest import require_real_cache


@pytest.fixture
def digits():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=40)


def test_digit_grid_draws_forty_digits_titled_with_their_labels(digits):
    images, labels = digits
    fig = build.digit_grid(images, labels)
    assert len(fig.axes) == 40
    assert [ax.get_title() for ax in fig.axes] == [str(label) for label in labels]
    np.testing.assert_array_equal(fig.axes[7].images[0].get_array(), images[7])


def test_digit_grid_says_what_is_wrong_with_too_few_images(digits):
    images, labels = digits
    with pytest.raises(ValueError, match=r"at least 40 images.*\(10, 28, 28\)"):
        build.digit_grid(images[:10], labels)


def test_save_figure_is_byte_for_byte_reproducible(tmp_path, digits):
    first = build.save_figure(build.digit_grid(*digits), tmp_path / "a.png").read_bytes()
    second = build.save_figure(build.digit_grid(*digits), tmp_path / "b.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first == second


def test_save_figure_leaves_the_old_file_when_drawing_fails(tmp_path, digits):
    path = build.save_figure(build.digit_grid(*digits), tmp_path / "mnist1.png")
    before = path.read_bytes()

    class Broken:
        def savefig(self, f, **kwargs):
            f.write(b"\x89PNG half")
            raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        build.save_figure(Broken(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["mnist1.png"]


def test_make_images_writes_the_lesson_figures(tmp_path, monkeypatch, digits):
    images, labels = digits
    monkeypatch.setattr(data, "load_mnist", lambda: ((images, labels), (images, labels)))
    written = build.make_images(tmp_path)
    figures = ["mnist1.png", "network.png", "convnet.png", "flattening.png", "activations.png"]
    assert sorted(p.name for p in written) == sorted([*figures, *build.SAMPLE_DIGITS.values()])
    assert all(p.stat().st_size > 100 for p in written)


def test_sample_digits_are_dark_ink_on_light_paper(tmp_path):
    from PIL import Image

    for path in build.make_sample_digits(tmp_path):
        pixels = np.asarray(Image.open(path))
        assert pixels.shape == (112, 112) and pixels[0, 0] == 255 and pixels.min() < 64


def test_committed_figures_are_what_make_images_draws(tmp_path):
    require_real_cache()
    committed = paths.BOOK_IMAGES
    for fresh in build.make_images(tmp_path):
        assert fresh.read_bytes() == (committed / fresh.name).read_bytes(), (
            f"book/images/{fresh.name} is stale: run `make images` and commit it"
        )


def test_network_diagram_labels_each_layer_and_its_parameter_count():
    fig = build.network_diagram()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "784\ninput" in texts and "10\nsoftmax" in texts
    assert "784 × 512 + 512\n= 401,920 parameters" in texts and "512 × 10 + 10\n= 5,130 parameters" in texts
    assert fig.axes[0].get_title(loc="right") == "669,706 parameters in all"
    # All ten output neurons are drawn; the big layers show eight and the dots.
    assert [len(c.get_offsets()) for c in fig.axes[0].collections] == [8, 8, 8, 10]


def test_convnet_diagram_shows_lesson_03s_shapes_and_parameters():
    fig = build.convnet_diagram()
    texts = [t.get_text() for t in fig.axes[0].texts]
    shapes = ["28 × 28 × 1", "26 × 26 × 16", "13 × 13 × 16", "11 × 11 × 64", "5 × 5 × 64", "1,600", "128", "10"]
    assert [t for t in texts if t in shapes] == shapes
    assert [t for t in texts if t.endswith(" parameters")] == [
        "160 parameters",
        "9,280 parameters",
        "204,928 parameters",
        "1,290 parameters",
    ]
    # The lesson's model.summary() gives the same total (its stored output says so).
    assert fig.axes[0].get_title(loc="right") == "215,658 parameters in all"


def test_network_diagram_says_what_is_wrong_with_mismatched_names():
    with pytest.raises(ValueError, match="one name per layer"):
        build.network_diagram((784, 10), ("input",))


def test_flattening_figure_shows_the_rows_laid_end_to_end(digits):
    image = digits[0][0]
    fig = build.flattening_figure(image, rows=(7, 8, 9))
    square, strip, zoom = fig.axes
    np.testing.assert_array_equal(square.images[0].get_array(), image)
    np.testing.assert_array_equal(strip.images[0].get_array(), image.reshape(1, 784))
    np.testing.assert_array_equal(zoom.images[0].get_array().ravel(), image[7:10].ravel())


def test_flattening_figure_says_what_is_wrong_with_a_flat_image(digits):
    with pytest.raises(ValueError, match=r"one 28×28 image, got shape \(784,\)"):
        build.flattening_figure(digits[0][0].reshape(784))


def test_activations_figure_draws_relu_and_probabilities_that_add_up_to_one():
    relu, before, after = build.activations_figure().axes
    x, y = relu.lines[0].get_data()
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    heights = np.array([bar.get_height() for bar in after.patches])
    assert heights.sum() == pytest.approx(1) and heights.argmax() == 3
    assert [bar.get_height() for bar in before.patches][3] == 3.2
