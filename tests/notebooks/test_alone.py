"""A lesson downloaded from the website runs on its own: the one install line, then the lesson alone in a folder.

Each lesson's page (tools/book.py) gives `pip install "mnist-lesson[lessons] @ git+REPOSITORY@BRANCH"`. Here,
without the internet, the same install comes from this checkout's git history (`git+file://`) into a fresh
venv that already sees the lock's packages (a .pth line naming .venv's site-packages, not its editable
install of the package), and lesson 01, copied alone into an empty folder, is executed top to bottom. Lesson
01 trains for about 25 s, so this test runs once per `make test`, beside the lessons' own check. It installs
what is committed (HEAD), as a learner gets it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat

from mnist_lesson import data
from mnist_lesson.paths import CHECKOUT
from tools.book import install_line, launch_settings
from tools.lessons import lessons

from ..conftest import REAL_CACHE, require_real_cache

LESSON = lessons()[0]
#: Lesson 01's cells may take this long, as `make test`'s per-cell limit allows.
TIMEOUT = 900


def fresh_venv(folder: Path) -> Path:
    """A new venv of this Python that sees the lock's packages in .venv, but not the course's own package."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A plain path line: .venv's own .pth files (its editable install of mnist_lesson among them) stay unread.
    (Path(purelib) / "course-lock.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def first_import_cell(notebook: Path) -> str:
    """The lesson's first code cell that imports the course's helpers."""
    cells = nbformat.read(notebook, as_version=4).cells
    return next(c.source for c in cells if c.cell_type == "code" and "mnist_lesson" in c.source)


def test_a_lesson_alone_in_a_folder_says_what_to_install_then_runs_after_the_install_line(tmp_path):
    require_real_cache()
    python = fresh_venv(tmp_path / "venv")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # The learner's `python` and `jupyter` are the fresh venv's; MNIST comes from the verified cache, offline.
    env |= {"PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}", data.CACHE_ENV: str(REAL_CACHE)}
    folder = tmp_path / "my-folder"
    folder.mkdir()
    shutil.copy(LESSON.notebook, folder / LESSON.notebook.name)

    # Before the install: the lesson's first import stops with the one line that installs what it needs.
    before = subprocess.run(
        [python, "-c", first_import_cell(LESSON.notebook)], capture_output=True, text=True, cwd=folder, env=env
    )
    line = install_line(launch_settings())
    assert before.returncode != 0 and "ModuleNotFoundError" in before.stderr, before.stderr[-2000:]
    assert line in before.stderr, f"the failed import does not say {line!r}:\n{before.stderr[-2000:]}"

    # The install line, with this checkout's address in place of the repository's.
    requirement = f"mnist-lesson @ git+file://{CHECKOUT}"
    command = [CHECKOUT / ".venv" / "bin" / "uv", "pip", "install", "--python", python, "--no-deps"]
    command += ["--no-build-isolation", "--offline", "--cache-dir", tmp_path / "uv-cache", requirement]
    installed = subprocess.run(command, capture_output=True, text=True, env=env)
    assert installed.returncode == 0, installed.stderr[-2000:]
    where = subprocess.run(
        [python, "-c", "import mnist_lesson; print(mnist_lesson.__file__)"], capture_output=True, text=True, env=env
    )
    assert where.stdout.startswith(str(tmp_path / "venv")), f"mnist_lesson imported from {where.stdout or where.stderr}"

    # The lesson, top to bottom, in its own folder, on a kernel of the fresh venv.
    run = [python, "-m", "nbconvert", "--to", "notebook", "--execute", LESSON.notebook.name, "--output", "ran.ipynb"]
    run += [f"--ExecutePreprocessor.timeout={TIMEOUT}", "--ExecutePreprocessor.kernel_name=python3"]
    done = subprocess.run(run, capture_output=True, text=True, cwd=folder, env=env)
    assert done.returncode == 0, f"{LESSON.notebook.name} failed alone in a folder:\n{done.stderr[-3000:]}"
    ran = nbformat.read(folder / "ran.ipynb", as_version=4)
    errors = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    # Nothing but the lesson and its run in the folder: the model went to the run's scratch folder.
    assert sorted(p.name for p in folder.iterdir()) == sorted([LESSON.notebook.name, "ran.ipynb"])
