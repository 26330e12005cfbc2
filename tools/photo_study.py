"""How well the trained networks read simulated phone photos of digits (course tooling; issue 24's measure).

    python -m tools.photo_study        # after `make run`, which saves lessons 01's and 03's networks

For each of three sets of ten digits, 0 to 9, from two sources (MNIST's validation images, and
scikit-learn's `load_digits`, by writers MNIST never saw), every digit is drawn as dark ink on
unevenly lit paper by `simulated_photo`, saved as a JPEG, read back with `read_digit_image` as a
learner's photo would be, and classified by lesson 01's dense network and lesson 03's convnet.
Prints how many of each ten each network reads right.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SETS = 3


def main() -> int:
    """Print, per source and set, how many of the ten photos each network reads right."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from mnist_lesson.repro import reproducible

    reproducible()
    import keras
    import numpy as np
    from sklearn.datasets import load_digits

    from mnist_lesson.data import load_mnist
    from mnist_lesson.handwriting import predict_digit, read_digit_image, simulated_photo, to_mnist_style
    from mnist_lesson.models import trained_model_path

    paths = {"lesson 01": trained_model_path(), "lesson 03": trained_model_path("03_convnets")}
    missing = [str(path) for path in paths.values() if not path.exists()]
    if missing:
        sys.exit(f"no trained network at {', '.join(missing)}: run `make run` first")
    networks = {name: keras.saving.load_model(path, compile=False) for name, path in paths.items()}
    _, (x_valid, y_valid) = load_mnist()
    digits = load_digits()
    sources = {
        "MNIST validation": lambda label, n: x_valid[np.flatnonzero(y_valid == label)[n]],
        "load_digits": lambda label, n: to_mnist_style(digits.images[np.flatnonzero(digits.target == label)[n]]),
    }
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo.jpg"
        for source, digit in sources.items():
            for n in range(SETS):
                right = dict.fromkeys(networks, 0)
                for label in range(10):
                    simulated_photo(digit(label, n), seed=100 * n + label).save(photo, quality=75)
                    image = read_digit_image(photo)
                    for name, network in networks.items():
                        right[name] += predict_digit(network, image)[0] == label
                counts = ", ".join(f"{name} {count} of 10" for name, count in right.items())
                print(f"{source}, set {n + 1}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
