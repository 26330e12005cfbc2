"""Where the course's folders are, in one place for helpers, lessons, tools and tests (introduced in lesson 02)."""

from __future__ import annotations

from pathlib import Path

#: The course's checkout: this file is src/mnist_lesson/paths.py inside it (an editable install).
CHECKOUT = Path(__file__).resolve().parents[2]
#: The lessons, each a notebooks/NN_topic.md and .ipynb pair.
NOTEBOOKS = CHECKOUT / "notebooks"
#: Figures the course generates from data (`make images`), and the sample digit files of lesson 02.
BOOK_IMAGES = CHECKOUT / "book" / "images"
#: What running the lessons produces, such as lesson 01's trained model (gitignored).
ARTIFACTS = CHECKOUT / "artifacts"


def in_checkout() -> bool:
    """Whether the package runs from the course's checkout, not from a copy installed elsewhere."""
    return NOTEBOOKS.is_dir()
