"""Parsed parts to the flows table: joined, sorted by key, duplicates of a key resolved
to the newest snapshot, decoded to pandas in schema dtypes, each product described."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tradeviz.schema import FLOWS_FIELDS, FLOWS_KEY, conform, empty_frame
from tradeviz.transform.build_report import BuildReport
from tradeviz.transform.describe import describe


def flows_table(parts: list[pa.Table], report: BuildReport) -> pd.DataFrame:
    """The flows table of the parts (in snapshot order, oldest first; consumed)."""
    if not parts:
        return empty_frame(FLOWS_FIELDS)
    # Parts are in snapshot order (oldest first): sorted by key, then by that order, the
    # last row of each key is the newest snapshot's.
    table = pa.concat_tables(parts, promote_options="permissive")
    parts.clear()
    ranks = [_ranks(table.column(k)) for k in reversed(FLOWS_KEY)]  # lexsort: last key first
    order = np.lexsort(ranks)
    order = order[_last_of_each_key([r[order] for r in ranks])]
    report.duplicates_dropped = table.num_rows - len(order)
    joined = table.take(pa.array(order))
    del table, ranks, order
    holder = [joined]
    del joined
    frame = _decoded_frame(holder)
    flows = conform(frame, FLOWS_FIELDS)
    if "cmd_desc" in frame.columns:  # not a flows column: describe() uses it, then drops it
        flows["cmd_desc"] = frame["cmd_desc"]
    del frame
    report.rows_by_source = {k: int(v) for k, v in flows["source"].value_counts().items()}
    report.synthetic = bool(flows["synthetic"].any())
    # hs_description, hs6_h6, converted (package HS reference); uses and drops cmd_desc,
    # so the table returned has the flows columns only
    return describe(flows)


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary column as its values; strings as large_string, pandas' own layout for
    its str dtype (to_pandas then wraps the buffers instead of converting them)."""
    if not pa.types.is_dictionary(column.type):
        return column
    kind = column.type.value_type
    return column.cast(pa.large_string() if pa.types.is_string(kind) else kind)


def _ranks(column: pa.ChunkedArray) -> np.ndarray:
    """Integers ordered as the column's values (nulls lowest); strings via their sorted
    dictionary, so no string is compared per row."""
    if pa.types.is_dictionary(column.type) or pa.types.is_string(column.type):
        encoded = _decoded(column).combine_chunks().dictionary_encode()
        order = pc.sort_indices(encoded.dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = encoded.indices.to_numpy(zero_copy_only=False)  # float with NaN where null
        valid = ~np.isnan(codes) if codes.dtype.kind == "f" else None
        out = np.full(len(codes), -1, dtype=np.int64)
        if valid is None:
            return rank[codes]
        out[valid] = rank[codes[valid].astype(np.int64)]
        return out
    values = column.combine_chunks()
    filled = pc.fill_null(values, pc.min(values).as_py() or 0).to_numpy(zero_copy_only=False)
    out = filled.astype(np.int64) * 2 + 1
    out[values.is_null().to_numpy(zero_copy_only=False)] = np.iinfo(np.int64).min
    return out


def _last_of_each_key(sorted_ranks: list[np.ndarray]) -> np.ndarray:
    """True on the last row of each run of equal keys, given each key column's ranks in
    sorted row order (equal values have equal ranks, nulls one rank of their own: nulls
    equal each other, as in pandas' duplicated)."""
    n = len(sorted_ranks[0]) if sorted_ranks else 0
    same = np.ones(max(n - 1, 0), dtype=bool)
    for r in sorted_ranks:
        same &= r[1:] == r[:-1]
    return np.append(~same, True) if n else np.ones(0, dtype=bool)


def _decoded_frame(holder: list[pa.Table]) -> pd.DataFrame:
    """The table (taken out of `holder`, so no caller keeps it) as pandas, each compact
    column decoded and released in turn (the API's texts stay a categorical until
    describe())."""
    table = holder.pop()
    names, columns = table.column_names, list(table.columns)
    del table
    for i, column in enumerate(columns):
        if names[i] != "cmd_desc":
            columns[i] = _decoded(column)
        del column
    frame = pa.table(columns, names=names).to_pandas()
    del columns
    pa.default_memory_pool().release_unused()
    return frame
