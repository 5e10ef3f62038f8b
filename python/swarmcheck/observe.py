"""The agent cycle log that ``swarmcheck slo`` reads for its ``cycle-time`` and ``task-success``
objectives: one JSON line per finished work cycle of an agent.

A line is ``{"v": 1, "ts": "2026-11-20T12:00:00.000Z", "agent": "Agent-3", "duration_ms": 850.5,
"ok": true, "pid": 4242}``, with ``task`` when one is given. ``ts`` is when the cycle ended (UTC).
Each line is appended with a single ``write`` to a file opened with ``O_APPEND``, so agents in
many processes can share one log without interleaving their lines.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator, Optional, Union

__all__ = ["record_cycle", "cycle"]

PathLike = Union[str, "os.PathLike[str]"]


def _stamp(epoch_s: float) -> str:
    t = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def record_cycle(
    path: PathLike,
    agent: str,
    duration_s: float,
    ok: bool = True,
    task: Optional[str] = None,
    *,
    ended_at: Optional[float] = None,
) -> None:
    """Appends one finished cycle of ``agent`` to the cycle log at ``path``.

    ``duration_s`` is how long the cycle took, in seconds; ``ok`` whether its task succeeded;
    ``ended_at`` the Unix time it ended (default: now). The file is created if it is missing.
    Raises ``ValueError`` for a negative or non-finite duration and ``OSError`` when the file
    cannot be written.
    """
    duration = float(duration_s)
    if not math.isfinite(duration) or duration < 0:
        raise ValueError(f"duration_s must be a finite number of seconds >= 0, got {duration_s!r}")
    line = {
        "v": 1,
        "ts": _stamp(time.time() if ended_at is None else float(ended_at)),
        "agent": str(agent),
        "duration_ms": round(duration * 1000.0, 3),
        "ok": bool(ok),
        "pid": os.getpid(),
    }
    if task is not None:
        line["task"] = str(task)
    data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        # One write per line: O_APPEND places it at the end as a whole, so concurrent
        # writers never split each other's lines.
        os.write(fd, data)
    finally:
        os.close(fd)


@contextmanager
def cycle(path: PathLike, agent: str, task: Optional[str] = None) -> Iterator[None]:
    """Times the ``with`` block as one cycle of ``agent`` and records it when the block ends:
    ``ok`` when it returns normally, not ``ok`` when it raises (the exception propagates)."""
    start = time.monotonic()
    ok = False
    try:
        yield
        ok = True
    finally:
        record_cycle(path, agent, time.monotonic() - start, ok=ok, task=task)
