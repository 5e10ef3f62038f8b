"""The release wheel, as a user on another Linux gets it: built by scripts/build-wheel,
manylinux2014 by auditwheel's own reading of its symbols, stripped, carrying the package README,
and working once installed into a fresh virtual environment.

The build compiles the package in release mode (several minutes the first time);
CARGO_TARGET_DIR keeps it under target/ for the next run.
"""
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def tool(name):
    exe = shutil.which(name, path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.fail(f"{name} is not installed in the test environment (scripts/test installs it)")
    return exe


def build_wheel(out, env):
    return subprocess.run([os.path.join(REPO, "scripts", "build-wheel"), str(out)],
                          capture_output=True, text=True, env=env, timeout=1800)


def log_tail(done):
    # cargo's compile log is long: the cause of a failure is at its end.
    return "\n".join((done.stdout + done.stderr).splitlines()[-60:])


def test_release_wheel_is_manylinux2014_and_works(tmp_path):
    tool("maturin")
    tool("auditwheel")
    out = tmp_path / "wheels"
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    env["CARGO_TARGET_DIR"] = os.path.join(REPO, "target", "wheel-build")
    env.pop("VIRTUAL_ENV", None)
    built, first_failure = build_wheel(out, env), ""
    if built.returncode != 0:
        # One CI machine failed this build once, and the cause never reached its log. A second
        # attempt with one rustc at a time tells a resource limit (memory under parallel LTO
        # jobs) from a real build error, which fails again; both logs are kept for the report.
        first_failure = log_tail(built)
        shutil.rmtree(out, ignore_errors=True)
        built = build_wheel(out, dict(env, CARGO_BUILD_JOBS="1"))
        if built.returncode == 0:
            print(f"scripts/build-wheel passed on its second attempt; the first ended:\n{first_failure}")
    assert built.returncode == 0, (f"scripts/build-wheel exited {built.returncode}:\n{log_tail(built)}"
                                   f"\n--- first attempt ---\n{first_failure}")
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]
    assert "manylinux2014_x86_64" in wheel.name or "manylinux_2_17" in wheel.name, wheel.name

    shown = subprocess.run([tool("auditwheel"), "show", str(wheel)], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert '"manylinux_2_17_x86_64"' in " ".join(shown.stdout.split()), shown.stdout

    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        native = next(n for n in names if n.startswith("swarmcheck/_native"))
        assert z.getinfo(native).file_size < 20 * 1024 * 1024, "the extension is stripped"
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert "# swarmcheck (Python package)" in metadata, "the package README is the description"

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "--quiet", "--no-index", str(wheel)], check=True)
    exe = env_dir / "bin" / "swarmcheck"
    demo = os.path.join(REPO, "fixtures", "demo-swarm")
    run = subprocess.run([str(exe), "check", demo, "--no-cache"], capture_output=True, text=True)
    assert run.returncode == 1 and "SWC201" in run.stdout, run.stdout + run.stderr
    doc = tmp_path / "doc.json"
    code = ("from swarmcheck.store import locked_json\n"
            f"with locked_json({str(doc)!r}, default=dict) as d:\n    d['n'] = 1\n")
    subprocess.run([str(env_dir / "bin" / "python"), "-c", code], check=True)
    assert json.loads(doc.read_text()) == {"n": 1}
