"""Tests of tools/site_networks.py: the website's committed networks give the probabilities lesson 05 stores."""

from __future__ import annotations

import nbformat
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from mnist_lesson import data
from tools import site_networks
from tools.site_networks import DIGITS, MARKER, NETWORKS

from ..conftest import REAL_CACHE, require_real_cache


def tiny_network(path, name: str, seed: int) -> None:
    """A small ONNX network with the input shape of `name`: flatten, one matrix of random weights, softmax."""
    weights = np.random.default_rng(seed).normal(size=(784, 10)).astype("float32")
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["images"], ["rows"], axis=1),
            helper.make_node("MatMul", ["rows", "weights"], ["sums"]),
            helper.make_node("Softmax", ["sums"], ["probabilities"], axis=-1),
        ],
        name,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", *NETWORKS[name]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        initializer=[numpy_helper.from_array(weights, "weights")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def lesson_05(path, lines: list[str], marker: str = MARKER) -> None:
    """A notebook whose marked cell printed the lines, as lesson 05's does."""
    cell = nbformat.v4.new_code_cell(f"{marker} from each exported file\nprint(...)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)


def printed(probabilities: dict[str, np.ndarray]) -> list[str]:
    """Lesson 05's lines for each network's probabilities: 7 decimals, one line per image."""
    return [
        f"{name} x_test[{i}]: " + " ".join(f"{p:.7f}" for p in row)
        for name, rows in probabilities.items()
        for i, row in enumerate(rows)
    ]


@pytest.fixture
def exports(tmp_path):
    """Two tiny networks named as lesson 05's exports, random images, and what the files give for them."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for seed, name in enumerate(NETWORKS):
        tiny_network(folder / f"{name}.onnx", name, seed)
    images = np.random.default_rng(7).random((DIGITS, 784), dtype="float32")
    given = {name: site_networks.probabilities(folder / f"{name}.onnx", name, images) for name in NETWORKS}
    return folder, images, given


def test_the_committed_networks_give_the_probabilities_lesson_05_stores(monkeypatch):
    require_real_cache()
    monkeypatch.setenv(data.CACHE_ENV, str(REAL_CACHE))  # MNIST's test digits; nothing writes the cache
    assert site_networks.mismatches(site_networks.SITE_NETWORKS) == []


def test_the_stored_probabilities_are_read_from_the_marked_cell_line_by_line(tmp_path, exports):
    _, _, given = exports
    lesson_05(tmp_path / "05.ipynb", ["some other line", *printed(given)])
    stored = site_networks.stored_probabilities(tmp_path / "05.ipynb")
    assert sorted(stored) == sorted(NETWORKS)
    for name in NETWORKS:
        assert stored[name].shape == (DIGITS, 10)
        np.testing.assert_allclose(stored[name], given[name], rtol=0, atol=5e-8)


def test_missing_lines_or_no_marked_cell_are_refused_with_what_to_do(tmp_path, exports):
    _, _, given = exports
    lesson_05(tmp_path / "short.ipynb", printed(given)[:-1])
    with pytest.raises(ValueError, match=r"stores 19 of the 20 lines of convnet.*make execute"):
        site_networks.stored_probabilities(tmp_path / "short.ipynb")
    lesson_05(tmp_path / "unmarked.ipynb", printed(given), marker="# Something else")
    with pytest.raises(ValueError, match="0 code cells containing"):
        site_networks.stored_probabilities(tmp_path / "unmarked.ipynb")
    with pytest.raises(ValueError, match="is missing"):
        site_networks.stored_probabilities(tmp_path / "absent.ipynb")


def test_only_exports_that_give_the_stored_probabilities_are_published(tmp_path, exports):
    folder, images, given = exports
    site = tmp_path / "site"
    lesson_05(tmp_path / "05.ipynb", printed(given))
    written = site_networks.publish(folder, site, tmp_path / "05.ipynb", images)
    assert sorted(path.name for path in written) == sorted(f"{name}.onnx" for name in NETWORKS)
    for name in NETWORKS:
        assert (site / f"{name}.onnx").read_bytes() == (folder / f"{name}.onnx").read_bytes()
    assert site_networks.mismatches(site, tmp_path / "05.ipynb", images) == []

    # One probability off by 1e-4: the convnet's file no longer gives what the lesson stores, so nothing is copied.
    off = {name: rows.copy() for name, rows in given.items()}
    off["convnet"][3, off["convnet"][3].argmax()] -= 1e-4  # the largest of ten probabilities is at least 0.1
    lesson_05(tmp_path / "off.ipynb", printed(off))
    problems = site_networks.mismatches(folder, tmp_path / "off.ipynb", images)
    assert len(problems) == 1 and "convnet.onnx gives probabilities up to 0.0001 away" in problems[0]
    (folder / "mlp.onnx").unlink()
    with pytest.raises(ValueError, match="mlp.onnx is missing.*convnet.onnx gives"):
        site_networks.publish(folder, tmp_path / "elsewhere", tmp_path / "off.ipynb", images)
    assert not (tmp_path / "elsewhere").exists()


def test_a_copy_that_fails_leaves_both_published_networks_as_they_were(tmp_path, exports, monkeypatch):
    folder, images, given = exports
    lesson_05(tmp_path / "05.ipynb", printed(given))
    site = tmp_path / "site"
    site.mkdir()
    for name in NETWORKS:
        (site / f"{name}.onnx").write_bytes(f"the committed {name}".encode())
    copy = site_networks.shutil.copyfile
    copied = []

    def full_disk_on_the_second(source, target):
        copied.append(source)
        if len(copied) == 2:
            copy(source, target)  # half-written, then the disk is full
            with open(target, "r+b") as half:
                half.truncate(10)
            raise OSError(28, "No space left on device")
        return copy(source, target)

    monkeypatch.setattr(site_networks.shutil, "copyfile", full_disk_on_the_second)
    with pytest.raises(OSError, match="No space left"):
        site_networks.publish(folder, site, tmp_path / "05.ipynb", images)
    assert len(copied) == 2
    assert {p.name: p.read_bytes() for p in site.iterdir()} == {
        f"{name}.onnx": f"the committed {name}".encode() for name in NETWORKS
    }
