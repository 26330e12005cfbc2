"""Tests of benchmarks/lessons.py: each lesson against its budget in seconds and as a ratio to the first lesson."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks import lessons as bench


def lesson(stem: str, budget_s: float, budget_ratio: float | None = None) -> SimpleNamespace:
    """What summarise reads of a lesson: its stem and its declared budgets."""
    return SimpleNamespace(stem=stem, declared=SimpleNamespace(budget_s=budget_s, budget_ratio=budget_ratio))


def round_of(first: float, second: float) -> dict:
    """One round as the runner saves it: each lesson's wall time, backend and peak, and the process's time."""
    row = {"backend": "jax", "peak_mb": 500.0, "slowest_cell_s": 1.0}
    return {"lessons": {"01_a": row | {"wall_s": first}, "02_b": row | {"wall_s": second}, "process_s": 1.0}}


def test_the_ratio_is_taken_round_by_round_so_a_slower_round_cancels():
    # The second round ran on a machine twice as slow: seconds move, the ratio does not.
    every = [lesson("01_a", 60), lesson("02_b", 100, budget_ratio=3)]
    result = bench.summarise([round_of(20.0, 50.0), round_of(40.0, 100.0)], every)
    assert result["02_b"]["over_first"]["runs"] == [2.5, 2.5]
    assert result["02_b"]["ratio_met"] is True and result["02_b"]["met"] is True
    assert result["01_a"]["budget_ratio"] is None and result["01_a"]["ratio_met"] is None


def test_a_lesson_over_its_ratio_is_missed_even_within_its_seconds():
    every = [lesson("01_a", 60), lesson("02_b", 120, budget_ratio=3)]
    result = bench.summarise([round_of(20.0, 70.0)], every)
    assert result["02_b"]["met"] is True and result["02_b"]["ratio_met"] is False
    table = bench.table({"lessons": result})
    assert "| 02_b | jax | 70 (70–70) | ≤ 120 s | met | 3.50 | ≤ 3× | **missed** | 500 |" in table
