"""Check a lesson's prose: it quotes only results its outputs show, speaks to learners only, and stays short.

A lesson's text may not drift from its outputs: every accuracy, loss or share it quotes (a decimal
such as 0.9917, a percentage such as 97.6 %) must be one that a stored output of the same notebook
shows, to the decimals quoted, a floor or ceiling CI checks (nbval_minimum, nbval_maximum), or be written
in its code. Three kinds of number are not results and
are left alone: a self-check's question (its givens: "a network scores 0.9832 …"), a number after
"≈" (arithmetic: "−ln 0.5 ≈ 0.69"), and what a `<details class="past-run">` block reports, which
is a past run's figure that the block itself dates ("when the course tried it, November 2026, …").

Two more checks hold the prose to issue 33's limits. It speaks to learners only: no CI, nbval,
tolerances, make targets but `make lab`, dates, or docs/ paths anywhere in it, folded blocks
included (what maintainers need goes into cell metadata, docs/ or the tests). And it is short:
at most 3,000 words outside ``<details>`` blocks, and lesson 01 trains (its first cell that
calls ``fit``) within its first 2,000 such words.
Run ``python -m tools.prose`` (part of `make test`, through tests/tools/test_prose.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.lessons import FIRST_LESSON, calls_fit, lessons
from tools.nbval_tolerance import limits as nbval_limits

#: A percentage: 97.6 %, 40%, 0.2 % (a number right after a word character or a dot is part of something else).
PERCENTAGE = re.compile(r"(?<![\w.,])(?<!≈ )(?<!≈\u00a0)(?<!≈)(\d{1,3}(?:\.\d+)?)[ \u00a0\u202f]?%")
#: A decimal below 1 with at least two decimals: 0.9917, 0.07 (0.5 is a setting more often than a result).
DECIMAL = re.compile(r"(?<![\w.,≈])(?<!≈ )(?<!≈\u00a0)(0\.\d{2,})(?!\d)(?![ \u00a0\u202f]?%)")
PAST_RUN = re.compile(r'<details class="past-run">.*?</details>', re.DOTALL)
#: A self-check's question: the bold paragraph that asks it, or the summary line of a folded one.
QUESTION = re.compile(r"^\*\*Self-check\.\*\*[^\n]*$|<summary>.*?</summary>", re.MULTILINE | re.DOTALL)
#: A number in an output: 0.9796, -3, 1.2e-04 (a minus sign right after a digit is a dash, not a sign).
NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

#: The pages of docs/ written for learners, which a lesson may link (../docs/try.md): the website's Try it page.
LEARNER_PAGES = ("try.md",)
_LEARNER_PAGES = "|".join(re.escape(name) for name in LEARNER_PAGES)
_MONTH = "January|February|March|April|May|June|July|August|September|October|November|December"
#: What only the course's maintainers need, never a learner: each kind, and how it is spelled.
MAINTAINER_WORDS = {
    "CI": re.compile(r"\bCI\b"),
    "nbval": re.compile(r"\bnbval\b", re.IGNORECASE),
    "a tolerance": re.compile(r"\btolerances?\b", re.IGNORECASE),
    "a make target other than make lab": re.compile(r"\bmake test(?:-all)?\b|`make (?!lab`)[a-z][\w-]*`"),
    "a date": re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b(?:\d{{1,2}}\s+)?(?:{_MONTH})\s+(?:\d{{1,2}},\s+)?\d{{4}}\b"),
    "a docs/ path": re.compile(rf"\bdocs/(?!(?:{_LEARNER_PAGES})(?![\w./-]))[\w./-]*\.md\b"),
}
#: The most words of prose a lesson may have outside <details> blocks, and lesson 01 before it trains.
MAX_WORDS, MAX_WORDS_BEFORE_FIT = 3000, 2000
#: Where a folded block opens or closes: its words are read only by a learner who opens it.
DETAILS = re.compile(r"<details\b[^>]*>|</details\s*>", re.IGNORECASE)
#: What of Markdown is not read as words: a link's or image's target, HTML tags and comments' markers.
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Quote:
    """A number the prose quotes: where (cell, line of the .md), as written, and its value and decimals."""

    cell: int
    line: int
    text: str
    value: float
    decimals: int
    percent: bool


#: Image outputs: their text/plain is the figure's description (mnist_lesson.plots.show), a sentence, not an output.
IMAGES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def is_figure(output) -> bool:
    return any(kind in output.get("data", {}) for kind in IMAGES)


def shown_numbers(notebook) -> list[float]:
    """Every number a stored text output of the notebook shows (streams, and the plain text of results).

    A figure's description is left out: it is held to the outputs like the prose (figure_descriptions)."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts.append(output.get("text", ""))
            if not is_figure(output):
                texts.extend(value for key, value in output.get("data", {}).items() if key == "text/plain")
    # Magnitudes: a quote is read without its sign ("w = -0.27" quotes 0.27), so a printed -0.27 shows it.
    return [abs(float(number)) for number in NUMBER.findall("\n".join(texts))]


def figure_descriptions(notebook) -> list[tuple[int, str]]:
    """(cell number, description) of every figure the notebook's outputs hold that has one."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if is_figure(output):
                for kind in IMAGES:
                    alt = output.get("metadata", {}).get(kind, {}).get("alt")
                    if alt:
                        found.append((index + 1, alt))
                        break
    return found


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
        value for cell in notebook.cells for kind in nbval_limits(cell.get("metadata", {})) for value in kind.values()
    ]
    problems = []
    # A figure's description is a sentence too: what it quotes must be in the outputs (not in the description).
    described = [(cell, quotes(alt, cell, 0), True) for cell, alt in figure_descriptions(notebook)]
    prose = [
        (index + 1, quotes(source, index + 1, first_line), False)
        for index, source, first_line in markdown_cells(notebook, md)
    ]
    for cell, found, is_description in prose + described:
        for quote in found:
            number = re.escape(re.sub(r"[ \u00a0\u202f]?%$", "", quote.text))
            if re.search(rf"(?<![\d.]){number}(?![\d])", code) or is_shown(quote, numbers + limits):
                continue
            if is_description:
                problems.append(
                    f"{ipynb}, cell {cell}: the figure's description quotes {quote.text!r}, which no stored output of "
                    "the lesson shows. Derive it from what the lesson prints (an f-string), or leave the number out."
                )
                continue
            where = f"{md}, line {quote.line}" if quote.line else f"{ipynb}, cell {quote.cell}"
            problems.append(
                f"{where}: the prose quotes {quote.text!r}, which no stored output of the lesson shows. "
                'Quote the output the lesson prints, or report a past run in a <details class="past-run"> block '
                "that says how it was measured (which seeds, which backend)."
            )
    return problems


def markdown_cells(notebook, md: Path) -> list[tuple[int, str, int]]:
    """Each markdown cell: its index in the notebook, its text, and the line of the .md it starts on (0: not found)."""
    md_text = md.read_text() if md.exists() else ""
    found, searched_from = [], 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        # Where the cell starts in the .md, so a problem names the line an instructor edits.
        start = md_text.find(cell.source, searched_from)
        first_line = md_text.count("\n", 0, start) + 1 if start >= 0 else 0
        searched_from = start + len(cell.source) if start >= 0 else searched_from
        found.append((index, cell.source, first_line))
    return found


def check_audience(ipynb: Path, md: Path) -> list[str]:
    """Each place the lesson's prose speaks to maintainers (CI, nbval, tolerances, make targets, dates, docs/)."""
    notebook = nbformat.read(ipynb, as_version=4)
    problems = []
    for index, source, first_line in markdown_cells(notebook, md):
        for what, pattern in MAINTAINER_WORDS.items():
            for match in pattern.finditer(source):
                line = first_line + source.count("\n", 0, match.start()) if first_line else 0
                where = f"{md}, line {line}" if line else f"{ipynb}, cell {index + 1}"
                problems.append(
                    f"{where}: the prose names {what} ({match.group(0)!r}), which only maintainers need. "
                    "A lesson speaks to learners: put it in the cell's metadata, in docs/ or in the tests."
                )
    return sorted(problems, key=_line_order)


def _line_order(problem: str) -> tuple[str, int]:
    where, _, line = problem.partition(": ")[0].rpartition(", line ")
    return (where, int(line)) if line.isdigit() else (problem, 0)


def words(markdown: str) -> int:
    """How many words a learner reads in Markdown: a link's text but not its target, no HTML tags."""
    text = TAG.sub(" ", LINK.sub(r"\1", markdown))
    return sum(1 for token in text.split() if any(char.isalnum() for char in token))


def word_counts(notebook) -> tuple[int, int | None]:
    """Words of prose outside <details> blocks: in all, and before the first cell that calls fit (None: none does)."""
    outside, before_fit, depth = 0, None, 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            if before_fit is None and calls_fit(cell.source):
                before_fit = outside
            continue
        if cell.cell_type != "markdown":
            continue
        position = 0  # a folded block may open in one cell and close in a later one
        for marker in [*DETAILS.finditer(cell.source), None]:
            end = len(cell.source) if marker is None else marker.start()
            if depth == 0:
                outside += words(cell.source[position:end])
            if marker is not None:
                depth = max(0, depth + (-1 if marker.group(0).startswith("</") else 1))
                position = marker.end()
    return outside, before_fit


def check_length(ipynb: Path) -> list[str]:
    """Whether the lesson's prose outside <details> fits its limits: all of it, and lesson 01's before it trains."""
    outside, before_fit = word_counts(nbformat.read(ipynb, as_version=4))
    problems = []
    if outside > MAX_WORDS:
        problems.append(
            f"{ipynb}: {outside:,} words of prose outside <details> blocks, more than {MAX_WORDS:,}. "
            "Cut repetition and hedging, fold side topics into <details>, or move them to the lesson's end."
        )
    if Path(ipynb).stem == FIRST_LESSON:
        if before_fit is None:
            problems.append(f"{ipynb}: no code cell calls fit, so the lesson never trains its network.")
        elif before_fit > MAX_WORDS_BEFORE_FIT:
            problems.append(
                f"{ipynb}: {before_fit:,} words of prose outside <details> before the first cell that calls fit, "
                f"more than {MAX_WORDS_BEFORE_FIT:,}. Train sooner: move side topics after the payoff or fold them."
            )
    return problems


def check_all(ipynb: Path, md: Path) -> list[str]:
    """Every problem of the lesson's prose: quoted results, words for maintainers, length."""
    return check_lesson(ipynb, md) + check_audience(ipynb, md) + check_length(ipynb)


def main(argv: list[str] | None = None) -> int:
    """Command line: check every lesson, or the given .ipynb files."""
    parser = argparse.ArgumentParser(prog="python -m tools.prose", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", type=Path, nargs="*", help="lesson .ipynb files (default: every lesson)")
    args = parser.parse_args(argv)
    pairs = [(path, path.with_suffix(".md")) for path in args.notebooks] or [
        (lesson.notebook, lesson.md) for lesson in lessons()
    ]
    problems = [problem for ipynb, md in pairs for problem in check_all(ipynb, md)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the lessons' prose.", file=sys.stderr)
        return 1
    print(
        f"The prose of {len(pairs)} lesson(s) quotes only results their stored outputs show, "
        "speaks to learners only and fits its word limits."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
