"""What a user's type checker and a copy-paste from the READMEs meet.

mypy --strict runs over a user-style script: a function that returns from inside the ``with``
block type-checks (``__exit__`` does not swallow exceptions), and a misspelt option is a type
error. Every Python example in both READMEs runs as written in a fresh directory.
"""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

USER_SCRIPT = textwrap.dedent(
    '''
    from swarmcheck.store import JsonStore, LockTimeout, locked_json


    def claim(path: str, agent: str) -> int:
        with locked_json(path, default=dict, timeout=5.0, durability="file") as doc:
            doc.setdefault("claims", []).append(agent)
            return len(doc["claims"])


    def pending(path: str) -> int:
        store = JsonStore(path, default=list, on_corrupt="backup")
        try:
            return store.update(lambda q: len(q))
        except LockTimeout:
            return -1
    '''
)

TYPO = textwrap.dedent(
    '''
    from swarmcheck.store import locked_json

    with locked_json("x.json", durability="fsync") as doc:
        doc["a"] = 1
    '''
)


def require_mypy():
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.fail("mypy is needed for the typing tests: pip install mypy (scripts/test does)")


def mypy(tmp_path, source):
    script = tmp_path / "user.py"
    script.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_mypy_strict_accepts_a_return_inside_the_with_block(tmp_path):
    require_mypy()
    out = mypy(tmp_path, USER_SCRIPT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_rejects_a_misspelt_option(tmp_path):
    require_mypy()
    out = mypy(tmp_path, TYPO)
    assert out.returncode == 1, out.stdout
    assert "durability" in out.stdout and "fsync" in out.stdout, out.stdout


def test_pyright_when_available(tmp_path):
    pyright = shutil.which("pyright")
    if pyright is None:
        pytest.skip("pyright is not installed")
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    out = subprocess.run([pyright, "user.py"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout


def python_examples(readme):
    text = open(os.path.join(REPO, readme), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("readme", ["README.md", "python/README.md"])
def test_readme_examples_run_as_written(readme, tmp_path):
    examples = python_examples(readme)
    assert examples, f"{readme} has no Python example"
    for i, code in enumerate(examples):
        workdir = tmp_path / f"example{i}"
        workdir.mkdir()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir
        )
        assert out.returncode == 0, f"{readme} example {i} fails:\n{code}\n{out.stderr}"
