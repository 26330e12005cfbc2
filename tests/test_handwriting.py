"""Tests of mnist_lesson.handwriting: MNIST-style conversion, reading image files, predicting."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from mnist_lesson import handwriting


def bar(height=40, width=12, shape=(100, 60), value=200.0):
    """A light vertical bar on a dark background, off-centre: a crude '1'."""
    image = np.zeros(shape)
    image[10 : 10 + height, 5 : 5 + width] = value
    return image


def test_converted_digit_fits_a_20_pixel_box_and_is_centred_by_mass():
    out = handwriting.to_mnist_style(bar())
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255
    rows, cols = np.nonzero(out > 25)
    assert rows.max() - rows.min() + 1 <= 22  # 20 pixels, plus anti-aliased edges
    centre = ndimage.center_of_mass(out.astype(float))
    assert centre == pytest.approx((13.5, 13.5), abs=0.5)


def test_aspect_ratio_is_kept():
    out = handwriting.to_mnist_style(bar(height=40, width=10))
    rows, cols = np.nonzero(out > 127)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert 19 <= height <= 21 and 4 <= width <= 6


def test_sklearn_digits_become_mnist_like():
    from sklearn.datasets import load_digits

    eight_by_eight = load_digits().images[0]  # a 0, pixels 0..16
    out = handwriting.to_mnist_style(eight_by_eight)
    assert out.shape == (28, 28) and out[0].max() == 0 and out[:, 0].max() == 0  # dark margins, like MNIST


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((3, 28, 28)), r"one greyscale image \(a 2-D array\), got an array of shape \(3, 28, 28\)"),
        (np.array([["a", "b"], ["c", "d"]]), "expected numbers"),
        (np.full((28, 28), 7), "blank"),
        (np.full((28, 28), np.nan), "NaN"),
        (np.zeros((0, 0)), "empty"),
    ],
)
def test_bad_images_get_a_clear_value_error(image, message):
    with pytest.raises(ValueError, match=message):
        handwriting.to_mnist_style(image)


def test_dark_on_light_and_light_on_dark_files_read_the_same(tmp_path):
    light = bar().astype(np.uint8)
    Image.fromarray(light).save(tmp_path / "light.png")
    Image.fromarray(255 - light).save(tmp_path / "dark.png")
    Image.fromarray(np.stack([255 - light] * 3, axis=-1)).save(tmp_path / "rgb.jpg", quality=95)
    a = handwriting.read_digit_image(tmp_path / "light.png")
    b = handwriting.read_digit_image(tmp_path / "dark.png")
    c = handwriting.read_digit_image(tmp_path / "rgb.jpg")
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() < 3  # JPEG is lossy, but the digit is the same


def test_missing_file_and_non_image_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image file at"):
        handwriting.read_digit_image(tmp_path / "nope.png")
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(ValueError, match="is not an image file"):
        handwriting.read_digit_image(text)
    Image.fromarray(np.full((50, 50), 255, dtype=np.uint8)).save(tmp_path / "white.png")
    with pytest.raises(ValueError, match="blank"):
        handwriting.read_digit_image(tmp_path / "white.png")


def ten_digits() -> list[np.ndarray]:
    """One of each digit from scikit-learn's set, in MNIST style: writers MNIST never saw."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return [handwriting.to_mnist_style(digits.images[np.flatnonzero(digits.target == d)[0]]) for d in range(10)]


def likeness(a, b) -> float:
    """Correlation of two images' pixels: 1 for the same picture, near 0 for unrelated ones."""
    return float(np.corrcoef(np.ravel(a).astype(float), np.ravel(b).astype(float))[0, 1])


def test_a_photo_of_each_digit_on_unevenly_lit_paper_reads_like_the_digit(tmp_path):
    for digit, image in enumerate(ten_digits()):
        path = tmp_path / f"photo_{digit}.jpg"
        handwriting.simulated_photo(image, seed=digit).save(path, quality=75)
        assert likeness(handwriting.read_digit_image(path), image) > 0.9, digit
        # Without the background removed, the lit side of the sheet would be read as ink.
        paper = 255 - np.asarray(Image.open(path).convert("L"), dtype=float)
        assert likeness(handwriting.to_mnist_style(paper), image) < 0.75, digit


def test_the_simulated_photo_is_lit_unevenly():
    photo = np.asarray(handwriting.simulated_photo(ten_digits()[1], seed=3).convert("L"), dtype=float)
    # The paper in the darkest corner gets well under half the light of the brightest one.
    corners = [photo[:20, :20], photo[:20, -20:], photo[-20:, :20], photo[-20:, -20:]]
    assert min(np.median(c) for c in corners) < 120 and max(np.median(c) for c in corners) > 220


def test_otsus_threshold_refuses_values_that_do_not_differ():
    for values in (np.full(10, 5.0), np.array([])):
        with pytest.raises(ValueError, match="at least two different values"):
            handwriting.otsu_threshold(values)


def test_a_photo_stored_sideways_is_turned_as_its_exif_tag_says(tmp_path):
    image = ten_digits()[7]
    photo = handwriting.simulated_photo(image, seed=7)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; show the picture turned 90° clockwise
    photo.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.jpg", quality=90, exif=exif)
    assert likeness(handwriting.read_digit_image(tmp_path / "sideways.jpg"), image) > 0.9


def test_a_scan_of_each_digit_reads_like_the_digit(tmp_path):
    for digit, image in enumerate(ten_digits()):
        Image.fromarray(255 - image).resize((280, 280), Image.Resampling.BICUBIC).save(tmp_path / "scan.png")
        assert likeness(handwriting.read_digit_image(tmp_path / "scan.png"), image) > 0.95, digit


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_ink_on_a_transparent_background_reads_as_ink_on_white(tmp_path, mode):
    # A drawing app's export: black strokes, the background fully transparent (and black underneath).
    image = ten_digits()[7]
    big = np.asarray(Image.fromarray(image).resize((200, 200), Image.Resampling.BICUBIC))
    rgba = np.zeros((200, 200, 4), dtype=np.uint8)
    rgba[..., 3] = big  # opacity is the ink
    drawing = Image.fromarray(rgba, mode="RGBA")
    if mode == "LA":
        drawing = drawing.convert("LA")
    if mode == "P":
        drawing = drawing.quantize(colors=16, method=Image.Quantize.FASTOCTREE)
    drawing.save(tmp_path / "drawing.png")
    assert Image.open(tmp_path / "drawing.png").mode == mode
    assert likeness(handwriting.read_digit_image(tmp_path / "drawing.png"), image) > 0.95


def test_a_48_megapixel_photo_is_read_downscaled_without_gigabytes(tmp_path):
    import subprocess
    import sys

    image = ten_digits()[4]
    photo = handwriting.simulated_photo(image, seed=4).resize((8000, 6000), Image.Resampling.BILINEAR)
    photo.save(tmp_path / "big.jpg", quality=90)
    script = (
        "import resource, sys\n"
        "from mnist_lesson.handwriting import read_digit_image\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "read_digit_image(sys.argv[1]).tofile(sys.argv[2])\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, tmp_path / "big.jpg", tmp_path / "out.raw"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 300, f"reading the photo took {done.stdout.strip()} MB more"
    read = np.fromfile(tmp_path / "out.raw", dtype=np.uint8).reshape(28, 28)
    assert likeness(read, image) > 0.9


def test_an_empty_file_and_a_blank_photo_say_what_is_wrong(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="is not an image file"):
        handwriting.read_digit_image(tmp_path / "empty.jpg")
    blank = handwriting.simulated_photo(np.zeros((28, 28)), seed=0)  # unevenly lit paper, no ink
    blank.save(tmp_path / "paper.jpg")
    with pytest.raises(ValueError, match="shows no digit"):
        handwriting.read_digit_image(tmp_path / "paper.jpg")


def test_otsus_threshold_splits_two_groups_between_them():
    paper, ink = np.random.default_rng(0).normal(20, 3, 900), np.random.default_rng(1).normal(80, 3, 100)
    threshold = handwriting.otsu_threshold(np.concatenate([paper, ink]))
    assert (paper < threshold).mean() > 0.99 and (ink > threshold).all()


class FakeModel:
    """Stands in for a Keras model: remembers its input, answers 'probably a 3'."""

    def predict(self, batch, verbose=0):
        self.batch = batch
        out = np.full((len(batch), 10), 0.01)
        out[:, 3] = 0.91
        return out


def test_predict_digit_scales_and_flattens_like_lesson_01():
    model = FakeModel()
    image = np.zeros((28, 28), dtype=np.uint8)
    image[5, 5] = 255
    digit, probabilities = handwriting.predict_digit(model, image)
    assert digit == 3 and probabilities[3] == pytest.approx(0.91)
    assert model.batch.shape == (1, 784) and model.batch.dtype == np.float32 and model.batch.max() == 1.0


def test_predict_digit_gives_a_convnet_its_28_by_28_by_1_layout():
    model = FakeModel()
    model.input_shape = (None, 28, 28, 1)
    image = np.arange(784).reshape(28, 28).astype(np.uint8)
    handwriting.predict_digit(model, image)
    assert model.batch.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(model.batch[0, :, :, 0], image.astype("float32") / 255)


def test_predict_digit_refuses_a_model_for_other_images():
    model = FakeModel()
    model.input_shape = (None, 32, 32, 3)
    with pytest.raises(ValueError, match=r"inputs of shape \(32, 32, 3\), not one 28×28 image"):
        handwriting.predict_digit(model, np.zeros((28, 28), np.uint8))


@pytest.mark.parametrize(
    "image", [np.zeros((28, 28), dtype=np.float32), np.zeros((784,), dtype=np.uint8), np.zeros((8, 8), np.uint8)]
)
def test_predict_digit_refuses_wrong_shape_or_dtype(image):
    with pytest.raises(ValueError, match="expected a 28×28 uint8 image"):
        handwriting.predict_digit(FakeModel(), image)


def test_predict_file(tmp_path):
    Image.fromarray(255 - bar().astype(np.uint8)).save(tmp_path / "one.png")
    assert handwriting.predict_file(FakeModel(), tmp_path / "one.png")[0] == 3
