"""Tests of tools/rehearse/checks.py: each check passes on what it is for and fails on what it guards against."""

from __future__ import annotations

from tools.rehearse.checks import cache_untouched, checked, loopback_only, offline
from tools.rehearse.learner import LessonRun


def test_a_check_that_cannot_run_has_failed_and_says_why():
    def broken() -> tuple[bool, str]:
        raise ConnectionError("the hub went away")

    assert checked("a wrong password is refused", broken) == (
        "a wrong password is refused",
        False,
        "could not be checked: ConnectionError: the hub went away",
    )
    assert checked("x", lambda: (True, "fine")) == ("x", True, "fine")


def test_only_sockets_on_loopback_pass_and_none_at_all_is_a_failure():
    assert loopback_only(["127.0.0.1:8000", "127.0.0.1:45123"])[1:] == (True, "2 listening sockets")
    _, ok, detail = loopback_only(["127.0.0.1:8000", "0.0.0.0:8888", "::1:9"])
    assert not ok and detail.endswith("outside loopback: 0.0.0.0:8888, ::1:9")
    assert not loopback_only([])[1]  # nothing seen listening means nothing was looked at


def test_the_shared_cache_fails_when_changed_or_written_beside(tmp_path):
    from mnist_lesson import data

    cache = tmp_path / "shared" / "mnist.npz"
    cache.parent.mkdir()
    cache.write_bytes(b"mnist")
    sha = data.sha256_file(cache)
    assert cache_untouched(cache, sha)[1]
    (tmp_path / "shared" / "mnist.npz.partial").write_bytes(b"a learner's download")
    assert not cache_untouched(cache, sha)[1]
    (tmp_path / "shared" / "mnist.npz.partial").unlink()
    cache.write_bytes(b"changed")
    assert not cache_untouched(cache, sha)[1]


def test_every_kernel_must_have_been_asked_and_found_offline():
    assert offline([LessonRun("01_mnist", online=False), LessonRun("02_inference", online=False)], True)[1:] == (
        True,
        "a network namespace with loopback only",
    )
    assert not offline([LessonRun("01_mnist", online=False), LessonRun("02_inference", online=True)], False)[1]
    assert not offline([LessonRun("01_mnist", online=None)], False)[1]  # a lesson that stopped before asking
    assert not offline([], False)[1]
