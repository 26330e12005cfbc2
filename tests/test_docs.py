"""The README and docs/: a short README for learners, generated lesson tables, links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mnist_lesson.paths import CHECKOUT
from tools import lessons as registry
from tools.lessons import lessons

README = CHECKOUT / "README.md"
README_CAP = 8 * 1024
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
    assert len(README.read_bytes()) < README_CAP, "the README is for learners: move the rest to docs/"
    blocks = re.findall(r"^```\w*\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    assert any(re.match(r"make test\b", line) for block in blocks for line in block.splitlines())


def test_the_lesson_tables_are_what_the_lessons_front_matter_generates():
    stale = registry.write_tables(lessons(), check=True)
    assert not stale, f"stale lesson tables in {[p.name for p in stale]}: run `{registry.TABLES_COMMAND}`"


@pytest.mark.parametrize("each", lessons(), ids=lambda each: each.stem)
def test_a_lessons_declared_title_is_the_one_its_first_heading_gives(each):
    assert each.declared.title == lesson_title(each.md), f"{each.md.name}: its front matter's title and its heading"


def test_the_readme_has_room_for_another_lesson_with_the_longest_summary_allowed():
    longest_title = max(len(each.declared.title.encode()) for each in lessons())
    row = len("| [NN · ](notebooks/NN_a_new_topic.ipynb) |  |\n".encode()) + longest_title + registry.SUMMARY_LIMIT
    assert len(README.read_bytes()) + row < README_CAP, "a new lesson's row would not fit: shorten the README"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(CHECKOUT)) for p in PAGES])
def test_every_link_to_a_file_of_the_repository_leads_to_one(page):
    targets = [target.split("#")[0] for target in LINK.findall(page.read_text())]
    missing = [target for target in targets if target and not (page.parent / target).exists()]
    assert not missing, f"{page.relative_to(CHECKOUT)} links files that do not exist: {missing}"
