"""The installed ``swarmcheck`` command: the Rust CLI, with its documented exit codes."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
REPO = os.path.dirname(os.path.dirname(HERE))


def swarmcheck(*args, cwd=None):
    exe = shutil.which("swarmcheck", path=os.path.dirname(sys.executable)) or shutil.which("swarmcheck")
    assert exe, "the swarmcheck command is installed"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd)


def test_check_exit_codes():
    demo = os.path.join(REPO, "fixtures", "demo-swarm")
    assert swarmcheck("check", demo).returncode == 1
    assert swarmcheck("check", demo, "--exit-zero").returncode == 0
    assert swarmcheck("check", demo, "--fail-on", "sometimes").returncode == 2
    assert swarmcheck("--version").returncode == 0


def test_unprotected_rmw_is_flagged_and_the_rewrite_is_clean():
    out = swarmcheck("check", os.path.join(FIXTURES, "registry_unsafe.py"), "--output-format", "json", "--exit-zero")
    codes = sorted({f["code"] for f in json.loads(out.stdout)["findings"]})
    assert "SWC201" in codes, out.stdout
    out = swarmcheck("check", os.path.join(FIXTURES, "registry_safe.py"), "--output-format", "json")
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout)["findings"] == []


def test_python_m_swarmcheck():
    out = subprocess.run([sys.executable, "-m", "swarmcheck", "rule", "SWC201"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("SWC201 unprotected-json-rmw")


def test_ctrl_c_while_waiting_for_a_lock_ends_the_command_at_once(tmp_path):
    import signal
    import time

    doc = tmp_path / "doc.json"
    doc.write_text('{"n": 0}')
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from swarmcheck.store import locked_json\n"
            "with locked_json(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(15)\n",
            str(doc),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        exe = shutil.which("swarmcheck", path=os.path.dirname(sys.executable))
        # As a terminal would run it: SIGINT at its default, whatever the test runner set.
        waiter = subprocess.Popen(
            [exe, "store", "update", "--incr", "/n", str(doc)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(1.0)
        assert waiter.poll() is None, "the command waits for the lock"
        sent = time.monotonic()
        waiter.send_signal(signal.SIGINT)
        out, err = waiter.communicate(timeout=10)
        assert time.monotonic() - sent < 2.0, "Ctrl-C ends the wait at once"
        assert waiter.returncode in (-signal.SIGINT, 130), waiter.returncode
        assert "Traceback" not in err and "Interrupted system call" not in err, err
        assert out == ""
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(doc.read_text()) == {"n": 0}, "the interrupted update did not happen"
