"""Benchmarks of lesson 01 on each Keras backend: the notebook, its training, PyTorch eager, the FLOP limit, memory.

Part of `make bench` (python -m benchmarks.run), in the alternating rounds of benchmarks/runner.py.
Lesson 01 itself is what is measured: the committed notebook, executed headlessly under each
backend by the lesson registry, its training time read from the `fit` cell's own timing.
Targets (docs/backends.md): lesson 01 under its own backend ≤ 1.0× the PyTorch eager
script's total time; its Keras training ≤ 0.7× PyTorch eager training and ≤ 2.5× the FLOP
limit; kernel peak ≤ 1.0 GB.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import runner
from benchmarks.lessons import PEAK_CELL, cell_seconds, peak_mb
from tools.lessons import BACKENDS, FIRST_LESSON, Configuration, Lesson, calls_fit, execute, lesson

LESSON = lesson(FIRST_LESSON).notebook

#: Lesson 01's split: the first 50,000 training images to train on, the last 10,000 to validate with.
TRAIN, VALID = 50000, 10000


def lesson_recipe() -> tuple[list[tuple[int, int]], int, int]:
    """Lesson 01's layer sizes, epochs and batch size, read from the lesson itself: one source for the recipe."""
    # Only the code cells: the prose and the recap table quote the same calls.
    text = "\n".join(Lesson(LESSON).code)
    inputs = int(re.search(r"keras\.Input\(shape=\((\d+),\)\)", text).group(1))
    hidden = [int(u) for u in re.findall(r'layers\.Dense\(units=(\d+), activation="relu"\)', text)]
    outputs = int(re.search(r"num_categories = (\d+)", text).group(1))
    fit = text[text.index("model.fit(") :]
    sizes = [inputs, *hidden, outputs]
    epochs, batch = (int(re.search(rf"{name}=(\d+)", fit).group(1)) for name in ("epochs", "batch_size"))
    return list(zip(sizes, sizes[1:])), epochs, batch


# What the PyTorch script trains and the FLOP count assume: whatever lesson 01 trains.
LAYERS, EPOCHS, BATCH = lesson_recipe()


def training_flops() -> float:
    """Multiply-add FLOPs of lesson 01's training over EPOCHS epochs, validation passes included (GEMMs only)."""
    forward = sum(2 * n_in * n_out for n_in, n_out in LAYERS)  # per example
    weight_grads = forward
    input_grads = sum(2 * n_in * n_out for n_in, n_out in LAYERS[1:])  # no gradient w.r.t. the pixels
    steps = -(-TRAIN // BATCH)
    per_epoch = steps * BATCH * (forward + weight_grads + input_grads) + VALID * forward
    return EPOCHS * per_epoch


# ----------------------------------------------------------------------------- workloads (subprocesses)


def lesson_arrays():
    """The lesson's prepared data: float32 pixels in [0, 1] and integer labels."""
    from mnist_lesson.data import load_mnist

    (train_images, train_labels), _ = load_mnist()
    x_train = train_images[:TRAIN].reshape(TRAIN, 784).astype("float32") / 255
    x_valid = train_images[TRAIN:].reshape(VALID, 784).astype("float32") / 255
    return x_train, train_labels[:TRAIN], x_valid, train_labels[TRAIN:]


def workload_torch() -> dict:
    """The same network, optimizer, batches and epochs in plain PyTorch, eager; imports and data included."""
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(42)
    torch.set_num_threads(os.cpu_count() or 1)
    x_train, y_train, x_valid, y_valid = (torch.from_numpy(np.asarray(a)) for a in lesson_arrays())
    y_train, y_valid = y_train.long(), y_valid.long()
    stack = []
    for n_in, n_out in LAYERS:
        stack += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*stack[:-1])  # no ReLU after the output layer: softmax is in the loss
    # Keras's RMSprop defaults; softmax + categorical cross-entropy is CrossEntropyLoss on the logits.
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(TRAIN)  # Keras shuffles every epoch too
        for first in range(0, TRAIN, BATCH):
            batch = order[first : first + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_accuracy = (model(x_valid).argmax(dim=1) == y_valid).float().mean().item()
    seconds = time.perf_counter() - start
    return {"train_s": seconds, "val_accuracy": val_accuracy, "torch": torch.__version__}


def workload_matmul() -> dict:
    """float32 GEMM rate at the lesson's batch shapes: one training step's GEMMs, repeated."""
    import numpy as np

    rng = np.random.default_rng(0)
    gemms = []  # (a, b) pairs of one training step: forward, weight gradients, input gradients
    for i, (n_in, n_out) in enumerate(LAYERS):
        gemms.append((rng.random((BATCH, n_in), np.float32), rng.random((n_in, n_out), np.float32)))
        gemms.append((rng.random((n_in, BATCH), np.float32), rng.random((BATCH, n_out), np.float32)))
        if i > 0:
            gemms.append((rng.random((BATCH, n_out), np.float32), rng.random((n_out, n_in), np.float32)))
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in gemms)
    for a, b in gemms:
        a @ b  # warm up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(500):
            for a, b in gemms:
                a @ b
        best = min(best, time.perf_counter() - start)
    return {"gflops": 500 * flops / best / 1e9, "step_flops": flops}


def workload_lesson() -> dict:
    """Execute lesson 01 headlessly (kernel start included) on a copy, under $KERAS_BACKEND; time it and its fit."""
    backend = os.environ["KERAS_BACKEND"]
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        (copy,) = execute(
            [lesson(FIRST_LESSON)],
            Path(scratch),
            Configuration(backend, {"KERAS_BACKEND": backend}),
            last_cell=PEAK_CELL,
        )
        seconds = time.perf_counter() - start
        code = [c for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code"]
    fit = next(c for c in code if calls_fit("".join(c["source"])))
    printed = ["".join("".join(o.get("text", "")) for o in c["outputs"]) for c in code]
    # Early stopping decides how many epochs the lesson trains: each prints one "Epoch N/10" line.
    epochs = len(re.findall(r"^Epoch \d+/", printed[code.index(fit)], re.MULTILINE))
    results = next(text for text in printed[code.index(fit) :] if "val_accuracy:" in text)  # the kept epoch's
    return {
        "wall_s": seconds,
        "train_s": cell_seconds(fit),
        "epochs": epochs,
        "peak_mb": peak_mb(code),
        "val_accuracy": float(results.split("val_accuracy:")[1].split()[0]),
    }


# ----------------------------------------------------------------------------- rounds and summary


def measurements(backends: list[str]) -> list[runner.Measurement]:
    """One round's measurements: the GEMM rate, PyTorch eager, and lesson 01 on each backend."""
    found = [runner.Measurement("dense", "matmul", "matmul"), runner.Measurement("dense", "torch", "eager")]
    for backend in backends:
        found.append(runner.Measurement("dense", "lesson", f"lesson on {backend}", {"KERAS_BACKEND": backend}))
    return found


def run(repeat: int, env: dict, backends: tuple[str, ...] = BACKENDS) -> dict:
    """Measure lesson 01 `repeat` times in alternating rounds; return the summary docs/backends.md shows."""
    own = lesson(FIRST_LESSON).own_backend
    done = runner.rounds(measurements(backends), repeat, env, "dense")
    for r in done:  # the table reads lesson results by backend
        r["lesson"] = {backend: r.pop(f"lesson on {backend}") for backend in backends}
    return summarise(done, backends, own)


def summarise(rounds: list[dict], backends: list[str], own: str) -> dict:
    """Medians and spreads of every measurement, and the ratios taken within each round."""
    limit = [training_flops() / (r["matmul"]["gflops"] * 1e9) for r in rounds]
    series = {
        "flop_limit_s": limit,
        "eager_process_s": [r["eager"]["process_s"] for r in rounds],
        "eager_train_s": [r["eager"]["train_s"] for r in rounds],
    }

    def per_epoch(x: dict) -> float:
        """How much more work PyTorch's EPOCHS epochs are than the epochs early stopping let the lesson train."""
        return EPOCHS / x.get("epochs", EPOCHS)

    for backend in backends:
        lesson = [r["lesson"][backend] for r in rounds]
        series[f"{backend}_lesson_s"] = [x["wall_s"] for x in lesson]
        series[f"{backend}_train_s"] = [x["train_s"] for x in lesson]
        series[f"{backend}_peak_mb"] = [x["peak_mb"] for x in lesson]
        series[f"{backend}_val_accuracy"] = [x["val_accuracy"] for x in lesson]
        # Ratios within a round: both sides ran minutes apart, under the same load.
        series[f"{backend}_lesson_over_eager_process"] = [
            x["wall_s"] / r["eager"]["process_s"] for x, r in zip(lesson, rounds)
        ]
        series[f"{backend}_train_over_eager_train"] = [
            x["train_s"] / r["eager"]["train_s"] * per_epoch(x) for x, r in zip(lesson, rounds)
        ]
        series[f"{backend}_train_over_limit"] = [x["train_s"] / lim * per_epoch(x) for x, lim in zip(lesson, limit)]
        if backend == own:
            continue
        series[f"{backend}_train_over_{own}_train"] = [
            x["train_s"] / r["lesson"][own]["train_s"] * per_epoch(x) / per_epoch(r["lesson"][own])
            for x, r in zip(lesson, rounds)
        ]
    result = {
        "machine": runner.machine(),
        "backends_measured": list(backends),
        "date": rounds[0].get("date", time.strftime("%Y-%m-%d")),
        "own_backend": own,
        "training_tflop": training_flops() / 1e12,
        "torch_version": rounds[-1]["eager"]["torch"],
        "series": {name: runner.summary(values) for name, values in series.items()},
    }
    return result


def table(result: dict) -> str:
    """docs/backends.md's lesson 01 table: medians, min–max over rounds, targets for the lesson's own backend."""
    s, own, backends = result["series"], result["own_backend"], result["backends_measured"]

    def row(name, key, unit="", target="", met=None, digits=1):
        m = s[key]
        span = f"{m['min']:.{digits}f}–{m['max']:.{digits}f}"
        verdict = "" if met is None else ("met" if met(m["median"]) else "missed")
        return f"| {name} | {m['median']:.{digits}f}{unit} | {span} | {target} | {verdict} |"

    lines = ["| measurement | median | min–max | target | |", "|---|---|---|---|---|"]
    for backend in backends:
        mark = " (its own)" if backend == own else ""
        lines.append(row(f"lesson 01 executed headlessly on {backend}{mark}, wall (s)", f"{backend}_lesson_s"))
    lines.append(row("PyTorch eager script, imports + data + training, wall (s)", "eager_process_s"))
    for backend in backends:
        lines.append(row(f"Keras training on {backend}, lesson 01's fit cell (s)", f"{backend}_train_s"))
    lines.append(row("PyTorch eager training, same work (s)", "eager_train_s"))
    lines.append(row(f"FLOP limit: {result['training_tflop']:.2f} TFLOP at the batches' GEMM rate (s)", "flop_limit_s"))
    lines.append(
        row(
            f"lesson 01 on {own} / PyTorch eager script",
            f"{own}_lesson_over_eager_process",
            "×",
            "≤ 1.0×",
            lambda v: v <= 1.0,
            2,
        )
    )
    for backend in backends:
        target = ("≤ 0.7×", lambda v: v <= 0.7) if backend == own else ("", None)
        lines.append(
            row(
                f"Keras training on {backend} / PyTorch eager training, per epoch",
                f"{backend}_train_over_eager_train",
                "×",
                *target,
                2,
            )
        )
    for backend in backends:
        target = ("≤ 2.5×", lambda v: v <= 2.5) if backend == own else ("", None)
        lines.append(
            row(f"Keras training on {backend} / FLOP limit, per epoch", f"{backend}_train_over_limit", "×", *target, 2)
        )
    for backend in backends:
        if backend != own:
            lines.append(
                row(
                    f"Keras training on {backend} / on {own}, per epoch",
                    f"{backend}_train_over_{own}_train",
                    "×",
                    digits=2,
                )
            )
    for backend in backends:
        target = ("≤ 1024 MB", lambda v: v <= 1024) if backend == own else ("", None)
        lines.append(row(f"kernel peak resident memory on {backend} (MB)", f"{backend}_peak_mb", "", *target, 0))
    for backend in backends:
        lines.append(row(f"val_accuracy on {backend}", f"{backend}_val_accuracy", digits=4))
    return "\n".join(lines)


WORKLOADS = {"torch": workload_torch, "matmul": workload_matmul, "lesson": workload_lesson}

if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the benchmarks with `make bench` (python -m benchmarks.run)")
