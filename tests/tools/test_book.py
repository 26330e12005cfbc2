"""Tests of tools/book.py: the home page from README's lesson table, and a strict build that names what broke."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import book

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_home_page_is_readmes_opening_with_every_lesson_of_its_table_in_order():
    index, lessons = book.home_page((ROOT / "README.md").read_text())
    assert lessons == [f"notebooks/{p.name}" for p in LESSONS]
    assert index.startswith("# mnist-lesson\n") and "## Quick start" not in index
    toctree = index[index.index("```{toctree}") :]
    assert [line for line in toctree.splitlines() if line.startswith("notebooks/")] == lessons


def test_a_readme_without_a_lesson_table_is_refused():
    with pytest.raises(book.BookError, match="no lesson table"):
        book.home_page("# A course\n\nNo table here.\n\n## Quick start\n")


def lessons_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return copy


def edit_pair(notebooks: Path, stem: str, old: str, new: str) -> None:
    """Change both files of a lesson's pair, as an instructor's edit and `make sync` would."""
    for suffix in (".ipynb", ".md"):
        path = notebooks / f"{stem}{suffix}"
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))


def test_the_site_is_built_from_the_stored_notebooks_with_nothing_left_beside_it(tmp_path):
    html = book.build(out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["html"]
    for lesson in LESSONS:
        page = (html / "notebooks" / f"{lesson.stem}.html").read_text()
        assert "Trainable params" in page or lesson.stem == "02_inference"
    assert "669,706" in (html / "notebooks" / "01_mnist.html").read_text()
    assert (html / "_images" / "network.png").read_bytes() == (ROOT / "book" / "images" / "network.png").read_bytes()
    assert (html / "searchindex.js").exists()


def test_a_broken_image_fails_the_build_naming_the_lesson_its_md_line_and_the_file(tmp_path):
    good = book.build(out=tmp_path / "out") / "index.html"
    before = good.read_bytes()
    notebooks = lessons_copy(tmp_path)
    edit_pair(notebooks, "01_mnist", "../book/images/network.png", "../book/images/netwrk.png")
    line = next(n for n, text in enumerate((notebooks / "01_mnist.md").open(), 1) if "netwrk.png" in text)
    with pytest.raises(book.BookError) as failed:
        book.build(out=tmp_path / "out", notebooks=notebooks)
    message = str(failed.value)
    assert f"notebooks/01_mnist.ipynb, cell 34 (notebooks/01_mnist.md, line {line})" in message
    assert "image file not readable: book/images/netwrk.png" in message
    assert "../book/images/NAME.png" in message  # and what to do about it
    # The site built before is still there, whole; no scratch folder is left.
    assert good.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["html"]


def test_a_link_to_a_lesson_that_does_not_exist_fails_the_build(tmp_path):
    notebooks = lessons_copy(tmp_path)
    edit_pair(notebooks, "01_mnist", "(03_convnets.ipynb)", "(03_convnet.ipynb)")
    with pytest.raises(book.BookError, match=r"01_mnist\.ipynb, cell \d+ .*target not found: '03_convnet\.ipynb'"):
        book.build(out=tmp_path / "out", notebooks=notebooks)


def test_a_lesson_missing_from_the_table_of_contents_fails_the_build(tmp_path):
    notebooks = lessons_copy(tmp_path)
    for suffix in (".ipynb", ".md"):
        shutil.copy(notebooks / f"03_convnets{suffix}", notebooks / f"04_extra{suffix}")
    with pytest.raises(book.BookError, match=r"(?s)04_extra\.ipynb: document isn't included in any toctree.*README"):
        book.build(out=tmp_path / "out", notebooks=notebooks)


def test_a_lesson_without_its_md_twin_is_refused(tmp_path):
    notebooks = lessons_copy(tmp_path)
    (notebooks / "02_inference.md").unlink()
    with pytest.raises(book.BookError, match=r"02_inference\.md is missing.*make sync"):
        book.build(out=tmp_path / "out", notebooks=notebooks)


def test_a_lesson_in_the_table_but_not_on_disk_fails_the_build_naming_the_readme(tmp_path):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    row = "| [03 · A network that sees shapes"
    readme.write_text(text.replace(row, "| [04 · More](notebooks/04_more.ipynb) | more |\n" + row, 1))
    with pytest.raises(book.BookError) as failed:
        book.build(out=tmp_path / "out", readme=readme)
    assert "README.md (the lesson table, the site's home page): toctree contains reference to nonexisting" in str(
        failed.value
    )
    assert "README's lesson table links a lesson that is not in notebooks/" in str(failed.value)


@pytest.mark.parametrize(
    "damage, expected",
    [
        ("empty", r"No lessons \(NN_topic\.ipynb\) in .*notebooks"),
        ("json", r"01_mnist\.ipynb is not a notebook .*make sync"),
        ("cells", r"01_mnist\.ipynb has no list of cells"),
    ],
)
def test_a_broken_notebooks_folder_is_refused_with_what_to_do(tmp_path, damage, expected):
    notebooks = lessons_copy(tmp_path)
    if damage == "empty":
        for lesson in notebooks.glob("*.ipynb"):
            lesson.unlink()
    else:
        (notebooks / "01_mnist.ipynb").write_text('{"cells": ' if damage == "json" else '{"metadata": {}}')
    with pytest.raises(book.BookError, match=expected):
        book.build(out=tmp_path / "out", notebooks=notebooks)
    assert not (tmp_path / "out" / "html").exists()


def test_missing_figures_or_readme_are_refused(tmp_path):
    with pytest.raises(book.BookError, match=r"images is missing: the figures"):
        book.build(out=tmp_path / "out", images=tmp_path / "images")
    with pytest.raises(book.BookError, match=r"README\.md is missing: the course's README"):
        book.build(out=tmp_path / "out", readme=tmp_path / "README.md")


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path):
    mine = tmp_path / "out" / "html" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own notes")
    with pytest.raises(book.BookError, match=r"html exists and is not a site Sphinx built: choose another --out"):
        book.build(out=tmp_path / "out")
    assert mine.read_text() == "my own notes"


def test_the_command_says_where_the_site_is_or_what_failed(tmp_path):
    # A relative --out, as people type it: messages still name the lesson files, not the scratch copy.
    command = [sys.executable, str(ROOT / "tools" / "book.py"), "--out", "out"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Open out/html/index.html in a browser" in done.stdout
    notebooks = lessons_copy(tmp_path)
    lesson = json.loads((notebooks / "02_inference.ipynb").read_text())
    lesson["cells"][0]["source"] = "# Lesson 02\n\n![a figure](../book/images/gone.png)\n"
    (notebooks / "02_inference.ipynb").write_text(json.dumps(lesson))
    done = subprocess.run([*command, "--notebooks", str(notebooks)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert "make book: The site was not built" in done.stderr
    assert "notebooks/02_inference.ipynb, cell 1" in done.stderr and "book/images/gone.png" in done.stderr
    assert "Traceback" not in done.stderr
