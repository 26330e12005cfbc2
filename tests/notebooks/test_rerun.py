"""Every lesson survives a re-run: executed with each code cell run twice in a row (a cell that calls fit once).

It finishes without an error and with every floor and ceiling of its tagged cells held (tools/rerun.py).
Executing every lesson again costs as much as the lessons' own check, so only `make test-all` runs it
(MNIST_LESSON_CHECKS=all); `python -m tools.rerun NN_topic` checks one lesson while it is being edited.
"""

from __future__ import annotations

import pytest

from mnist_lesson import data
from tools import rerun
from tools.lessons import every_check, lessons

from ..conftest import REAL_CACHE, require_real_cache

pytestmark = pytest.mark.skipif(not every_check(), reason="make test-all only (MNIST_LESSON_CHECKS=all): slow")


def test_every_lesson_survives_running_each_cell_twice(tmp_path, monkeypatch):
    # One test, so that the lessons run in order on one worker: 02 and 03 load the model 01 saves in scratch.
    require_real_cache()
    monkeypatch.setenv(data.CACHE_ENV, str(REAL_CACHE))  # the lessons read MNIST; nothing writes the cache
    results = rerun.check(lessons(), tmp_path)
    failed = {stem: problems for stem, problems in results.items() if problems}
    assert failed == {}, "\n".join(f"{stem}: {problem}" for stem, ps in failed.items() for problem in ps)
