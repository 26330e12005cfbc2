"""Figures for the lessons, drawn from the data (introduced in lesson 01)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Where the course's generated figures live, relative to the repository root.
IMAGES_DIR = Path("book") / "images"


def _pyplot():
    import matplotlib

    if not os.environ.get("MPLBACKEND") and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # no screen needed outside Jupyter
    import matplotlib.pyplot as plt

    return plt


def digit_grid(images: np.ndarray, labels: Sequence[int], rows: int = 4, cols: int = 10):
    """Draw rows×cols digits with their labels above them; return the Figure (lesson 01)."""
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


def history_plot(history, metrics: Sequence[str] = ("accuracy", "val_accuracy")):
    """Plot metrics per epoch from a Keras History (or its .history dict); return the Figure (lesson 01)."""
    values = getattr(history, "history", history)
    missing = [m for m in metrics if m not in values]
    if missing:
        raise ValueError(f"history has no {', '.join(missing)}; it has {', '.join(values) or 'nothing'}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for metric in metrics:
        epochs = range(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], marker="o", label=metric)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_xticks(list(epochs))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def save_figure(fig, path: Path) -> Path:
    """Save a Figure as PNG atomically, with no timestamp so reruns give the same bytes (lesson 01)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100, metadata={"Software": None})
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def make_images(out_dir: Path = IMAGES_DIR) -> list[Path]:
    """Regenerate the course's figures from the data into out_dir (lesson 01)."""
    from mnist_lesson.data import load_mnist

    (x_train, y_train), _ = load_mnist()
    plt = _pyplot()
    fig = digit_grid(x_train, y_train)
    written = [save_figure(fig, Path(out_dir) / "mnist1.png")]
    plt.close(fig)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line for `make images` (lesson 01)."""
    parser = argparse.ArgumentParser(prog="python -m mnist_lesson.plots", description="Regenerate book/images/.")
    parser.add_argument("--out", type=Path, default=IMAGES_DIR, help="folder to write into (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in make_images(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
