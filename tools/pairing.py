"""Check that every lesson's .md and .ipynb agree and that the .ipynb was executed (course tooling).

Instructors edit ``notebooks/NN_topic.md``; learners open ``NN_topic.ipynb``. The two
must hold the same cells (type, source and metadata such as nbval tags: jupytext's own
comparison decides), every notebook needs its partner, and every code cell of the
``.ipynb`` must have been executed, or nbval has nothing to compare.
Run ``python -m tools.pairing notebooks`` (``make check-pairs``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
from jupytext.compare import NotebookDifference, compare_notebooks

FIX_SYNC = "run `make sync` (then `make execute` so its outputs match)"
FIX_EXECUTE = "run `make execute`"


def check_pair(md: Path, ipynb: Path) -> list[str]:
    """Problems with one .md/.ipynb pair, each naming the file and the command that fixes it."""
    problems = []
    try:
        text, notebook = jupytext.read(md), jupytext.read(ipynb)
    except Exception as exc:  # jupytext/nbformat raise many kinds on a broken file
        return [f"{md} / {ipynb}: cannot be read ({type(exc).__name__}: {exc})"]
    try:
        # The .md is the expected side: it is the source, the .ipynb is generated from it.
        compare_notebooks(notebook, text, fmt="md", raise_on_first_difference=False)
    except NotebookDifference as difference:
        problems.append(f"{ipynb} differs from {md} ({_one_line(difference)}); the .md is the source: {FIX_SYNC}")
    nb_cells = notebook.cells
    unexecuted = [
        number
        for number, cell in enumerate(nb_cells, 1)
        if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None
    ]
    if unexecuted:
        cells = ", ".join(map(str, unexecuted))
        problems.append(f"{ipynb}: code cell(s) {cells} were never executed, so CI cannot check them: {FIX_EXECUTE}")
    return problems


def _one_line(difference: Exception) -> str:
    text = " ".join(str(difference).split())
    return text if len(text) <= 300 else text[:297] + "..."


def check_folder(folder: Path) -> list[str]:
    """Problems with every notebook pair in a folder."""
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
    """Command line for `make check-pairs`."""
    parser = argparse.ArgumentParser(prog="python -m tools.pairing", description=__doc__.splitlines()[0])
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
