"""What the learners get: this checkout as the course's repository, an instructor's update, MNIST, stand-ins."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat

from mnist_lesson import data
from mnist_lesson.paths import CHECKOUT
from tools.lessons import Lesson, calls_fit
from tools.plumbing import nbconvert_command, without_backend
from tools.rehearse import COURSE_DIR, RehearsalError
from tools.rehearse.learner import Learner, lesson_path
from tools.rehearse.processes import Processes


def shared_mnist(scratch: Path, source: Path | None = None) -> tuple[Path, str]:
    """A read-only copy of the verified MNIST cache, as a hub's shared data folder holds it; its SHA-256."""
    source = source or data.default_cache_path()
    if not source.exists():
        raise RehearsalError(f"no MNIST cache at {source}: run `make data` first")
    folder = scratch / "shared"
    folder.mkdir()
    cache = folder / "mnist.npz"
    shutil.copyfile(source, cache)
    cache.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return cache, data.sha256_file(cache)


def snapshot(scratch: Path, checkout: Path = CHECKOUT) -> tuple[Path, str, str]:
    """This checkout's course, committed or not, as a bare repository for nbgitpuller: (repository, branch, commit)."""

    def git(*args: str) -> str:
        # An identity of its own: `git stash create` makes a commit, and a fresh clone (CI) may have none set.
        who = ["-c", "user.name=mnist-lesson rehearsal", "-c", "user.email=rehearsal@localhost"]
        return subprocess.run(
            ["git", *who, "-C", str(checkout), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        # Uncommitted changes to tracked files too, as `make test` checks a change before it is committed.
        commit = git("stash", "create").strip() or git("rev-parse", "HEAD").strip()
        branch = git("rev-parse", "--abbrev-ref", "HEAD").strip()
        branch = "main" if branch == "HEAD" else branch
        repo = scratch / "remote" / COURSE_DIR  # nbgitpuller clones it into a folder of this name, as from a host
        subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True, capture_output=True)
        git("push", "--quiet", str(repo), f"{commit}:refs/heads/{branch}")
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise RehearsalError(f"could not make the course's repository from {checkout} with git: {detail}") from None
    return repo, branch, commit


def content_update(learner: Learner, repo: Path, branch: str, scratch: Path, stem: str) -> tuple[bool, str]:
    """A learner edits a cell, the instructor changes another cell of that lesson upstream, the learner pulls again."""
    path = lesson_path(stem)
    notebook = learner.contents(path)  # with the outputs of the learner's own run, saved after it
    code = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"]
    markdown = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "markdown"]
    if not code or not markdown:
        return False, f"{stem} needs a code cell and a text cell for this check"
    mine, theirs = code[-1], markdown[0]
    note = "# my own note, written during the lesson\n"
    source = notebook["cells"][mine]["source"]
    notebook["cells"][mine]["source"] = note + ("".join(source) if isinstance(source, list) else source)
    learner.save(path, notebook)
    # The instructor's update, in a working clone of the course's repository, pushed to it.
    work = scratch / "instructor"
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid"]
    subprocess.run(["git", "clone", "--quiet", "--branch", branch, str(repo), str(work)], check=True)
    lesson_file = work / "notebooks" / f"{stem}.ipynb"
    upstream = nbformat.read(lesson_file, as_version=4)
    update = "\n\n*Updated by the instructor after the class began.*"
    upstream.cells[theirs].source += update
    nbformat.write(upstream, lesson_file)
    # As `make sync` does: the paired .md gets the change too (JupyterLab reads a paired lesson's text from it).
    jupytext = Path(sys.executable).with_name("jupytext")
    subprocess.run([str(jupytext), "--sync", "--quiet", str(lesson_file)], check=True, capture_output=True)
    subprocess.run([*git, "-C", str(work), "commit", "--quiet", "-am", "An update during the class"], check=True)
    subprocess.run(["git", "-C", str(work), "push", "--quiet", "origin", branch], check=True)
    learner.pull(f"file://{repo}", branch, stem)
    after = learner.contents(path)
    kept = "".join(after["cells"][mine]["source"]).startswith(note.strip())
    arrived = "".join(after["cells"][theirs]["source"]).endswith(update.strip())
    detail = f"the learner's edit {'kept' if kept else 'lost'}; "
    detail += f"the instructor's change {'arrived' if arrived else 'did not arrive'}"
    return kept and arrived, detail


def stand_in_model(scratch: Path, processes: Processes, timeout: float, loaded: Lesson) -> Callable[[], Path]:
    """Start building a lesson's network at its starting weights; the function returned waits and gives its path.

    The stand-in is the lesson's own code cells up to its fit cell, then a save: its layers and names
    exactly, untrained, for the lessons that load its model.
    """
    code = loaded.code
    upto = next((i for i, cell in enumerate(code) if calls_fit(cell)), None)
    if upto is None:
        raise RehearsalError(
            f"{loaded.stem} has no cell with model.fit(: its stand-in is built from the cells before it"
        )
    folder = scratch / "stand-in" / loaded.stem
    folder.mkdir(parents=True)
    path = folder / f"{loaded.stem}.keras"
    cells = [nbformat.v4.new_code_cell(cell) for cell in code[:upto]]
    cells.append(nbformat.v4.new_code_cell(f"model.save({str(path)!r})"))
    notebook = folder / "stand_in.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    log = folder / "nbconvert.log"
    # The lesson picks its own backend here, as in the learners' kernels (the hub passes them no KERAS_BACKEND):
    # a network saved under another backend would load in a later lesson with a warning its stored outputs lack.
    # Started, not run: it builds while the hub starts, and is stopped with the rest if the rehearsal fails.
    command = nbconvert_command(notebook, timeout, output="ran.ipynb")
    made = processes.start(command, log, cwd=folder, env=without_backend())  # lessons find their files from anywhere

    def built() -> Path:
        try:
            made.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RehearsalError(f"building {loaded.stem}'s stand-in took over {timeout:.0f} s") from None
        if made.returncode != 0 or not path.exists():
            raise RehearsalError(f"building {loaded.stem}'s stand-in failed: see {log}")
        return path

    return built
