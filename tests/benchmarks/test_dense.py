"""Tests of benchmarks/dense.py: it trains in plain PyTorch exactly what lesson 01 trains, and reports honest ratios."""

from __future__ import annotations

from benchmarks import dense as bench
from mnist_lesson import paths
from tools.lessons import Lesson

LESSON = (paths.NOTEBOOKS / "01_mnist.md").read_text()


def test_the_recipe_read_from_lesson_01_is_its_network_and_training():
    layers, epochs, batch = bench.lesson_recipe()
    # Weights plus biases per layer: the 669,706 parameters lesson 01's summary shows.
    assert sum(n_in * n_out + n_out for n_in, n_out in layers) == 669_706
    assert layers == [(784, 512), (512, 512), (512, 10)] and (epochs, batch) == (10, 128)
    assert 'optimizer="rmsprop"' in LESSON  # the PyTorch script uses Keras's RMSprop defaults


def test_a_changed_lesson_changes_what_the_benchmark_trains(tmp_path, monkeypatch):
    edited = tmp_path / "01_mnist.md"
    edited.write_text(LESSON.replace("units=512", "units=256").replace("epochs=10", "epochs=3"))
    monkeypatch.setattr(bench, "LESSON", Lesson(tmp_path / "01_mnist.ipynb").notebook)
    assert bench.lesson_recipe() == ([(784, 256), (256, 256), (256, 10)], 3, 128)


def test_flop_count_of_lesson_01():
    # Per example: forward 2·(784·512 + 512·512 + 512·10); backward twice that, less the pixels' gradient.
    # 10 epochs of 391 batches of 128 (the last one padded in the count), 10,000 validation images each.
    assert round(bench.training_flops() / 1e12, 2) == 1.74


def measured_round(gflops, eager, lessons):
    """One round as the runner records it; numbers from a real run on 2 cores."""
    return {
        "matmul": {"gflops": gflops},
        "eager": {"train_s": eager[0], "process_s": eager[1], "torch": "2.13.0", "val_accuracy": 0.976},
        "lesson": {
            backend: {"wall_s": wall, "train_s": train, "peak_mb": peak, "val_accuracy": acc}
            for backend, (wall, train, peak, acc) in lessons.items()
        },
    }


def test_the_report_takes_ratios_within_rounds_and_judges_the_lessons_own_backend():
    rounds = [
        measured_round(139, (24.9, 28.8), {"jax": (22.4, 14.2, 1200, 0.976), "torch": (145, 135, 1440, 0.979)}),
        measured_round(131, (33.1, 37.8), {"jax": (32.3, 17.6, 1200, 0.976), "torch": (68.2, 55.1, 1440, 0.979)}),
        measured_round(117, (32.6, 37.4), {"jax": (29.9, 19.3, 1190, 0.976), "torch": (79.2, 66.3, 1440, 0.979)}),
    ]
    result = bench.summarise(rounds, ["jax", "torch"], "jax")
    ratios = result["series"]["jax_train_over_eager_train"]
    assert ratios["runs"] == [14.2 / 24.9, 17.6 / 33.1, 19.3 / 32.6]  # each round against its own PyTorch run
    assert ratios["median"] == 14.2 / 24.9
    table = bench.table(result)
    assert "| lesson 01 on jax / PyTorch eager script | 0.80× |" in table and "≤ 1.0× | met |" in table
    assert "| kernel peak resident memory on jax (MB) | 1200 |" in table and "≤ 1024 MB | missed |" in table
    assert "Keras training on torch / on jax" in table
    assert "| PyTorch eager training, same work (s) | 32.6 |" in table  # the eager script's, not the torch backend's
