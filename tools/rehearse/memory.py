"""Each learner's memory: their server and kernels sampled once a second, and the highest total kept."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tools.rehearse.processes import Processes


class MemoryWatch:
    """Samples each learner's processes (server and kernels) once a second; keeps their highest total memory.

    A learner's processes are those working in their home, where the hub starts their server.
    """

    def __init__(self, homes: dict[str, Path], processes: Processes | None = None, interval: float = 1.0) -> None:
        self.homes = {name: str(home) for name, home in homes.items()}
        self.peak: dict[str, float] = dict.fromkeys(homes, 0.0)
        self.processes = processes  # whose descendants it notes as it goes, so that none is missed at the end
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        """Add up each learner's processes' resident memory now, in MB; keep it where it is their highest."""
        import psutil

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
