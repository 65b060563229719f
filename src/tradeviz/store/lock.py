"""One writer per data directory: an advisory `fcntl.flock` on `<data_dir>/.tradeviz.lock`.

Held by fetch, import, build and `raw verify --fix`; readers (charts, notebooks) never take
it. The kernel releases a flock when its process dies, so the lock of a killed process is
taken over at once; the file only carries the holder's pid and command, for the message
the second writer prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

from tradeviz.errors import TradevizError
from tradeviz.store.durable import NOFOLLOW, os_errors, remove_dead_temp_files, write_all

LOCK_NAME = ".tradeviz.lock"
P = ParamSpec("P")
R = TypeVar("R")


class DataDirLocked(TradevizError):
    """Another live tradeviz process is writing to the same data directory."""


def _holder(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            info = json.loads(fh.read(4096) or b"{}")
        if not isinstance(info, dict):
            raise ValueError
    except (OSError, ValueError):
        return "pid ?, command unknown"
    return f"pid {info.get('pid', '?')}, command {info.get('command', 'unknown')!r}"


@contextlib.contextmanager
def lock(data_dir: Path, command: str | None = None) -> Iterator[Path]:
    """Hold the data dir's writer lock for the block, or fail at once naming the holder.

    Under the lock, temporary files left by dead writers are removed (never those of a
    live process)."""
    data_dir = Path(data_dir)
    path = data_dir / LOCK_NAME
    with os_errors(data_dir, "lock"):
        data_dir.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted here must not have its target truncated below
        fd = os.open(path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirLocked(
                f"another tradeviz process ({_holder(path)}) holds the data dir {data_dir}; "
                "wait for it to finish (or stop it) and rerun"
            ) from None
        cmd = command or " ".join(["tradeviz", *sys.argv[1:]])
        info = json.dumps({"pid": os.getpid(), "command": cmd}).encode()
        with os_errors(path):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            write_all(fd, info, path)
        remove_dead_temp_files(data_dir / "raw")
        remove_dead_temp_files(data_dir / "processed")
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def writes_data_dir(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for CLI commands that write the data dir: the body runs under `lock`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from tradeviz import config

        with lock(config.data_dir()):
            return func(*args, **kwargs)

    return wrapper
