"""Tests of tools/book.py: the site from docs/ and the lesson registry, and a strict build that names what broke.

The course's own site is built once per test run (the course_site fixture, tests/conftest.py); each
defect is tried on a tiny course of one lesson, which builds in seconds.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jupytext
import nbformat
import pytest

from mnist_lesson.paths import BOOK_IMAGES, CHECKOUT
from tools import book
from tools.lessons import lessons

LESSONS = lessons()
PAGES = sorted(page.stem for page in (CHECKOUT / "docs").glob("*.md") if page.stem != "index")
FIGURE = "digit_7.png"
TINY_INDEX = f"""# A tiny course

| lesson | what you do |
|---|---|
| [01 · A tiny lesson](../notebooks/01_tiny.ipynb) | print a number |

Read [the guide](guide.md).

{book.LESSONS_TOCTREE}

```{{toctree}}
:hidden:
:caption: Pages

guide
```
"""
TINY_CELLS = [
    ("markdown", "# A tiny lesson\n\nIt prints a number."),
    ("code", "print(6 * 7)"),
    ("markdown", f"![A handwritten seven](../book/images/{FIGURE})\n\nBack to [the top](01_tiny.ipynb)."),
]


def tiny_course(root: Path) -> Path:
    """One executed lesson pair, one figure and two pages: the smallest course the site builds from."""
    notebook = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    for kind, source in TINY_CELLS:
        if kind == "code":
            output = nbformat.v4.new_output("stream", name="stdout", text="42\n")
            notebook.cells.append(nbformat.v4.new_code_cell(source, execution_count=1, outputs=[output]))
        else:
            notebook.cells.append(nbformat.v4.new_markdown_cell(source))
    (root / "notebooks").mkdir(parents=True)
    nbformat.write(notebook, root / "notebooks" / "01_tiny.ipynb")
    # Its Jupytext twin: the build only copies it as a download, and looks up the lines of its cells.
    text = "".join(f"```python\n{code}\n```\n\n" if kind == "code" else f"{code}\n\n" for kind, code in TINY_CELLS)
    (root / "notebooks" / "01_tiny.md").write_text(text)
    (root / "book" / "images").mkdir(parents=True)
    shutil.copy(BOOK_IMAGES / FIGURE, root / "book" / "images" / FIGURE)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(TINY_INDEX)
    (root / "docs" / "guide.md").write_text("# A guide\n\nThe [tiny lesson](../notebooks/01_tiny.ipynb).\n")
    return root


@pytest.fixture
def tiny(tmp_path) -> Path:
    return tiny_course(tmp_path / "course")


def build_tiny(tiny: Path) -> Path:
    return book.build(tiny / "out", tiny / "notebooks", tiny / "book" / "images", tiny / "docs")


def edit(path: Path, old: str, new: str) -> None:
    assert old in path.read_text(), f"{old!r} not in {path}"
    path.write_text(path.read_text().replace(old, new))


def edit_pair(notebooks: Path, stem: str, old: str, new: str) -> None:
    """Change both files of a lesson's pair, as an instructor's edit and `make sync` would."""
    for suffix in (".ipynb", ".md"):
        edit(notebooks / f"{stem}{suffix}", old, new)


def launch_file(folder: Path, **values: str) -> Path:
    """A book/launch.toml of its own: the course's settings, with the values given in their place."""
    settings = book.launch_settings() | values
    path = folder / "launch.toml"
    path.write_text("[launch]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items()))
    return path


class LaunchButtons(HTMLParser):
    """The launch buttons of a page of the site: where each sends a learner, by its name (Binder, JupyterHub)."""

    def __init__(self, page: Path):
        super().__init__()
        self.links: dict[str, str] = {}
        self.feed(page.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("title") or "").startswith("Launch on "):
            self.links[attrs["title"].removeprefix("Launch on ")] = attrs["href"]


def add_lesson(tiny: Path, stem: str) -> None:
    for suffix in (".ipynb", ".md"):
        shutil.copy(tiny / "notebooks" / f"01_tiny{suffix}", tiny / "notebooks" / f"{stem}{suffix}")


# ------------------------------------------------------------------ the course's own site


def first_printed_line(lesson) -> str:
    """The first line a lesson's stored outputs print (a stream output) that its own text does not also contain."""
    for cell in nbformat.read(lesson.notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines() if output.get("output_type") == "stream" else []:
                if len(line.strip()) > 4 and line.strip() not in lesson.source:
                    return line.strip()
    raise AssertionError(f"{lesson.notebook.name} stores no printed output that its text does not quote")


def test_the_home_page_is_docs_index_with_the_registrys_lessons_as_its_table_of_contents():
    text = (CHECKOUT / "docs" / "index.md").read_text()
    staged, marker, added = book.home_page(text, [each.stem for each in LESSONS])
    lines = staged.splitlines()
    assert book.LESSONS_TOCTREE not in lines and lines[: marker - 1] == text.splitlines()[: marker - 1]
    assert len(lines) == len(text.splitlines()) + added
    toctree = lines[marker - 1 : marker + added]
    assert toctree[0] == "```{toctree}" and ":caption: Lessons" in toctree and toctree[-1] == "```"
    entries = [line for line in toctree if line.startswith("notebooks/")]
    assert entries == [f"notebooks/{each.notebook.name}" for each in LESSONS]


def test_the_site_has_every_lesson_with_its_stored_outputs_and_every_page_of_docs(course_site):
    assert sorted(p.name for p in course_site.parent.iterdir()) == ["html"]  # no scratch folder left beside it
    for lesson in LESSONS:
        page = (course_site / "notebooks" / f"{lesson.stem}.html").read_text()
        printed = first_printed_line(lesson)
        assert html.escape(printed, quote=False) in page, f"{lesson.stem}'s page lacks its output {printed!r}"
    assert "669,706" in (course_site / "notebooks" / "01_mnist.html").read_text()
    network = (course_site / "_images" / "network.png").read_bytes()
    assert network == (BOOK_IMAGES / "network.png").read_bytes()
    home = (course_site / "index.html").read_text()
    for lesson in LESSONS:
        assert f'href="notebooks/{lesson.stem}.html"' in home
    for name in PAGES:
        assert f'href="{name}.html"' in home, f"the home page does not link docs/{name}.md"
    assert {"instructors", "checks", "performance", "design"} <= set(PAGES)
    # The pages link the lessons and each other as they do in the repository.
    instructors = (course_site / "instructors.html").read_text()
    assert 'href="checks.html' in instructors and "<h1>For instructors" in instructors
    assert (course_site / "searchindex.js").exists()


#: The launch buttons, by their names on the page, and the setting of book/launch.toml that each needs.
BUTTONS = {"Binder": "binderhub", "JupyterHub": "jupyterhub"}


def hub_notebook(link: str, settings: dict[str, str]) -> str:
    """The notebook a JupyterHub button opens, once its link is checked against the settings."""
    # nbgitpuller pulls the repository's branch into the learner's home, into a folder named after the
    # repository's last part (its default), then opens the notebook in JupyterLab.
    hub, folder = urlsplit(link), settings["repository"].rsplit("/", 1)[-1]
    assert (
        f"{hub.scheme}://{hub.netloc}{hub.path}" == f"{settings['jupyterhub'].rstrip('/')}/hub/user-redirect/git-pull"
    )
    pull = parse_qs(hub.query, strict_parsing=True)
    assert sorted(pull) == ["branch", "repo", "urlpath"] and all(len(v) == 1 for v in pull.values()), pull
    assert pull["repo"] == [settings["repository"]] and pull["branch"] == [settings["branch"]], pull
    assert pull["urlpath"][0].startswith(f"lab/tree/{folder}/"), pull["urlpath"]
    return pull["urlpath"][0].removeprefix(f"lab/tree/{folder}/")


def binder_notebook(link: str, settings: dict[str, str]) -> str:
    """The notebook a Binder button opens, once its link is checked against the settings."""
    # BinderHub builds the branch of a repository it names by provider, owner and name; the server starts in it.
    binder, repository = urlsplit(link), urlsplit(settings["repository"])
    owner, name = repository.path.strip("/").split("/")
    assert f"{binder.scheme}://{binder.netloc}" == settings["binderhub"].rstrip("/"), link
    spec = {"github.com": f"gh/{owner}/{name}", "gitlab.com": f"gl/{owner}%2F{name}"}[repository.hostname]
    assert binder.path == f"/v2/{spec}/{settings['branch']}", binder.path
    query = parse_qs(binder.query, strict_parsing=True)
    assert list(query) == ["urlpath"] and len(query["urlpath"]) == 1 and query["urlpath"][0].startswith("lab/tree/")
    return query["urlpath"][0].removeprefix("lab/tree/")


def test_each_lesson_page_launches_its_own_notebook_on_the_hub_and_on_binder(course_site):
    settings = book.launch_settings()
    expected = sorted(button for button, key in BUTTONS.items() if settings[key])
    check = {"Binder": binder_notebook, "JupyterHub": hub_notebook}
    launched = []
    for page in sorted(course_site.rglob("*.html")):
        links, where = LaunchButtons(page).links, page.relative_to(course_site)
        if where.parent != Path("notebooks"):
            assert not links, f"{where} is no lesson, yet it has launch buttons: {links}"
            continue
        assert sorted(links) == expected, f"{where}'s launch buttons: {links}; book/launch.toml sets {settings}"
        notebooks = {check[button](link, settings) for button, link in links.items()}
        assert notebooks <= {f"notebooks/{page.stem}.ipynb"}, f"{where} launches {notebooks}"
        launched += sorted(notebooks)
    # Every lesson of the registry, each from its own page, and nothing else (unless no button is set).
    assert launched == ([f"notebooks/{each.notebook.name}" for each in LESSONS] if expected else [])
    assert all((CHECKOUT / notebook).is_file() for notebook in launched)


def test_the_try_it_page_ships_the_pad_the_networks_and_only_the_runtime_files_it_loads(course_site):
    folder = course_site / book.TRY_IT
    assert sorted(p.name for p in (folder / "ort").iterdir()) == sorted(book.RUNTIME_FILES)
    for name in book.RUNTIME_FILES:
        assert (folder / "ort" / name).read_bytes() == (book.RUNTIME / "dist" / name).read_bytes()
    networks = sorted(book.SITE_NETWORKS.glob("*.onnx"))
    assert sorted(p.name for p in (folder / "networks").iterdir()) == [p.name for p in networks]
    copies = {folder / "networks" / p.name: p for p in networks} | {folder / p.name: p for p in book.PAD_FILES}
    for copy, path in copies.items():
        assert copy.read_bytes() == path.read_bytes(), f"{copy.relative_to(course_site)} is not {path}"
    page = (course_site / "try.html").read_text()
    assert '<script type="module" src="try-it/try.js"></script>' in page and 'role="status"' in page
    # The page's script loads everything from beside itself: no address of another site in it.
    assert "://" not in (folder / "try.js").read_text()


def test_the_install_line_is_made_from_the_repository_and_branch_of_book_launch_toml(tmp_path):
    launch = launch_file(tmp_path, repository="https://gitlab.com/school/digits", branch="spring")
    line = book.install_line(book.launch_settings(launch))
    assert line == 'pip install "mnist-lesson[lessons] @ git+https://gitlab.com/school/digits@spring"'


def test_every_lessons_first_import_of_the_helpers_says_the_install_line_of_book_launch_toml():
    line = book.install_line(book.launch_settings())
    for lesson in LESSONS:
        cells = jupytext.reads(lesson.source, fmt="md").cells
        first = next((c.source for c in cells if c.cell_type == "code" and "mnist_lesson" in c.source), None)
        assert first is not None, f"{lesson.md.name} has no code cell importing mnist_lesson"
        assert line in first, f"{lesson.md.name}'s first import of mnist_lesson does not say {line!r}:\n{first}"


def page_text(page: Path) -> str:
    """What a page of the site reads as, one space between words (inline code is a span per word)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())).split())


def test_each_lesson_page_says_how_to_run_it_in_three_ways(course_site):
    settings = book.launch_settings()
    for lesson in LESSONS:
        text = page_text(course_site / "notebooks" / f"{lesson.stem}.html")
        assert book.install_line(settings) in text, f"{lesson.stem}'s page lacks {book.install_line(settings)!r}"
        assert f"git clone {settings['repository']}" in text and "make lab" in text, lesson.stem
        assert "the rocket button at the top of this page" in text, lesson.stem


# ------------------------------------------------------------------ defects, on a tiny course


def test_a_tiny_course_builds_with_its_lesson_and_pages(tiny):
    html = build_tiny(tiny)
    assert 'href="notebooks/01_tiny.html"' in (html / "index.html").read_text()
    assert "42" in (html / "notebooks" / "01_tiny.html").read_text()
    assert 'href="notebooks/01_tiny.html"' in (html / "guide.html").read_text()


def test_a_broken_image_fails_the_build_naming_the_lesson_its_md_line_and_the_file(tiny):
    good = build_tiny(tiny) / "index.html"
    before = good.read_bytes()
    edit_pair(tiny / "notebooks", "01_tiny", f"images/{FIGURE}", "images/digit_l.png")
    line = next(n for n, text in enumerate((tiny / "notebooks" / "01_tiny.md").open(), 1) if "digit_l.png" in text)
    with pytest.raises(book.BookError) as failed:
        build_tiny(tiny)
    message = str(failed.value)
    assert f"notebooks/01_tiny.ipynb, cell 3 (notebooks/01_tiny.md, line {line})" in message
    assert "image file not readable: book/images/digit_l.png" in message
    assert "../book/images/NAME.png" in message  # and what to do about it
    # The site built before is still there, whole; no scratch folder is left.
    assert good.read_bytes() == before
    assert sorted(p.name for p in (tiny / "out").iterdir()) == ["html"]


def test_a_link_to_a_lesson_that_does_not_exist_fails_the_build(tiny):
    edit_pair(tiny / "notebooks", "01_tiny", "(01_tiny.ipynb)", "(01_tiyn.ipynb)")
    with pytest.raises(book.BookError, match=r"01_tiny\.ipynb, cell 3\b.*target not found: '01_tiyn\.ipynb'"):
        build_tiny(tiny)


@pytest.mark.parametrize(
    "defect, expected",
    [
        ("missing", r"docs/index\.md's lesson table lacks notebooks/02_tiny\.ipynb: add a row for each"),
        ("not a lesson", r"docs/index\.md's lesson table links notebooks/02_more\.ipynb, which is not a lesson"),
        ("out of order", r"docs/index\.md's lesson table lists the lessons out of order: 01_tiny, 02_tiny"),
        ("no table", r"docs/index\.md has no lesson table"),
        ("no marker", r"docs/index\.md lacks the line `<!-- The lessons' table of contents goes here"),
    ],
)
def test_a_home_page_that_does_not_list_the_lessons_is_refused(tiny, defect, expected):
    index = tiny / "docs" / "index.md"
    row = "| [01 · A tiny lesson]"
    if defect in ("missing", "out of order"):
        add_lesson(tiny, "02_tiny")
    if defect == "not a lesson":
        edit(index, row, f"| [02 · More](../notebooks/02_more.ipynb) | more |\n{row}")
    if defect == "out of order":
        edit(index, row, f"| [02 · Tiny](../notebooks/02_tiny.ipynb) | more |\n{row}")
    if defect == "no table":
        edit(index, row, "A tiny lesson")
    if defect == "no marker":
        edit(index, book.LESSONS_TOCTREE, "")
    with pytest.raises(book.BookError, match=expected):
        build_tiny(tiny)
    assert not (tiny / "out" / "html").exists()


def test_a_page_left_out_of_the_table_of_contents_fails_the_build(tiny):
    (tiny / "docs" / "extra.md").write_text("# Extra\n")
    with pytest.raises(book.BookError) as failed:
        build_tiny(tiny)
    assert "docs/extra.md: document isn't included in any toctree" in str(failed.value)
    assert "Every page of docs/ needs an entry in a toctree of docs/index.md" in str(failed.value)


def test_a_page_in_the_table_of_contents_but_not_in_docs_fails_naming_its_line_of_docs_index(tiny):
    index = tiny / "docs" / "index.md"
    edit(index, "guide\n```", "guide\nmissing\n```")
    line = index.read_text().splitlines().index("```{toctree}") + 1
    with pytest.raises(book.BookError) as failed:
        build_tiny(tiny)
    # Sphinx names the toctree's first line: docs/index.md's own, although the lessons' toctree went in above it.
    assert f"docs/index.md, line {line}: toctree contains reference to nonexisting document 'missing'" in str(
        failed.value
    )
    assert "A toctree of docs/index.md names a page that is not in docs/." in str(failed.value)


def test_a_hub_or_binderhub_left_empty_gets_no_button(tiny):
    launch = launch_file(tiny, jupyterhub="")
    html = book.build(tiny / "out", tiny / "notebooks", tiny / "book" / "images", tiny / "docs", launch)
    links = LaunchButtons(html / "notebooks" / "01_tiny.html").links
    assert sorted(links) == ["Binder"], links
    assert binder_notebook(links["Binder"], book.launch_settings(launch)) == "notebooks/01_tiny.ipynb"
    assert not LaunchButtons(html / "guide.html").links
    launch = launch_file(tiny, jupyterhub="", binderhub="")
    html = book.build(tiny / "out", tiny / "notebooks", tiny / "book" / "images", tiny / "docs", launch)
    assert not LaunchButtons(html / "notebooks" / "01_tiny.html").links


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"repository": "https://github.com/owner/mnist-lesson.git"}, r"ends in \.git"),
        ({"repository": "git@github.com:owner/mnist-lesson"}, r"is not a repository's web address"),
        ({"repository": "https://github.com/owner"}, r"is not a repository's web address"),
        ({"repository": "https://git.example.edu/owner/mnist-lesson"}, r"is not on GitHub, GitLab or Bitbucket"),
        ({"repository": "https://gitlab.example.edu/owner/mnist-lesson"}, r"not on github\.com or gitlab\.com"),
        ({"branch": "my branch"}, r"branch = 'my branch' is not a branch name"),
        ({"jupyterhub": "http://hub.example.org"}, r"is not HTTPS"),
        ({"jupyterhub": "hub.example.org"}, r"jupyterhub = 'hub.example.org' is not a web address"),
        ({"binderhub": "https://mybinder.org/?x=1"}, r"binderhub = .* is not a web address"),
        ({"jupyterhub": 8000}, r"jupyterhub must be a string in quotes"),
    ],
)
def test_a_wrong_launch_setting_is_refused_naming_it_and_what_it_should_be(tmp_path, values, expected):
    with pytest.raises(book.BookError, match=expected) as refused:
        book.launch_settings(launch_file(tmp_path, **values))
    key = next(iter(values))
    assert str(refused.value).startswith(f"{tmp_path / 'launch.toml'}: {key}")
    assert book.LAUNCH_KEYS[key] in str(refused.value)


def test_launch_settings_a_hub_may_have_are_accepted(tmp_path):
    # A hub under a path of its own server, a rehearsal on this machine without HTTPS, a self-hosted GitLab
    # without a Binder button.
    for values in (
        {"jupyterhub": "https://uni.example.edu/jupyter/"},
        {"jupyterhub": "http://127.0.0.1:8000"},
        {"repository": "https://gitlab.example.edu/owner/mnist-lesson", "binderhub": ""},
        {"repository": "https://gitlab.com/owner/mnist-lesson", "branch": "spring-2027"},
    ):
        assert book.launch_settings(launch_file(tmp_path, **values)).items() >= values.items()


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, r"launch\.toml is missing: it says where each lesson page's launch buttons send a learner"),
        ("[launch\n", r"launch\.toml is not valid TOML \(.*line 1"),
        ("repository = 'https://github.com/o/n'\n", r"launch\.toml has no \[launch\] table"),
        (
            "[launch]\nrepository = 'https://github.com/o/n'\nhub = ''\n",
            r"lacks branch, jupyterhub, binderhub and has hub",
        ),
    ],
)
def test_a_broken_launch_file_is_refused_before_sphinx_starts(tiny, text, expected):
    launch = tiny / "launch.toml"
    if text is not None:
        launch.write_text(text)
    with pytest.raises(book.BookError, match=expected):
        book.build(tiny / "out", tiny / "notebooks", tiny / "book" / "images", tiny / "docs", launch)
    assert not (tiny / "out").exists()


def test_a_lesson_without_its_md_twin_is_refused(tiny):
    (tiny / "notebooks" / "01_tiny.md").unlink()
    with pytest.raises(book.BookError, match=r"01_tiny\.md is missing.*make sync"):
        build_tiny(tiny)


@pytest.mark.parametrize(
    "damage, expected",
    [
        ("empty", r"No lessons \(NN_topic\.ipynb\) in .*notebooks"),
        ("no-ipynb", r"01_tiny\.ipynb is missing.*make sync.*make execute"),
        ("json", r"01_tiny\.ipynb is not a notebook .*make sync"),
        ("cells", r"01_tiny\.ipynb has no list of cells"),
    ],
)
def test_a_broken_notebooks_folder_is_refused_with_what_to_do(tiny, damage, expected):
    lesson = tiny / "notebooks" / "01_tiny.ipynb"
    if damage in ("empty", "no-ipynb"):
        lesson.unlink()
        if damage == "empty":
            lesson.with_suffix(".md").unlink()
    else:
        lesson.write_text('{"cells": ' if damage == "json" else '{"metadata": {}}')
    with pytest.raises(book.BookError, match=expected):
        build_tiny(tiny)
    assert not (tiny / "out" / "html").exists()


def test_missing_figures_or_home_page_are_refused(tiny):
    shutil.rmtree(tiny / "book" / "images")
    with pytest.raises(book.BookError, match=r"images is missing: the figures"):
        build_tiny(tiny)
    (tiny / "docs" / "index.md").unlink()
    with pytest.raises(book.BookError, match=r"docs/index\.md is missing: the site's home page"):
        build_tiny(tiny)


def test_a_folder_that_is_not_a_site_is_never_replaced(tiny):
    mine = tiny / "out" / "html" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own notes")
    with pytest.raises(book.BookError, match=r"html exists and is not a site Sphinx built: choose another --out"):
        build_tiny(tiny)
    assert mine.read_text() == "my own notes"


def test_the_command_says_where_the_site_is_or_what_failed(tiny):
    # Run as a module of the checkout, from elsewhere, with a relative --out as people type it:
    # messages still name the lesson files, not the scratch copy.
    env = dict(os.environ, PYTHONPATH=str(CHECKOUT))
    command = [sys.executable, "-m", "tools.book", "--out", "out", "--notebooks", "notebooks", "--docs", "docs"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tiny, env=env)
    assert done.returncode == 0, done.stderr
    assert "Open out/html/index.html in a browser" in done.stdout
    lesson = json.loads((tiny / "notebooks" / "01_tiny.ipynb").read_text())
    lesson["cells"][0]["source"] = "# A tiny lesson\n\n![a figure](../book/images/gone.png)\n"
    (tiny / "notebooks" / "01_tiny.ipynb").write_text(json.dumps(lesson))
    done = subprocess.run(command, capture_output=True, text=True, cwd=tiny, env=env)
    assert done.returncode == 1
    assert "make book: The site was not built" in done.stderr
    assert "notebooks/01_tiny.ipynb, cell 1" in done.stderr and "book/images/gone.png" in done.stderr
    assert "Traceback" not in done.stderr


def try_page(tiny: Path) -> Path:
    """The tiny course with a Try it page of its own in docs/ and its table of contents."""
    (tiny / "docs" / book.TRY_PAGE).write_text("# Try it\n\nDraw.\n")
    edit(tiny / "docs" / "index.md", "guide\n```", "guide\ntry\n```")
    return tiny


def test_a_try_it_page_without_networks_is_refused_and_the_site_left_as_it_was(tiny, tmp_path):
    try_page(tiny)
    with pytest.raises(book.BookError, match=r"No networks \(\*\.onnx\) in .*empty: the Try it page runs lesson 05"):
        book.build(
            tiny / "out", tiny / "notebooks", tiny / "book" / "images", tiny / "docs", networks=tmp_path / "empty"
        )
    assert not (tiny / "out").exists()


def test_a_missing_runtime_says_how_to_install_it(tmp_path):
    with pytest.raises(book.BookError, match=r"onnxruntime-web is not installed in .*`make book` installs it"):
        book.try_it_files(book.SITE_NETWORKS, runtime=tmp_path / "node_modules" / "onnxruntime-web")


def test_a_lesson_links_a_learners_page_of_docs_as_it_is_in_the_checkout(tiny, tmp_path):
    # A lesson links docs/guide.md as ../docs/guide.md, which JupyterLab opens; the site has that page at its root.
    edit_pair(tiny / "notebooks", "01_tiny", "Back to [the top](01_tiny.ipynb).", "Read [the guide](../docs/guide.md).")
    html_folder = build_tiny(tiny)
    assert 'href="../guide.html"' in (html_folder / "notebooks" / "01_tiny.html").read_text()
