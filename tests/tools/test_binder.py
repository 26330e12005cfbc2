"""The course as repo2docker builds it for Binder or a hub's image: runtime.txt, requirements.txt, postBuild, start.

repo2docker prints the Dockerfile it would build (--no-build --debug: no Docker needed), and the tests
read the plan from it; postBuild and start are run here, with a stand-in for the image's python that
installs nothing (pip runs as a dry run) and fetches nothing, so that they take seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from mnist_lesson.data import CACHE_ENV
from mnist_lesson.paths import CHECKOUT

RUNTIME = CHECKOUT / "runtime.txt"
POSTBUILD = CHECKOUT / "postBuild"
START = CHECKOUT / "start"
OVERRIDES = CHECKOUT / "tools" / "jupyterlab-overrides.json"
#: Where postBuild puts JupyterLab's settings, under the environment's prefix (as `make venv` does).
LAB_SETTINGS = Path("share/jupyter/lab/settings/overrides.json")
#: Where the image keeps MNIST, under the environment's prefix: outside the home folder a hub mounts over.
IMAGE_CACHE = Path("share/mnist-lesson/mnist.npz")
#: The image's python, replaced: it records each call, runs pip as a dry run, and nothing else.
PYTHON_STAND_IN = f"""#!{sys.executable}
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["STAND_IN_LOG"], "a") as log:
    print(json.dumps({{"args": args, "cwd": os.getcwd(), "cache": os.environ.get("{CACHE_ENV}")}}), file=log)
if args[:3] == ["-m", "pip", "install"]:
    if os.environ.get("STAND_IN_FAIL") == "pip":
        sys.exit("pip: no network")
    sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", *args[3:]]).returncode)
"""


def supported_pythons() -> SpecifierSet:
    """The Pythons the course installs on, as pyproject.toml declares them (make test-pythons checks each)."""
    return SpecifierSet(tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["requires-python"])


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> tuple[str, str]:
    """The Dockerfile repo2docker would build from this checkout, as Binder builds it, and what it logged."""
    pytest.importorskip("repo2docker", reason="repo2docker is not installed here: `make venv` installs the lock")
    # Binder builds for the user jovyan, uid 1000; from elsewhere than the checkout, so no stray config is read.
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--debug", "--user-id", "1000"]
    command += ["--user-name", "jovyan", str(CHECKOUT)]
    cwd = tmp_path_factory.mktemp("repo2docker")
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, f"repo2docker could not plan the build:\n{done.stdout}\n{done.stderr}"
    return done.stdout, done.stderr


def steps(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, one per entry, continuation lines joined."""
    lines = dockerfile.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if re.match(r"[A-Z]+ ", line.strip())]


def run_postbuild(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, Path, list[dict]]:
    """postBuild run in the checkout with the stand-in python; what it printed, the prefix, and each python call."""
    stand_in = tmp_path / "bin" / "python"
    stand_in.parent.mkdir()
    stand_in.write_text(PYTHON_STAND_IN)
    stand_in.chmod(0o755)
    prefix, log = tmp_path / "prefix", tmp_path / "python-calls.jsonl"
    # The image's environment, as repo2docker sets it; no cache chosen from outside (the tests' own is removed).
    base = {key: value for key, value in os.environ.items() if key != CACHE_ENV}
    env = base | {"PATH": f"{stand_in.parent}:{os.environ['PATH']}", "NB_PYTHON_PREFIX": str(prefix)} | env
    done = subprocess.run(
        [str(POSTBUILD)], cwd=CHECKOUT, env=env | {"STAND_IN_LOG": str(log)}, capture_output=True, text=True
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, prefix, calls


def start(*command: str, **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in (CACHE_ENV, "NB_PYTHON_PREFIX")}
    return subprocess.run([str(START), *command], env=base | env, capture_output=True, text=True)


# ------------------------------------------------------------------ the build plan


def test_binder_builds_the_python_of_runtime_txt_one_the_course_supports(plan):
    dockerfile, log = plan
    found = re.fullmatch(r"python-(3\.\d+)\n", RUNTIME.read_text())
    assert found, f"runtime.txt must be one line, python-3.X; it is {RUNTIME.read_text()!r}"
    version = found.group(1)
    assert version in supported_pythons(), f"runtime.txt asks for Python {version}, which the course does not support"
    # repo2docker installs the conda environment of that Python; it names the file in an escaped form.
    environments = re.findall(r"environment-2epy-2d(\d+)-2e(\d+)-2d", dockerfile)
    assert [f"{major}.{minor}" for major, minor in environments] == [version], environments
    assert f"python={version}" in log and "Python version unspecified" not in log, log


def test_binder_installs_the_lock_with_every_file_checked_against_its_hash(plan):
    dockerfile, _ = plan
    assert 'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"' in steps(dockerfile)
    # pip checks every file against its hash as soon as one requirement carries a hash (hash-checking mode);
    # so every requirement of the lock must carry them, or pip refuses the whole file.
    text = (CHECKOUT / "requirements.txt").read_text().replace("\\\n", " ")
    requirements = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(requirements) > 100, "requirements.txt is not the lock"
    unhashed = [line.split()[0] for line in requirements if "--hash=sha256:" not in line]
    assert not unhashed, f"requirements without a hash, which pip would refuse: {unhashed}"


def test_binder_runs_postbuild_last_and_every_session_through_start(plan):
    dockerfile, _ = plan
    plan_steps = steps(dockerfile)
    lock = plan_steps.index('RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"')
    # pyproject.toml makes the checkout a package, which repo2docker installs as a copy; postBuild's editable
    # install must come after it, to be the one the lessons import.
    copy = plan_steps.index("RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir .")
    postbuild = plan_steps.index("RUN ./postBuild")
    assert lock < copy < postbuild, plan_steps
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/start"' in plan_steps
    for script in (POSTBUILD, START):
        assert os.access(script, os.X_OK), f"{script.name} is not executable: chmod +x {script.name}, then commit it"
        assert script.read_text().startswith("#!/bin/bash\n"), f"{script.name} must start with #!/bin/bash"


# ------------------------------------------------------------------ postBuild and start, run


def test_postbuild_installs_the_helper_package_applies_the_lab_settings_and_fetches_mnist_where_start_points(
    tmp_path,
):
    done, prefix, calls = run_postbuild(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [call["args"][:2] for call in calls] == [["-m", "pip"], ["-m", "mnist_lesson.data"]], calls
    # The helper package from this checkout, editable, nothing else: the lock already holds what it needs.
    pip, data = calls
    assert pip["args"][-2:] == ["-e", "."] and "--no-deps" in pip["args"] and Path(pip["cwd"]) == CHECKOUT, pip
    assert "Would install mnist-lesson-" in done.stdout, done.stdout
    # JupyterLab's settings, byte for byte the course's.
    assert (prefix / LAB_SETTINGS).read_bytes() == OVERRIDES.read_bytes()
    assert json.loads(OVERRIDES.read_text()), "tools/jupyterlab-overrides.json holds no settings"
    # MNIST goes where every session will look for it.
    assert data["cache"] == str(prefix / IMAGE_CACHE)
    assert start("printenv", CACHE_ENV, NB_PYTHON_PREFIX=str(prefix)).stdout.strip() == data["cache"]


def test_postbuild_stops_at_the_first_step_that_fails(tmp_path):
    done, prefix, calls = run_postbuild(tmp_path, STAND_IN_FAIL="pip")
    assert done.returncode != 0
    assert "pip: no network" in done.stderr
    assert [call["args"][:2] for call in calls] == [["-m", "pip"]], "postBuild went on after a failed step"
    assert not (prefix / LAB_SETTINGS).exists()


def test_start_runs_the_session_with_the_image_cache_unless_the_hub_names_one(tmp_path):
    image = start("printenv", CACHE_ENV, NB_PYTHON_PREFIX="/srv/conda/envs/notebook")
    assert image.returncode == 0 and image.stdout.strip() == f"/srv/conda/envs/notebook/{IMAGE_CACHE}"
    hub = start("printenv", CACHE_ENV, NB_PYTHON_PREFIX="/srv/conda/envs/notebook", **{CACHE_ENV: "/srv/data/m.npz"})
    assert hub.stdout.strip() == "/srv/data/m.npz"
    # The session's own command, its arguments as they were, and its exit status.
    echoed = start("printf", "%s|", "two words", "x", NB_PYTHON_PREFIX=str(tmp_path))
    assert echoed.stdout == "two words|x|"
    assert start("false", NB_PYTHON_PREFIX=str(tmp_path)).returncode == 1
    # Outside an image built by repo2docker it refuses, rather than name a cache at /share/….
    outside = start("true")
    assert outside.returncode != 0 and "NB_PYTHON_PREFIX" in outside.stderr
