"""How far the lessons' stored outputs move between machines and backends: the figures behind the tolerances.

Every lesson is executed in a scratch copy under each configuration the lesson registry
lists for it (every backend; its own backend on one core and limited to AVX); a lesson that
loads another's model loads the one saved under the same configuration. Each fresh output
is then compared with the committed one:

* cells tagged ``nbval-tolerance``: the largest absolute difference between their
  numbers, how many numbers differ at all, and, for ``nbval_min_overlap`` cells, how many
  list items the two outputs share; then whether the cell's metadata accepts it;
* every other compared cell (untagged, not ``nbval-ignore-output``): whether its text is
  verbatim the same, since a difference there means a cell is in the wrong class.

Run with ``make spread``; the table goes to stdout and ``artifacts/spread/spread.json``,
and docs/checks.md quotes it. After editing
only a cell's tolerance metadata, ``--compare-only`` re-checks the copies already executed.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
import tomllib
from pathlib import Path

import nbformat

from mnist_lesson.paths import CHECKOUT
from tools.lessons import execute, lessons, plan

# The add-on's own parsing, so that the figures match what CI compares.
from tools.nbval_tolerance import (
    TAG,
    _hashable,
    check_minimums,
    compare_numbers,
    compare_overlap,
    mask_numbers,
    text_of,
)

OUT = CHECKOUT / "build" / "spread"
#: The tolerance of a tagged cell without its own, as pytest reads it from pyproject.toml.
DEFAULT_TOLERANCE = float(
    tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["nbval_tolerance"]
)
#: Each configuration with the lessons executed under it, in order, from the lesson registry.
PLAN = {configuration.name: (configuration, chosen) for configuration, chosen in plan(lessons(), skip_checked=False)}


def compare(stored_path: Path, fresh_path: Path) -> list[dict]:
    """One row per compared code cell: its class, what moved, and whether its metadata accepts that."""
    stored = [c for c in nbformat.read(stored_path, as_version=4).cells if c.cell_type == "code"]
    fresh = [c for c in nbformat.read(fresh_path, as_version=4).cells if c.cell_type == "code"]
    rows = []
    for index, (old, new) in enumerate(zip(stored, fresh)):
        tags = old.metadata.get("tags", [])
        if "nbval-ignore-output" in tags:
            continue
        lines = old.source.splitlines()
        label = next((line[2:] for line in lines if line.startswith("# ")), lines[0] if lines else "")
        row = {"lesson": stored_path.stem, "cell": index, "source": label[:70]}
        if TAG in tags:
            meta = old.metadata
            if "nbval_min_overlap" in meta:
                a, b = (ast.literal_eval(text_of(outputs)) for outputs in (old.outputs, new.outputs))
                shared = len(set(map(_hashable, a)) & set(map(_hashable, b)))
                problems = compare_overlap(text_of(old.outputs), text_of(new.outputs), int(meta["nbval_min_overlap"]))
                need = int(meta["nbval_min_overlap"])
                rule = f"as a set, ≥ {need} shared" if need else f"structure: a list of {len(a)}"
                row.update(kind="overlap", shared=shared, of=len(a), rule=rule)
            else:
                old_masked, want = mask_numbers(old.outputs)
                new_masked, got = mask_numbers(new.outputs)
                tolerance = float(meta.get("nbval_tolerance", DEFAULT_TOLERANCE))
                max_changed = int(meta.get("nbval_max_changed", 0))
                diffs = [abs(x - y) for x, y in zip(want, got)] if len(want) == len(got) else [float("inf")]
                problems = compare_numbers(want, got, tolerance, max_changed)
                if text_of(old_masked) != text_of(new_masked):  # words and layout, as nbval compares them
                    problems.append("the words or layout around the numbers changed")
                # Where flipped predictions are excused (max_changed), they are counted, not measured.
                within = [d for d in diffs if d <= tolerance or not max_changed]
                row.update(
                    kind="tolerance",
                    max_diff=max(within, default=0.0),
                    beyond=len(diffs) - len(within),
                    changed=sum(d > 0 for d in diffs),
                    rule=f"±{tolerance:g}" + (f", {max_changed} may differ" if max_changed else ""),
                )
            # The floors and ceilings that back the lessons' prose, as the add-on checks them.
            limits = [{k: float(v) for k, v in meta.get(key, {}).items()} for key in ("nbval_minimum", "nbval_maximum")]
            problems += check_minimums(text_of(new.outputs), *limits)
            row["accepted"] = not problems
        else:
            same = mask_free(old.outputs) == mask_free(new.outputs)
            row.update(kind="verbatim", accepted=same)
        rows.append(row)
    return rows


def mask_free(outputs) -> list:
    """Outputs as nbval compares them verbatim: their text, and images by presence only (not content)."""
    images = [mime for output in outputs for mime in output.get("data", {}) if not mime.startswith("text/")]
    return [text_of(outputs), *images]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", choices=PLAN, help="one configuration (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"scratch and results folder (default {OUT})")
    parser.add_argument(
        "--compare-only", action="store_true", help="re-compare the copies executed before (after a metadata edit)"
    )
    args = parser.parse_args(argv)
    configs = args.config or list(PLAN)
    results = {}
    for config in configs:
        scratch = args.out / _folder(config)
        start = time.monotonic()
        verb = "Comparing the copies executed" if args.compare_only else "Executing every lesson"
        print(f"{verb} under {config} …", file=sys.stderr, flush=True)
        configuration, chosen = PLAN[config]
        if args.compare_only:
            executed = [scratch / "notebooks" / each.notebook.name for each in chosen]
        else:
            executed = execute(chosen, scratch, configuration)
        rows = [row for each, copy in zip(chosen, executed) for row in compare(each.notebook, copy)]
        results[config] = {"seconds": round(time.monotonic() - start), "cells": rows}
        rejected = [r for r in rows if not r["accepted"]]
        print(f"  {time.monotonic() - start:.0f} s; {len(rejected)} cell(s) would fail", file=sys.stderr)
        for r in rejected:
            print(f"  FAIL {r}", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "spread.json").write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    print()
    print(pairwise(configs, args.out))
    return 1 if any(not r["accepted"] for v in results.values() for r in v["cells"]) else 0


def table(results: dict) -> str:
    """Per weight-dependent cell and configuration: the largest difference within the tolerance, and any beyond it."""
    cells: dict[tuple, dict] = {}
    for config, result in results.items():
        for row in result["cells"]:
            if row["kind"] == "verbatim":
                continue
            cell = cells.setdefault((row["lesson"], row["cell"]), {"row": row, "by": {}})
            if row["kind"] == "overlap":
                cell["by"][config] = f"{row['shared']}/{row['of']} shared"
            else:
                beyond = f", {row['beyond']} beyond" if row["beyond"] else ""
                cell["by"][config] = f"{row['max_diff']:.4g}{beyond}"
    configs = list(results)
    lines = ["| lesson | cell | first line | rule | " + " | ".join(configs) + " |"]
    lines.append("|---" * (4 + len(configs)) + "|")
    for (lesson, index), cell in sorted(cells.items()):
        row = cell["row"]
        by = " | ".join(cell["by"].get(c, "") for c in configs)
        lines.append(f"| {lesson} | {index} | `{row['source']}` | {row['rule']} | {by} |")
    verbatim_bad = [
        f"{r['lesson']} cell {r['cell']} under {c}"
        for c, v in results.items()
        for r in v["cells"]
        if r["kind"] == "verbatim" and not r["accepted"]
    ]
    lines.append("")
    lines.append("Untagged cells that changed: " + (", ".join(verbatim_bad) or "none"))
    return "\n".join(lines)


def pairwise(configs: list[str], out: Path) -> str:
    """Per tagged cell: the largest difference between any two configurations' outputs, not only against the
    committed one, since an instructor may execute under one configuration and CI check under another."""
    worst: dict[tuple, list] = {}
    for each in lessons():
        lesson = each.notebook
        ran = [config for config in configs if each in PLAN[config][1]]  # the configurations it was executed under
        committed = [c for c in nbformat.read(lesson, 4).cells if c.cell_type == "code"]
        copies = [nbformat.read(out / _folder(config) / "notebooks" / lesson.name, 4) for config in ran]
        runs = [[cell for cell in copy.cells if cell.cell_type == "code"] for copy in copies]
        for index, cell in enumerate(committed):
            meta = cell.metadata
            if TAG not in meta.get("tags", []) or "nbval_min_overlap" in meta:
                continue
            numbers = [mask_numbers(run[index].outputs)[1] for run in runs]
            tolerance = float(meta.get("nbval_tolerance", DEFAULT_TOLERANCE))
            largest, beyond = 0.0, 0
            for i, a in enumerate(numbers):
                for b in numbers[i + 1 :]:
                    diffs = [abs(x - y) for x, y in zip(a, b)] if len(a) == len(b) else [float("inf")]
                    excused = int(meta.get("nbval_max_changed", 0))  # flipped predictions: counted, not measured
                    largest = max([largest, *(d for d in diffs if d <= tolerance or not excused)])
                    beyond = max(beyond, sum(d > tolerance for d in diffs))
            worst[(lesson.stem, index)] = [largest, beyond, tolerance, int(meta.get("nbval_max_changed", 0))]
    lines = ["| lesson | cell | largest difference between any two configurations | numbers beyond | rule |"]
    lines.append("|---|---|---|---|---|")
    for (lesson, index), (largest, beyond, tolerance, allowed) in sorted(worst.items()):
        rule = f"±{tolerance:g}" + (f", {allowed} may differ" if allowed else "")
        lines.append(f"| {lesson} | {index} | {largest:.4g} | {beyond} | {rule} |")
    return "\n".join(lines)


def _folder(config: str) -> str:
    return config.replace(", ", "-").replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main())
