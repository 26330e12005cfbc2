"""Every process the rehearsal starts, and their descendants: stopped by PID, with bounded waits."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tools.rehearse import RehearsalError


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
