"""A whole rehearsal: the hub started, one learner alone, then the class at once, the checks, everything stopped."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat

from tools import lessons as registry
from tools.rehearse import RehearsalError, checks
from tools.rehearse.course import content_update, shared_mnist, snapshot, stand_in_model
from tools.rehearse.hub import PROXY, home_of, hub_config, start_hub
from tools.rehearse.isolation import isolated
from tools.rehearse.learner import Learner, LearnerResult, one_learner
from tools.rehearse.memory import MemoryWatch
from tools.rehearse.outputs import verbatim_cells
from tools.rehearse.processes import Processes
from tools.rehearse.report import Report


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def chosen_lessons(stems: Sequence[str]) -> list[registry.Lesson]:
    """The registry's lessons of those stems, in the order given, or an error naming the lessons there are."""
    try:
        return [registry.lesson(stem) for stem in stems]
    except ValueError as exc:
        raise RehearsalError(f"{exc}: name lessons by their stems") from None


def loaded_only(chosen: Sequence[registry.Lesson]) -> list[registry.Lesson]:
    """The lessons whose models the chosen ones load without rehearsing them: those that need a stand-in."""
    rehearsed = {each.stem for each in chosen}
    return [registry.lesson(stem) for stem in sorted({s for each in chosen for s in each.loads} - rehearsed)]


def rehearse(
    count: int,
    lessons: Sequence[str],
    alone: bool = True,
    stand_in: bool = False,
    cell_timeout: float = 900,
    proxy: Path = PROXY,
    keep: bool = False,
    update: bool = True,
    say: Callable[[str], None] = print,
    cache: Path | None = None,
) -> Report:
    """Run a whole rehearsal and stop everything it started, whatever happens.

    stand_in: the lessons loaded but not rehearsed are built at their starting weights first, for the rehearsed
    lessons to load (only outputs that do not depend on training are compared anyway).
    """
    if count < 1:
        raise RehearsalError(f"LEARNERS must be 1 or more, not {count}")
    if not lessons:
        raise RehearsalError("name at least one lesson to rehearse")
    chosen = chosen_lessons(lessons)
    if not Path(proxy).exists():
        raise RehearsalError(f"no configurable-http-proxy at {proxy}: run `make proxy` (Node.js and npm) first")
    began = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="mnist-lesson-rehearsal-"))
    processes = Processes()
    found: list[checks.Check] = []
    notes: list[str] = []
    cancelled = threading.Event()
    pool = None
    failed = True
    if threading.current_thread() is threading.main_thread():
        # A terminal closed or a CI job cancelled: stop everything, as Ctrl-C does.
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, _raise_interrupt)
    try:
        shared_cache, cache_sha = shared_mnist(scratch, cache)
        repo, branch, _ = snapshot(scratch)
        # The stored outputs as the learners pull them: the snapshot holds the checkout's tracked files as they are.
        expected = {each.stem: verbatim_cells(nbformat.read(each.notebook, as_version=4)) for each in chosen}
        names = [f"learner{i + 1}" for i in range(count)]
        everyone = (["alone"] if alone else []) + names
        password = secrets.token_urlsafe(12)
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        config = scratch / "jupyterhub_config.py"
        building: dict[str, Callable[[], Path]] = {}
        for loaded in loaded_only(chosen) if stand_in else []:
            say(f"Building {loaded.stem}'s network at its starting weights, for the lessons that load it ...")
            building[loaded.stem] = stand_in_model(scratch, processes, cell_timeout, loaded)  # while the hub starts

        def configured(ports: tuple[int, ...]) -> list[str]:
            config.write_text(
                hub_config(scratch, ports, everyone, password, Path(proxy).resolve(), shared_cache, is_root)
            )
            return [sys.executable, "-m", "jupyterhub", "-f", str(config)]

        hub_url = start_hub(processes, configured, scratch / "hub.log", say, cwd=scratch)
        models = {stem: built() for stem, built in building.items()}
        repo_url = f"file://{repo}"

        def run(name: str, barrier: threading.Barrier | None) -> tuple[Learner, LearnerResult]:
            learner = Learner(hub_url, name, password, timeout=180)
            home = home_of(scratch, name)
            args = (repo_url, branch, lessons, expected, cell_timeout, barrier, models, home, cancelled)
            return learner, one_learner(learner, *args)

        solo, solo_learner = None, None
        with MemoryWatch({name: home_of(scratch, name) for name in everyone}, processes) as watch:
            if alone:
                say(f"One learner alone: {', '.join(lessons)} ...")
                solo_learner, solo = run("alone", None)
                solo.peak_mb = watch.peak["alone"]
                if count > 1:
                    # Its server and kernels would take memory and time from the class: stop them first.
                    solo_learner.stop_server()
            say(f"{count} learners at once: log in, start a server, pull the course, run {', '.join(lessons)} ...")
            barrier = threading.Barrier(count)
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=count)
            futures = [pool.submit(run, name, barrier) for name in names]
            done = [future.result() for future in futures]
        learners, results = [learner for learner, _ in done], [result for _, result in done]
        for result in results:
            result.peak_mb = watch.peak[result.name]
        # A second learner with a server and a kernel: another of the class, or the one who ran alone.
        second = learners[1] if count > 1 else (solo_learner if solo_learner and solo_learner.token else None)
        if second is None:
            notes.append("one learner's token against another's server and kernel: not checked, one learner only")
        found += checks.security_checks(hub_url, learners[0], second, password)
        found.append(checks.loopback_only(processes.listening()))
        if update and learners[0].token:

            def updated() -> tuple[bool, str]:
                return content_update(learners[0], repo, branch, scratch, lessons[0])

            found.append(checks.checked("a content update keeps the learner's edit", updated))
        found.append(checks.cache_untouched(shared_cache, cache_sha))
        runs = [run for result in results + ([solo] if solo else []) for run in result.lessons]
        found.append(checks.offline(runs, isolated()))
        report = Report(count, list(lessons), solo, results, found, time.monotonic() - began, str(scratch), notes)
        failed = report.failed > 0
        return report
    finally:
        cancelled.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        killed = processes.stop()
        if killed:
            say(f"Stopped {len(killed)} processes that outlived the hub: PIDs {', '.join(map(str, killed))}")
        if keep or failed:
            say(f"Kept the rehearsal's folder, with the hub's log: {scratch}")
        else:
            with contextlib.suppress(OSError):
                (scratch / "shared").chmod(0o755)
            shutil.rmtree(scratch, ignore_errors=True)
