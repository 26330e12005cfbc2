"""nbval add-on: compare tagged cells number by number within a tolerance (introduced in lesson 01).

nbval compares stored outputs verbatim. Training results may differ in their last
digits between processors, so a cell tagged ``nbval-tolerance`` is compared like this:

* every number in its text outputs is masked, and nbval's own comparison must pass on
  what is left (so the words, the layout and the count of outputs are still exact);
* each fresh number must lie within an absolute tolerance of the stored one: the cell's
  ``nbval_tolerance`` metadata, else the ini option ``nbval_tolerance``;
* the cell's ``nbval_minimum`` metadata, e.g. ``{"val_accuracy": 0.97}``, is a floor
  for the value printed as ``val_accuracy: 0.9812`` in the fresh output.

The plugin is registered through the ``pytest11`` entry point and acts only on nbval's
cells that carry the tag.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence

import pytest

TAG = "nbval-tolerance"
DEFAULT_TOLERANCE = "0.005"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
MASK = "<number>"


def numbers_in(text: str) -> list[float]:
    """Every number in a text, in order (lesson 01)."""
    return [float(match) for match in NUMBER.findall(text)]


def mask_numbers(outputs: Sequence[Mapping]) -> tuple[list, list[float]]:
    """Copy notebook outputs with numbers in their text replaced by a mask; also return the numbers (lesson 01)."""
    masked = copy.deepcopy(list(outputs))
    numbers: list[float] = []

    def take(text):
        if isinstance(text, list):  # nbformat allows multi-line strings stored as lists
            text = "".join(text)
        numbers.extend(numbers_in(text))
        return NUMBER.sub(MASK, text)

    for output in masked:
        if "text" in output:
            output["text"] = take(output["text"])
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/"):
                output["data"][mime] = take(value)
    return masked, numbers


def compare_numbers(expected: Sequence[float], actual: Sequence[float], tolerance: float) -> list[str]:
    """Problems found comparing two lists of numbers within an absolute tolerance (lesson 01)."""
    if len(expected) != len(actual):
        return [f"stored output has {len(expected)} numbers, fresh output has {len(actual)}"]
    return [
        f"number {i}: stored {want:g}, fresh {got:g}, differs by {abs(got - want):.3g} > tolerance {tolerance:g}"
        for i, (want, got) in enumerate(zip(expected, actual), 1)
        if not math.isclose(want, got, rel_tol=0.0, abs_tol=tolerance)
    ]


def check_minimums(text: str, minimums: Mapping[str, float]) -> list[str]:
    """Problems found checking values printed as ``name: value`` against floors (lesson 01)."""
    problems = []
    for name, floor in minimums.items():
        found = re.search(rf"(?<![\w-]){re.escape(name)}\s*[:=]\s*({NUMBER.pattern})", text)
        if found is None:
            problems.append(f"no value printed for {name!r} (expected '{name}: <number>')")
        elif float(found.group(1)) < floor:
            problems.append(f"{name} is {float(found.group(1)):g}, below the required minimum {floor:g}")
    return problems


def _text_of(outputs: Sequence[Mapping]) -> str:
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append("".join(output["text"]))
        parts.extend(v for k, v in output.get("data", {}).items() if k == "text/plain")
    return "\n".join(parts)


def pytest_addoption(parser):
    parser.addini(
        "nbval_tolerance",
        help=f"absolute tolerance for numbers in notebook cells tagged {TAG} (default {DEFAULT_TOLERANCE})",
        default=DEFAULT_TOLERANCE,
    )


def _tolerant(item, tolerance: float, minimums: Mapping[str, float]):
    verbatim = type(item).compare_outputs  # nbval's own comparison, used on the masked outputs

    def compare_outputs(test, ref, skip_compare=None):
        test_masked, test_numbers = mask_numbers(test)
        ref_masked, ref_numbers = mask_numbers(ref)
        if not verbatim(item, test_masked, ref_masked, skip_compare):
            return False
        problems = compare_numbers(ref_numbers, test_numbers, tolerance) + check_minimums(_text_of(test), minimums)
        if problems:
            item.comparison_traceback = [
                f"Cell tagged {TAG} (tolerance {tolerance:g}, minimums {dict(minimums) or 'none'}):",
                *(f"  {p}" for p in problems),
                "Stored output:",
                _text_of(ref),
                "Fresh output:",
                _text_of(test),
            ]
            return False
        return True

    return compare_outputs


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or not hasattr(item, "compare_outputs"):
            continue  # not an nbval cell
        if TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        metadata = cell["metadata"]
        try:
            tolerance = float(metadata.get("nbval_tolerance", config.getini("nbval_tolerance")))
            minimums = {str(k): float(v) for k, v in dict(metadata.get("nbval_minimum", {})).items()}
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(
                f"{item.nodeid}: bad nbval_tolerance / nbval_minimum metadata ({exc}); "
                'use e.g. nbval_tolerance=0.005 nbval_minimum={"val_accuracy": 0.97}'
            ) from None
        item.compare_outputs = _tolerant(item, tolerance, minimums)
