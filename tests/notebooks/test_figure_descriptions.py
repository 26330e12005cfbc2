"""Every figure a lesson's stored outputs hold carries a description for a reader who cannot see it."""

from __future__ import annotations

import json

import pytest

from mnist_lesson.plots import check_description
from tools.figure_alt import IMAGE_TYPES
from tools.lessons import lessons

LESSONS = [each.notebook for each in lessons()]


def figures(notebook):
    """(cell number, the image output's metadata, its text/plain) of every image output of the notebook."""
    for number, cell in enumerate(json.loads(notebook.read_text(encoding="utf-8"))["cells"], 1):
        for output in cell.get("outputs", []):
            for kind in IMAGE_TYPES:
                if kind in output.get("data", {}):
                    plain = "".join(output["data"].get("text/plain", ""))
                    yield number, output.get("metadata", {}).get(kind, {}), plain


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_figure_output_has_a_real_description(notebook):
    problems = []
    for cell, metadata, plain in figures(notebook):
        try:
            alt = check_description(metadata.get("alt"))
        except ValueError as error:
            problems.append(f"cell {cell}: {error}")
            continue
        if plain.strip() != alt:
            problems.append(f"cell {cell}: its text/plain {plain!r} is not its description {alt!r}")
    assert not problems, (
        f"{notebook.name}: figures without a description; draw them with mnist_lesson.plots.show(fig, "
        '"what it shows, and the result it shows"), then re-execute the lesson:\n' + "\n".join(problems)
    )
