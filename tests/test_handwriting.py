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
