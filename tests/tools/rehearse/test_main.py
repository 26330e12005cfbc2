"""Tests of tools/rehearse/__main__.py: the command line's default lessons and its errors."""

from __future__ import annotations

from tools import lessons as registry
from tools.rehearse.__main__ import REHEARSED, default_lessons, main


def test_by_default_each_learner_runs_the_rehearsed_lesson_after_those_it_loads_from():
    stems = default_lessons()
    assert stems[-1] == REHEARSED and set(registry.lesson(REHEARSED).loads) <= set(stems[:-1])
    order = [each.stem for each in registry.lessons()]
    assert stems == sorted(stems, key=order.index)  # in the course's order: a lesson's model exists when loaded


def test_a_lesson_that_does_not_exist_stops_the_rehearsal_with_the_ones_that_do(capsys):
    assert main(["--network", "--learners", "2", "--lessons", "99_nothing"]) == 1
    error = capsys.readouterr().err
    assert "The rehearsal stopped: no lesson '99_nothing'" in error and registry.lessons()[0].stem in error
