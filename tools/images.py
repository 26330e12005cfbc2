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


def network_diagram(
    sizes: Sequence[int] = (784, 512, 512, 10), names: Sequence[str] = ("input", "relu", "relu", "softmax")
):
    """Draw a dense network as columns of neurons with every connection, labelled with sizes and parameter counts."""
    if len(sizes) != len(names) or len(sizes) < 2:
        raise ValueError("network_diagram needs two or more layer sizes and one name per layer")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    shown = 8  # neurons drawn per column; the rest are the dots
    columns = []
    for column, size in enumerate(sizes):
        count = size if size <= 10 else shown
        ys = np.linspace(0.9, 0.1, count) if count > 1 else np.array([0.5])
        columns.append((column * 1.0, ys))
    for (x0, ys0), (x1, ys1), inputs, outputs in zip(columns, columns[1:], sizes, sizes[1:]):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x0, x1], [y0, y1], color="tab:gray", lw=0.4, alpha=0.5, zorder=1)
        params = inputs * outputs + outputs
        ax.text(
            (x0 + x1) / 2, -0.08, f"{inputs} × {outputs} + {outputs}\n= {params:,} parameters", ha="center", fontsize=8
        )
    colours = ["tab:gray"] + ["tab:blue"] * (len(sizes) - 2) + ["tab:orange"]
    for (x, ys), size, name, colour in zip(columns, sizes, names, colours):
        ax.scatter(np.full(len(ys), x), ys, s=120, color=colour, edgecolor="black", zorder=2)
        if size > len(ys):
            ax.text(x + 0.07, 0.5, "⋮", fontsize=16, va="center")
        ax.text(x, 1.0, f"{size:,}\n{name}", ha="center", va="bottom", fontsize=10)
    total = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    ax.set_title(f"{total:,} parameters in all", loc="right", fontsize=10)
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(-0.2, 1.15)
    ax.axis("off")
    fig.tight_layout()
    return fig


#: Lesson 03's convnet, layer by layer: name, output (height, width, channels) or length, parameters.
CONVNET = (
    ("input", (28, 28, 1), 0),
    ("Conv2D 16 × (3 × 3), relu", (26, 26, 16), 3 * 3 * 1 * 16 + 16),
    ("MaxPooling2D 2 × 2", (13, 13, 16), 0),
    ("Conv2D 64 × (3 × 3), relu", (11, 11, 64), 3 * 3 * 16 * 64 + 64),
    ("MaxPooling2D 2 × 2", (5, 5, 64), 0),
    ("Flatten, Dropout 0.5", (1600,), 0),
    ("Dense 128, relu", (128,), 1600 * 128 + 128),
    ("Dense 10, softmax", (10,), 128 * 10 + 10),
)


def convnet_diagram(layers: Sequence[tuple[str, tuple[int, ...], int]] = CONVNET):
    """Draw a convnet: stacks of feature maps that shrink and deepen, then dense layers; shapes and parameters."""
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 3.6))
    x = 0.0
    for name, shape, params in layers:
        if len(shape) == 3:
            height, _, channels = shape
            side = 0.25 + 0.75 * height / 28  # drawn size follows the maps' width and height
            sheets = min(channels, 6)  # a few sheets stand for the channels
            for sheet in range(sheets):
                offset = 0.05 * sheet
                ax.add_patch(
                    Rectangle(
                        (x + offset, 0.45 - side / 2 + offset),
                        side * 0.6,
                        side,
                        facecolor="tab:blue",
                        edgecolor="black",
                        alpha=0.35 if name != "input" else 0.6,
                        lw=0.6,
                    )
                )
            width = side * 0.6 + 0.05 * sheets
            label = f"{shape[0]} × {shape[1]} × {shape[2]}"
        else:
            length = shape[0]
            bar = 0.2 + 0.7 * min(1.0, length / 1600) ** 0.5
            colour = "tab:orange" if name.endswith("softmax") else "tab:gray"
            ax.add_patch(Rectangle((x, 0.45 - bar / 2), 0.12, bar, facecolor=colour, edgecolor="black", alpha=0.6))
            width = 0.12
            label = f"{length:,}"
        centre = x + width / 2
        ax.text(centre, 1.0, name.replace(", ", ",\n", 1), ha="center", va="bottom", fontsize=8)
        ax.text(centre, -0.12, label, ha="center", va="top", fontsize=9)
        if params:
            ax.text(centre, -0.27, f"{params:,} parameters", ha="center", va="top", fontsize=8, color="tab:red")
        x += max(width, 0.55) + 0.35
    total = sum(params for _, _, params in layers)
    ax.set_title(f"{total:,} parameters in all", loc="right", fontsize=10)
    ax.set_xlim(-0.2, x - 0.2)
    ax.set_ylim(-0.45, 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def flattening_figure(image: np.ndarray, rows: Sequence[int] = (7, 8, 9)):
    """Draw a 28×28 digit with a few rows marked, and the same rows laid end to end in the flat row of 784."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise ValueError(f"flattening_figure needs one 28×28 image, got shape {image.shape}")
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    # Okabe and Ito's orange, sky blue and bluish green, each with its own line style, and each row named in the
    # zoom: the three marks stay apart for a colour-blind reader and in greyscale (red and green did not).
    colours = ["#E69F00", "#56B4E9", "#009E73"]
    styles = ["solid", "dashed", "dotted"]
    fig = plt.figure(figsize=(9, 4))
    grid = fig.add_gridspec(3, 2, width_ratios=[1, 2.6], height_ratios=[1, 1, 1])
    square = fig.add_subplot(grid[:, 0])
    square.imshow(image, cmap="gray")
    square.set_title("28 × 28 grid")
    square.axis("off")
    flat = image.reshape(1, 784)
    strip = fig.add_subplot(grid[0, 1])
    strip.imshow(flat, cmap="gray", aspect="auto", interpolation="nearest")
    strip.set_title("one row of 784 numbers: row 0, then row 1, …, then row 27")
    strip.set_yticks([])
    strip.set_xticks([0, 196, 392, 588, 783])
    zoom = fig.add_subplot(grid[1:, 1])
    first, last = min(rows) * 28, (max(rows) + 1) * 28
    zoom.imshow(
        flat[:, first:last], cmap="gray", aspect="auto", interpolation="nearest", extent=(first - 0.5, last - 0.5, 0, 1)
    )
    zoom.set_yticks([])
    zoom.set_title(f"zoomed in: positions {first}–{last - 1}, rows {min(rows)}–{max(rows)} end to end")
    for row, colour, style in zip(rows, colours, styles):
        mark = {"fill": False, "edgecolor": colour, "linestyle": style}
        square.add_patch(Rectangle((-0.5, row - 0.5), 28, 1, lw=2, **mark))
        strip.add_patch(Rectangle((row * 28 - 0.5, -0.5), 28, 1, lw=2, **mark))
        zoom.add_patch(Rectangle((row * 28 - 0.5, 0.02), 28, 0.96, lw=3, **mark))
        # The label in black: coloured text on white would be too faint to read (WCAG's 4.5:1).
        zoom.text(row * 28 + 13.5, -0.15, f"row {row}", color="black", ha="center", va="top")
    fig.tight_layout()
    return fig


def activations_figure(sums: Sequence[float] = (1.0, -0.5, 0.3, 3.2, -1.2, 2.1, 0.0, -0.8, 1.5, 0.4)):
    """Draw relu as a curve, and softmax turning ten sums into ten probabilities."""
    sums = np.asarray(sums, dtype=float)
    probabilities = np.exp(sums - sums.max()) / np.exp(sums - sums.max()).sum()
    plt = _pyplot()
    fig, (relu, before, after) = plt.subplots(1, 3, figsize=(10, 3))
    x = np.linspace(-3, 3, 121)
    relu.plot(x, np.maximum(x, 0), color="tab:blue", lw=2)
    relu.axhline(0, color="black", lw=0.5)
    relu.axvline(0, color="black", lw=0.5)
    relu.set_title("relu: negative sums become 0")
    relu.set_xlabel("a neuron's sum")
    relu.set_ylabel("what it passes on")
    before.bar(range(10), sums, color="tab:gray")
    before.axhline(0, color="black", lw=0.5)
    before.set_title("ten sums from the output layer")
    before.set_xlabel("digit")
    before.set_xticks(range(10))
    after.bar(range(10), probabilities, color="tab:orange")
    after.set_ylim(0, 1)
    after.set_title("softmax: probabilities, total 1")
    after.set_xlabel("digit")
    after.set_xticks(range(10))
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
    figures = {
        "mnist1.png": fig,
        "network.png": network_diagram(),
        "convnet.png": convnet_diagram(),
        "flattening.png": flattening_figure(x_train[0]),
        "activations.png": activations_figure(),
    }
    written = []
    for name, figure in figures.items():
        written.append(save_figure(figure, Path(out_dir) / name))
        plt.close(figure)
    return written + make_sample_digits(out_dir)


def main(argv: list[str] | None = None) -> int:
    """Command line for `make images`."""
    parser = argparse.ArgumentParser(prog="python -m tools.images", description="Regenerate book/images/.")
    parser.add_argument("--out", type=Path, default=BOOK_IMAGES, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in make_images(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
