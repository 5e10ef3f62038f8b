"""The cycle log: what swarmcheck.observe writes, from many processes at once, is what
``swarmcheck slo`` reads for its cycle-time and task-success objectives."""
import json
import multiprocessing
import os
import shutil
import subprocess
import sys

import pytest

from swarmcheck.observe import cycle, record_cycle


def swarmcheck(*args, cwd=None):
    exe = shutil.which("swarmcheck", path=os.path.dirname(sys.executable)) or shutil.which("swarmcheck")
    assert exe, "the swarmcheck command is installed"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd)


def _agent(path, name, n):
    for i in range(n):
        # Every fifth cycle is slow, every tenth fails.
        record_cycle(path, name, 3.0 if i % 5 == 0 else 0.5, ok=i % 10 != 0, task=f"task-{i}")


def test_lines_from_many_processes_are_whole_and_slo_reads_them(tmp_path):
    log = tmp_path / "cycles.jsonl"
    procs = [multiprocessing.Process(target=_agent, args=(str(log), f"Agent-{k}", 200)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 800
    for line in lines:
        rec = json.loads(line)
        assert rec["v"] == 1 and rec["ts"].endswith("Z") and rec["duration_ms"] in (3000.0, 500.0)
    (tmp_path / "swarmcheck.toml").write_text(
        '[observe]\ncycles = ["cycles.jsonl"]\n\n'
        '[[slo]]\nname = "cycle-time"\nsli = "cycle-time"\nthreshold = "2s"\nobjective = 0.9\n\n'
        '[[slo]]\nname = "task-success"\nsli = "task-success"\nobjective = 0.95\n'
    )
    out = swarmcheck("slo", "--output-format", "json", "--fail-on", "never", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    by_name = {o["name"]: o for o in report["objectives"]}
    assert by_name["cycle-time"]["sli"]["good"] == 640 and by_name["cycle-time"]["sli"]["total"] == 800
    assert by_name["cycle-time"]["verdict"] == "violating"
    assert by_name["task-success"]["sli"]["good"] == 720
    assert by_name["task-success"]["verdict"] == "violating"
    assert report["sources"]["cycles"] == {"files": ["cycles.jsonl"], "cycles": 800, "failed": 80, "malformed_lines": 0}


def test_the_context_manager_times_and_records_failure(tmp_path):
    log = tmp_path / "c.jsonl"
    with cycle(log, "Agent-1", task="ok"):
        pass
    with pytest.raises(KeyError):
        with cycle(log, "Agent-1", task="boom"):
            raise KeyError("x")
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["task"], r["ok"]) for r in recs] == [("ok", True), ("boom", False)]
    assert all(r["pid"] == os.getpid() and r["duration_ms"] >= 0 for r in recs)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_bad_duration_is_refused_and_nothing_written(tmp_path, bad):
    log = tmp_path / "c.jsonl"
    with pytest.raises(ValueError):
        record_cycle(log, "a", bad)
    assert not log.exists()
