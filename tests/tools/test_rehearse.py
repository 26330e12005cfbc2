"""Tests of tools/rehearse.py: a class rehearsed on a loopback JupyterHub, and the pieces it is made of."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from mnist_lesson import data
from tests.conftest import REAL_CACHE, require_real_cache
from tools import rehearse

PROXY_MISSING = f"no configurable-http-proxy at {rehearse.PROXY}: `make proxy` installs it (make test does)"


def config(tmp_path: Path, ip: str = rehearse.LOOPBACK, is_root: bool = False) -> str:
    return rehearse.hub_config(
        tmp_path, (8000, 8001, 8002), ["learner1"], "a-long-password", Path("/p/chp"), Path("/s/mnist.npz"), is_root, ip
    )


def test_the_hub_listens_on_loopback_only_and_refuses_anything_else(tmp_path):
    text = config(tmp_path)
    assert "c.JupyterHub.ip = '127.0.0.1'" in text and "c.JupyterHub.hub_ip = '127.0.0.1'" in text
    assert "api_url = 'http://127.0.0.1:8002'" in text
    for address in ("0.0.0.0", "", "192.168.1.5", "localhost"):
        with pytest.raises(rehearse.RehearsalError, match="listens on 127.0.0.1 only"):
            config(tmp_path, ip=address)


def test_the_learners_kernels_get_the_shared_cache_their_own_models_and_no_internet(tmp_path):
    namespace = {"c": _Config()}
    exec(config(tmp_path), namespace)  # the config file is Python, as JupyterHub reads it
    environment = namespace["c"].Spawner.environment
    assert environment["MNIST_LESSON_CACHE"] == "/s/mnist.npz"
    assert environment["MNIST_LESSON_MODEL"].startswith("~/")  # in each learner's home, never the checkout's
    assert environment["HTTPS_PROXY"] == rehearse.NO_INTERNET and "127.0.0.1" in environment["NO_PROXY"]
    assert namespace["c"].Spawner.args == []


def test_allow_root_is_passed_only_when_the_hub_runs_as_root(tmp_path):
    namespace = {"c": _Config()}
    exec(config(tmp_path, is_root=True), namespace)
    assert namespace["c"].Spawner.args == ["--allow-root"]


class _Config:
    """Stands in for traitlets' config object: any attribute is a section that takes any setting."""

    def __getattr__(self, name):
        section = _Config()
        object.__setattr__(self, name, section)
        return section


def test_only_the_cells_nbval_compares_verbatim_are_compared():
    cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
        nbformat.v4.new_code_cell("fit()", metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell("score()", metadata={"tags": ["nbval-tolerance"]}),
        nbformat.v4.new_code_cell("2", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]),
    ]
    assert rehearse.verbatim_cells(nbformat.v4.new_notebook(cells=cells)) == {0: ("1\n", ""), 3: ("2", "")}


def test_outputs_split_across_messages_read_as_the_stored_ones():
    stored = [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]
    live = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
    ]
    assert rehearse.text_of(live) == rehearse.text_of(stored)
    failed = [{"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined", "traceback": []}]
    assert rehearse.text_of(failed) == ("", "NameError: name 'x' is not defined")


def test_stop_ends_every_process_started_and_their_children_within_its_bounds(tmp_path):
    processes = rehearse.Processes()
    # A parent that ignores SIGTERM, with two children: only the bounded SIGKILL ends it.
    parent = processes.start(["sh", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"], tmp_path / "log")
    rehearse.wait_for("the children to start", lambda: len(psutil.Process(parent.pid).children()) == 2, 10)
    children = [p.pid for p in psutil.Process(parent.pid).children()]
    start = time.monotonic()
    processes.stop(grace=1)
    assert time.monotonic() - start < 15
    assert parent.poll() is not None
    assert not [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


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
    processes, said, count = rehearse.Processes(), [], tmp_path / "starts"

    def configured(ports):
        return [sys.executable, "-c", FAKE_HUB, str(ports[0]), str(count), str(taken)]

    try:
        url = rehearse.start_hub(processes, configured, tmp_path / "hub.log", said.append, tries=tries, timeout=30)
    finally:
        processes.stop(grace=1)
    assert int(count.read_text()) == taken + 1
    assert url == said[-1].removeprefix("Starting JupyterHub on ").removesuffix(" ...")
    assert sum("taken meanwhile" in line for line in said) == taken


def test_a_hub_whose_ports_stay_taken_fails_after_its_tries_and_another_failure_at_once(tmp_path):
    processes, count = rehearse.Processes(), tmp_path / "starts"

    def configured(ports):
        return [sys.executable, "-c", FAKE_HUB, str(ports[0]), str(count), "5"]

    try:
        with pytest.raises(rehearse.RehearsalError, match="a port it was given was taken by another process, 2 times"):
            rehearse.start_hub(processes, configured, tmp_path / "hub.log", lambda _: None, tries=2, timeout=30)
        assert count.read_text() == "2"
        # A hub that fails for another reason is not started again.
        start = time.monotonic()
        with pytest.raises(rehearse.RehearsalError, match="the process exited first"):
            rehearse.start_hub(processes, lambda p: [sys.executable, "-c", "raise SystemExit(1)"], tmp_path / "x.log")
        assert time.monotonic() - start < 20
    finally:
        processes.stop(grace=1)


class FakeLearner:
    """A learner whose hub steps succeed at once, except the one named in `fails_at`."""

    def __init__(self, name, fails_at=None):
        self.name, self.fails_at, self.ran = name, fails_at, []

    def _step(self, step):
        if step == self.fails_at:
            raise rehearse.RehearsalError(f"{self.name}: {step} went wrong")

    def log_in(self):
        return 403 if self.fails_at == "log_in" else 302

    def start_server(self):
        self._step("start_server")

    def pull(self, *args):
        self._step("pull")

    def run_lesson(self, stem, expected, timeout):
        self._step(stem)
        time.sleep(0.2)  # the others are still running when one fails
        self.ran.append(stem)
        return rehearse.LessonRun(stem, stopped=stem == "01_mnist" and self.fails_at == "stopped")


@pytest.mark.parametrize("fails_at", ["log_in", "start_server", "pull", "01_mnist", "02_inference", "stopped"])
def test_one_learners_failure_is_reported_and_the_rest_of_the_class_goes_on(tmp_path, fails_at):
    import concurrent.futures
    import threading

    learners = [FakeLearner("learner1"), FakeLearner("learner2", fails_at), FakeLearner("learner3")]
    barrier, cancelled, stems = threading.Barrier(3), threading.Event(), ["01_mnist", "02_inference"]
    args = ("file:///repo", "main", stems, {s: {} for s in stems}, 60, barrier, None, tmp_path, cancelled)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda learner: rehearse.one_learner(learner, *args), learners))
    for learner, result in zip(learners, results, strict=True):
        if learner.fails_at is None:
            assert result.failure is None and learner.ran == stems, learner.name
            assert [run.stem for run in result.lessons] == stems
    failed = results[1]
    if fails_at == "stopped":
        # A lesson whose cell failed stops that learner's later lessons, which need what it makes.
        assert failed.failure is None and [run.stem for run in failed.lessons] == ["01_mnist"]
    else:
        assert failed.failure.startswith("RehearsalError: ")
        assert learners[1].ran == (stems[: stems.index(fails_at)] if fails_at in stems else [])


def test_a_step_that_never_happens_fails_naming_it():
    with pytest.raises(rehearse.RehearsalError, match="the thing to happen: not within 1 s"):
        rehearse.wait_for("the thing to happen", lambda: False, 1, interval=0.1)


def test_the_sizing_table_says_how_each_class_size_went(tmp_path):
    def run(learners, ratio):
        lesson = {
            "stem": "01_mnist",
            "seconds": 40.0 * ratio,
            "first_output": 3.0,
            "mismatches": [],
            "kernel_peak_mb": 700,
        }
        result = {"name": "l", "spawn": 9.0, "pull": 1.0, "lessons": [lesson], "peak_mb": 800.0, "failure": None}
        alone = {"lessons": [{"stem": "01_mnist", "seconds": 40.0}]}
        return {
            "learners": learners,
            "lessons": ["01_mnist"],
            "alone": alone,
            "results": [result] * learners,
            "checks": [{"what": "x", "passed": True, "detail": ""}],
            "seconds": 1,
            "machine": "2 cores",
            "date": "d",
        }

    text = rehearse.sizing_table([run(1, 1.0), run(4, 2.5)])
    assert "| 1 | 9.0, 9.0 | 3.0 | 1.0×, 1.0× | 700 | 800 | 1 passed, 0 failed |" in text
    assert "| 4 | 9.0, 9.0 | 3.0 | 2.5×, 2.5× | 700 | 800 | 4 passed, 0 failed |" in text
    # Learners who differ: the median and the largest of each, and a failed learner counted as one.
    mixed = run(3, 1.0)
    mixed["results"] = [
        _learner(spawn, ratio, fo) for spawn, ratio, fo in [(4.0, 1.5, 2.0), (6.0, 2.0, 5.0), (20.0, 4.0, 3.0)]
    ]
    mixed["results"][2]["failure"] = "RehearsalError: the kernel died"
    assert "| 3 | 6.0, 20.0 | 5.0 | 2.0×, 4.0× | 700 | 800 | 2 passed, 1 failed |" in rehearse.sizing_table([mixed])
    guide = tmp_path / "guide.md"
    guide.write_text(f"before\n{rehearse.BEGIN}\nold\n{rehearse.END}\nafter\n")
    rehearse.write_guide([run(1, 1.0)], guide)
    assert guide.read_text().startswith("before\n") and guide.read_text().endswith("after\n")
    assert "old" not in guide.read_text()
    guide.write_text("no markers")
    with pytest.raises(rehearse.RehearsalError, match="no generated sizing table"):
        rehearse.write_guide([run(1, 1.0)], guide)


def test_two_learners_rehearse_lesson_02_at_once_and_nobody_else_gets_in(tmp_path):
    # make test's short rehearsal: two learners at once, lesson 02 on lesson 01's untrained network, as
    # `make rehearse` runs it (in a network namespace where the machine allows one).
    require_real_cache()
    if not rehearse.PROXY.exists():
        if os.environ.get("MNIST_LESSON_REQUIRE_DATA"):
            pytest.fail(PROXY_MISSING)  # CI: make test installs it, so a missing proxy is a broken setup
        pytest.skip(PROXY_MISSING)
    out = tmp_path / "rehearsal.json"
    args = ["--learners", "2", "--lessons", "02_inference", "--stand-in", "--no-alone", "--json", str(out)]
    args += ["--cell-timeout", "120"]  # a stuck cell fails the test in minutes, never hangs make test
    env = {**os.environ, data.CACHE_ENV: str(REAL_CACHE)}
    done = subprocess.run(
        [sys.executable, "-m", "tools.rehearse", *args],
        cwd=rehearse.CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("2 passed, 0 failed; all 8 hub checks passed"), done.stdout
    report = json.loads(out.read_text())
    assert [r["name"] for r in report["results"]] == ["learner1", "learner2"]
    for result in report["results"]:
        (lesson,) = result["lessons"]
        assert lesson["cells"] == len(_code_cells("02_inference")) and not lesson["mismatches"], done.stdout
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


def _learner(spawn: float, ratio: float, first_output: float) -> dict:
    lesson = {"stem": "01_mnist", "seconds": 40.0 * ratio, "first_output": first_output, "mismatches": []}
    lesson["kernel_peak_mb"] = 700
    return {"name": "l", "spawn": spawn, "pull": 1.0, "lessons": [lesson], "peak_mb": 800.0, "failure": None}


class FakeSocket:
    """Stands in for a kernel's websocket: answers each request with the messages a test scripts."""

    def __init__(self, script):
        self.script, self.sent, self.timeout = script, [], None

    def send(self, text):
        self.sent.append(json.loads(text))
        self.pending = list(self.script(self.sent[-1]["header"]["msg_id"]))

    def settimeout(self, seconds):
        self.timeout = seconds

    def recv(self):
        import websocket

        if not self.pending:
            raise websocket.WebSocketTimeoutException("nothing more")
        return self.pending.pop(0)


def _message(kind, content, parent, channel="iopub"):
    return json.dumps({"header": {"msg_type": kind}, "parent_header": {"msg_id": parent} if parent else {},
                       "content": content, "channel": channel})  # fmt: skip


def _kernel(script, timeout=30.0) -> rehearse.Kernel:
    kernel = rehearse.Kernel.__new__(rehearse.Kernel)  # no server: the websocket is the fake one
    kernel.ws, kernel.timeout, kernel.client_session = FakeSocket(script), timeout, "session"
    return kernel


def test_a_cell_ends_at_its_reply_and_idle_in_either_order_keeping_only_its_own_outputs():
    def script(msg_id):
        yield _message("stream", {"name": "stdout", "text": "someone else's\n"}, "another-request")
        yield b"\x00binary buffers"
        yield _message("status", {"execution_state": "busy"}, msg_id)
        yield _message("stream", {"name": "stdout", "text": "4\n"}, msg_id)
        yield _message("status", {"execution_state": "idle"}, msg_id)  # idle before the reply, as may happen
        yield _message("execute_reply", {"status": "ok"}, msg_id, channel="shell")

    done = _kernel(script).execute("print(2 + 2)")
    assert done.status == "ok" and rehearse.text_of(done.outputs) == ("4\n", "")
    assert done.first_output is not None and done.first_output <= done.seconds


def test_a_kernel_that_dies_or_never_answers_fails_the_cell_naming_it():
    def dies(msg_id):
        yield _message("status", {"execution_state": "busy"}, msg_id)
        yield _message("status", {"execution_state": "restarting"}, None)  # the server's news has no parent

    with pytest.raises(rehearse.RehearsalError, match="the kernel died while running 'model.fit"):
        _kernel(dies).execute("model.fit(x_train)")

    def silent(msg_id):
        yield _message("status", {"execution_state": "busy"}, msg_id)

    with pytest.raises(rehearse.RehearsalError, match="a cell ran past 30 s"):
        _kernel(silent).execute("while True: pass")


def test_the_course_learners_pull_is_this_checkout_uncommitted_changes_included(tmp_path):
    repo, branch, commit = rehearse.snapshot(tmp_path)
    assert repo.name == rehearse.COURSE_DIR  # nbgitpuller clones it into a folder of that name, as from a host
    shown = subprocess.run(["git", "-C", str(repo), "show", f"{branch}:notebooks/01_mnist.md"], capture_output=True)
    assert shown.stdout == (rehearse.CHECKOUT / "notebooks" / "01_mnist.md").read_bytes()
    assert rehearse.lesson_at(commit, "02_inference").cells
    with pytest.raises(rehearse.RehearsalError, match="no lesson '99_nothing'"):
        rehearse.lesson_at(commit, "99_nothing")


def test_lesson_01s_stand_in_picks_its_own_backend_whatever_the_rehearsal_was_started_with(tmp_path, monkeypatch):
    started = {}

    class Recorded(rehearse.Processes):
        def start(self, args, log, **kwargs):
            started.update(kwargs, args=args)
            return subprocess.Popen(["true"])

    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    commit = rehearse.snapshot(tmp_path)[2]
    rehearse.stand_in_model(tmp_path, Recorded(), 60, commit)
    # The learners' kernels get no KERAS_BACKEND from the hub: lesson 01's first cell chooses, here as there.
    assert "KERAS_BACKEND" not in started["env"] and started["env"]["PATH"] == os.environ["PATH"]
    assert "--execute" in started["args"]


def _code_cells(stem: str) -> list:
    nb = nbformat.read(rehearse.CHECKOUT / "notebooks" / f"{stem}.ipynb", as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _still_running_in(folder: str) -> list[str]:
    """The processes whose command line or working folder is in the rehearsal's folder."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        line, cwd = " ".join(process.info.get("cmdline") or []), process.info.get("cwd") or ""
        if folder in line or cwd.startswith(folder):
            found.append(line)
    return found


def test_the_proxy_is_pinned_with_its_integrity_hashes():
    lock = (rehearse.CHECKOUT / "tools" / "hub" / "package-lock.json").read_text()
    assert (
        '"node_modules/configurable-http-proxy": {\n      "version": "5.3.0"' in lock
        and '"integrity": "sha512-' in lock
    )
    done = subprocess.run(["git", "-C", str(rehearse.CHECKOUT), "check-ignore", "-q", "build/hub"], check=False)
    assert done.returncode == 0  # the installed proxy is never committed
