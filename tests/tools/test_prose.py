"""Tests of tools/prose.py: lesson prose quotes only results that its own stored outputs show."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from tools import prose
from tools.lessons import lessons

LESSONS = lessons()


def lesson_notebook(markdown: str, printed: str):
    """A two-cell lesson: a code cell that printed `printed`, and a markdown cell saying `markdown`."""
    output = nbformat.v4.new_output("stream", name="stdout", text=printed)
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("print(accuracy)", execution_count=1, outputs=[output]),
            nbformat.v4.new_markdown_cell(markdown),
        ]
    )


def problems_in(tmp_path, markdown: str, printed: str = "val_accuracy: 0.9796\n", code: str = "") -> list[str]:
    path = tmp_path / "01_tiny.ipynb"
    notebook = lesson_notebook(markdown, printed)
    notebook.cells[0].source = code or notebook.cells[0].source
    nbformat.write(notebook, path)
    path.with_suffix(".md").write_text(f"```python\n{notebook.cells[0].source}\n```\n\n{markdown}\n")
    return prose.check_lesson(path, path.with_suffix(".md"))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_every_lessons_prose_quotes_only_what_its_outputs_show(lesson):
    assert prose.check_lesson(lesson.notebook, lesson.md) == []


def test_a_planted_disagreement_in_a_copy_of_a_lesson_is_caught_with_its_line(tmp_path):
    lesson = LESSONS[0]
    for path in (lesson.notebook, lesson.md):
        shutil.copy(path, tmp_path / path.name)
    before = prose.check_lesson(tmp_path / lesson.notebook.name, tmp_path / lesson.md.name)
    notebook = nbformat.read(tmp_path / lesson.notebook.name, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "markdown" and "## Training the model" in c.source)
    cell.source += "\n\nThe network reached 93.1% on the validation images."
    nbformat.write(notebook, tmp_path / lesson.notebook.name)
    md = tmp_path / lesson.md.name
    md.write_text(md.read_text().replace(cell.source.split("\n\n")[0], cell.source, 1))
    line = next(n for n, text in enumerate(md.read_text().splitlines(), 1) if "93.1%" in text)
    after = prose.check_lesson(tmp_path / lesson.notebook.name, md)
    # Only the planted sentence is new (problems the lesson already had move down by its lines).
    assert len(after) == len(before) + 1 and [problem for problem in after if "'93.1%'" in problem] == [
        f"{md}, line {line}: the prose quotes '93.1%', which no stored output of the lesson shows. "
        'Quote the output the lesson prints, or report a past run in a <details class="past-run"> block '
        "that says when and on what it was measured."
    ]


@pytest.mark.parametrize(
    "markdown",
    [
        "It reached 0.9796 on the validation images.",
        "It reached 0.98, close to the last epoch's.",  # rounded to the decimals quoted
        "It reached 98.0% of the validation images.",  # a share shown as a percentage
        "It reached 97.96 % of them.",
    ],
)
def test_a_result_the_outputs_show_passes_however_it_is_rounded(tmp_path, markdown):
    assert problems_in(tmp_path, markdown) == []


@pytest.mark.parametrize(
    "markdown, quoted",
    [
        ("It reached 0.9812 on the validation images.", "0.9812"),
        ("It reached 97.6% on them.", "97.6%"),
        ("One hidden layer does a little better (98.4 % against 98.0 %).", "98.4 %"),
        ("**Self-check.** Given 0.9832, how many?\n\nIn our run it was 0.9123.", "0.9123"),
        ("A dropout of 0.25 % is too small.", "0.25 %"),
        ("It reached 0.97, like the setting 0.975 in the code.", "0.97"),
    ],
)
def test_a_result_the_outputs_do_not_show_is_named(tmp_path, markdown, quoted):
    found = problems_in(tmp_path, markdown, code="model.compile(learning_rate=0.975)")
    assert len(found) == 1 and f"quotes {quoted!r}" in found[0] and "01_tiny.md, line" in found[0]


@pytest.mark.parametrize(
    "markdown",
    [
        "**Self-check.** A network scores an accuracy of 0.9832 on 10,000 images. How many did it get wrong?",
        "<details>\n<summary>A classmate's network shows 0.94 after one epoch. Why?</summary>\n\nBecause.\n</details>",
        "The loss is −ln 0.5 ≈ 0.69 when it gives the right digit half.",
        '<details class="past-run">\n<summary>When the course tried it</summary>\n\nNovember 2026, JAX: 96.4%.\n'
        "</details>",
        "Dropout(0.25) and a learning rate of 0.002 are settings, written in the code.",
        "<details>\n<summary>A classmate sees 0.94 and 0.96. Why?</summary>\n\nThe 0.96 came at the end.\n</details>",
        "A loss of ≈ 95.5 % of the first, and 1,000% more.",
    ],
    ids=[
        "question",
        "folded question",
        "arithmetic",
        "past run",
        "setting in the code",
        "given repeated",
        "≈ and 1,000",
    ],
)
def test_what_is_not_a_result_of_this_run_is_left_alone(tmp_path, markdown):
    printed = "val_accuracy: 0.9796\n"
    path = tmp_path / "01_tiny.ipynb"
    notebook = lesson_notebook(markdown, printed)
    notebook.cells[0].source = "model.compile(learning_rate=0.002)\nlayers.Dropout(0.25)"
    nbformat.write(notebook, path)
    assert prose.check_lesson(path, path.with_suffix(".md")) == []


def test_a_floor_or_ceiling_ci_checks_backs_what_the_prose_says_of_it(tmp_path):
    path = tmp_path / "01_tiny.ipynb"
    notebook = lesson_notebook("CI checks that it reads at least 0.88 of them, and 97.5% of MNIST.", "0.9796\n")
    notebook.cells[0].metadata["nbval_minimum"] = {"val_accuracy": 0.975, "new": 0.88}
    nbformat.write(notebook, path)
    assert prose.check_lesson(path, path.with_suffix(".md")) == []
    del notebook.cells[0].metadata["nbval_minimum"]
    nbformat.write(notebook, path)
    assert len(prose.check_lesson(path, path.with_suffix(".md"))) == 2


def test_the_command_names_each_problem_and_fails(tmp_path, capsys):
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(lesson_notebook("It reached 0.9812.", "0.9796\n"), path)
    assert prose.main([str(path)]) == 1
    assert "1 quoted result(s) that the stored outputs do not show." in capsys.readouterr().err
    nbformat.write(lesson_notebook("It reached 0.9796.", "0.9796\n"), path)
    assert prose.main([str(path)]) == 0
