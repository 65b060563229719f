"""The China–Central Asia tables as hive partitions beside their single files (issue 19):
flows/source=<s>/year=<y>/, mirror/year=<y>/, focus/year=<y>/, each part-0.parquet with
the table's schema (less the partition columns, which are in the path) and provenance.

These tables are small and computed whole (the mirror and focus steps need every row of a
year); what is incremental is the writing: a partition whose rows are exactly those of the
previous generation's (same digest of every value) is hard-linked from it, not written.
Each partition records the snapshots (sha256) its rows came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tradeviz.schema import Field, empty_frame
from tradeviz.store.processed import partition_file, reuse_partition

PARTITIONS = {"flows": ("source", "year"), "mirror": ("year",), "focus": ("year",)}
RECIPE = "slice-1"


def partition_meta(meta: dict) -> dict:
    """A build's provenance less what describes the whole raw layer (its manifest's sha256,
    its fetch dates): a partition names its own inputs instead, so one rebuilt from the
    same inputs is the same file, byte for byte, as the one it replaces."""
    return {k: v for k, v in meta.items() if k not in ("raw_manifest_sha256", "fetched_at")}


def digest(part: pd.DataFrame) -> str:
    """sha256 of a frame's values, column names and dtypes (row order included)."""
    h = hashlib.sha256(repr([(c, str(t)) for c, t in part.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    return h.hexdigest()


def write_partitions(
    df: pd.DataFrame,
    name: str,
    fields: tuple[Field, ...],
    out: Path,
    previous: Path | None,
    old_index: dict[str, dict],
    submit: Callable[[pd.DataFrame, Path, dict, pd.DataFrame], object],
    year_inputs: dict[int, list[str]] | None = None,
) -> dict[str, dict]:
    """Each partition of compact frame `df` (table `name`) linked from `previous` when
    unchanged, else handed to `submit(part, path, extra_meta, as_frame)` to write. Returns
    the index entries. `year_inputs`: the snapshots of each year, for a table without a
    snapshot column (the mirror)."""
    by = PARTITIONS[name]
    rest = tuple(f for f in fields if f.name not in by)
    as_frame = empty_frame(rest)
    index: dict[str, dict] = {}
    if df.empty:
        return index
    groups = df.groupby(list(by), observed=True, sort=True).indices
    for key, at in groups.items():
        values = key if isinstance(key, tuple) else (key,)
        keys = tuple(zip(by, (_plain(v) for v in values), strict=True))
        part = df.iloc[at].drop(columns=list(by)).reset_index(drop=True)
        rel = partition_file(name, keys)
        if "snapshot" in part:
            inputs = sorted(set(part["snapshot"].dropna().astype(str)))
        else:
            inputs = list((year_inputs or {}).get(int(dict(keys)["year"]), []))
        entry = {"inputs": inputs, "digest": digest(part), "recipe": RECIPE, "rows": len(part)}
        index[rel] = entry
        if not reuse_partition(previous, out, rel, entry, old_index):
            meta = {"partition": dict(keys), "inputs": inputs}
            submit(part, out / rel, meta, as_frame)
    return index


def snapshots_by_year(flows: pd.DataFrame) -> dict[int, list[str]]:
    """The snapshots (sha256) each year's flow rows came from."""
    if flows.empty:
        return {}
    pairs = flows[["year", "snapshot"]].drop_duplicates()
    return {
        int(y): sorted(set(g["snapshot"].dropna().astype(str)))
        for y, g in pairs.groupby("year", observed=True)
    }


def _plain(value: object) -> object:
    """A partition value as it appears in the path: ints as ints, text as text."""
    if hasattr(value, "item"):
        value = value.item()
    return value
