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
    assert sorted(p.name for p in written) == sorted(["mnist1.png", *build.SAMPLE_DIGITS.values()])
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
