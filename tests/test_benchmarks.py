"""The benchmark's PyTorch script and FLOP count describe lesson 01's own network and training, read from the lesson."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

LESSON = (ROOT / "notebooks" / "01_mnist.md").read_text()


def test_benchmark_trains_what_lesson_01_trains():
    inputs = int(re.search(r"keras\.Input\(shape=\((\d+),\)\)", LESSON).group(1))
    hidden = [int(u) for u in re.findall(r'layers\.Dense\(units=(\d+), activation="relu"\)', LESSON)]
    outputs = int(re.search(r"num_categories = (\d+)", LESSON).group(1))
    sizes = [inputs, *hidden, outputs]
    assert bench.LAYERS == list(zip(sizes, sizes[1:]))
    fit = LESSON[LESSON.index("model.fit(") :]
    assert int(re.search(r"epochs=(\d+)", fit).group(1)) == bench.EPOCHS
    assert int(re.search(r"batch_size=(\d+)", fit).group(1)) == bench.BATCH
    assert 'optimizer="rmsprop"' in LESSON  # the PyTorch script uses Keras's RMSprop defaults


def test_benchmark_knows_the_lessons_own_backend():
    assert bench.own_backend() == re.search(r'setdefault\("KERAS_BACKEND", "(\w+)"\)', LESSON).group(1)
    assert bench.own_backend() in bench.BACKENDS


def test_flop_count_of_lesson_01():
    # Per example: forward 2·(784·512 + 512·512 + 512·10); backward twice that, less the pixels' gradient.
    assert round(bench.training_flops() / 1e12, 2) == 1.03
