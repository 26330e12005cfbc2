"""A real JupyterLab for the browser tests: started from this environment, always shut down."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mnist_lesson.paths import CHECKOUT
from tools.lessons import lessons

ROOT = CHECKOUT
CHROMIUM = Path(os.environ.get("MNIST_LESSON_CHROMIUM", "/usr/bin/chromium"))
#: Where the browser tests' screenshots go: build/ (gitignored, rebuilt at will), never a learner's artifacts/.
SCREENSHOTS = ROOT / "build" / "screenshots"
#: Every lesson's executed notebook, in order: what both browser tests read.
LESSONS = [each.notebook for each in lessons()]
SERVER_TIMEOUT = 60
# As root Chromium needs --no-sandbox; the rest keep it from calling home on a machine without network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# JupyterLab settings for the test only: every cell in the DOM (no virtual scrolling), and
# Markdown files open as Jupytext notebooks, as an instructor would set it up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
        "defaultViewers": {"markdown": "Jupytext Notebook"},
        "autosave": False,
    },
}


#: Strokes in the pad's 280 × 280 square, as a learner draws them: a vertical stroke reads as a 1, a closed loop
#: as a 0, in JupyterLab's pad and on the site's "Try it" page alike.
ONE_STROKE = [(140, 45 + 10 * step) for step in range(20)]
ZERO_LOOP = [(140 + 60 * math.sin(2 * math.pi * k / 40), 140 - 85 * math.cos(2 * math.pi * k / 40)) for k in range(41)]


def draw_with_mouse(page, canvas, points) -> None:
    """Press the mouse at the first point, move through the rest, release: one stroke, as a learner draws."""
    box = canvas.bounding_box()
    scale = box["width"] / 280  # points are in the pad's 280 × 280 square
    page.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=3)
    page.mouse.up()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def screenshot(page, name: str) -> Path:
    """Save what the page shows as build/screenshots/NAME.png, for a failure message to point at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def course_copy(tmp: Path) -> Path:
    """The lessons and their figures in a scratch folder, so a run in the browser never rewrites them."""
    root = tmp / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copy(ROOT / "jupytext.toml", root / "jupytext.toml")
    return root


class Lab:
    """JupyterLab started by the learner's own launcher (`make lab`'s tools/lab.py) on a copy of the course."""

    def __init__(self, root: Path, tmp: Path):
        self.root, self.port = root, free_port()
        self.log = tmp / "jupyterlab.log"
        settings = tmp / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            plugin, file = name.rsplit("/", 1)
            (settings / plugin).mkdir(parents=True, exist_ok=True)
            (settings / plugin / file).write_text(json.dumps(values))
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        command = [sys.executable, "-m", "tools.lab", "notebooks/01_mnist.ipynb", "--no-browser"]
        command += ["--port", str(self.port), "--root", str(root)]
        self.output = open(self.log, "w+")  # noqa: SIM115 - read while the server runs, closed in stop()
        # A session of its own, so that stopping it stops JupyterLab and its kernels too.
        self.process = subprocess.Popen(
            command, stdout=self.output, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )

    def wait_until_up(self) -> None:
        """Wait for the launcher's banner, and take the URL and token a learner would copy from it."""
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(
                r"^    (http://127\.0\.0\.1:(\d+))/lab/tree/\S+\?token=(\w+)$", self.log.read_text(), re.M
            )
            if found:
                self.url, port, self.token = found.group(1), int(found.group(2)), found.group(3)
                assert port == self.port, f"the launcher took port {port}, not {self.port}; its log is {self.log}"
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as reply:
                    assert reply.status == 200
                return
            time.sleep(0.5)
        if self.process.poll() is not None:
            pytest.fail(f"tools/lab.py exited with code {self.process.returncode} before its banner; log: {self.log}")
        pytest.fail(f"tools/lab.py printed no URL within {SERVER_TIMEOUT} s; its log is {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output.close()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (make test-browser)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def lab(tmp_path_factory, chromium_path):
    tmp = tmp_path_factory.mktemp("lab")
    server = Lab(course_copy(tmp), tmp)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


def figures_of(lesson: Path) -> int:
    """How many figures a lesson shows: images in its text, and images its cells stored."""
    cells = json.loads(lesson.read_text())["cells"]
    linked = sum("".join(c["source"]).count("](../book/images/") for c in cells if c["cell_type"] == "markdown")
    stored = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    return linked + stored
