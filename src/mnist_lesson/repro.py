"""Reproducible, quiet Keras sessions on any backend: JAX, TensorFlow or PyTorch (introduced in lesson 01)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

#: The seed every lesson uses, so that stored outputs can be compared run to run.
DEFAULT_SEED = 42
#: Set, it replaces the seed a lesson asks for: how the course measures its results' spread over seeds.
SEED_ENV = "MNIST_LESSON_SEED"


def chosen_seed(seed: int, env=None) -> int:
    """The seed to use: $MNIST_LESSON_SEED where it is set, else the one the lesson asks for."""
    value = (os.environ if env is None else env).get(SEED_ENV, "").strip()
    if not value:
        return seed
    try:
        return int(value)
    except ValueError:
        problem = f"{SEED_ENV}={value!r} is not a whole number: set it to a seed such as 1, or unset it"
        raise ValueError(problem) from None


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for a while: C++ logs bypass Python's sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _keep_tensorflow_out() -> None:
    """Tell Keras that TensorFlow is not there, so that a JAX or PyTorch kernel never imports it.

    Keras imports TensorFlow, when it is installed, on any backend as soon as something asks whether it
    is available: set_random_seed (to seed tf.data) and model.save (to recognise TensorFlow shapes and
    types) both do. In a JAX lesson's kernel that costs about 450 MB and seeds nothing the lesson uses:
    it shuffles with NumPy and draws its weights with JAX. docs/design.md has the measurement and a
    minimal reproduction. Where TensorFlow was imported already (a learner's own cell), nothing changes.
    """
    if "tensorflow" in sys.modules:
        return
    from keras.src.utils import module_utils

    module_utils.tensorflow._available = False


def reproducible(seed: int = DEFAULT_SEED, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend, make its ops deterministic and keep logs quiet (lesson 01)."""
    seed = chosen_seed(seed)
    # TensorFlow's C++ side prints start-up lines (oneDNN, no CUDA driver) before its log level
    # applies, and Jupyter would store them in the notebook. On the TensorFlow backend, Keras imports
    # it here, quietly; on JAX or PyTorch, _keep_tensorflow_out() stops Keras from importing it at
    # all. Errors still surface as Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        import keras

        if keras.backend.backend() != "tensorflow":
            _keep_tensorflow_out()
        keras.utils.set_random_seed(seed)
        if "tensorflow" in sys.modules:
            # Device discovery logs (a failed cuInit, say) come on first use, not at import: get them over with.
            sys.modules["tensorflow"].config.list_physical_devices()
    if "tensorflow" in sys.modules:
        logging.getLogger("absl").setLevel(logging.ERROR)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)

    if deterministic_ops:
        backend = keras.backend.backend()
        # Same inputs, same order of floating-point sums: stored outputs stay comparable run to run.
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
        elif backend == "torch":
            import torch

            torch.use_deterministic_algorithms(True)
        # JAX: XLA's CPU kernels are deterministic already; there is no switch to turn on.
