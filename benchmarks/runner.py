"""The one benchmark runner: every measurement in a fresh process, in alternating rounds, ratios within a round.

This machine's speed drifts 2–3× from one run to the next, so a benchmark never compares
a measurement taken now with one taken minutes later in another batch: each round runs
every measurement once, and a ratio is taken between two measurements of the same round.
A benchmark module (benchmarks/dense.py, benchmarks/convnet.py, benchmarks/lessons.py)
defines its workloads as functions that return a dict of numbers; the runner starts each
in a fresh `python -m benchmarks.NAME --workload WORKLOAD`, with the environment it names.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from mnist_lesson.paths import CHECKOUT
from tools.plumbing import machine as machine  # where a result was measured, which each result records
from tools.plumbing import without_backend

RESULTS = CHECKOUT / "benchmarks" / "results"
#: What every workload's process gets besides its own variables: quiet TensorFlow, no Python warnings.
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}


@dataclass(frozen=True)
class Measurement:
    """One workload of a benchmark module, under one environment, with a label for the table."""

    module: str
    workload: str
    label: str
    env: Mapping[str, str] = field(default_factory=dict)
    prefix: tuple[str, ...] = ()


def measure(measurement: Measurement, base_env: Mapping[str, str]) -> dict:
    """One run of a workload in a fresh process; its whole wall time (imports and data included) added."""
    print(f"  {measurement.label} …", end="", flush=True, file=sys.stderr)
    env = without_backend(base_env) | QUIET | dict(measurement.env)
    command = [*measurement.prefix, sys.executable, "-m", f"benchmarks.{measurement.module}"]
    command += ["--workload", measurement.workload]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=CHECKOUT)
    total = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"\nbenchmark {measurement.label!r} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1]) | {"process_s": total}
    print(" " + ", ".join(f"{k} {v:.3g}" for k, v in result.items() if isinstance(v, float)), file=sys.stderr)
    return result


def rounds(measurements: list[Measurement], repeat: int, base_env: Mapping[str, str], save_as: str) -> list[dict]:
    """Every measurement once per round, rounds one after the other; each round saved as soon as it is done."""
    done = []
    for number in range(1, repeat + 1):
        print(f"round {number}/{repeat}", file=sys.stderr)
        done.append({"date": time.strftime("%Y-%m-%d")} | {m.label: measure(m, base_env) for m in measurements})
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{save_as}.rounds.json").write_text(json.dumps(done, indent=1) + "\n")  # kept if a round fails
    return done


def backend_rounds(
    module: str, workload: str, own: str, backends: Sequence[str], repeat: int, base_env: Mapping[str, str]
) -> tuple[list[str], list[dict]]:
    """A workload under every backend once per round, the lesson's own first; the backends in that order, the rounds."""
    ordered = [own, *(b for b in backends if b != own)]
    measured = [Measurement(module, workload, b, {"KERAS_BACKEND": b}) for b in ordered]
    return ordered, rounds(measured, repeat, base_env, module)


def summary(values: list[float]) -> dict:
    """Median, min and max of a series, with the series itself."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def within_rounds(done: list[dict], over: str, under: str, key: str, under_key: str | None = None) -> list[float]:
    """The ratio of two measurements' values in each round, where both ran under the same load."""
    return [r[over][key] / r[under][under_key or key] for r in done]


def workload_main(workloads: Mapping[str, Callable[[], dict]], argv: list[str] | None = None) -> bool:
    """If called as `--workload NAME`, run that workload, print its result as JSON and return True."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--workload", choices=workloads)
    args, _ = parser.parse_known_args(argv)
    if args.workload is None:
        return False
    print(json.dumps(workloads[args.workload]()))
    return True
