"""The rehearsal re-run in a network namespace with loopback only, where the machine allows one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

#: Set inside the network namespace the rehearsal re-runs itself in: only loopback, no route anywhere else.
ISOLATED_ENV = "MNIST_LESSON_REHEARSAL_ISOLATED"


def isolated() -> bool:
    """Whether this process is the rehearsal re-run in its network namespace."""
    return bool(os.environ.get(ISOLATED_ENV))


def isolation_command(argv: Sequence[str]) -> list[str] | None:
    """The command re-running this rehearsal in a network namespace with loopback only, where the machine allows one."""
    if isolated() or not (shutil.which("unshare") and shutil.which("ip")):
        return None
    unshare = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    probe = subprocess.run([*unshare, "ip", "link", "set", "lo", "up"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    script = 'ip link set lo up && exec "$0" "$@"'
    return [*unshare, "sh", "-c", script, sys.executable, "-m", "tools.rehearse", *argv]
