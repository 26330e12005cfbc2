"""Every page of the course's website checked with axe-core's WCAG 2.0/2.1 A and AA rules in Chromium, and the
controls the course adds reached from the keyboard (docs/accessibility.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mnist_lesson.paths import CHECKOUT

from .conftest import LESSONS, screenshot

# The site's fixtures: the site built once per run (tests/conftest.py), served on loopback, read by one page.
from .test_book import host, reader, site, try_it  # noqa: F401

pytestmark = pytest.mark.browser

#: axe-core as tests/browser/axe/package-lock.json pins it, installed by `make axe` (a prerequisite of make test).
AXE = CHECKOUT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: The rules of WCAG 2.0 and 2.1, levels A and AA.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: (rule, CSS selector) pairs axe may report: violations that come from the theme, cannot be fixed from the
#: course's content, CSS or conf.py, and are reported upstream. Each names its issue. None at present.
EXCLUDED: dict[tuple[str, str], str] = {}
#: The pages of docs/ are the site's root; the lessons are under notebooks/; Sphinx adds the index and search.
PAGES = sorted(
    [f"{page.stem}.html" for page in (CHECKOUT / "docs").glob("*.md")]
    + [f"notebooks/{lesson.stem}.html" for lesson in LESSONS]
    + ["genindex.html", "search.html"]
)


def axe_violations(page) -> list[str]:
    """Run axe on the page as it is now: one line per element that breaks a rule, naming the rule and element."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make axe` (make test and make test-browser do)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async ([tags, excluded]) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            const lines = [];
            for (const rule of results.violations) {
                for (const node of rule.nodes) {
                    const element = document.querySelector(node.target.join(" "));
                    const skip = excluded.some(([id, css]) => id === rule.id && element && element.matches(css));
                    if (!skip) lines.push(`${rule.id} (${rule.impact}) at ${node.target.join(" ")}: ${rule.help}; `
                        + node.failureSummary.replace(/\\s+/g, " "));
                }
            }
            return lines;
        }""",
        [TAGS, [list(key) for key in EXCLUDED]],
    )
    return found


def test_every_page_of_the_site_is_checked(site):  # noqa: F811 - pytest fixtures imported above
    """PAGES, from docs/ and the lesson registry, is every page the site has: none goes unchecked."""
    built = sorted(str(path.relative_to(site)) for path in site.rglob("*.html") if "_static" not in path.parts)
    assert built == PAGES


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_violation(reader, host, name):  # noqa: F811
    reader.goto(f"{host}{name}")
    reader.wait_for_load_state("load")
    if name == "try.html":
        # The page as a visitor uses it: networks loaded, a sample drawn, both networks' answers shown.
        reader.wait_for_function("() => window.mnistLesson !== undefined")
        reader.evaluate("() => window.mnistLesson.ready")
        reader.locator("select.pad-sample").select_option(index=1)
        reader.wait_for_function(
            "() => [...document.querySelectorAll('.pad-answer')].every(a => a.textContent)", timeout=30_000
        )
    found = axe_violations(reader)
    shot = screenshot(reader, f"axe-{Path(name).stem}")
    assert not found, f"axe-core finds {len(found)} violation(s) on {name} (see {shot}):\n" + "\n".join(found)


def tab_through(page, stop: str, limit: int = 400) -> list[dict]:
    """Press Tab until the element matching `stop` has the focus; what each press focused, in order."""
    reached = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """(stop) => { const e = document.activeElement;
                return {tag: e.tagName.toLowerCase(), cls: String(e.className), mark: e.dataset.a11y || "",
                        stop: e.matches(stop)}; }""",
            stop,
        )
        reached.append(focused)
        if focused["stop"]:
            return reached
    pytest.fail(f"Tab never reached {stop} in {limit} presses; it reached {[each['cls'] for each in reached[-10:]]}")


def test_try_it_buttons_are_reached_by_tab_and_work_from_the_keyboard(reader, host):  # noqa: F811
    page = try_it(reader, host)
    reached = tab_through(page, "input.pad-upload")
    classes = " ".join(each["cls"] for each in reached)
    for control in ("pad-clear", "pad-upload", "pad-sample"):
        assert control in classes, f"Tab did not reach .{control}; it reached {classes}"
    # A sample chosen with the arrow keys, then Clear pressed with Enter: the answers come, then go.
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => [...document.querySelectorAll('.pad-answer')].every(a => a.textContent)")
    page.locator("button.pad-clear").focus()
    page.keyboard.press("Enter")
    left = [text for text in page.locator(".pad-answer").all_inner_texts() if text]
    assert not left, f"Enter on Clear left the answers {left}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_lesson_pages_self_checks_and_launch_button_are_reached_by_tab(reader, host, lesson):  # noqa: F811
    reader.goto(f"{host}notebooks/{lesson.stem}.html")
    # Marked before the walk, so that what Tab focuses can be told apart: the launch button, each self-check.
    launch = reader.locator(".bd-header-article .dropdown-launch-buttons > button")
    launch.evaluate_all("buttons => buttons.forEach(b => b.dataset.a11y = 'launch')")
    summaries = reader.locator("article details > summary")
    summaries.evaluate_all("all => all.forEach((s, i) => s.dataset.a11y = `check ${i}`)")
    if not summaries.count() and not launch.count():
        pytest.skip(f"{lesson.stem} has no self-check and no launch button")
    last = f'[data-a11y="check {summaries.count() - 1}"]' if summaries.count() else '[data-a11y="launch"]'
    marks = [each["mark"] for each in tab_through(reader, last)]
    assert launch.count() == marks.count("launch"), f"Tab reached the launch button {marks.count('launch')} times"
    checks = [mark for mark in marks if mark.startswith("check")]
    assert checks == [f"check {i}" for i in range(summaries.count())], f"Tab reached the self-checks {checks}"
    if summaries.count():
        # Enter opens the self-check that has the focus, as a click does.
        reader.keyboard.press("Enter")
        assert reader.locator("article details").last.evaluate("d => d.open"), "Enter did not open a self-check"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_figure_on_a_lesson_page_has_its_description_as_alt_text(reader, host, lesson):  # noqa: F811
    reader.goto(f"{host}notebooks/{lesson.stem}.html")
    alts = reader.locator("article img").evaluate_all("images => images.map(i => [i.getAttribute('src'), i.alt])")
    bare = [src for src, alt in alts if not alt.strip() or alt.strip() == src or re.fullmatch(r"\S+\.\w{3,4}", alt)]
    assert not bare, f"{lesson.stem}: figures whose alt text is empty or a file name: {bare}"
