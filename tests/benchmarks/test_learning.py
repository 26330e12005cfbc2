"""Tests of benchmarks/learning.py: it measures lesson 04 itself, and tables each backend against the lesson's own."""

from __future__ import annotations

from benchmarks import learning


def test_it_measures_lesson_04_and_the_one_cell_that_trains_by_hand_and_with_keras():
    assert learning.LESSON.stem == "04_learning"
    training = [cell for cell in learning.LESSON.code if learning.TRAINING in cell]
    assert len(training) == 1 and "train_one_epoch(" in training[0]


def test_the_table_puts_the_lessons_own_backend_first_with_ratios_to_it():
    def row(wall, training, wall_ratio, training_ratio):
        return {
            "wall_s": {"median": wall, "min": wall - 1, "max": wall + 2},
            "training_s": {"median": training, "min": training, "max": training + 0.5},
            "wall_s_over_own": wall_ratio,
            "training_s_over_own": training_ratio,
        }

    result = {
        "lesson": "04_learning",
        "own_backend": "jax",
        "backends": {"jax": row(19.0, 2.5, 1.0, 1.0), "tensorflow": row(17.5, 3.4, 0.92, 1.36)},
    }
    lines = learning.table(result).splitlines()
    assert lines[0].startswith("| backend | whole lesson, s") and "× jax" in lines[0]
    assert lines[2] == "| jax (04_learning's own) | 19.0 (18.0–21.0) | 1.00× | 2.50 (2.50–3.00) | 1.00× |"
    assert lines[3] == "| tensorflow | 17.5 (16.5–19.5) | 0.92× | 3.40 (3.40–3.90) | 1.36× |"
