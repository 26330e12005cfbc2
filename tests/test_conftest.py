"""Tests of tests/conftest.py's guard: a test that leaves the course's environment variables changed fails."""

from __future__ import annotations

from pathlib import Path

from mnist_lesson.paths import CHECKOUT

LEAKY = """
import os

def test_leaks_the_backend():
    os.environ["KERAS_BACKEND"] = "torch"

def test_changes_it_with_monkeypatch(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setenv("MNIST_LESSON_MODEL", "/elsewhere")

def test_leaves_other_variables_alone():
    os.environ["SOME_LIBRARY_FLAG"] = "1"  # libraries set their own at import (TensorFlow does): not checked
"""


def test_a_test_that_leaves_the_backend_set_fails_and_monkeypatched_ones_pass(pytester, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(CHECKOUT))  # the conftest imports the course's tools/
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=3, errors=1)
    message = "test_leaky.py::test_leaks_the_backend left these environment variables changed: ['KERAS_BACKEND']"
    assert message in result.stdout.str()
