"""How lesson 03's augmentation was chosen: each candidate scored on the choosing half of the new handwriting only.

`python -m benchmarks.run --only augmentation` (part of `make bench`). Lesson 03 splits lesson 02's
new handwriting (scikit-learn's `load_digits`) into two fixed halves: the **choosing half**, on which
this study scores each candidate augmentation, and the **held-back half**, which only the lesson's
final table reads. The lesson's convnet, its `RandomThickness` layer, its optimizer, epochs and
batch size are the lesson's own code, executed from its source; each candidate trains a fresh
network on TensorFlow with each seed in SEEDS. The held-back half is never scored here.
"""

from __future__ import annotations

import os
import statistics
import sys

from benchmarks import runner
from tools.lessons import lessons

#: The lesson that holds the augmentation.
LESSON = next((each for each in lessons() if any("class RandomThickness" in cell for cell in each.code)), None)
SEEDS = (42, 1, 2)
SEED_ENV = "MNIST_LESSON_STUDY_SEED"
TRAINED_ON = LESSON.own_backend if LESSON else "tensorflow"  # the lesson's own backend, from the registry
#: Each candidate: the augmentation layers in front of the convnet, as code run after the lesson's own cells.
CANDIDATES = {
    "none": "[]",
    "thickness and rotation (the lesson's)": "augmentation.layers",
    "thickness": "[RandomThickness(rate=0.5)]",
    "rotation": '[layers.RandomRotation(factor=0.05, fill_mode="constant")]',
    "blur": "[layers.RandomGaussianBlur(factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 1))]",
    "shift, zoom and rotation": (
        '[layers.RandomTranslation(0.1, 0.1, fill_mode="constant"), layers.RandomZoom(0.1, fill_mode="constant"),'
        ' layers.RandomRotation(factor=0.05, fill_mode="constant")]'
    ),
}


def lesson_cells(*markers: str) -> list[str]:
    """The lesson's code cells that contain each marker, in the lesson's order."""
    if LESSON is None:
        raise SystemExit("no lesson defines RandomThickness: there is no augmentation to study")
    return [cell for cell in LESSON.code if any(marker in cell for marker in markers)]


def score(candidate: str) -> dict:
    """Train the lesson's convnet with one candidate augmentation; its accuracy on the choosing half."""
    from mnist_lesson.repro import reproducible

    reproducible(seed=int(os.environ.get(SEED_ENV, SEEDS[0])))
    import keras
    import numpy as np

    from benchmarks.convnet import lesson_data

    scope = {"keras": keras, "layers": keras.layers, "np": np, **lesson_data()}  # the lesson's own training split
    # The lesson's own code: the halves, the convnet, the training settings, RandomThickness and its augmentation.
    for cell in lesson_cells("held_back =", "def convnet_layers():", "def optimizer():", "class RandomThickness"):
        code = cell.split("\n\n\n# ")[0] if "def convnet_layers():" in cell else cell
        exec(code.split("model.compile(")[0], scope)  # not the lesson's own model: each candidate builds one
    exec(f"chosen = {CANDIDATES[candidate]}", scope)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["chosen"], *scope["convnet_layers"]()])
    model.compile(optimizer=scope["optimizer"](), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(scope["x_train"], scope["y_train"], epochs=scope["epochs"], batch_size=scope["batch_size"], verbose=0)
    x_new, target = scope["x_new"][scope["choosing"]], scope["new_digits"].target[scope["choosing"]]
    predicted = model.predict(x_new.reshape(-1, 28, 28, 1), verbose=0).argmax(axis=1)
    return {"choosing_accuracy": float((predicted == target).mean())}


WORKLOADS = {name: (lambda name=name: score(name)) for name in CANDIDATES}


def run(repeat: int, env: dict) -> dict:  # noqa: ARG001 (the seeds, not rounds, repeat it)
    """Every candidate with every seed (the seeds take the place of rounds); accuracy on the choosing half."""
    measured = [
        runner.Measurement(
            "augmentation", name, f"{name}, seed {seed}", {"KERAS_BACKEND": "tensorflow", SEED_ENV: str(seed)}
        )
        for seed in SEEDS
        for name in CANDIDATES
    ]
    done = runner.rounds(measured, 1, env, "augmentation")[0]
    result = {"date": done["date"], "rounds": 1, "lesson": LESSON.stem, "seeds": list(SEEDS), "candidates": {}}
    for name in CANDIDATES:
        scores = [done[f"{name}, seed {seed}"]["choosing_accuracy"] for seed in SEEDS]
        result["candidates"][name] = {"choosing_accuracy": scores, "mean": statistics.mean(scores)}
    return result


def table(result: dict) -> str:
    """Each candidate's accuracy on the choosing half, per seed and on average, best first."""
    seeds = result["seeds"]
    lines = [f"| augmentation | {' | '.join(f'seed {s}' for s in seeds)} | mean |", "|---|" + "---|" * (len(seeds) + 1)]
    rows = sorted(result["candidates"].items(), key=lambda item: -item[1]["mean"])
    for name, row in rows:
        lines.append(f"| {name} | {' | '.join(f'{v:.4f}' for v in row['choosing_accuracy'])} | {row['mean']:.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the study with `python -m benchmarks.run --only augmentation`")
