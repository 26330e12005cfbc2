"""Check that a lesson's prose quotes no result its own stored outputs do not show (course tooling).

A lesson's text may not drift from its outputs: every accuracy, loss or share it quotes (a decimal
such as 0.9917, a percentage such as 97.6 %) must be one that a stored output of the same notebook
shows, to the decimals quoted, a floor or ceiling CI checks (nbval_minimum, nbval_maximum), or be written
in its code. Three kinds of number are not results and
are left alone: a self-check's question (its givens: "a network scores 0.9832 …"), a number after
"≈" (arithmetic: "−ln 0.5 ≈ 0.69"), and what a `<details class="past-run">` block reports, which
is a past run's figure that the block itself dates ("when the course tried it, November 2026, …").
Run ``python -m tools.prose`` (part of `make test`, through tests/tools/test_prose.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.lessons import lessons

#: A percentage: 97.6 %, 40%, 0.2 % (a number right after a word character or a dot is part of something else).
PERCENTAGE = re.compile(r"(?<![\w.,])(?<!≈ )(?<!≈\u00a0)(?<!≈)(\d{1,3}(?:\.\d+)?)[ \u00a0\u202f]?%")
#: A decimal below 1 with at least two decimals: 0.9917, 0.07 (0.5 is a setting more often than a result).
DECIMAL = re.compile(r"(?<![\w.,≈])(?<!≈ )(?<!≈\u00a0)(0\.\d{2,})(?!\d)(?![ \u00a0\u202f]?%)")
PAST_RUN = re.compile(r'<details class="past-run">.*?</details>', re.DOTALL)
#: A self-check's question: the bold paragraph that asks it, or the summary line of a folded one.
QUESTION = re.compile(r"^\*\*Self-check\.\*\*[^\n]*$|<summary>.*?</summary>", re.MULTILINE | re.DOTALL)
#: A number in an output: 0.9796, -3, 1.2e-04 (a minus sign right after a digit is a dash, not a sign).
NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Quote:
    """A number the prose quotes: where (cell, line of the .md), as written, and its value and decimals."""

    cell: int
    line: int
    text: str
    value: float
    decimals: int
    percent: bool


def shown_numbers(notebook) -> list[float]:
    """Every number a stored text output of the notebook shows (streams, and the plain text of results)."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts.append(output.get("text", ""))
            texts.extend(value for key, value in output.get("data", {}).items() if key == "text/plain")
    return [float(number) for number in NUMBER.findall("\n".join(texts))]


def quotes(markdown: str, cell: int, first_line: int) -> list[Quote]:
    """The results one markdown cell quotes, leaving out questions, arithmetic and past runs."""

    def blank(match: re.Match) -> str:  # keep the line count, drop the text
        return "\n" * match.group(0).count("\n")

    text = PAST_RUN.sub(blank, markdown)
    # A question's givens stay givens when its folded answer repeats them ("The 0.96 was measured once …").
    givens = {number for question in QUESTION.findall(text) for number in re.findall(r"\d+(?:\.\d+)?", question)}
    text = QUESTION.sub(blank, text)
    found = []
    for pattern, percent in ((PERCENTAGE, True), (DECIMAL, False)):
        for match in pattern.finditer(text):
            number = match.group(1)
            if number in givens:
                continue
            decimals = len(number.partition(".")[2])
            line = first_line + text.count("\n", 0, match.start()) if first_line else 0  # 0: not found in the .md
            found.append(Quote(cell, line, match.group(0), float(number), decimals, percent))
    return sorted(found, key=lambda quote: quote.line)


def is_shown(quote: Quote, numbers: list[float]) -> bool:
    """Whether some shown number is the quote, rounded to its decimals (as a share, or as a percentage of one)."""
    for number in numbers:
        if round(number, quote.decimals) == quote.value:
            return True
        if quote.percent and 0 <= number <= 1 and round(number * 100, quote.decimals) == quote.value:
            return True
    return False


def check_lesson(ipynb: Path, md: Path) -> list[str]:
    """Each result quoted by the lesson's prose that no stored output shows, named by its line in the .md."""
    notebook = nbformat.read(ipynb, as_version=4)
    numbers = shown_numbers(notebook)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    # A floor or ceiling that CI checks on every run backs what the prose says about it ("at least 0.88").
    limits = [
        float(value)
        for cell in notebook.cells
        for key in ("nbval_minimum", "nbval_maximum")
        for value in cell.get("metadata", {}).get(key, {}).values()
    ]
    md_text = md.read_text() if md.exists() else ""
    problems, searched_from = [], 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        # Where the cell starts in the .md, so a problem names the line an instructor edits.
        start = md_text.find(cell.source, searched_from)
        first_line = md_text.count("\n", 0, start) + 1 if start >= 0 else 0
        searched_from = start + len(cell.source) if start >= 0 else searched_from
        for quote in quotes(cell.source, index + 1, first_line):
            number = re.escape(re.sub(r"[ \u00a0\u202f]?%$", "", quote.text))
            if re.search(rf"(?<![\d.]){number}(?![\d])", code) or is_shown(quote, numbers + limits):
                continue
            where = f"{md}, line {quote.line}" if quote.line else f"{ipynb}, cell {quote.cell}"
            problems.append(
                f"{where}: the prose quotes {quote.text!r}, which no stored output of the lesson shows. "
                'Quote the output the lesson prints, or report a past run in a <details class="past-run"> block '
                "that says when and on what it was measured."
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: check every lesson, or the given .ipynb files."""
    parser = argparse.ArgumentParser(prog="python -m tools.prose", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", type=Path, nargs="*", help="lesson .ipynb files (default: every lesson)")
    args = parser.parse_args(argv)
    pairs = [(path, path.with_suffix(".md")) for path in args.notebooks] or [
        (lesson.notebook, lesson.md) for lesson in lessons()
    ]
    problems = [problem for ipynb, md in pairs for problem in check_lesson(ipynb, md)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} quoted result(s) that the stored outputs do not show.", file=sys.stderr)
        return 1
    print(f"The prose of {len(pairs)} lesson(s) quotes only results their stored outputs show.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
