"""Tests of tools/lessons.py, the lesson registry: what it reads from a lesson, when it reruns a configuration."""

from __future__ import annotations

import json
import re
import shutil

import jupytext
import pytest
import yaml

from benchmarks import lessons as benchmark
from mnist_lesson.paths import CHECKOUT
from tools import lessons as registry

HEADER = "---\njupyter:\n  kernelspec:\n    name: python3\n---\n\n"
#: What a lesson declares, as a fixture lesson's front matter holds it.
DECLARED = {
    "title": "A fixture lesson",
    "summary": "prints one number",
    "budget_s": 5,
    "browser": [{"cell": "print(", "number": "answer: ([0-9]+)", "at_least": 42}, {"figure": "fixture.png"}],
}


def header(declared: dict) -> str:
    """A Jupytext header declaring what a lesson declares, as the lessons' own headers are written."""
    meta = {"jupytext": {"formats": "ipynb,md", "notebook_metadata_filter": "mnist_lesson"}}
    meta |= {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    return "---\n" + yaml.safe_dump({"jupyter": meta | {"mnist_lesson": declared}}) + "---\n\n"


def setup_cell(backend: str) -> str:
    return f'```python\nimport os\nos.environ.setdefault("KERAS_BACKEND", "{backend}")\n```\n'


def make_lesson(folder, stem: str, body: str) -> registry.Lesson:
    """A lesson pair whose .md is the given text (the .ipynb's bytes only matter to the key)."""
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.md").write_text(header(DECLARED) + body)
    (folder / f"{stem}.ipynb").write_text(json.dumps({"cells": [], "source": body}))
    return registry.Lesson(folder / f"{stem}.ipynb")


@pytest.fixture
def course(tmp_path):
    """Three lessons as the course has them: 02 and 03 load 01's model; 03 trains on TensorFlow."""
    folder = tmp_path / "notebooks"
    make_lesson(folder, "01_mnist", setup_cell("jax") + "```python\nmodel.save(trained_model_path())\n```\n")
    make_lesson(folder, "02_second", setup_cell("jax") + "```python\nload_model(ensure_trained_model())\n```\n")
    make_lesson(folder, "03_third", setup_cell("tensorflow") + '```python\nm = trained_model_path("02_second")\n```\n')
    (folder / "README.md").write_text("# not a lesson\n")
    (folder / "scratch.ipynb").write_text("{}")
    return folder


def test_the_lessons_are_the_numbered_pairs_in_order(course):
    assert [each.stem for each in registry.lessons(course)] == ["01_mnist", "02_second", "03_third"]


def test_a_lessons_backend_and_what_it_loads_are_read_from_its_own_text(course):
    first, second, third = registry.lessons(course)
    assert [first.own_backend, second.own_backend, third.own_backend] == ["jax", "jax", "tensorflow"]
    # ensure_trained_model() is lesson 01's model; a named trained_model_path() another lesson's.
    assert (first.loads, second.loads, third.loads) == ((), (registry.FIRST_LESSON,), ("02_second",))


def test_make_test_covers_the_lessons_own_backends_and_make_test_all_every_one(course, tmp_path):
    every = registry.lessons(course)
    assert registry.checked_backends(every, env={}) == ["jax", "tensorflow"]
    assert registry.checked_backends(every[:2], env={"MNIST_LESSON_CHECKS": "yes"}) == ["jax"]
    assert registry.checked_backends(every[:2], env={"MNIST_LESSON_CHECKS": "all"}) == ["jax", "tensorflow", "torch"]
    assert not registry.every_check({}) and registry.every_check({registry.CHECKS_ENV: "all"})


def test_a_lesson_that_sets_no_backend_is_refused_with_what_to_add(tmp_path):
    lesson = make_lesson(tmp_path, "05_nothing", "```python\nprint(1)\n```\n")
    with pytest.raises(ValueError, match=r'05_nothing.md sets no backend.*setdefault\("KERAS_BACKEND"'):
        _ = lesson.own_backend


def test_dependencies_are_followed_transitively_and_kept_in_course_order(course):
    every = registry.lessons(course)
    first, second, third = every
    assert [e.stem for e in registry.with_dependencies([third], every)] == ["01_mnist", "02_second", "03_third"]
    assert [e.stem for e in registry.with_dependencies([third, first], every)] == ["01_mnist", "02_second", "03_third"]
    assert [e.stem for e in registry.with_dependencies([first], every)] == ["01_mnist"]
    with pytest.raises(ValueError, match="02_second loads the model of 01_mnist, which is not a lesson"):
        registry.with_dependencies([second], [second])


def test_a_lesson_on_a_backend_without_a_second_configuration_is_refused_with_what_to_add(tmp_path):
    lesson = make_lesson(tmp_path, "04_torch", setup_cell("torch"))
    with pytest.raises(ValueError, match="04_torch runs on torch, which has no second configuration yet"):
        _ = lesson.second_configuration


def test_a_new_lesson_counts_before_it_is_executed_and_prose_that_quotes_code_does_not(tmp_path):
    folder = tmp_path / "notebooks"
    make_lesson(folder, "01_mnist", setup_cell("jax"))
    (folder / "02_new.md").write_text(
        HEADER + 'Lesson 03 used `os.environ.setdefault("KERAS_BACKEND", "tensorflow")`.\n\n' + setup_cell("jax")
    )
    every = registry.lessons(folder)
    assert [each.stem for each in every] == ["01_mnist", "02_new"]  # `make sync` creates its .ipynb from the list
    assert every[1].own_backend == "jax" and not every[1].notebook.exists()


def test_test_all_covers_every_backend_and_the_own_one_on_one_core_and_avx(course):
    first, _, third = registry.lessons(course)
    names = [c.name for c in third.configurations]
    assert [n for n in names if "one core" not in n and "ISA" not in n] == [
        f"KERAS_BACKEND={b}" for b in registry.BACKENDS
    ]
    assert "KERAS_BACKEND=tensorflow on one core" in names and "KERAS_BACKEND=jax on one core" not in names
    checked = [c.name for c in first.configurations if first.checked_by_make_test(c)]
    assert checked == ["KERAS_BACKEND=jax", "KERAS_BACKEND=tensorflow"]  # make test's two runs of a JAX lesson


def test_a_lesson_that_declares_its_backends_is_checked_on_those_alone(tmp_path):
    lesson = make_lesson(tmp_path, "99_fixture", "")
    lesson.md.write_text(header(DECLARED | {"backends": ["tensorflow"]}) + setup_cell("tensorflow"))
    assert [c.name for c in lesson.configurations] == [
        "KERAS_BACKEND=tensorflow",
        "KERAS_BACKEND=tensorflow on one core",
        "KERAS_BACKEND=tensorflow ONEDNN_MAX_CPU_ISA=AVX",
    ]
    elsewhere = make_lesson(tmp_path, "98_fixture", "")
    elsewhere.md.write_text(header(DECLARED | {"backends": ["tensorflow"]}) + setup_cell("jax"))
    with pytest.raises(ValueError, match="runs on jax, which its front matter's `backends` leaves out"):
        _ = elsewhere.configurations


@pytest.fixture
def root(tmp_path):
    """A copy of what the key reads from the checkout, with a README beside it."""
    root = tmp_path / "root"
    for name in (*registry.KEY_INPUTS, registry.PACKAGE_DIR.as_posix()):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if (CHECKOUT / name).is_dir():
            shutil.copytree(CHECKOUT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(CHECKOUT / name, root / name)
    shutil.copy(CHECKOUT / "pyproject.toml", root / "pyproject.toml")
    (root / "README.md").write_text("# Prose\n")
    return root


def test_the_key_changes_with_what_a_lessons_outputs_depend_on_and_nothing_else(course, root):
    every = registry.lessons(course)
    first, second, third = every

    def keys():
        return [registry.second_configuration_key(each, every, root) for each in every]

    before = keys()
    (root / "README.md").write_text("# Prose, edited\n")
    pyproject = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(pyproject.replace("line-length = 120", "line-length = 100"))
    assert keys() == before, "prose and ruff's settings cannot change a lesson's outputs"
    (root / "pyproject.toml").write_text(pyproject.replace('nbval_tolerance = "0.005"', 'nbval_tolerance = "0.01"'))
    assert all(a != b for a, b in zip(before, keys())), "the default tolerance decides comparisons"
    (root / "pyproject.toml").write_text(pyproject)

    first.notebook.write_text(first.notebook.read_text() + " ")
    after_01 = keys()
    assert [a != b for a, b in zip(before, after_01)] == [True, True, True], "02 and 03 load 01's model, 03 via 02"

    third.notebook.write_text(third.notebook.read_text() + " ")
    assert [a != b for a, b in zip(after_01, keys())] == [False, False, True]

    for name in ("requirements.txt", "tools/nbval_tolerance.py", "tests/nbval_sanitize.cfg"):
        latest = keys()
        (root / name).write_text((root / name).read_text() + "\n")
        assert all(a != b for a, b in zip(latest, keys())), f"{name} is an input of every lesson's key"


def test_only_stale_lessons_and_what_they_load_from_are_run_then_recorded(course, tmp_path, monkeypatch, capsys):
    every = registry.lessons(course)
    record = tmp_path / "record.json"
    runs = []
    monkeypatch.setattr(registry, "nbval", lambda chosen, scratch, configuration: runs.append(chosen[0].stem) or 0)
    monkeypatch.setattr(registry, "second_configuration_key", lambda each, every: f"key-of-{each.stem}")
    monkeypatch.setattr(registry.plumbing, "machine", lambda: {"processor": "AMD EPYC 7763", "avx512": False})
    stored = {
        "01_mnist": {"key": "key-of-01_mnist"},
        "02_second": {"key": "old"},
        "03_third": {"key": "key-of-03_third"},
    }
    record.write_text(json.dumps(stored))

    assert registry.run_second_configurations(every, record_path=record) == 0
    assert runs == ["01_mnist", "02_second"]  # 02 changed; 01 runs too, to train the model 02 loads
    said = capsys.readouterr().out
    assert "Second configuration of 03_third: skipped, it passed under key key-of-03_third" in said
    assert "02_second (its inputs changed)" in said and "01_mnist (a later lesson loads its model)" in said
    assert json.loads(record.read_text())["02_second"]["key"] == "key-of-02_second"
    # Each pass names its processor: one on AVX-512 says nothing of an AVX2-only one.
    assert {k: json.loads(record.read_text())["02_second"][k] for k in ("processor", "avx512")} == {
        "processor": "AMD EPYC 7763",
        "avx512": False,
    }

    runs.clear()
    assert registry.run_second_configurations(every, record_path=record) == 0
    assert runs == []
    said = capsys.readouterr().out
    assert "02_second: skipped, it passed under key key-of-02_second on AMD EPYC 7763, without AVX-512" in said
    assert "03_third: skipped, it passed under key key-of-03_third on a processor not recorded" in said
    assert registry.run_second_configurations(every, everything=True, record_path=record) == 0
    assert runs == ["01_mnist", "02_second", "03_third"]
    assert capsys.readouterr().out.count("(make test-all runs every one)") == 3


def test_a_failed_second_configuration_is_not_recorded(course, tmp_path, monkeypatch):
    every = registry.lessons(course)
    record = tmp_path / "record.json"
    monkeypatch.setattr(registry, "nbval", lambda chosen, scratch, configuration: 1)
    monkeypatch.setattr(registry, "second_configuration_key", lambda each, every: "new")
    assert registry.run_second_configurations(every, record_path=record) == 1
    assert not record.exists()


def test_the_record_in_the_repository_names_only_lessons_that_exist():
    recorded = registry.read_record()
    assert set(recorded) <= {each.stem for each in registry.lessons()}


def test_imports_are_read_from_the_code_cells_and_followed_through_the_package(tmp_path):
    package = tmp_path / "src" / "mnist_lesson"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The package."""\n')
    (package / "top.py").write_text("from .middle import thing\n")
    (package / "middle.py").write_text("def thing():\n    from mnist_lesson import bottom\n")
    (package / "bottom.py").write_text("import numpy\n")
    (package / "alone.py").write_text("")
    body = "```python\n%matplotlib inline\nfrom mnist_lesson.top import thing\nimport numpy\n```\n"
    body += "Prose that says `from mnist_lesson import alone` is not code.\n"
    lesson = make_lesson(tmp_path / "notebooks", "01_a", body)
    assert lesson.imports == {"mnist_lesson", "mnist_lesson.top", "mnist_lesson.top.thing"}
    used = registry.modules_used([lesson], tmp_path)
    assert [path.name for path in used] == ["__init__.py", "bottom.py", "middle.py", "top.py"]


def test_a_change_to_one_helper_rekeys_only_the_lessons_that_import_it(root):
    folder = root / "notebooks"
    uses = {
        "01_plots": "from mnist_lesson.plots import history_plot",
        "02_handwriting": "from mnist_lesson.handwriting import to_mnist_style",
        "03_loads": "from mnist_lesson.models import ensure_trained_model\nload(ensure_trained_model())",
        "04_checks": "from mnist_lesson import checks",
    }
    every = [make_lesson(folder, stem, setup_cell("jax") + f"```python\n{code}\n```\n") for stem, code in uses.items()]
    # 03 loads the model of lesson 01 (the registry's FIRST_LESSON): give it that name.
    first = make_lesson(folder, registry.FIRST_LESSON, setup_cell("jax") + f"```python\n{uses['01_plots']}\n```\n")
    every = sorted([first, *every[1:]], key=lambda each: each.stem)
    stems = [each.stem for each in every]

    def keys():
        return {each.stem: registry.second_configuration_key(each, every, root) for each in every}

    def rekeyed_by(module: str) -> list[str]:
        before = keys()
        path = root / registry.PACKAGE_DIR / module
        path.write_text(path.read_text() + "\n# changed\n")
        return [stem for stem, key in keys().items() if key != before[stem]]

    assert stems == ["01_mnist", "02_handwriting", "03_loads", "04_checks"]
    assert rekeyed_by("handwriting.py") == ["02_handwriting"]
    assert rekeyed_by("plots.py") == ["01_mnist", "03_loads"]  # 03 loads lesson 01's model
    assert rekeyed_by("paths.py") == ["03_loads"]  # models.py imports paths
    assert rekeyed_by("checks.py") == ["04_checks"]
    assert rekeyed_by("__init__.py") == stems  # every import of the package runs it


def test_a_lessons_declarations_are_read_from_its_front_matter(tmp_path):
    lesson = make_lesson(tmp_path, "05_fixture", "")
    lesson.md.write_text(header(DECLARED) + setup_cell("jax"))
    declared = lesson.declared
    assert (declared.title, declared.summary, declared.budget_s) == ("A fixture lesson", "prints one number", 5)
    assert declared.budget_ratio is None  # optional: only a lesson held to the first one's time declares it
    held = make_lesson(tmp_path, "06_fixture", "")
    held.md.write_text(header(DECLARED | {"budget_ratio": 2.5}) + setup_cell("jax"))
    assert held.declared.budget_ratio == 2.5
    number, figure = declared.browser
    assert (number.cell, number.number, number.at_least, number.below) == ("print(", "answer: ([0-9]+)", 42, None)
    assert (figure.figure, figure.cell) == ("fixture.png", None)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"summary": None}, r"lacks summary: a lesson declares title, summary, budget_s, browser"),
        ({"budget": 5}, r"unknown keys budget"),
        ({"budget_s": "a minute"}, r"`budget_s` is 'a minute': the seconds"),
        ({"backends": ["theano"]}, r"`backends` is \['theano'\]: a list of the backends the lesson runs on"),
        ({"budget_ratio": -3}, r"`budget_ratio` is -3: how many times the first lesson's headless time"),
        ({"summary": "x" * 161}, r"the summary has 161 characters; shorten it to 160"),
        ({"title": "two | columns"}, r"`title` is 'two \| columns': one line of text, without `\|`"),
        ({"browser": {"cell": "x"}}, r"`browser` is .*: a list of checks"),
        ({"browser": [{"cell": "x", "contain": "y"}]}, r"browser check 1 has unknown keys \['contain'\]"),
        ({"browser": [{"contains": "y"}]}, r"browser check 1 needs exactly one of `cell`"),
        ({"browser": [{"cell": "x"}]}, r"browser check 1: a `cell` check needs one of contains"),
        ({"browser": [{"cell": "x", "number": "([0-9]+)"}]}, r"`number` and a bound .* go together"),
        ({"browser": [{"cell": "x", "number": "[0-9]+", "below": 1}]}, r"needs exactly one group"),
        ({"browser": [{"cell": "x", "number": "(.)", "below": "1e-4"}]}, r"`below` is '1e-4', not a number"),
        ({"browser": [{"cell": "x", "count": {"a": 1.5}}]}, r"'a' counts 1.5, not a whole number"),
        ({"browser": [{"figure": "a.png", "images": 1}]}, r"a `figure` check has nothing else"),
    ],
)
def test_a_missing_or_wrong_declaration_is_refused_with_what_to_fix(tmp_path, change, message):
    declared = {k: v for k, v in (DECLARED | change).items() if v is not None}
    lesson = make_lesson(tmp_path, "05_fixture", "")
    lesson.md.write_text(header(declared) + setup_cell("jax"))
    with pytest.raises(ValueError, match=message):
        _ = lesson.declared


def test_a_lesson_that_declares_nothing_is_told_where_to_declare_it(tmp_path):
    lesson = make_lesson(tmp_path, "05_fixture", "")
    lesson.md.write_text(HEADER + setup_cell("jax"))
    with pytest.raises(ValueError, match=r"05_fixture.md declares nothing: its header needs `mnist_lesson:` under"):
        _ = lesson.declared


@pytest.fixture
def checkout(root):
    """A scratch copy of the course: its lessons' .md and .ipynb, the pages with lesson tables, the key's inputs."""
    shutil.copytree(CHECKOUT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".*", "*.keras"))
    for name in registry.TABLE_PAGES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CHECKOUT / name, root / name)
    return root


def test_a_new_lesson_is_picked_up_everywhere_with_nothing_else_edited(checkout):
    # 99 sorts after every real lesson, so the new one comes last.
    before = registry.lessons(checkout / "notebooks")
    md = checkout / "notebooks" / "99_fixture.md"
    code = '```python\nimport os\n\nos.environ.setdefault("KERAS_BACKEND", "jax")\n'
    code += 'from mnist_lesson.repro import reproducible\n\nreproducible(seed=42)\nprint("answer:", 42)\n```\n'
    md.write_text(header(DECLARED) + "# Lesson 99 · A fixture lesson\n\n" + code)
    jupytext.write(jupytext.read(md), md.with_suffix(".ipynb"))  # what `make sync` does

    every = registry.lessons(checkout / "notebooks")
    fixture = every[-1]
    assert [each.stem for each in every] == [*(each.stem for each in before), "99_fixture"]
    assert fixture.own_backend == "jax" and fixture.loads == () and str(fixture.second_configuration)
    assert benchmark.budgets(every)["99_fixture"] == 5
    assert benchmark.budgets(every) == {each.stem: each.declared.budget_s for each in every}
    assert [check.cell or check.figure for check in fixture.declared.browser] == ["print(", "fixture.png"]

    assert registry.write_tables(every, checkout, check=True) == [checkout / name for name in registry.TABLE_PAGES]
    registry.write_tables(every, checkout)
    readme, index = ((checkout / name).read_text() for name in registry.TABLE_PAGES)
    assert "| [99 · A fixture lesson](notebooks/99_fixture.ipynb) | prints one number |\n" in readme
    assert "| [99 · A fixture lesson](../notebooks/99_fixture.ipynb) | prints one number |\n" in index
    assert registry.write_tables(every, checkout, check=True) == []

    key = registry.second_configuration_key(fixture, every, checkout)
    assert len(key) == 16 and key not in {registry.second_configuration_key(e, every, checkout) for e in before}
    modules = registry.modules_used([fixture], checkout)
    assert [path.name for path in modules] == ["__init__.py", "repro.py"]


def test_the_tables_command_checks_and_writes_the_checkouts_pages(checkout, monkeypatch, capsys):
    # The scratch course's first two lessons only: both tables lose the other rows.
    first_two = registry.lessons(checkout / "notebooks")[:2]
    monkeypatch.setattr(registry, "CHECKOUT", checkout)
    monkeypatch.setattr(registry, "lessons", lambda: first_two)
    assert registry.main(["tables", "--check"]) == 1
    assert "Stale lesson tables: README.md, docs/index.md" in capsys.readouterr().out
    assert registry.main(["tables"]) == 0 and registry.main(["tables", "--check"]) == 0
    assert "04_" not in (checkout / "README.md").read_text() and "02_" in (checkout / "README.md").read_text()


def stored_output(cell: dict) -> tuple[str, int]:
    """A code cell's stored text output, as JupyterLab shows it, and how many images it stores."""
    text = "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]
    )
    # JupyterLab renders the terminal's colour codes away (Keras's summary has them).
    return re.sub(r"\x1b\[[0-9;]*m", "", text), sum("image/png" in o.get("data", {}) for o in cell["outputs"])


@pytest.mark.parametrize("each", registry.lessons(), ids=lambda each: each.stem)
def test_each_lessons_browser_checks_hold_on_its_stored_outputs(each):
    # The browser test asks the same of a fresh run; here a check naming a cell that is gone fails at once.
    cells = json.loads(each.notebook.read_text())["cells"]
    for check in each.declared.browser:
        if check.figure is not None:
            assert any(check.figure in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), check
            continue
        found = [c for c in cells if c["cell_type"] == "code" and check.cell in "".join(c["source"])]
        assert found, f"{each.stem}: no code cell contains {check.cell!r}: update its front matter's browser check"
        shown, images = stored_output(found[0])
        assert check.contains is None or check.contains in shown, (check, shown)
        if check.number is not None:
            value = float(re.search(check.number, shown).group(1))
            assert check.at_least is None or value >= check.at_least, (check, value)
            assert check.below is None or value < check.below, (check, value)
        assert check.images is None or images == check.images, (check, images)
        for pattern, times in (check.count or {}).items():
            assert len(re.findall(pattern, shown)) == times, (check, shown)


def test_the_key_command_says_on_which_processor_each_recorded_pass_ran(monkeypatch, capsys):
    every = registry.lessons()
    keys = {each.stem: registry.second_configuration_key(each, every) for each in every}
    first, second, *_ = every
    recorded = {
        first.stem: {"key": keys[first.stem], "passed": "2026-12-01", "processor": "Intel Xeon", "avx512": True},
        second.stem: {"key": keys[second.stem], "passed": "2026-11-28"},  # recorded before processors were
    }
    monkeypatch.setattr(registry, "read_record", lambda: recorded)
    assert registry.main(["key"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"{first.stem} {keys[first.stem]} recorded: passed 2026-12-01 on Intel Xeon, with AVX-512"
    assert said[1] == f"{second.stem} {keys[second.stem]} recorded: passed 2026-11-28 on a processor not recorded"
    assert all(line.endswith("NOT recorded: make test runs it") for line in said[2:])
