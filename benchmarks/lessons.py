"""Each lesson executed headlessly on its own backend: its time against its budget, and its kernel's peak memory.

A lesson costs its run time to every learner (on a class's shared server most of all) and
to every CI run, so each has a budget on 2 cores, `budget_s` in its front matter. The lessons run in order, as a learner
runs them (02 and 03 load the model 01 saved, here in scratch), each in a fresh kernel,
kernel start included; rounds alternate as everywhere in benchmarks/ (runner.py).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks import runner
from tools.lessons import Lesson, execute, lessons

#: Appended to each lesson's copy: the kernel's peak resident memory, as Linux counts it.
PEAK_CELL = 'print("VmHWM_kB", [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")][0])'


def peak_mb(code_cells: list[dict]) -> float:
    """The kernel's peak resident memory in MB, as PEAK_CELL (the last code cell) printed it."""
    return int("".join(code_cells[-1]["outputs"][0]["text"]).split()[1]) / 1024


def cell_seconds(cell: dict) -> float:
    """How long a cell ran, from the timestamps the executor records in its metadata."""
    timing = cell["metadata"]["execution"]
    start, end = (
        datetime.fromisoformat(timing[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply")
    )
    return (end - start).total_seconds()


def workload_lessons() -> dict:
    """Every lesson in order in one scratch folder: wall time of each, its slowest cell, and its kernel's peak."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="bench-lessons-") as scratch:
        for lesson in lessons():
            start = time.perf_counter()
            (copy,) = execute([lesson], Path(scratch), last_cell=PEAK_CELL)
            wall = time.perf_counter() - start
            cells = [c for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code"]
            found[lesson.stem] = {
                "wall_s": wall,
                "slowest_cell_s": max(cell_seconds(c) for c in cells),
                "peak_mb": peak_mb(cells),
                "backend": lesson.own_backend,
            }
    return found


WORKLOADS = {"lessons": workload_lessons}


def budgets(every: list[Lesson] | None = None) -> dict[str, float]:
    """Each lesson's budget, headless on its own backend on 2 cores, kernel start included (seconds)."""
    return {each.stem: each.declared.budget_s for each in (lessons() if every is None else every)}


def ratio_budgets(every: list[Lesson] | None = None) -> dict[str, float]:
    """Each lesson's most times the first lesson's headless time, where it declares one (`budget_ratio`)."""
    every = lessons() if every is None else every
    return {each.stem: each.declared.budget_ratio for each in every if each.declared.budget_ratio is not None}


def summarise(done: list[dict], every: list[Lesson] | None = None) -> dict:
    """Per lesson: its wall time, its time over the first lesson's in the same round, its peak, and its budgets."""
    result, budget_of, ratio_of = {}, budgets(every), ratio_budgets(every)
    stems = [key for key in done[0]["lessons"] if key != "process_s"]  # the runner adds process_s
    for stem in stems:
        walls = [r["lessons"][stem]["wall_s"] for r in done]
        # Side by side: each round's time over the first lesson's in that same round, so a slower machine cancels.
        ratios = [r["lessons"][stem]["wall_s"] / r["lessons"][stems[0]]["wall_s"] for r in done]
        peaks = [r["lessons"][stem]["peak_mb"] for r in done]
        budget, ratio_budget = budget_of.get(stem), ratio_of.get(stem)
        result[stem] = {
            "backend": done[0]["lessons"][stem]["backend"],
            "wall_s": runner.summary(walls),
            "over_first": runner.summary(ratios),
            "peak_mb": runner.summary(peaks),
            "budget_s": budget,
            "met": None if budget is None else statistics.median(walls) <= budget,
            "budget_ratio": ratio_budget,
            "ratio_met": None if ratio_budget is None else statistics.median(ratios) <= ratio_budget,
        }
    return result


def run(repeat: int, env: dict) -> dict:
    """Measure every lesson `repeat` times, alternating; return the summary that docs/performance.md shows."""
    done = runner.rounds([runner.Measurement("lessons", "lessons", "lessons")], repeat, env, "lessons")
    return {"date": done[0]["date"], "rounds": repeat, "lessons": summarise(done)}


def table(result: dict) -> str:
    """The per-lesson table: headless time against budget, and peak memory."""
    first = next(iter(result["lessons"]))
    lines = [
        "| lesson | backend | headless, s (median, min–max) | budget | | "
        f"× {first} (median) | its budget | | kernel peak, MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for stem, row in result["lessons"].items():
        w, p = row["wall_s"], row["peak_mb"]
        budget = "none set" if row["budget_s"] is None else f"≤ {row['budget_s']} s"
        verdict = "" if row["met"] is None else ("met" if row["met"] else "**missed**")
        # Results saved before the ratio was measured have no over_first.
        over = row.get("over_first")
        ratio = "" if over is None else f"{over['median']:.2f}"
        ratio_budget = "" if row.get("budget_ratio") is None else f"≤ {row['budget_ratio']}×"
        ratio_verdict = "" if row.get("ratio_met") is None else ("met" if row["ratio_met"] else "**missed**")
        lines.append(
            f"| {stem} | {row['backend']} | {w['median']:.0f} ({w['min']:.0f}–{w['max']:.0f}) | {budget} | {verdict} "
            f"| {ratio} | {ratio_budget} | {ratio_verdict} | {p['median']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if not runner.workload_main(WORKLOADS):
        sys.exit("run the benchmarks with `make bench` (python -m benchmarks.run)")
