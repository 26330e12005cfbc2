"""The README and docs/: a short README for learners that lists every lesson, and links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mnist_lesson.paths import CHECKOUT
from tools.lessons import lessons

README = CHECKOUT / "README.md"
INDEX = CHECKOUT / "docs" / "index.md"
#: A row of a lesson table: "| [NN · Title](PREFIXnotebooks/NN_topic.ipynb) | what you do |".
ROW = re.compile(r"^\| \[(\d\d) · ([^\]]+)\]\(((?:\.\./)?)notebooks/([^)\s]+)\.ipynb\) \| (.+) \|$", re.MULTILINE)
#: A Markdown link or image to a file of the repository (not a web address, not an anchor on the same page).
LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")
PAGES = [
    README,
    CHECKOUT / "CONTRIBUTING.md",
    *sorted((CHECKOUT / "docs").glob("*.md")),
    CHECKOUT / "tests" / "notebooks" / "README.md",
]


def lesson_title(md: Path) -> str:
    """A lesson's title as its first heading gives it, without "Lesson NN · "."""
    first = next(line for line in md.read_text().splitlines() if line.startswith("# "))
    return first.removeprefix("# ").split(" · ", 1)[1]


def test_the_readme_is_short_and_shows_the_command_ci_runs():
    assert len(README.read_bytes()) < 8 * 1024, "the README is for learners: move the rest to docs/"
    blocks = re.findall(r"^```\w*\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    assert any(re.match(r"make test\b", line) for block in blocks for line in block.splitlines())


@pytest.mark.parametrize("page, prefix", [(README, ""), (INDEX, "../")], ids=["README", "docs-index"])
def test_each_lesson_table_lists_every_lesson_in_order_under_its_own_title(page, prefix):
    rows = ROW.findall(page.read_text())
    assert [stem for _, _, _, stem, _ in rows] == [each.stem for each in lessons()]
    for (number, title, found_prefix, stem, _), each in zip(rows, lessons()):
        assert found_prefix == prefix, f"{page.name} links {stem} as {found_prefix}notebooks/, not {prefix}notebooks/"
        assert (number, title) == (stem[:2], lesson_title(each.md)), f"{page.name}'s row for {stem}"


def test_the_readme_and_the_home_page_say_the_same_of_each_lesson():
    readme = [(title, what) for _, title, _, _, what in ROW.findall(README.read_text())]
    assert readme == [(title, what) for _, title, _, _, what in ROW.findall(INDEX.read_text())]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(CHECKOUT)) for p in PAGES])
def test_every_link_to_a_file_of_the_repository_leads_to_one(page):
    targets = [target.split("#")[0] for target in LINK.findall(page.read_text())]
    missing = [target for target in targets if target and not (page.parent / target).exists()]
    assert not missing, f"{page.relative_to(CHECKOUT)} links files that do not exist: {missing}"
