"""Free ports on loopback, for the hub, its proxy's API and the hub's own API."""

from __future__ import annotations

import socket

from tools.rehearse import LOOPBACK


def free_ports(count: int) -> tuple[int, ...]:
    """Ports on loopback that nothing listens on now (another process may take one before the hub does)."""
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
