"""The lessons' trained models: saved for later lessons, re-made by running lesson 01 (introduced in lesson 01).

Lesson 01 saves its model with ``model.save(trained_model_path())``; lessons 02 and 03 load
it. The file is ``artifacts/01_mnist.keras`` in the course's checkout (gitignored), or the
path in $MNIST_LESSON_MODEL. When it is missing, lesson 01's notebook is executed
headlessly, so the model is always lesson 01's own recipe, never a copy of it. Later
lessons save theirs beside it: ``trained_model_path("03_convnets")``.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnist_lesson import paths

#: Environment variable naming the trained model file to use instead of the default.
MODEL_ENV = "MNIST_LESSON_MODEL"
#: The lesson whose notebook trains and saves the model.
LESSON01 = paths.NOTEBOOKS / "01_mnist.ipynb"


def trained_model_path(lesson: str = "01_mnist") -> Path:
    """Where a lesson (01 unless named) saves its trained model for later lessons; folder created (lesson 01)."""
    if not lesson or "/" in lesson or "\\" in lesson or lesson.endswith(".keras"):
        raise ValueError(f"name a lesson by its notebook's stem, such as '03_convnets'; got {lesson!r}")
    if os.environ.get(MODEL_ENV):
        # The variable names lesson 01's file; other lessons' models go beside it.
        first = Path(os.environ[MODEL_ENV]).expanduser()
        path = first if lesson == "01_mnist" else first.with_name(f"{lesson}.keras")
    elif paths.in_checkout():
        path = paths.ARTIFACTS / f"{lesson}.keras"
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("mnist-lesson")) / f"{lesson}.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def run_lesson(notebook: Path, path: Path, timeout: int = 1800) -> Path:
    """Execute a lesson's notebook headlessly so that it saves its model at path; the notebook is left unchanged."""
    import nbformat
    from nbclient import NotebookClient

    notebook, path = Path(notebook), Path(path)
    if not notebook.exists():
        raise FileNotFoundError(f"{notebook} is missing, so its model cannot be made: restore it with git checkout")
    nb = nbformat.read(notebook, as_version=4)
    partial = path.with_name(f".{path.stem}.part.keras")  # Keras insists on the .keras suffix
    saved = os.environ.get(MODEL_ENV)
    os.environ[MODEL_ENV] = str(partial)  # the lesson's kernel inherits it: trained_model_path() points there
    try:
        NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(notebook.parent)}}).execute()
        if not partial.exists():
            raise RuntimeError(f"{notebook.name} ran but saved no model at trained_model_path()")
        os.replace(partial, path)  # a half-trained or half-written model is never left at path
    finally:
        partial.unlink(missing_ok=True)
        if saved is None:
            os.environ.pop(MODEL_ENV, None)
        else:
            os.environ[MODEL_ENV] = saved
    return path


def ensure_trained_model(path: Path | None = None, train=None) -> Path:
    """Return the trained model's path, running lesson 01 first if it was never saved (lesson 02)."""
    path = Path(path) if path is not None else trained_model_path()
    if not path.exists():
        print(f"No trained model at {path}: running lesson 01 to train and save it (a minute or two) …")
        (train or (lambda target: run_lesson(LESSON01, target)))(path)
    return path
