"""Whether the lessons survive a re-run: every code cell run twice in a row, a cell that trains with `fit` once.

Beginners run a cell again all the time. A preparation cell that divides by 255 or one-hot encodes
what it already changed, or a model cell that adds its layers a second time, breaks the lesson
silently or loudly. So each lesson is executed, in a scratch copy with its models in scratch (the
registry's ``execute``), with every code cell doubled, except a cell that calls ``fit``: that one
trains further when run again, which its lesson says, so it runs once. The lesson must finish
without an error, and every floor and ceiling its tagged cells state (``nbval_minimum``,
``nbval_maximum``, checked by the nbval add-on's own code) must hold on each run of the cell.

``make test-all`` runs it (tests/notebooks/test_rerun.py); ``python -m tools.rerun 01_mnist``
checks one lesson (and first the lessons it loads a model from).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import nbformat

from tools.lessons import Configuration, Lesson, calls_fit, execute, lesson, lessons, with_dependencies
from tools.nbval_tolerance import TAG, check_minimums, limits, text_of

#: Where the doubled notebook records which cell of the lesson each of its cells runs, and which run it is.
RUN_KEY = "mnist_lesson_rerun"


def _labelled(cell: nbformat.NotebookNode, index: int, run: int, of: int) -> nbformat.NotebookNode:
    """A copy of a code cell that says (in its metadata, and in a comment an error message shows) which run it is."""
    labelled = copy.deepcopy(cell)
    labelled.metadata[RUN_KEY] = {"cell": index, "run": run}
    if "id" in labelled:  # each copy its own id, as nbformat requires
        labelled.id = f"{labelled.id[:58]}-run{run}"
    label = f"# (re-run check: code cell {index}, run {run} of {of})"
    lines = labelled.source.splitlines()
    at = 1 if lines and lines[0].startswith("%%") else 0  # a cell magic must stay the first line
    labelled.source = "\n".join([*lines[:at], label, *lines[at:]])
    labelled.outputs, labelled.execution_count = [], None
    return labelled


def doubled(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a notebook whose every code cell is followed by a second copy of itself, but a cell that calls fit."""
    result = copy.deepcopy(notebook)
    cells, index = [], 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            cells.append(copy.deepcopy(cell))
            continue
        runs = 1 if calls_fit(cell.source) else 2
        cells.extend(_labelled(cell, index, run, runs) for run in range(1, runs + 1))
        index += 1
    result.cells = cells
    return result


def limits_broken(executed: nbformat.NotebookNode) -> list[str]:
    """Each run of a tagged cell whose output breaks a floor or ceiling its metadata states."""
    problems = []
    for cell in executed.cells:
        where = cell.get("metadata", {}).get(RUN_KEY)
        if cell.cell_type != "code" or where is None or TAG not in cell.metadata.get("tags", []):
            continue
        minimums, maximums = limits(cell.metadata)
        if minimums or maximums:
            for problem in check_minimums(text_of(cell.outputs), minimums, maximums):
                problems.append(f"code cell {where['cell']}, run {where['run']}: {problem}")
    return problems


def check(
    chosen: Iterable[Lesson], scratch: Path, configuration: Configuration | None = None, timeout: int = 1800
) -> dict[str, list[str]]:
    """Execute lessons doubled, in order, in scratch; each lesson's problems (none: it survives a re-run).

    A lesson whose model another loads runs first; a lesson is not run when a lesson it loads from failed.
    """
    scratch = Path(scratch)
    sources = scratch / "doubled"
    sources.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[str]] = {}
    for each in chosen:
        failed = [stem for stem, problems in results.items() if problems]
        failed = [stem for stem in each.loads if stem in failed] if failed else []
        if failed:
            results[each.stem] = [f"not run: it loads the model of {', '.join(failed)}, which failed"]
            continue
        source = sources / each.notebook.name
        nbformat.write(doubled(nbformat.read(each.notebook, as_version=4)), source)
        try:
            (executed,) = execute([Lesson(source)], scratch, configuration, timeout=timeout)
        except RuntimeError as failure:
            results[each.stem] = [f"failed with every code cell run twice (a fit cell once): {failure}"]
            continue
        results[each.stem] = limits_broken(nbformat.read(executed, as_version=4))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rerun", description=__doc__.splitlines()[0])
    parser.add_argument("stems", nargs="*", metavar="LESSON", help="lessons to check, e.g. 01_mnist (default: all)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    every = lessons()
    try:
        chosen = with_dependencies([lesson(stem) for stem in args.stems] if args.stems else every, every)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="rerun-") as scratch:
        results = check(chosen, Path(scratch), timeout=args.timeout)
    for stem, problems in results.items():
        print(f"{stem}: " + ("survives a re-run" if not problems else "FAILED"))
        for problem in problems:
            print(f"  {problem}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
