"""Turn handwriting that is not from MNIST into MNIST-style 28×28 images (introduced in lesson 02).

MNIST's digits were made like this: each scanned digit was scaled, keeping its aspect
ratio, to fit a 20×20 box (with anti-aliasing, hence grey levels), then placed in a
28×28 image so that its centre of mass sits at the centre. ``to_mnist_style`` does the
same to any greyscale digit, light strokes on a dark background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def to_mnist_style(image) -> np.ndarray:
    """Scale a light-on-dark digit into a 20×20 box and centre its mass in 28×28, as uint8 0–255 (lesson 02)."""
    from PIL import Image
    from scipy import ndimage

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected one greyscale image (a 2-D array), got an array of shape {image.shape}")
    if image.dtype.kind not in "uif" or image.dtype == np.bool_:
        raise ValueError(f"expected numbers (int or float pixels), got dtype {image.dtype}")
    if image.size == 0 or not np.isfinite(image).all():
        raise ValueError("the image is empty or holds NaN/inf values")
    image = image.astype(np.float64)
    ink = image - image.min()
    if ink.max() == 0:
        raise ValueError("the image is blank (every pixel has the same value): there is no digit to read")
    ink /= ink.max()

    # Crop to the digit's bounding box, so the scaling below uses the digit, not the margins.
    rows, cols = np.nonzero(ink > 0.05)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]

    # Fit the longer side to 20 pixels, keeping the aspect ratio (as MNIST did).
    height, width = ink.shape
    scale = 20 / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    boxed = np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS))
    boxed = np.clip(boxed, 0, 1)

    # Paste into 28×28, then shift so that the centre of mass lands on the centre.
    canvas = np.zeros((28, 28))
    top, left = (28 - boxed.shape[0]) // 2, (28 - boxed.shape[1]) // 2
    canvas[top : top + boxed.shape[0], left : left + boxed.shape[1]] = boxed
    centre_row, centre_col = ndimage.center_of_mass(canvas)
    canvas = ndimage.shift(canvas, (13.5 - centre_row, 13.5 - centre_col), order=1, mode="constant")
    return np.rint(np.clip(canvas, 0, 1) * 255).astype(np.uint8)


def read_digit_image(path) -> np.ndarray:
    """Read a digit image file (any size, dark-on-light or light-on-dark) as an MNIST-style image (lesson 02)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as opened:
            grey = np.asarray(opened.convert("L"), dtype=np.float64)
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file that Pillow can read (try PNG or JPEG)") from None
    # MNIST digits are light on dark. A photo or scan of ink on paper is the other way
    # round: the border (mostly background) tells which one this is.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > grey.mean():
        grey = 255 - grey
    return to_mnist_style(grey)


def predict_digit(model, image) -> tuple[int, np.ndarray]:
    """Classify one MNIST-style 28×28 uint8 image: the digit and its ten probabilities (lesson 02)."""
    image = np.asarray(image)
    if image.shape != (28, 28) or image.dtype != np.uint8:
        raise ValueError(f"expected a 28×28 uint8 image, got shape {image.shape} and dtype {image.dtype}")
    # Lay the pixels out as the model expects them: a row of 784 (lessons 01-02) or 28 × 28 × 1 (lesson 03).
    shape = tuple(getattr(model, "input_shape", (None, 784))[1:])
    if np.prod(shape) != 784:
        raise ValueError(f"this model takes inputs of shape {shape}, not one 28×28 image's 784 pixels")
    probabilities = model.predict(image.reshape(1, *shape).astype("float32") / 255, verbose=0)[0]
    return int(probabilities.argmax()), probabilities


def predict_file(model, path) -> tuple[int, np.ndarray]:
    """Classify a digit in an image file: the digit and its ten probabilities (lesson 02)."""
    return predict_digit(model, read_digit_image(path))
