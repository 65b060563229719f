"""The China–Central Asia tables as hive partitions beside their single files (issue 19):
flows/source=<s>/year=<y>/, mirror/year=<y>/, focus/year=<y>/, each part-0.parquet with
the table's schema (less the partition columns, which are in the path) and provenance,
and the snapshots (sha256) its rows came from.

These tables are small and computed whole (the mirror and focus steps need every row of a
year). Each partition's rows are taken from the build's compact frame, decoded and written
in Arrow on a writer thread (no GIL), so they add little to the build. A partition
whose bytes equal the previous generation's file is replaced by a hard link to that file:
unchanged partitions keep their inode, and the result is exact whatever changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tradeviz.schema import Field, empty_frame
from tradeviz.store.durable import fsync_dir, os_errors, tmp_name
from tradeviz.store.parquet import META_KEY
from tradeviz.store.processed import PARTITIONS, partition_file


def inputs_by_partition(
    df: pd.DataFrame, name: str, year_inputs: dict[int, list[str]] | None = None
) -> dict[tuple, list[str]]:
    """Partition values -> the snapshots (sha256) its rows came from; for a table without
    a snapshot column (the mirror), those of its year's flow rows (`year_inputs`)."""
    by = list(PARTITIONS[name])
    if df.empty:
        return {}
    if "snapshot" in df:
        pairs = df[[*by, "snapshot"]].drop_duplicates()
        return {
            _key(k): sorted(set(g["snapshot"].dropna().astype(str)))
            for k, g in pairs.groupby(by, observed=True, sort=True)
        }
    keys = df[by].drop_duplicates()
    return {
        _key(k): list((year_inputs or {}).get(int(k[-1]), []))
        for k in keys.itertuples(index=False, name=None)
    }


def snapshots_by_year(flows: pd.DataFrame) -> dict[int, list[str]]:
    """The snapshots (sha256) each year's flow rows came from."""
    if flows.empty:
        return {}
    pairs = flows[["year", "snapshot"]].drop_duplicates()
    return {
        int(y): sorted(set(g["snapshot"].dropna().astype(str)))
        for y, g in pairs.groupby("year", observed=True)
    }


def _key(values: object) -> tuple:
    values = values if isinstance(values, tuple) else (values,)
    return tuple(v.item() if hasattr(v, "item") else v for v in values)


def groups(df: pd.DataFrame, name: str) -> dict[tuple, np.ndarray]:
    """Partition values -> positions of its rows in `df` (in table order)."""
    if df.empty:
        return {}
    found = df.groupby(list(PARTITIONS[name]), observed=True, sort=True).indices
    return {_key(k): np.asarray(v) for k, v in found.items()}


def cut(
    df: pd.DataFrame,
    where: dict[tuple, np.ndarray],
    name: str,
    fields: tuple[Field, ...],
    inputs: dict[tuple, list[str]],
    meta: dict,
    out: Path,
    previous: Path | None,
) -> dict[str, dict]:
    """Write table `name`'s partitions (rows of compact frame `df` at `where`) under `out`,
    linking those whose bytes equal `previous`'s; returns their index entries. Runs on a
    writer thread: Arrow takes, decodes and encodes without the GIL."""
    by = PARTITIONS[name]
    rest = tuple(f for f in fields if f.name not in by)
    base = pa.Schema.from_pandas(empty_frame(rest), preserve_index=False)
    table = pa.Table.from_pandas(df.drop(columns=list(by)), preserve_index=False)
    index = {}
    for key, at in where.items():
        rel = partition_file(name, tuple(zip(by, key, strict=True)))
        info = {**meta, "partition": dict(zip(by, key, strict=True)), "inputs": inputs.get(key, [])}
        schema = base.with_metadata(
            {**base.metadata, META_KEY: json.dumps(info, sort_keys=True).encode()}
        )
        part = _rows(table, at).cast(schema)
        path = out / rel
        with os_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = tmp_name(path.parent, ".parquet")
            try:
                pq.write_table(part, tmp, compression="zstd", row_group_size=ROWS)
                _settle(tmp, path, None if previous is None else previous / rel)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        index[rel] = {"inputs": inputs.get(key, []), "rows": part.num_rows}
        del part
    return index


ROWS = 65_536  # rows per row group of a partition file


def _rows(table: pa.Table, at: np.ndarray) -> pa.Table:
    """table's rows at ascending positions `at`: zero-copy slices of each run of
    consecutive rows (tables are sorted by a key that starts near the partition columns,
    so a partition is a few runs), a take only when runs are many."""
    if not len(at):
        return table.slice(0, 0)
    breaks = np.flatnonzero(np.diff(at) != 1) + 1
    if len(breaks) > 64:
        return table.take(pa.array(at))
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(at)]))
    return pa.concat_tables(
        [table.slice(int(at[a]), int(b - a)) for a, b in zip(starts, ends, strict=True)]
    )


def _settle(tmp: Path, path: Path, old: Path | None) -> None:
    """The written partition in place: a hard link to the previous generation's file when
    the bytes are the same (unchanged partitions keep their inode), else the new file."""
    with os_errors(path):
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if old is not None and old.is_file() and _same_bytes(tmp, old):
            try:
                os.link(old, path)
                tmp.unlink()
                return
            except OSError:  # no hard links here: keep the new file
                pass
        os.replace(tmp, path)
        fsync_dir(path.parent)


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True
