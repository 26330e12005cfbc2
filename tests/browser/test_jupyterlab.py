"""The course as a learner meets it: JupyterLab in headless Chromium, and what shows on screen.

`make test` runs lesson 01 top to bottom (Run All) and, for every other lesson, opens it, runs
its first cells and checks that its stored outputs and figures render: each lesson is executed
in full once per `make test` already, under strict nbval. `make test-all` (and `make
test-browser`) set MNIST_LESSON_CHECKS=all and run every lesson top to bottom here too. What a
run must show on screen besides is each lesson's own `browser` list in its front matter
(tools/lessons.py, BrowserCheck says what a check can ask).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import jupytext
import pytest

from tools.lessons import BrowserCheck, every_check, lesson

from .conftest import LESSONS, ONE_STROKE, ROOT, ZERO_LOOP, draw_with_mouse, figures_of, screenshot

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 900  # seconds for Run All; lesson 01 trains for a minute or two on 2 cores
ERROR_MIME = "application/vnd.jupyter.stderr"
#: How many code cells of a lesson are run when it is only opened: the setup cell and the data.
FIRST_CELLS = 2
#: Run every lesson top to bottom (`make test-all`), or only lesson 01 (`make test`).
RUN_EVERY_LESSON = every_check()
RUN_ALL = [lesson for lesson in LESSONS if RUN_EVERY_LESSON or lesson == LESSONS[0]]


def open_in_lab(page, lab, relative: str):
    # ?reset: a clean workspace, so tabs from an earlier test are not restored beside this one.
    page.goto(f"{lab.url}/lab/tree/{relative}?reset&token={lab.token}")
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    wait_for_idle_kernel(page, timeout=120)
    return panel


def wait_for_idle_kernel(page, timeout: float) -> None:
    """Wait until the notebook has a kernel and it is idle (the toolbar's kernel name and status)."""
    panel = page.locator(".jp-NotebookPanel:visible")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        name = panel.locator(".jp-KernelName").all_inner_texts()
        status = panel.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
        if name and "No Kernel" not in name[0] and status == "idle":
            return
        time.sleep(1)
    shot = screenshot(page, "kernel-not-idle")
    raise AssertionError(f"the kernel was not idle within {timeout:.0f} s; see {shot}")


def menu(page, name: str, item: str) -> None:
    """Click a menu bar entry, then one of its items, by their labels."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{name}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$")).click()


def run_all(page, panel) -> None:
    """Clear the stored outputs, Run All Cells, and wait (bounded) until no cell is queued or running.

    The stored outputs go first: their execution counts would otherwise look like a finished run.
    """
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    clear_outputs(page, panel)
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_TIMEOUT
    started = False
    while time.monotonic() < deadline:
        texts = prompts.all_inner_texts()
        busy = any("*" in text for text in texts)
        started = started or busy or any(re.search(r"\d", text) for text in texts)
        if started and not busy:
            wait_for_idle_kernel(page, timeout=60)
            return
        time.sleep(2)
    shot = screenshot(page, "run-all-timeout")
    raise AssertionError(f"Run All did not finish within {RUN_TIMEOUT} s; see {shot}")


def cell_problems(panel) -> list[str]:
    """Code cells that show an error or stderr, named by number and first line; else those never run."""
    errors, unexecuted = [], []
    cells = panel.locator(".jp-Cell")
    for number in range(cells.count()):
        cell = cells.nth(number)
        if "jp-CodeCell" not in (cell.get_attribute("class") or ""):
            continue
        source = cell.locator(".jp-InputArea-editor").inner_text().strip()
        first = next((line for line in source.splitlines() if line and not line.startswith("#")), source[:60])
        shown = cell.locator(f'.jp-OutputArea-output[data-mime-type="{ERROR_MIME}"]')
        if shown.count():
            errors.append(f"cell {number + 1} ({first!r}) shows an error: {shown.first.inner_text()[-400:]}")
        elif not re.search(r"\d", cell.locator(".jp-InputPrompt").inner_text()):
            unexecuted.append(f"cell {number + 1} ({first!r}) was not executed")
    # Run All stops at an error, so the cells after it were never run: the error is the news.
    if errors:
        return errors + ([f"({len(unexecuted)} later cells were not run)"] if unexecuted else [])
    return unexecuted


def broken_images(panel) -> list[str]:
    return panel.locator("img").evaluate_all(
        "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"
    )


def run_lesson(page, lab, relative: str):
    """Open a lesson, Run All, and assert no cell shows an error; return the panel and screenshots."""
    stem = Path(relative).stem
    panel = open_in_lab(page, lab, relative)
    shots = [screenshot(page, f"{stem}-top")]
    run_all(page, panel)
    # The last result a learner sees: the last code cell that shows an output.
    panel.locator(".jp-CodeCell").filter(has=page.locator(".jp-OutputArea-output")).last.scroll_into_view_if_needed()
    shots.append(screenshot(page, f"{stem}-end"))
    where = "screenshots: " + ", ".join(map(str, shots))
    problems = cell_problems(panel)
    assert not problems, f"{relative}: " + "\n".join(problems) + f"\n{where}"
    assert not broken_images(panel), f"{relative}: images that did not render: {broken_images(panel)}\n{where}"
    return panel, where


def check_on_screen(panel, check: BrowserCheck, where: str) -> None:
    """Assert what one of a lesson's declared browser checks asks of the lesson on screen."""
    if check.figure is not None:
        figure = panel.locator(f'.jp-RenderedMarkdown img[src*="{check.figure}"]')
        assert figure.count() == 1 and not broken_images(panel), f"the figure {check.figure} did not render\n{where}"
        return
    cell = panel.locator(".jp-CodeCell").filter(has_text=check.cell).first
    shown = cell.locator(".jp-OutputArea").inner_text()
    about = f"the output of the cell with {check.cell!r}"
    if check.contains is not None:
        assert check.contains in shown, f"{about} lacks {check.contains!r}: {shown[-400:]!r}\n{where}"
    if check.number is not None:
        found = re.search(check.number, shown)
        assert found, f"{about} shows no {check.number!r}: {shown[-400:]!r}\n{where}"
        value = float(found.group(1))
        assert check.at_least is None or value >= check.at_least, f"{about}: {value} < {check.at_least}\n{where}"
        assert check.below is None or value < check.below, f"{about}: {value} is not below {check.below}\n{where}"
    if check.images is not None:
        images = cell.locator(".jp-RenderedImage img").count()
        assert images == check.images, f"{about} renders {images} images, not {check.images}\n{where}"
    for pattern, times in (check.count or {}).items():
        seen = len(re.findall(pattern, shown))
        assert seen == times, f"{about} shows {pattern!r} {seen} times, not {times}: {shown[-400:]!r}\n{where}"


def clear_outputs(page, panel) -> None:
    """Edit > Clear Outputs of All Cells, and wait until no cell shows an execution count."""
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    menu(page, "Edit", "Clear Outputs of All Cells")
    deadline = time.monotonic() + 30
    while any(re.search(r"\d", text) for text in prompts.all_inner_texts()):
        if time.monotonic() > deadline:
            raise AssertionError(f"the stored outputs were not cleared; see {screenshot(page, 'clear-timeout')}")
        time.sleep(0.5)


def run_first_cells(page, panel, count: int) -> None:
    """Clear the outputs, select the first cell and press Shift+Enter until `count` code cells have run (bounded)."""
    clear_outputs(page, panel)  # else the stored execution counts would look like a run
    panel.locator(".jp-Cell").first.click()
    deadline = time.monotonic() + 180
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    while time.monotonic() < deadline:
        texts = prompts.all_inner_texts()[:count]
        if all(re.search(r"\[\d+\]", text) for text in texts):
            wait_for_idle_kernel(page, timeout=60)
            return
        if not any("*" in text for text in texts):
            page.keyboard.press("Escape")  # command mode: Shift+Enter runs the cell, whatever is focused
            page.keyboard.press("Shift+Enter")
        time.sleep(1)
    shot = screenshot(page, "first-cells-timeout")
    raise AssertionError(f"the first {count} code cells did not run within 180 s; see {shot}")


def stored_text(lesson: Path) -> str:
    """The first line of text that the lesson's last code cell with a text output stored."""
    cells = [c for c in json.loads(lesson.read_text())["cells"] if c["cell_type"] == "code"]
    for cell in reversed(cells):
        for output in cell["outputs"]:
            text = "".join(output.get("text", "")) or "".join(output.get("data", {}).get("text/plain", ""))
            if text.strip():
                return text.strip().splitlines()[0]
    raise AssertionError(f"{lesson.name} stores no text output")


@pytest.mark.parametrize("lesson", RUN_ALL, ids=[p.stem for p in RUN_ALL])
def test_run_all_in_jupyterlab(page, lab, lesson):
    # First: lesson 01's run saves the model (in scratch) that the other lessons' first cells load.
    declared = lesson_of(lesson).declared  # read first: a declaration with a mistake fails before the run
    panel, where = run_lesson(page, lab, f"notebooks/{lesson.name}")
    # As many images on screen as the lesson has figures (lesson 05 has none): its text's and its cells'.
    rendered = panel.locator(".jp-RenderedImage img, .jp-RenderedMarkdown img")
    expected = figures_of(lesson)
    assert rendered.count() >= expected, f"expected {expected} figures on screen, found {rendered.count()}\n{where}"
    for check in declared.browser:
        check_on_screen(panel, check, where)


def lesson_of(notebook: Path):
    """The registry's lesson of a notebook, where its front matter says what its run must show."""
    return lesson(notebook.stem, notebook.parent)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_opens_runs_its_first_cells_and_shows_its_stored_outputs(page, lab, lesson):
    if lesson in RUN_ALL:
        pytest.skip("run top to bottom by test_run_all_in_jupyterlab")
    relative = f"notebooks/{lesson.name}"
    panel = open_in_lab(page, lab, relative)
    # What a learner sees before running anything: the stored outputs and figures.
    rendered = panel.locator(".jp-RenderedImage img, .jp-RenderedMarkdown img")
    shot = screenshot(page, f"{lesson.stem}-opened")
    expected = figures_of(lesson)  # the lesson's own figures: lesson 05 has none
    found = rendered.count()
    assert found >= expected, f"{relative}: expected {expected} figures, found {found}; see {shot}"
    last = stored_text(lesson)
    shown = panel.locator(".jp-OutputArea").all_inner_texts()
    assert any(last in text for text in shown), f"{relative}: the stored output {last!r} is not shown; see {shot}"
    run_first_cells(page, panel, FIRST_CELLS)
    shot = screenshot(page, f"{lesson.stem}-first-cells")
    problems = [p for p in cell_problems(panel) if "was not executed" not in p]
    assert not problems, f"{relative}: " + "\n".join(problems) + f"\nscreenshot: {shot}"
    assert not broken_images(panel), f"{relative}: images that did not render: {broken_images(panel)}; see {shot}"


def test_markdown_source_opens_as_a_notebook(page, lab):
    source = ROOT / "notebooks" / "01_mnist.md"
    panel = open_in_lab(page, lab, "notebooks/01_mnist.md")
    shot = screenshot(page, "01_mnist-md")
    cells = panel.locator(".jp-Cell")
    assert cells.count() == len(jupytext.read(source).cells), f"not rendered as a notebook; see {shot}"
    assert panel.locator(".jp-CodeCell").count() > 20 and panel.locator(".jp-MarkdownCell").count() > 20
    assert page.locator(".jp-FileEditor:visible").count() == 0, f"opened as plain text; see {shot}"


def test_a_broken_cell_fails_with_its_name(page, lab):
    # A small notebook, not a lesson: what is tested is how the test reports an error, not the lesson.
    broken = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# A broken lesson"},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "x_train = [0] * 3",
                "outputs": [],
                "execution_count": None,
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "# The shape\nx_train.shapee",
                "outputs": [],
                "execution_count": None,
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / "notebooks" / "99_broken.ipynb").write_text(json.dumps(broken))
    with pytest.raises(AssertionError, match=r"(?s)cell 3 \('x_train.shapee'\) shows an error: .*AttributeError"):
        run_lesson(page, lab, "notebooks/99_broken.ipynb")


#: The lesson with the drawing pad, and the source line of the cell that shows it.
PAD_LESSON, PAD_CELL = "notebooks/02_inference.ipynb", "pad = Pad(model)"
PAD_TIMEOUT = 60_000  # ms for the kernel to answer a stroke (JAX compiles the network's first call)


def pad_ink(canvas) -> int:
    """How much ink a canvas of the pad shows: the sum of its red channel (white ink on black)."""
    return canvas.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }"
    )


def answer_shown(page, status, digit: int, where: str) -> str:
    """Wait until the pad's live region begins with `digit` ("1 (98 %)"), and return its text."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([el, d]) => el.textContent.startsWith(d + ' (')",
            arg=[status.element_handle(), str(digit)],
            timeout=PAD_TIMEOUT,
        )
    except PlaywrightTimeout:  # say what the pad showed instead
        shot = screenshot(page, f"pad-{digit}")
        shown = status.inner_text()
        raise AssertionError(f"the pad did not read {digit}: it shows {shown!r}; see {shot}\n{where}") from None
    return status.inner_text()


def test_the_pad_reads_a_drawn_1_and_0_and_clear_empties_it(page, lab):
    # Lesson 02 up to its pad, in JupyterLab; the network is the one lesson 01 trains (in scratch: its run
    # above saved it, or lesson 02's first cells train it).
    panel = open_in_lab(page, lab, PAD_LESSON)
    clear_outputs(page, panel)
    cell = panel.locator(".jp-CodeCell").filter(has_text=PAD_CELL).first
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    menu(page, "Run", "Run All Above Selected Cell")
    deadline = time.monotonic() + RUN_TIMEOUT
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    while any("*" in text for text in prompts.all_inner_texts()) or not re.search(r"\d", prompts.first.inner_text()):
        assert time.monotonic() < deadline, f"lesson 02 did not run up to its pad; see {screenshot(page, 'pad-run')}"
        time.sleep(1)
    wait_for_idle_kernel(page, timeout=120)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")  # run the pad's cell, and stay on it
    canvas, seen = cell.locator("canvas.pad-canvas"), cell.locator("canvas.pad-image28")
    canvas.wait_for(timeout=PAD_TIMEOUT)
    status = cell.locator('.pad-answer[role="status"]')
    where = f"screenshot: {screenshot(page, 'pad-shown')}"
    problems = [p for p in cell_problems(panel) if "was not executed" not in p]
    assert not problems, "\n".join(problems) + f"\n{where}"
    # Until someone draws, the pad holds the package's sample drawing of a 1.
    answer_shown(page, status, 1, where)
    clear = cell.get_by_role("button", name="Clear")

    clear.click()
    page.wait_for_function("el => el.textContent === ''", arg=status.element_handle(), timeout=PAD_TIMEOUT)
    assert pad_ink(canvas) == 0 and pad_ink(seen) == 0, f"Clear left ink on the pad\n{where}"

    draw_with_mouse(page, canvas, ONE_STROKE)
    shown = answer_shown(page, status, 1, where)
    assert re.fullmatch(r"1 \(\d+ %\)", shown), shown
    assert pad_ink(seen) > 0, f"the 28 × 28 image shows nothing\n{where}"
    bars = cell.locator(".pad-percent").all_inner_texts()
    assert len(bars) == 10 and all(re.fullmatch(r"\d+ %", text) for text in bars), bars

    clear.click()
    page.wait_for_function("el => el.textContent === ''", arg=status.element_handle(), timeout=PAD_TIMEOUT)
    draw_with_mouse(page, canvas, ZERO_LOOP)
    answer_shown(page, status, 0, where)

    clear.click()
    page.wait_for_function("el => el.textContent === ''", arg=status.element_handle(), timeout=PAD_TIMEOUT)
    assert pad_ink(canvas) == 0 and pad_ink(seen) == 0, f"Clear left ink on the pad\n{where}"
    assert all(text == "" for text in cell.locator(".pad-percent").all_inner_texts())

    # Without a pointer: pick a sample drawing, then reach Clear with the keyboard and press it with Enter.
    sample = cell.get_by_label("Sample drawing")
    sample.select_option("zero")
    answer_shown(page, status, 0, where)
    sample.focus()
    page.keyboard.press("Shift+Tab")
    assert clear.evaluate("el => el === document.activeElement"), f"Shift+Tab did not reach Clear\n{where}"
    page.keyboard.press("Enter")
    page.wait_for_function("el => el.textContent === ''", arg=status.element_handle(), timeout=PAD_TIMEOUT)
