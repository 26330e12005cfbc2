"""What learners read in the committed notebooks: no errors, warnings, log lines, addresses or NumPy scalar reprs."""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.lessons import lessons

NOTEBOOKS = [each.notebook for each in lessons()]
NOISE = [
    (re.compile(r"\b0x[0-9a-f]{6,}\b"), "a memory address"),
    (re.compile(r"Warning\b|WARNING"), "a warning"),
    (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::|cuda|oneDNN", re.MULTILINE), "a TensorFlow log line"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    # NumPy 2 shows scalars as np.uint8(0) or np.float32(1.0), which beginners cannot read: print them instead.
    (re.compile(r"\bnp\.(?:u?int|float|bool|str)\w*\("), "a NumPy scalar repr"),
]


def texts(output) -> list[str]:
    found = [output.get("text", "")] if output.output_type == "stream" else []
    return found + [v for k, v in output.get("data", {}).items() if k.startswith("text/") and isinstance(v, str)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_are_clean(path):
    problems = []
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells, 1):
        for output in cell.get("outputs", []):
            if output.output_type == "error" or output.get("name") == "stderr":
                problems.append(f"cell {number}: {output.output_type} {output.get('name', '')} output")
            for text in texts(output):
                problems += [f"cell {number}: {what}: {m.group(0)!r}" for rx, what in NOISE if (m := rx.search(text))]
    assert not problems, f"{path.name}: " + "; ".join(problems) + " (fix the cause, then `make execute`)"


def test_there_are_lessons_to_check():
    assert [p.stem for p in NOTEBOOKS][:3] == ["01_mnist", "02_inference", "03_convnets"]
