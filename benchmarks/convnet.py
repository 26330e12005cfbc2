"""Lesson 03's convnet on each Keras backend: one epoch of its training, the lesson's own network and settings.

Part of `make bench` (python -m benchmarks.run), in the alternating rounds of benchmarks/runner.py.
The network is the lesson's own: the cell of lesson 03's source that defines `convnet_layers()`
is executed as it is, and so are the cell that defines its training (`optimizer()`, the batch
size) and the cell that prepares its data, read from the same file. The whole lesson's headless
time is measured by benchmarks/lessons.py.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks import runner
from tools.lessons import BACKENDS, lessons

#: The lesson whose convnet is measured: the one that defines convnet_layers() (None if no lesson does).
LESSON = next((each for each in lessons() if any("def convnet_layers():" in cell for cell in each.code)), None)


def lesson_recipe() -> tuple[str, str]:
    """The code that defines convnet_layers(), and the code that defines its training (optimizer() and all)."""
    if LESSON is None:
        raise SystemExit("no lesson defines convnet_layers(): there is no convnet to benchmark")
    cells = LESSON.code
    layers_cell = next(c for c in cells if "def convnet_layers():" in c)
    definition = layers_cell[: layers_cell.index("\n\n\n# ")] if "\n\n\n# " in layers_cell else layers_cell
    training_cell = next(c for c in cells if "def optimizer():" in c)
    return definition, training_cell.split("model.compile(")[0]


def lesson_data() -> dict:
    """The lesson's own prepared arrays (x_train, y_train, x_valid, y_valid, ...): its data cell, executed."""
    if LESSON is None:
        raise SystemExit("no lesson defines convnet_layers(): there is no convnet to benchmark")
    scope: dict = {}
    exec(next(c for c in LESSON.code if "load_mnist()" in c), scope)
    return scope


def workload_epoch() -> dict:
    """Train the convnet for one epoch under $KERAS_BACKEND; time the epoch after a warm-up batch."""
    from mnist_lesson.repro import reproducible

    reproducible(seed=42)
    import keras
    import numpy as np

    data = lesson_data()  # the lesson's own training images, prepared by its own cell
    x_train, y_train = data["x_train"], data["y_train"]
    definition, setup = lesson_recipe()
    scope = {"keras": keras, "layers": keras.layers, "np": np, **data}
    exec(definition, scope)  # the lesson's own convnet_layers(), nothing copied
    exec(setup, scope)  # and its own optimizer() and batch_size
    batch = scope["batch_size"]
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    model.compile(optimizer=scope["optimizer"](), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:batch], y_train[:batch], epochs=1, batch_size=batch, verbose=0)  # compile, warm up
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=1, batch_size=batch, verbose=0)
    return {"epoch_s": time.perf_counter() - start, "params": model.count_params()}


WORKLOADS = {"epoch": workload_epoch}


def run(repeat: int, env: dict, backends: tuple[str, ...] = BACKENDS) -> dict:
    """One epoch per backend, `repeat` alternating rounds; medians and ratios to the lesson's own backend."""
    own = LESSON.own_backend
    backends, done = runner.backend_rounds("convnet", "epoch", own, backends, repeat, env)
    result = {"date": done[0]["date"], "rounds": repeat, "lesson": LESSON.stem, "own_backend": own, "backends": {}}
    for backend in backends:
        times = [r[backend]["epoch_s"] for r in done]
        result["backends"][backend] = {
            "epoch_s": runner.summary(times),
            "over_own": statistics.median(runner.within_rounds(done, backend, own, "epoch_s")),
        }
    return result


def table(result: dict) -> str:
    """One epoch of the convnet per backend, with its ratio to the lesson's own backend."""
    own = result["own_backend"]
    lines = [f"| backend | one epoch, s (median, min–max) | ratio to {own} (median of the rounds' ratios) |"]
    lines.append("|---|---|---|")
    for backend, row in result["backends"].items():
        t = row["epoch_s"]
        mark = f" ({result['lesson']}'s own)" if backend == own else ""
        lines.append(
            f"| {backend}{mark} | {t['median']:.1f} ({t['min']:.1f}–{t['max']:.1f}) | {row['over_own']:.2f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the benchmarks with `make bench` (python -m benchmarks.run)")
