"""A cross-process locked JSON store: the fix for swarmcheck's SWC201-SWC204 findings.

Every update takes an OS file lock on ``<path>.lock``, reads the document, lets you change it,
and commits it atomically (unique temp file, fsync, rename, directory fsync) before releasing the
lock. Readers never see a half-written file. The implementation is swarmcheck's Rust store; the
GIL is released while waiting for the lock and during file I/O.

>>> from swarmcheck.store import locked_json
>>> with locked_json("registry.json", default=dict, timeout=10) as doc:  # doctest: +SKIP
...     doc.setdefault("agents", {})["agent-7"] = {"status": "active"}
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Literal, Optional, TypeVar, Union

from . import _native
from ._native import CorruptDocument, LockTimeout, StoreError

__all__ = [
    "JsonStore",
    "locked_json",
    "StoreError",
    "LockTimeout",
    "CorruptDocument",
    "Durability",
    "OnCorrupt",
]

R = TypeVar("R")

#: How much a commit waits for the disk: fsync of the file and its directory, of the file only,
#: or none.
Durability = Literal["full", "file", "none"]
#: What to do with a document that is not JSON: raise, continue from ``<path>.bak``, or start
#: from the default.
OnCorrupt = Literal["error", "backup", "default"]


def _dumps(doc: Any) -> str:
    # Exact numbers (Python's int and float repr round-trip), the characters as they are, and
    # no NaN or Infinity, which are not JSON: ValueError before anything is written.
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)
PathLike = Union[str, "os.PathLike[str]"]


class JsonStore:
    """A JSON document on disk, shared safely by threads and processes.

    Args:
        path: The document. Its lock is ``<path>.lock`` (never deleted). Or a PostgreSQL
            address, ``postgresql://[user[:password]@]host[:port]/database?document=NAME``:
            the document is then a row, locked with ``SELECT ... FOR UPDATE``, for swarms that
            span hosts.
        default: Called to build the document when the file does not exist (default ``dict``).
        durability: ``"full"`` (fsync the file and its directory, default), ``"file"`` or
            ``"none"``.
        timeout: Seconds to wait for the lock; ``None`` waits as long as it takes.
        on_corrupt: ``"error"`` (raise :class:`CorruptDocument`, default), ``"backup"`` (continue
            from ``<path>.bak``) or ``"default"``. The bad bytes are always kept first as
            ``<path>.corrupt-<timestamp>``.
        metrics: A JSON Lines file that receives one event per operation (default: the
            ``SWARMCHECK_METRICS`` environment variable, else none).
        keep_backup: Keep the previous generation as ``<path>.bak``.
        allow_network_fs: Accept a document on a network filesystem (NFS, SMB, ...), where a
            file lock does not exclude other hosts. Refused by default: use a PostgreSQL
            address for a swarm that spans hosts.
    """

    def __init__(
        self,
        path: PathLike,
        default: Callable[[], Any] = dict,
        durability: Durability = "full",
        timeout: Optional[float] = None,
        on_corrupt: OnCorrupt = "error",
        metrics: Optional[PathLike] = None,
        keep_backup: bool = False,
        allow_network_fs: bool = False,
    ) -> None:
        self._default = default
        self._native = _native.NativeStore(
            os.fspath(path),
            durability=durability,
            timeout=timeout,
            on_corrupt=on_corrupt,
            metrics=os.fspath(metrics) if metrics is not None else None,
            keep_backup=keep_backup,
            allow_network_fs=allow_network_fs,
        )

    @property
    def path(self) -> str:
        return str(self._native.path)

    def _decode(self, text: Optional[str]) -> Any:
        return self._default() if text is None else json.loads(text)

    def read(self) -> Any:
        """The last committed document, without taking the lock (commits are atomic)."""
        return self._decode(self._native.read())

    def update(self, fn: Callable[[Any], R]) -> R:
        """Locks, reads, calls ``fn(doc)`` (change ``doc`` in place), commits, unlocks.

        Returns what ``fn`` returns. If ``fn`` raises, nothing is written and the exception
        propagates.
        """
        txn = self._native.begin()
        try:
            doc = self._decode(txn.document())
            result = fn(doc)
            text = _dumps(doc)
        except BaseException:
            txn.abort()
            raise
        txn.commit(text)
        return result

    def transaction(self) -> "locked_json":
        """A ``with`` block over this store: see :class:`locked_json`."""
        return locked_json(self)


class locked_json:
    """``with locked_json(path, default=dict, timeout=10) as doc:`` holds the lock for the block.

    The document is committed atomically when the block exits cleanly; if the block raises,
    nothing is written. Accepts the same keyword arguments as :class:`JsonStore`, or a
    :class:`JsonStore` in place of the path.
    """

    def __init__(
        self,
        path: Union[PathLike, JsonStore],
        *,
        default: Callable[[], Any] = dict,
        durability: Durability = "full",
        timeout: Optional[float] = None,
        on_corrupt: OnCorrupt = "error",
        metrics: Optional[PathLike] = None,
        keep_backup: bool = False,
        allow_network_fs: bool = False,
    ) -> None:
        if isinstance(path, JsonStore):
            self._store = path
        else:
            self._store = JsonStore(
                path,
                default=default,
                durability=durability,
                timeout=timeout,
                on_corrupt=on_corrupt,
                metrics=metrics,
                keep_backup=keep_backup,
                allow_network_fs=allow_network_fs,
            )
        self._txn: Any = None
        self._doc: Any = None

    def __enter__(self) -> Any:
        self._txn = self._store._native.begin()
        try:
            self._doc = self._store._decode(self._txn.document())
        except BaseException:
            self._txn.abort()
            raise
        return self._doc

    # Returns None, never swallowing the block's exception: so type checkers know that code
    # after a `with` whose body returns is unreachable, not a missing return.
    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        txn, self._txn = self._txn, None
        if exc_type is not None:
            txn.abort()
            return
        try:
            text = _dumps(self._doc)
        except BaseException:
            txn.abort()
            raise
        txn.commit(text)
