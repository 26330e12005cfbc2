"""Tests of tools/rehearse/course.py: the course the learners pull, the shared MNIST, a lesson's stand-in."""

from __future__ import annotations

import stat
import subprocess

import pytest

from mnist_lesson import data
from tools.lessons import Lesson
from tools.rehearse import COURSE_DIR, RehearsalError
from tools.rehearse.course import shared_mnist, snapshot, stand_in_model
from tools.rehearse.processes import Processes


def _git(folder, *args):
    who = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    return subprocess.run(["git", *who, "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def checkout(tmp_path):
    """A course checkout with one committed lesson file."""
    folder = tmp_path / "checkout"
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "01_a.md").write_text("committed\n")
    _git(folder, "init", "--quiet", "--initial-branch", "course")
    _git(folder, "add", ".")
    _git(folder, "commit", "--quiet", "-m", "a lesson")
    return folder


def test_the_learners_pull_the_checkout_with_its_uncommitted_changes(tmp_path, checkout):
    (checkout / "notebooks" / "01_a.md").write_text("changed, not yet committed\n")
    repo, branch, commit = snapshot(tmp_path / "scratch", checkout)
    assert repo.name == COURSE_DIR  # nbgitpuller clones it into a folder of that name, as from a host
    assert branch == "course"
    assert _git(repo, "show", f"{branch}:notebooks/01_a.md") == "changed, not yet committed\n"
    assert _git(repo, "rev-parse", branch).strip() == commit
    assert _git(checkout, "status", "--porcelain").strip() == "M notebooks/01_a.md"  # the checkout is left as it was


def test_a_clean_checkout_is_pulled_at_its_head(tmp_path, checkout):
    _, _, commit = snapshot(tmp_path / "scratch", checkout)
    assert commit == _git(checkout, "rev-parse", "HEAD").strip()


def test_a_folder_that_is_no_repository_is_a_clear_error(tmp_path):
    with pytest.raises(RehearsalError, match="could not make the course's repository from .* with git"):
        snapshot(tmp_path / "scratch", tmp_path)


def test_the_shared_mnist_is_a_read_only_copy_with_its_digest(tmp_path):
    source = tmp_path / "mnist.npz"
    source.write_bytes(b"digits")
    (tmp_path / "scratch").mkdir()
    cache, sha = shared_mnist(tmp_path / "scratch", source)
    assert cache.read_bytes() == b"digits" and sha == data.sha256_file(source)
    assert not cache.stat().st_mode & stat.S_IWUSR and not cache.parent.stat().st_mode & stat.S_IWUSR
    cache.parent.chmod(0o755)  # so that tmp_path can be removed
    with pytest.raises(RehearsalError, match="run `make data` first"):
        shared_mnist(tmp_path, tmp_path / "missing.npz")


#: A fixture lesson: a network made in its first cell and trained in its second, saved with the backend it saw.
LESSON = """# A fixture lesson

```python
import os
class Network:
    def save(self, path):
        open(path, "w").write(os.environ.get("KERAS_BACKEND", "its own"))
model = Network()
```

```python
model.fit(x_train)
```
"""


def test_a_stand_in_is_the_lessons_cells_before_its_fit_and_picks_its_own_backend(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_fixture.md").write_text(LESSON)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # as a test run before it may have left it
    processes = Processes()
    try:
        built = stand_in_model(tmp_path, processes, 120, Lesson(tmp_path / "notebooks" / "01_fixture.ipynb"))
        path = built()
    finally:
        processes.stop(grace=1)
    assert path.name == "01_fixture.keras"
    # The learners' kernels get no KERAS_BACKEND from the hub: the lesson's first cell chooses, here as there.
    assert path.read_text() == "its own"


def test_a_lesson_without_a_fit_cell_has_no_stand_in(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_fixture.md").write_text(LESSON.replace("model.fit(x_train)", "model"))
    with pytest.raises(RehearsalError, match="01_fixture has no cell with model.fit"):
        stand_in_model(tmp_path, Processes(), 60, Lesson(tmp_path / "notebooks" / "01_fixture.ipynb"))
