"""Tests of mnist_lesson.paths: one place that knows where the checkout's folders are."""

from __future__ import annotations

from pathlib import Path

from mnist_lesson import paths


def test_the_folders_are_the_checkouts_own():
    root = Path(__file__).resolve().parents[1]
    assert paths.CHECKOUT == root and paths.in_checkout()
    assert (paths.NOTEBOOKS / "01_mnist.md").exists()
    assert (paths.BOOK_IMAGES / "mnist1.png").exists()
    assert paths.ARTIFACTS == root / "artifacts"


def test_the_lessons_find_their_sample_files_wherever_the_kernel_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a kernel started elsewhere than notebooks/ still finds them
    assert sorted(p.name for p in paths.BOOK_IMAGES.glob("digit_*.png")) == [
        "digit_2.png",
        "digit_3.png",
        "digit_4.png",
        "digit_7.png",
    ]
