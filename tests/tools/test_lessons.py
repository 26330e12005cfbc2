"""Tests of tools/lessons.py: which backend a lesson picks, and which one CI checks it on second."""

from __future__ import annotations

from tools import lessons


def test_the_lessons_run_in_order_and_pick_their_backend_in_their_first_cell():
    assert [p.stem for p in lessons.LESSONS][:2] == ["01_mnist", "02_inference"]
    assert lessons.own_backend(lessons.LESSONS[0]) == "jax"
    assert lessons.other_backend(lessons.LESSONS[0]) == "tensorflow"


def test_a_tensorflow_lesson_is_checked_second_on_jax(tmp_path):
    lesson = tmp_path / "03_convnets.ipynb"
    lesson.with_suffix(".md").write_text('```python\nos.environ.setdefault("KERAS_BACKEND", "tensorflow")\n```\n')
    assert (lessons.own_backend(lesson), lessons.other_backend(lesson)) == ("tensorflow", "jax")
