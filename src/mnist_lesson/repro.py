"""Reproducible, quiet TensorFlow sessions for the lessons (introduced in lesson 01)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

#: The seed every lesson uses, so that stored outputs can be compared run to run.
DEFAULT_SEED = 42


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


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up log lines on stdout or stderr (lesson 01)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules:
        return
    # TensorFlow's C++ side prints a few lines (no CUDA driver found, absl not initialised)
    # before TF_CPP_MIN_LOG_LEVEL takes effect; they are noise in a lesson, and Jupyter
    # would store them in the notebook. Errors still surface as Python exceptions.
    with _native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery logs happen here, not later in the lesson
    logging.getLogger("absl").setLevel(logging.ERROR)
    tf.get_logger().setLevel(logging.ERROR)


def reproducible(seed: int = DEFAULT_SEED, deterministic_ops: bool = True) -> None:
    """Quiet TensorFlow, seed Python, NumPy and the backend, and make ops deterministic (lesson 01)."""
    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # Same inputs, same order of floating-point sums: the stored outputs stay comparable.
        tf.config.experimental.enable_op_determinism()
