"""Check that the course installs and runs on each Python it claims: a throw-away environment per version.

For every supported version found on this machine (on PATH, or under pyenv), this
builds a fresh virtual environment with `make venv` (as `make lab` would), runs the unit tests and
lesson 01 under strict nbval in it, and deletes it. docs/second-configuration.md's table of supported
versions comes from the last run (`make test-pythons`, about 4 minutes per version).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mnist_lesson.paths import CHECKOUT
from tools.lessons import FIRST_LESSON, NBVAL, lesson

ROOT = CHECKOUT
RESULTS = ROOT / "build" / "test-pythons.json"


def find_python(version: str) -> str | None:
    """An interpreter that really is this version: on PATH first, then pyenv's installs."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True)
        if done.returncode == 0 and done.stdout.decode().startswith(f"{version}."):
            return candidate
    return None


def step(name: str, command: list[str], log, **kwargs) -> tuple[bool, float]:
    """Run one step, its output appended to the log; return whether it passed and how long it took."""
    print(f"    {name} …", end="", flush=True)
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    start = time.monotonic()
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, **kwargs)
    seconds = time.monotonic() - start
    print(f" {'passed' if done.returncode == 0 else 'FAILED'} ({seconds:.0f} s)", flush=True)
    return done.returncode == 0, seconds


def check(version: str, python: str, log) -> dict:
    result = {"version": version, "python": python}
    with tempfile.TemporaryDirectory(prefix=f"mnist-lesson-py{version}-") as scratch:
        venv = Path(scratch) / "venv"
        bin_python = str(venv / "bin" / "python")
        env = dict(os.environ, MNIST_LESSON_MODEL=str(Path(scratch) / "01_mnist.keras"))
        env.pop("KERAS_BACKEND", None)  # each lesson picks its own
        pytest = [bin_python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        steps = [
            # Built the way `make lab` builds .venv: the version check, requirements.txt, JupyterLab's settings.
            ("install", ["make", "--no-print-directory", "venv", f"PYTHON={python}", f"VENV={venv}"]),
            ("unit tests", [*pytest, "tests", "-m", "not browser"]),
            ("lesson 01", [*pytest, str(lesson(FIRST_LESSON).notebook), *NBVAL]),
        ]
        for name, command in steps:
            ok, seconds = step(name, command, log, env=env)
            result[name] = round(result.get(name, 0) + seconds)
            if not ok:
                result["failed"] = name
                break
        if "failed" not in result:
            exact = subprocess.run([bin_python, "--version"], capture_output=True, text=True).stdout.split()[-1]
            result["exact"] = exact
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", help="the supported versions, e.g. 3.11 3.12 3.13")
    args = parser.parse_args(argv)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS.with_suffix(".log")
    results = []
    with open(log_path, "w") as log:
        for version in args.versions:
            python = find_python(version)
            print(f"Python {version}: {python or 'not found on this machine, skipped'}", flush=True)
            results.append(check(version, python, log) if python else {"version": version, "skipped": "not found"})
    RESULTS.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "results": results}, indent=1) + "\n")
    print("\n| Python | install (s) | unit tests (s) | lesson 01 under nbval (s) | result |")
    print("|---|---|---|---|---|")
    for r in results:
        if "skipped" in r:
            print(f"| {r['version']} | | | | not found here, not checked |")
            continue
        verdict = f"FAILED at {r['failed']}" if "failed" in r else "passed"
        print(
            f"| {r.get('exact', r['version'])} | {r.get('install', '')} | {r.get('unit tests', '')} "
            f"| {r.get('lesson 01', '')} | {verdict} |"
        )
    print(f"\nLog: {log_path}")
    if all("skipped" in r for r in results):
        print("None of these Pythons was found here, so nothing was checked.", file=sys.stderr)
        return 1
    return 1 if any("failed" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
