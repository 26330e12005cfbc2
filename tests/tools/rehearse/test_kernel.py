"""Tests of tools/rehearse/kernel.py: a cell run over a kernel's websocket, its outputs, its end, a dead kernel."""

from __future__ import annotations

import json

import pytest

from tools.rehearse import RehearsalError
from tools.rehearse.kernel import Kernel
from tools.rehearse.outputs import text_of


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


def _kernel(script, timeout=30.0) -> Kernel:
    kernel = Kernel.__new__(Kernel)  # no server: the websocket is the fake one
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

    kernel = _kernel(script)
    done = kernel.execute("print(2 + 2)")
    assert done.status == "ok" and text_of(done.outputs) == ("4\n", "")
    assert done.first_output is not None and done.first_output <= done.seconds
    (request,) = kernel.ws.sent
    assert request["header"]["msg_type"] == "execute_request" and request["content"]["code"] == "print(2 + 2)"


def test_a_failed_cell_reports_its_status_and_error():
    def script(msg_id):
        yield _message("error", {"ename": "NameError", "evalue": "x", "traceback": []}, msg_id)
        yield _message("execute_reply", {"status": "error"}, msg_id, channel="shell")
        yield _message("status", {"execution_state": "idle"}, msg_id)

    done = _kernel(script).execute("x")
    assert done.status == "error" and text_of(done.outputs) == ("", "NameError: x")


def test_a_kernel_that_dies_or_never_answers_fails_the_cell_naming_it():
    def dies(msg_id):
        yield _message("status", {"execution_state": "busy"}, msg_id)
        yield _message("status", {"execution_state": "restarting"}, None)  # the server's news has no parent

    with pytest.raises(RehearsalError, match="the kernel died while running 'model.fit"):
        _kernel(dies).execute("model.fit(x_train)")

    def silent(msg_id):
        yield _message("status", {"execution_state": "busy"}, msg_id)

    with pytest.raises(RehearsalError, match="a cell ran past 30 s"):
        _kernel(silent).execute("while True: pass")
