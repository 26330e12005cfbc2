"""Tests of benchmarks/runner.py: fresh processes, alternating rounds, ratios within a round."""

from __future__ import annotations

import json

import pytest

from benchmarks import runner


def test_rounds_alternate_every_measurement_and_save_each_round(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "RESULTS", tmp_path)
    order = []
    monkeypatch.setattr(runner, "measure", lambda m, env: order.append(m.label) or {"s": float(len(order))})
    plan = [runner.Measurement("dense", "a", "A"), runner.Measurement("dense", "b", "B")]
    done = runner.rounds(plan, 3, {}, "demo")
    assert order == ["A", "B", "A", "B", "A", "B"]  # never all of A, then all of B
    assert [r["A"]["s"] for r in done] == [1.0, 3.0, 5.0]
    assert len(json.loads((tmp_path / "demo.rounds.json").read_text())) == 3


def test_backend_rounds_run_the_lessons_own_backend_first_in_every_round(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "RESULTS", tmp_path)
    seen = []
    monkeypatch.setattr(runner, "measure", lambda m, env: seen.append((m.label, m.env["KERAS_BACKEND"])) or {})
    backends, done = runner.backend_rounds("convnet", "epoch", "tensorflow", ("jax", "tensorflow", "torch"), 2, {})
    assert backends == ["tensorflow", "jax", "torch"] and len(done) == 2
    assert seen == [(b, b) for b in backends] * 2
    assert (tmp_path / "convnet.rounds.json").exists()


def test_ratios_are_taken_within_each_round():
    done = [{"a": {"s": 10.0}, "b": {"s": 5.0}}, {"a": {"s": 30.0}, "b": {"s": 10.0}}]  # the machine slowed down
    assert runner.within_rounds(done, "a", "b", "s") == [2.0, 3.0]


def test_a_workload_runs_in_a_fresh_process_with_its_environment(monkeypatch):
    # benchmarks.lessons' workload module, asked for a workload that does not exist: the error is reported.
    with pytest.raises(SystemExit, match="benchmark 'nothing' failed"):
        runner.measure(runner.Measurement("lessons", "no-such-workload", "nothing"), {})


def test_workload_main_prints_the_workloads_result_as_json(capsys):
    assert runner.workload_main({"w": lambda: {"x": 1.5}}, ["--workload", "w"]) is True
    assert json.loads(capsys.readouterr().out) == {"x": 1.5}
    assert runner.workload_main({"w": dict}, []) is False
