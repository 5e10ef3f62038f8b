"""The store keeps Python's data exactly: numbers, key order, layout, nesting; and a failed
commit never leaves the lock held."""
import json
import multiprocessing as mp
import os
import random
import signal
import threading
import time

import pytest

from swarmcheck.store import JsonStore, LockTimeout, StoreError, locked_json


def test_floats_and_big_ints_round_trip_exactly(tmp_path):
    rng = random.Random(16)
    floats = [rng.random() for _ in range(2000)]
    floats += [rng.uniform(-1e300, 1e300) for _ in range(500)]
    floats += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0]
    ints = [2**63 - 1, 2**63, 2**64 + 1, -(2**70), 10**40]
    path = tmp_path / "n.json"
    with locked_json(path, default=dict) as doc:
        doc["f"] = floats
        doc["i"] = ints
    with locked_json(path) as doc:  # read back and write again through the store
        doc["again"] = True
    back = JsonStore(path).read()
    assert back["f"] == floats
    assert [repr(x) for x in back["f"]] == [repr(x) for x in floats]
    assert back["i"] == ints and all(type(x) is int for x in back["i"])


def test_key_order_and_compact_layout_are_kept(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"zeta":1,"alpha":{"b":2,"a":3}}')
    with locked_json(path) as doc:
        doc["mid"] = 4
    assert path.read_text() == '{"zeta":1,"alpha":{"b":2,"a":3},"mid":4}'
    path.write_text('{\n    "zeta": 1,\n    "alpha": []\n}\n')
    JsonStore(path).update(lambda d: d.__setitem__("new", [1]))
    assert path.read_text() == (
        '{\n    "zeta": 1,\n    "alpha": [],\n    "new": [\n        1\n    ]\n}\n'
    )


def test_non_ascii_text_is_kept_as_characters(tmp_path):
    path = tmp_path / "u.json"
    path.write_text('{"name": "Zoë ✓"}', encoding="utf-8")
    JsonStore(path).update(lambda d: d.__setitem__("n", 1))
    assert path.read_text(encoding="utf-8") == '{"name": "Zoë ✓", "n": 1}'


def test_deep_valid_documents_are_not_corrupt(tmp_path):
    path = tmp_path / "deep.json"
    deep = "[" * 900 + "]" * 900
    text = '{"n": 1, "deep": ' + deep + "}"
    path.write_text(text)
    store = JsonStore(path, on_corrupt="default")
    store.update(lambda d: d.__setitem__("n", 2))
    assert path.read_text() == text.replace('"n": 1', '"n": 2')
    assert not [p for p in tmp_path.iterdir() if "corrupt" in p.name]


def test_nan_raises_and_releases_the_lock(tmp_path):
    path = tmp_path / "nan.json"
    kept = None
    try:
        with locked_json(path, default=dict, timeout=1) as doc:
            doc["x"] = float("nan")
    except ValueError as e:
        kept = e  # the exception (and its traceback) stays alive
    assert kept is not None
    # The same thread can lock again at once: the lock was released before raising.
    with locked_json(path, default=dict, timeout=1) as doc:
        doc["ok"] = True
    # So can another thread.
    errors = []

    def other():
        try:
            JsonStore(path, timeout=1).update(lambda d: d.__setitem__("t", 1))
        except StoreError as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert not errors
    assert json.loads(path.read_text()) == {"ok": True, "t": 1}


def test_native_commit_of_invalid_text_releases_the_lock(tmp_path):
    from swarmcheck import _native

    path = tmp_path / "t.json"
    store = _native.NativeStore(str(path), timeout=1)
    txn = store.begin()
    with pytest.raises(ValueError):
        txn.commit("{not json")
    # txn is still referenced here; the lock must be free.
    store.begin().commit('{"a": 1}')
    assert json.loads(path.read_text()) == {"a": 1}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_inside_a_block_never_releases_the_parents_lock(tmp_path):
    path = tmp_path / "f.json"
    block = locked_json(path, default=dict)
    with block as doc:
        doc["parent"] = 1
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                block._txn.abort()  # the inherited transaction ends in the child
                try:
                    JsonStore(path, timeout=0.3).update(lambda d: d.__setitem__("child", 1))
                    code = 3  # it got the lock the parent still holds
                except LockTimeout:
                    pass
            except BaseException:
                code = 4
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    assert json.loads(path.read_text()) == {"parent": 1}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_thread_waits_can_lock(tmp_path):
    path = tmp_path / "w.json"
    holding = threading.Event()
    release = threading.Event()

    def holder():
        with locked_json(path, default=dict) as doc:
            doc["h"] = 1
            holding.set()
            release.wait(10)

    def waiter():
        JsonStore(path).update(lambda d: d.__setitem__("w", 1))

    h = threading.Thread(target=holder)
    h.start()
    holding.wait(10)
    w = threading.Thread(target=waiter)
    w.start()
    time.sleep(0.2)  # the waiter is queued in this process
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            JsonStore(path, timeout=5).update(lambda d: d.__setitem__("child", 1))
        except BaseException:
            code = 5
        os._exit(code)
    time.sleep(0.3)
    release.set()
    deadline = time.time() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung waiting for a thread it does not have")
        time.sleep(0.05)
    h.join()
    w.join()
    assert os.waitstatus_to_exitcode(status) == 0
    assert json.loads(path.read_text()) == {"h": 1, "w": 1, "child": 1}


def _hold_then_release(path, seconds, ready):
    with locked_json(path, default=dict) as doc:
        doc["held"] = True
        ready.set()
        time.sleep(seconds)


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt in the test, whatever the runner inherited: a background job
    of a non-interactive shell starts with SIGINT ignored, and Python then keeps it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_a_signal_handler_does_not_break_a_blocking_wait(tmp_path):
    path = tmp_path / "s.json"
    seen = []
    old = signal.signal(signal.SIGUSR1, lambda *_: seen.append(1))
    try:
        # The holder is another process: this one blocks in the OS lock itself.
        ctx = mp.get_context("spawn")
        ready = ctx.Event()
        t = ctx.Process(target=_hold_then_release, args=(str(path), 2.0, ready))
        t.start()
        assert ready.wait(30)
        main = threading.main_thread().ident
        threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGUSR1)).start()
        JsonStore(path).update(lambda d: d.__setitem__("after", True))
        t.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert seen
    assert json.loads(path.read_text()) == {"held": True, "after": True}


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_ctrl_c_during_a_blocking_wait_raises_keyboard_interrupt(tmp_path, ctrl_c_raises):
    path = tmp_path / "k.json"
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    t = ctx.Process(target=_hold_then_release, args=(str(path), 2.0, ready))
    t.start()
    assert ready.wait(30)
    main = threading.main_thread().ident
    threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        JsonStore(path).update(lambda d: d.__setitem__("never", True))
    t.join()
    assert json.loads(path.read_text()) == {"held": True}


def _hold_in_process(path, seconds):
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    p = ctx.Process(target=_hold_then_release, args=(str(path), seconds, ready))
    p.start()
    assert ready.wait(30)
    return p


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_a_repeating_alarm_does_not_break_waits_with_or_without_a_timeout(tmp_path):
    # SIGALRM every 5 ms with a Python handler: every blocking wait is interrupted (EINTR)
    # again and again. Waits go on, time out as asked, and log no errors.
    path = tmp_path / "a.json"
    log = tmp_path / "metrics.jsonl"
    alarms = []
    old = signal.signal(signal.SIGALRM, lambda *_: alarms.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.005, 0.005)
    try:
        holder = _hold_in_process(path, 1.0)
        JsonStore(path, metrics=str(log)).update(lambda d: d.__setitem__("untimed", 1))
        holder.join()
        holder = _hold_in_process(path, 1.0)
        JsonStore(path, timeout=20, metrics=str(log)).update(lambda d: d.__setitem__("timed", 1))
        holder.join()
        holder = _hold_in_process(path, 2.0)
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            JsonStore(path, timeout=0.5).update(lambda d: d.__setitem__("never", 1))
        assert time.monotonic() - started < 1.8
        holder.join()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old)
    assert len(alarms) > 50
    assert json.loads(path.read_text()) == {"held": True, "untimed": 1, "timed": 1}
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["outcome"] for e in events] == ["ok", "ok"], events


def _interrupt_main_after(seconds):
    main = threading.main_thread().ident
    threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGINT)).start()


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_ctrl_c_during_a_timed_wait_raises_at_once(tmp_path, ctrl_c_raises):
    path = tmp_path / "t.json"
    holder = _hold_in_process(path, 4.0)
    _interrupt_main_after(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as raised:
        JsonStore(path, timeout=30).update(lambda d: d.__setitem__("never", True))
    waited = time.monotonic() - started
    holder.join()
    # Raised while waiting (not after the holder let go), and alone: no store error before it.
    assert waited < 2.5, waited
    assert raised.value.__context__ is None
    assert json.loads(path.read_text()) == {"held": True}


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
def test_ctrl_c_while_another_thread_holds_the_lock(tmp_path, ctrl_c_raises):
    path = tmp_path / "h.json"
    ready = threading.Event()
    holder = threading.Thread(target=_hold_then_release, args=(path, 3.0, ready))
    holder.start()
    assert ready.wait(10)
    _interrupt_main_after(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as raised:
        JsonStore(path).update(lambda d: d.__setitem__("never", True))
    waited = time.monotonic() - started
    holder.join()
    assert waited < 2.0, waited
    assert raised.value.__context__ is None
    # The abandoned wait left the in-process queue usable.
    JsonStore(path, timeout=5).update(lambda d: d.__setitem__("after", True))
    assert json.loads(path.read_text()) == {"held": True, "after": True}
