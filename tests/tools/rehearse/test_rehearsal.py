"""Tests of tools/rehearse/rehearsal.py: its lessons from the registry, and a real short rehearsal (make test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from mnist_lesson import data
from mnist_lesson.paths import CHECKOUT
from tests.conftest import REAL_CACHE, require_real_cache
from tools import lessons as registry
from tools.rehearse import RehearsalError
from tools.rehearse.hub import PROXY
from tools.rehearse.rehearsal import chosen_lessons, loaded_only, rehearse

PROXY_MISSING = f"no configurable-http-proxy at {PROXY}: `make proxy` installs it (make test does)"


def test_the_lessons_come_from_the_registry_and_a_wrong_name_says_which_there_are():
    every = registry.lessons()
    assert [each.stem for each in chosen_lessons([every[-1].stem, every[0].stem])] == [every[-1].stem, every[0].stem]
    with pytest.raises(RehearsalError, match=f"no lesson '99_nothing' .*the lessons are {every[0].stem}"):
        chosen_lessons(["99_nothing"])


def test_stand_ins_are_for_the_lessons_loaded_from_but_not_rehearsed():
    for each in registry.lessons():
        assert [loaded.stem for loaded in loaded_only([each])] == sorted(each.loads)
        everything = registry.with_dependencies([each], registry.lessons())
        assert loaded_only(everything) == []  # every lesson loaded from is rehearsed too: nothing to stand in for


def test_bad_arguments_are_refused_before_anything_starts(tmp_path):
    with pytest.raises(RehearsalError, match="LEARNERS must be 1 or more, not 0"):
        rehearse(0, ["01_mnist"])
    with pytest.raises(RehearsalError, match="name at least one lesson"):
        rehearse(2, [])
    with pytest.raises(RehearsalError, match="run `make proxy`"):
        rehearse(2, ["01_mnist"], proxy=tmp_path / "no-proxy")


def test_two_learners_rehearse_a_lesson_at_once_and_nobody_else_gets_in(tmp_path):
    # make test's short rehearsal: two learners at once, lesson 02 on lesson 01's untrained network, as
    # `make rehearse` runs it (in a network namespace where the machine allows one).
    require_real_cache()
    if not PROXY.exists():
        if os.environ.get("MNIST_LESSON_REQUIRE_DATA"):
            pytest.fail(PROXY_MISSING)  # CI: make test installs it, so a missing proxy is a broken setup
        pytest.skip(PROXY_MISSING)
    stem = "02_inference"
    assert registry.lesson(stem).loads, f"{stem} loads no other lesson's model: it tests no stand-in"
    out = tmp_path / "rehearsal.json"
    args = ["--learners", "2", "--lessons", stem, "--stand-in", "--no-alone", "--json", str(out)]
    args += ["--cell-timeout", "120"]  # a stuck cell fails the test in minutes, never hangs make test
    env = {**os.environ, data.CACHE_ENV: str(REAL_CACHE)}
    command = [sys.executable, "-m", "tools.rehearse", *args]
    done = subprocess.run(command, cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("2 passed, 0 failed; all 8 hub checks passed"), done.stdout
    report = json.loads(out.read_text())
    assert [r["name"] for r in report["results"]] == ["learner1", "learner2"]
    cells = [c for c in nbformat.read(registry.lesson(stem).notebook, as_version=4).cells if c.cell_type == "code"]
    for result in report["results"]:
        (lesson,) = result["lessons"]
        assert lesson["cells"] == len(cells) and not lesson["mismatches"], done.stdout
        assert result["spawn"] > 0 and lesson["kernel_peak_mb"] > 100, done.stdout
        assert result["peak_mb"] >= lesson["kernel_peak_mb"] and lesson["online"] is False, done.stdout
        assert 0 < lesson["first_output"] <= lesson["seconds"], done.stdout
    checked = {check["what"] for check in report["checks"] if check["passed"]}
    assert {"a wrong password is refused", "a request without a token is sent to the login page"} <= checked
    assert {
        "learner1's token cannot open learner2's server",
        "learner1's token cannot open learner2's kernel",
    } <= checked
    assert {"a content update keeps the learner's edit", "the shared MNIST cache is read, never written"} <= checked
    assert {"no learner's kernel reaches the internet", "nothing listens anywhere but 127.0.0.1"} <= checked
    assert not _still_running_in(report["folder"]) and not Path(report["folder"]).exists()


def _still_running_in(folder: str) -> list[str]:
    """The processes whose command line or working folder is in the rehearsal's folder."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        line, cwd = " ".join(process.info.get("cmdline") or []), process.info.get("cwd") or ""
        if folder in line or cwd.startswith(folder):
            found.append(line)
    return found
