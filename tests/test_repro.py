"""Tests of mnist_lesson.repro: quiet imports and reproducible numbers, in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from mnist_lesson.repro import reproducible
reproducible(seed=7)
import keras, numpy, random
layer = keras.layers.Dense(3)
layer.build((None, 4))
print(random.random(), numpy.random.rand(), float(keras.random.uniform(()).numpy()), layer.kernel.numpy().sum())
"""


def run_fresh():
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)


def test_reproducible_gives_the_same_numbers_and_prints_nothing():
    first, second = run_fresh(), run_fresh()
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.split()) == 4
    # No TensorFlow start-up noise (absl, CUDA, oneDNN lines) may reach a notebook's outputs.
    assert first.stderr == "", first.stderr
