"""The lessons as the course's tools see them: their order, their own backend, executing them in a scratch copy.

Shared by tools/measure_spread.py and tests/notebooks/test_drift.py (course tooling).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from mnist_lesson.paths import NOTEBOOKS

#: Every lesson's executed notebook, in the order they run (lesson 02 loads the model lesson 01 saves).
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
OWN_BACKEND = re.compile(r'setdefault\("KERAS_BACKEND", "(\w+)"\)')


def own_backend(lesson: Path) -> str:
    """The backend a lesson's first cell picks."""
    return OWN_BACKEND.search(Path(lesson).with_suffix(".md").read_text()).group(1)


def other_backend(lesson: Path) -> str:
    """The second backend CI checks a lesson on: TensorFlow for a JAX lesson, else JAX."""
    return "jax" if own_backend(lesson) == "tensorflow" else "tensorflow"


#: CI's second configuration of a lesson, by its own backend (README, "What CI checks"). A JAX lesson
#: runs on TensorFlow: other random weights, other kernels. A TensorFlow lesson (the convnet) would
#: take five times as long on JAX, so CI runs it on TensorFlow limited to AVX instead, whose
#: kernels take every sum in another order; JAX and PyTorch are checked by `make test-backends`.
SECOND_CONFIGURATION = {
    "jax": {"KERAS_BACKEND": "tensorflow"},
    "tensorflow": {"KERAS_BACKEND": "tensorflow", "ONEDNN_MAX_CPU_ISA": "AVX"},
}


def second_configuration(lesson: Path) -> dict[str, str]:
    """The environment CI checks a lesson under a second time."""
    return dict(SECOND_CONFIGURATION[own_backend(lesson)])


def execute_in_scratch(
    scratch: Path,
    env: Mapping[str, str],
    env_for: Callable[[Path], Mapping[str, str]] = lambda lesson: {},
    prefix: tuple[str, ...] = (),
    timeout: int = 1800,
    lessons: list[Path] | None = None,
) -> list[Path]:
    """Execute every lesson (or those given), in order, in copies under scratch/notebooks; return the copies.

    Each lesson runs with env plus env_for(lesson), behind the command prefix (taskset, say);
    lesson 01 saves its model in scratch, where later lessons then find it.
    """
    (scratch / "notebooks").mkdir(parents=True, exist_ok=True)
    base = dict(env, MNIST_LESSON_MODEL=str(scratch / "01_mnist.keras"))
    executed = []
    for lesson in LESSONS if lessons is None else lessons:
        copy = Path(shutil.copy(lesson, scratch / "notebooks" / lesson.name))
        command = [*prefix, sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute"]
        command += ["--inplace", "--log-level=ERROR", f"--ExecutePreprocessor.timeout={timeout}", str(copy)]
        done = subprocess.run(command, env=dict(base, **env_for(lesson)), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{lesson.name} failed to execute:\n{done.stderr[-3000:]}")
        executed.append(copy)
    return executed


if __name__ == "__main__":
    # `python tools/lessons.py --second-configuration notebooks/03_convnets.ipynb` prints KEY=VALUE pairs for env.
    if len(sys.argv) != 3 or sys.argv[1] != "--second-configuration":
        sys.exit("usage: python tools/lessons.py --second-configuration LESSON.ipynb")
    print(" ".join(f"{key}={value}" for key, value in second_configuration(Path(sys.argv[2])).items()))
