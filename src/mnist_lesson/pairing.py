"""Check that every lesson's .md and .ipynb agree and that the .ipynb was executed (introduced in lesson 01).

Instructors edit ``notebooks/NN_topic.md``; learners open ``NN_topic.ipynb``. The two
must hold the same cells (type and source), every notebook needs its partner, and every
code cell of the ``.ipynb`` must have been executed, or nbval has nothing to compare.
Run ``python -m mnist_lesson.pairing notebooks`` (``make check-pairs``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FIX_SYNC = "run `make sync` (then `make execute` so its outputs match)"
FIX_EXECUTE = "run `make execute`"


def _cells(path: Path):
    import jupytext

    return jupytext.read(path).cells


def check_pair(md: Path, ipynb: Path) -> list[str]:
    """Problems with one .md/.ipynb pair, each naming the file and the command that fixes it (lesson 01)."""
    problems = []
    try:
        text_cells, nb_cells = _cells(md), _cells(ipynb)
    except Exception as exc:  # jupytext/nbformat raise many kinds on a broken file
        return [f"{md} / {ipynb}: cannot be read ({type(exc).__name__}: {exc})"]
    if len(text_cells) != len(nb_cells):
        problems.append(
            f"{ipynb}: has {len(nb_cells)} cells but {md} has {len(text_cells)}; the .md is the source: {FIX_SYNC}"
        )
    for number, (a, b) in enumerate(zip(text_cells, nb_cells), 1):
        if a.cell_type != b.cell_type:
            problems.append(
                f"{ipynb}: cell {number} is a {b.cell_type} cell but a {a.cell_type} cell in {md}: {FIX_SYNC}"
            )
        elif a.source.strip() != b.source.strip():
            first = (a.source.strip().splitlines() or [""])[0][:60]
            problems.append(f"{ipynb}: cell {number} ({first!r}…) differs from {md}: {FIX_SYNC}")
    unexecuted = [
        number
        for number, cell in enumerate(nb_cells, 1)
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None
    ]
    if unexecuted:
        cells = ", ".join(map(str, unexecuted))
        problems.append(f"{ipynb}: code cell(s) {cells} were never executed, so CI cannot check them: {FIX_EXECUTE}")
    return problems


def check_folder(folder: Path) -> list[str]:
    """Problems with every notebook pair in a folder (lesson 01)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder}: no such folder"]
    mds = {p.stem: p for p in folder.glob("*.md") if p.name.lower() != "readme.md"}
    ipynbs = {p.stem: p for p in folder.glob("*.ipynb")}
    problems = []
    for stem in sorted(mds.keys() - ipynbs.keys()):
        problems.append(f"{mds[stem]}: has no paired {stem}.ipynb: run `make execute` to create and execute it")
    for stem in sorted(ipynbs.keys() - mds.keys()):
        problems.append(
            f"{ipynbs[stem]}: has no paired {stem}.md: run `.venv/bin/jupytext --set-formats ipynb,md {ipynbs[stem]}`"
        )
    for stem in sorted(mds.keys() & ipynbs.keys()):
        problems += check_pair(mds[stem], ipynbs[stem])
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line for `make check-pairs` (lesson 01)."""
    parser = argparse.ArgumentParser(prog="python -m mnist_lesson.pairing", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("notebooks"))
    args = parser.parse_args(argv)
    problems = check_folder(args.folder)
    if problems:
        print(f"The notebooks in {args.folder} are out of step ({len(problems)} problem(s)):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"All notebook pairs in {args.folder} agree and are executed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
