"""What a rehearsal measured and checked, and its tables: one rehearsal's, and the guide's sizing table."""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
import time
from pathlib import Path

from mnist_lesson.paths import CHECKOUT
from tools.plumbing import END_MARKER, begin_marker, generated_sources, machine, machine_text, write_generated
from tools.rehearse import RehearsalError
from tools.rehearse.checks import Check
from tools.rehearse.learner import LearnerResult

#: The measurements behind the sizing table, which `make rehearse-sizing` writes into the docs page holding it.
RESULTS = CHECKOUT / "benchmarks" / "results" / "rehearsal.json"
DOCS = CHECKOUT / "docs"
#: The command named in the sizing table's generated block (tools.plumbing's markers).
COMMAND = "make rehearse-sizing"


@dataclasses.dataclass
class Report:
    """Everything a rehearsal measured and checked."""

    learners: int
    lessons: list[str]
    alone: LearnerResult | None
    results: list[LearnerResult]
    checks: list[Check]
    seconds: float
    folder: str  # the rehearsal's scratch folder, removed at its end: nothing may still run in it
    notes: list[str] = dataclasses.field(default_factory=list)  # what could not be checked, and why

    @property
    def failed(self) -> int:
        alone = [self.alone] if self.alone else []
        return sum(not r.passed for r in alone + self.results) + sum(not ok for _, ok, _ in self.checks)

    def as_json(self) -> dict:
        return {
            "learners": self.learners,
            "lessons": self.lessons,
            "alone": self.alone.as_json() if self.alone else None,
            "results": [r.as_json() for r in self.results],
            "checks": [{"what": w, "passed": ok, "detail": d} for w, ok, d in self.checks],
            "notes": self.notes,
            "seconds": self.seconds,
            "folder": self.folder,
            "machine": machine(),
            "versions": versions(),
            "date": time.strftime("%Y-%m-%d"),
        }


def versions() -> dict[str, str]:
    """The versions of what a rehearsal runs, for the record."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("jupyterhub", "jupyter-server", "jupyterlab", "nbgitpuller", "keras", "jax", "tensorflow"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def table(report: Report) -> str:
    """The rehearsal's per-learner table, in Markdown, its checks and its closing line."""
    # Ratios only against a run alone that went through: a stopped one would make them meaningless.
    usable = report.alone is not None and report.alone.passed
    alone = {run.stem: run.seconds for run in report.alone.lessons} if usable else {}
    head = ["learner", "spawn, s", "pull, s", "first output, s"]
    for stem in report.lessons:
        head.append(f"{stem}, s" + (" (× alone)" if alone else ""))
    head += ["kernel peak, MB", "learner's peak, MB", "result"]
    rows = []
    for result in ([report.alone] if report.alone else []) + report.results:
        runs = {run.stem: run for run in result.lessons}
        first = result.lessons[0].first_output if result.lessons else None
        row = [result.name, _f(result.spawn), _f(result.pull), _f(first)]
        for stem in report.lessons:
            run = runs.get(stem)
            cell = _f(run.seconds if run else None)
            if run and alone.get(stem) and result is not report.alone:
                cell += f" ({run.seconds / alone[stem]:.1f}×)"
            row.append(cell)
        peaks = [run.kernel_peak_mb for run in result.lessons if run.kernel_peak_mb]
        row += [_f(max(peaks) if peaks else None, 0), _f(result.peak_mb, 0)]
        problems = ([result.failure] if result.failure else []) + [m for run in result.lessons for m in run.mismatches]
        row.append("passed" if not problems else "FAILED: " + "; ".join(problems))
        rows.append(row)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines += [f"- {'passed' if ok else 'FAILED'}: {what} ({detail})" for what, ok, detail in report.checks]
    lines += [f"- not checked: {note}" for note in report.notes]
    everyone = ([report.alone] if report.alone else []) + report.results
    passed = sum(r.passed for r in everyone)
    failed_checks = sum(not ok for _, ok, _ in report.checks)
    lines.append("")
    closing = f"{passed} passed, {len(everyone) - passed} failed"
    closing += f"; {failed_checks} of {len(report.checks)} hub checks failed" if failed_checks else ""
    closing += "" if failed_checks else f"; all {len(report.checks)} hub checks passed"
    lines.append(f"{closing} ({report.seconds:.0f} s)")
    return "\n".join(lines)


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _machine(found: dict | str) -> str:
    """Where a rehearsal ran, in words (records before tools.plumbing's machine() hold the words already)."""
    return found if isinstance(found, str) else machine_text(found)


def _median(values: list[float]) -> float | None:
    """The median, or None when there is nothing to take it of."""
    return statistics.median(values) if values else None


def sizing_table(runs: list[dict]) -> str:
    """The guide's sizing table from rehearsals at several class sizes (each a Report.as_json())."""
    if not runs:
        raise RehearsalError("no rehearsal to make a sizing table from")
    first = runs[0]
    lines = [
        f"Measured {first['date']} ({_machine(first['machine'])}), each class size one `make rehearse` run "
        f"of lessons {' and '.join(first['lessons'])}, after one learner ran them alone:",
        "",
        "| learners at once | spawn, s (median, max) | first output, s (max) | "
        + " | ".join(f"{stem} × alone (median, max)" for stem in first["lessons"])
        + " | largest kernel, MB | learner's peak memory, MB (max) | result |",
        "|---|---|---|" + "---|" * len(first["lessons"]) + "---|---|---|",
    ]
    for run in runs:
        alone = {lesson["stem"]: lesson["seconds"] for lesson in (run["alone"] or {}).get("lessons", [])}
        results = run["results"]
        spawns = [r["spawn"] for r in results if r["spawn"] is not None]
        firsts = [r["lessons"][0]["first_output"] for r in results if r["lessons"] and r["lessons"][0]["first_output"]]
        cells = [
            str(run["learners"]),
            f"{_f(_median(spawns))}, {_f(max(spawns, default=None))}",
            _f(max(firsts, default=None)),
        ]
        for stem in run["lessons"]:
            ratios = [
                lesson["seconds"] / alone[stem]
                for r in results
                for lesson in r["lessons"]
                if lesson["stem"] == stem and alone.get(stem)
            ]
            cells.append(f"{_f(_median(ratios))}×, {_f(max(ratios, default=None))}×" if ratios else "–")
        kernels = [lesson["kernel_peak_mb"] or 0 for r in results for lesson in r["lessons"]]
        cells.append(_f(max(kernels, default=None), 0))
        cells.append(_f(max((r["peak_mb"] or 0 for r in results), default=None), 0))
        passed = sum(r["failure"] is None and not any(lesson["mismatches"] for lesson in r["lessons"]) for r in results)
        checks = all(c["passed"] for c in run["checks"])
        cells.append(f"{passed} passed, {len(results) - passed} failed" + ("" if checks else "; a hub check failed"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def guides(docs: Path = DOCS) -> list[Path]:
    """The docs pages holding the sizing table, found by its markers: the page says where the table lives."""
    found = [page for page in sorted(docs.glob("*.md")) if generated_sources(page.read_text(encoding="utf-8"), COMMAND)]
    if not found:
        begin = begin_marker(COMMAND, RESULTS.relative_to(CHECKOUT).as_posix())
        raise RehearsalError(f"no page in {docs} has the sizing table: put the lines {begin} and {END_MARKER} in one")
    return found


def write_guide(runs: list[dict], pages: list[Path] | None = None, check: bool = False) -> list[Path]:
    """Put the sizing table between its markers in the pages (those holding it by default); the stale ones.

    The rest of each page is left as it is; with check, nothing is written, the stale pages only listed.
    """
    pages = guides() if pages is None else pages
    return write_generated(pages, COMMAND, lambda _source: sizing_table(runs), check=check)
