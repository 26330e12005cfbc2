"""Build the course as a static website with Sphinx and MyST-NB: `make book` (course tooling).

The site is made from the pages of docs/ (docs/index.md is its home page) and the committed
notebooks with the outputs stored in them (nothing is executed: those outputs are the ones CI
checked). The lessons and their order come from the lesson registry (tools/lessons.py), which also
gives the home page its table of contents of lessons; docs/index.md's lesson table must list the
same lessons in the same order. Sources are assembled in a scratch folder with the lessons in
notebooks/ and the figures in book/images/ as in the checkout, so the lessons' own relative links
work, and the pages of docs/ at its root, so the home page is the site's index.html. The
configuration is book/conf.py. The build is strict: every Sphinx warning (a broken link, a missing
image, a page left out of the table of contents) fails it, named by the file in the checkout. A site
is only put in place once it built cleanly. Each lesson's page gets launch buttons (a JupyterHub through
nbgitpuller, Binder) made from book/launch.toml, which is checked before Sphinx starts. Run from the
checkout: `python -m tools.book`.

The "Try it" page (docs/try.md) runs the drawing pad and lesson 05's two networks in the visitor's
browser: its script, the pad, the committed networks and only those files of onnxruntime-web that its
WebAssembly backend loads (pinned by book/web/package-lock.json, installed by `make book`) are copied
into the site's try-it/ folder (docs/try-it.md). Each lesson's page says under its title how to run it:
the launch buttons, a clone and `make lab`, or the one install line made from book/launch.toml.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from mnist_lesson.pad import HERE as PAD_FOLDER
from mnist_lesson.paths import BOOK_IMAGES, CHECKOUT, NOTEBOOKS
from tools.lessons import lessons

CONF_DIR = CHECKOUT / "book"
DOCS = CHECKOUT / "docs"
OUT = CHECKOUT / "build" / "book"
#: Where the lesson pages' launch buttons send a learner: the one place it is set (docs/launch-links.md).
LAUNCH = CONF_DIR / "launch.toml"
#: What book/launch.toml's [launch] table holds, each as its messages describe it.
LAUNCH_KEYS = {
    "repository": "the course's repository as its web address, like https://github.com/OWNER/mnist-lesson",
    "branch": "the branch learners get, like main",
    "jupyterhub": 'the class\'s hub, like https://hub.example.org, or "" for no JupyterHub button',
    "binderhub": 'a BinderHub, like https://mybinder.org, or "" for no Binder button',
}
#: A repository's web address: a host, an owner and a name (the theme and Binder read it so).
REPOSITORY = re.compile(r"^https://([A-Za-z0-9.-]+)/([\w.-]+)/([\w.-]+)$")
#: Hosts whose addresses the theme turns into launch links (a self-hosted GitLab's name contains "gitlab").
PROVIDERS = ("github", "gitlab", "bitbucket")
#: Hosts BinderHub builds from by owner and name, and the theme links so: elsewhere Binder wants a commit.
BINDER_HOSTS = ("github.com", "gitlab.com")
#: A branch name: letters, digits and . _ / - (a name git and a URL both take as it is).
BRANCH = re.compile(r"^[\w./-]+$")
#: Hosts a hub may be served from without HTTPS: a rehearsal on this machine, never a class's hub.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: How messages name the home page, wherever the docs folder is.
HOME = "docs/index.md"
#: The line of docs/index.md that the lessons' table of contents replaces.
LESSONS_TOCTREE = "<!-- The lessons' table of contents goes here: tools/book.py makes it from the lesson registry. -->"
#: A row of docs/index.md's lesson table: it links the lesson's executed notebook.
LESSON_ROW = re.compile(r"^\| \[[^\]]+\]\(\.\./notebooks/([^)\s]+\.ipynb)\)", re.MULTILINE)
#: A link out of docs/ ("../notebooks/…"); docs/ is staged at the site's root, where it reads "notebooks/…".
OUT_OF_DOCS = re.compile(r"\]\(\.\./")
#: The "Try it" page's own files: its script and the npm pin of onnxruntime-web (docs/try-it.md).
WEB = CONF_DIR / "web"
#: Where `make book` installs onnxruntime-web with `npm ci`, from WEB's package-lock.json.
RUNTIME = CHECKOUT / "build" / "web" / "node_modules" / "onnxruntime-web"
#: What the page's WebAssembly backend loads, on one thread or several: its ES module, that module's
#: WebAssembly glue and the WebAssembly itself (the other builds, WebGPU, WebGL, JSPI, are left out).
RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
#: The networks the page runs: lesson 05's exports, committed by `make execute` (tools/site_networks.py).
SITE_NETWORKS = CONF_DIR / "networks"
#: The drawing pad, the same module lesson 02's widget loads, and its sample drawings.
PAD_FILES = (PAD_FOLDER / "pad.js", PAD_FOLDER / "pad_samples.json")
#: The "Try it" page in docs/, and the folder of the site its files go to (it loads try-it/try.js).
TRY_PAGE = "try.md"
TRY_IT = "try-it"
#: A lesson's link to a learner's page of docs/ ("../docs/try.md"); the site has those pages at its root.
LESSON_TO_DOCS = re.compile(r"\]\(\.\./docs/")
#: A Sphinx warning located in a notebook: its file, MyST-NB's line number, and the rest.
CELL_LINE = re.compile(r"^(notebooks/[^:]+\.ipynb):(\d{5,}): (.*)$")
#: A Sphinx warning located in a page of docs/: its name, its line if any, and the rest.
PAGE_LINE = re.compile(r"^([^/:\s]+\.md)(?::(\d+))?: (.*)$")
#: What to do about the warnings a page most often gets, by Sphinx's warning type.
HINTS = {
    "image.not_readable": "An image path is relative to the lesson (../book/images/NAME.png); "
    "`make images` regenerates the course's figures.",
    "toc.not_included": f"Every page of docs/ needs an entry in a toctree of {HOME} "
    "(the lessons' entries are made by tools/book.py).",
    "myst.xref_missing": "A link points at a page or heading that does not exist (a lesson links another as "
    "02_inference.ipynb; a page of docs/ links a lesson as ../notebooks/02_inference.ipynb).",
    "toc.not_readable": f"A toctree of {HOME} names a page that is not in docs/.",
}


class BookError(Exception):
    """The site could not be built; the message says why and what to do."""


def display_path(path: Path) -> str:
    """A path as messages name it: relative to the checkout when it is in it."""
    path = Path(path).resolve()
    return str(path.relative_to(CHECKOUT)) if path.is_relative_to(CHECKOUT) else str(path)


def launch_settings(path: Path = LAUNCH) -> dict[str, str]:
    """book/launch.toml's [launch] table, checked: the repository, branch, hub and BinderHub of the launch buttons."""
    name = display_path(path)
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("launch")
    except FileNotFoundError:
        raise BookError(
            f"{name} is missing: it says where each lesson page's launch buttons send a learner. "
            "Restore it with `git checkout book/launch.toml`."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BookError(f"{name} is not valid TOML ({error}).") from None
    keys = "; ".join(f"{key}: {what}" for key, what in LAUNCH_KEYS.items())
    if not isinstance(table, dict):
        raise BookError(f"{name} has no [launch] table. It sets, as strings: {keys}.")
    unknown = sorted(set(table) - set(LAUNCH_KEYS))
    missing = [key for key in LAUNCH_KEYS if key not in table]
    if unknown or missing:
        problems = [f"lacks {', '.join(missing)}"] if missing else []
        problems += [f"has {', '.join(unknown)}, which nothing reads"] if unknown else []
        raise BookError(f"{name}'s [launch] table {' and '.join(problems)}. It sets, as strings: {keys}.")
    for key, value in table.items():
        if not isinstance(value, str):
            raise BookError(f'{name}: {key} must be a string in quotes, "..."; it is {value!r}. {LAUNCH_KEYS[key]}.')

    def refuse(key: str, why: str) -> BookError:
        return BookError(f"{name}: {key} = {table[key]!r} {why}. Set it to {LAUNCH_KEYS[key]}.")

    found = REPOSITORY.match(table["repository"])
    if not found:
        raise refuse("repository", "is not a repository's web address, https://HOST/OWNER/NAME")
    if not any(provider in found.group(1).lower() for provider in PROVIDERS):
        raise refuse("repository", "is not on GitHub, GitLab or Bitbucket, the hosts the launch buttons are made for")
    if found.group(3).endswith(".git"):
        raise refuse("repository", "ends in .git: a hub would pull it into a folder of that name")
    if table["binderhub"] and found.group(1).lower() not in BINDER_HOSTS:
        why = 'is not on github.com or gitlab.com, the hosts a Binder button launches from (binderhub = "" for none)'
        raise refuse("repository", why)
    if not BRANCH.match(table["branch"]):
        raise refuse("branch", "is not a branch name")
    for key in ("jupyterhub", "binderhub"):
        if not table[key]:
            continue
        try:
            url = urlsplit(table[key])
            host = url.hostname
        except ValueError:
            url, host = None, None
        if not url or url.scheme not in ("https", "http") or not host or url.query or url.fragment or " " in table[key]:
            raise refuse(key, "is not a web address, https://HOST or https://HOST/PATH")
        if url.scheme == "http" and host not in LOOPBACK:
            raise refuse(key, "is not HTTPS: learners' passwords and work would cross the network unencrypted")
    return table


def check_lesson_table(text: str, stems: list[str], notebooks: Path) -> None:
    """Refuse a home page whose lesson table does not list exactly the registry's lessons, in order."""
    listed = [Path(name).stem for name in LESSON_ROW.findall(text)]
    row = "'| [NN · Title](../notebooks/NN_topic.ipynb) | what you do |'"
    if not listed:
        raise BookError(f"{HOME} has no lesson table: the home page lists every lesson, one row each, like {row}.")
    unknown = [stem for stem in listed if stem not in stems]
    if unknown:
        names = ", ".join(f"notebooks/{stem}.ipynb" for stem in unknown)
        raise BookError(f"{HOME}'s lesson table links {names}, which is not a lesson in {notebooks}.")
    missing = [stem for stem in stems if stem not in listed]
    if missing:
        names = ", ".join(f"notebooks/{stem}.ipynb" for stem in missing)
        raise BookError(f"{HOME}'s lesson table lacks {names}: add a row for each, like {row}.")
    if listed != stems:
        raise BookError(f"{HOME}'s lesson table lists the lessons out of order: {', '.join(stems)} is their order.")


def home_page(text: str, stems: list[str], notebooks: Path = NOTEBOOKS) -> tuple[str, int, int]:
    """docs/index.md with the lessons' toctree in place of its marker line; that line's number and the lines added."""
    check_lesson_table(text, stems, notebooks)
    lines = text.splitlines()
    if LESSONS_TOCTREE not in lines:
        raise BookError(
            f"{HOME} lacks the line `{LESSONS_TOCTREE}`, where the site's table of contents of lessons goes: "
            "put it before the toctree of docs pages, so that the lessons come first in the sidebar."
        )
    marker = lines.index(LESSONS_TOCTREE)
    toctree = ["```{toctree}", ":hidden:", ":caption: Lessons", "", *(f"notebooks/{s}.ipynb" for s in stems), "```"]
    staged = [*lines[:marker], *toctree, *lines[marker + 1 :]]
    return "\n".join(staged) + "\n", marker + 1, len(toctree) - 1


def install_line(settings: dict[str, str]) -> str:
    """The one command that installs the course's helper package and Keras from the repository's address."""
    return f'pip install "mnist-lesson[lessons] @ git+{settings["repository"]}@{settings["branch"]}"'


def download_cell(name: str, settings: dict[str, str]) -> dict:
    """A Markdown cell under a lesson's title: the ways to run it that work, and links to its two files."""
    stem = Path(name).stem
    buttons = [
        button for button, key in (("your class's JupyterHub", "jupyterhub"), ("Binder", "binderhub")) if settings[key]
    ]
    folder = settings["repository"].rsplit("/", 1)[-1]
    ways = []
    if buttons:
        ways.append(f"- on {' or '.join(buttons)}: the rocket button at the top of this page opens this lesson there;")
    ways.append(
        f"- on your computer, with the whole course: `git clone {settings['repository']}`, "
        f"then `make lab` in its folder `{folder}`;"
    )
    ways.append(
        f"- on its own: download the notebook {{download}}`{stem}.ipynb <../downloads/{stem}.ipynb>`, "
        f"install JupyterLab and the course's helpers with `pip install jupyterlab` and "
        f"`{install_line(settings)}`, then open the notebook in JupyterLab. "
        f"Its text version {{download}}`{stem}.md <../downloads/{stem}.md>` is the file instructors edit; "
        "Jupytext pairs the two."
    )
    text = "*Run this lesson yourself*, in one of three ways:\n\n" + "\n".join(ways)
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def try_it_files(networks: Path = SITE_NETWORKS, runtime: Path = RUNTIME) -> dict[str, Path]:
    """The files of the "Try it" page by their place in the site's try-it/ folder, each checked to exist."""
    files = {"try.js": WEB / "try.js", **{path.name: path for path in PAD_FILES}}
    if not (runtime / "package.json").exists():
        raise BookError(
            f"onnxruntime-web is not installed in {display_path(runtime.parent.parent)}: `make book` installs it "
            "with `npm ci` from book/web/package-lock.json (`make site-runtime` does only that)."
        )
    files |= {f"ort/{name}": runtime / "dist" / name for name in RUNTIME_FILES}
    found = sorted(networks.glob("*.onnx")) if networks.is_dir() else []
    if not found:
        raise BookError(
            f"No networks (*.onnx) in {display_path(networks)}: the Try it page runs lesson 05's exports, which "
            "`make execute` commits there (python -m tools.site_networks). Restore them with git."
        )
    files |= {f"networks/{path.name}": path for path in found}
    missing = [display_path(path) for path in files.values() if not path.is_file()]
    if missing:
        raise BookError(f"The Try it page's files are missing: {', '.join(missing)}. Restore them with git.")
    return files


def read_notebook(lesson: Path) -> dict:
    """A lesson's notebook as JSON, or a BookError that says which file is broken."""
    try:
        notebook = json.loads(lesson.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BookError(f"{lesson} is not a notebook ({error}); `make sync` rewrites it from its .md.") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise BookError(f"{lesson} has no list of cells; `make sync` rewrites it from its .md.")
    return notebook


def stage(source: Path, notebooks: Path, images: Path, docs: Path, settings: dict[str, str]) -> tuple[int, int]:
    """Lay out the site's sources in source/ (docs/ at its root; notebooks/, book/images/, downloads/ beside).

    Returns where the home page's lessons' toctree went: the line it replaced, and the lines it added.
    """
    for needed, what in ((docs / "index.md", "the site's home page"), (images, "the figures")):
        if not needed.exists():
            raise BookError(f"{needed} is missing: {what}. Run `make book` in a complete checkout of the course.")
    found = lessons(notebooks)
    if not found:
        raise BookError(f"No lessons (NN_topic.ipynb) in {notebooks}: is that the course's notebooks/ folder?")
    shift = (0, 0)
    for page in sorted(docs.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if page.name == "index.md":
            text, marker, added = home_page(text, [each.stem for each in found], notebooks)
            shift = (marker, added)
        (source / page.name).write_text(OUT_OF_DOCS.sub("](", text), encoding="utf-8")
    (source / "notebooks").mkdir(parents=True)
    (source / "downloads").mkdir()
    for lesson in found:
        if not lesson.md.exists():
            raise BookError(f"{lesson.md} is missing: every lesson is a Jupytext pair (run `make sync`).")
        if not lesson.notebook.exists():
            raise BookError(
                f"{lesson.notebook} is missing: every lesson is a Jupytext pair (`make sync`, then `make execute`)."
            )
        notebook = read_notebook(lesson.notebook)
        # The pages show a copy with download links under the title; the downloads are the lesson's own files.
        shutil.copy(lesson.notebook, source / "downloads" / lesson.notebook.name)
        shutil.copy(lesson.md, source / "downloads" / lesson.md.name)
        for cell in notebook["cells"]:
            if cell.get("cell_type") == "markdown":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cell["source"] = LESSON_TO_DOCS.sub("](../", text)
        notebook["cells"].insert(1, download_cell(lesson.notebook.name, settings))
        (source / "notebooks" / lesson.notebook.name).write_text(json.dumps(notebook), encoding="utf-8")
    shutil.copytree(images, source / "book" / "images")
    return shift


def where(problem: str, notebooks: Path, shift: tuple[int, int] = (0, 0)) -> str:
    """A Sphinx warning named by the file to edit: a lesson's cell (as in JupyterLab) and .md line, or a docs page."""
    found = CELL_LINE.match(problem)
    if not found:
        page = PAGE_LINE.match(problem)
        if not page:
            return problem.replace(": WARNING: ", ": ", 1)
        name, line, rest = page.groups()
        place = f"docs/{name}"
        if line:
            number, (marker, added) = int(line), shift
            # Lines after the generated toctree moved down; a line inside it is the marker's.
            if name == "index.md" and marker and number >= marker:
                number = max(marker, number - added)
            place += f", line {number}"
        return f"{place}: {rest.removeprefix('WARNING: ')}"
    name, line, rest = found.groups()
    # MyST-NB numbers lines (cell index + 1) * 10000 + line; the staged copy has one cell more, at index 1.
    index = int(line) // 10000 - 1
    place = f"{name}, the download links" if index == 1 else f"{name}, cell {max(index, 1)}"
    text = (notebooks / Path(name).name).with_suffix(".md")
    quoted = re.search(r": '?([^\s']+\.\w+)'?(?: \[|$)", rest)
    if quoted and text.exists():
        for number, source_line in enumerate(text.read_text(encoding="utf-8").splitlines(), start=1):
            if quoted.group(1) in source_line:
                place += f" (notebooks/{text.name}, line {number})"
                break
    return f"{place}: {rest.removeprefix('WARNING: ')}"


def build(
    out: Path = OUT,
    notebooks: Path = NOTEBOOKS,
    images: Path = BOOK_IMAGES,
    docs: Path = DOCS,
    launch: Path = LAUNCH,
    networks: Path = SITE_NETWORKS,
) -> Path:
    """Build the site into out/html (replaced only when the build succeeds); return out/html."""
    settings = launch_settings(launch)
    # The page's files go with the page: a course without docs/try.md (a test's tiny one) needs none of them.
    files = try_it_files(networks) if (Path(docs) / TRY_PAGE).exists() else {}
    # Sphinx reports resolved paths; so must the scratch folder be, for messages to name checkout files.
    out, target = out.resolve(), out.resolve() / "html"
    if target.exists() and not (target / ".buildinfo").exists():
        raise BookError(f"{target} exists and is not a site Sphinx built: choose another --out, or move it away.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="book-", dir=out))
    except OSError as error:
        raise BookError(f"Cannot build in {out}: {error.strerror}. Choose another --out.") from None
    try:
        source, html = scratch / "source", scratch / "html"
        source.mkdir()
        shift = stage(source, notebooks, images, docs, settings)
        # -W: every warning is an error; --keep-going: report them all; -n: unresolved references too;
        # -N: plain text (Sphinx colours its messages where it guesses a terminal, on CI for one).
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONF_DIR), "-W", "--keep-going", "-n", "-N"]
        # The launch buttons' settings, checked above, for book/conf.py to hand to the theme.
        command += [f"-Dlaunch_{key}={value}" for key, value in settings.items()]
        command += ["-q", "-d", str(scratch / "doctrees"), str(source), str(html)]
        done = subprocess.run(command, capture_output=True, text=True)
        # Name files as they are in the checkout, not in the scratch folder.
        report = (done.stdout + done.stderr).replace(f"{source}/", "")
        if done.returncode != 0:
            problems = [
                where(line, notebooks, shift) for line in report.splitlines() if "WARNING" in line or "ERROR" in line
            ]
            hints = [hint for tag, hint in HINTS.items() if f"[{tag}" in report]
            raise BookError(
                "The site was not built; every warning counts as an error here:\n"
                + "\n".join(problems or report.splitlines()[-20:])
                + "".join(f"\n- {hint}" for hint in hints)
            )
        for name, path in files.items():
            (html / TRY_IT / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, html / TRY_IT / name)
        # Swap by renames, so that a site is in place at every moment but one.
        if target.exists():
            target.rename(scratch / "previous")
        html.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.book", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to build in; the site goes to OUT/html")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="where the lessons are")
    parser.add_argument("--docs", type=Path, default=DOCS, help="where the pages are; DOCS/index.md is the home page")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        site = build(args.out, args.notebooks, docs=args.docs)
    except BookError as error:
        print(f"make book: {error}", file=sys.stderr)
        return 1
    shown = site.relative_to(Path.cwd()) if site.is_relative_to(Path.cwd()) else site
    print(f"Built the course's website in {time.monotonic() - started:.0f} s: {shown}/")
    print(f"Open {shown}/index.html in a browser, or publish the folder {shown}/ on any static host.")
    print(f"Search shows excerpts of each page when the site is served: python3 -m http.server -d {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
