"""Tests of tools/rehearse/memory.py: each learner's memory is that of the processes working in their home."""

from __future__ import annotations

import subprocess
import sys

from tools.rehearse.memory import MemoryWatch

#: A process that holds about 64 MB until it is ended.
HOLDS = "import time; block = bytearray(64 * 2**20); block[::4096] = b'x' * len(block[::4096]); print(1, flush=True)"
HOLDS += "; time.sleep(300)"


def test_a_learners_peak_counts_their_own_processes_only(tmp_path):
    homes = {name: tmp_path / name for name in ("learner1", "learner2")}
    for home in homes.values():
        (home / "notebooks").mkdir(parents=True)
    # A kernel in a subfolder of learner1's home; nothing in learner2's.
    kernel_cwd = homes["learner1"] / "notebooks"
    kernel = subprocess.Popen([sys.executable, "-c", HOLDS], cwd=kernel_cwd, stdout=subprocess.PIPE)
    try:
        kernel.stdout.readline()  # its memory is taken
        watch = MemoryWatch(homes)
        watch.sample()
    finally:
        kernel.kill()
        kernel.wait()
    assert watch.peak["learner1"] > 60 and watch.peak["learner2"] == 0
    watch.sample()  # after the kernel ended: a peak is never lowered
    assert watch.peak["learner1"] > 60
