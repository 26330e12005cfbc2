"""Tests of tools/rehearse/processes.py: everything started is stopped, within bounds; waits that name what failed."""

from __future__ import annotations

import sys
import time

import psutil
import pytest

from tools.rehearse import LOOPBACK, RehearsalError
from tools.rehearse.ports import free_ports
from tools.rehearse.processes import Processes, wait_for


def test_stop_ends_every_process_started_and_their_children_within_its_bounds(tmp_path):
    processes = Processes()
    # A parent that ignores SIGTERM, with two children: only the bounded SIGKILL ends it.
    parent = processes.start(["sh", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], tmp_path / "log")
    wait_for("the children to start", lambda: len(psutil.Process(parent.pid).children()) == 2, 10)
    children = [p.pid for p in psutil.Process(parent.pid).children()]
    start = time.monotonic()
    ended = processes.stop(grace=1)
    assert time.monotonic() - start < 15
    assert parent.poll() is not None
    assert not [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert set(children) <= set(ended)  # they outlived the SIGTERM, so they are reported


def test_a_child_that_exits_before_stop_is_still_known_and_its_listening_socket_seen(tmp_path):
    processes = Processes()
    (port,) = free_ports(1)
    serve = f"import socket, time; s = socket.socket(); s.bind(({LOOPBACK!r}, {port})); s.listen(); time.sleep(300)"
    parent = processes.start(["sh", "-c", f'"{sys.executable}" -c "{serve}" & wait'], tmp_path / "log")
    try:
        wait_for("the child to listen", lambda: f"{LOOPBACK}:{port}" in _noted(processes), 20)
    finally:
        processes.stop(grace=1)
    assert parent.poll() is not None


def _noted(processes: Processes) -> list[str]:
    processes.note_descendants()
    return processes.listening()


def test_a_step_that_never_happens_fails_naming_it():
    with pytest.raises(RehearsalError, match="the thing to happen: not within 1 s"):
        wait_for("the thing to happen", lambda: False, 1, interval=0.1)


def test_a_wait_ends_at_once_when_its_process_exits_and_says_the_last_error():
    start = time.monotonic()
    with pytest.raises(RehearsalError, match="the server: the process exited first"):
        wait_for("the server", lambda: False, 60, alive=lambda: False)
    assert time.monotonic() - start < 5

    def refused() -> bool:
        raise ConnectionRefusedError("still starting")

    with pytest.raises(RehearsalError, match=r"last error: still starting"):
        wait_for("the server", refused, 0.5, interval=0.1)
