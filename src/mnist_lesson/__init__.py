"""Helpers for the mnist-lesson course: data, figures, reproducibility and checks."""

__version__ = "0.1.0"
