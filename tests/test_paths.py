"""Tests of mnist_lesson.paths: one place that knows where the checkout's folders are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mnist_lesson import paths


def test_the_folders_are_the_checkouts_own():
    root = Path(__file__).resolve().parents[1]
    assert paths.CHECKOUT == root and paths.in_checkout()
    assert (paths.NOTEBOOKS / "01_mnist.md").exists()
    assert (paths.BOOK_IMAGES / "mnist1.png").exists()
    assert paths.ARTIFACTS == root / "artifacts"


def test_the_lessons_find_their_sample_files_wherever_the_kernel_starts(tmp_path):
    # A kernel started elsewhere than notebooks/ (a hub's home folder, say) imports the paths afresh there.
    code = "from mnist_lesson import paths; print(sorted(p.name for p in paths.BOOK_IMAGES.glob('digit_*.png')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(["digit_2.png", "digit_3.png", "digit_4.png", "digit_7.png"])
