"""The course's lesson registry: which lessons exist, their order, backend, dependencies and configurations.

Everything that needs to know the lessons asks here: the Makefile (``python -m tools.lessons``),
the tests, the benchmarks, the website build and the spread tool. A lesson is a Jupytext pair
``notebooks/NN_topic.md`` / ``NN_topic.ipynb``; everything else about it is read from its own
text, so adding a lesson means adding its pair and nothing here:

* what it **declares** in its front matter (the ``mnist_lesson`` mapping of its Jupytext header): its
  title and one-line summary for the lesson tables, its time budget, and what the browser test checks
  of its outputs (``Declared``); the README's and the website's lesson tables are generated from it
  (``python -m tools.lessons tables``);

* its **own backend** is the one its first cell sets (``os.environ.setdefault("KERAS_BACKEND", …)``);
* the lessons it **loads** a trained model from are those whose model it asks for
  (``ensure_trained_model()`` is lesson 01's; ``trained_model_path("NN_topic")`` names another);
* its **second configuration**, the other environment CI checks its stored outputs under, follows
  from its own backend (``SECOND_CONFIGURATION``), and so do the configurations of ``make test-all``.

``execute()`` is the one way the course's tools execute lessons outside nbval: in a scratch copy,
in order, with the trained models redirected into scratch, so a learner's ``artifacts/`` is never
touched. ``second_configuration_key()`` is what ``make test`` compares with the record of the last
pass under the second configuration (docs/second-configuration.md): it covers the lesson,
the lessons it loads from, and the ``mnist_lesson`` modules they import, not the whole package.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, fields
from functools import cached_property
from pathlib import Path

import yaml

from mnist_lesson.models import LESSON01, MODEL_ENV
from mnist_lesson.paths import CHECKOUT, NOTEBOOKS
from tools import plumbing

#: What a lesson's files are called: two digits, an underscore, a topic (the only place this is spelled).
LESSON_GLOB = "[0-9][0-9]_*"
#: How a lesson's first cell picks its backend.
OWN_BACKEND = re.compile(r'os\.environ\.setdefault\("KERAS_BACKEND", "(\w+)"\)')
#: How a lesson asks for a model another lesson saved: lesson 01's, or one named by its stem.
LOADS_LESSON_01 = re.compile(r"\bensure_trained_model\(")
LOADS_NAMED = re.compile(r'\btrained_model_path\("(\w+)"\)')
#: A code cell of a lesson's Jupytext Markdown source (prose that quotes code does not count).
CODE_CELL = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: The lesson whose model `ensure_trained_model()` returns (mnist_lesson.models says which).
FIRST_LESSON = LESSON01.stem

#: CI's second configuration of a lesson, by its own backend. A JAX lesson runs on TensorFlow: other
#: random weights, other kernels. A TensorFlow lesson (the convnet) runs on TensorFlow limited to AVX,
#: whose kernels take every sum in another order; on JAX its convolutions are several times slower
#: (docs/backends.md), so that comparison is left to `make test-all`.
SECOND_CONFIGURATION = {
    "jax": {"KERAS_BACKEND": "tensorflow"},
    "tensorflow": {"KERAS_BACKEND": "tensorflow", "ONEDNN_MAX_CPU_ISA": "AVX"},
}
#: Every backend Keras runs the course on; `make test-all` checks each lesson on each.
BACKENDS = ("jax", "tensorflow", "torch")
#: `make test-all` sets MNIST_LESSON_CHECKS=all: the checks that only it runs (every lesson top to bottom
#: in JupyterLab, the unit tests on PyTorch too) run as well; `make test` leaves it unset.
CHECKS_ENV = "MNIST_LESSON_CHECKS"
#: How each backend is limited to AVX instructions (XLA and oneDNN each have their own switch).
AVX_ONLY = {"jax": {"XLA_FLAGS": "--xla_cpu_max_isa=AVX"}, "tensorflow": {"ONEDNN_MAX_CPU_ISA": "AVX"}}

#: The strict nbval options every execution under nbval uses (make test, the second configuration, test-all).
NBVAL = ("--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(CHECKOUT / "tests" / "nbval_sanitize.cfg"))
#: Where `make test` records, per lesson, the inputs under which its second configuration last passed.
RECORD = CHECKOUT / "tests" / "notebooks" / "second_configuration.json"
#: The package the lessons import their helpers from, as the checkout holds it.
PACKAGE = "mnist_lesson"
PACKAGE_DIR = Path("src") / PACKAGE
#: What else a lesson's stored outputs depend on, besides the lesson, the lessons it loads from, and the
#: modules of PACKAGE they import.
KEY_INPUTS = (
    "tools/nbval_tolerance.py",  # how weight-dependent outputs are compared
    "tests/nbval_sanitize.cfg",  # what nbval hides before comparing
    "requirements.txt",  # every package of the environment, pinned
)


#: The pytest options in pyproject.toml that decide how stored outputs are compared (part of the key).
COMPARISON_OPTIONS = ("addopts", "nbval_tolerance")

#: Where a lesson's declarations live: this key of its Jupytext header's `jupyter:` mapping.
DECLARED_KEY = "mnist_lesson"
#: A summary fits one line of the lesson tables; the README's cap (tests/test_docs.py) leaves room for this.
SUMMARY_LIMIT = 160
#: The README's and the website's home page, whose lesson tables `python -m tools.lessons tables` writes.
TABLE_PAGES = ("README.md", "docs/index.md")
#: The command that writes the lesson tables, as their markers name it.
TABLES_COMMAND = "python -m tools.lessons tables"


@dataclass(frozen=True)
class BrowserCheck:
    """One thing the browser test checks once a lesson has run: in the output of a code cell, or a figure.

    A check names either `cell` (text the code cell contains) or `figure` (part of the address of a
    Markdown image that must render once). Of a cell's output it checks any of: `contains` (text it
    shows), `number` (a regular expression with one group, the number read from it) with `at_least`
    and/or `below`, `images` (how many images it renders), `count` ({regular expression: how many times}).
    """

    cell: str | None = None
    figure: str | None = None
    contains: str | None = None
    number: str | None = None
    at_least: float | None = None
    below: float | None = None
    images: int | None = None
    count: Mapping[str, int] | None = None

    @classmethod
    def read(cls, raw: object, where: str) -> BrowserCheck:
        """A check from the front matter's mapping, or a ValueError saying what is wrong with it."""
        known = [each.name for each in fields(cls)]
        if not isinstance(raw, dict):
            raise ValueError(f"{where} is {raw!r}: each browser check is a mapping of {', '.join(known)}")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"{where} has unknown keys {unknown}: a browser check has {', '.join(known)}")
        check = cls(**raw)
        if (check.cell is None) == (check.figure is None):
            raise ValueError(f"{where} needs exactly one of `cell` (text of a code cell) or `figure` (an image's name)")
        for name in ("cell", "figure", "contains", "number"):
            value = getattr(check, name)
            if value is not None and not (isinstance(value, str) and value):
                raise ValueError(f"{where}: `{name}` is {value!r}, not a text")
        for name in ("at_least", "below"):
            value = getattr(check, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{where}: `{name}` is {value!r}, not a number (write 1e-4 as 0.0001)")
        if (check.number is None) != (check.at_least is None and check.below is None):
            raise ValueError(f"{where}: `number` and a bound (`at_least`, `below`) go together")
        if check.number is not None and re.compile(check.number).groups != 1:
            raise ValueError(f"{where}: `number` {check.number!r} needs exactly one group, around the number")
        if check.count is not None and not isinstance(check.count, dict):
            raise ValueError(f"{where}: `count` is {check.count!r}, not a mapping of regular expression to times")
        counts = dict(check.count or {}) | ({} if check.images is None else {"images": check.images})
        for name, times in counts.items():
            if isinstance(times, bool) or not isinstance(times, int) or times < 0:
                raise ValueError(f"{where}: {name!r} counts {times!r}, not a whole number")
        if check.figure is not None and any(getattr(check, n) is not None for n in known[2:]):
            raise ValueError(f"{where}: a `figure` check has nothing else; name a `cell` to check an output")
        if check.cell is not None and all(getattr(check, n) is None for n in known[2:]):
            raise ValueError(f"{where}: a `cell` check needs one of {', '.join(known[2:])}")
        return check


@dataclass(frozen=True)
class Declared:
    """What a lesson declares in its front matter: the lesson tables' title and summary, budget, browser checks."""

    title: str
    summary: str
    budget_s: float
    browser: tuple[BrowserCheck, ...]
    #: Optional: the most times the first lesson's headless time this one may take, measured in the same run
    #: (a ratio holds across processors where seconds do not; `make bench` reports it).
    budget_ratio: float | None = None
    #: Optional: the Keras backends the lesson can run on, where it cannot run on all (lesson 05 exports to ONNX,
    #: which Keras does only on TensorFlow here); `make test-all` checks it on these alone.
    backends: tuple[str, ...] | None = None

    @classmethod
    def read(cls, md: Path, text: str) -> Declared:
        """The declarations in a lesson's .md text, or a ValueError saying what is missing or wrong."""
        where = f"{md}'s front matter (jupyter: {DECLARED_KEY}:)"
        found = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
        if found is None:
            raise ValueError(f"{md} has no Jupytext header: copy an existing lesson's, between two `---` lines")
        try:
            header = yaml.safe_load(found.group(1)) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{md}'s header is not valid YAML: {error}") from None
        raw = (header.get("jupyter") or {}).get(DECLARED_KEY) if isinstance(header, dict) else None
        if not isinstance(raw, dict):
            raise ValueError(
                f"{md} declares nothing: its header needs `{DECLARED_KEY}:` under `jupyter:`, with "
                "title, summary, budget_s and browser (copy an existing lesson's and edit it)"
            )
        keys = [each.name for each in fields(cls)]
        required = [each.name for each in fields(cls) if each.default is MISSING]
        missing, unknown = [name for name in required if name not in raw], sorted(set(raw) - set(keys))
        if missing:
            raise ValueError(f"{where} lacks {', '.join(missing)}: a lesson declares {', '.join(keys)}")
        if unknown:
            raise ValueError(f"{where} has unknown keys {', '.join(unknown)}: a lesson declares {', '.join(keys)}")
        for name in ("title", "summary"):
            if not isinstance(raw[name], str) or not raw[name].strip() or "\n" in raw[name].strip() or "|" in raw[name]:
                raise ValueError(f"{where}: `{name}` is {raw[name]!r}: one line of text, without `|`")
        if len(raw["summary"]) > SUMMARY_LIMIT:
            raise ValueError(
                f"{where}: the summary has {len(raw['summary'])} characters; shorten it to {SUMMARY_LIMIT}, "
                "one line of the README's lesson table"
            )
        budget = raw["budget_s"]
        if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
            raise ValueError(f"{where}: `budget_s` is {budget!r}: the seconds the lesson may take headless, a number")
        ratio = raw.get("budget_ratio")
        if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio <= 0):
            raise ValueError(
                f"{where}: `budget_ratio` is {ratio!r}: how many times the first lesson's headless time this one "
                "may take, a number"
            )
        backends = raw.get("backends")
        if backends is not None:
            if not isinstance(backends, list) or not backends or any(b not in BACKENDS for b in backends):
                raise ValueError(
                    f"{where}: `backends` is {backends!r}: a list of the backends the lesson runs on, "
                    f"from {', '.join(BACKENDS)} (leave it out where it runs on all)"
                )
            backends = tuple(backends)
        if not isinstance(raw["browser"], list):
            raise ValueError(f"{where}: `browser` is {raw['browser']!r}: a list of checks (it may be empty: [])")
        checks = tuple(
            BrowserCheck.read(each, f"{where} browser check {n}") for n, each in enumerate(raw["browser"], 1)
        )
        return cls(raw["title"].strip(), raw["summary"].strip(), budget, checks, ratio, backends)


#: A call of `fit`, for the cells Python cannot parse (IPython's magics): comments are stripped first.
FIT_CALL = re.compile(r"(?<![\w])fit\s*\(")


def _python_line(line: str) -> str:
    """A line as Python reads it: a line magic's argument (`%time model.fit(…)` runs the fit), no shell command."""
    stripped = line.lstrip()
    if stripped.startswith(("!", "%%")):
        return ""
    if stripped.startswith("%"):
        return stripped.partition(" ")[2]
    return line


def python_of(cell: str) -> str:
    """A code cell as Python reads it: a line magic's argument kept, shell commands and cell magics dropped."""
    return "\n".join(map(_python_line, cell.splitlines()))


def calls_fit(source: str) -> bool:
    """Whether a code cell calls `fit` (model.fit(...), or a fit(...) of its own): such a cell trains further."""
    python = python_of(source)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        code = "\n".join(line.split("#", 1)[0] for line in python.splitlines())
        return bool(FIT_CALL.search(code))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name == "fit":
                return True
    return False


@dataclass(frozen=True)
class Configuration:
    """An environment to execute a lesson in: variables, and a command prefix (taskset, say)."""

    name: str
    env: Mapping[str, str]
    prefix: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Lesson:
    """One lesson: a notebooks/NN_topic.md (the source) and NN_topic.ipynb (executed) pair."""

    notebook: Path

    @property
    def stem(self) -> str:
        return self.notebook.stem

    @property
    def md(self) -> Path:
        return self.notebook.with_suffix(".md")

    @cached_property
    def source(self) -> str:
        return self.md.read_text(encoding="utf-8")

    @cached_property
    def code(self) -> list[str]:
        """The lesson's code cells, in order, as its .md holds them."""
        return CODE_CELL.findall(self.source)

    @cached_property
    def declared(self) -> Declared:
        """What the lesson declares in its front matter (title, summary, budget, browser checks)."""
        return Declared.read(self.md, self.source)

    @cached_property
    def imports(self) -> frozenset[str]:
        """What of mnist_lesson its code cells import: modules ("mnist_lesson.plots") and names in them."""
        found = set()
        for number, cell in enumerate(self.code, 1):
            try:
                found |= package_imports(ast.parse(python_of(cell)), PACKAGE)
            except SyntaxError as error:
                raise ValueError(
                    f"{self.md}: code cell {number} is not Python ({error.msg}, line {error.lineno})"
                ) from None
        return frozenset(found)

    @cached_property
    def own_backend(self) -> str:
        """The backend the lesson's first cell picks."""
        found = next((m for m in map(OWN_BACKEND.search, self.code) if m), None)
        if found is None:
            raise ValueError(
                f'{self.md} sets no backend: its first cell needs os.environ.setdefault("KERAS_BACKEND", …)'
            )
        return found.group(1)

    @cached_property
    def loads(self) -> tuple[str, ...]:
        """The stems of the lessons whose trained models this lesson loads."""
        code = "\n".join(self.code)
        named = set(LOADS_NAMED.findall(code)) - {self.stem}
        if LOADS_LESSON_01.search(code) and self.stem != FIRST_LESSON:
            named.add(FIRST_LESSON)
        return tuple(sorted(named))

    @property
    def second_configuration(self) -> Configuration:
        """The environment CI checks this lesson's stored outputs under a second time."""
        if self.own_backend not in SECOND_CONFIGURATION:
            raise ValueError(
                f"{self.stem} runs on {self.own_backend}, which has no second configuration yet: "
                "add one to SECOND_CONFIGURATION (and AVX_ONLY) in tools/lessons.py"
            )
        env = SECOND_CONFIGURATION[self.own_backend]
        return Configuration(" ".join(f"{k}={v}" for k, v in env.items()), dict(env))

    @property
    def configurations(self) -> list[Configuration]:
        """What `make test-all` checks the lesson under: every backend, and its own on one core and limited to AVX."""
        own = self.own_backend
        if own not in AVX_ONLY:
            raise ValueError(f"{self.stem} runs on {own}: say in AVX_ONLY (tools/lessons.py) how to limit it to AVX")
        backends = self.declared.backends or BACKENDS
        if own not in backends:
            raise ValueError(f"{self.stem} runs on {own}, which its front matter's `backends` leaves out: add it")
        found = [Configuration(f"KERAS_BACKEND={b}", {"KERAS_BACKEND": b}) for b in backends]
        found.append(Configuration(f"KERAS_BACKEND={own} on one core", {"KERAS_BACKEND": own}, ("taskset", "-c", "0")))
        avx = {"KERAS_BACKEND": own, **AVX_ONLY[own]}
        found.append(Configuration(" ".join(f"{k}={v}" for k, v in avx.items()), avx))
        return found

    def checked_by_make_test(self, configuration: Configuration) -> bool:
        """Whether `make test` already checks this configuration: the lesson's own backend, or its second one."""
        plain = not configuration.prefix
        own = {"KERAS_BACKEND": self.own_backend}
        return plain and dict(configuration.env) in (own, dict(self.second_configuration.env))


def package_imports(tree: ast.AST, package: str, module: str | None = None) -> set[str]:
    """The modules of a package a piece of code imports, wherever it imports them (a function's body too).

    `from package import name` counts `package.name` when it is a module and `package` itself always (its
    __init__ runs); module, the dotted name of the code's own module, resolves relative imports.
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = (module or "").rsplit(".", node.level)[0]
                base = f"{parent}.{base}" if base else parent
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name == package or name.startswith(f"{package}."):
                parts = name.split(".")
                found.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return found


def module_file(name: str, root: Path = CHECKOUT) -> Path | None:
    """The source file of a module of the package under root ("mnist_lesson.plots"), or None for a name in one."""
    folder = root / PACKAGE_DIR.parent
    path = folder.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def modules_used(chosen: Iterable[Lesson], root: Path = CHECKOUT) -> list[Path]:
    """The package's source files the lessons import, directly or through the package's own imports."""
    todo = sorted({name for each in chosen for name in each.imports})
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        path = module_file(name, root)
        if name in seen or path is None:  # a function or constant imported from a module, not a module
            continue
        seen[name] = path
        own = name if path.name != "__init__.py" else f"{name}.__init__"
        todo.extend(package_imports(ast.parse(path.read_text(encoding="utf-8")), PACKAGE, own) - seen.keys())
    return sorted(seen.values())


def lessons(folder: Path = NOTEBOOKS) -> list[Lesson]:
    """Every lesson in a notebooks folder, in the order they run: one per NN_topic, whichever of its pair exists.

    A new lesson is its .md before `make sync` makes its .ipynb; a lesson missing either file is still
    listed, so that the pairing check and the website build can say which file to restore.
    """
    stems = {path.stem for suffix in (".md", ".ipynb") for path in Path(folder).glob(f"{LESSON_GLOB}{suffix}")}
    return [Lesson(Path(folder) / f"{stem}.ipynb") for stem in sorted(stems)]


def lesson(stem: str, folder: Path = NOTEBOOKS) -> Lesson:
    """The lesson with that stem ('03_convnets'), or a ValueError naming those that exist."""
    found = {each.stem: each for each in lessons(folder)}
    if stem not in found:
        raise ValueError(f"no lesson {stem!r} in {folder}; the lessons are {', '.join(found)}")
    return found[stem]


def every_check(env: Mapping[str, str] | None = None) -> bool:
    """Whether this run is `make test-all`'s (MNIST_LESSON_CHECKS=all), not `make test`'s."""
    return (os.environ if env is None else env).get(CHECKS_ENV) == "all"


def checked_backends(every: list[Lesson] | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The backends the unit tests cover: the lessons' own in `make test`; every backend in `make test-all`."""
    if every_check(env):
        return list(BACKENDS)
    own = {each.own_backend for each in (lessons() if every is None else every)}
    return [backend for backend in BACKENDS if backend in own]


def with_dependencies(chosen: Iterable[Lesson], every: list[Lesson]) -> list[Lesson]:
    """The chosen lessons and every lesson they load a model from (transitively), in the course's order."""
    by_stem = {each.stem: each for each in every}
    wanted, todo = set(), [each.stem for each in chosen]
    while todo:
        stem = todo.pop()
        if stem not in wanted:
            wanted.add(stem)
            for needed in by_stem[stem].loads:
                if needed not in by_stem:
                    raise ValueError(f"{stem} loads the model of {needed}, which is not a lesson")
                todo.append(needed)
    return [each for each in every if each.stem in wanted]


def scratch_model(scratch: Path) -> str:
    """The value of $MNIST_LESSON_MODEL that makes lessons save their trained models in scratch."""
    return str(Path(scratch) / f"{FIRST_LESSON}.keras")


def scratch_env(scratch: Path, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """An environment for executing lessons whose trained models go to scratch, never to artifacts/."""
    return dict(plumbing.without_backend(base), **{MODEL_ENV: scratch_model(scratch)}, **extra)


def execute(
    chosen: Iterable[Lesson],
    scratch: Path,
    configuration: Configuration | None = None,
    timeout: int = 1800,
    last_cell: str | None = None,
) -> list[Path]:
    """Execute lessons in order, in copies under scratch/notebooks, models in scratch; return the copies.

    Each copy records its cells' timings; last_cell, if given, is appended to each copy and run last.
    """
    folder = Path(scratch) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    env = scratch_env(scratch, **dict(configuration.env if configuration else {}))
    executed = []
    for each in chosen:
        copy = Path(shutil.copy(each.notebook, folder / each.notebook.name))
        if last_cell is not None:
            notebook = json.loads(copy.read_text())
            notebook["cells"].append(
                {"cell_type": "code", "metadata": {}, "source": last_cell, "outputs": [], "execution_count": None}
            )
            copy.write_text(json.dumps(notebook))
        try:
            plumbing.execute_notebook(copy, env, configuration.prefix if configuration else (), timeout, timing=True)
        except RuntimeError as failure:
            raise RuntimeError(f"under {configuration or 'its own backend'}: {failure}") from None
        executed.append(copy)
    return executed


def execute_in_place(chosen: Iterable[Lesson], timeout: int = 1800) -> None:
    """Execute lessons in order in the checkout, storing their outputs (`make run`); models go to artifacts/."""
    env = plumbing.without_backend()  # each lesson picks its own
    for each in chosen:
        print(f"Executing {each.notebook.relative_to(CHECKOUT)} …", flush=True)
        plumbing.execute_notebook(each.notebook, env, (), timeout)


def nbval(chosen: list[Lesson], scratch: Path, configuration: Configuration, extra: Iterable[str] = ()) -> int:
    """Strict nbval over lessons in order under a configuration, models in scratch; pytest's exit code."""
    env = scratch_env(scratch, **dict(configuration.env))
    command = [*configuration.prefix, sys.executable, "-m", "pytest", *(str(each.notebook) for each in chosen)]
    command += [*NBVAL, "-p", "no:cacheprovider", "-q", "--lesson-models", str(scratch), *extra]
    return subprocess.run(command, env=env, cwd=CHECKOUT).returncode


# ------------------------------------------------------------------ the second configuration's record


def _digest_files(paths: Iterable[Path], root: Path, digest) -> None:
    for path in sorted(paths):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")


def second_configuration_key(chosen: Lesson, every: list[Lesson], root: Path = CHECKOUT) -> str:
    """A digest of everything the lesson's second-configuration run depends on (docs/second-configuration.md).

    That is its notebook and those of the lessons it loads from, the package modules they import
    (transitively), KEY_INPUTS and pyproject.toml's comparison options; a change to a helper that
    a lesson does not import leaves its key as it was.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps(dict(chosen.second_configuration.env), sort_keys=True).encode())
    needed = with_dependencies([chosen], every)
    for each in needed:
        digest.update(each.notebook.name.encode() + b"\0" + each.notebook.read_bytes() + b"\0")
    _digest_files(modules_used(needed, root), root, digest)
    for name in KEY_INPUTS:
        path = root / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: the second configuration's key is made from it")
        _digest_files(path.rglob("*") if path.is_dir() else [path], root, digest)
    # Of pyproject.toml only what decides a comparison: the default tolerance and the plugins pytest loads.
    pytest_options = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    digest.update(json.dumps({k: pytest_options.get(k) for k in COMPARISON_OPTIONS}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def read_record(path: Path = RECORD) -> dict:
    """The record of second-configuration passes: {lesson stem: {"key", "configuration", "passed" (a date),
    "seconds", "processor", "avx512"}}; passes recorded before the processor was have no "processor"."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        sys.exit(f"{path} is not valid JSON ({error}): delete it and run `make test` to record it anew.")


def write_record(record: dict, path: Path = RECORD) -> None:
    """Write the record atomically, keys sorted, so a change shows as a small diff."""
    plumbing.write_atomically(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def passed_on(entry: Mapping) -> str:
    """Where a recorded pass ran, in words: "on Intel(R) Xeon(R) Processor, with AVX-512"."""
    if not entry.get("processor"):
        return "on a processor not recorded"
    avx = {True: ", with AVX-512", False: ", without AVX-512"}.get(entry.get("avx512"), "")
    return f"on {entry['processor']}{avx}"


def run_second_configurations(every: list[Lesson], everything: bool = False, record_path: Path = RECORD) -> int:
    """Run the second configuration of every lesson whose key changed (all with everything); record passes."""
    record = read_record(record_path)
    keys = {each.stem: second_configuration_key(each, every) for each in every}
    stale = [each for each in every if everything or record.get(each.stem, {}).get("key") != keys[each.stem]]
    # A lesson that loads another's model needs that model: the lessons it loads from run first, each under its
    # own second configuration, so that what it loads passed that lesson's check in the same run.
    to_run = with_dependencies(stale, every)
    for each in every:
        if each not in to_run:
            key = keys[each.stem]
            on = passed_on(record[each.stem])
            print(f"Second configuration of {each.stem}: skipped, it passed under key {key} {on} ({record_path.name})")
    if not to_run:
        return 0
    # A pass holds for the processor it ran on (its instruction set changes the kernels): the record names it.
    here = plumbing.machine()
    with tempfile.TemporaryDirectory(prefix="second-configuration-") as scratch:
        for each in to_run:
            changed = record.get(each.stem, {}).get("key") != keys[each.stem]
            why = "a later lesson loads its model" if each not in stale else "its inputs changed"
            why = "make test-all runs every one" if each in stale and not changed else why
            print(f"Second configuration of {each.stem} ({why}): {each.second_configuration}", flush=True)
            started = time.monotonic()
            if nbval([each], Path(scratch), each.second_configuration) != 0:
                print(f"FAILED: {each.stem} under {each.second_configuration}")
                return 1
            record[each.stem] = {
                "key": keys[each.stem],
                "configuration": str(each.second_configuration),
                "passed": time.strftime("%Y-%m-%d"),
                "seconds": round(time.monotonic() - started),
                "processor": here["processor"],
                "avx512": here["avx512"],
            }
            write_record(record, record_path)
    print(f"Recorded in {record_path}: commit it with the lessons it checked.")
    return 0


def plan(every: list[Lesson], skip_checked: bool = True) -> list[tuple[Configuration, list[Lesson]]]:
    """Each configuration of `make test-all` with the lessons checked under it (and those they load from), in order.

    With skip_checked, a lesson's own backend and its second configuration are left out: `make test`
    and `second-configuration --all` run those.
    """
    by_name: dict[str, tuple[Configuration, list[Lesson]]] = {}
    for each in every:
        for configuration in each.configurations:
            if not (skip_checked and each.checked_by_make_test(configuration)):
                by_name.setdefault(configuration.name, (configuration, []))[1].append(each)
    # A lesson that loads another's model needs that model trained under the same configuration.
    return [(configuration, with_dependencies(chosen, every)) for configuration, chosen in by_name.values()]


def run_configurations(every: list[Lesson]) -> int:
    """Every lesson under each configuration of `make test-all` that `make test` does not check already."""
    failed = []
    for configuration, chosen in plan(every):
        with tempfile.TemporaryDirectory(prefix="configuration-") as scratch:
            for each in chosen:
                started = time.monotonic()
                print(f"{each.stem} under {configuration}", flush=True)
                if nbval([each], Path(scratch), configuration) != 0:
                    failed.append(f"{each.stem} under {configuration}")
                    break
                print(f"  passed in {time.monotonic() - started:.0f} s", flush=True)
    for failure in failed:
        print(f"FAILED: {failure}")
    return 1 if failed else 0


# ------------------------------------------------------------------ the lesson tables


def lesson_table(every: list[Lesson], page: Path) -> str:
    """The lesson table of a page: each lesson's title, linking its notebook from the page, and its summary."""
    lines = ["| lesson | what you do |", "|---|---|"]
    for each in every:
        link = Path(os.path.relpath(each.notebook, Path(page).parent)).as_posix()
        lines.append(f"| [{each.stem[:2]} · {each.declared.title}]({link}) | {each.declared.summary} |")
    return "\n".join(lines)


def write_tables(every: list[Lesson], root: Path = CHECKOUT, check: bool = False) -> list[Path]:
    """Write the lesson tables of TABLE_PAGES from the lessons' front matter; the pages that were stale."""
    pages = [Path(root) / name for name in TABLE_PAGES]
    written = []
    for page in pages:
        table = lesson_table(every, page)
        written += plumbing.write_generated([page], TABLES_COMMAND, lambda _, table=table: table, check)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lessons", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the lessons in order: stem, own backend, second configuration, loads, budget")
    paths = commands.add_parser("paths", help="the lessons' .ipynb files in order (--md: their .md sources)")
    paths.add_argument("--md", action="store_true")
    commands.add_parser("nbval-options", help="the strict nbval options every check uses")
    run = commands.add_parser("run", help="execute every lesson (or those named) in place, in order (`make run`)")
    run.add_argument("stems", nargs="*", metavar="LESSON", help="lessons to execute, e.g. 03_convnets (default: all)")
    run.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    second = commands.add_parser("second-configuration", help="run the second configuration where its key changed")
    second.add_argument("--all", action="store_true", help="ignore the record and run every lesson's")
    commands.add_parser("configurations", help="every lesson under every configuration of `make test-all`")
    commands.add_parser("key", help="print each lesson's second-configuration key and whether it is recorded")
    tables = commands.add_parser("tables", help="write the lesson tables of README.md and docs/index.md")
    tables.add_argument("--check", action="store_true", help="write nothing; fail if a table is stale")
    args = parser.parse_args(argv)
    every = lessons()
    if args.command == "list":
        for each in every:
            loads = ", ".join(each.loads) or "nothing"
            print(
                f"{each.stem}: own backend {each.own_backend}; second configuration {each.second_configuration}; "
                f"loads {loads}; budget {each.declared.budget_s} s; imports "
                + ", ".join(path.stem for path in modules_used([each]))
            )
        return 0
    if args.command == "paths":
        print(" ".join(str((each.md if args.md else each.notebook).relative_to(CHECKOUT)) for each in every))
        return 0
    if args.command == "nbval-options":
        print(" ".join(NBVAL))
        return 0
    if args.command == "run":
        try:
            chosen = [lesson(stem) for stem in args.stems] if args.stems else every
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        try:
            execute_in_place(chosen, args.timeout)
        except RuntimeError as failure:
            print(failure, file=sys.stderr)
            return 1
        print("Done. The executed notebooks, with their outputs: " + ", ".join(e.notebook.name for e in chosen))
        print("Open them with `make lab`, or read them in any notebook viewer.")
        return 0
    if args.command == "key":
        record = read_record()
        for each in every:
            key = second_configuration_key(each, every)
            entry = record.get(each.stem, {})
            passed = f"recorded: passed {entry.get('passed', '?')} {passed_on(entry)}"
            state = passed if entry.get("key") == key else "NOT recorded: make test runs it"
            print(f"{each.stem} {key} {state}")
        return 0
    if args.command == "tables":
        try:
            stale = write_tables(every, CHECKOUT, check=args.check)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        names = ", ".join(str(path.relative_to(CHECKOUT)) for path in stale) or "no page"
        if args.check:
            print(f"Stale lesson tables: {names}; run `{TABLES_COMMAND}`." if stale else "The lesson tables are fresh.")
            return 1 if stale else 0
        print(f"Rewrote the lesson tables of {names} from the lessons' front matter.")
        return 0
    if args.command == "second-configuration":
        return run_second_configurations(every, everything=args.all)
    return run_configurations(every)


if __name__ == "__main__":
    sys.exit(main())
