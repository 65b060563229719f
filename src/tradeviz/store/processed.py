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

Inside a generation, the same tables are also a hive-partitioned dataset (issue 19), read
unchanged by pyarrow.dataset, DuckDB, pandas and Spark:
  flows/source=<s>/year=<y>/part-0.parquet   mirror/year=<y>/…   focus/year=<y>/…
  world/level=<2|4|6>/year=<y>/part-0.parquet   (every reporter with the World, by product)
  _partitions.json   each partition file: the snapshots (sha256) it was built from, its
                     rows, and the digest a later build compares to reuse it
A partition whose inputs did not change is hard-linked from the previous generation into
the new one (same inode, never a copy), so an incremental build writes only what changed.
Partition columns live in the directory names only (Spark refuses a column that is in
both); files starting with `_` or `.` are skipped by every reader.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

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
PARTITION_INDEX = "_partitions.json"
PART_FILE = "part-0.parquet"


def current_dir(data_dir: Path) -> Path:
    """The directory of the current build (resolved once, so later switches don't matter)."""
    return (Path(data_dir) / LINK).resolve()


def table_path(data_dir: Path, name: str) -> Path:
    """Where readers find table `name` (e.g. "flows") of the current build."""
    return current_dir(data_dir) / f"{name}.parquet"


def partition_file(table: str, keys: Sequence[tuple[str, object]]) -> str:
    """Relative path of a partition's file, e.g. world/level=6/year=2021/part-0.parquet."""
    parts = [table, *(f"{k}={v}" for k, v in keys), PART_FILE]
    return str(PurePosixPath(*parts))


def read_index(generation: Path | None) -> dict[str, dict]:
    """The partition index of a generation (empty when it has none or cannot be read: a
    build then simply rebuilds every partition)."""
    if generation is None:
        return {}
    try:
        doc = json.loads((generation / PARTITION_INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return doc.get("partitions", {}) if isinstance(doc, dict) else {}


def reuse_partition(previous: Path | None, new: Path, rel: str, entry: dict, old: dict) -> bool:
    """Hard-link partition `rel` from the previous generation when its index entry equals
    `entry` (same inputs, digest and recipe) and the file is there; False: build it."""
    if previous is None or old.get(rel) != entry:
        return False
    source, target = previous / rel, new / rel
    if not source.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links: build the partition instead
        return False
    return True


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
            for folder, _dirs, _files in os.walk(self.path):  # partition directories
                _fsync_file(Path(folder))
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

    def previous(self) -> Path | None:
        """The generation `processed` points at now (what an incremental build reuses)."""
        link = self.data_dir / LINK
        return link.resolve() if link.is_dir() else None

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
