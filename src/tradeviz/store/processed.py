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
    StorageError,
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
# The slice's tables and their partition columns (the world layer's are level and year)
PARTITIONS = {"flows": ("source", "year"), "mirror": ("year",), "focus": ("year",)}


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


def partition_meta(meta: dict) -> dict:
    """A build's provenance less what describes the whole raw layer (its manifest's sha256,
    its fetch dates): a partition names its own inputs instead, so one rebuilt from the
    same inputs is the same file, byte for byte, as the one it replaces."""
    return {k: v for k, v in meta.items() if k not in ("raw_manifest_sha256", "fetched_at")}


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
        _refuse_foreign_link(self.data_dir / LINK)  # before any work, not after the build
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
        _refuse_foreign_link(link)
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


def _refuse_foreign_link(link: Path) -> None:
    """`processed` must be our symlink, a directory of tables (a store from before
    generations: empty or holding flows.parquet) or absent: anything else (a regular file,
    a folder of the user's) is never replaced, as the switch would replace it."""
    if link.is_symlink() or not link.exists():
        return
    if link.is_dir():
        with os_errors(link, "read"):
            if (link / "flows.parquet").is_file() or not any(link.iterdir()):
                return
        what = "a directory that holds no tradeviz tables"
    else:
        what = "a file"
    raise StorageError(
        f"cannot build: {link} is {what}, not tradeviz's processed/ link; move it away "
        "(nothing was changed) and rerun"
    )


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


class TableError(StorageError):
    """A processed table cannot be used as it is (truncated, not Parquet, a column of the
    wrong type): readers say so in one line instead of failing deep inside pandas."""


def check_tables(
    directory: Path, names: tuple[str, ...] | list[str], columns: tuple[str, ...] = ()
) -> None:
    """Each table's Parquet footers read (every partition file of a partitioned table)
    and every schema column (or only `columns`, those a reader uses) has its kind (number,
    boolean, text); only footers are read. Raises TableError naming the file and the fix."""
    from tradeviz.store.tables import table_files

    for name in names:
        for path in table_files(Path(directory), name):
            _check_file(path, name, columns)


def _check_file(path: Path, name: str, columns: tuple[str, ...]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tradeviz.schema import TABLES

    fix = "rebuild it with `tradeviz build` (or restore the file)"
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise TableError(f"table {path} cannot be read ({why}): {fix}") from None
    in_path = PARTITIONS.get(name, ()) if path.name == PART_FILE else ()
    for field in TABLES[name][0] if name in TABLES else ():
        if (columns and field.name not in columns) or field.name in in_path:
            continue
        index = schema.get_field_index(field.name)
        if index < 0:
            raise TableError(f"table {path} lacks column {field.name!r}: {fix}")
        got, wanted = _kind(schema.field(index).type), _DTYPE_KIND[_dtype_kind(field.dtype)]
        if got not in (wanted, "null"):
            raise TableError(
                f"table {path} column {field.name!r} holds {schema.field(index).type} "
                f"values, not {wanted} ({field.dtype}): {fix}"
            )


_DTYPE_KIND = {"b": "boolean", "i": "number", "u": "number", "f": "number", "O": "text"}


def _dtype_kind(dtype: str) -> str:
    import pandas as pd

    kind = pd.api.types.pandas_dtype(dtype).kind
    return kind if kind in _DTYPE_KIND else "O"


def _kind(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_null(arrow_type):  # an all-null column (of an empty table): any kind
        return "null"
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    return str(arrow_type)
