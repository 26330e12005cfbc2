"""Measurements taken by hand or by other tools, kept as data: CI's running times, supported Pythons, the spread.

Each is a file in benchmarks/results/ that someone adds to after measuring, never edited in a page;
`python -m benchmarks.run --docs` turns each into the table its page shows (RECORDS says which page).

* ci_runs.json: how long CI took; after a run, add an entry to "runs" (`CI=true bash .ci/run` in a
  fresh clone, or `make test-all`): its date, commit, what had changed, its times, tests and result.
* pythons.json: `make test-pythons` writes build/test-pythons.json; copy it here with the machine.
* spread.json: `make spread` (tools/measure_spread.py) updates it with the lessons it measured.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnist_lesson.paths import CHECKOUT

DOCS = CHECKOUT / "docs"


def minutes(seconds: float | None) -> str:
    """Seconds as "9 m 31 s", or a dash."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    return f"{whole // 60} m {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def ci_runs_table(result: dict) -> str:
    """One row per run: when, at which commit, what it ran and what had changed, its times, tests and result."""
    lines = [
        "| date | commit | command | changed since the record | whole run | pytest step | tests | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        cells = [
            run["date"],
            f"`{run['commit']}`" if run.get("commit") else "–",
            f"`{run['command']}`",
            run["changed"],
            minutes(run.get("seconds")),
            minutes(run.get("pytest_seconds")),
            str(run.get("tests", "–")),
            run["result"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pythons_table(result: dict) -> str:
    """make test-pythons' result: each Python's install, unit tests and lesson 01 under nbval, in seconds."""
    lines = [
        "| Python | install, s | unit tests, s | lesson 01 under nbval, s | result |",
        "|---|---|---|---|---|",
    ]
    for r in result["results"]:
        if "skipped" in r:
            lines.append(f"| {r['version']} | | | | not found, not checked |")
            continue
        verdict = f"**failed** at {r['failed']}" if "failed" in r else "passed"
        steps = " | ".join(str(r.get(step, "")) for step in ("install", "unit tests", "lesson 01"))
        lines.append(f"| {r.get('exact', r['version'])} | {steps} | {verdict} |")
    return "\n".join(lines)


def spread_table(result: dict) -> str:
    """make spread's table (tools/measure_spread.py), with a line on which lessons' version it measured."""
    from tools.measure_spread import table

    # The description grows with every lesson measured; wrapped, so that no line of the page runs long.
    measured = textwrap.fill(result["measured"], width=120, break_long_words=False, break_on_hyphens=False)
    return f"{measured}\n\n{table(result['configurations'])}"


@dataclass(frozen=True)
class Record:
    """A record's page, and how its saved result becomes that page's table."""

    page: Path
    table: Callable[[dict], str]


RECORDS = {
    "ci_runs": Record(DOCS / "ci-time.md", ci_runs_table),
    "pythons": Record(DOCS / "second-configuration.md", pythons_table),
    "spread": Record(DOCS / "tolerances.md", spread_table),
}
