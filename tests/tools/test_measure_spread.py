"""Tests of tools/measure_spread.py's bookkeeping: nothing is executed (`make spread` runs the lessons)."""

from __future__ import annotations

import nbformat
import pytest

from mnist_lesson.repro import SEED_ENV
from tools import measure_spread as spread
from tools.nbval_tolerance import TAG


def executed(path, printed: str, **metadata) -> None:
    """A one-cell lesson copy whose tagged cell printed `printed`."""
    cell = nbformat.v4.new_code_cell("# The last epoch\nprint(score)", metadata={"tags": [TAG], **metadata})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)


def row(lesson: str, cell: int, max_diff: float, fits: bool = True, broken=()) -> dict:
    return {
        "lesson": lesson,
        "cell": cell,
        "source": "The last epoch",
        "kind": "tolerance",
        "rule": "±0.005",
        "max_diff": max_diff,
        "beyond": 0 if fits else 1,
        "fits_rule": fits,
        "limits_broken": list(broken),
        "accepted": fits and not broken,
    }


def test_a_seed_run_sets_only_the_seed_so_each_lesson_keeps_its_own_backend():
    run = spread.seed_run(2)
    assert run.name == "seed 2" and dict(run.env) == {SEED_ENV: "2"} and run.prefix == ()


def test_a_fresh_output_beyond_the_tolerance_or_below_its_floor_is_measured_and_refused(tmp_path):
    floor = {"nbval_minimum": {"val_accuracy": 0.97}}
    executed(tmp_path / "04_tiny.ipynb", "val_accuracy: 0.9800\n", **floor)
    executed(tmp_path / "fresh.ipynb", "val_accuracy: 0.9720\n")
    (found,) = spread.compare(tmp_path / "04_tiny.ipynb", tmp_path / "fresh.ipynb")
    assert found["max_diff"] == pytest.approx(0.008) and found["beyond"] == 0
    assert found["fits_rule"] is False and found["limits_broken"] == [] and found["accepted"] is False
    executed(tmp_path / "fresh.ipynb", "val_accuracy: 0.9690\n")
    executed(tmp_path / "04_tiny.ipynb", "val_accuracy: 0.9700\n", nbval_tolerance=0.01, **floor)
    (found,) = spread.compare(tmp_path / "04_tiny.ipynb", tmp_path / "fresh.ipynb")
    assert found["fits_rule"] is True and found["max_diff"] == pytest.approx(0.001)
    assert found["limits_broken"] == ["val_accuracy is 0.969, below the required minimum 0.97"]


def test_the_verdict_flags_a_tolerance_some_run_exceeds_and_names_the_runs():
    results = {
        "KERAS_BACKEND=jax": {"cells": [row("04_x", 3, 0.0), row("04_x", 5, 0.001)]},
        "seed 1": {"cells": [row("04_x", 3, 0.004), row("04_x", 5, 0.002, broken=["acc is 0.9, below 0.91"])]},
        "seed 2": {"cells": [row("04_x", 3, 0.003, fits=False), row("04_x", 5, 0.0)]},
    }
    first, second = spread.verdicts(results, {("04_x", 3): (0.006, 1)})
    assert first["too_narrow"] and first["too_narrow_under"] == ["seed 2"] and first["runs"] == 3
    assert first["largest_vs_stored"] == 0.004 and first["largest_between_runs"] == 0.006
    assert not second["too_narrow"] and second["limits_broken"] == ["seed 1: acc is 0.9, below 0.91"]
    table = spread.verdicts_table([first, second])
    assert "**too narrow** under seed 2" in table and "**limit broken**: seed 1" in table


def test_measuring_one_lesson_replaces_its_rows_and_keeps_every_other_lessons():
    old = {
        "date": "2026-11-25",
        "measured": "Lessons as they were",
        "configurations": {"jax, 2 cores": {"cells": [row("01_a", 1, 0.002), row("04_x", 3, 0.009)]}},
    }
    here = {"processor": "AMD EPYC 7763", "avx512": False, "cores": 2}
    entry = {"04_x": {"date": "2026-12-02", "machine": here, "runs": {"KERAS_BACKEND=jax": 30, "seed 1": 31}}}
    results = {"KERAS_BACKEND=jax": {"cells": [row("04_x", 3, 0.0)]}, "seed 1": {"cells": [row("04_x", 3, 0.001)]}}
    record = spread.merged(old, results, spread.verdicts(results, {}), entry)
    assert record["configurations"]["jax, 2 cores"]["cells"] == [row("01_a", 1, 0.002)]  # 04's old row replaced
    assert record["configurations"]["seed 1"]["cells"] == [row("04_x", 3, 0.001)]
    assert [(r["lesson"], r["cell"]) for r in record["tolerances"]] == [("04_x", 3)]
    assert record["lessons"] == entry and record["date"] == "2026-12-02" and record["machine"] == here
    assert record["measured"] == (
        "04_x on 2026-12-02 (AMD EPYC 7763, no AVX-512): KERAS_BACKEND=jax, seed 1; "
        "the other lessons as measured earlier: Lessons as they were."
    )
    # Measured again once every lesson is, nothing earlier is left to mention.
    entry_01 = {"01_a": {**entry["04_x"], "runs": {"seed 1": 40}}}
    again = spread.merged(record, {"seed 1": {"cells": [row("01_a", 1, 0.0)]}}, [], entry_01)
    assert "earlier" not in again and "jax, 2 cores" not in again["configurations"]
    assert again["measured"] == "01_a on 2026-12-02 (AMD EPYC 7763, no AVX-512): seed 1; 04_x on 2026-12-02 " + (
        "(AMD EPYC 7763, no AVX-512): KERAS_BACKEND=jax, seed 1."
    )
    assert [r["lesson"] for r in again["configurations"]["seed 1"]["cells"]] == ["01_a", "04_x"]
