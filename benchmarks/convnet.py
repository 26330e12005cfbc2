"""Benchmark of lesson 03's convnet on each Keras backend: one epoch of its training, and the whole lesson.

Run with `make bench` (after lesson 01's benchmark) or `python benchmarks/convnet.py`.
The network is the lesson's own: the cell of notebooks/03_convnets.md that defines
`convnet_layers()` is executed as it is, and so are its `compile` and `fit` settings, read
from the same file. Each measurement runs in a fresh process; the rounds alternate the
backends, so the machine's drift hits all of them alike, and each ratio is taken within a
round. With --lesson, the committed lesson is also executed headlessly on its own backend
and timed (kernel start included). Results go to benchmarks/results/convnet.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "03_convnets.ipynb"
RESULTS = ROOT / "benchmarks" / "results"
BACKENDS = ("tensorflow", "jax", "torch")


def lesson_cells() -> list[str]:
    """The code cells of lesson 03's source, in order."""
    return re.findall(r"```python[^\n]*\n(.*?)```", LESSON.with_suffix(".md").read_text(), re.DOTALL)


def lesson_recipe() -> tuple[str, str, int]:
    """The cell defining convnet_layers(), the optimizer and the batch size of lesson 03's first fit."""
    cells = lesson_cells()
    layers_cell = next(c for c in cells if "def convnet_layers():" in c)
    definition = layers_cell[: layers_cell.index("\n\n\n# ")] if "\n\n\n# " in layers_cell else layers_cell
    compile_cell = next(c for c in cells if "model.compile(" in c)
    optimizer = re.search(r'optimizer="(\w+)"', compile_cell).group(1)
    fit_cell = next(c for c in cells if "history = model.fit(" in c)
    batch = int(re.search(r"batch_size=(\d+)", fit_cell).group(1))
    return definition, optimizer, batch


def workload_epoch() -> dict:
    """Train lesson 03's convnet for one epoch under $KERAS_BACKEND; time the epoch after a warm-up batch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT / "src"))
    from mnist_lesson.repro import reproducible

    reproducible(seed=42)
    import keras

    from mnist_lesson.data import load_mnist

    (x_train, y_train), _ = load_mnist()
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, 10)
    definition, optimizer, batch = lesson_recipe()
    scope = {"keras": keras, "layers": keras.layers, "num_categories": 10}
    exec(definition, scope)  # the lesson's own convnet_layers(), nothing copied
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *scope["convnet_layers"]()])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:batch], y_train[:batch], epochs=1, batch_size=batch, verbose=0)  # compile, warm up
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=1, batch_size=batch, verbose=0)
    return {"epoch_s": time.perf_counter() - start, "params": model.count_params()}


def workload_lesson() -> dict:
    """Execute the committed lesson 03 headlessly on a copy under its own backend; time it."""
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSON, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MNIST_LESSON_MODEL"] = str(Path(scratch) / "01_mnist.keras")
        client = NotebookClient(
            nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(LESSON.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        return {"wall_s": time.perf_counter() - start}


WORKLOADS = {"epoch": workload_epoch, "lesson": workload_lesson}


def measure(name: str, env: dict) -> dict:
    """One run of a workload in a fresh process."""
    label = f"{name} ({env.get('KERAS_BACKEND', 'own backend')})"
    print(f"  {label} …", end="", flush=True, file=sys.stderr)
    done = subprocess.run(
        [sys.executable, __file__, "--workload", name], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if done.returncode != 0:
        sys.exit(f"\nbenchmark {label!r} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(" " + ", ".join(f"{k} {v:.3g}" for k, v in result.items()), file=sys.stderr)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each trains one epoch on every backend")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="Keras backends to compare")
    parser.add_argument("--lesson", action="store_true", help="also execute the whole lesson once per round")
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workload:
        print(json.dumps(WORKLOADS[args.workload]()))
        return 0
    backends = args.backends.split(",")
    if not backends or not set(backends) <= set(BACKENDS):
        parser.error(f"--backends must name some of {', '.join(BACKENDS)}")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    rounds = []
    print(f"Lesson 03's convnet, one epoch per backend, {args.repeat} alternating rounds …", file=sys.stderr)
    for number in range(1, args.repeat + 1):
        print(f"round {number}/{args.repeat}", file=sys.stderr)
        run = {backend: measure("epoch", dict(env, KERAS_BACKEND=backend)) for backend in backends}
        if args.lesson:
            run["lesson"] = measure("lesson", env)
        rounds.append(run)
    first = backends[0]
    lines = [f"| backend | one epoch, s (median, min–max) | ratio to {first} (median of rounds) |", "|---|---|---|"]
    for backend in backends:
        times = [r[backend]["epoch_s"] for r in rounds]
        ratio = statistics.median(r[backend]["epoch_s"] / r[first]["epoch_s"] for r in rounds)
        lines.append(
            f"| {backend} | {statistics.median(times):.1f} ({min(times):.1f}–{max(times):.1f}) | {ratio:.2f}× |"
        )
    if args.lesson:
        walls = [r["lesson"]["wall_s"] for r in rounds]
        spread = f"{min(walls):.0f}–{max(walls):.0f}"
        lines.append(f"\nWhole lesson, headless, own backend: {statistics.median(walls):.0f} s (median; {spread})")
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "convnet.json").write_text(
        json.dumps({"date": time.strftime("%Y-%m-%d"), "rounds": rounds}, indent=1) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
