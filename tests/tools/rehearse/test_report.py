"""Tests of tools/rehearse/report.py: one rehearsal's table, the guide's sizing table, and its writing."""

from __future__ import annotations

import json

import pytest

from tools import plumbing
from tools.rehearse import report
from tools.rehearse.learner import LearnerResult, LessonRun


def _lesson(seconds: float, first_output: float = 3.0) -> dict:
    return {"stem": "01_mnist", "seconds": seconds, "first_output": first_output, "mismatches": [],
            "kernel_peak_mb": 700}  # fmt: skip


def _learner(spawn: float, ratio: float, first_output: float = 3.0) -> dict:
    return {"name": "l", "spawn": spawn, "pull": 1.0, "lessons": [_lesson(40.0 * ratio, first_output)],
            "peak_mb": 800.0, "failure": None}  # fmt: skip


def _run(learners: int, ratio: float) -> dict:
    return {
        "learners": learners,
        "lessons": ["01_mnist"],
        "alone": {"lessons": [{"stem": "01_mnist", "seconds": 40.0}]},
        "results": [_learner(9.0, ratio)] * learners,
        "checks": [{"what": "x", "passed": True, "detail": ""}],
        "seconds": 1,
        "machine": {"cores": 2, "processor": "a CPU", "memory_gb": 8.0, "python": "3.11.7"},
        "date": "d",
    }


def test_the_sizing_table_says_how_each_class_size_went():
    text = report.sizing_table([_run(1, 1.0), _run(4, 2.5)])
    assert text.startswith("Measured d (2 cores, a CPU, 8 GB, Python 3.11.7), each class size")
    assert "| 1 | 9.0, 9.0 | 3.0 | 1.0×, 1.0× | 700 | 800 | 1 passed, 0 failed |" in text
    assert "| 4 | 9.0, 9.0 | 3.0 | 2.5×, 2.5× | 700 | 800 | 4 passed, 0 failed |" in text
    # Learners who differ: the median and the largest of each, and a failed learner counted as one.
    mixed = _run(3, 1.0)
    mixed["results"] = [_learner(s, r, fo) for s, r, fo in [(4.0, 1.5, 2.0), (6.0, 2.0, 5.0), (20.0, 4.0, 3.0)]]
    mixed["results"][2]["failure"] = "RehearsalError: the kernel died"
    mixed["checks"][0]["passed"] = False
    line = "| 3 | 6.0, 20.0 | 5.0 | 2.0×, 4.0× | 700 | 800 | 2 passed, 1 failed; a hub check failed |"
    assert line in report.sizing_table([mixed])
    with pytest.raises(report.RehearsalError, match="no rehearsal"):
        report.sizing_table([])


def test_a_record_made_before_the_machine_was_a_record_still_reads():
    older = _run(1, 1.0) | {"machine": "2 cores, a CPU, 24 GB"}
    assert report.sizing_table([older]).startswith("Measured d (2 cores, a CPU, 24 GB), each")


def test_the_guide_gets_the_table_between_its_markers_and_nothing_else_changes(tmp_path):
    guide = tmp_path / "guide.md"
    begin = plumbing.begin_marker(report.COMMAND, "benchmarks/results/rehearsal.json")
    guide.write_text(f"before\n{begin}\nold\n{plumbing.END_MARKER}\nafter\n")
    (tmp_path / "other.md").write_text("A page without the table.\n")
    assert report.guides(tmp_path) == [guide]  # the page holding the markers is the one written
    assert report.write_guide([_run(1, 1.0)], [guide], check=True) == [guide] and "old" in guide.read_text()
    assert report.write_guide([_run(1, 1.0)], [guide]) == [guide]
    table = report.sizing_table([_run(1, 1.0)])
    assert guide.read_text() == f"before\n{begin}\n{table}\n{plumbing.END_MARKER}\nafter\n"
    assert report.write_guide([_run(1, 1.0)], [guide], check=True) == []  # fresh now
    guide.write_text("no markers")
    with pytest.raises(report.RehearsalError, match="no page in .* has the sizing table: put the lines"):
        report.guides(tmp_path)
    assert guide.read_text() == "no markers"


def test_the_guides_sizing_table_is_the_one_the_recorded_results_make():
    runs = json.loads(report.RESULTS.read_text())
    stale = report.write_guide(runs, check=True)
    assert not stale, f"{stale}: the sizing table is stale; `python -m tools.rehearse --guide` rewrites it"


def test_a_rehearsals_table_gives_each_learner_against_the_one_alone_and_closes_with_the_count():
    alone = LearnerResult("alone", 5.0, 1.0, [LessonRun("01_mnist", seconds=40.0, first_output=2.0)], 900.0)
    fast = LearnerResult("learner1", 6.0, 1.0, [LessonRun("01_mnist", seconds=60.0, first_output=3.0)], 950.0)
    wrong = LearnerResult("learner2", 7.0, 1.0, [LessonRun("01_mnist", seconds=80.0, mismatches=["cell 2 differs"])])
    checks = [("a wrong password is refused", True, "403"), ("nothing listens anywhere but 127.0.0.1", False, "0")]
    made = report.Report(2, ["01_mnist"], alone, [fast, wrong], checks, 123.0, "/tmp/x", ["one thing"])
    text = report.table(made)
    assert "| learner1 | 6.0 | 1.0 | 3.0 | 60.0 (1.5×) |" in text
    assert "| learner2 | 7.0 | 1.0 | – | 80.0 (2.0×) |" in text and "FAILED: cell 2 differs" in text
    assert "- FAILED: nothing listens anywhere but 127.0.0.1 (0)" in text and "- not checked: one thing" in text
    assert text.splitlines()[-1] == "2 passed, 1 failed; 1 of 2 hub checks failed (123 s)"
    assert made.failed == 2
    assert json.loads(json.dumps(made.as_json()))["machine"] == plumbing.machine()
