"""Tests of mnist_lesson.repro: quiet, reproducible sessions under every Keras backend, in fresh interpreters."""

from __future__ import annotations

import functools
import subprocess
import sys
from subprocess import PIPE

import pytest

from mnist_lesson import paths, repro
from tools.lessons import checked_backends
from tools.plumbing import without_backend

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
# Saving a model is where Keras asks for TensorFlow on any backend (serialization_lib): lesson 01 saves one.
import pathlib, tempfile
with tempfile.TemporaryDirectory() as scratch:
    keras.Sequential([keras.Input((4,)), layer]).save(pathlib.Path(scratch) / "model.keras")
print("tensorflow imported:", "tensorflow" in sys.modules)
"""

# The lessons' own backends in `make test`; PyTorch too in `make test-all` (tools/lessons.py).
BACKENDS = checked_backends()
#: Every fresh run the tests below compare: two of each backend, and one with no backend set.
RUNS = [(backend, attempt) for backend in BACKENDS for attempt in (1, 2)] + [(None, 1)]


def start(backend: str | None, script: str = SCRIPT, **extra: str) -> subprocess.Popen:
    """The script in a new interpreter (extra: variables to set), started and not waited for."""
    env = {k: v for k, v in without_backend().items() if k != repro.SEED_ENV}
    if backend:
        env["KERAS_BACKEND"] = backend
    return subprocess.Popen([sys.executable, "-c", script], stdout=PIPE, stderr=PIPE, text=True, env={**env, **extra})


@functools.cache
def fresh_runs() -> dict[tuple[str | None, int], subprocess.CompletedProcess]:
    """Every run in RUNS, two at a time: each is a new interpreter that mostly waits on imports."""
    done = {}
    for pair in (RUNS[i : i + 2] for i in range(0, len(RUNS), 2)):
        started = {run: start(run[0]) for run in pair}
        for run, process in started.items():
            out, err = process.communicate(timeout=300)
            done[run] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


def run_fresh(backend: str | None, attempt: int = 1) -> subprocess.CompletedProcess:
    """The result of one fresh run (`attempt` tells two deliberate runs of one backend apart)."""
    return fresh_runs()[backend, attempt]


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
    assert len(jax_run) > 3 and len(tf_run) > 3
    assert jax_run[1:3] == tf_run[1:3]


@pytest.mark.parametrize("backend", [backend for backend in BACKENDS if backend != "tensorflow"])
def test_a_lesson_on_another_backend_never_imports_tensorflow(backend):
    # TensorFlow would add about 450 MB to every JAX kernel on a class's hub, and seed nothing it uses.
    run = run_fresh(backend)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "tensorflow imported: False"


def test_a_tensorflow_lesson_still_imports_and_seeds_tensorflow():
    run = run_fresh("tensorflow")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "tensorflow imported: True"


def test_the_seed_override_replaces_the_seed_the_lesson_asks_for():
    # What the spread over seeds rests on (tools/measure_spread.py): the lesson's own seed=42 gives way.
    asks_for_42 = SCRIPT.replace("reproducible(seed=7)", "reproducible(seed=42)")
    overridden, plain = start(BACKENDS[0], asks_for_42, **{repro.SEED_ENV: "7"}), start(BACKENDS[0], asks_for_42)
    (out, err), (other, other_err) = overridden.communicate(timeout=300), plain.communicate(timeout=300)
    assert out == run_fresh(BACKENDS[0]).stdout, err
    assert other.split()[1:4] != out.split()[1:4], other_err  # without it, seed 42: other draws


def test_the_seed_is_the_lessons_unless_the_override_is_set_and_a_bad_one_says_what_to_do():
    assert repro.chosen_seed(42, env={}) == 42
    assert repro.chosen_seed(42, env={repro.SEED_ENV: ""}) == 42
    assert repro.chosen_seed(42, env={repro.SEED_ENV: " 3 "}) == 3
    with pytest.raises(ValueError, match="MNIST_LESSON_SEED='three' is not a whole number: set it to a seed"):
        repro.chosen_seed(42, env={repro.SEED_ENV: "three"})
