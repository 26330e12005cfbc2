"""Lesson 03's training made cheaper: narrower convolutions or fewer epochs, against its 99% floor.

`python -m benchmarks.run --only widths` (part of `make bench`, about 15 minutes). Lesson 03 has a
budget (benchmarks/lessons.py) and a floor: CI requires its first network's `val_accuracy` to be at
least 0.99 on every backend and processor. Its two `fit` calls are most of its time, so this study
trains the lesson's own recipe (its `convnet_layers()`, `optimizer()`, epochs and batch size,
executed from its source) and variants that cost less: fewer filters in each convolution, or one
epoch fewer under the same schedule. Each candidate is trained with each seed; the seeds take the
place of rounds, so every round runs every candidate once and a time ratio is taken within a round.

The score is the lesson's own `val_accuracy` after the last epoch, the figure its floor is about.
Nothing is chosen on it here that the lesson reports: the lesson keeps its recipe unless a candidate
is both within its budget and clearly above the floor, and its honest test stays the held-back half
of the new handwriting.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time

from benchmarks import runner

# The lesson studied and its recipe's code are the convnet benchmark's: the lesson that defines convnet_layers().
from benchmarks.convnet import LESSON, lesson_data, lesson_recipe

SEEDS = (42, 1, 2)
SEED_ENV = "MNIST_LESSON_STUDY_SEED"


def floor() -> float:
    """The first network's floor on `val_accuracy`: the first nbval_minimum for it in the lesson's stored notebook."""
    cells = json.loads(LESSON.notebook.read_text())["cells"]
    return next(
        c["metadata"]["nbval_minimum"]["val_accuracy"]
        for c in cells
        if "val_accuracy" in c["metadata"].get("nbval_minimum", {})
    )


#: Each candidate: (filters of the first convolution, filters of the second, epochs); None keeps the lesson's.
CANDIDATES = {
    "the lesson's": (None, None, None),
    "first convolution 8 filters": (8, None, None),
    "second convolution 32 filters": (None, 32, None),
    "one epoch fewer": (None, None, -1),
}
REFERENCE = "the lesson's"


def narrower(code: str, first: int | None, second: int | None) -> str:
    """The lesson's convnet_layers() with other filter counts in its two Conv2D layers, in order."""
    if first is None and second is None:
        return code
    found = list(re.finditer(r"Conv2D\(filters=(\d+)", code))
    if len(found) != 2:
        raise SystemExit(f"expected two Conv2D(filters=...) in lesson 03's convnet_layers(), found {len(found)}")
    for match, filters in reversed(list(zip(found, (first, second), strict=True))):
        if filters is not None:
            code = code[: match.start(1)] + str(filters) + code[match.end(1) :]
    return code


def train(candidate: str) -> dict:
    """Train one candidate as the lesson trains its first network; its fit time and last val_accuracy."""
    from mnist_lesson.repro import reproducible

    reproducible(seed=int(os.environ.get(SEED_ENV, SEEDS[0])))
    import keras
    import numpy as np

    scope = {"keras": keras, "layers": keras.layers, "np": np, **lesson_data()}  # the lesson's own split
    x_train, y_train, x_valid, y_valid = (scope[k] for k in ("x_train", "y_train", "x_valid", "y_valid"))
    first, second, fewer = CANDIDATES[candidate]
    layers_code, setup = lesson_recipe()  # the same code the convnet benchmark trains
    exec(narrower(layers_code, first, second), scope)  # the lesson's convnet_layers(), filters changed or not
    exec(setup, scope)  # its epochs, batch size, steps and optimizer()
    if fewer:
        # The schedule spans all the steps, as the lesson's does: fewer epochs, fewer steps.
        scope["epochs"] += fewer
        scope["steps"] = scope["epochs"] * int(np.ceil(len(x_train) / scope["batch_size"]))
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    model.compile(optimizer=scope["optimizer"](), loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        epochs=scope["epochs"],
        batch_size=scope["batch_size"],
        validation_data=(x_valid, y_valid),
        verbose=0,
    )
    fit_s = time.perf_counter() - start
    return {
        "fit_s": fit_s,
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "params": float(model.count_params()),
        "epochs": float(scope["epochs"]),
    }


WORKLOADS = {name: (lambda name=name: train(name)) for name in CANDIDATES}


def run(repeat: int, env: dict) -> dict:  # noqa: ARG001 (the seeds, not rounds, repeat it)
    """Every candidate once per seed, seed after seed; fit times as ratios to the lesson's within each seed."""
    own = LESSON.own_backend
    done = []
    for seed in SEEDS:
        print(f"seed {seed}", file=sys.stderr)
        env_of = {"KERAS_BACKEND": own, SEED_ENV: str(seed)}
        found = {name: runner.measure(runner.Measurement("widths", name, name, env_of), env) for name in CANDIDATES}
        done.append({"date": time.strftime("%Y-%m-%d"), "seed": seed} | found)
        runner.RESULTS.mkdir(parents=True, exist_ok=True)
        (runner.RESULTS / "widths.rounds.json").write_text(json.dumps(done, indent=1) + "\n")  # kept if a seed fails
    result = {"date": done[0]["date"], "rounds": len(SEEDS), "lesson": LESSON.stem, "seeds": list(SEEDS)}
    result |= {"backend": own, "floor": floor(), "candidates": {}}
    for name in CANDIDATES:
        result["candidates"][name] = {
            "params": int(done[0][name]["params"]),
            "epochs": int(done[0][name]["epochs"]),
            "fit_s": runner.summary([r[name]["fit_s"] for r in done]),
            "over_lesson": statistics.median(runner.within_rounds(done, name, REFERENCE, "fit_s")),
            "val_accuracy": [r[name]["val_accuracy"] for r in done],
        }
    return result


def table(result: dict) -> str:
    """Each candidate: its size, fit time and ratio to the lesson's, val_accuracy per seed, and the floor."""
    seeds = result["seeds"]
    lines = [
        "| training | parameters | epochs | one fit, s (median, min–max) | × the lesson's | "
        + " | ".join(f"val_accuracy, seed {s}" for s in seeds)
        + f" | all ≥ {result['floor']}? |",
        "|---|---|---|---|---|" + "---|" * len(seeds) + "---|",
    ]
    for name, row in result["candidates"].items():
        t = row["fit_s"]
        scores = row["val_accuracy"]
        lines.append(
            f"| {name} | {row['params']:,} | {row['epochs']} | {t['median']:.0f} ({t['min']:.0f}–{t['max']:.0f}) "
            f"| {row['over_lesson']:.2f}× | "
            + " | ".join(f"{v:.4f}" for v in scores)
            + f" | {'yes' if min(scores) >= result['floor'] else '**no**'} (lowest {min(scores):.4f}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the study with `python -m benchmarks.run --only widths`")
