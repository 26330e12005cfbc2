"""The course's website as a reader meets it: built by tools/book.py, served as any static host would,
read in headless Chromium, every internal link followed."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from mnist_lesson import data
from tools import site_networks
from tools.book import RUNTIME_FILES, TRY_IT, launch_settings

from ..conftest import REAL_CACHE, require_real_cache
from .conftest import LESSONS, ONE_STROKE, ZERO_LOOP, draw_with_mouse, figures_of, screenshot

pytestmark = pytest.mark.browser

#: One stored output per lesson that a reader must see on its page, as CI checked it.
STORED = {"01_mnist": "Trainable params: 669,706", "03_convnets": "Trainable params: 215,658"}
#: Pages of docs/ a reader must reach from the home page: the title and one heading each shows.
PAGES = {
    "instructors": ("For instructors", "Adding a lesson"),
    "checks": ("How the checks work", "The comparison rule"),
    "second-configuration": ("The second configuration and make test-all", "The record and its key"),
}


def title_of(lesson: Path) -> str:
    first = "".join(json.loads(lesson.read_text())["cells"][0]["source"])
    return first.splitlines()[0].removeprefix("# ").strip()


def last_stream_line(lesson: Path) -> str:
    """The last line the lesson printed: a stored output that is not in the prose."""
    lines = [
        line
        for cell in json.loads(lesson.read_text())["cells"]
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream" and output["name"] == "stdout"
        for line in "".join(output["text"]).splitlines()
        if line.strip()
    ]
    return lines[-1].strip()


@pytest.fixture(scope="module")
def site(chromium_path, course_site):
    """The course's site, built once per test run (tests/conftest.py); only where Chromium can read it."""
    return course_site


@pytest.fixture(scope="module")
def host(site):
    """The site on a loopback static server, as a host would serve the folder: a 404 for anything missing."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def reader(browser, host):
    """A browser page that may only load from the site; anything else it asks for is refused and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    elsewhere: list[str] = []

    def only_the_site(route):
        if route.request.url.startswith(host):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_site)
    page = context.new_page()
    page.elsewhere = elsewhere
    # A script that fails leaves a page half-working (the sidebar, search): every such error is recorded.
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Whatever the browser itself asks for (fonts named in the theme's CSS, say) must be there too.
    page.on("response", lambda reply: reply.status >= 400 and page.errors.append(f"{reply.status} {reply.url}"))
    try:
        yield page
    finally:
        context.close()


def test_the_home_page_lists_every_lesson_in_order(reader, host):
    reader.goto(host)
    shot = screenshot(reader, "book-home")
    table = reader.locator('article table a[href^="notebooks/"]')
    links = [(a.inner_text(), a.get_attribute("href")) for a in table.all()]
    assert [href for _, href in links] == [f"notebooks/{p.stem}.html" for p in LESSONS], shot
    # The table of contents in the sidebar lists them too, under their own titles.
    sidebar = reader.locator(".bd-sidebar-primary").inner_text()
    for lesson in LESSONS:
        assert title_of(lesson) in sidebar, f"{lesson.stem} missing from the sidebar; see {shot}"
    assert not reader.elsewhere, f"the home page asked for files outside the site: {reader.elsewhere}"
    assert not reader.errors, f"the home page's scripts or files failed: {reader.errors}"


def heading(text: str) -> str:
    """A heading as a reader sees it, without the theme's link sign."""
    return text.strip().rstrip("#¶").strip()


@pytest.mark.parametrize("name", PAGES)
def test_the_home_page_leads_to_the_instructors_and_checks_pages(reader, host, name):
    title, section = PAGES[name]
    reader.goto(host)
    reader.locator(f'article a[href="{name}.html"]').first.click()
    reader.wait_for_load_state("load")
    shot = screenshot(reader, f"book-{name}")
    assert reader.url == f"{host}{name}.html", shot
    assert heading(reader.locator("article h1").first.inner_text()) == title, shot
    sections = [heading(text) for text in reader.locator("article h2").all_inner_texts()]
    assert section in sections, f"{section!r} is not among the page's headings {sections}; see {shot}"
    # The sidebar lists the page among the site's pages, under its own title.
    assert title in reader.locator(".bd-sidebar-primary").inner_text(), f"{name} missing from the sidebar; see {shot}"
    assert not reader.locator(".dropdown-launch-buttons").count(), f"{name} offers to launch a lesson; see {shot}"
    assert not reader.elsewhere, f"{name} asked for files outside the site: {reader.elsewhere}"
    assert not reader.errors, f"{name}'s scripts or files failed: {reader.errors}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_page_shows_its_title_figures_and_stored_outputs(reader, host, lesson):
    reader.goto(f"{host}notebooks/{lesson.stem}.html")
    reader.wait_for_load_state("load")
    shot = screenshot(reader, f"book-{lesson.stem}")
    assert heading(reader.locator("article h1").first.inner_text()) == title_of(lesson), shot
    images = reader.locator("article img")
    widths = images.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) >= figures_of(lesson), f"{len(widths)} images for {figures_of(lesson)} figures; see {shot}"
    assert all(width > 0 for width in widths), f"figures that did not load: {widths}; see {shot}"
    outputs = "\n".join(reader.locator("article .cell_output").all_inner_texts())
    assert last_stream_line(lesson) in outputs, f"the lesson's last printed line is not on its page; see {shot}"
    if lesson.stem in STORED:
        assert STORED[lesson.stem] in outputs, f"{STORED[lesson.stem]!r} not in the page's outputs; see {shot}"
    assert not reader.elsewhere, f"{lesson.stem} asked for files outside the site: {reader.elsewhere}"
    assert not reader.errors, f"{lesson.stem}'s scripts or files failed: {reader.errors}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_page_links_its_notebook_and_its_text_as_committed(reader, host, lesson):
    reader.goto(f"{host}notebooks/{lesson.stem}.html")
    for suffix in (".ipynb", ".md"):
        link = reader.locator(f'article a.download[href$="/{lesson.stem}{suffix}"]')
        assert link.count() == 1, f"no download link to {lesson.stem}{suffix}"
        with urllib.request.urlopen(urljoin(reader.url, link.get_attribute("href"))) as reply:
            assert reply.read() == lesson.with_suffix(suffix).read_bytes(), f"{lesson.stem}{suffix} differs"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_page_offers_to_run_it_on_the_hub_and_on_binder(reader, host, lesson):
    settings = launch_settings()
    expected = sorted(name for name, key in (("Binder", "binderhub"), ("JupyterHub", "jupyterhub")) if settings[key])
    reader.goto(f"{host}notebooks/{lesson.stem}.html")
    # The rocket in the page's header opens the list; tests/tools/test_book.py checks each link in full.
    launch = reader.locator(".bd-header-article .dropdown-launch-buttons")
    if not expected:
        assert not launch.count(), "book/launch.toml sets no hub and no BinderHub, yet the page offers to launch"
        return
    launch.locator("button").click()
    items = launch.locator(".dropdown-menu a")
    items.first.wait_for(state="visible")
    shot = screenshot(reader, f"book-{lesson.stem}-launch")
    offered = {item.inner_text().strip(): item.get_attribute("href") for item in items.all()}
    assert sorted(offered) == expected, f"the launch list offers {sorted(offered)}; see {shot}"
    for name, href in offered.items():
        assert f"notebooks/{lesson.name}" in href, f"{name} launches {href}, not {lesson.name}; see {shot}"
    assert not reader.elsewhere, f"{lesson.stem} asked for files outside the site: {reader.elsewhere}"
    assert not reader.errors, f"{lesson.stem}'s scripts or files failed: {reader.errors}"


def test_search_finds_a_lesson(reader, host):
    reader.goto(f"{host}search.html?q=one-hot")
    results = reader.locator("#search-results li a")
    results.first.wait_for(timeout=30_000)
    shot = screenshot(reader, "book-search")
    assert any("notebooks/01_mnist.html" in (a.get_attribute("href") or "") for a in results.all()), shot
    # Each result shows an excerpt of its page, fetched from the site: lesson 01's shows the word searched for.
    lesson = reader.locator("#search-results li").filter(has=reader.locator('a[href*="notebooks/01_mnist.html"]'))
    lesson.first.locator("p.context").wait_for(timeout=30_000)
    assert "one-hot" in lesson.first.locator("p.context").inner_text().lower(), shot
    assert not reader.errors, f"the search page's scripts or files failed: {reader.errors}"


class Links(HTMLParser):
    """The URLs an HTML page refers to (links, images, scripts, styles) and the ids it defines."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") == "preconnect"):
                self.urls.append(attrs[name])


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url) as reply:
            return reply.status, reply.read(), reply.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


def test_every_internal_link_returns_a_page(host):
    """Crawl from the home page: every link, image, script and style inside the site answers 200, and
    every #fragment names an id on its page."""
    pages, queue, seen = {}, [host], {host}
    broken, fragments = [], []
    while queue:
        url = queue.pop()
        status, body, kind = fetch(url)
        if status != 200:
            broken.append(f"{url} ({status})")
            continue
        if kind != "text/html":
            continue
        parser = Links()
        parser.feed(body.decode("utf-8"))
        pages[url] = parser.ids
        for reference in parser.urls:
            target, fragment = urldefrag(urljoin(url, reference))
            if not target.startswith(host):
                continue  # another site or a mailto: link; the site itself never loads those (tested above)
            if fragment:
                fragments.append((url, target, unquote(fragment)))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert not broken, "internal links that do not answer:\n" + "\n".join(broken)
    lessons = {f"{host}notebooks/{p.stem}.html" for p in LESSONS}
    assert lessons <= set(pages), f"lesson pages not reachable from the home page: {lessons - set(pages)}"
    documents = {f"{host}{name}.html" for name in PAGES}
    assert documents <= set(pages), f"pages of docs/ not reachable from the home page: {documents - set(pages)}"
    missing = [
        f"{page} links {target}#{fragment}"
        for page, target, fragment in fragments
        if fragment not in pages.get(target, {fragment})
    ]
    assert not missing, "links to a #fragment that is not on the page:\n" + "\n".join(missing)
    assert len(pages) >= len(LESSONS) + 3, f"only {len(pages)} pages found: {sorted(pages)}"


# ------------------------------------------------------------------ the "Try it" page


def try_it(reader, host):
    """The "Try it" page, once its networks are loaded; every request it makes is recorded in reader.requests."""
    reader.requests = []
    reader.on("request", lambda request: reader.requests.append(request.url))
    reader.goto(f"{host}try.html")
    reader.wait_for_function("() => window.mnistLesson !== undefined")
    reader.evaluate("() => window.mnistLesson.ready")
    return reader


def answers(page) -> list[str]:
    """The text of each network's live region, once both say something."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pad-answer')].filter(a => a.textContent).length === 2",
        timeout=30_000,
    )
    return page.locator('.pad-answer[role="status"]').all_inner_texts()


def left_loopback(urls: list[str]) -> list[str]:
    """The requests that went anywhere but 127.0.0.1 (data: and blob: URLs never leave the page)."""
    return [url for url in urls if not url.startswith(("data:", "blob:")) and urlsplit(url).hostname != "127.0.0.1"]


def test_try_it_reads_a_vertical_stroke_as_a_one_a_loop_as_a_zero_and_clear_empties_it(reader, host):
    page = try_it(reader, host)
    canvas = page.locator(".pad-canvas")
    draw_with_mouse(page, canvas, ONE_STROKE)
    read = answers(page)
    shot = screenshot(page, "book-try-one")
    assert len(read) == 2 and all(text.startswith("1 (") for text in read), f"the networks read {read}; see {shot}"
    # Each digit's probability is text beside its bar, for a screen reader and for anyone who cannot see the bars.
    percents = page.locator(".pad-network").first.locator(".pad-percent").all_inner_texts()
    assert len(percents) == 10 and all(text.endswith(" %") for text in percents), percents
    page.locator("button.pad-clear").click()
    assert page.locator(".pad-answer").all_inner_texts() == ["", ""], "Clear left answers on the page"
    # The closed loop JupyterLab's pad reads as a 0: both networks read it so here too.
    draw_with_mouse(page, canvas, ZERO_LOOP)
    read = answers(page)
    shot = screenshot(page, "book-try-zero")
    assert len(read) == 2 and all(text.startswith("0 (") for text in read), f"the networks read {read}; see {shot}"
    page.locator("button.pad-clear").click()
    assert page.locator(".pad-answer").all_inner_texts() == ["", ""], "Clear left answers on the page"
    assert not left_loopback(page.requests), f"requests left the machine: {left_loopback(page.requests)}"
    assert not reader.elsewhere and not reader.errors, (reader.elsewhere, reader.errors)


def test_try_it_is_usable_from_the_keyboard(reader, host):
    page = try_it(reader, host)
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.className"))
        if "pad-sample" in reached[-1]:
            break
    assert "pad-clear" in reached and "pad-sample" in reached, f"Tab reached {reached}"
    # A sample drawing, picked with the arrow keys: the answers come as from a stroke drawn by hand.
    page.keyboard.press("ArrowDown")
    assert all(text[:1].isdigit() for text in answers(page))


def test_try_it_gives_lesson_05s_probabilities_with_nothing_from_elsewhere(reader, host, monkeypatch):
    require_real_cache()
    monkeypatch.setenv(data.CACHE_ENV, str(REAL_CACHE))  # MNIST's test digits; nothing writes the cache
    stored = site_networks.stored_probabilities()
    images = site_networks.digits()
    page = try_it(reader, host)
    got = page.evaluate(
        "async (images) => { const out = []; for (const x of images) out.push(await window.mnistLesson.predict(x));"
        " return out; }",
        images.tolist(),
    )
    for name, expected in stored.items():
        page_probabilities = [each[name] for each in got]
        worst = max(abs(a - b) for row, want in zip(page_probabilities, expected) for a, b in zip(row, want))
        assert worst <= site_networks.TOLERANCE, f"{name}: the page's probabilities differ by up to {worst:.2e}"
    assert not left_loopback(page.requests), f"requests left the machine: {left_loopback(page.requests)}"
    # The page loads every runtime file the site ships, and nothing else of onnxruntime-web.
    runtime = {url.rsplit("/", 1)[-1] for url in page.requests if f"/{TRY_IT}/ort/" in url}
    assert runtime == set(RUNTIME_FILES), f"the page loaded {sorted(runtime)}; the site ships {RUNTIME_FILES}"
    assert not reader.elsewhere and not reader.errors, (reader.elsewhere, reader.errors)


def test_the_home_page_and_lessons_02_and_05_link_try_it(reader, host):
    for page in ("index.html", "notebooks/02_inference.html", "notebooks/05_onnx.html"):
        reader.goto(f"{host}{page}")
        links = reader.locator('article a[href$="try.html"]')
        assert links.count(), f"{page} does not link the Try it page"
