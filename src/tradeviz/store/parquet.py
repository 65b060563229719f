"""Parquet files written atomically, with tradeviz provenance in the file metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from tradeviz.store.durable import atomic_target, atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd

META_KEY = b"tradeviz"


def write_parquet(
    df: pd.DataFrame, path: Path, meta: dict, as_frame: pd.DataFrame | None = None
) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    `as_frame`: a frame (e.g. empty) whose column types the file gets instead of df's: a
    compact frame's categoricals are written as that frame's text columns, decoded one row
    group at a time, so the file is the one the decoded frame would give."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    schema = table.schema if as_frame is None else pa.Schema.from_pandas(as_frame, False)
    meta_bytes = json.dumps(meta, sort_keys=True).encode()
    schema = schema.with_metadata({**(schema.metadata or {}), META_KEY: meta_bytes})
    rows = ROW_GROUP if as_frame is not None else max(table.num_rows, 1)
    with atomic_target(path, ".parquet") as tmp:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for start in range(0, max(table.num_rows, 1), rows):
                writer.write_table(table.slice(start, rows).cast(schema))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    del table
    pa.default_memory_pool().release_unused()  # the copy made for writing


ROW_GROUP = 8192  # rows decoded and written at a time when writing a compact frame (the
# writer holds a row group's pages: 32,768 rows of flows cost ~30 MiB more at the peak)


def write_table(table: pa.Table, path: Path, meta: dict, row_group: int = 131_072) -> None:
    """An Arrow table written atomically with `meta` as the tradeviz metadata (partition
    files of the world layer). Row groups of `row_group` rows, so readers that filter on
    the sort key (reporter) skip most of a file by its statistics."""
    meta_bytes = json.dumps(meta, sort_keys=True).encode()
    schema = table.schema.with_metadata({**(table.schema.metadata or {}), META_KEY: meta_bytes})
    with atomic_target(path, ".parquet") as tmp:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            writer.write_table(table.cast(schema), row_group_size=row_group)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_meta(path: Path) -> dict:
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(META_KEY, b"{}"))


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
