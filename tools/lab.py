"""Start JupyterLab on a lesson the way `make lab` does: loopback only, root-safe, and one clear URL to open.

JupyterLab prints a screenful at start; a learner needs one line from it, the URL with
its token, for when no browser opens (a container, a remote machine, no desktop). This
runs JupyterLab from the course's environment and, once the server answers, prints that
URL, pointing at the lesson. As root (a Docker container,
many classroom images) it adds --allow-root and says so in one line.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mnist_lesson.paths import CHECKOUT

ROOT = CHECKOUT


def command(lesson: str, port: int, open_browser: bool, is_root: bool, root: Path = ROOT) -> list[str]:
    """The jupyter lab command line for this lesson and user."""
    # The course's folder is the root (lessons link to ../book/images); the browser opens on the lesson.
    args = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    args += [f"--LabApp.default_url=/lab/tree/{lesson}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}"]
    if not open_browser:
        args.append("--no-browser")
    if is_root:
        args.append("--allow-root")
    return args


def banner(port: str, token: str, lesson: str) -> str:
    """The lines printed once the server is up: the URL of the lesson, with its token."""
    return "\n".join(
        [
            "",
            "=" * 78,
            "JupyterLab is running. If no browser opened, open this URL in one:",
            f"    http://127.0.0.1:{port}/lab/tree/{lesson}?token={token}",
            "Stop it with Ctrl+C (twice) in this terminal.",
            "=" * 78,
            "",
        ]
    )


def announce(port: str, token: str, lesson: str, timeout: float = 60) -> bool:
    """Print the banner once the server accepts connections (it logs its URL a moment before it does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        print(banner(port, token, lesson), flush=True)
        return True
    return False


def find_server(lab: subprocess.Popen, runtime_dir: str | None, timeout: float = 120) -> dict | None:
    """The server that process lab runs, from the files Jupyter writes in its runtime folder; None if it died."""
    from jupyter_server.serverapp import list_running_servers

    pid, deadline = lab.pid, time.monotonic() + timeout
    while time.monotonic() < deadline and lab.poll() is None:
        for server in list_running_servers(runtime_dir):
            if server.get("pid") == pid:
                return server
        time.sleep(0.3)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", nargs="?", default="notebooks/01_mnist.ipynb")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8888)))
    parser.add_argument("--no-browser", action="store_true", help="do not try to open a browser")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder to serve (default: this checkout)")
    args = parser.parse_args(argv)
    if not (args.root / args.lesson).is_file():
        print(f"{args.root / args.lesson} does not exist: name a lesson of the course, e.g. notebooks/01_mnist.ipynb.")
        return 2

    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root:
        print("Running as root (a container?): starting JupyterLab with --allow-root.", flush=True)
    # JupyterLab keeps the terminal: its log, and its "Shutdown this Jupyter server (y/[n])?" on Ctrl+C.
    lab = subprocess.Popen(command(args.lesson, args.port, not args.no_browser, is_root, args.root), cwd=args.root)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is JupyterLab's to answer, not this launcher's
    signal.signal(signal.SIGTERM, lambda *_: lab.terminate())

    server = find_server(lab, os.environ.get("JUPYTER_RUNTIME_DIR"))
    if server is not None and not announce(str(server["port"]), server["token"], args.lesson):
        print("JupyterLab started but does not answer on its port; its messages above say why.", file=sys.stderr)
    code = lab.wait()
    if code not in (0, -signal.SIGINT, -signal.SIGTERM):
        print(
            f"JupyterLab stopped with exit code {code}; its messages above say why. See the README's Troubleshooting.",
            file=sys.stderr,
        )
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
