"""Tests of tools/rehearse/isolation.py: the rehearsal re-run in a network namespace, once, where one is allowed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.rehearse import isolation


def test_inside_the_namespace_it_is_not_started_again(monkeypatch):
    monkeypatch.setenv(isolation.ISOLATED_ENV, "1")
    assert isolation.isolated() and isolation.isolation_command(["--learners", "2"]) is None


def test_without_unshare_the_rehearsal_runs_here(monkeypatch):
    monkeypatch.delenv(isolation.ISOLATED_ENV, raising=False)
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)
    assert isolation.isolation_command(["--learners", "2"]) is None


def test_where_a_namespace_is_allowed_it_has_loopback_only_and_runs_the_same_command(monkeypatch):
    monkeypatch.delenv(isolation.ISOLATED_ENV, raising=False)
    command = isolation.isolation_command(["--learners", "2"])
    if command is None:
        pytest.skip("no network namespace allowed here: the rehearsal's kernels get a dead proxy instead")
    assert command[-5:] == [sys.executable, "-m", "tools.rehearse", "--learners", "2"]
    inside = command[: command.index("sh")] + ["ip", "-o", "link"]
    links = subprocess.run(inside, capture_output=True, text=True, check=True).stdout.splitlines()
    assert [line.split(":")[1].strip() for line in links] == ["lo"]  # no way out but loopback
