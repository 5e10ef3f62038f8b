"""swarmcheck.store on PostgreSQL from Python, against the real server that scripts/test starts.

Without one (SWARMCHECK_TEST_PG unset) these tests skip with a message, unless
SWARMCHECK_REQUIRE_PG=1 (CI), where that fails them.
"""
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from swarmcheck.store import CorruptDocument, JsonStore, LockTimeout, StoreError, locked_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def server():
    address = os.environ.get("SWARMCHECK_TEST_PG")
    if not address:
        msg = "SWARMCHECK_TEST_PG is not set (scripts/test starts a PostgreSQL server): NOT run"
        if os.environ.get("SWARMCHECK_REQUIRE_PG") == "1":
            pytest.fail(msg + ", and SWARMCHECK_REQUIRE_PG=1 requires it")
        pytest.skip(msg)
    return address


def _doc(server, name):
    return f"{server}?document={name}-{uuid.uuid4().hex[:12]}"


def _sql(server, statement):
    out = subprocess.run(
        ["psql", server, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.rstrip("\n")


def _cli_binary():
    for profile in ("debug", "release"):
        path = os.path.join(ROOT, "target", profile, "swarmcheck")
        if os.path.exists(path):
            return path
    pytest.fail("the swarmcheck binary is not built (cargo build)")


def _increment(address, n):
    for _ in range(n):
        with locked_json(address, default=lambda: {"n": 0}) as doc:
            doc["n"] += 1


def _read_whole(address, seconds, bad):
    store = JsonStore(address, default=lambda: {"n": 0})
    last, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        n = store.read()["n"]
        if n < last:
            bad.value += 1
        last = n


def test_sixteen_processes_times_500_increments_with_cli_processes_alongside(server):
    address = _doc(server, "count")
    ctx = mp.get_context("spawn")
    python = [ctx.Process(target=_increment, args=(address, 500)) for _ in range(16)]
    # Meanwhile two shells run the CLI, a process (and a connection) per increment.
    loop = f'for i in $(seq 50); do "{_cli_binary()}" store update "$0" --incr /n >/dev/null || exit 1; done'
    shells = [subprocess.Popen(["sh", "-c", loop, address]) for _ in range(2)]
    bad = ctx.Value("i", 0)
    reader = ctx.Process(target=_read_whole, args=(address, 3.0, bad))
    for p in python:
        p.start()
    reader.start()
    for p in python:
        p.join()
        assert p.exitcode == 0
    for s in shells:
        assert s.wait() == 0
    reader.join()
    assert reader.exitcode == 0
    assert bad.value == 0, "a lock-free reader saw the count go back"
    assert JsonStore(address).read() == {"n": 16 * 500 + 2 * 50}


HOLD_AND_WAIT = """
import sys
from swarmcheck.store import locked_json
with locked_json(sys.argv[1]) as doc:
    doc["x"] = "uncommitted"
    print("in", flush=True)
    sys.stdin.read()
"""


def test_kill_9_mid_transaction_leaves_the_row_unchanged_and_unlocked(server):
    address = _doc(server, "kill")
    with locked_json(address) as doc:
        doc["x"] = "committed"
    for _ in range(50):
        child = subprocess.Popen(
            [sys.executable, "-c", HOLD_AND_WAIT, address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "in"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        # The server rolls the dead client's transaction back and releases the row.
        with locked_json(address, timeout=10) as doc:
            assert doc == {"x": "committed"}


HOLD_FOR = """
import sys, time
from swarmcheck.store import locked_json
with locked_json(sys.argv[1]) as doc:
    print("in", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_timeout_fails_at_the_timeout_naming_the_holder(server):
    address = _doc(server, "timeout")
    JsonStore(address).update(lambda d: d.update(n=0))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR, address, "2"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "in"
    started = time.monotonic()
    with pytest.raises(LockTimeout) as info:
        with locked_json(address, timeout=0.5):
            pass
    elapsed = time.monotonic() - started
    holder.wait()
    assert abs(elapsed - 0.5) < 0.05, elapsed
    message = str(info.value)
    assert f"pid={holder.pid}" in message, message
    assert "PostgreSQL backend" in message
    assert ":swarmcheck-test@" not in message


RESTART_WORKER = """
import sys, time
from swarmcheck.store import JsonStore, StoreError
store = JsonStore(sys.argv[1], default=lambda: {"n": 0})
acked = failed = 0
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        store.update(lambda d: d.__setitem__("n", d["n"] + 1))
        acked += 1
    except StoreError:
        failed += 1
        time.sleep(0.05)
print(acked, failed, flush=True)
"""


def test_a_server_restart_loses_no_acknowledged_update(server):
    data_dir = os.environ.get("SWARMCHECK_TEST_PG_DIR")
    if not data_dir:
        pytest.fail("SWARMCHECK_TEST_PG_DIR is not set: scripts/test sets it with the server")
    address = _doc(server, "restart")
    worker = subprocess.Popen(
        [sys.executable, "-c", RESTART_WORKER, address, "5"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(1.0)
    subprocess.run(
        [os.path.join(ROOT, "scripts", "pg-test-server"), "restart", data_dir], check=True
    )
    restarted_at = JsonStore(address).read()["n"]
    out, _ = worker.communicate(timeout=60)
    acked, failed = map(int, out.split())
    final = JsonStore(address).read()["n"]
    # Every acknowledged update is there; an update whose commit was cut off may or may not be.
    assert acked <= final <= acked + failed, (acked, failed, final)
    assert final > restarted_at, "the worker went on after the restart"
    JsonStore(address).update(lambda d: d.__setitem__("n", d["n"] + 1))
    assert JsonStore(address).read()["n"] == final + 1


def test_a_terminated_session_is_a_clear_error_and_the_next_update_succeeds(server):
    address = _doc(server, "terminate")
    store = JsonStore(address, default=lambda: {"n": 0})
    store.update(lambda d: d.__setitem__("n", 1))
    with pytest.raises(StoreError) as info:
        with store.transaction() as doc:
            doc["n"] = 99
            _sql(
                server,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE application_name = 'swarmcheck pid={os.getpid()} host={os.uname().nodename}'",
            )
    assert "terminating connection due to administrator command" in str(info.value), str(
        info.value
    )
    store.update(lambda d: d.__setitem__("n", d["n"] + 1))
    assert store.read() == {"n": 2}


def test_bad_inputs_are_clear_errors_and_write_nothing(server):
    user_and_host = server.split("//", 1)[1]
    user, rest = user_and_host.split(":", 1)
    host_port = rest.split("@", 1)[1].split("/", 1)[0]
    cases = [
        (f"postgresql://{user}:wrong@{host_port}/swarmcheck_test?document=x", "password"),
        (f"postgresql://{user}@127.0.0.1:1/swarmcheck_test?document=x", "refused"),
        (server.replace("/swarmcheck_test", "/missing_db") + "?document=x", "does not exist"),
        (server, "names no document"),
    ]
    for address, expected in cases:
        with pytest.raises(StoreError) as info:
            with locked_json(address, timeout=2) as doc:
                doc["written"] = True
        assert expected in str(info.value), str(info.value)
        assert ":wrong@" not in str(info.value)

    address = _doc(server, "corrupt")
    JsonStore(address).update(lambda d: d.update(a=1))
    name = address.split("document=")[1]
    _sql(server, f"UPDATE swarmcheck.documents SET body = '{{\"a\": ' WHERE name = '{name}'")
    with pytest.raises(CorruptDocument) as info:
        JsonStore(address).update(lambda d: d.update(a=2))
    assert 'preserved as "swarmcheck".corrupt id' in str(info.value), str(info.value)
    assert _sql(server, f"SELECT body FROM swarmcheck.documents WHERE name = '{name}'") == '{"a": '
    assert _sql(server, f"SELECT count(*) FROM swarmcheck.corrupt WHERE name = '{name}'") == "1"


def test_the_readme_two_host_example_runs_as_written(server, tmp_path):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = [b for b in text.split("```sh\n")[1:] if b.startswith("# two hosts\n")]
    assert len(blocks) == 1, "README.md has one '# two hosts' example"
    script = blocks[0].split("```", 1)[0]
    address = _doc(server, "readme")
    assert "\nDOC='postgresql://" in script
    script = "\n".join(
        f"DOC='{address}'" if line.startswith("DOC=") else line for line in script.splitlines()
    )
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "100"
    doc = JsonStore(address).read()
    assert doc["tasks"] == list(range(100)) and doc["seen"] == 100


FORK_INSIDE = """
import os, sys
from swarmcheck.store import JsonStore, locked_json
address = sys.argv[1]
with locked_json(address) as doc:
    doc["parent"] = True
    pid = os.fork()
    if pid == 0:
        # The child holds no transaction: its own update waits for the parent's, then succeeds.
        try:
            JsonStore(address, timeout=10).update(lambda d: d.__setitem__("child", True))
            os._exit(0)
        except BaseException as e:
            print(repr(e), flush=True)
            os._exit(1)
status = os.waitpid(pid, 0)[1]
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_child_forked_inside_an_update_can_update_after_the_parent(server):
    address = _doc(server, "fork")
    out = subprocess.run(
        [sys.executable, "-c", FORK_INSIDE, address], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert JsonStore(address).read() == {"parent": True, "child": True}
