"""pytest plugin: every lesson a test run executes saves its trained models in scratch, never in artifacts/.

Lessons save their models at ``trained_model_path()``: the learner's ``artifacts/`` unless
$MNIST_LESSON_MODEL says otherwise. Before any kernel starts (nbval's, JupyterLab's, a lesson
a test runs), this points that variable into a scratch folder of the run's own, or into
``--lesson-models DIR`` where a caller keeps models across runs (the second configuration:
lesson 02 loads what lesson 01's run saved). At the end it checks that the learner's saved
models are byte for byte what they were, and fails the run if not.

Because later lessons load what lesson 01's run saved in that folder, every lesson cell is put in
one xdist work unit: under ``-n 2 --dist loadgroup`` (make test) the lessons run on one worker, in order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from mnist_lesson.models import MODEL_ENV
from mnist_lesson.paths import ARTIFACTS
from tools.lessons import scratch_model

_before = pytest.StashKey[dict]()


def learners_models(folder: Path = ARTIFACTS) -> dict[str, str]:
    """The learner's saved models: file name → SHA-256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.keras"))}


def pytest_addoption(parser):
    parser.addoption(
        "--lesson-models",
        metavar="DIR",
        help="folder where executed lessons save their trained models (default: a scratch folder of the run's own)",
    )


def pytest_configure(config):
    folder = config.getoption("lesson_models")
    if folder is None:
        scratch = Path(tempfile.mkdtemp(prefix="mnist-lesson-models-"))
        config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
        folder = scratch
    Path(folder).mkdir(parents=True, exist_ok=True)
    before = os.environ.get(MODEL_ENV)
    os.environ[MODEL_ENV] = scratch_model(Path(folder).resolve())
    # A run inside another (pytester's) gives the outer run its own setting back.
    config.add_cleanup(lambda: os.environ.pop(MODEL_ENV) if before is None else os.environ.update({MODEL_ENV: before}))
    config.stash[_before] = learners_models()


#: The one work unit every lesson cell belongs to under xdist: one worker, in collection order.
LESSONS_UNIT = "lessons"


def lesson_or_test(nodeid: str) -> str:
    """The xdist work unit of a test: every lesson cell shares one; any other test is a unit of its own."""
    return LESSONS_UNIT if nodeid.split("::", 1)[0].endswith(".ipynb") else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's own grouping (the xdist_group mark) renames test ids, which pytest 9 no longer lets it do;
    # grouping by id here does the same: a worker's scratch folder is its own, and 02 loads 01's model.
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LessonsTogether(LoadScopeScheduling):
        """Every lesson on one worker, in order; every other test wherever a worker is free."""

        def _split_scope(self, nodeid: str) -> str:
            return lesson_or_test(nodeid)

    return LessonsTogether(config, log)


def pytest_sessionfinish(session, exitstatus):
    before, after = session.config.stash.get(_before, None), learners_models()
    if before is not None and after != before:
        changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        session.config.get_terminal_writer().line(
            f"A test changed the learner's saved models in {ARTIFACTS}: {', '.join(changed)}. "
            f"Every execution must save in scratch ({MODEL_ENV}); see tools/scratch_models.py.",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
