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


#: A file is processed at most this many pixels on its longer side: a digit that becomes 20 pixels tall never
#: misses the rest. A JPEG, as phones save, is even decoded at that size; other formats are decoded, then shrunk.
LARGEST_SIDE = 1024


def otsu_threshold(values) -> float:
    """Otsu's threshold: the level that splits values into two groups with the least spread within each."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or np.ptp(values) == 0:
        raise ValueError("Otsu's threshold needs at least two different values")
    counts, edges = np.histogram(values, bins=256, range=(values.min(), values.max() + 1e-12))
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)  # how many values fall at or below each bin
    above = below[-1] - below
    sum_below = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_below = sum_below / below
        mean_above = (sum_below[-1] - sum_below) / above
        between = below * above * (mean_below - mean_above) ** 2  # spread between the groups: largest wins
    best = int(np.nanargmax(np.where(above > 0, between, np.nan)))
    return float(edges[best + 1])  # values up to the best bin's upper edge form the lower group


def ink_only(grey) -> np.ndarray:
    """Light strokes on a dark background, with the background's uneven light subtracted and the rest set to 0.

    A photo of a digit on paper is lit unevenly: one side of the sheet may be darker than the strokes
    on the other. The background is what is left once every thin bright stroke is removed (a grey
    opening wider than a stroke, then smoothed); subtracting it leaves only ink, which Otsu's
    threshold separates from the paper's noise. Specks far smaller than the digit are dropped.
    """
    from scipy import ndimage

    grey = np.asarray(grey, dtype=np.float64)
    size = max(3, max(grey.shape) // 3)
    background = ndimage.gaussian_filter(ndimage.grey_opening(grey, size=size), sigma=size / 4)
    ink = np.clip(grey - background, 0, None)
    if np.ptp(ink) == 0:
        return np.zeros_like(ink)
    strokes = ink > otsu_threshold(ink)
    # Blank paper leaves only its noise and light, which a threshold also splits. Ink stands out from
    # the paper by a good part of the image's whole range of grey; that noise by a tenth or so.
    if np.median(ink[strokes]) < 0.25 * np.ptp(ndimage.gaussian_filter(grey, 2)):
        return np.zeros_like(ink)
    labels, count = ndimage.label(strokes)
    if count > 1:
        areas = ndimage.sum_labels(strokes, labels, index=np.arange(1, count + 1))
        strokes = np.isin(labels, 1 + np.flatnonzero(areas >= 0.1 * areas.max()))
    # Keep the soft edges around each stroke (anti-aliasing, as MNIST has), not the paper around it.
    keep = ndimage.binary_dilation(strokes, iterations=max(1, max(grey.shape) // 200))
    return np.where(keep, ink, 0.0)


def read_digit_image(path) -> np.ndarray:
    """Read a digit image file (a scan, a photo, a drawing app's PNG) as an MNIST-style image (lesson 02)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (LARGEST_SIDE, LARGEST_SIDE))  # JPEG: decode at a fraction of full size
            # A phone stores a portrait photo sideways, with a tag that says how to turn it: turn it.
            image = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file that Pillow can read (try PNG or JPEG)") from None
    except Image.DecompressionBombError as error:
        raise ValueError(f"{path} is too large to read safely ({error}); save a smaller copy") from None
    image.thumbnail((LARGEST_SIDE, LARGEST_SIDE))
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Ink on a transparent background: transparent pixels are background, so lay the image on white paper.
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    # MNIST digits are light on dark. A photo or scan of ink on paper is the other way
    # round: the border (mostly background) tells which one this is.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > grey.mean():
        grey = 255 - grey
    ink = ink_only(grey)
    if ink.max() <= 0:
        raise ValueError(f"{path} shows no digit: the image is blank, or its strokes are as light as the paper")
    return to_mnist_style(ink)


def simulated_photo(digit, seed: int = 0, size: tuple[int, int] = (480, 640)):
    """A phone-style photo of a digit drawn in dark ink on paper lit unevenly, as a Pillow RGB image (lesson 02).

    `digit` is light on dark, as MNIST's (28×28 or any size). The light falls off across the sheet
    from one side to the other (the far side gets 0.4 of the light of the near one, 0.95), so the
    darkest paper is far darker than the brightest and no threshold at the page's average separates
    ink from paper; the paper is slightly tinted, the sensor adds noise; save it as JPEG to add
    compression too.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    height, width = size
    strokes = np.asarray(digit, dtype=np.float64)
    strokes = (strokes - strokes.min()) / max(np.ptp(strokes), 1e-12)
    side = int(min(height, width) * rng.uniform(0.45, 0.65))
    grid = Image.fromarray(strokes.astype(np.float32), mode="F").resize((side, side), Image.Resampling.BICUBIC)
    ink = np.zeros(size)
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    ink[top : top + side, left : left + side] = np.clip(np.asarray(grid), 0, 1)

    # Light from a random direction: a linear fall-off across the sheet, from 0.95 down to about 0.4.
    angle = rng.uniform(0, 2 * np.pi)
    rows, cols = np.mgrid[0:height, 0:width]
    ramp = (np.cos(angle) * cols / width + np.sin(angle) * rows / height) + 1
    light = 0.4 + 0.55 * (ramp - ramp.min()) / np.ptp(ramp)
    paper = light[..., None] * np.array([1.0, 0.97, 0.9]) * 255  # warm, slightly yellow paper
    pixels = paper * (1 - 0.8 * ink[..., None]) + rng.normal(0, 4, size=(height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")


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
