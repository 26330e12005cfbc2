"""Tests of tools/pairing.py on edited copies of a small paired notebook."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from mnist_lesson import paths
from tools import pairing

MD = """\
---
jupyter:
  jupytext:
    formats: ipynb,md
  kernelspec:
    display_name: Python 3 (ipykernel)
    language: python
    name: python3
---

# A lesson

```python
x = 21 * 2
```

```python
x
```
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    """notebooks/ holding one good pair: 99_demo.md and an executed 99_demo.ipynb."""
    (tmp_path / "99_demo.md").write_text(MD)
    nb = jupytext.reads(MD, "md")
    for count, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), 1):
        cell.execution_count = count
    nb.cells[-1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "42"}, execution_count=2)]
    nbformat.write(nb, tmp_path / "99_demo.ipynb")
    return tmp_path


def test_a_synced_executed_pair_passes(folder):
    assert pairing.check_folder(folder) == []
    assert pairing.main([str(folder)]) == 0


def test_an_edited_code_cell_in_the_md_fails_and_says_make_sync(folder, capsys):
    md = folder / "99_demo.md"
    md.write_text(md.read_text().replace("x = 21 * 2", "x = 6 * 7"))
    [problem] = pairing.check_folder(folder)
    assert "99_demo.ipynb differs from" in problem and "Cells 2 differ" in problem and "make sync" in problem
    assert pairing.main([str(folder)]) == 1
    assert "make sync" in capsys.readouterr().err


def test_a_changed_cell_type_fails(folder):
    md = folder / "99_demo.md"
    md.write_text(md.read_text().replace("```python\nx\n```", "x"))
    problems = pairing.check_folder(folder)
    assert any("Cells 3 differ" in p and "make sync" in p for p in problems)


def test_an_added_cell_fails(folder):
    md = folder / "99_demo.md"
    md.write_text(md.read_text() + "\n```python\nprint(x)\n```\n")
    assert any("Cells 4 differ" in p and "make sync" in p for p in pairing.check_folder(folder))


def test_a_changed_tag_fails_since_nbval_reads_tags(folder):
    md = folder / "99_demo.md"
    md.write_text(md.read_text().replace("```python\nx\n```", '```python tags=["nbval-ignore-output"]\nx\n```'))
    [problem] = pairing.check_folder(folder)
    assert "metadata 'tags' differ" in problem and "make sync" in problem


def test_a_notebook_without_partner_fails_both_ways(folder):
    (folder / "98_lonely.md").write_text(MD)
    (folder / "97_orphan.ipynb").write_text((folder / "99_demo.ipynb").read_text())
    problems = pairing.check_folder(folder)
    assert any("98_lonely.md: has no paired 98_lonely.ipynb" in p and "make execute" in p for p in problems)
    assert any("97_orphan.ipynb: has no paired 97_orphan.md" in p for p in problems)


def test_unexecuted_code_cells_fail(folder):
    nb = nbformat.read(folder / "99_demo.ipynb", as_version=4)
    nb.cells[1].execution_count = None
    nbformat.write(nb, folder / "99_demo.ipynb")
    [problem] = pairing.check_folder(folder)
    assert "code cell(s) 2 were never executed" in problem and "make execute" in problem


def test_readme_in_the_folder_is_not_a_notebook(folder):
    (folder / "README.md").write_text("# Notebooks\n")
    assert pairing.check_folder(folder) == []


def test_the_course_notebooks_are_paired_and_executed():
    assert pairing.check_folder(paths.NOTEBOOKS) == []
