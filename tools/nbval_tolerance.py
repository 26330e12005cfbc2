"""nbval add-on: compare tagged cells number by number within a tolerance, or as sets (course tooling).

nbval compares stored outputs verbatim. Training results may differ in their last
digits between processors, so a cell tagged ``nbval-tolerance`` is compared like this:

* every number in its text outputs is masked, and nbval's own comparison must pass on
  what is left (so the words, the layout and the count of outputs are still exact, but
  for the spaces that pad a number to its column's width);
* each fresh number must lie within an absolute tolerance of the stored one: the cell's
  ``nbval_tolerance`` metadata, else the ini option ``nbval_tolerance``;
* the cell's ``nbval_max_changed`` metadata (default 0) lets that many numbers lie beyond
  the tolerance: for lists of predicted digits, where one flipped prediction is no drift;
* the cell's ``nbval_minimum`` metadata, e.g. ``{"val_accuracy": 0.97}``, is a floor
  for the value printed as ``val_accuracy: 0.9812`` in the fresh output, and
  ``nbval_maximum`` a ceiling: what a lesson's prose claims about a result holds;
* a cell with ``nbval_min_overlap`` metadata compares its output, a Python list shown as
  its result, as a set instead: both lists the same length, with at least that many items
  in common, in any order (the top confusions of a confusion matrix, say).

pytest loads it with ``-p tools.nbval_tolerance`` (pyproject.toml's addopts); it acts
only on nbval's cells that carry the tag.
"""

from __future__ import annotations

import ast
import copy
import math
import re
from collections.abc import Mapping, Sequence

import pytest

from tools.plumbing import TOLERANCE_TAG

TAG = TOLERANCE_TAG
DEFAULT_TOLERANCE = "0.005"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
MASK = "<number>"
PADDED_NUMBER = re.compile(rf" *{NUMBER.pattern} *")
#: The metadata that state a tagged cell's floors and ceilings.
LIMITS = ("nbval_minimum", "nbval_maximum")


def numbers_in(text: str) -> list[float]:
    """Every number in a text, in order."""
    return [float(match) for match in NUMBER.findall(text)]


def mask_numbers(outputs: Sequence[Mapping]) -> tuple[list, list[float]]:
    """Copy notebook outputs with numbers in their text replaced by a mask; also return the numbers."""
    masked = copy.deepcopy(list(outputs))
    numbers: list[float] = []

    def take(text):
        if isinstance(text, list):  # nbformat allows multi-line strings stored as lists
            text = "".join(text)
        numbers.extend(numbers_in(text))
        # Spaces around a number are padding that depends on its width (NumPy right-aligns columns).
        return PADDED_NUMBER.sub(MASK, text)

    for output in masked:
        if "text" in output:
            output["text"] = take(output["text"])
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/"):
                output["data"][mime] = take(value)
    return masked, numbers


def compare_numbers(
    expected: Sequence[float], actual: Sequence[float], tolerance: float, max_changed: int = 0
) -> list[str]:
    """Problems found comparing two lists of numbers within an absolute tolerance, max_changed of them excused."""
    if len(expected) != len(actual):
        return [f"stored output has {len(expected)} numbers, fresh output has {len(actual)}"]
    changed = [
        f"number {i}: stored {want:g}, fresh {got:g}, differs by {abs(got - want):.3g} > tolerance {tolerance:g}"
        for i, (want, got) in enumerate(zip(expected, actual), 1)
        if not math.isclose(want, got, rel_tol=0.0, abs_tol=tolerance)
    ]
    if len(changed) <= max_changed:
        return []
    if max_changed:
        changed.append(f"{len(changed)} numbers changed beyond the tolerance; at most {max_changed} may")
    return changed


def compare_overlap(expected_text: str, actual_text: str, min_overlap: int) -> list[str]:
    """Problems found comparing two printed Python lists as sets: same length, min_overlap items shared."""
    try:
        expected, actual = ast.literal_eval(expected_text), ast.literal_eval(actual_text)
    except (SyntaxError, ValueError):
        return [f"nbval_min_overlap needs a Python list as the cell's result; got {actual_text!r}"]
    if not (isinstance(expected, list | tuple) and isinstance(actual, list | tuple)):
        return [f"nbval_min_overlap needs a Python list as the cell's result; got {actual_text!r}"]
    if len(expected) != len(actual):
        return [f"stored list has {len(expected)} items, fresh list has {len(actual)}"]
    shared = set(map(_hashable, expected)) & set(map(_hashable, actual))
    if len(shared) < min_overlap:
        return [f"the lists share {len(shared)} items, fewer than the required {min_overlap}"]
    return []


def _hashable(item):
    return tuple(map(_hashable, item)) if isinstance(item, list | tuple) else item


def check_minimums(text: str, minimums: Mapping[str, float], maximums: Mapping[str, float] | None = None) -> list[str]:
    """Problems found checking values printed as ``name: value`` against floors and ceilings."""
    problems = []
    limits = [(name, floor, "below the required minimum") for name, floor in minimums.items()]
    limits += [(name, ceiling, "above the allowed maximum") for name, ceiling in (maximums or {}).items()]
    for name, limit, what in limits:
        found = re.search(rf"(?<![\w-]){re.escape(name)}\s*[:=]\s*({NUMBER.pattern})", text)
        value = None if found is None else float(found.group(1))
        if value is None:
            problems.append(f"no value printed for {name!r} (expected '{name}: <number>')")
        elif (value < limit) if what.startswith("below") else (value > limit):
            problems.append(f"{name} is {value:g}, {what} {limit:g}")
    return problems


def limits(metadata: Mapping) -> tuple[dict[str, float], dict[str, float]]:
    """A tagged cell's floors and ceilings, from its nbval_minimum and nbval_maximum metadata."""
    return tuple({str(k): float(v) for k, v in dict(metadata.get(key, {})).items()} for key in LIMITS)


def text_of(outputs: Sequence[Mapping]) -> str:
    """The outputs' text: streams joined as nbval coalesces them (a print may arrive in chunks), then results."""
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append("".join(output["text"]))
        parts.extend(v for k, v in output.get("data", {}).items() if k == "text/plain")
    return "".join(parts)


def pytest_addoption(parser):
    parser.addini(
        "nbval_tolerance",
        help=f"absolute tolerance for numbers in notebook cells tagged {TAG} (default {DEFAULT_TOLERANCE})",
        default=DEFAULT_TOLERANCE,
    )


def _tolerant(item, tolerance: float, limits: tuple[Mapping, Mapping], max_changed: int, min_overlap: int | None):
    minimums, maximums = limits
    verbatim = type(item).compare_outputs  # nbval's own comparison, used on the masked outputs

    def compare_outputs(test, ref, skip_compare=None):
        test_masked, test_numbers = mask_numbers(test)
        ref_masked, ref_numbers = mask_numbers(ref)
        if min_overlap is not None:
            problems = compare_overlap(text_of(ref), text_of(test), min_overlap)
            rule = f"at least {min_overlap} items in common"
        else:
            if not verbatim(item, test_masked, ref_masked, skip_compare):
                return False
            problems = compare_numbers(ref_numbers, test_numbers, tolerance, max_changed)
            rule = f"tolerance {tolerance:g}" + (f", up to {max_changed} numbers beyond it" if max_changed else "")
        problems += check_minimums(text_of(test), minimums, maximums)
        if problems:
            item.comparison_traceback = [
                f"Cell tagged {TAG} ({rule}, minimums {dict(minimums) or 'none'}, "
                f"maximums {dict(maximums) or 'none'}):",
                *(f"  {p}" for p in problems),
                "Stored output:",
                text_of(ref),
                "Fresh output:",
                text_of(test),
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
            minimums, maximums = limits(metadata)
            max_changed = int(metadata.get("nbval_max_changed", 0))
            min_overlap = None if "nbval_min_overlap" not in metadata else int(metadata["nbval_min_overlap"])
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(
                f"{item.nodeid}: bad nbval_tolerance / nbval_minimum / nbval_maximum / nbval_max_changed / "
                f"nbval_min_overlap metadata ({exc}); use e.g. nbval_tolerance=0.005 "
                'nbval_minimum={"val_accuracy": 0.97} nbval_max_changed=1 nbval_min_overlap=2'
            ) from None
        item.compare_outputs = _tolerant(item, tolerance, (minimums, maximums), max_changed, min_overlap)
