"""Figures for the lessons, drawn from the data (introduced in lesson 01)."""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Sequence

import numpy as np

# Colours a reader with a colour-vision deficiency, or a greyscale print, still tells apart (docs/accessibility.md):
# every pair of lines differs in style and marker too, the highlighted bar is much darker than the others, and a
# signed grid uses "coolwarm", Moreland's diverging map made for colour-deficient readers: its blue and red stay
# further apart than RdBu's under simulated protanopia, deuteranopia and tritanopia (tests/test_plots.py), each
# side darkening steadily away from a light zero; images keep "gray", whose lightness rises steadily.
#: How paths drawn in one panel differ besides colour: line style and marker, in turn.
STYLES = ("o-", "s--", "^:", "D-.", "v-", "P--")
#: The signed map: negative blue, zero light grey, positive red.
DIVERGING = "coolwarm"


def _pyplot():
    import matplotlib

    if not os.environ.get("MPLBACKEND") and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # no screen needed outside Jupyter
    import matplotlib.pyplot as plt

    return plt


def _array(values) -> np.ndarray:
    """Values as a float NumPy array: NumPy data, a list, or a tensor of any Keras backend."""
    detach = getattr(values, "detach", None)
    if callable(detach):
        # A PyTorch layer's output tracks gradients, and such a tensor refuses to become a NumPy array as it is.
        values = detach().cpu()
    return np.asarray(values, dtype=float)


#: A figure's description needs this many words at least: a file name or a hash is one word.
DESCRIPTION_WORDS = 5
#: What a description must not be: a file name (figure.png) or a path, which a screen reader would read out.
FILE_NAME = re.compile(r"^\S*[/\\]\S*$|^\S+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


def check_description(description) -> str:
    """The description, stripped, if it can stand for a figure; otherwise a ValueError saying what to write."""
    text = description.strip() if isinstance(description, str) else ""
    if FILE_NAME.match(text) or len(text.split()) < DESCRIPTION_WORDS:
        raise ValueError(
            f"a figure needs a description of at least {DESCRIPTION_WORDS} words, for a reader who cannot see it: "
            f"what it shows and, where it shows a result, the result; got {description!r}"
        )
    return text


def show(fig, description: str) -> None:
    """Show the figure with its description stored in the output, as its alt text and its plain text; close it."""
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    text = check_description(description)
    # As the inline backend draws it (PNG, cropped to what is drawn), with the description where a front end
    # can read it: the output's metadata (alt, which the course's website uses) and its text/plain (the text
    # a front end shows when it cannot show images). docs/accessibility.md says which tool reads which.
    png = print_figure(fig, "png", bbox_inches="tight", base64=True)
    display({"image/png": png, "text/plain": text}, raw=True, metadata={"image/png": {"alt": text}})
    _pyplot().close(fig)


def history_plot(history, metrics: Sequence[str] = ("accuracy", "loss")):
    """Plot each metric and its val_ twin per epoch, one panel per metric; return the Figure (lesson 01)."""
    values = getattr(history, "history", history)
    wanted = [name for metric in metrics for name in (metric, f"val_{metric}")]
    missing = [name for name in wanted if name not in values]
    if missing:
        raise ValueError(f"history has no {', '.join(missing)}; it has {', '.join(values) or 'nothing'}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        # Training solid with circles, validation dashed with squares: told apart without their colours.
        for name, style in ((metric, STYLES[0]), (f"val_{metric}", STYLES[1])):
            epochs = range(1, len(values[name]) + 1)
            ax.plot(epochs, values[name], style, label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_xticks(list(epochs))
        ax.grid(alpha=0.3)
        ax.legend()
        if "accuracy" in metric:
            # An axis from 0.9 to 1 shows the gap between the curves without blowing it up.
            lowest = min(min(values[metric]), min(values[f"val_{metric}"]))
            ax.set_ylim(min(0.9, np.floor(lowest * 20) / 20), 1.0)
        else:
            ax.set_ylim(bottom=0)
    fig.tight_layout()
    return fig


def prediction_bars(image: np.ndarray, probabilities: Sequence[float], label: int | None = None):
    """Draw a digit beside a bar chart of the model's ten probabilities; return the Figure (lesson 02)."""
    probabilities = _array(probabilities)
    if probabilities.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got an array of shape {probabilities.shape}")
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.8), gridspec_kw={"width_ratios": [1, 2]})
    left.imshow(_array(image).reshape(28, 28), cmap="gray")
    left.set_title("the image" if label is None else f"the image (label {int(label)})")
    left.axis("off")
    # The answer's bar dark blue, the others light grey: apart in greyscale as well as in colour.
    bars = right.bar(range(10), probabilities, color="0.8", edgecolor="0.45")
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
        ax.imshow(_array(image).reshape(28, 28), cmap="gray")
        # One decimal: a confidence of 99.96% must not read as a flat 100%.
        ax.set_title(f"{int(true)} → {int(guess)} ({np.floor(conf * 1000) / 10:.1f}%)", fontsize=9)
    fig.tight_layout()
    return fig


def side_by_side(originals, converted, labels, count: int = 10, mnist=None):
    """Draw new digits as they were, MNIST-style, and (given `mnist`) MNIST's own of each label; return the Figure."""
    rows = [("as written", originals), ("MNIST-style", converted)] + ([("MNIST", mnist)] if mnist is not None else [])
    if any(len(images) < count for _, images in rows) or len(labels) < count:
        raise ValueError(f"side_by_side needs at least {count} images in each row, and {count} labels")
    plt = _pyplot()
    fig, axes = plt.subplots(len(rows), count, figsize=(count * 0.95, 1.15 * len(rows)), squeeze=False)
    for row, (name, images) in enumerate(rows):
        for column in range(count):
            axes[row, column].imshow(images[column], cmap="gray")
        axes[row, 0].text(-0.3, 0.5, name, transform=axes[row, 0].transAxes, ha="right", va="center")
    for column in range(count):
        axes[0, column].set_title(str(int(labels[column])), fontsize=10)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _symmetric(ax, values, title: str, limit: float | None = None):
    """Draw values in blue (negative) to red (positive) around a light zero, up to ±limit (default: their largest)."""
    values = _array(values)
    limit = limit or float(np.abs(values).max()) or 1.0
    shown = ax.imshow(values, cmap=DIVERGING, vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown


def filter_response(image, kernel, response):
    """Draw a digit, a convolution filter with its numbers, and its output; return the Figure (lesson 03)."""
    image, kernel, response = (np.squeeze(_array(a)) for a in (image, kernel, response))
    if image.ndim != 2 or kernel.ndim != 2 or response.ndim != 2:
        raise ValueError(
            "filter_response needs one image, one filter and one output, each a 2-D grid "
            f"(after dropping axes of length 1); got shapes {image.shape}, {kernel.shape} and {response.shape}"
        )
    plt = _pyplot()
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(9, 3.2), gridspec_kw={"width_ratios": [1, 0.7, 1]})
    left.imshow(image, cmap="gray")
    left.set_title(f"the digit ({image.shape[0]} × {image.shape[1]})", fontsize=10)
    left.axis("off")
    _symmetric(middle, kernel, f"the filter ({kernel.shape[0]} × {kernel.shape[1]})")
    limit = float(np.abs(kernel).max()) or 1.0
    for (row, col), weight in np.ndenumerate(kernel):
        # White on the dark ends of the colour scale, black elsewhere, so every number stays readable.
        colour = "white" if abs(weight) > limit / 2 else "black"
        middle.text(col, row, f"{weight:.2g}", ha="center", va="center", fontsize=11, color=colour)
    shown = _symmetric(right, response, f"its output ({response.shape[0]} × {response.shape[1]})")
    fig.colorbar(shown, ax=right, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def pooling_figure(feature_map, pooled):
    """Draw a feature map and its max-pooled version side by side, each with its size; return the Figure (lesson 03)."""
    feature_map, pooled = (np.squeeze(_array(a)) for a in (feature_map, pooled))
    if feature_map.ndim != 2 or pooled.ndim != 2:
        raise ValueError(
            "pooling_figure needs one feature map and its pooled version, each a 2-D grid "
            f"(after dropping axes of length 1); got shapes {feature_map.shape} and {pooled.shape}"
        )
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
    # One colour scale for both, so that a value looks the same in the map and in its pooled version.
    low, top = float(min(feature_map.min(), pooled.min())), float(max(feature_map.max(), pooled.max()))
    for ax, grid, name in ((axes[0], feature_map, "feature map"), (axes[1], pooled, "after 2 × 2 max pooling")):
        ax.imshow(grid, cmap="gray", vmin=low, vmax=max(top, low + 1e-12))
        ax.set_title(f"{name} ({grid.shape[0]} × {grid.shape[1]})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def filters_grid(kernels, cols: int = 8):
    """Draw the filters of a first Conv2D layer's kernel on one colour scale, one panel each; return the Figure."""
    kernels = _array(kernels)
    if kernels.ndim != 4 or kernels.shape[2] != 1:
        raise ValueError(
            "filters_grid needs a first Conv2D layer's kernel, of shape (height, width, 1, filters); "
            f"got shape {kernels.shape}"
        )
    count = kernels.shape[3]
    rows = -(-count // cols)
    plt = _pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    # One scale for all: the same colour means the same weight in every panel, so strong and weak filters show as such.
    limit = float(np.abs(kernels).max()) or 1.0
    for index, ax in enumerate(axes.flat[:count]):
        _symmetric(ax, kernels[:, :, 0, index], f"filter {index}", limit)
        ax.axis("on")
    fig.tight_layout()
    return fig


def augmentation_grid(originals, versions):
    """Draw digits in the top row and augmented versions of them in the rows below; return the Figure (lesson 03)."""
    originals = _array(originals)
    versions = [_array(v) for v in versions]
    if len(originals) == 0 or any(len(v) != len(originals) for v in versions):
        raise ValueError("augmentation_grid needs one or more digits and, in each version, as many digits")
    plt = _pyplot()
    rows, cols = 1 + len(versions), len(originals)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.05), squeeze=False)
    for row, images in enumerate([originals, *versions]):
        for col, image in enumerate(images):
            axes[row, col].imshow(_array(image).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axes[row, col].axis("off")
    axes[0, 0].set_title("original", fontsize=9, loc="left")
    if versions:
        axes[1, 0].set_title("augmented", fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def _curve(ax, loss, weights):
    """Draw a loss curve over the given weights, with the usual labels."""
    weights = _array(weights)
    ax.plot(weights, [loss(w) for w in weights], color="0.35")
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)


def downhill_step(loss, weights, w, slope, new_w):
    """Draw a loss curve, its slope at w as a tangent, and one step from w to new_w as an arrow (lesson 04)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    _curve(ax, loss, weights)
    span = (float(np.max(weights)) - float(np.min(weights))) / 6
    near = np.array([w - span, w + span])
    ax.plot(near, loss(w) + slope * (near - w), "--", color="tab:orange", label=f"slope at w = {w:g}: {slope:.3g}")
    ax.annotate(
        "", xy=(new_w, loss(new_w)), xytext=(w, loss(w)), arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 2}
    )
    # The start a circle, the point after the step a square: told apart without their colours.
    ax.plot([w], [loss(w)], "o", color="tab:orange")
    ax.plot([new_w], [loss(new_w)], "s", color="tab:blue", label=f"after one step: w = {new_w:.3g}")
    ax.legend(loc="upper center")
    fig.tight_layout()
    return fig


def learning_rate_paths(loss, weights, paths):
    """Draw one panel per learning rate: the loss curve and the weights one run visited, step by step (lesson 04)."""
    if not paths:
        raise ValueError("learning_rate_paths needs at least one path: {learning rate: [w0, w1, …]}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(paths), figsize=(4.2 * len(paths), 3.4), squeeze=False)
    for ax, (rate, path) in zip(axes.flat, paths.items()):
        path = _array(path)
        # Each panel widens to hold its whole path, so a diverging run shows its steps growing, not cut off.
        left, right = min(np.min(weights), path.min()), max(np.max(weights), path.max())
        margin = (right - left) * 0.03
        _curve(ax, loss, np.linspace(left - margin, right + margin, 400))
        heights = [loss(w) for w in path]
        for start, end, y0, y1 in zip(path[:-1], path[1:], heights[:-1], heights[1:]):
            ax.annotate("", xy=(end, y1), xytext=(start, y0), arrowprops={"arrowstyle": "->", "color": "tab:blue"})
        ax.plot(path, heights, "o", color="tab:blue", markersize=4)
        ax.plot(path[:1], heights[:1], "D", color="tab:orange", markersize=6, label="start")
        ax.set_title(f"learning rate {rate:g}: {len(path) - 1} steps", fontsize=10)
        ax.set_ylim(0, None)
        ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig


def optimizer_paths(surfaces, extent=(-5.0, 5.0, -2.0, 2.0)):
    """Draw contour maps of 2-D losses, each with the paths optimizers took on it (lesson 04).

    surfaces: a list of (title, loss, {optimizer name: array of points, shape (steps + 1, 2)}).
    """
    if not surfaces:
        raise ValueError("optimizer_paths needs at least one surface: [(title, loss, {name: path})]")
    plt = _pyplot()
    fig, axes = plt.subplots(len(surfaces), 1, figsize=(8, 3.3 * len(surfaces)), squeeze=False)
    left, right, bottom, top = extent
    grid_1, grid_2 = np.meshgrid(np.linspace(left, right, 201), np.linspace(bottom, top, 121))
    for ax, (title, loss, paths) in zip(axes.flat, surfaces):
        heights = np.array([loss(np.array(point)) for point in zip(grid_1.flat, grid_2.flat)]).reshape(grid_1.shape)
        ax.contour(grid_1, grid_2, heights, levels=np.geomspace(0.02, heights.max(), 12), colors="0.75", linewidths=0.8)
        for (name, path), style in zip(paths.items(), itertools.cycle(STYLES)):
            path = _array(path)
            # A path that leaves the map is drawn up to its first point outside: the rest would squash the picture.
            inside = np.all((path >= [left, bottom]) & (path <= [right, top]), axis=1)
            stop = len(path) if inside.all() else int(np.argmin(inside)) + 1
            ax.plot(path[:stop, 0], path[:stop, 1], style, markersize=2.5, linewidth=1.2, label=name)
        ax.plot([0], [0], "k*", markersize=10)
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_xlabel("weight 1")
        ax.set_ylabel("weight 2")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
