"""Tests of tools/lessons.py: which backend a lesson picks, and which configuration CI checks it under second."""

from __future__ import annotations

import subprocess
import sys

from tools import lessons


def test_the_lessons_run_in_order_and_pick_their_backend_in_their_first_cell():
    assert [p.stem for p in lessons.LESSONS][:3] == ["01_mnist", "02_inference", "03_convnets"]
    assert lessons.own_backend(lessons.LESSONS[0]) == "jax"
    assert lessons.other_backend(lessons.LESSONS[0]) == "tensorflow"


def test_a_tensorflow_lesson_is_checked_second_on_jax(tmp_path):
    lesson = tmp_path / "03_convnets.ipynb"
    lesson.with_suffix(".md").write_text('```python\nos.environ.setdefault("KERAS_BACKEND", "tensorflow")\n```\n')
    assert (lessons.own_backend(lesson), lessons.other_backend(lesson)) == ("tensorflow", "jax")


def test_ci_checks_a_jax_lesson_on_tensorflow_and_a_tensorflow_lesson_limited_to_avx():
    assert lessons.second_configuration(lessons.LESSONS[0]) == {"KERAS_BACKEND": "tensorflow"}
    convnet = next(p for p in lessons.LESSONS if p.stem == "03_convnets")
    assert lessons.second_configuration(convnet) == {"KERAS_BACKEND": "tensorflow", "ONEDNN_MAX_CPU_ISA": "AVX"}


def test_the_makefile_reads_the_second_configuration_from_the_command_line():
    convnet = next(p for p in lessons.LESSONS if p.stem == "03_convnets")
    done = subprocess.run(
        [sys.executable, "tools/lessons.py", "--second-configuration", str(convnet)],
        capture_output=True,
        text=True,
        cwd=lessons.NOTEBOOKS.parent,
    )
    assert done.returncode == 0 and done.stdout == "KERAS_BACKEND=tensorflow ONEDNN_MAX_CPU_ISA=AVX\n"
