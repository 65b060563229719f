"""Parsed parts to the flows table: joined, sorted by key, duplicates of a key resolved
to the newest snapshot, decoded to pandas in schema dtypes, each product described."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tradeviz.schema import FLOWS_FIELDS, FLOWS_KEY, Field, conform, empty_frame
from tradeviz.transform.build_report import BuildReport
from tradeviz.transform.describe import describe
from tradeviz.transform.runs import run_starts


def flows_table(parts: list[pa.Table], report: BuildReport) -> pd.DataFrame:
    """The flows table of the parts (in snapshot order, oldest first; consumed), text
    columns in the schema's str dtype."""
    return as_text(compact_flows(parts, report))


def compact_flows(parts: list[pa.Table], report: BuildReport) -> pd.DataFrame:
    """The flows table with every text column a pandas categorical: the same values in a
    fifth of the memory (the build works on this; `as_text` gives the schema dtypes)."""
    if not parts:  # e.g. a raw layer holding the world plan's snapshots only
        return _conform_compact(empty_frame(FLOWS_FIELDS))
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
    frame = joined.to_pandas()  # dictionary columns become categoricals
    del joined
    flows = _conform_compact(frame)
    del frame
    report.rows_by_source = {k: int(v) for k, v in flows["source"].value_counts().items() if v}
    report.synthetic = bool(flows["synthetic"].any())
    # hs_description, hs6_h6, converted (package HS reference); uses and drops cmd_desc,
    # so the table returned has the flows columns only
    return describe(flows)


def _conform_compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in schema order: text as categoricals of str (missing ones all null), the
    others in the schema's dtype; the API's cmd_desc (not a flows column) kept for
    describe()."""
    fields = FLOWS_FIELDS + ((_CMD_DESC,) if "cmd_desc" in frame else ())
    out = conform(frame, fields, compact=True)
    for f in fields:
        if f.dtype == "str":  # Arrow's dictionaries come in the order values were first seen
            out[f.name] = pd.Series(sorted_categories(out[f.name].array), index=out.index)
    return out


_CMD_DESC = Field("cmd_desc", "str", "The API's own text for the product (describe() reads it).")


def sorted_categories(cat: pd.Categorical) -> pd.Categorical:
    """`cat` with its categories as str in sorted order, so that sorting and grouping by
    the column order rows as the text would (categories from Arrow come in the order
    first seen)."""
    texts = pd.Index(cat.categories.astype("str"))
    codes = _remapped(np.asarray(cat.codes), _sort_ranks(texts))
    return pd.Categorical.from_codes(codes, categories=texts.sort_values())


def _sort_ranks(values: pa.Array | pd.Index) -> np.ndarray:
    """Each value's position in sorted order."""
    order = np.asarray(
        values.argsort() if isinstance(values, pd.Index) else pc.sort_indices(values)
    )
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _remapped(codes: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Codes into a dictionary as codes into its sorted order; -1 (missing) stays -1."""
    if not len(rank):  # every value is missing
        return np.full(len(codes), -1, dtype=np.int64)
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)


def as_text(flows: pd.DataFrame) -> pd.DataFrame:
    """The flows table in the schema's dtypes (categorical text columns decoded)."""
    return conform(flows, FLOWS_FIELDS)


def _ranks(column: pa.ChunkedArray) -> np.ndarray:
    """Integers ordered as the column's values (nulls lowest); strings via their sorted
    dictionary, so no string is compared per row."""
    if pa.types.is_dictionary(column.type) or pa.types.is_string(column.type):
        if pa.types.is_dictionary(column.type):  # one dictionary for all parts
            encoded = column.unify_dictionaries().combine_chunks()
        else:
            encoded = column.combine_chunks().dictionary_encode()
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return _remapped(codes, _sort_ranks(encoded.dictionary))
    values = column.combine_chunks()
    filled = pc.fill_null(values, pc.min(values).as_py() or 0).to_numpy(zero_copy_only=False)
    out = filled.astype(np.int64) * 2 + 1
    out[values.is_null().to_numpy(zero_copy_only=False)] = np.iinfo(np.int64).min
    return out


def _last_of_each_key(sorted_ranks: list[np.ndarray]) -> np.ndarray:
    """True on the last row of each run of equal keys, given each key column's ranks in
    sorted row order (equal values have equal ranks, nulls one rank of their own: nulls
    equal each other, as in pandas' duplicated)."""
    if not len(sorted_ranks[0]):
        return np.ones(0, dtype=bool)
    return np.append(run_starts(*sorted_ranks)[1:], True)  # the row before the next start
