"""A class rehearsed on loopback: a JupyterHub and simulated learners running lessons at once (make rehearse).

What an instructor's first lesson on a hub does, done by N simulated learners at the same time:
each logs in, starts a server, pulls the course with an nbgitpuller link (from a bare clone of
this checkout), opens the lessons and executes their code cells in a kernel of its own over
Jupyter's kernel protocol, with no internet and MNIST from one shared cache. It checks every
learner's outputs that do not depend on trained weights (the cells strict nbval compares verbatim)
against the stored ones, and that no cell fails; it measures each learner's spawn time, time to
first output, lesson times (against the same lessons run by one learner alone) and memory; it
checks that the hub lets in nobody who does not belong, and that a content update keeps a
learner's edit. Every process it started is stopped by PID, with bounded waits, also on failure.

The hub here is for rehearsal only: a shared password, servers that run as the user who started
it, and nothing listening anywhere but 127.0.0.1 (docs/jupyterhub.md says how a class's real hub
is set up).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import nbformat

from mnist_lesson import data
from mnist_lesson.models import MODEL_ENV
from mnist_lesson.paths import CHECKOUT

LOOPBACK = "127.0.0.1"
#: The proxy `make proxy` installs from tools/hub/package-lock.json.
PROXY = CHECKOUT / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
#: Where each learner's copy of the course lands in their home (nbgitpuller's targetpath).
COURSE_DIR = "mnist-lesson"
#: Each learner's own saved models, in their copy of the course, as docs/jupyterhub.md sets it for a class's hub
#: (the helper package's checkout is not theirs to write; git ignores artifacts/, so nbgitpuller leaves it alone).
LEARNER_MODEL = f"~/{COURSE_DIR}/artifacts/01_mnist.keras"
#: Cells whose outputs depend on trained weights or timings: nbval does not compare them verbatim either.
NOT_VERBATIM = {"nbval-tolerance", "nbval-ignore-output", "nbval-skip"}
#: Any address a kernel might fetch from goes to a port where nothing listens: kernels have no internet.
NO_INTERNET = "http://127.0.0.1:9"
PEAK_CODE = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
#: Run in each learner's kernel after a lesson: can it fetch from the internet (it must not)?
ONLINE_CODE = """import urllib.request
try:
    urllib.request.urlopen("https://pypi.org/simple/", timeout=10)
    print("online")
except Exception:
    print("offline")"""
#: Set inside the network namespace the rehearsal re-runs itself in: only loopback, no route anywhere else.
ISOLATED_ENV = "MNIST_LESSON_REHEARSAL_ISOLATED"


class RehearsalError(RuntimeError):
    """A step of the rehearsal failed; the message says which and what to do."""


# ----------------------------------------------------------------------------------------------
# The hub's configuration
# ----------------------------------------------------------------------------------------------


def hub_config(
    scratch: Path,
    ports: tuple[int, int, int],
    learners: Sequence[str],
    password: str,
    proxy: Path,
    shared_cache: Path,
    is_root: bool,
    ip: str = LOOPBACK,
) -> str:
    """The rehearsal hub's jupyterhub_config.py: loopback only, a shared password, local processes."""
    if ip != LOOPBACK:
        raise RehearsalError(
            f"the rehearsal hub listens on {LOOPBACK} only, not {ip!r}: its shared password and unisolated "
            "servers are not for a network. A class's hub is set up as docs/jupyterhub.md says."
        )
    public, hub, api = ports
    home = scratch / "home"
    environment = {
        data.CACHE_ENV: str(shared_cache),
        MODEL_ENV: LEARNER_MODEL,
        # No internet: anything a kernel fetches over HTTP(S) fails at once; the hub itself is on loopback.
        **{name: NO_INTERNET for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
        "NO_PROXY": f"{LOOPBACK},localhost",
        "no_proxy": f"{LOOPBACK},localhost",
        "PIP_NO_INDEX": "1",
    }
    singleuser = Path(sys.executable).with_name("jupyterhub-singleuser")
    lines = [
        "# Written by tools/rehearse.py for one rehearsal; deleted with it. Never for a real class.",
        f"c.JupyterHub.ip = {LOOPBACK!r}",
        f"c.JupyterHub.port = {public}",
        f"c.JupyterHub.hub_ip = {LOOPBACK!r}",
        f"c.JupyterHub.hub_port = {hub}",
        f"c.ConfigurableHTTPProxy.api_url = 'http://{LOOPBACK}:{api}'",
        f"c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]",
        f"c.ConfigurableHTTPProxy.pid_file = {str(scratch / 'proxy.pid')!r}",
        f"c.JupyterHub.db_url = 'sqlite:///{scratch / 'hub.sqlite'}'",
        f"c.JupyterHub.cookie_secret_file = {str(scratch / 'cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(scratch / 'hub.pid')!r}",
        "c.JupyterHub.cleanup_servers = True",
        "c.JupyterHub.cleanup_proxy = True",
        "c.JupyterHub.authenticator_class = 'shared-password'",
        f"c.SharedPasswordAuthenticator.user_password = {password!r}",
        f"c.Authenticator.allowed_users = {set(learners)!r}",
        "c.JupyterHub.spawner_class = 'jupyterhub.spawner.SimpleLocalProcessSpawner'",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(home / '{username}')!r}",
        f"c.Spawner.cmd = [{str(singleuser)!r}]",
        f"c.Spawner.ip = {LOOPBACK!r}",
        # As root, jupyter-server refuses to start without it, and the hub shows only an opaque 500.
        f"c.Spawner.args = {['--allow-root'] if is_root else []!r}",
        "c.Spawner.default_url = '/lab'",
        "c.Spawner.start_timeout = 180",
        "c.Spawner.http_timeout = 180",
        f"c.Spawner.environment = {environment!r}",
    ]
    return "\n".join(lines) + "\n"


def free_ports(count: int) -> tuple[int, ...]:
    """Ports on loopback that nothing listens on now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((LOOPBACK, 0))
            sockets.append(s)
        return tuple(s.getsockname()[1] for s in sockets)
    finally:
        for s in sockets:
            s.close()


# ----------------------------------------------------------------------------------------------
# Processes: started here, stopped here, by PID, with bounded waits
# ----------------------------------------------------------------------------------------------


class Processes:
    """Every process the rehearsal started, and their descendants, held as psutil processes; stops them all."""

    def __init__(self) -> None:
        self.known: dict[int, object] = {}  # pid -> psutil.Process, which refuses to signal a reused PID
        self.roots: list[subprocess.Popen] = []
        self._lock = threading.Lock()

    def start(self, args: Sequence[str], log: Path, **kwargs) -> subprocess.Popen:
        import psutil

        with open(log, "ab") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        self.roots.append(process)
        with self._lock, contextlib.suppress(psutil.Error):
            self.known[process.pid] = psutil.Process(process.pid)
        return process

    def note_descendants(self) -> None:
        """Remember every descendant of the started processes (proxy, servers, kernels); called once a second."""
        import psutil

        for root in self.roots:
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(root.pid).children(recursive=True):
                    with self._lock:
                        self.known.setdefault(child.pid, child)

    def listening(self) -> list[str]:
        """Every address one of the known processes listens on, as host:port."""
        import psutil

        found = []
        with self._lock:
            processes = list(self.known.values())
        for process in processes:
            with contextlib.suppress(psutil.Error):
                for connection in process.net_connections(kind="inet"):
                    if connection.status == psutil.CONN_LISTEN:
                        found.append(f"{connection.laddr.ip}:{connection.laddr.port}")
        return found

    def stop(self, grace: float = 15.0) -> list[int]:
        """SIGTERM the started processes, wait a bounded time, then end the rest; the PIDs that had to be ended."""
        import psutil

        self.note_descendants()
        for root in self.roots:
            with contextlib.suppress(ProcessLookupError):
                root.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for root in self.roots:
            with contextlib.suppress(subprocess.TimeoutExpired):
                root.wait(timeout=max(0.1, deadline - time.monotonic()))
        with self._lock:
            candidates = list(self.known.values())
        alive = []
        for process in candidates:
            with contextlib.suppress(psutil.Error):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.terminate()
        _, still = psutil.wait_procs(alive, timeout=5)
        for process in still:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(still, timeout=5)
        for root in self.roots:
            with contextlib.suppress(subprocess.TimeoutExpired):
                root.wait(timeout=1)
        return [p.pid for p in alive]


def wait_for(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    interval: float = 0.25,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll check() until it is true, or fail after timeout seconds (at once if alive() turns false) naming it."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RehearsalError(f"{what}: the process exited first")
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - a server still starting refuses connections
            last = exc
        time.sleep(interval)
    raise RehearsalError(f"{what}: not within {timeout:.0f} s" + (f" (last error: {last})" if last else ""))


def start_hub(
    processes: Processes,
    configured: Callable[[tuple[int, ...]], list[str]],
    log: Path,
    say: Callable[[str], None] = print,
    tries: int = 3,
    timeout: float = 90,
    cwd: Path | None = None,
) -> str:
    """Start the hub on free ports (configured(ports) writes its config, returns its command); its URL.

    Free ports are looked up, then taken by the hub: another process may take one in between (the other
    pytest worker starts servers and kernels). The hub's log then says EADDRINUSE, and the hub is started
    again on new ports, up to `tries` times; any other failure is raised at once.
    """
    import requests

    for attempt in range(tries):
        ports = free_ports(3)
        command = configured(ports)
        hub_url = f"http://{LOOPBACK}:{ports[0]}"
        say(f"Starting JupyterHub on {hub_url} ...")
        offset = log.stat().st_size if log.exists() else 0
        hub = processes.start(command, log, cwd=cwd)

        def taken(offset: int = offset) -> bool:
            return "EADDRINUSE" in log.read_bytes()[offset:].decode(errors="replace")

        def answers(url: str = hub_url) -> bool:
            return requests.get(f"{url}/hub/api", timeout=5).ok

        try:
            wait_for("JupyterHub to answer", answers, timeout, alive=lambda h=hub: h.poll() is None and not taken())
            return hub_url
        except RehearsalError:
            if not taken():
                raise
            if attempt == tries - 1:
                raise RehearsalError(
                    f"JupyterHub could not start: a port it was given was taken by another process, {tries} times "
                    f"running (its log: {log})"
                ) from None
            say("A port the hub was given was taken meanwhile; starting it again on others ...")
            hub.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                hub.wait(timeout=15)
    raise RehearsalError("JupyterHub did not start")  # not reached: the last try returns or raises


# ----------------------------------------------------------------------------------------------
# A kernel over Jupyter's kernel protocol (JSON messages on the server's websocket)
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Executed:
    """What one cell did in a learner's kernel."""

    outputs: list[dict]
    seconds: float
    first_output: float | None  # seconds from the request to its first output, if any
    status: str


class Kernel:
    """A kernel on a learner's server, opened as JupyterLab opens a notebook (a session), driven over its websocket."""

    def __init__(self, server: str, token: str, path: str, timeout: float) -> None:
        import requests
        import websocket

        self.server, self.headers, self.timeout = server, {"Authorization": f"token {token}"}, timeout
        made = requests.post(
            f"{server}/api/sessions",
            json={"path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": "python3"}},
            headers=self.headers,
            timeout=60,
        )
        if made.status_code != 201:
            raise RehearsalError(f"opening {path}: the server answered {made.status_code} {made.text[:200]}")
        self.session_id, self.id = made.json()["id"], made.json()["kernel"]["id"]
        self.client_session = uuid.uuid4().hex
        url = (
            server.replace("http://", "ws://", 1) + f"/api/kernels/{self.id}/channels?session_id={self.client_session}"
        )
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {token}"], timeout=timeout)

    def execute(self, code: str) -> Executed:
        """Run code as a cell; its outputs as nbformat outputs."""
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "username": "learner",
            "session": self.client_session,
            "msg_type": "execute_request",
            "version": "5.3",
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False}
        content["stop_on_error"] = True
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
        import websocket

        start = time.monotonic()
        deadline = start + self.timeout
        self.ws.send(json.dumps(message))
        outputs, first, status, idle = [], None, None, False
        while status is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RehearsalError(f"a cell ran past {self.timeout:.0f} s: {code[:80]!r}")
            self.ws.settimeout(left)
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                raise RehearsalError(f"a cell ran past {self.timeout:.0f} s: {code[:80]!r}") from None
            if isinstance(raw, bytes):
                continue  # binary frames carry buffers (widgets); no lesson sends any
            msg = json.loads(raw)
            kind, body = msg["header"]["msg_type"], msg["content"]
            # The server announces a kernel that died (out of memory, say) with no parent: never wait on a dead one.
            if kind == "status" and body.get("execution_state") in ("restarting", "dead"):
                raise RehearsalError(f"the kernel died while running {code[:80]!r} (out of memory?)")
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell" and kind == "execute_reply":
                status = body["status"]
            elif kind == "status" and body.get("execution_state") == "idle":
                idle = True
            elif kind in ("stream", "display_data", "execute_result", "error"):
                first = first if first is not None else time.monotonic() - start
                output = {"output_type": kind, **{k: v for k, v in body.items() if k != "transient"}}
                outputs.append(output)
        return Executed(outputs, time.monotonic() - start, first, status)

    def close(self) -> None:
        """Close the websocket; the kernel itself stays, as in a learner's JupyterLab."""
        with contextlib.suppress(Exception):
            self.ws.close()


def _stored(output: dict, count: int) -> dict:
    """A kernel message's content as an nbformat output."""
    kind = output["output_type"]
    if kind == "stream":
        return {"output_type": kind, "name": output.get("name", "stdout"), "text": output.get("text", "")}
    if kind == "error":
        keys = ("ename", "evalue", "traceback")
        return {"output_type": kind, **{k: output.get(k, [] if k == "traceback" else "") for k in keys}}
    stored = {"output_type": kind, "data": output.get("data", {}), "metadata": output.get("metadata", {})}
    if kind == "execute_result":
        stored["execution_count"] = count
    return stored


def text_of(outputs: Iterable[dict]) -> tuple[str, str]:
    """(stdout and results, stderr) of a cell's outputs, as one string each, in order."""
    shown, errors = [], []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            (errors if output.get("name") == "stderr" else shown).append(text)
        elif kind in ("display_data", "execute_result"):
            plain = output.get("data", {}).get("text/plain", "")
            shown.append("".join(plain) if isinstance(plain, list) else plain)
        elif kind == "error":
            errors.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "".join(shown), "".join(errors)


def verbatim_cells(nb: nbformat.NotebookNode) -> dict[int, tuple[str, str]]:
    """The code cells strict nbval compares verbatim (index among code cells → their stored text)."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    return {
        i: text_of(cell.get("outputs", []))
        for i, cell in enumerate(code)
        if not NOT_VERBATIM & set(cell.get("metadata", {}).get("tags", []))
    }


# ----------------------------------------------------------------------------------------------
# One learner
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class LessonRun:
    """One lesson as one learner ran it."""

    stem: str
    seconds: float = 0.0
    first_output: float | None = None
    kernel_peak_mb: float | None = None
    cells: int = 0
    mismatches: list[str] = dataclasses.field(default_factory=list)
    stopped: bool = False  # a cell failed, so the rest of the lesson did not run
    online: bool | None = None  # whether the kernel could fetch a web page after the lesson
    outputs: list[list[dict]] = dataclasses.field(default_factory=list, repr=False)  # per code cell, as stored

    def as_json(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "outputs"}


@dataclasses.dataclass
class LearnerResult:
    """What one simulated learner did and measured."""

    name: str
    spawn: float | None = None
    pull: float | None = None
    lessons: list[LessonRun] = dataclasses.field(default_factory=list)
    peak_mb: float | None = None  # the learner's server and kernels together, at their highest
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and all(not run.mismatches for run in self.lessons)

    def as_json(self) -> dict:
        return {**{k: getattr(self, k) for k in ("name", "spawn", "pull", "peak_mb", "failure")},
                "lessons": [run.as_json() for run in self.lessons]}  # fmt: skip


class Learner:
    """A simulated learner: a browser's cookies on the hub, then a token for their own server."""

    def __init__(self, hub: str, name: str, password: str, timeout: float) -> None:
        import requests

        self.hub, self.name, self.password, self.timeout = hub, name, password, timeout
        self.http = requests.Session()
        self.token: str | None = None

    @property
    def server(self) -> str:
        return f"{self.hub}/user/{self.name}"

    def _xsrf(self) -> dict:
        return {"X-XSRFToken": self.hub_xsrf()}

    def hub_xsrf(self) -> str:
        """The hub's own _xsrf cookie (the learner's server sets another one, for its own path, once visited)."""
        cookies = [c for c in self.http.cookies if c.name == "_xsrf"]
        cookies.sort(key=lambda c: not (c.path or "/").startswith("/hub"))  # the hub's first
        return cookies[0].value if cookies else ""

    def log_in(self, password: str | None = None) -> int:
        """Post the login form as a browser does; the status code of the answer (302 when let in)."""
        self.http.get(f"{self.hub}/hub/login", timeout=30)
        form = {
            "username": self.name,
            "password": password or self.password,
            "_xsrf": self.hub_xsrf(),
        }
        return self.http.post(f"{self.hub}/hub/login", data=form, allow_redirects=False, timeout=60).status_code

    def start_server(self) -> None:
        """Ask the hub for this learner's server and wait until it is ready."""
        started = self.http.post(f"{self.hub}/hub/api/users/{self.name}/server", headers=self._xsrf(), timeout=60)
        if started.status_code not in (201, 202, 400):  # 400: already running
            raise RehearsalError(
                f"{self.name}: the hub refused to start a server ({started.status_code} {started.text[:200]})"
            )

        def ready() -> bool:
            user = self.http.get(f"{self.hub}/hub/api/users/{self.name}", headers=self._xsrf(), timeout=30).json()
            return bool(user.get("servers", {}).get("", {}).get("ready"))

        wait_for(f"{self.name}'s server to be ready", ready, self.timeout)
        made = self.http.post(
            f"{self.hub}/hub/api/users/{self.name}/tokens",
            json={"note": "rehearsal", "expires_in": 7200},
            headers=self._xsrf(),
            timeout=30,
        )
        if made.status_code != 201:
            raise RehearsalError(f"{self.name}: no API token ({made.status_code} {made.text[:200]})")
        self.token = made.json()["token"]

    def headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def stop_server(self) -> None:
        """Stop this learner's server (File → Hub Control Panel → Stop My Server) and wait until it has stopped."""
        self.http.delete(f"{self.hub}/hub/api/users/{self.name}/server", headers=self._xsrf(), timeout=60)

        def stopped() -> bool:
            user = self.http.get(f"{self.hub}/hub/api/users/{self.name}", headers=self._xsrf(), timeout=30).json()
            return "" not in user.get("servers", {})

        wait_for(f"{self.name}'s server to stop", stopped, 60)

    def pull(self, repo: str, branch: str, stem: str = "01_mnist") -> None:
        """Click the course's nbgitpuller link for a lesson, as the website's launch button makes it."""
        import requests

        link = f"{self.hub}/hub/user-redirect/git-pull?" + urllib.parse.urlencode(
            {"repo": repo, "branch": branch, "urlpath": f"lab/tree/{COURSE_DIR}/notebooks/{stem}.ipynb"}
        )
        # The hub sends the browser on to the learner's own server, which logs them in through the hub (OAuth).
        page = self.http.get(link, timeout=60)
        landed = urllib.parse.urlparse(page.url).path
        if page.status_code != 200 or landed != f"/user/{self.name}/git-pull":
            raise RehearsalError(f"{self.name}: the nbgitpuller link ended at {landed} with {page.status_code}")
        # The page's script then streams the pull from nbgitpuller's API: the same request, with the learner's token.
        query = urllib.parse.urlencode({"repo": repo, "branch": branch})
        phase, last = None, ""
        with requests.get(
            f"{self.server}/git-pull/api?{query}", headers=self.headers(), stream=True, timeout=120
        ) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    phase = event.get("phase", phase)
                    last = event.get("output", event.get("message", last))
                    if phase in ("finished", "error"):
                        break
        if phase != "finished":
            raise RehearsalError(f"{self.name}: nbgitpuller did not finish ({phase}): {str(last).strip()[-300:]}")

    def contents(self, path: str) -> dict:
        import requests

        got = requests.get(f"{self.server}/api/contents/{path}", headers=self.headers(), timeout=60)
        got.raise_for_status()
        return got.json()["content"]

    def save(self, path: str, notebook: dict) -> None:
        import requests

        body = {"type": "notebook", "format": "json", "content": notebook}
        requests.put(
            f"{self.server}/api/contents/{path}", json=body, headers=self.headers(), timeout=60
        ).raise_for_status()

    def run_lesson(self, stem: str, expected: dict[int, tuple[str, str]], cell_timeout: float) -> LessonRun:
        """Open a lesson from the learner's copy and run its code cells in order, as Run All does."""
        path = f"{COURSE_DIR}/notebooks/{stem}.ipynb"
        notebook = self.contents(path)
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        run = LessonRun(stem)
        start = time.monotonic()
        kernel = Kernel(self.server, self.token, path, cell_timeout)
        try:
            for i, cell in enumerate(code):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                done = kernel.execute(source)
                run.cells += 1
                run.outputs.append([_stored(output, i + 1) for output in done.outputs])
                if run.first_output is None and done.first_output is not None:
                    run.first_output = time.monotonic() - start - done.seconds + done.first_output
                if done.status != "ok":
                    _, error = text_of(done.outputs)
                    run.mismatches.append(f"{stem} code cell {i}: {done.status}: {error.strip()[-300:]}")
                    run.stopped = True
                    break
                if i in expected and text_of(done.outputs) != expected[i]:
                    run.mismatches.append(f"{stem} code cell {i}: its output differs from the stored one")
            run.seconds = time.monotonic() - start
            # JupyterLab saves the notebook with what the learner's run printed: the .ipynb is theirs from now on.
            for i, (cell, outputs) in enumerate(zip(code, run.outputs)):
                cell["outputs"], cell["execution_count"] = outputs, i + 1
            self.save(path, notebook)
            peak = kernel.execute(PEAK_CODE)
            shown, _ = text_of(peak.outputs)
            run.kernel_peak_mb = int(shown.strip()) / 1024 if shown.strip().isdigit() else None
            shown, _ = text_of(kernel.execute(ONLINE_CODE).outputs)
            run.online = shown.strip() != "offline"
        finally:
            kernel.close()
        return run


def home_of(scratch: Path, name: str) -> Path:
    return scratch / "home" / name


class MemoryWatch:
    """Samples each learner's processes (server and kernels) once a second; keeps their highest total memory."""

    def __init__(self, homes: dict[str, Path], processes: Processes | None = None) -> None:
        self.homes = {name: str(home) for name, home in homes.items()}
        self.peak: dict[str, float] = dict.fromkeys(homes, 0.0)
        self.processes = processes  # whose descendants it notes as it goes, so that none is missed at the end
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            if self.processes is not None:
                self.processes.note_descendants()
            totals = dict.fromkeys(self.homes, 0.0)
            for process in psutil.process_iter(["cwd", "memory_info"]):
                cwd, memory = process.info.get("cwd") or "", process.info.get("memory_info")
                for name, home in self.homes.items():
                    if memory and (cwd == home or cwd.startswith(home + os.sep)):
                        totals[name] += memory.rss / 2**20
            for name, total in totals.items():
                self.peak[name] = max(self.peak[name], total)


# ----------------------------------------------------------------------------------------------
# The rehearsal
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    """Everything a rehearsal measured and checked."""

    learners: int
    lessons: list[str]
    alone: LearnerResult | None
    results: list[LearnerResult]
    checks: list[tuple[str, bool, str]]  # (what, passed, detail)
    seconds: float
    folder: str  # the rehearsal's scratch folder, removed at its end: nothing may still run in it
    notes: list[str] = dataclasses.field(default_factory=list)  # what could not be checked, and why

    @property
    def failed(self) -> int:
        alone = [self.alone] if self.alone else []
        return sum(not r.passed for r in alone + self.results) + sum(not ok for _, ok, _ in self.checks)

    def as_json(self) -> dict:
        return {
            "learners": self.learners,
            "lessons": self.lessons,
            "alone": self.alone.as_json() if self.alone else None,
            "results": [r.as_json() for r in self.results],
            "checks": [{"what": w, "passed": ok, "detail": d} for w, ok, d in self.checks],
            "notes": self.notes,
            "seconds": self.seconds,
            "folder": self.folder,
            "machine": machine(),
            "versions": versions(),
            "date": time.strftime("%Y-%m-%d"),
        }


def versions() -> dict[str, str]:
    """The versions of what a rehearsal runs, for the record."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("jupyterhub", "jupyter-server", "jupyterlab", "nbgitpuller", "keras", "jax", "tensorflow"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def machine() -> str:
    """Cores, processor and memory of this machine, for the record."""
    model = "unknown processor"
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = found.group(1).strip() if found else model
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {model}, {memory:.0f} GB"


def shared_mnist(scratch: Path, source: Path | None = None) -> tuple[Path, str]:
    """A read-only copy of the verified MNIST cache, as a hub's shared data folder holds it; its SHA-256."""
    source = source or data.default_cache_path()
    if not source.exists():
        raise RehearsalError(f"no MNIST cache at {source}: run `make data` first")
    folder = scratch / "shared"
    folder.mkdir()
    cache = folder / "mnist.npz"
    shutil.copyfile(source, cache)
    cache.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return cache, data.sha256_file(cache)


def snapshot(scratch: Path) -> tuple[Path, str, str]:
    """This checkout's course, committed or not, as a bare repository for nbgitpuller: (repository, branch, commit)."""

    def git(*args: str) -> str:
        # An identity of its own: `git stash create` makes a commit, and a fresh clone (CI) may have none set.
        who = ["-c", "user.name=mnist-lesson rehearsal", "-c", "user.email=rehearsal@localhost"]
        return subprocess.run(
            ["git", *who, "-C", str(CHECKOUT), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        # Uncommitted changes to tracked files too, as `make test` checks a change before it is committed.
        commit = git("stash", "create").strip() or git("rev-parse", "HEAD").strip()
        branch = git("rev-parse", "--abbrev-ref", "HEAD").strip()
        branch = "main" if branch == "HEAD" else branch
        repo = scratch / "remote" / COURSE_DIR  # nbgitpuller clones it into a folder of this name, as from a host
        subprocess.run(["git", "init", "--quiet", "--bare", str(repo)], check=True, capture_output=True)
        git("push", "--quiet", str(repo), f"{commit}:refs/heads/{branch}")
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        raise RehearsalError(f"could not make the course's repository from {CHECKOUT} with git: {detail}") from None
    return repo, branch, commit


def lesson_at(commit: str, stem: str) -> nbformat.NotebookNode:
    """A lesson's .ipynb as that commit holds it."""
    shown = subprocess.run(
        ["git", "-C", str(CHECKOUT), "show", f"{commit}:notebooks/{stem}.ipynb"], capture_output=True, text=True
    )
    if shown.returncode != 0:
        raise RehearsalError(f"no lesson {stem!r} in the course (notebooks/{stem}.ipynb): name one of notebooks/")
    return nbformat.reads(shown.stdout, as_version=4)


def stand_in_model(scratch: Path, processes: Processes, timeout: float, commit: str) -> Callable[[], Path]:
    """Start building lesson 01's network at its starting weights; the function returned waits and gives its path."""
    # Lesson 01's own code cells up to its fit cell, then a save: its layers and names exactly, untrained.
    code = [cell.source for cell in lesson_at(commit, "01_mnist").cells if cell.cell_type == "code"]
    upto = next((i for i, cell in enumerate(code) if "model.fit(" in cell), None)
    if upto is None:
        raise RehearsalError("lesson 01 has no cell with model.fit(: the stand-in is built from the cells before it")
    path = scratch / "stand-in" / "01_mnist.keras"
    path.parent.mkdir()
    cells = [nbformat.v4.new_code_cell(cell) for cell in code[:upto]]
    cells.append(nbformat.v4.new_code_cell(f"model.save({str(path)!r})"))
    notebook = scratch / "stand-in" / "stand_in.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    args = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output", "ran.ipynb"]
    args += [f"--ExecutePreprocessor.timeout={int(timeout)}", str(notebook)]
    log = scratch / "stand-in" / "nbconvert.log"
    # Lesson 01 picks its own backend here, as in the learners' kernels (the hub passes them no KERAS_BACKEND):
    # a network saved under another backend would load in lesson 02 with a warning its stored outputs lack.
    env = {name: value for name, value in os.environ.items() if name != "KERAS_BACKEND"}
    made = processes.start(args, log, cwd=notebook.parent, env=env)  # the lessons find their files from anywhere

    def built() -> Path:
        try:
            made.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RehearsalError(f"building lesson 01's stand-in took over {timeout:.0f} s") from None
        if made.returncode != 0 or not path.exists():
            raise RehearsalError(f"building lesson 01's stand-in failed: see {log}")
        return path

    return built


def one_learner(
    learner: Learner,
    repo: str,
    branch: str,
    lessons: Sequence[str],
    expected: dict[str, dict[int, tuple[str, str]]],
    cell_timeout: float,
    barrier: threading.Barrier | None,
    stand_in: Path | None,
    home: Path,
    cancelled: threading.Event,
) -> LearnerResult:
    """Everything one learner does, from the login page to the last cell of the last lesson."""
    result = LearnerResult(learner.name)
    try:
        if barrier is not None:
            barrier.wait(timeout=120)  # everyone starts at once, as at the beginning of a class
        start = time.monotonic()
        status = learner.log_in()
        if status != 302:
            raise RehearsalError(f"login with the right password answered {status}, not a redirect")
        learner.start_server()
        result.spawn = time.monotonic() - start
        start = time.monotonic()
        learner.pull(repo, branch, lessons[0])
        result.pull = time.monotonic() - start
        if stand_in is not None:
            target = Path(LEARNER_MODEL.replace("~", str(home), 1))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stand_in, target)
        for stem in lessons:
            if cancelled.is_set():
                raise RehearsalError("stopped: the rehearsal was interrupted")
            result.lessons.append(learner.run_lesson(stem, expected[stem], cell_timeout))
            if result.lessons[-1].stopped:
                break  # later lessons need what this one makes
    except Exception as exc:  # noqa: BLE001 - one learner's failure is reported, the others go on
        result.failure = f"{type(exc).__name__}: {exc}"
    return result


def checked(what: str, check: Callable[[], tuple[bool, str]]) -> tuple[str, bool, str]:
    """One hub check: (what, passed, detail); an exception is a failed check that says what happened."""
    try:
        ok, detail = check()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run has failed, and says why
        return what, False, f"could not be checked: {type(exc).__name__}: {exc}"
    return what, ok, detail


def security_checks(hub: str, first: Learner, second: Learner | None, password: str) -> list[tuple[str, bool, str]]:
    """Nobody gets in who does not belong: a wrong password, no token, another learner's token."""
    import requests
    import websocket

    def wrong_password() -> tuple[bool, str]:
        status = Learner(hub, first.name, password, 30).log_in(password="not-the-password")
        return status == 403, f"the hub answered {status}"

    def no_token() -> tuple[bool, str]:
        path = urllib.parse.urlparse(requests.get(f"{first.server}/lab", timeout=30).url).path
        return path == "/hub/login", f"landed on {path}"

    checks = [
        checked("a wrong password is refused", wrong_password),
        checked("a request without a token is sent to the login page", no_token),
    ]
    if second is None:
        return checks

    def server() -> tuple[bool, str]:
        answer = requests.get(
            f"{second.server}/api/kernels", headers=first.headers(), timeout=30, allow_redirects=False
        )
        return answer.status_code == 403, str(answer.status_code)

    def kernel() -> tuple[bool, str]:
        kernels = requests.get(f"{second.server}/api/kernels", headers=second.headers(), timeout=30).json()
        if not kernels:
            return False, f"{second.name} has no kernel to try"
        url = second.server.replace("http://", "ws://", 1) + f"/api/kernels/{kernels[0]['id']}/channels"
        try:
            websocket.create_connection(url, header=[f"Authorization: token {first.token}"], timeout=30).close()
            code = 101
        except websocket.WebSocketBadStatusException as exc:
            code = exc.status_code
        return code == 403, str(code)

    checks.append(checked(f"{first.name}'s token cannot open {second.name}'s server", server))
    checks.append(checked(f"{first.name}'s token cannot open {second.name}'s kernel", kernel))
    return checks


def content_update(learner: Learner, repo: Path, branch: str, scratch: Path, stem: str) -> tuple[bool, str]:
    """A learner edits a cell, the instructor changes another cell of that lesson upstream, the learner pulls again."""
    path = f"{COURSE_DIR}/notebooks/{stem}.ipynb"
    notebook = learner.contents(path)  # with the outputs of the learner's own run, saved after it
    code = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"]
    markdown = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "markdown"]
    if not code or not markdown:
        return False, f"{stem} needs a code cell and a text cell for this check"
    mine, theirs = code[-1], markdown[0]
    note = "# my own note, written during the lesson\n"
    source = notebook["cells"][mine]["source"]
    notebook["cells"][mine]["source"] = note + ("".join(source) if isinstance(source, list) else source)
    learner.save(path, notebook)
    # The instructor's update, in a working clone of the course's repository, pushed to it.
    work = scratch / "instructor"
    git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid"]
    subprocess.run(["git", "clone", "--quiet", "--branch", branch, str(repo), str(work)], check=True)
    lesson_file = work / "notebooks" / f"{stem}.ipynb"
    upstream = nbformat.read(lesson_file, as_version=4)
    update = "\n\n*Updated by the instructor after the class began.*"
    upstream.cells[theirs].source += update
    nbformat.write(upstream, lesson_file)
    # As `make sync` does: the paired .md gets the change too (JupyterLab reads a paired lesson's text from it).
    jupytext = Path(sys.executable).with_name("jupytext")
    subprocess.run([str(jupytext), "--sync", "--quiet", str(lesson_file)], check=True, capture_output=True)
    subprocess.run([*git, "-C", str(work), "commit", "--quiet", "-am", "An update during the class"], check=True)
    subprocess.run(["git", "-C", str(work), "push", "--quiet", "origin", branch], check=True)
    learner.pull(f"file://{repo}", branch, stem)
    after = learner.contents(path)
    kept = "".join(after["cells"][mine]["source"]).startswith(note.strip())
    arrived = "".join(after["cells"][theirs]["source"]).endswith(update.strip())
    detail = f"the learner's edit {'kept' if kept else 'lost'}; "
    detail += f"the instructor's change {'arrived' if arrived else 'did not arrive'}"
    return kept and arrived, detail


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def rehearse(
    count: int,
    lessons: Sequence[str],
    alone: bool = True,
    stand_in: bool = False,
    cell_timeout: float = 900,
    proxy: Path = PROXY,
    keep: bool = False,
    update: bool = True,
    say: Callable[[str], None] = print,
    cache: Path | None = None,
) -> Report:
    """Run a whole rehearsal and stop everything it started, whatever happens."""
    if count < 1:
        raise RehearsalError(f"LEARNERS must be 1 or more, not {count}")
    if not lessons:
        raise RehearsalError("name at least one lesson to rehearse")
    if not Path(proxy).exists():
        raise RehearsalError(f"no configurable-http-proxy at {proxy}: run `make proxy` (Node.js and npm) first")
    began = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="mnist-lesson-rehearsal-"))
    processes = Processes()
    checks: list[tuple[str, bool, str]] = []
    notes: list[str] = []
    cancelled = threading.Event()
    pool = None
    failed = True
    if threading.current_thread() is threading.main_thread():
        # A terminal closed or a CI job cancelled: stop everything, as Ctrl-C does.
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _raise_interrupt)
    try:
        shared_cache, cache_sha = shared_mnist(scratch, cache)
        repo, branch, commit = snapshot(scratch)
        expected = {stem: verbatim_cells(lesson_at(commit, stem)) for stem in lessons}
        names = [f"learner{i + 1}" for i in range(count)]
        everyone = (["alone"] if alone else []) + names
        password = secrets.token_urlsafe(12)
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        config = scratch / "jupyterhub_config.py"
        model, building = None, None
        if stand_in:
            say("Building lesson 01's network at its starting weights, for lesson 02 to load ...")
            building = stand_in_model(scratch, processes, cell_timeout, commit)  # while the hub starts

        def configured(ports: tuple[int, ...]) -> list[str]:
            config.write_text(
                hub_config(scratch, ports, everyone, password, Path(proxy).resolve(), shared_cache, is_root)
            )
            return [sys.executable, "-m", "jupyterhub", "-f", str(config)]

        hub_url = start_hub(processes, configured, scratch / "hub.log", say, cwd=scratch)
        if building is not None:
            model = building()
        repo_url = f"file://{repo}"

        def run(name: str, barrier: threading.Barrier | None) -> tuple[Learner, LearnerResult]:
            learner = Learner(hub_url, name, password, timeout=300)
            home = home_of(scratch, name)
            args = (repo_url, branch, lessons, expected, cell_timeout, barrier, model, home, cancelled)
            return learner, one_learner(learner, *args)

        solo, solo_learner = None, None
        with MemoryWatch({name: home_of(scratch, name) for name in everyone}, processes) as watch:
            if alone:
                say(f"One learner alone: {', '.join(lessons)} ...")
                solo_learner, solo = run("alone", None)
                solo.peak_mb = watch.peak["alone"]
                if count > 1:
                    # Its server and kernels would take memory and time from the class: stop them first.
                    solo_learner.stop_server()
            say(f"{count} learners at once: log in, start a server, pull the course, run {', '.join(lessons)} ...")
            barrier = threading.Barrier(count)
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=count)
            futures = [pool.submit(run, name, barrier) for name in names]
            done = [future.result() for future in futures]
        learners, results = [learner for learner, _ in done], [result for _, result in done]
        for result in results:
            result.peak_mb = watch.peak[result.name]
        # A second learner with a server and a kernel: another of the class, or the one who ran alone.
        second = learners[1] if count > 1 else (solo_learner if solo_learner and solo_learner.token else None)
        if second is None:
            notes.append("one learner's token against another's server and kernel: not checked, one learner only")
        checks += security_checks(hub_url, learners[0], second, password)
        addresses = processes.listening()
        outside = sorted(a for a in addresses if not a.startswith(f"{LOOPBACK}:"))
        detail = f"{len(addresses)} listening sockets" + (
            f"; outside loopback: {', '.join(outside)}" if outside else ""
        )
        checks.append(("nothing listens anywhere but 127.0.0.1", bool(addresses) and not outside, detail))
        if update and learners[0].token:
            checks.append(checked("a content update keeps the learner's edit",
                                  lambda: content_update(learners[0], repo, branch, scratch, lessons[0])))  # fmt: skip
        unchanged = data.sha256_file(shared_cache) == cache_sha
        unchanged = unchanged and sorted(p.name for p in shared_cache.parent.iterdir()) == ["mnist.npz"]
        checks.append(("the shared MNIST cache is read, never written", unchanged, str(shared_cache)))
        runs = [run for result in results + ([solo] if solo else []) for run in result.lessons]
        online = [run.stem for run in runs if run.online is not False]
        how = "a network namespace with loopback only" if os.environ.get(ISOLATED_ENV) else "HTTP(S) to a dead proxy"
        checks.append(("no learner's kernel reaches the internet", bool(runs) and not online, how))
        report = Report(count, list(lessons), solo, results, checks, time.monotonic() - began, str(scratch), notes)
        failed = report.failed > 0
        return report
    finally:
        cancelled.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        killed = processes.stop()
        if killed:
            say(f"Stopped {len(killed)} processes that outlived the hub: PIDs {', '.join(map(str, killed))}")
        if keep or failed:
            say(f"Kept the rehearsal's folder, with the hub's log: {scratch}")
        else:
            with contextlib.suppress(OSError):
                (scratch / "shared").chmod(0o755)
            shutil.rmtree(scratch, ignore_errors=True)


def table(report: Report) -> str:
    """The rehearsal's per-learner table, in Markdown, its checks and its closing line."""
    # Ratios only against a run alone that went through: a stopped one would make them meaningless.
    usable = report.alone is not None and report.alone.passed
    alone = {run.stem: run.seconds for run in report.alone.lessons} if usable else {}
    head = ["learner", "spawn, s", "pull, s", "first output, s"]
    for stem in report.lessons:
        head.append(f"{stem}, s" + (" (× alone)" if alone else ""))
    head += ["kernel peak, MB", "learner's peak, MB", "result"]
    rows = []
    for result in ([report.alone] if report.alone else []) + report.results:
        runs = {run.stem: run for run in result.lessons}
        first = result.lessons[0].first_output if result.lessons else None
        row = [result.name, _f(result.spawn), _f(result.pull), _f(first)]
        for stem in report.lessons:
            run = runs.get(stem)
            cell = _f(run.seconds if run else None)
            if run and alone.get(stem) and result is not report.alone:
                cell += f" ({run.seconds / alone[stem]:.1f}×)"
            row.append(cell)
        peaks = [run.kernel_peak_mb for run in result.lessons if run.kernel_peak_mb]
        row += [_f(max(peaks) if peaks else None, 0), _f(result.peak_mb, 0)]
        problems = ([result.failure] if result.failure else []) + [m for run in result.lessons for m in run.mismatches]
        row.append("passed" if not problems else "FAILED: " + "; ".join(problems))
        rows.append(row)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines += [f"- {'passed' if ok else 'FAILED'}: {what} ({detail})" for what, ok, detail in report.checks]
    lines += [f"- not checked: {note}" for note in report.notes]
    everyone = ([report.alone] if report.alone else []) + report.results
    passed = sum(r.passed for r in everyone)
    failed_checks = sum(not ok for _, ok, _ in report.checks)
    lines.append("")
    closing = f"{passed} passed, {len(everyone) - passed} failed"
    closing += f"; {failed_checks} of {len(report.checks)} hub checks failed" if failed_checks else ""
    closing += "" if failed_checks else f"; all {len(report.checks)} hub checks passed"
    lines.append(f"{closing} ({report.seconds:.0f} s)")
    return "\n".join(lines)


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


#: The instructors' guide, whose sizing table `make rehearse-sizing` writes, and the measurements behind it.
GUIDE = CHECKOUT / "docs" / "jupyterhub.md"
RESULTS = CHECKOUT / "benchmarks" / "results" / "rehearsal.json"
BEGIN = "<!-- generated by `make rehearse-sizing` from benchmarks/results/rehearsal.json: do not edit -->"
END = "<!-- end of generated sizing table -->"


def _median(values: list[float]) -> float | None:
    """The median, or None when there is nothing to take it of."""
    return statistics.median(values) if values else None


def sizing_table(runs: list[dict]) -> str:
    """The guide's sizing table from rehearsals at several class sizes (each a Report.as_json())."""
    if not runs:
        raise RehearsalError("no rehearsal to make a sizing table from")
    first = runs[0]
    lines = [
        f"Measured {first['date']} ({first['machine']}), each class size one `make rehearse` run "
        f"of lessons {' and '.join(first['lessons'])}, after one learner ran them alone:",
        "",
        "| learners at once | spawn, s (median, max) | first output, s (max) | "
        + " | ".join(f"{stem} × alone (median, max)" for stem in first["lessons"])
        + " | largest kernel, MB | learner's peak memory, MB (max) | result |",
        "|---|---|---|" + "---|" * len(first["lessons"]) + "---|---|---|",
    ]
    for run in runs:
        alone = {lesson["stem"]: lesson["seconds"] for lesson in (run["alone"] or {}).get("lessons", [])}
        results = run["results"]
        spawns = [r["spawn"] for r in results if r["spawn"] is not None]
        firsts = [r["lessons"][0]["first_output"] for r in results if r["lessons"] and r["lessons"][0]["first_output"]]
        cells = [
            str(run["learners"]),
            f"{_f(_median(spawns))}, {_f(max(spawns, default=None))}",
            _f(max(firsts, default=None)),
        ]
        for stem in run["lessons"]:
            ratios = [
                lesson["seconds"] / alone[stem]
                for r in results
                for lesson in r["lessons"]
                if lesson["stem"] == stem and alone.get(stem)
            ]
            cells.append(f"{_f(_median(ratios))}×, {_f(max(ratios, default=None))}×" if ratios else "–")
        kernels = [lesson["kernel_peak_mb"] or 0 for r in results for lesson in r["lessons"]]
        cells.append(_f(max(kernels, default=None), 0))
        cells.append(_f(max((r["peak_mb"] or 0 for r in results), default=None), 0))
        passed = sum(r["failure"] is None and not any(lesson["mismatches"] for lesson in r["lessons"]) for r in results)
        checks = all(c["passed"] for c in run["checks"])
        cells.append(f"{passed} passed, {len(results) - passed} failed" + ("" if checks else "; a hub check failed"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_guide(runs: list[dict], guide: Path = GUIDE) -> None:
    """Put the sizing table between the guide's markers; the rest of the guide is left as it is."""
    text = guide.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise RehearsalError(f"{guide} has no generated sizing table: it needs the lines {BEGIN} and {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    guide.write_text(f"{head}{BEGIN}\n{sizing_table(runs)}\n{END}{tail}", encoding="utf-8")


def isolation_command(argv: Sequence[str]) -> list[str] | None:
    """The command re-running this rehearsal in a network namespace with loopback only, where the machine allows one."""
    if os.environ.get(ISOLATED_ENV) or not (shutil.which("unshare") and shutil.which("ip")):
        return None
    unshare = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    probe = subprocess.run([*unshare, "ip", "link", "set", "lo", "up"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    script = 'ip link set lo up && exec "$0" "$@"'
    return [*unshare, "sh", "-c", script, sys.executable, "-m", "tools.rehearse", *argv]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=4, help="how many learners log in at once (default 4)")
    parser.add_argument(
        "--lessons", nargs="+", default=["01_mnist", "02_inference"], help="the lessons each runs, in order"
    )
    parser.add_argument(
        "--no-alone", dest="alone", action="store_false", help="skip the run of one learner alone first"
    )
    parser.add_argument("--no-update", dest="update", action="store_false", help="skip the content-update step")
    parser.add_argument(
        "--stand-in", action="store_true", help="lesson 02 loads lesson 01's network untrained instead of a trained one"
    )
    parser.add_argument(
        "--proxy", type=Path, default=PROXY, help=f"configurable-http-proxy (default: {PROXY.relative_to(CHECKOUT)})"
    )
    parser.add_argument("--cell-timeout", type=float, default=900, help="seconds one cell may take")
    parser.add_argument("--json", type=Path, help="also write the measurements here, as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the rehearsal's folder (hub log, homes) to look at")
    parser.add_argument(
        "--sizing",
        type=int,
        nargs="+",
        metavar="N",
        help=f"rehearse at each class size; write {RESULTS.name} and the guide's table",
    )
    parser.add_argument(
        "--guide", action="store_true", help=f"only rewrite the guide's sizing table from {RESULTS.name}, as it is"
    )
    parser.add_argument(
        "--network", action="store_true", help="keep the machine's network (default: a namespace with loopback only)"
    )
    args = parser.parse_args(argv)
    if args.guide:
        try:
            write_guide(json.loads(RESULTS.read_text()))
        except (OSError, ValueError, RehearsalError) as exc:
            print(f"Could not write the sizing table: {exc}. Run `make rehearse-sizing` first.", file=sys.stderr)
            return 1
        print(f"Wrote the sizing table of {GUIDE.relative_to(CHECKOUT)} from {RESULTS.relative_to(CHECKOUT)}.")
        return 0
    # No internet at all: the hub, its proxy, the servers, the kernels and the learners share a loopback only.
    isolated = None if args.network else isolation_command(sys.argv[1:] if argv is None else argv)
    if isolated is not None:
        # This process becomes the isolated rehearsal, so that Ctrl-C and SIGTERM reach it and its cleanup.
        os.chdir(CHECKOUT)
        os.execvpe(isolated[0], isolated, {**os.environ, ISOLATED_ENV: "1"})
    if not args.network and not os.environ.get(ISOLATED_ENV):
        print("No network namespace here (unshare is missing or not permitted): kernels' HTTP(S) goes to a dead proxy.")
    import requests

    failures = (RehearsalError, OSError, subprocess.CalledProcessError, requests.RequestException, RuntimeError)
    try:
        if args.sizing:
            return sizing(args)
        report = rehearse(
            args.learners,
            args.lessons,
            args.alone,
            args.stand_in,
            args.cell_timeout,
            args.proxy,
            args.keep,
            args.update,
        )
    except failures as exc:
        print(f"The rehearsal stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("The rehearsal was interrupted; everything it started is stopped.", file=sys.stderr)
        return 130
    print(table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(), indent=1) + "\n")
    return 0 if report.failed == 0 else 1


def sizing(args: argparse.Namespace) -> int:
    """Rehearse at each class size; only when all passed, replace the recorded results and the guide's table."""
    runs = []
    for count in args.sizing:
        print(f"== {count} learners")
        report = rehearse(count, args.lessons, True, args.stand_in, args.cell_timeout, args.proxy, False, args.update)
        print(table(report))
        if report.failed:
            print(f"The rehearsal of {count} learners failed: {RESULTS.name} and the guide are left as they were.")
            return 1
        runs.append(report.as_json())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    partial = RESULTS.with_suffix(".json.partial")
    partial.write_text(json.dumps(runs, indent=1) + "\n")
    os.replace(partial, RESULTS)
    print(f"Wrote {RESULTS.relative_to(CHECKOUT)}.")
    return main(["--guide"])


if __name__ == "__main__":
    sys.exit(main())
