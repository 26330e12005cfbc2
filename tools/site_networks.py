"""The networks the website's "Try it" page runs: lesson 05's ONNX exports, committed in book/networks/.

Lesson 05 exports lesson 01's dense network and lesson 03's convnet with ``model.export(..., format="onnx")``
into the folder of the trained models (``artifacts/`` in the checkout) and stores, in its outputs, the
probabilities both files give for MNIST's first 20 test images. ``make execute`` runs every lesson, then
``python -m tools.site_networks``, which copies the two files into ``book/networks/`` once they give
exactly those stored probabilities. Nothing else writes that folder: not CI, not a learner's run, so the
committed files change only when an instructor re-executes the lessons, as the figures in book/images/ do.
``--check`` writes nothing and fails when the committed files do not give lesson 05's stored probabilities.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np

from mnist_lesson.paths import CHECKOUT, NOTEBOOKS
from tools.book import SITE_NETWORKS  # where the committed copies live, for the site to publish
from tools.plumbing import staging_path

#: The networks, by the name of their file and of their lines in lesson 05's output: the input shape of one image.
NETWORKS = {"mlp": (784,), "convnet": (28, 28, 1)}
#: The lesson that exports the networks and stores their probabilities.
LESSON = NOTEBOOKS / "05_onnx.ipynb"
#: The comment that opens the code cell whose output holds the stored probabilities.
MARKER = "# The probabilities of x_test[:20]"
#: How many of MNIST's test images, from the first, the stored probabilities cover.
DIGITS = 20
#: How far a committed network's probability may lie from the stored one (both onnxruntime, same file).
TOLERANCE = 1e-5
#: One stored line: the network, the test image's index, its ten probabilities (digits 0 to 9).
LINE = re.compile(r"^(\w+) x_test\[(\d+)\]: ((?:\d\.\d+)(?: \d\.\d+){9})$")


def digits() -> np.ndarray:
    """MNIST's first DIGITS test images as lesson 05 feeds them: float32 rows of 784 pixels from 0 to 1."""
    from mnist_lesson.data import load_mnist

    _, (test_images, _) = load_mnist()
    return test_images[:DIGITS].reshape(DIGITS, 784).astype("float32") / 255


def stored_probabilities(notebook: Path = LESSON) -> dict[str, np.ndarray]:
    """The probabilities lesson 05 stores for each network: {name: array of DIGITS rows of 10}, or a ValueError."""
    path = Path(notebook)
    if not path.exists():
        raise ValueError(f"{path} is missing: restore it with git, or run `make execute` to make it")
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and MARKER in c.source]
    if len(cells) != 1:
        raise ValueError(f"{path} has {len(cells)} code cells containing {MARKER!r}; exactly one must hold them")
    text = "".join(o.get("text", "") for o in cells[0].outputs if o.get("output_type") == "stream")
    found: dict[str, dict[int, list[float]]] = {name: {} for name in NETWORKS}
    for line in text.splitlines():
        match = LINE.match(line.strip())
        if match and match.group(1) in found:
            found[match.group(1)][int(match.group(2))] = [float(p) for p in match.group(3).split()]
    for name, rows in found.items():
        if sorted(rows) != list(range(DIGITS)):
            raise ValueError(
                f"{path}'s cell {MARKER!r} stores {len(rows)} of the {DIGITS} lines of {name} "
                f"('{name} x_test[0]: p0 … p9'); run `make execute` to store them"
            )
    return {name: np.array([rows[i] for i in range(DIGITS)]) for name, rows in found.items()}


def probabilities(path: Path, name: str, images: np.ndarray | None = None) -> np.ndarray:
    """What an ONNX file gives for the images (default: digits()), each reshaped as the network `name` expects."""
    import onnxruntime

    images = digits() if images is None else images
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: images.reshape(len(images), *NETWORKS[name])}
    return session.run(None, feed)[0]


def mismatches(folder: Path, notebook: Path = LESSON, images: np.ndarray | None = None) -> list[str]:
    """What is wrong with the ONNX files in folder against lesson 05's stored probabilities (none: an empty list)."""
    # images stand in for digits() where a test plants its own stored probabilities.
    stored = stored_probabilities(notebook)
    images = digits() if images is None else images
    problems = []
    for name in NETWORKS:
        path = Path(folder) / f"{name}.onnx"
        if not path.exists():
            problems.append(f"{path} is missing")
            continue
        difference = float(np.abs(probabilities(path, name, images) - stored[name]).max())
        if not difference <= TOLERANCE:
            problems.append(
                f"{path} gives probabilities up to {difference:.2g} away from those {Path(notebook).name} stores "
                f"(at most {TOLERANCE:g})"
            )
    return problems


def publish(
    source: Path, target: Path = SITE_NETWORKS, notebook: Path = LESSON, images: np.ndarray | None = None
) -> list[Path]:
    """Copy the exports in source into target once they give the stored probabilities; the files written."""
    problems = mismatches(source, notebook, images)
    if problems:
        raise ValueError(
            "; ".join(problems) + f". Execute lesson 05 so that it exports into {source} (`make execute`), then retry"
        )
    Path(target).mkdir(parents=True, exist_ok=True)
    # Both copies are staged beside their targets before either replaces one: a copy that fails leaves the
    # committed pair as it was, never a new network beside an old one.
    staged = {Path(target) / f"{name}.onnx": Path(source) / f"{name}.onnx" for name in NETWORKS}
    try:
        for final, original in staged.items():
            shutil.copyfile(original, staging_path(final))
        for final in staged:
            os.replace(staging_path(final), final)
    finally:
        for final in staged:
            staging_path(final).unlink(missing_ok=True)
    return list(staged)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.site_networks", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if book/networks/ is stale")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = mismatches(SITE_NETWORKS)
            for problem in problems:
                print(problem, file=sys.stderr)
            if not problems:
                print(f"{SITE_NETWORKS.relative_to(CHECKOUT)} gives the probabilities {LESSON.name} stores.")
            return 1 if problems else 0
        from mnist_lesson.models import trained_model_path

        written = publish(trained_model_path().parent)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print("Wrote " + ", ".join(str(path.relative_to(CHECKOUT)) for path in written) + f" from {LESSON.name}'s exports.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
