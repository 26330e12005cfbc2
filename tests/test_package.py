"""The learner package holds only what lessons import, and every "(lesson NN)" pointer in it is true."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from tools.lessons import lessons

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mnist_lesson"
MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
LESSONS = {each.stem[:2]: each.md.read_text() for each in lessons()}
POINTER = re.compile(r"\((?:introduced in )?lesson (\d\d)\)")


def imported_by(lesson: str, module: str) -> set[str]:
    """The names a lesson imports from mnist_lesson.<module>."""
    names = set()
    for line in re.findall(rf"^\s*from mnist_lesson\.{module} import (.+)$", LESSONS[lesson], re.MULTILINE):
        names |= {name.strip() for name in line.split(",")}
    return names


def pointers(path: Path):
    """(name, lesson) for the module and every top-level function or class whose docstring names a lesson."""
    tree = ast.parse(path.read_text())
    for node in [tree, *tree.body]:
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef):
            doc = ast.get_docstring(node) or ""
            first = doc.splitlines()[0] if doc else ""
            for lesson in POINTER.findall(first):
                yield (None if isinstance(node, ast.Module) else node.name), lesson


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_every_module_is_imported_by_a_lesson_and_its_pointers_are_true(path):
    module = path.stem
    assert any(imported_by(lesson, module) for lesson in LESSONS), f"no lesson imports mnist_lesson.{module}"
    found = list(pointers(path))
    assert any(name is None for name, _ in found), f"{path.name}: its docstring names no lesson that introduces it"
    for name, lesson in found:
        assert lesson in LESSONS, f"{path.name}: {name or 'module'} points at lesson {lesson}, which does not exist"
        names = imported_by(lesson, module)
        if name is None:
            assert names, f"{path.name} says lesson {lesson} introduces it, but that lesson imports nothing from it"
        else:
            assert name in names, f"{path.name}: {name} points at lesson {lesson}, which does not import it"


#: Top-level packages of the course's tooling and checks: a learner's package that imported one would not install alone.
TOOLING = {"tools", "benchmarks", "tests", "pytest", "nbval", "jupytext", "sphinx", "myst_nb", "playwright"}


def tooling_imports(path: Path) -> list[str]:
    """The modules of the course's tooling that a file imports, at any depth of its code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [name for name in names if name.split(".")[0] in TOOLING]
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_no_module_of_the_package_imports_course_tooling(path):
    # Pairing checks, figure builds, CI plugins and benchmarks live in tools/, tests/ and benchmarks/.
    assert not tooling_imports(path), f"{path.name} imports course tooling; move that code to tools/"


def test_a_module_that_imports_course_tooling_is_found(tmp_path):
    planted = tmp_path / "helper.py"
    planted.write_text("import os\nfrom tools.lessons import lessons\n\ndef f():\n    import pytest\n")
    assert tooling_imports(planted) == ["tools.lessons", "pytest"]


def test_a_module_no_lesson_imports_fails_the_rule(monkeypatch):
    # The rule's own check, on a lesson set that no longer imports mnist_lesson.data.
    without = {
        stem: re.sub(r"^from mnist_lesson\.data import .+$", "", text, flags=re.MULTILINE)
        for stem, text in LESSONS.items()
    }
    monkeypatch.setattr(sys.modules[__name__], "LESSONS", without)
    with pytest.raises(AssertionError, match="no lesson imports mnist_lesson.data"):
        test_every_module_is_imported_by_a_lesson_and_its_pointers_are_true(PACKAGE / "data.py")
