"""swarmcheck.store from Python: processes, threads, failures, corruption, metrics."""
import json
import multiprocessing as mp
import os
import threading
import time

import pytest

from swarmcheck.store import CorruptDocument, JsonStore, LockTimeout, StoreError, locked_json


def _increment(path, n):
    for _ in range(n):
        with locked_json(path, default=lambda: {"n": 0}) as doc:
            doc["n"] += 1


def _hold(path, seconds, ready):
    with locked_json(path, default=dict) as doc:
        doc["held"] = True
        ready.set()
        time.sleep(seconds)


def _register_many(path, worker, n):
    import registry_safe

    for i in range(n):
        registry_safe.register(path, f"w{worker}-{i}")


def test_eight_processes_times_250_increments(tmp_path):
    path = str(tmp_path / "counter.json")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(path, 250)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    with open(path) as f:
        assert json.load(f)["n"] == 2000
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".swctmp")]


def test_threads_share_a_store(tmp_path):
    store = JsonStore(tmp_path / "t.json", default=lambda: {"n": 0}, durability="none")

    def bump():
        for _ in range(100):
            store.update(lambda d: d.__setitem__("n", d["n"] + 1))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.read()["n"] == 400


def test_exception_in_block_leaves_the_file_unchanged(tmp_path):
    path = tmp_path / "doc.json"
    with locked_json(path) as doc:
        doc["a"] = 1
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with locked_json(path) as doc:
            doc["a"] = 2
            raise RuntimeError("boom")
    assert path.read_bytes() == before
    # The lock was released.
    with locked_json(path, timeout=1) as doc:
        assert doc == {"a": 1}


def test_update_returns_and_aborts_on_error(tmp_path):
    store = JsonStore(tmp_path / "q.json", default=list)
    assert store.update(lambda q: q.append("t1") or len(q)) == 1
    with pytest.raises(ValueError):
        store.update(lambda q: (q.append("t2"), int("x")))
    assert store.read() == ["t1"]
    with pytest.raises(TypeError):
        store.update(lambda q: q.append(object()))
    assert store.read() == ["t1"]


def test_timeout_raises_in_time_while_another_process_holds_the_lock(tmp_path):
    path = str(tmp_path / "held.json")
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(path, 2.0, ready))
    holder.start()
    assert ready.wait(30)
    started = time.monotonic()
    with pytest.raises(LockTimeout) as info:
        with locked_json(path, timeout=0.5):
            pass
    elapsed = time.monotonic() - started
    holder.join()
    assert 0.45 <= elapsed <= 0.65, elapsed
    assert "held.json" in str(info.value)
    assert "pid=" in str(info.value)
    assert isinstance(info.value, StoreError)


def test_corrupt_file_raises_and_is_preserved(tmp_path):
    path = tmp_path / "doc.json"
    path.write_bytes(b'{"agents": {"a": ')
    with pytest.raises(CorruptDocument) as info:
        with locked_json(path):
            pass
    assert "doc.json" in str(info.value)
    assert path.read_bytes() == b'{"agents": {"a": '
    copies = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(copies) == 1 and copies[0].read_bytes() == b'{"agents": {"a": '
    # The default policy continues from a fresh document, still keeping the bytes.
    with locked_json(path, on_corrupt="default", default=dict) as doc:
        doc["fresh"] = True
    assert json.loads(path.read_text()) == {"fresh": True}


def test_metrics_events_match_the_rust_schema(tmp_path):
    metrics = tmp_path / "m.jsonl"
    store = JsonStore(tmp_path / "d.json", metrics=metrics)
    store.update(lambda d: d.setdefault("x", 1))
    store.read()
    events = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [(e["op"], e["outcome"]) for e in events] == [("update", "ok"), ("read", "ok")]
    assert events[0]["v"] == 1 and events[0]["pid"] == os.getpid()
    assert events[0]["durability"] == "full"


def test_bad_options_are_value_errors(tmp_path):
    with pytest.raises(ValueError):
        JsonStore(tmp_path / "d.json", durability="sometimes")
    with pytest.raises(ValueError):
        JsonStore(tmp_path / "d.json", on_corrupt="ignore")
    with pytest.raises(ValueError):
        JsonStore(tmp_path / "d.json", timeout=-1)


def test_the_recommended_rewrite_loses_nothing(tmp_path):
    path = str(tmp_path / "registry.json")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_register_many, args=(path, w, 50)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    with open(path) as f:
        registry = json.load(f)
    assert registry["count"] == 400
    assert len(registry["agents"]) == 400
