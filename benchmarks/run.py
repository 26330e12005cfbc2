"""Benchmarks of lesson 01: notebook wall time, Keras vs PyTorch training, the FLOP limit, kernel memory.

Run with `make bench`. Each measurement runs in a fresh Python process, several times;
the table reports the median and the min–max, and the same numbers go to
benchmarks/results/latest.json. Targets (see README, "Performance"): lesson ≤ 25 s,
Keras ≤ 1.0× PyTorch eager, Keras ≤ 2× the FLOP limit, kernel peak ≤ 1.0 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LESSON = ROOT / "notebooks" / "01_mnist.ipynb"

# The lesson's configuration.
EPOCHS, BATCH, TRAIN, VALID = 5, 32, 60000, 10000
LAYERS = [(784, 512), (512, 512), (512, 10)]


def training_flops() -> float:
    """Multiply-add FLOPs of lesson 01's training, validation passes included (GEMMs only)."""
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

    (x_train, y_train), (x_valid, y_valid) = load_mnist()
    x_train = x_train.reshape(TRAIN, 784).astype("float32") / 255
    x_valid = x_valid.reshape(VALID, 784).astype("float32") / 255
    return x_train, y_train, x_valid, y_valid


def workload_keras() -> dict:
    from mnist_lesson.repro import reproducible

    reproducible(seed=42)
    import keras

    from mnist_lesson.models import build_lesson01_model

    x_train, y_train, x_valid, y_valid = lesson_arrays()
    y_train, y_valid = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_valid, 10)
    model = build_lesson01_model()
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, epochs=EPOCHS, batch_size=BATCH, validation_data=(x_valid, y_valid), verbose=0
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "val_accuracy": history.history["val_accuracy"][-1]}


def workload_torch() -> dict:
    sys.path.insert(0, os.environ["MNIST_LESSON_BENCH_DEPS"])
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(42)
    torch.set_num_threads(os.cpu_count() or 1)
    x_train, y_train, x_valid, y_valid = (torch.from_numpy(np.asarray(a)) for a in lesson_arrays())
    y_train, y_valid = y_train.long(), y_valid.long()
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
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
    return {"seconds": seconds, "val_accuracy": val_accuracy, "torch": torch.__version__}


def workload_matmul() -> dict:
    """float32 GEMM rate at the lesson's batch-32 shapes: one training step's GEMMs, repeated."""
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


PEAK_CELL = """\
# benchmark: the kernel's peak resident memory
print("VmHWM_kB", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""


def workload_lesson() -> dict:
    """Execute lesson 01 headlessly (kernel start included) on a copy; report wall time and kernel peak RSS."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSON, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    with tempfile.TemporaryDirectory() as scratch:
        # A child process of its own: the kernel inherits this and leaves artifacts/ alone.
        os.environ["MNIST_LESSON_MODEL"] = str(Path(scratch) / "model.keras")
        client = NotebookClient(
            nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(LESSON.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    peak_kb = int(nb.cells[-1].outputs[0].text.split()[1])
    return {"seconds": seconds, "peak_mb": peak_kb / 1024}


WORKLOADS = {"keras": workload_keras, "torch": workload_torch, "matmul": workload_matmul, "lesson": workload_lesson}


# ----------------------------------------------------------------------------- the runner


def measure(name: str, repeat: int, env: dict) -> list[dict]:
    runs = []
    for i in range(repeat):
        print(f"  {name} {i + 1}/{repeat} …", end="", flush=True, file=sys.stderr)
        done = subprocess.run(
            [sys.executable, __file__, "--workload", name], capture_output=True, text=True, env=env, cwd=ROOT
        )
        if done.returncode != 0:
            sys.exit(f"\nbenchmark {name!r} failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f" {runs[-1]}", file=sys.stderr)
    return runs


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (default 3)")
    parser.add_argument("--deps", type=Path, default=ROOT / ".venv-bench", help="where PyTorch is installed")
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workload:
        print(json.dumps(WORKLOADS[args.workload]()))
        return 0

    env = dict(os.environ, MNIST_LESSON_BENCH_DEPS=str(args.deps), TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    print(
        f"Measuring lesson 01 on {os.cpu_count()} cores, {args.repeat} runs each (several minutes) …", file=sys.stderr
    )
    matmul = measure("matmul", args.repeat, env)
    keras_runs = measure("keras", args.repeat, env)
    torch_runs = measure("torch", args.repeat, env)
    lesson_runs = measure("lesson", args.repeat, env)

    gflops = statistics.median(r["gflops"] for r in matmul)
    limit = training_flops() / (gflops * 1e9)
    keras_s, torch_s = summary([r["seconds"] for r in keras_runs]), summary([r["seconds"] for r in torch_runs])
    lesson_s, peak = summary([r["seconds"] for r in lesson_runs]), summary([r["peak_mb"] for r in lesson_runs])
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "training_tflop": training_flops() / 1e12,
        "matmul_gflops": summary([r["gflops"] for r in matmul]),
        "flop_limit_s": limit,
        "keras_train_s": keras_s,
        "torch_train_s": torch_s,
        "lesson_wall_s": lesson_s,
        "kernel_peak_mb": peak,
        "keras_over_torch": keras_s["median"] / torch_s["median"],
        "keras_over_limit": keras_s["median"] / limit,
        "val_accuracy": {"keras": keras_runs[-1]["val_accuracy"], "torch": torch_runs[-1]["val_accuracy"]},
        "torch_version": torch_runs[-1]["torch"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")

    def row(name, s, target, met):
        return (
            f"| {name} | {s['median']:.1f} | {s['min']:.1f}–{s['max']:.1f} | {target} | {'met' if met else 'missed'} |"
        )

    lines = [
        "| measurement | median | min–max | target | |",
        "|---|---|---|---|---|",
        row("lesson 01 executed headlessly, wall (s)", lesson_s, "≤ 25 s", lesson_s["median"] <= 25),
        row("Keras training, 5 epochs (s)", keras_s, "", True).replace("| met |", "| |"),
        row("PyTorch eager training, same work (s)", torch_s, "", True).replace("| met |", "| |"),
        f"| Keras / PyTorch | {result['keras_over_torch']:.2f}× | | ≤ 1.0× | "
        f"{'met' if result['keras_over_torch'] <= 1.0 else 'missed'} |",
        f"| FLOP limit: {result['training_tflop']:.2f} TFLOP at {gflops:.0f} GFLOP/s (s) | {limit:.1f} | | | |",
        f"| Keras / FLOP limit | {result['keras_over_limit']:.2f}× | | ≤ 2× | "
        f"{'met' if result['keras_over_limit'] <= 2 else 'missed'} |",
        row("kernel peak resident memory (MB)", peak, "≤ 1024 MB", peak["median"] <= 1024),
    ]
    print("\n".join(lines))
    print(f"\nval_accuracy: Keras {result['val_accuracy']['keras']:.4f}, PyTorch {result['val_accuracy']['torch']:.4f}")
    print(f"Written to {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
