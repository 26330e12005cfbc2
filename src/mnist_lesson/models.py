"""Lesson 01's trained model, saved for later lessons and rebuilt when missing (introduced in lesson 02).

Lesson 01 saves its model with ``model.save(trained_model_path())``; lesson 02 loads it.
The file is ``artifacts/01_mnist.keras`` in the course's checkout (gitignored), or the
path in $MNIST_LESSON_MODEL.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the trained model file to use instead of the default.
MODEL_ENV = "MNIST_LESSON_MODEL"

_CHECKOUT = Path(__file__).resolve().parents[2]


def trained_model_path() -> Path:
    """Where lesson 01 saves its trained model and lesson 02 looks for it; its folder is created (lesson 02)."""
    if os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV]).expanduser()
    elif (_CHECKOUT / "notebooks").is_dir():  # an editable install inside the course's checkout
        path = _CHECKOUT / "artifacts" / "01_mnist.keras"
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("mnist-lesson")) / "01_mnist.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def build_lesson01_model():
    """Lesson 01's network, compiled: 784 → 512 relu → 512 relu → 10 softmax, RMSprop (lesson 02)."""
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(units=512, activation="relu"),
            layers.Dense(units=512, activation="relu"),
            layers.Dense(units=10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train_lesson01_model(path: Path, epochs: int = 5):
    """Train lesson 01's model with its exact recipe and save it to path; return the model (lesson 02)."""
    from mnist_lesson.data import load_mnist
    from mnist_lesson.repro import reproducible

    reproducible(seed=42)
    import keras

    (x_train, y_train), (x_valid, y_valid) = load_mnist()
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_valid = x_valid.reshape(10000, 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, 10)
    y_valid = keras.utils.to_categorical(y_valid, 10)
    model = build_lesson01_model()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_valid, y_valid), verbose=0)
    save_model(model, path)
    return model


def save_model(model, path: Path) -> Path:
    """Save a Keras model atomically: a half-written .keras file is never left at path (lesson 02)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.part.keras")  # Keras insists on the .keras suffix
    try:
        model.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def ensure_trained_model(path: Path | None = None, train=train_lesson01_model) -> Path:
    """Return the trained model's path, training it with lesson 01's recipe first if it is missing (lesson 02)."""
    path = Path(path) if path is not None else trained_model_path()
    if not path.exists():
        print(f"No trained model at {path}: training one with lesson 01's recipe (a minute or two) …")
        train(path)
    return path
