"""`make bench`: measure the lessons' cost and the backends, save the results, and regenerate the docs' tables.

    python -m benchmarks.run                    # every benchmark, 3 alternating rounds each
    python -m benchmarks.run --only lessons     # each lesson's headless time against its budget (about 10 min)
    python -m benchmarks.run --only augmentation  # how lesson 03's augmentation was chosen (about 20 min)
    python -m benchmarks.run --only widths      # lesson 03 made cheaper, against its floor (about 15 min)
    python -m benchmarks.run --only learning    # lesson 04 on each backend (about 5 min)
    python -m benchmarks.run --docs             # only rewrite the docs' tables from the saved results

Each benchmark's summary goes to benchmarks/results/NAME.json (committed: the docs' tables are
generated from it, and a test fails when a table is stale); the rounds themselves go beside it
as NAME.rounds.json (not committed). The records of benchmarks/records.py (CI's times, the
supported Pythons, the spread) are results too, added to by hand, and tabled the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from benchmarks import augmentation, convnet, dense, learning, lessons, records, runner, widths
from mnist_lesson.paths import CHECKOUT
from tools.plumbing import END_MARKER, begin_marker, fill_generated, machine_text, write_generated

DOCS = CHECKOUT / "docs"
#: Each benchmark: its module (its run() measures, its table() shows the saved summary), and its page.
BENCHMARKS = {
    "lessons": (lessons, DOCS / "performance.md"),
    "widths": (widths, DOCS / "performance.md"),
    "dense": (dense, DOCS / "backends.md"),
    "convnet": (convnet, DOCS / "backends.md"),
    "learning": (learning, DOCS / "backends.md"),
    "augmentation": (augmentation, DOCS / "design.md"),
}
#: Every generated table: its page, and how its saved result becomes the table.
TABLES = {name: records.Record(page, module.table) for name, (module, page) in BENCHMARKS.items()}
TABLES |= records.RECORDS
PAGES = sorted({each.page for each in TABLES.values()})
#: The command a page's table names as the one that writes it: a benchmark's is make bench.
BENCH, RECORD = "make bench", "python -m benchmarks.run --docs"
SOURCE = re.compile(r"benchmarks/results/(\w+)\.json")


def command_for(name: str) -> str:
    return BENCH if name in BENCHMARKS else RECORD


def results_path(name: str) -> Path:
    return runner.RESULTS / f"{name}.json"


def marker(name: str) -> str:
    """The lines to paste into a page where a table goes (then run `python -m benchmarks.run --docs`)."""
    return f"{begin_marker(command_for(name), f'benchmarks/results/{name}.json')}\n\n{END_MARKER}"


def render(name: str, result: dict) -> str:
    """The table of one saved result, with when and where it was measured."""
    table = TABLES[name].table(result)
    rounds = result.get("rounds")
    counted = "" if rounds is None else f", {rounds} round{'' if rounds == 1 else 's'}"
    return f"Measured {result['date']} ({machine_text(result.get('machine', {}))}){counted}:\n\n{table}"


def fill(source: str) -> str:
    """The body of the table a page's marker asks for: `source` names its saved result."""
    found = SOURCE.fullmatch(source)
    if not found or found[1] not in TABLES:
        raise SystemExit(
            f"a generated table from {source!r}: no such result; the tables are made from "
            + ", ".join(f"benchmarks/results/{name}.json" for name in TABLES)
        )
    path = results_path(found[1])
    if not path.exists():
        return "No result saved yet: run `make bench`." if found[1] in BENCHMARKS else f"No {path.name} yet."
    return render(found[1], json.loads(path.read_text()))


def generated_page(text: str) -> str:
    """The page with every generated table rewritten from the saved results."""
    return fill_generated(fill_generated(text, BENCH, fill), RECORD, fill)


def write_docs(check: bool = False) -> list[Path]:
    """Rewrite the generated tables of every page that has some (each page atomically); the stale pages."""
    stale = set()
    for command in (BENCH, RECORD):
        pages = [page for page in PAGES if any(TABLES[n].page == page for n in TABLES if command_for(n) == command)]
        stale |= set(write_generated(pages, command, fill, check=check))
    return sorted(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="one benchmark (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--docs", action="store_true", help="only rewrite the docs' tables from the saved results")
    args = parser.parse_args(argv)
    if not args.docs:
        for name in args.only or list(BENCHMARKS):
            print(f"Benchmark {name}: {args.repeat} alternating rounds on {os.cpu_count()} cores …", file=sys.stderr)
            result = BENCHMARKS[name][0].run(args.repeat, dict(os.environ))
            result.setdefault("machine", runner.machine())
            result.setdefault("rounds", args.repeat)
            runner.RESULTS.mkdir(parents=True, exist_ok=True)
            results_path(name).write_text(json.dumps(result, indent=1) + "\n")
            print(render(name, result))
    write_docs()
    pages = ", ".join(str(path.relative_to(CHECKOUT)) for path in PAGES)
    print(f"Tables rewritten in {pages} from benchmarks/results/: commit them with the results.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
