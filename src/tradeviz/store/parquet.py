"""Parquet files written atomically, with tradeviz provenance in the file metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tradeviz.store.durable import atomic_target, atomic_write_bytes

META_KEY = b"tradeviz"


def write_parquet(df: pd.DataFrame, path: Path, meta: dict) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    merged = {**(table.schema.metadata or {}), META_KEY: json.dumps(meta, sort_keys=True).encode()}
    table = table.replace_schema_metadata(merged)
    with atomic_target(path, ".parquet") as tmp:
        pq.write_table(table, tmp, compression="zstd")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    del table
    pa.default_memory_pool().release_unused()  # the copy made for writing


def read_meta(path: Path) -> dict:
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(META_KEY, b"{}"))


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
