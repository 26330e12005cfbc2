"""Figures for the lessons, drawn from the data (introduced in lesson 01)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import numpy as np


def _pyplot():
    import matplotlib

    if not os.environ.get("MPLBACKEND") and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # no screen needed outside Jupyter
    import matplotlib.pyplot as plt

    return plt


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


def prediction_bars(image: np.ndarray, probabilities: Sequence[float], label: int | None = None):
    """Draw a digit beside a bar chart of the model's ten probabilities; return the Figure (lesson 02)."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got an array of shape {probabilities.shape}")
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.8), gridspec_kw={"width_ratios": [1, 2]})
    left.imshow(np.asarray(image).reshape(28, 28), cmap="gray")
    left.set_title("the image" if label is None else f"the image (label {int(label)})")
    left.axis("off")
    bars = right.bar(range(10), probabilities, color="tab:gray")
    bars[int(probabilities.argmax())].set_color("tab:blue")
    right.set_xticks(range(10))
    right.set_ylim(0, 1)
    right.set_xlabel("digit")
    right.set_ylabel("probability")
    right.set_title(f"the model's answer: {int(probabilities.argmax())}")
    fig.tight_layout()
    return fig


def mistakes_gallery(images, true_labels, predicted, confidence, cols: int = 6):
    """Draw misclassified digits titled 'true → predicted (confidence)'; return the Figure (lesson 02)."""
    count = len(images)
    if count == 0 or not (count == len(true_labels) == len(predicted) == len(confidence)):
        raise ValueError("mistakes_gallery needs one or more images and as many labels, predictions and confidences")
    rows = -(-count // cols)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.45, rows * 1.7), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, true, guess, conf in zip(axes.flat, images, true_labels, predicted, confidence):
        ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray")
        ax.set_title(f"{int(true)} → {int(guess)} ({conf:.0%})", fontsize=9)
    fig.tight_layout()
    return fig


def side_by_side(originals, converted, labels, count: int = 10):
    """Draw new digits as they were (top row) and MNIST-style (bottom row); return the Figure (lesson 02)."""
    if len(originals) < count or len(converted) < count or len(labels) < count:
        raise ValueError(f"side_by_side needs at least {count} originals, converted images and labels")
    plt = _pyplot()
    fig, axes = plt.subplots(2, count, figsize=(count * 0.95, 2.3))
    for column in range(count):
        axes[0, column].imshow(originals[column], cmap="gray")
        axes[0, column].set_title(str(int(labels[column])), fontsize=10)
        axes[1, column].imshow(converted[column], cmap="gray")
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].text(-0.3, 0.5, "as written", transform=axes[0, 0].transAxes, ha="right", va="center")
    axes[1, 0].text(-0.3, 0.5, "MNIST-style", transform=axes[1, 0].transAxes, ha="right", va="center")
    fig.tight_layout()
    return fig
