"""Lesson 04 on each Keras backend: the whole lesson, and its cell that trains by hand and with Keras's SGD.

Part of `make bench` (python -m benchmarks.run), in the alternating rounds of benchmarks/runner.py.
Most of lesson 04 is NumPy and the same on any backend; Keras trains one small dense network in
it, in the cell that also runs the hand-written epoch (`train_one_epoch`) on the same batches.
That cell's time is read from its own timing: its NumPy half is the same on every backend, so the
differences between backends are its `fit`'s. docs/backends.md shows it ("Lesson 04 on each backend").
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import runner
from benchmarks.lessons import cell_seconds
from tools.lessons import BACKENDS, Configuration, execute, lessons

#: The lesson measured: the one that writes gradient descent by hand (None if no lesson does).
LESSON = next((each for each in lessons() if any("def train_one_epoch(" in cell for cell in each.code)), None)
#: The cell whose time is the training's: the hand-written epoch and Keras's fit, on the same batches.
TRAINING = "history = model.fit("


def workload_lesson() -> dict:
    """Execute the lesson headlessly (kernel start included) under $KERAS_BACKEND; its time and its training cell's."""
    if LESSON is None:
        raise SystemExit("no lesson defines train_one_epoch(): there is no lesson 04 to measure")
    backend = os.environ["KERAS_BACKEND"]
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as scratch:
        start = time.perf_counter()
        (copy,) = execute([LESSON], Path(scratch), Configuration(backend, {"KERAS_BACKEND": backend}))
        seconds = time.perf_counter() - start
        code = [c for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code"]
    training = [c for c in code if TRAINING in "".join(c["source"])]
    if len(training) != 1:
        raise SystemExit(f"{LESSON.md.name}: expected one cell with {TRAINING!r}, found {len(training)}")
    return {"wall_s": seconds, "training_s": cell_seconds(training[0])}


WORKLOADS = {"lesson": workload_lesson}


def run(repeat: int, env: dict, backends: tuple[str, ...] = BACKENDS) -> dict:
    """The lesson on every backend, `repeat` alternating rounds; medians, and ratios to its own backend's."""
    own = LESSON.own_backend
    backends, done = runner.backend_rounds("learning", "lesson", own, backends, repeat, env)
    result = {"date": done[0]["date"], "rounds": repeat, "lesson": LESSON.stem, "own_backend": own, "backends": {}}
    for backend in backends:
        result["backends"][backend] = {
            key: runner.summary([r[backend][key] for r in done]) for key in ("wall_s", "training_s")
        } | {
            f"{key}_over_own": statistics.median(runner.within_rounds(done, backend, own, key))
            for key in ("wall_s", "training_s")
        }
    return result


def table(result: dict) -> str:
    """The whole lesson and its training cell per backend, with ratios to the lesson's own backend."""
    own = result["own_backend"]
    lines = [
        f"| backend | whole lesson, s (median, min–max) | × {own} | training cell, s (median, min–max) | × {own} |",
        "|---|---|---|---|---|",
    ]
    for backend, row in result["backends"].items():
        wall, training = row["wall_s"], row["training_s"]
        mark = f" ({result['lesson']}'s own)" if backend == own else ""
        lines.append(
            f"| {backend}{mark} | {wall['median']:.1f} ({wall['min']:.1f}–{wall['max']:.1f}) | "
            f"{row['wall_s_over_own']:.2f}× | {training['median']:.2f} ({training['min']:.2f}–{training['max']:.2f}) "
            f"| {row['training_s_over_own']:.2f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the benchmarks with `make bench` (python -m benchmarks.run)")
