"""Build generations: each build writes every table into a new directory, then `processed/`
is switched to it with one atomic rename.

Layout under the data dir:
  .processed/<build id>/   one directory per finished build (the current and the previous)
  .processed/.tmp-<pid>-…  a build in progress (removed when its process is gone)
  processed -> .processed/<build id>   a symlink, replaced atomically (os.replace)

Readers keep finding tables at `processed/<table>.parquet`; a failed build never touches
`processed/`, so the previous generation stays whole. A reader that opens several tables
should resolve the generation once (`current_dir`) so a switch between two reads cannot
mix two builds.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from tradeviz.store.durable import (
    TMP_PREFIX,
    fsync_dir,
    os_errors,
    pid_alive,
    tmp_name,
    tmp_owner,
)

GENERATIONS = ".processed"
LINK = "processed"


def current_dir(data_dir: Path) -> Path:
    """The directory of the current build (resolved once, so later switches don't matter)."""
    return (Path(data_dir) / LINK).resolve()


def table_path(data_dir: Path, name: str) -> Path:
    """Where readers find table `name` (e.g. "flows") of the current build."""
    return current_dir(data_dir) / f"{name}.parquet"


class Generation:
    """A build's output directory: write into `.path`, then `publish()` (or nothing: a
    build that fails leaves the previous generation as it was)."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / GENERATIONS
        with os_errors(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.root)
            self.path = tmp_name(self.root)
            self.path.mkdir()

    def publish(self) -> Path:
        """Rename the finished directory to its build id and point `processed` at it."""
        now = time.time_ns()
        build_id = (
            time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
            + f".{now % 10**9:09d}-{os.getpid()}"
        )
        final = self.root / build_id
        link = self.data_dir / LINK
        previous = Path(os.readlink(link)).name if link.is_symlink() else None
        with os_errors(link):
            for name in os.listdir(self.path):
                _fsync_file(self.path / name)
            os.rename(self.path, final)
            if link.is_dir() and not link.is_symlink():  # a store from before generations
                previous = f"legacy-{build_id}"
                os.rename(link, self.root / previous)
            tmp_link = tmp_name(self.data_dir, "-link")
            os.symlink(Path(GENERATIONS) / build_id, tmp_link)
            os.replace(tmp_link, link)
            fsync_dir(self.data_dir)
        self.path = final
        _prune(self.root, keep={build_id, previous})
        return final

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_abandoned(root: Path) -> None:
    """Half-written generations of processes that are gone, and this process's own earlier
    ones (a build that failed in a notebook or a test run); never another live build's."""
    for entry in root.iterdir():
        if entry.name.startswith(TMP_PREFIX):
            pid = tmp_owner(entry.name)
            if pid is None or pid == os.getpid() or not pid_alive(pid):
                shutil.rmtree(entry, ignore_errors=True)


def _prune(root: Path, keep: set[str | None]) -> None:
    """Remove finished generations other than the current and the previous one."""
    for entry in root.iterdir():
        if not entry.name.startswith(TMP_PREFIX) and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
