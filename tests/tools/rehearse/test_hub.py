"""Tests of tools/rehearse/hub.py: the hub's configuration, where learners' models go, the hub's start, its proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_lesson import models
from mnist_lesson.paths import CHECKOUT
from tools.rehearse import LOOPBACK, RehearsalError, hub
from tools.rehearse.processes import Processes


def config(tmp_path: Path, ip: str = LOOPBACK, is_root: bool = False) -> str:
    return hub.hub_config(
        tmp_path, (8000, 8001, 8002), ["learner1"], "a-long-password", Path("/p/chp"), Path("/s/mnist.npz"), is_root, ip
    )


class _Config:
    """Stands in for traitlets' config object: any attribute is a section that takes any setting."""

    def __getattr__(self, name):
        section = _Config()
        object.__setattr__(self, name, section)
        return section


def read(text: str) -> _Config:
    """A configuration file's settings, read as JupyterHub reads the file: as Python."""
    namespace = {"c": _Config()}
    exec(text, namespace)
    return namespace["c"]


def test_the_hub_listens_on_loopback_only_and_refuses_anything_else(tmp_path):
    c = read(config(tmp_path))
    assert c.JupyterHub.ip == LOOPBACK and c.JupyterHub.hub_ip == LOOPBACK and c.Spawner.ip == LOOPBACK
    assert c.ConfigurableHTTPProxy.api_url == f"http://{LOOPBACK}:8002"
    assert (c.JupyterHub.port, c.JupyterHub.hub_port) == (8000, 8001)
    for address in ("0.0.0.0", "", "192.168.1.5", "localhost"):
        with pytest.raises(RehearsalError, match="listens on 127.0.0.1 only"):
            config(tmp_path, ip=address)


def test_the_learners_kernels_get_the_shared_cache_their_own_models_and_no_internet(tmp_path):
    c = read(config(tmp_path))
    environment = c.Spawner.environment
    assert environment["MNIST_LESSON_CACHE"] == "/s/mnist.npz"
    assert environment["MNIST_LESSON_MODEL"].startswith("~/")  # in each learner's home, never the checkout's
    assert environment["HTTPS_PROXY"] == hub.NO_INTERNET and "127.0.0.1" in environment["NO_PROXY"]
    assert c.Authenticator.allowed_users == {"learner1"}
    assert c.Spawner.args == []


def test_allow_root_is_passed_only_when_the_hub_runs_as_root(tmp_path):
    assert read(config(tmp_path, is_root=True)).Spawner.args == ["--allow-root"]


@pytest.mark.parametrize("stem", ["01_mnist", "03_convnets"])
def test_a_stand_in_lands_where_the_lessons_in_a_learners_kernel_look_for_it(tmp_path, monkeypatch, stem):
    # The hub gives each kernel $MNIST_LESSON_MODEL with a ~ for the learner's home; the lessons expand it.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(models.MODEL_ENV, read(config(tmp_path)).Spawner.environment[models.MODEL_ENV])
    assert models.trained_model_path(stem) == hub.learner_model(tmp_path, stem)


#: A stand-in hub: the first time the port it is given is "taken" (as configurable-http-proxy logs it), after
#: that it answers /hub/api on it; how often it was started is counted in a file beside its log.
FAKE_HUB = """
import http.server, pathlib, sys, time
port, count = int(sys.argv[1]), pathlib.Path(sys.argv[2])
starts = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(starts))
if starts <= int(sys.argv[3]):
    print(f"Error: listen EADDRINUSE: address already in use 127.0.0.1:{port}", flush=True)
    time.sleep(300)
class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/hub/api" else 404)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Api).serve_forever()
"""


@pytest.mark.parametrize(("taken", "tries"), [(0, 3), (1, 3), (2, 3)])
def test_a_hub_port_taken_before_the_hub_binds_it_means_new_ports_and_another_start(tmp_path, taken, tries):
    processes, said, count = Processes(), [], tmp_path / "starts"

    def configured(ports):
        return [sys.executable, "-c", FAKE_HUB, str(ports[0]), str(count), str(taken)]

    try:
        url = hub.start_hub(processes, configured, tmp_path / "hub.log", said.append, tries=tries, timeout=30)
    finally:
        processes.stop(grace=1)
    assert int(count.read_text()) == taken + 1
    assert url == said[-1].removeprefix("Starting JupyterHub on ").removesuffix(" ...")
    assert sum("taken meanwhile" in line for line in said) == taken


def test_a_hub_whose_ports_stay_taken_fails_after_its_tries_and_another_failure_at_once(tmp_path):
    processes, count = Processes(), tmp_path / "starts"

    def configured(ports):
        return [sys.executable, "-c", FAKE_HUB, str(ports[0]), str(count), "5"]

    try:
        with pytest.raises(RehearsalError, match="a port it was given was taken by another process, 2 times"):
            hub.start_hub(processes, configured, tmp_path / "hub.log", lambda _: None, tries=2, timeout=30)
        assert count.read_text() == "2"
        # A hub that fails for another reason is not started again.
        start = time.monotonic()
        with pytest.raises(RehearsalError, match="the process exited first"):
            hub.start_hub(processes, lambda p: [sys.executable, "-c", "raise SystemExit(1)"], tmp_path / "x.log")
        assert time.monotonic() - start < 20
    finally:
        processes.stop(grace=1)


def test_the_proxy_make_proxy_installs_is_the_one_its_lock_pins_with_hashes():
    folder = CHECKOUT / "tools" / "hub"
    asked = json.loads((folder / "package.json").read_text())["dependencies"]
    locked = json.loads((folder / "package-lock.json").read_text())["packages"]
    assert locked[""]["dependencies"] == asked  # the lock was made from this package.json (npm ci refuses otherwise)
    for name, version in asked.items():
        assert locked[f"node_modules/{name}"]["version"] == version, name  # an exact version, not a range
    unhashed = [path for path, entry in locked.items() if path and not entry.get("integrity", "").startswith("sha")]
    assert not unhashed, f"packages the lock pins without an integrity hash: {unhashed}"
    installed = hub.PROXY.parents[1] / "configurable-http-proxy" / "package.json"
    if installed.exists():  # `make proxy` ran: npm ci installed exactly the locked version
        version = json.loads(installed.read_text())["version"]
        assert version == locked["node_modules/configurable-http-proxy"]["version"]
    ignored = subprocess.run(["git", "-C", str(CHECKOUT), "check-ignore", "-q", str(hub.PROXY)], check=False)
    assert ignored.returncode == 0  # the installed proxy is never committed
