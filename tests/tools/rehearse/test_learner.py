"""Tests of tools/rehearse/learner.py: one learner's steps, and the class going on when one learner fails."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest

from tools.rehearse import RehearsalError
from tools.rehearse.hub import learner_model
from tools.rehearse.learner import LearnerResult, LessonRun, one_learner

STEMS = ["01_mnist", "02_inference"]


class FakeLearner:
    """A learner whose hub steps succeed at once, except the one named in `fails_at`."""

    def __init__(self, name, fails_at=None):
        self.name, self.fails_at, self.ran = name, fails_at, []

    def _step(self, step):
        if step == self.fails_at:
            raise RehearsalError(f"{self.name}: {step} went wrong")

    def log_in(self):
        return 403 if self.fails_at == "log_in" else 302

    def start_server(self):
        self._step("start_server")

    def pull(self, *args):
        self._step("pull")

    def run_lesson(self, stem, expected, timeout):
        self._step(stem)
        time.sleep(0.2)  # the others are still running when one fails
        self.ran.append(stem)
        return LessonRun(stem, stopped=stem == STEMS[0] and self.fails_at == "stopped")


def _run(learner, tmp_path, barrier=None, cancelled=None, stand_ins=None):
    args = ("file:///repo", "main", STEMS, {s: {} for s in STEMS}, 60, barrier, stand_ins)
    return one_learner(learner, *args, tmp_path / learner.name, cancelled or threading.Event())


@pytest.mark.parametrize("fails_at", ["log_in", "start_server", "pull", "01_mnist", "02_inference", "stopped"])
def test_one_learners_failure_is_reported_and_the_rest_of_the_class_goes_on(tmp_path, fails_at):
    learners = [FakeLearner("learner1"), FakeLearner("learner2", fails_at), FakeLearner("learner3")]
    barrier, cancelled = threading.Barrier(3), threading.Event()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda learner: _run(learner, tmp_path, barrier, cancelled), learners))
    for learner, result in zip(learners, results, strict=True):
        if learner.fails_at is None:
            assert result.failure is None and learner.ran == STEMS, learner.name
            assert [run.stem for run in result.lessons] == STEMS
            assert result.spawn is not None and result.pull is not None
    failed = results[1]
    if fails_at == "stopped":
        # A lesson whose cell failed stops that learner's later lessons, which need what it makes.
        assert failed.failure is None and [run.stem for run in failed.lessons] == [STEMS[0]]
    else:
        assert failed.failure.startswith("RehearsalError: ") and not failed.passed
        assert learners[1].ran == (STEMS[: STEMS.index(fails_at)] if fails_at in STEMS else [])


def test_an_interrupted_rehearsal_stops_a_learner_before_their_next_lesson(tmp_path):
    cancelled = threading.Event()
    cancelled.set()
    learner = FakeLearner("learner1")
    result = _run(learner, tmp_path, cancelled=cancelled)
    assert learner.ran == [] and "interrupted" in result.failure


def test_stand_ins_are_put_where_the_learners_lessons_load_them_after_the_pull(tmp_path):
    made = tmp_path / "made.keras"
    made.write_bytes(b"a network at its starting weights")
    learner = FakeLearner("learner1")
    result = _run(learner, tmp_path, stand_ins={"01_mnist": made})
    assert result.passed
    assert learner_model(tmp_path / "learner1", "01_mnist").read_bytes() == made.read_bytes()


def test_a_learner_passes_only_without_a_failure_or_a_mismatch():
    assert LearnerResult("a", lessons=[LessonRun("01_mnist")]).passed
    assert not LearnerResult("a", lessons=[LessonRun("01_mnist", mismatches=["cell 3 differs"])]).passed
    assert not LearnerResult("a", failure="RehearsalError: no server").passed
    saved = LearnerResult("a", lessons=[LessonRun("01_mnist", outputs=[[{"output_type": "stream"}]])]).as_json()
    assert "outputs" not in saved["lessons"][0]  # the record keeps measurements, not every output
