"""Tests of mnist_lesson.repro: quiet, reproducible sessions under every Keras backend, in fresh interpreters."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys

import pytest

from mnist_lesson import paths

# The setup line lesson 01's first cell runs, taken from the lesson itself.
SETUP = next(
    line
    for line in (paths.NOTEBOOKS / "01_mnist.md").read_text().splitlines()
    if line.startswith('os.environ.setdefault("KERAS_BACKEND"')
)
SCRIPT = f"""
import os, sys
{SETUP}
from mnist_lesson.repro import reproducible
reproducible(seed=7)
import keras, numpy, random
layer = keras.layers.Dense(3)
layer.build((None, 4))
sample = keras.ops.convert_to_numpy(keras.random.uniform(()))
kernel = keras.ops.convert_to_numpy(layer.kernel)
print(keras.backend.backend(), random.random(), numpy.random.rand(), float(sample), kernel.sum())
"""

# PyTorch is optional: its cases run where `make torch` installed it, as `make test-backends` does.
BACKENDS = ["jax", "tensorflow"] + (["torch"] if importlib.util.find_spec("torch") else [])


@functools.cache
def run_fresh(backend: str | None, attempt: int = 1) -> subprocess.CompletedProcess:
    """The script in a new interpreter; `attempt` tells two deliberate runs apart (results are cached per test run)."""
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    if backend:
        env["KERAS_BACKEND"] = backend
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reproducible_gives_the_same_numbers_and_prints_nothing(backend):
    first, second = run_fresh(backend), run_fresh(backend, attempt=2)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stdout.split()[0] == backend
    # No start-up noise (absl, CUDA, oneDNN, XLA lines) may reach a notebook's outputs.
    assert first.stderr == "", first.stderr


def test_a_backend_set_outside_wins_over_the_lessons_default():
    # The lessons use os.environ.setdefault: unset, they get JAX; set in the shell, the shell's choice.
    assert run_fresh(None).stdout.split()[0] == "jax"
    assert run_fresh("tensorflow").stdout.split()[0] == "tensorflow"


def test_python_and_numpy_draws_do_not_depend_on_the_backend():
    jax_run, tf_run = run_fresh("jax").stdout.split(), run_fresh("tensorflow").stdout.split()
    assert jax_run[1:3] == tf_run[1:3]
