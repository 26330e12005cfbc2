"""`make lab` as a learner meets it: JupyterLab on loopback, root-safe, one URL to open, no news prompt."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from mnist_lesson.paths import CHECKOUT

ROOT = CHECKOUT
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """tools/lab.py started as `make lab` starts it, without a browser; its printed lines so far; stopped after."""
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "tools.lab", "--no-browser", "--port", str(free_port())]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    yield process, lines
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def read_until_url(process, lines: list[str]) -> str:
    """The URL of the lesson, from the banner tools/lab.py prints once JupyterLab is up."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("    http://"):
            return line.strip()
    raise AssertionError("no URL printed within the time limit:\n" + "".join(lines))


def test_make_lab_prints_one_url_that_opens_the_lesson_and_stops_cleanly(lab):
    process, lines = lab
    url = read_until_url(process, lines)
    assert url.startswith("http://127.0.0.1:") and "/lab/tree/notebooks/01_mnist.ipynb?token=" in url
    assert ("--allow-root" in "".join(lines)) == (os.geteuid() == 0)  # said in one line, only as root

    with urllib.request.urlopen(url, timeout=30) as page:
        assert page.status == 200 and "JupyterLab" in page.read().decode()

    # The course's environment turns JupyterLab's news prompt off (README: a learner's first minutes).
    base, token = url.split("/lab/tree/")[0], url.split("token=")[1]
    settings_url = f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
    with urllib.request.urlopen(settings_url, timeout=30) as response:
        fetch_news = json.load(response)["schema"]["properties"]["fetchNews"]
    assert fetch_news["default"] == "false", fetch_news  # JupyterLab's own default is "none": ask the learner

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more: no server left running
        socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5)


def test_a_port_in_use_is_skipped_to_the_next_free_one(lab, tmp_path):
    process, lines = lab
    url = read_until_url(process, lines)
    port = int(url.split(":")[2].split("/")[0])
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime2"), PYTHONUNBUFFERED="1")
    second = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "lab.py"), "--no-browser", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        other = read_until_url(second, [])
        assert f":{port}/" not in other and other.startswith("http://127.0.0.1:")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
