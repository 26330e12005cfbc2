"""A kernel on a learner's server, opened as JupyterLab opens a notebook and driven over its websocket.

Not jupyter-kernel-client (1.0.2): it needs jupyter-mimetypes, which the lock lacks, and it skips messages
without a parent, so a kernel that dies mid-cell would hold the rehearsal until the cell's timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from pathlib import Path

from tools.rehearse import RehearsalError


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
        import websocket

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
