"""Build the course as a static website with Sphinx and MyST-NB: `make book` (course tooling).

The site is made from the committed notebooks and the outputs stored in them (nothing is
executed: those outputs are the ones CI checked), with README's lesson table as its home page.
Sources are assembled in a scratch folder laid out like the checkout (notebooks/, book/images/),
so the lessons' own relative links work; the configuration is book/conf.py. The build is strict:
every Sphinx warning (a broken link, a missing image, a lesson left out of the table of contents)
fails it, named by the file in the checkout. A site is only put in place once it built cleanly.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "book"
OUT = ROOT / "build" / "book"
#: A Sphinx warning located in a notebook: its file, MyST-NB's line number, and the rest.
CELL_LINE = re.compile(r"^(notebooks/[^:]+\.ipynb):(\d{5,}): (.*)$")
#: What to do about the warnings a lesson most often gets, by Sphinx's warning type.
HINTS = {
    "image.not_readable": "An image path is relative to the lesson (../book/images/NAME.png); "
    "`make images` regenerates the course's figures.",
    "toc.not_included": "Every lesson needs a row in README's lesson table, which is the site's table of contents.",
    "myst.xref_missing": "A link points at a page or heading that does not exist (lessons link as 02_inference.ipynb).",
    "toc.not_readable": "README's lesson table links a lesson that is not in notebooks/.",
}
#: README's lesson table: one row per lesson, linking its executed notebook.
LESSON_ROW = re.compile(r"^\| \[[^\]]+\]\((notebooks/[0-9][0-9]_\w+\.ipynb)\)", re.MULTILINE)

RUN_IT_YOURSELF = """
## Run the lessons yourself

This site shows every lesson as it ran, outputs included. To run them, change them and see your own
numbers, get the course's folder, then start JupyterLab on lesson 01:

```bash
make lab     # create .venv, install everything, fetch MNIST, open lesson 01 in JupyterLab
```

Each lesson's page links its notebook (`.ipynb`, what you open in JupyterLab) and its text
version (`.md`, what instructors edit; Jupytext pairs the two). The course's README says more:
which Pythons it supports, the backends, and what to do when something goes wrong.
"""


class BookError(Exception):
    """The site could not be built; the message says why and what to do."""


def home_page(readme: str) -> tuple[str, list[str]]:
    """The home page's MyST text (README up to Quick start, with a table of contents) and its lessons."""
    intro = readme.split("\n## Quick start", 1)[0]
    lessons = LESSON_ROW.findall(intro)
    if not lessons:
        raise BookError(
            "README.md has no lesson table before '## Quick start' (rows like '| [01 · …](notebooks/01_….ipynb) |')."
        )
    toctree = "\n".join(["```{toctree}", ":hidden:", ":caption: Lessons", "", *lessons, "```"])
    return f"{intro.rstrip()}\n{RUN_IT_YOURSELF}\n{toctree}\n", lessons


def download_cell(name: str) -> dict:
    """A Markdown cell with links to a lesson's notebook and its Jupytext text, placed under its title."""
    stem = Path(name).stem
    text = (
        f"*Run this lesson yourself:* download the notebook {{download}}`{stem}.ipynb <../downloads/{stem}.ipynb>` "
        f"and open it in JupyterLab, or its text version {{download}}`{stem}.md <../downloads/{stem}.md>` "
        "(the file instructors edit; Jupytext pairs the two)."
    )
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def read_notebook(lesson: Path) -> dict:
    """A lesson's notebook as JSON, or a BookError that says which file is broken."""
    try:
        notebook = json.loads(lesson.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BookError(f"{lesson} is not a notebook ({error}); `make sync` rewrites it from its .md.") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise BookError(f"{lesson} has no list of cells; `make sync` rewrites it from its .md.")
    return notebook


def stage(source: Path, notebooks: Path, images: Path, readme: Path) -> None:
    """Lay out the site's sources in source/ as in the checkout (notebooks/, book/images/, downloads/)."""
    for needed, what in ((readme, "the course's README (its lesson table is the home page)"), (images, "the figures")):
        if not needed.exists():
            raise BookError(f"{needed} is missing: {what}. Run `make book` in a complete checkout of the course.")
    lessons = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise BookError(f"No lessons (NN_topic.ipynb) in {notebooks}: is that the course's notebooks/ folder?")
    index, _ = home_page(readme.read_text(encoding="utf-8"))
    (source / "index.md").write_text(index, encoding="utf-8")
    (source / "notebooks").mkdir(parents=True)
    (source / "downloads").mkdir()
    for lesson in lessons:
        text = lesson.with_suffix(".md")
        if not text.exists():
            raise BookError(f"{text} is missing: every lesson is a Jupytext pair (run `make sync`).")
        notebook = read_notebook(lesson)
        # The pages show a copy with download links under the title; the downloads are the lesson's own files.
        shutil.copy(lesson, source / "downloads" / lesson.name)
        shutil.copy(text, source / "downloads" / text.name)
        notebook["cells"].insert(1, download_cell(lesson.name))
        (source / "notebooks" / lesson.name).write_text(json.dumps(notebook), encoding="utf-8")
    shutil.copytree(images, source / "book" / "images")


def where(problem: str, notebooks: Path) -> str:
    """A Sphinx warning about a lesson, with its cell (as in JupyterLab) and the line of its .md to edit."""
    found = CELL_LINE.match(problem)
    if not found:
        # The home page is made from README's opening, so its problems are README's.
        return re.sub(r"^index\.md(:\d+)?: ", "README.md (the lesson table, the site's home page): ", problem).replace(
            ": WARNING: ", ": ", 1
        )
    name, line, rest = found.groups()
    # MyST-NB numbers lines (cell index + 1) * 10000 + line; the staged copy has one cell more, at index 1.
    index = int(line) // 10000 - 1
    place = f"{name}, the download links" if index == 1 else f"{name}, cell {max(index, 1)}"
    text = (notebooks / Path(name).name).with_suffix(".md")
    quoted = re.search(r": '?([^\s']+\.\w+)'?(?: \[|$)", rest)
    if quoted and text.exists():
        for number, source_line in enumerate(text.read_text(encoding="utf-8").splitlines(), start=1):
            if quoted.group(1) in source_line:
                place += f" (notebooks/{text.name}, line {number})"
                break
    return f"{place}: {rest.removeprefix('WARNING: ')}"


def build(
    out: Path = OUT,
    notebooks: Path = ROOT / "notebooks",
    images: Path = ROOT / "book" / "images",
    readme: Path = ROOT / "README.md",
) -> Path:
    """Build the site into out/html (replaced only when the build succeeds); return out/html."""
    # Sphinx reports resolved paths; so must the scratch folder be, for messages to name checkout files.
    out, target = out.resolve(), out.resolve() / "html"
    if target.exists() and not (target / ".buildinfo").exists():
        raise BookError(f"{target} exists and is not a site Sphinx built: choose another --out, or move it away.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="book-", dir=out))
    except OSError as error:
        raise BookError(f"Cannot build in {out}: {error.strerror}. Choose another --out.") from None
    try:
        source, html = scratch / "source", scratch / "html"
        source.mkdir()
        stage(source, notebooks, images, readme)
        # -W: every warning is an error; --keep-going: report them all; -n: unresolved references too;
        # -N: plain text (Sphinx colours its messages where it guesses a terminal, on CI for one).
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONF_DIR), "-W", "--keep-going", "-n", "-N"]
        command += ["-q", "-d", str(scratch / "doctrees"), str(source), str(html)]
        done = subprocess.run(command, capture_output=True, text=True)
        # Name files as they are in the checkout, not in the scratch folder.
        report = (done.stdout + done.stderr).replace(f"{source}/", "")
        if done.returncode != 0:
            problems = [where(line, notebooks) for line in report.splitlines() if "WARNING" in line or "ERROR" in line]
            hints = [hint for tag, hint in HINTS.items() if f"[{tag}" in report]
            raise BookError(
                "The site was not built; every warning counts as an error here:\n"
                + "\n".join(problems or report.splitlines()[-20:])
                + "".join(f"\n- {hint}" for hint in hints)
            )
        # Swap by renames, so that a site is in place at every moment but one.
        if target.exists():
            target.rename(scratch / "previous")
        html.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/book.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to build in; the site goes to OUT/html")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="where the lessons are")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        site = build(args.out, args.notebooks)
    except BookError as error:
        print(f"make book: {error}", file=sys.stderr)
        return 1
    shown = site.relative_to(Path.cwd()) if site.is_relative_to(Path.cwd()) else site
    print(f"Built the course's website in {time.monotonic() - started:.0f} s: {shown}/")
    print(f"Open {shown}/index.html in a browser, or publish the folder {shown}/ on any static host.")
    print(f"Search shows excerpts of each page when the site is served: python3 -m http.server -d {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
