"""How far the lessons' stored outputs move between configurations and seeds: the figures behind the tolerances.

Every lesson is executed in a scratch copy under each configuration the lesson registry lists
for it (every backend; its own backend on one core and limited to AVX), and again on its own
backend with other seeds (``--seeds N``: seeds 1 to N, through $MNIST_LESSON_SEED, which
``reproducible()`` obeys); a lesson that loads another's model loads the one saved in the same
run. Each fresh output is then compared with the committed one:

* cells tagged ``nbval-tolerance``: the largest absolute difference between their
  numbers, how many numbers differ at all, and, for ``nbval_min_overlap`` cells, how many
  list items the two outputs share; then whether the cell's metadata accepts it;
* every other compared cell (untagged, not ``nbval-ignore-output``): whether its text is
  verbatim the same, since a difference there means a cell is in the wrong class.

Then, per tagged cell, the spread over every run (against the stored output, and between any two
runs) is set against its tolerance: a tolerance some run exceeds is flagged too narrow, a floor or
ceiling some run breaks is named with it.

``make spread`` runs everything; ``--lessons 01_mnist`` measures one lesson (the lessons it loads
a model from are executed, not measured). The results go to benchmarks/results/spread.json, where
only the measured lessons' rows are replaced; the tables to stdout. After editing only a cell's
tolerance metadata, ``--compare-only`` re-checks the copies already executed.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
import time
import tomllib
from pathlib import Path

import nbformat

from mnist_lesson.paths import CHECKOUT
from mnist_lesson.repro import SEED_ENV
from tools.lessons import Configuration, Lesson, execute, lessons, plan, with_dependencies

# The add-on's own parsing, so that the figures match what CI compares.
from tools.nbval_tolerance import (
    TAG,
    _hashable,
    check_minimums,
    compare_numbers,
    compare_overlap,
    limits,
    mask_numbers,
    text_of,
)
from tools.plumbing import BACKEND_ENV, IGNORE_OUTPUT_TAG, machine, write_atomically

OUT = CHECKOUT / "build" / "spread"
#: Where the measurements are kept, as data (docs/tolerances.md's table is generated from it).
RESULTS = CHECKOUT / "benchmarks" / "results" / "spread.json"
#: The tolerance of a tagged cell without its own, as pytest reads it from pyproject.toml.
DEFAULT_TOLERANCE = float(
    tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["nbval_tolerance"]
)
#: Each configuration with the lessons executed under it, in order, from the lesson registry.
PLAN = {configuration.name: (configuration, chosen) for configuration, chosen in plan(lessons(), skip_checked=False)}
#: How many other seeds `make spread` runs each lesson with, on its own backend, by default.
SEEDS = 3


def seed_run(seed: int) -> Configuration:
    """Every lesson on its own backend, with `seed` in place of the one its setup cell asks for."""
    return Configuration(f"seed {seed}", {SEED_ENV: str(seed)})


def compare(stored_path: Path, fresh_path: Path) -> list[dict]:
    """One row per compared code cell: its class, what moved, and whether its metadata accepts that."""
    stored = [c for c in nbformat.read(stored_path, as_version=4).cells if c.cell_type == "code"]
    fresh = [c for c in nbformat.read(fresh_path, as_version=4).cells if c.cell_type == "code"]
    rows = []
    for index, (old, new) in enumerate(zip(stored, fresh)):
        tags = old.metadata.get("tags", [])
        if IGNORE_OUTPUT_TAG in tags:
            continue
        row = {"lesson": stored_path.stem, "cell": index, "source": label(old.source)}
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
                tolerance, max_changed = rule_of(meta)
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
            broken = check_minimums(text_of(new.outputs), *limits(meta))
            row.update(fits_rule=not problems, limits_broken=broken, accepted=not (problems or broken))
        else:
            same = mask_free(old.outputs) == mask_free(new.outputs)
            row.update(kind="verbatim", accepted=same)
        rows.append(row)
    return rows


def label(source: str) -> str:
    """A cell's name in the tables: its first comment line, else its first line."""
    lines = source.splitlines()
    return next((line[2:] for line in lines if line.startswith("# ")), lines[0] if lines else "")[:70]


def rule_of(metadata) -> tuple[float, int]:
    """A tagged cell's tolerance and how many numbers may lie beyond it, as the add-on reads them."""
    return float(metadata.get("nbval_tolerance", DEFAULT_TOLERANCE)), int(metadata.get("nbval_max_changed", 0))


def mask_free(outputs) -> list:
    """Outputs as nbval compares them verbatim: their text, and images by presence only (not content)."""
    images = [mime for output in outputs for mime in output.get("data", {}) if not mime.startswith("text/")]
    return [text_of(outputs), *images]


def between(each: Lesson, copies: dict[str, Path]) -> dict[int, tuple[float, int]]:
    """Per tagged cell compared by numbers: the largest difference between any two runs' outputs, and the most
    numbers beyond its tolerance, since an instructor may execute under one configuration and CI check another."""
    committed = [c for c in nbformat.read(each.notebook, 4).cells if c.cell_type == "code"]
    runs = [[c for c in nbformat.read(copy, 4).cells if c.cell_type == "code"] for copy in copies.values()]
    worst = {}
    for index, cell in enumerate(committed):
        meta = cell.metadata
        if TAG not in meta.get("tags", []) or "nbval_min_overlap" in meta:
            continue
        numbers = [mask_numbers(run[index].outputs)[1] for run in runs]
        tolerance, excused = rule_of(meta)
        largest, beyond = 0.0, 0
        for i, a in enumerate(numbers):
            for b in numbers[i + 1 :]:
                diffs = [abs(x - y) for x, y in zip(a, b)] if len(a) == len(b) else [float("inf")]
                largest = max([largest, *(d for d in diffs if d <= tolerance or not excused)])  # flips: counted
                beyond = max(beyond, sum(d > tolerance for d in diffs))
        worst[index] = (largest, beyond)
    return worst


def verdicts(results: dict, spreads: dict[tuple[str, int], tuple[float, int]]) -> list[dict]:
    """Per tagged cell: its rule, the spread measured over every run, and each run that the rule does not cover."""
    cells: dict[tuple[str, int], dict] = {}
    for run, result in results.items():
        for row in result["cells"]:
            if row["kind"] == "verbatim":
                continue
            cell = cells.setdefault(
                (row["lesson"], row["cell"]),
                {"lesson": row["lesson"], "cell": row["cell"], "source": row["source"], "rule": row["rule"]},
            )
            cell["runs"] = cell.get("runs", 0) + 1
            if row["kind"] == "overlap":
                cell["fewest_shared"] = min(cell.get("fewest_shared", row["of"]), row["shared"])
            else:
                cell["largest_vs_stored"] = max(cell.get("largest_vs_stored", 0.0), row["max_diff"])
                cell["most_beyond"] = max(cell.get("most_beyond", 0), row["beyond"])
            if not row.get("fits_rule", row["accepted"]):
                cell.setdefault("too_narrow_under", []).append(run)
            if row.get("limits_broken"):
                cell.setdefault("limits_broken", []).extend(f"{run}: {problem}" for problem in row["limits_broken"])
    for key, cell in cells.items():
        if key in spreads:
            cell["largest_between_runs"], cell["most_beyond_between_runs"] = spreads[key]
        cell["too_narrow"] = bool(cell.get("too_narrow_under"))
    return [cells[key] for key in sorted(cells)]


def verdicts_table(rows: list[dict]) -> str:
    """The measured spread of each tagged cell against its rule, and what the rule does not cover."""
    lines = ["| lesson | cell | first line | rule | runs | largest vs stored | largest between runs | verdict |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "fewest_shared" in row:
            vs, among = f"{row['fewest_shared']} shared at fewest", ""
        else:
            beyond = f", {row['most_beyond']} beyond" if row.get("most_beyond") else ""
            vs, among = f"{row['largest_vs_stored']:.4g}{beyond}", f"{row.get('largest_between_runs', 0):.4g}"
        verdict = []
        if row["too_narrow"]:
            verdict.append("**too narrow** under " + ", ".join(row["too_narrow_under"]))
        if row.get("limits_broken"):
            verdict.append("**limit broken**: " + "; ".join(row["limits_broken"]))
        lines.append(
            f"| {row['lesson']} | {row['cell']} | `{row['source']}` | {row['rule']} | {row['runs']} | {vs} | "
            f"{among} | {' '.join(verdict) or 'covered'} |"
        )
    return "\n".join(lines)


def merged(previous: dict, results: dict, found: list[dict], measured: dict[str, dict]) -> dict:
    """The saved record with the measured lessons' rows replaced and every other lesson's kept as it was."""
    previous = dict(previous)
    if previous and "lessons" not in previous:  # a record from before lessons were measured one by one
        previous["earlier"] = {key: previous[key] for key in ("date", "measured") if key in previous}
    again = set(measured)
    configurations = {}
    for run in [*previous.get("configurations", {}), *results]:
        kept = previous.get("configurations", {}).get(run, {}).get("cells", [])
        rows = [row for row in kept if row["lesson"] not in again] + results.get(run, {}).get("cells", [])
        if rows:
            configurations[run] = {"cells": sorted(rows, key=lambda row: (row["lesson"], row["cell"]))}
    tolerances = [row for row in previous.get("tolerances", []) if row["lesson"] not in again] + found
    lessons_measured = {**previous.get("lessons", {}), **measured}
    latest = max(lessons_measured.values(), key=lambda entry: entry["date"])
    # Rows of lessons never measured one by one are the earlier record's, described by its own words.
    stale = {row["lesson"] for rows in configurations.values() for row in rows["cells"]} - set(lessons_measured)
    earlier = previous.get("earlier") if stale else None
    record = {
        "date": latest["date"],
        "machine": latest["machine"],
        "measured": summary(lessons_measured, earlier),
        "lessons": dict(sorted(lessons_measured.items())),
        "configurations": configurations,
        "tolerances": sorted(tolerances, key=lambda row: (row["lesson"], row["cell"])),
    }
    return {**record, "earlier": earlier} if earlier else record


def summary(measured: dict[str, dict], earlier: dict | None) -> str:
    """One line per measured lesson: when, on which processor, under which runs; and what is older."""
    parts = []
    for stem, entry in sorted(measured.items()):
        cpu = entry["machine"].get("processor", "?")
        avx = {True: ", AVX-512", False: ", no AVX-512"}.get(entry["machine"].get("avx512"), "")
        parts.append(f"{stem} on {entry['date']} ({cpu}{avx}): {', '.join(entry['runs'])}")
    if earlier:
        parts.append(f"the other lessons as measured earlier: {earlier.get('measured', '')}")
    return "; ".join(parts) + "."


def missing_backends(runs: list[Configuration]) -> list[str]:
    """The backends some run asks for that are not installed here."""
    wanted = {run.env[BACKEND_ENV] for run in runs if BACKEND_ENV in run.env}
    return sorted(backend for backend in wanted if importlib.util.find_spec(backend) is None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.measure_spread", description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", choices=PLAN, help="one configuration (repeatable)")
    parser.add_argument("--seeds", type=int, default=SEEDS, help=f"other seeds, 1 to N (default {SEEDS}; 0: none)")
    parser.add_argument("--lessons", nargs="+", metavar="LESSON", help="measure only these, e.g. 01_mnist")
    parser.add_argument("--out", type=Path, default=OUT, help=f"scratch folder (default {OUT})")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"the record to update (default {RESULTS})")
    parser.add_argument(
        "--compare-only", action="store_true", help="re-compare the copies executed before (after a metadata edit)"
    )
    args = parser.parse_args(argv)
    every = lessons()
    stems = args.lessons or [each.stem for each in every]
    unknown = sorted(set(stems) - {each.stem for each in every})
    if unknown or args.seeds < 0:
        problem = f"no lesson {', '.join(unknown)}" if unknown else f"--seeds {args.seeds}: give 0 or more"
        parser.error(f"{problem}; the lessons are {', '.join(each.stem for each in every)}")
    runs = [PLAN[name][0] for name in (args.config or PLAN)] + [seed_run(s) for s in range(1, args.seeds + 1)]
    missing = missing_backends(runs)
    if missing and not args.compare_only:
        parser.error(f"{', '.join(missing)} is not installed: `make torch` installs PyTorch, or leave out --config")
    results, copies, seconds = {}, {stem: {} for stem in stems}, {stem: {} for stem in stems}
    for run in runs:
        planned = PLAN[run.name][1] if run.name in PLAN else every
        measured = [each for each in planned if each.stem in stems]
        if not measured:
            continue
        scratch = args.out / _folder(run.name)
        verb = "Comparing the copies executed" if args.compare_only else "Executing"
        print(f"{verb} under {run} …", file=sys.stderr, flush=True)
        rows = []
        for each in with_dependencies(measured, every):
            started = time.monotonic()
            if args.compare_only:
                copy = scratch / "notebooks" / each.notebook.name
                if not copy.exists():
                    sys.exit(f"{copy} was never executed: run without --compare-only first")
            else:
                (copy,) = execute([each], scratch, run)
            if each in measured:
                seconds[each.stem][run.name] = round(time.monotonic() - started)
                copies[each.stem][run.name] = copy
                rows += compare(each.notebook, copy)
        results[run.name] = {"cells": rows}
        rejected = [r for r in rows if not r["accepted"]]
        print(f"  {len(rejected)} cell(s) would fail", file=sys.stderr)
        for r in rejected:
            print(f"  FAIL {r}", file=sys.stderr)
    spreads = {
        (stem, index): spread
        for stem in stems
        for index, spread in between(next(e for e in every if e.stem == stem), copies[stem]).items()
    }
    found = verdicts(results, spreads)
    here, today = machine(), time.strftime("%Y-%m-%d")
    entries = {stem: {"date": today, "machine": here, "runs": seconds[stem]} for stem in stems if seconds[stem]}
    previous = json.loads(args.results.read_text()) if args.results.exists() else {}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.results, json.dumps(merged(previous, results, found, entries), indent=1) + "\n")
    print(table(results))
    print()
    print(verdicts_table(found))
    print(f"\nRecorded in {args.results}.", file=sys.stderr)
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
    lines = []
    # One table per lesson, with only the configurations it was measured under: one table of all would be too wide.
    for lesson in sorted({lesson for lesson, _ in cells}):
        mine = {index: cell for (each, index), cell in cells.items() if each == lesson}
        configs = [c for c in results if any(c in cell["by"] for cell in mine.values())]
        if lines:
            lines.append("")
        lines.append("| lesson | cell | first line | rule | " + " | ".join(configs) + " |")
        lines.append("|---" * (4 + len(configs)) + "|")
        for index, cell in sorted(mine.items()):
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


def _folder(config: str) -> str:
    return config.replace(", ", "-").replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main())
