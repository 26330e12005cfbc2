"""The environment is the lock: every installed package pinned in requirements.txt, at the version installed."""

from __future__ import annotations

import re
from importlib import metadata

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mnist_lesson.paths import CHECKOUT

LOCK = CHECKOUT / "requirements.txt"
CHOSEN = CHECKOUT / "requirements.in"
#: Not the course's to pin: the venv's own installer, and the course's helper package itself (installed editable).
NOT_LOCKED = {"pip", "mnist-lesson"}


def locked() -> dict[str, str]:
    """The lock's pins that apply to this Python and platform: name → version."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
        if found and (found.group(3) is None or Marker(found.group(3)).evaluate()):
            pins[canonicalize_name(found.group(1).split("[")[0])] = found.group(2)
    return pins


def optional_torch() -> set[str]:
    """PyTorch and what it pulls in, when `make torch` installed it (optional, pinned in requirements-torch.txt)."""
    found, todo = set(), ["torch"]
    while todo:
        name = todo.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        found.add(canonicalize_name(name))
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def test_every_installed_package_is_locked_at_its_installed_version():
    pins, skip = locked(), NOT_LOCKED | optional_torch()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    floating = sorted(f"{name}=={version}" for name, version in installed.items() if name not in skip | set(pins))
    assert floating == [], f"installed but not in requirements.txt: {floating}; add to requirements.in, `make lock`"
    different = sorted(
        f"{name}: installed {version}, locked {pins[name]}"
        for name, version in installed.items()
        if name in pins and name not in skip and version != pins[name]
    )
    assert different == [], f"the environment is not the lock: {different}; rebuild it with `make clean venv`"


def test_the_lock_keeps_every_version_the_course_chose():
    pins = locked()
    for line in CHOSEN.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            assert pins.get(canonicalize_name(requirement.name)) in requirement.specifier, line


def test_every_locked_package_has_hashes():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[2])
    unhashed = [block.split()[0] for block in blocks if "==" in block and "--hash=sha256:" not in block]
    assert unhashed == []
