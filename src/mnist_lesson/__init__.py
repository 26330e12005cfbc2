"""Helpers for the mnist-lesson course: data, figures, reproducibility, handwriting, models and paths."""

__version__ = "0.1.0"
