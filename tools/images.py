"""Build the figures in book/images/ from the data: `make images` (course tooling).

The lessons show these files; a test re-draws them and fails when a committed one is
stale, so they are always what this script makes from the verified MNIST cache. The
PNGs carry no timestamp, so an unchanged figure is byte for byte the same file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mnist_lesson.data import atomic_open
from mnist_lesson.paths import BOOK_IMAGES


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt

    return plt


def digit_grid(images: np.ndarray, labels: Sequence[int], rows: int = 4, cols: int = 10):
    """Draw rows×cols digits with their labels above them; return the Figure."""
    images = np.asarray(images)
    count = rows * cols
    if images.ndim != 3 or len(images) < count or len(labels) < count:
        raise ValueError(
            f"digit_grid needs at least {count} images of shape (n, 28, 28) and as many labels; "
            f"got images of shape {images.shape} and {len(labels)} labels"
        )
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.05))
    for ax, image, label in zip(axes.flat, images[:count], labels[:count]):
        ax.imshow(image, cmap="gray")
        ax.set_title(str(int(label)), fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


#: Handwritten digits by other writers (scikit-learn's load_digits), shipped as image files
#: for lesson 02: index in load_digits → file name. Dark ink on light paper, like a scan.
SAMPLE_DIGITS = {13: "digit_3.png", 24: "digit_4.png", 27: "digit_7.png", 50: "digit_2.png"}


def make_sample_digits(out_dir: Path = BOOK_IMAGES) -> list[Path]:
    """Write a few scikit-learn digits as 112×112 dark-on-light PNGs, for lesson 02 to read."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    written = []
    for index, name in SAMPLE_DIGITS.items():
        ink = digits.images[index] / 16  # load_digits pixels run from 0 to 16
        paper = np.rint(255 * (1 - ink)).astype(np.uint8)
        image = Image.fromarray(paper, mode="L").resize((112, 112), Image.Resampling.NEAREST)
        path = Path(out_dir) / name
        with atomic_open(path) as f:
            image.save(f, format="PNG")
        written.append(path)
    return written


def save_figure(fig, path: Path) -> Path:
    """Save a Figure as PNG atomically, with no timestamp so reruns give the same bytes."""
    with atomic_open(path) as f:
        fig.savefig(f, format="png", dpi=100, metadata={"Software": None})
    return Path(path)


def make_images(out_dir: Path = BOOK_IMAGES) -> list[Path]:
    """Regenerate the course's figures from the data into out_dir."""
    from mnist_lesson.data import load_mnist

    (x_train, y_train), _ = load_mnist()
    plt = _pyplot()
    fig = digit_grid(x_train, y_train)
    written = [save_figure(fig, Path(out_dir) / "mnist1.png")]
    plt.close(fig)
    return written + make_sample_digits(out_dir)


def main(argv: list[str] | None = None) -> int:
    """Command line for `make images`."""
    parser = argparse.ArgumentParser(prog="python tools/images.py", description="Regenerate book/images/.")
    parser.add_argument("--out", type=Path, default=BOOK_IMAGES, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in make_images(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
