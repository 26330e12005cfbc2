"""Shared fixtures for the tests: small MNIST-shaped arrays and their digests; the course's website, built once."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from mnist_lesson import data
from tools import book

pytest_plugins = ["pytester"]

#: The cache `make data` fills, read before any test points the override elsewhere.
REAL_CACHE = data.default_cache_path()
#: What the course's variables were when a test started (pytest_runtest_setup), checked after its teardown.
_ENVIRONMENT = pytest.StashKey[dict]()


def require_real_cache() -> None:
    """Skip a test that needs the real MNIST cache when it is missing; fail instead where it is required (CI)."""
    if REAL_CACHE.exists():
        return
    if os.environ.get("MNIST_LESSON_REQUIRE_DATA"):
        pytest.fail(f"no MNIST cache at {REAL_CACHE}: run `make data` first")
    pytest.skip(f"no MNIST cache at {REAL_CACHE} (run `make data`)")


def _course_environment() -> dict[str, str]:
    """The variables the course's own processes read: the backend, and the course's own settings."""
    return {k: v for k, v in os.environ.items() if k == "KERAS_BACKEND" or k.startswith("MNIST_LESSON_")}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    item.stash[_ENVIRONMENT] = _course_environment()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Fail a test that leaves the course's variables changed, after every fixture (monkeypatch too) is undone.

    Later tests, and every process they start (a kernel, a hub, a lesson), would inherit the change: a test
    that ran main() of a tool which picks TensorFlow once made a later rehearsal build lesson 01 on it.
    """
    result = yield
    before, after = item.stash.get(_ENVIRONMENT, None), _course_environment()
    if before is not None and before != after:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        raise AssertionError(f"{item.nodeid} left these environment variables changed: {changed}; use monkeypatch")
    return result


@pytest.fixture
def tiny_arrays():
    """Four small uint8 arrays laid out like MNIST's, with made-up pixels."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        "y_train": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8),
        "y_test": np.array([7, 2, 1], dtype=np.uint8),
    }


@pytest.fixture
def tiny_digests(tiny_arrays):
    """SHA-256 digests of the tiny arrays, in place of the real MNIST constants."""
    return {key: hashlib.sha256(array.tobytes()).hexdigest() for key, array in tiny_arrays.items()}


@pytest.fixture(autouse=True)
def _no_real_cache(tmp_path, monkeypatch):
    """No unit test may touch the user's real cache: point the override at a scratch file."""
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "default-cache" / "mnist.npz"))


@pytest.fixture(scope="session")
def course_site(tmp_path_factory):
    """The course's website, built once per test run by tools/book.py for the build and browser tests to share."""
    return book.build(out=tmp_path_factory.mktemp("book"))
