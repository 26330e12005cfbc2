"""The rehearsal's JupyterHub: its configuration (loopback only, a shared password), and its start."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mnist_lesson import data
from mnist_lesson.models import MODEL_ENV
from mnist_lesson.paths import CHECKOUT
from tools.lessons import FIRST_LESSON
from tools.rehearse import COURSE_DIR, LOOPBACK, RehearsalError
from tools.rehearse.ports import free_ports
from tools.rehearse.processes import Processes, wait_for

#: The proxy `make proxy` installs from tools/hub/package-lock.json.
PROXY = CHECKOUT / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
#: Each learner's own saved models, in their copy of the course, as docs/jupyterhub.md sets it for a class's hub
#: (the helper package's checkout is not theirs to write; git ignores artifacts/, so nbgitpuller leaves it alone).
LEARNER_MODELS = f"~/{COURSE_DIR}/artifacts"
#: $MNIST_LESSON_MODEL names the first lesson's model; every other lesson's goes beside it.
LEARNER_MODEL = f"{LEARNER_MODELS}/{FIRST_LESSON}.keras"
#: Any address a kernel might fetch from goes to a port where nothing listens: kernels have no internet.
NO_INTERNET = "http://127.0.0.1:9"


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
        "# Written by tools/rehearse for one rehearsal; deleted with it. Never for a real class.",
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


def home_of(scratch: Path, name: str) -> Path:
    """A learner's home on the rehearsal's hub."""
    return scratch / "home" / name


def learner_model(home: Path, stem: str) -> Path:
    """Where a lesson's saved model is in a learner's home, as the hub's $MNIST_LESSON_MODEL places it."""
    return home / LEARNER_MODELS.removeprefix("~/") / f"{stem}.keras"


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
