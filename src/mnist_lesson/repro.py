"""Reproducible, quiet Keras sessions on any backend: JAX, TensorFlow or PyTorch (introduced in lesson 01)."""

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


def reproducible(seed: int = DEFAULT_SEED, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend, make its ops deterministic and keep logs quiet (lesson 01)."""
    # TensorFlow's C++ side prints start-up lines (oneDNN, no CUDA driver) before its log level
    # applies, and Jupyter would store them in the notebook. Keras imports TensorFlow when it is
    # the backend, and also under JAX or PyTorch whenever it is installed, because
    # set_random_seed seeds tf.random for tf.data pipelines; so both happen here, quietly.
    # Errors still surface as Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        import keras

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
