"""The hub's checks: nobody gets in who does not belong, nothing listens beyond loopback, no kernel goes online."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path

from mnist_lesson import data
from tools.rehearse import LOOPBACK
from tools.rehearse.learner import Learner, LessonRun

#: One check: (what, passed, detail).
Check = tuple[str, bool, str]


def checked(what: str, check: Callable[[], tuple[bool, str]]) -> Check:
    """One hub check: (what, passed, detail); an exception is a failed check that says what happened."""
    try:
        ok, detail = check()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run has failed, and says why
        return what, False, f"could not be checked: {type(exc).__name__}: {exc}"
    return what, ok, detail


def security_checks(hub: str, first: Learner, second: Learner | None, password: str) -> list[Check]:
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


def loopback_only(addresses: list[str]) -> Check:
    """Every address the rehearsal's processes listen on (host:port) is on loopback, and there is at least one."""
    outside = sorted(a for a in addresses if not a.startswith(f"{LOOPBACK}:"))
    detail = f"{len(addresses)} listening sockets" + (f"; outside loopback: {', '.join(outside)}" if outside else "")
    return "nothing listens anywhere but 127.0.0.1", bool(addresses) and not outside, detail


def cache_untouched(cache: Path, sha256: str) -> Check:
    """The shared MNIST cache still has its SHA-256, and nothing was written beside it."""
    unchanged = data.sha256_file(cache) == sha256
    unchanged = unchanged and sorted(p.name for p in cache.parent.iterdir()) == [cache.name]
    return "the shared MNIST cache is read, never written", unchanged, str(cache)


def offline(runs: Iterable[LessonRun], isolated: bool) -> Check:
    """No learner's kernel could fetch a web page after its lesson (and at least one lesson asked)."""
    runs = list(runs)
    online = [run.stem for run in runs if run.online is not False]
    how = "a network namespace with loopback only" if isolated else "HTTP(S) to a dead proxy"
    return "no learner's kernel reaches the internet", bool(runs) and not online, how
