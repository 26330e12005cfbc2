"""Tests of tools/prose.py: lesson prose quotes only what its outputs show, speaks to learners, and is short."""

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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_every_lessons_prose_speaks_to_learners_only(lesson):
    assert prose.check_audience(lesson.notebook, lesson.md) == []


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_every_lessons_prose_fits_its_word_limits(lesson):
    assert prose.check_length(lesson.notebook) == []


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
        "that says how it was measured (which seeds, which backend)."
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
    said = capsys.readouterr().err
    assert "the prose quotes '0.9812'" in said and said.endswith("1 problem(s) in the lessons' prose.\n")
    nbformat.write(lesson_notebook("It reached 0.9796.", "0.9796\n"), path)
    assert prose.main([str(path)]) == 0


def write_pair(tmp_path, cells, stem="01_tiny"):
    """A lesson pair of these cells (markdown text, or ("code", source)); the .md as Jupytext would write it."""
    made = [
        nbformat.v4.new_code_cell(cell[1]) if isinstance(cell, tuple) else nbformat.v4.new_markdown_cell(cell)
        for cell in cells
    ]
    path = tmp_path / f"{stem}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=made), path)
    md = [f"```python\n{cell.source}\n```" if cell.cell_type == "code" else cell.source for cell in made]
    path.with_suffix(".md").write_text("\n\n".join(md) + "\n")
    return path, path.with_suffix(".md")


@pytest.mark.parametrize(
    "sentence, what, found",
    [
        ("The course's CI checks this cell.", "CI", "CI"),
        ("Under strict nbval, it passes.", "nbval", "nbval"),
        ("Its tolerance is 0.005.", "a tolerance", "tolerance"),
        ("Tolerances come from measurements.", "a tolerance", "Tolerances"),
        ("Run make test before you push.", "a make target other than make lab", "make test"),
        ("Then `make test-all` runs.", "a make target other than make lab", "`make test-all`"),
        ("Run `make spread` again.", "a make target other than make lab", "`make spread`"),
        ("Measured on 2026-11-28.", "a date", "2026-11-28"),
        ("When the course tried it (28 November 2026, JAX), it won.", "a date", "28 November 2026"),
        ("In November 2026 it won.", "a date", "November 2026"),
        ("On November 28, 2026 it won.", "a date", "November 28, 2026"),
        ("See `docs/design.md`, 'Why'.", "a docs/ path", "docs/design.md"),
        ("See [the notes](../docs/checks.md).", "a docs/ path", "docs/checks.md"),
        ("See [the notes](../docs/try.md.bak.md).", "a docs/ path", "docs/try.md.bak.md"),
        ("See [the notes](../docs/try-it.md).", "a docs/ path", "docs/try-it.md"),
    ],
)
def test_words_for_maintainers_are_named_with_their_line(tmp_path, sentence, what, found):
    ipynb, md = write_pair(tmp_path, ["# A lesson", ("code", "x = 1"), f"First line.\n\n{sentence}"])
    line = md.read_text().splitlines().index(sentence) + 1
    assert prose.check_audience(ipynb, md) == [
        f"{md}, line {line}: the prose names {what} ({found!r}), which only maintainers need. "
        "A lesson speaks to learners: put it in the cell's metadata, in docs/ or in the tests."
    ]


def test_words_for_maintainers_are_found_in_folded_blocks_too_and_a_learners_words_are_left_alone(tmp_path):
    learners = (
        "Start it with `make lab`. Make sure the images are 28 × 28: make the network wider if you like. "
        "CIFAR is harder; the CIA is elsewhere. A tolerant reader, 2,000 images, 10 November days, the docs folder."
    )
    ipynb, md = write_pair(tmp_path, [learners, "<details>\n<summary>More</summary>\n\nCI runs it.\n</details>"])
    (problem,) = prose.check_audience(ipynb, md)
    assert "names CI ('CI')" in problem


def test_words_are_counted_as_a_learner_reads_them_outside_folded_blocks_and_before_training(tmp_path):
    cells = [
        "# Digits\n\nA [link's text](https://example.org/long/target) counts, its target not: <b>six</b> words.",
        ("code", "# fit(x) in a comment is no training\nmodel.compile()"),
        "Four words, then <details>\n<summary>Five folded words here too</summary>\n\nStill folded.",
        "This cell is still inside the block.\n</details>\n\nThree more words.",
        ("code", "history = model.fit(x, y)"),
        "After training: four words.",
    ]
    # 10 words in the first cell (the heading's '#' is none), 3 before the block, 3 after it; then 4 after fit.
    ipynb, _ = write_pair(tmp_path, cells)
    assert prose.word_counts(nbformat.read(ipynb, as_version=4)) == (20, 16)


def filler(count: int) -> str:
    return " ".join(["word"] * count)


@pytest.mark.parametrize(
    "stem, before, after, folded, expected",
    [
        ("01_mnist", 2000, 1000, 5000, []),  # both limits met exactly; folded words do not count
        ("01_mnist", 2001, 0, 0, ["2,001 words of prose outside <details> before the first cell that calls fit"]),
        ("01_mnist", 1000, 2001, 0, ["3,001 words of prose outside <details> blocks, more than 3,000"]),
        ("02_other", 2500, 0, 0, []),  # only lesson 01 must train within 2,000 words
        ("02_other", 2500, 501, 0, ["3,001 words of prose outside <details> blocks"]),
    ],
)
def test_a_lesson_longer_than_its_limits_is_named_with_its_count(tmp_path, stem, before, after, folded, expected):
    cells = [filler(before), ("code", "model.fit(x, y)"), filler(after), f"<details>{filler(folded)}</details>"]
    ipynb, _ = write_pair(tmp_path, cells, stem=stem)
    found = prose.check_length(ipynb)
    assert len(found) == len(expected) and all(want in got for want, got in zip(expected, found)), found


def test_lesson_01_without_a_fit_is_named(tmp_path):
    ipynb, _ = write_pair(tmp_path, ["Short.", ("code", "model.evaluate(x, y)")], stem="01_mnist")
    assert prose.check_length(ipynb) == [f"{ipynb}: no code cell calls fit, so the lesson never trains its network."]


def test_a_lesson_may_link_the_websites_try_it_page_a_page_of_docs_for_learners(tmp_path):
    sentence = "On the course's website, [Try it](../docs/try.md) has the same pad."
    ipynb, md = write_pair(tmp_path, ["# A lesson", ("code", "x = 1"), f"First line.\n\n{sentence}"])
    assert prose.check_audience(ipynb, md) == []


def figure_lesson(tmp_path, description: str, markdown: str = "A figure.") -> list[str]:
    """A lesson that printed val_accuracy: 0.9796 and drew a figure described by `description`."""
    path = tmp_path / "01_tiny.ipynb"
    notebook = lesson_notebook(markdown, "val_accuracy: 0.9796\n")
    figure = nbformat.v4.new_output(
        "display_data",
        data={"image/png": "iVBORw0KGgo=", "text/plain": description},
        metadata={"image/png": {"alt": description}},
    )
    notebook.cells.append(nbformat.v4.new_code_cell("show(fig, description)", execution_count=2, outputs=[figure]))
    nbformat.write(notebook, path)
    path.with_suffix(".md").write_text(f"```python\nprint(accuracy)\n```\n\n{markdown}\n")
    return prose.check_lesson(path, path.with_suffix(".md"))


def test_a_figures_description_is_held_to_the_outputs_like_the_prose(tmp_path):
    assert figure_lesson(tmp_path, "Two curves; validation accuracy ends at 0.98.") == []
    [problem] = figure_lesson(tmp_path, "Two curves; validation accuracy ends at 0.99.")
    assert "cell 3: the figure's description quotes '0.99'" in problem


def test_a_figures_description_does_not_count_as_an_output_the_prose_may_quote(tmp_path):
    problems = figure_lesson(tmp_path, "Validation accuracy ends at 0.93 here.", markdown="It ends at 0.93.")
    assert any("line 5: the prose quotes '0.93'" in problem for problem in problems), problems


def test_a_negative_result_the_outputs_show_passes_with_its_sign(tmp_path):
    assert problems_in(tmp_path, "The step ends at w = -0.2707.", printed="w: -1.0 -> -0.2707\n") == []
    assert problems_in(tmp_path, "The step ends at w = -0.2708.", printed="w: -1.0 -> -0.2707\n") != []
