"""`tradeviz build`: the raw layer to processed/'s hive-partitioned tables: flows
(flows/source=<s>/year=<y>/), mirror and focus (by year), the world layer
(world/level=<L>/year=<y>/), and focus_coverage.parquet.

Reads only raw/ (manifest and snapshots), so it can be rerun alone; the same raw layer
always yields the same tables (rows sorted by key, no timestamps in the files).

The steps live in modules named for them: `snapshots` (read and parse, pandas-free),
`assemble` (the flows table), `checks`, `mirror`, `focus`, `partitions` (the tables as
hive partitions) and `world` (the world layer, built partition by partition). This module
imports none of the pandas side at import time: the snapshots start parsing on a thread
first, and pandas, the schema and the HS reference load while they do.

Incremental (issue 19): a partition whose inputs are those of the current generation's is
hard-linked from it; `full=True` (`tradeviz build --full`) builds every partition afresh.
Either way the tables are the same.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from tradeviz import __version__
from tradeviz.errors import BuildError
from tradeviz.store.processed import PARTITION_INDEX, Generation, partition_meta, read_index
from tradeviz.store.raw import RawStore
from tradeviz.transform import snapshots
from tradeviz.transform.build_report import BuildReport
from tradeviz.transform.snapshots import DATA_SOURCES
from tradeviz.transform.world_inputs import is_world

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DATA_SOURCES", "BuildReport", "build", "load_flows"]


def load_flows(store: RawStore, report: BuildReport) -> pd.DataFrame:
    """Every complete snapshot parsed; duplicates of a key keep the newest snapshot; each
    row's product described (describe())."""
    from tradeviz.transform.assemble import flows_table

    wanted = [s for s in snapshots.current(store, report) if not is_world(s)]
    parts = snapshots.parse_all(store, wanted, report)
    return flows_table(parts, report)


def _fetch_dates(store: RawStore) -> list[str]:
    """First and last fetch date of the snapshots, for chart captions."""
    dates = sorted(
        str(s.record.get("fetched_at", ""))[:10]
        for s in store.snapshots()
        if s.source in DATA_SOURCES and s.record.get("fetched_at")
    )
    return [dates[0], dates[-1]] if dates else []


@contextmanager
def _system_allocator() -> Iterator[None]:
    """pyarrow's calls allocate from the system allocator while the build runs, whatever
    the process's default pool. Importing tradeviz makes that default the system allocator
    already (tradeviz/__init__.py), unless pyarrow was loaded before or
    ARROW_DEFAULT_MEMORY_POOL says otherwise; mimalloc, Arrow's usual default, keeps freed
    pages for reuse, and the build's large short-lived buffers then stay resident.
    Buffers remember their pool, so restoring the default afterwards is safe."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _release_freed_memory() -> None:
    """Hand memory freed so far back to the OS (glibc's malloc_trim). The build's
    short-lived buffers leave freed pages inside the heap that later, differently sized
    allocations do not reuse; without this the bench layer's build peaked ~40 MiB higher.
    A no-op where the C library has no malloc_trim."""
    with suppress(OSError, AttributeError):
        _libc().malloc_trim(0)


@functools.cache
def _libc():  # noqa: ANN202 (a ctypes library handle)
    """The C library, looked up once (find_library runs ldconfig)."""
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _warm_up() -> None:
    """Import the pandas side and load what describe() and validation read (pandera, the
    HS texts and HS2022 equivalents): GIL-bound work that overlaps the parse threads'
    GIL-free JSON reading."""
    import pandas as pd
    import pandera.pandas  # noqa: F401

    import tradeviz.transform.assemble  # noqa: F401
    import tradeviz.transform.focus  # noqa: F401
    import tradeviz.transform.mirror  # noqa: F401
    from tradeviz.schema import FLOWS_FIELDS, empty_frame
    from tradeviz.transform.checks import validate
    from tradeviz.vocab import hs

    hs.to_latest()
    hs.descriptions(pd.Series([], dtype="str"), pd.Series([], dtype="str"))  # its texts
    validate(empty_frame(FLOWS_FIELDS), "flows")  # pandera imports its checks on first use


class _Writer:
    """Writes the build's tables to Parquet on two background threads (pyarrow's encoder
    releases the GIL), so a table is compressed while the next is computed, and the
    mirror need not wait for the flows table's longer write. Leaving the block waits for
    every write; the first failure is raised there."""

    def __init__(self, out: Path, meta: dict):
        from concurrent.futures import ThreadPoolExecutor

        from tradeviz.store.parquet import write_parquet

        self.write = write_parquet
        self.out, self.meta = out, meta
        self.pool = ThreadPoolExecutor(2, thread_name_prefix="tradeviz-write")
        self.pending: list = []
        self.previous: Path | None = None  # the generation partitions are linked from
        self.cuts: list[Future] = []
        self.index: dict[str, dict] = {}

    def table(self, df: pd.DataFrame, name: str) -> Future:
        path, meta = self.out / f"{name}.parquet", {**self.meta, "table": name}
        done = self.pool.submit(self.write, df, path, meta)
        self.pending.append(done)
        return done

    def partitions(
        self, df: pd.DataFrame, name: str, fields: tuple, year_inputs: dict | None = None
    ) -> None:
        """The table's hive partitions, written on the threads from `df` (compact); those
        equal to the previous generation's files become links to them."""
        from tradeviz.transform.partitions import cut, groups, inputs_by_partition

        inputs = inputs_by_partition(df, name, year_inputs)
        meta = {**partition_meta(self.meta), "table": name}
        where = groups(df, name)
        self.cuts.append(
            self.pool.submit(cut, df, where, name, fields, inputs, meta, self.out, self.previous)
        )
        self.pending.append(self.cuts[-1])

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        # a failed build publishes nothing: tables not yet started are not written
        self.pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        if exc_type is None:  # else the block's own error is the one to report
            for done in self.pending:
                done.result()  # raises the first write's error
            for done in self.cuts:
                self.index.update(done.result())


def build(data_dir: Path, allow_empty_periods: bool = False, full: bool = False) -> BuildReport:
    """Build processed/ from raw/; `full`: every partition afresh, none reused."""
    with _system_allocator():
        return _build(data_dir, allow_empty_periods, full)


def _build(data_dir: Path, allow_empty_periods: bool, full: bool) -> BuildReport:
    store = RawStore(data_dir / "raw")
    if not any(True for _ in store.snapshots()) and not store.snapshot_files():
        raise BuildError(
            f"no raw data in {store.root} (manifest.jsonl missing or empty). "
            "Fix: run `tradeviz fetch comtrade` (or `tradeviz demo` offline) "
            "first"
        )
    report = BuildReport()
    wanted = snapshots.current(store, report)
    world_snaps = [s for s in wanted if is_world(s)]  # the world layer's, not flows'
    slice_snaps = [s for s in wanted if not is_world(s)]
    flows = _flows(store, slice_snaps, report) if slice_snaps else None
    if any(s.record.get("synthetic") for s in world_snaps):
        report.synthetic = True  # so every file's metadata says so, the slice's too
    meta = _meta(store, report)  # the raw layer's provenance, read and hashed once
    generation = Generation(data_dir)  # all outputs, then one atomic switch of processed/
    try:
        previous = None if full else generation.previous()
        out = generation.path
        if flows is None:  # the world plan's snapshots only: empty slice tables
            index = _empty_tables(meta, report, out)
        else:
            index = _tables(flows, store, report, allow_empty_periods, out, meta, previous)
        del flows
        _release_freed_memory()
        old = read_index(previous)
        index.update(_world(store, world_snaps, report, out, meta, previous, old))
        _finish(out, report, index, meta)
    except BaseException:
        generation.discard()
        raise
    generation.publish()
    return report


def _flows(store: RawStore, snaps: list, report: BuildReport) -> pd.DataFrame:
    """The flows table (compact) of the slice's snapshots, parsed on threads while the
    pandas side loads."""
    parsing = snapshots.start(store, snaps, report)
    try:
        _warm_up()  # while the snapshots parse
    except BaseException:
        parsing.abandon()
        raise
    from tradeviz.transform.assemble import compact_flows

    # text columns as categoricals: the build holds the flows table in a fifth of the
    # memory; its partitions are written with the schema's str columns all the same
    parts = parsing.result()
    _release_freed_memory()  # the parse's buffers, before the join
    flows = compact_flows(parts, report)  # consumes parts
    _release_freed_memory()  # the join's buffers, before the mirror and focus steps
    return flows


def _empty_tables(meta: dict, report: BuildReport, out: Path) -> dict:
    """A raw layer that holds only the world plan's snapshots: flows, mirror and focus have
    no partitions (readers see empty tables of their schemas) and focus_coverage no rows;
    the build skips the slice's reference data, checks and steps."""
    from tradeviz.schema import COVERAGE_FIELDS, arrow_schema
    from tradeviz.store.parquet import write_table

    # written with pyarrow, no pandas: a world-only build needs no frame
    empty = pa.Table.from_batches([], schema=arrow_schema(COVERAGE_FIELDS))
    write_table(empty, out / "focus_coverage.parquet", {**meta, "table": "focus_coverage"})
    report.focus = {"rows": 0}
    return {}


def _world(
    store: RawStore,
    snaps: list,
    report: BuildReport,
    out: Path,
    build_meta: dict,
    previous: Path | None,
    old_index: dict,
) -> dict:
    """The world layer's partitions (see transform/world.py); its index entries."""
    if not snaps and not any(k.startswith("world/") for k in old_index):
        return {}
    from tradeviz.transform.world import build_world

    meta = {**partition_meta(build_meta), "sources": ["comtrade"]}
    done, index = build_world(store, snaps, out, previous, old_index, meta)
    report.world = done.as_dict()
    return index


def _finish(out: Path, report: BuildReport, index: dict, meta: dict) -> None:
    """The partition index (with the build's provenance, which readers show) and the build
    report, the generation's last files: a generation without its index is no build."""
    from tradeviz.store.parquet import write_text_atomic

    doc = {
        "tool": f"tradeviz {__version__}",
        "meta": meta,
        "partitions": dict(sorted(index.items())),
    }
    write_text_atomic(out / PARTITION_INDEX, json.dumps(doc, indent=1, sort_keys=True))
    write_text_atomic(
        out / "build_report.json",
        json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str),
    )


def _tables(
    flows: pd.DataFrame,
    store: RawStore,
    report: BuildReport,
    allow_empty_periods: bool,
    out: Path,
    meta: dict,
    previous: Path | None = None,
) -> dict:
    """Write flows' partitions while it is checked, then compute the mirror and focus
    tables and write theirs into `out`, each on the writer threads while the next is
    computed. The build holds all three with categorical text columns; the files get the
    schema's str columns. Partitions equal to `previous`'s are hard links to its files;
    returns their index entries."""
    from tradeviz.schema import FLOWS_FIELDS, FOCUS_FIELDS, MIRROR_FIELDS
    from tradeviz.transform.checks import check_chapters, check_coverage, validate
    from tradeviz.transform.focus import build_focus
    from tradeviz.transform.mirror import build_mirror
    from tradeviz.transform.partitions import snapshots_by_year

    with _Writer(out, meta) as writer:
        writer.previous = previous
        # written while it is checked: a failed check discards the generation all the same
        writer.partitions(flows, "flows", FLOWS_FIELDS)
        check_coverage(flows, store, report, allow_empty_periods)  # first: the clearest error
        validate(flows, "flows", compact=True)
        check_chapters(flows, report)
        _release_freed_memory()  # what the checks worked with
        mirror = build_mirror(flows, compact=True)
        validate(mirror, "mirror", compact=True)
        writer.partitions(mirror, "mirror", MIRROR_FIELDS, snapshots_by_year(flows))
        del mirror
        _release_freed_memory()
        focus, coverage = build_focus(flows, compact=True)
        validate(focus, "focus", compact=True)
        validate(coverage, "focus_coverage")
        writer.partitions(focus, "focus", FOCUS_FIELDS)
        writer.table(coverage, "focus_coverage")
        report.focus = {"rows": int(len(focus))}
    return writer.index


def _meta(store: RawStore, report: BuildReport) -> dict:
    """Provenance written into every table's Parquet metadata."""
    meta = {
        "tool": f"tradeviz {__version__}",
        "raw_manifest_sha256": hashlib.sha256(store.manifest_path.read_bytes()).hexdigest(),
        "sources": sorted(report.rows_by_source),
        "synthetic": report.synthetic,
        "fetched_at": _fetch_dates(store),
    }
    if report.synthetic:
        meta["note"] = "contains synthetic data (demo, emulator or benchmark), not statistics"
    return meta
