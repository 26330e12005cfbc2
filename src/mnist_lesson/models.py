"""Lesson 01's trained model: saved for later lessons, re-made by running lesson 01 (introduced in lesson 01).

Lesson 01 saves its model with ``model.save(trained_model_path())``; lesson 02 loads it.
The file is ``artifacts/01_mnist.keras`` in the course's checkout (gitignored), or the
path in $MNIST_LESSON_MODEL. When it is missing, lesson 01's notebook is executed
headlessly, so the model is always lesson 01's own recipe, never a copy of it.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnist_lesson import paths

#: Environment variable naming the trained model file to use instead of the default.
MODEL_ENV = "MNIST_LESSON_MODEL"
#: The lesson whose notebook trains and saves the model.
LESSON01 = paths.NOTEBOOKS / "01_mnist.ipynb"


def trained_model_path() -> Path:
    """Where lesson 01 saves its trained model and later lessons look for it; its folder is created (lesson 01)."""
    if os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV]).expanduser()
    elif paths.in_checkout():
        path = paths.ARTIFACTS / "01_mnist.keras"
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("mnist-lesson")) / "01_mnist.keras"
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
