"""Tests of tools/rehearse/ports.py: free ports on loopback."""

from __future__ import annotations

import socket

from tools.rehearse import LOOPBACK
from tools.rehearse.ports import free_ports


def test_the_ports_are_distinct_and_free_to_bind_on_loopback():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    held = []
    try:
        for port in ports:
            s = socket.socket()
            s.bind((LOOPBACK, port))  # nothing holds them: the hub can take each
            held.append(s)
    finally:
        for s in held:
            s.close()
