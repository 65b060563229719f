"""`tradeviz build`: the raw layer to processed/flows.parquet, mirror.parquet, focus.parquet.

Reads only raw/ (manifest and snapshots), so it can be rerun alone; the same raw layer
always yields the same tables (rows sorted by key, no timestamps in the files).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tradeviz import __version__
from tradeviz.errors import BuildError
from tradeviz.schema import FLOW_CELL, FLOWS_FIELDS, FLOWS_KEY, conform, empty_frame, pandera_schema
from tradeviz.store.parquet import write_parquet, write_text_atomic
from tradeviz.store.processed import Generation
from tradeviz.store.raw import RawStore, Snapshot, sha256_hex
from tradeviz.transform import wits
from tradeviz.transform.comtrade import ParseReport, compact, parse_comtrade
from tradeviz.transform.comtrade import parse_pool as comtrade_parse_pool
from tradeviz.transform.describe import describe
from tradeviz.transform.mirror import build_mirror

log = logging.getLogger(__name__)
DATA_SOURCES = ("comtrade", "wits", "imf")


@dataclass
class BuildReport:
    snapshots: int = 0
    rows_by_source: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0
    breakdown_rows_dropped: int = 0
    other_flow_rows_dropped: int = 0
    truncated_snapshots_ignored: int = 0
    missing_cells: list[dict] = field(default_factory=list)
    empty_periods: list[str] = field(default_factory=list)
    chapter_checks: dict = field(default_factory=dict)
    unmapped_wits_partners: list[str] = field(default_factory=list)
    synthetic: bool = False
    focus: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def load_flows(store: RawStore, report: BuildReport) -> pd.DataFrame:
    """Every complete snapshot parsed; duplicates of a key keep the newest snapshot; each
    row's product described (describe())."""
    snaps = store.current_snapshots(DATA_SOURCES)  # newest complete line per query key
    snaps.sort(key=lambda s: s.record.get("fetched_at", ""))  # stable: manifest order ties
    wanted, seen = [], set()
    for snap in snaps:
        if not snap.complete:
            report.truncated_snapshots_ignored += 1
        elif snap.sha256 not in seen or snap.source == "comtrade":
            seen.add(snap.sha256)
            wanted.append(snap)
    parse_report = ParseReport()
    parts = [part for part in _parsed(store, wanted, parse_report) if part.num_rows]
    report.snapshots = len(wanted)
    report.unmapped_wits_partners = sorted(
        {p for s in wanted if s.source == "wits" for p in s.record.get("unmapped_partners", [])}
    )
    report.breakdown_rows_dropped = parse_report.breakdown_rows
    report.other_flow_rows_dropped = parse_report.other_flow_rows
    if parse_report.unknown_codes:
        raise BuildError(
            f"Comtrade country codes without ISO3: "
            f"{sorted(parse_report.unknown_codes)}: their rows carry no "
            "reporterISO/partnerISO (fetched without includeDesc). Fix: run "
            "`tradeviz fetch comtrade --refresh`"
        )
    if not parts:
        return empty_frame(FLOWS_FIELDS)
    # Parts are in snapshot order (oldest first): sorted by key, then by that order, the
    # last row of each key is the newest snapshot's.
    joined = _sorted_by_key(pa.concat_tables(parts, promote_options="permissive"))
    parts.clear()
    newest = _last_of_each_key(joined)
    report.duplicates_dropped = joined.num_rows - int(newest.sum())
    if report.duplicates_dropped:
        joined = joined.filter(pa.array(newest))
    frame = _decoded_frame(joined)
    del joined
    flows = conform(frame, FLOWS_FIELDS)
    if "cmd_desc" in frame.columns:  # not a flows column: describe() uses it, then drops it
        flows["cmd_desc"] = frame["cmd_desc"]
    del frame
    report.rows_by_source = {k: int(v) for k, v in flows["source"].value_counts().items()}
    report.synthetic = bool(flows["synthetic"].any())
    # hs_description, hs6_h6, converted (package HS reference); uses and drops cmd_desc,
    # so the table returned has the flows columns only
    return describe(flows)


def _parsed(store: RawStore, snaps: list[Snapshot], report: ParseReport) -> Iterator[pa.Table]:
    """Each snapshot read and parsed to compact Arrow, in the given order. Its sha256 is
    checked on another thread while it is parsed (hashlib releases the GIL); a mismatch
    stops the build as RawStore.read would."""
    for snap in snaps:
        holder = [store.read(snap, verify=False)]  # the parser releases the bytes early
        size = len(holder[0])
        digest = comtrade_parse_pool().submit(sha256_hex, holder[0])
        table = _parse(snap, holder, str(store.root / snap.path), report)
        store.check_digest(snap, digest.result(), size)
        yield table
        del table


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _sorted_by_key(table: pa.Table) -> pa.Table:
    """Rows sorted by FLOWS_KEY (nulls first), ties in table order: a stable sort of each
    key column's integer ranks (np.lexsort), then one reordering of the compact table."""
    ranks = [_ranks(table.column(k)) for k in reversed(FLOWS_KEY)]  # lexsort: last key first
    return table.take(pa.array(np.lexsort(ranks)))


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


def _last_of_each_key(table: pa.Table) -> np.ndarray:
    """True on the last row of each run of equal FLOWS_KEY values (nulls equal each other,
    as in pandas' duplicated) of a table sorted by key."""
    n = table.num_rows
    same = np.ones(max(n - 1, 0), dtype=bool)
    for k in FLOWS_KEY:
        col = _decoded(table.column(k)).combine_chunks()
        a, b = col.slice(0, n - 1), col.slice(1)
        eq = pc.fill_null(pc.equal(a, b), False)
        eq = pc.or_(eq, pc.and_(pc.is_null(a), pc.is_null(b)))
        same &= eq.to_numpy(zero_copy_only=False)
    return np.append(~same, True) if n else np.ones(0, dtype=bool)


def _decoded_frame(table: pa.Table) -> pd.DataFrame:
    """The table as pandas, each compact column decoded and released in turn (the API's
    texts stay a categorical until describe())."""
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


def _parse(snap: Snapshot, holder: list[bytes], path: str, parse_report: ParseReport) -> pa.Table:
    """Parse one snapshot to compact Arrow; `holder` carries its bytes so the parser can
    free them early."""
    if snap.source == "comtrade":
        return parse_comtrade(holder, snap, path, parse_report)
    body = holder.pop()
    if snap.source == "wits":
        return compact(
            pa.Table.from_pandas(wits.parse_wits(body, snap, path), preserve_index=False)
        )
    from tradeviz.transform import imf

    frame = imf.parse_imf(body, snap, path)
    return compact(pa.Table.from_pandas(frame, preserve_index=False))


def validate(df: pd.DataFrame, table: str) -> None:
    import pandera.errors

    try:
        # inplace: the schema coerces nothing, so validating need not copy the table
        pandera_schema(table).validate(df.reset_index(drop=True), inplace=True)
    except pandera.errors.SchemaError as exc:
        raise BuildError(f"{table} fails its schema: {exc}") from None


def planned_cells(store: RawStore) -> pd.DataFrame:
    """Reporter × period cells the Comtrade fetch plan asked for (from the manifest)."""
    from tradeviz.vocab.countries import BY_COMTRADE

    cells = set()
    for snap in store.snapshots("comtrade"):
        params = snap.record.get("params", {})
        freq = snap.record.get("freq", "A")
        for rep in str(params.get("reporterCode", "")).split(","):
            for period in str(params.get("period", "")).split(","):
                if rep and period:
                    iso = BY_COMTRADE[int(rep)].iso3 if int(rep) in BY_COMTRADE else rep
                    cells.add((freq, iso, period))
    return pd.DataFrame(sorted(cells), columns=["freq", "reporter", "period"])


def check_coverage(
    flows: pd.DataFrame, store: RawStore, report: BuildReport, allow_empty_periods: bool
) -> None:
    plan = planned_cells(store)
    if plan.empty:
        return
    # distinct (freq, reporter, year, month) first: periods are spelt for those only
    cells = flows.loc[flows["source"] == "comtrade", ["freq", "reporter", "year", "month"]]
    cells = cells.drop_duplicates()
    period = cells["year"].astype(str) + cells["month"].map(
        lambda m: "" if pd.isna(m) else f"{int(m):02d}"
    ).astype(str)  # str even when empty
    have = set(zip(cells["freq"].astype(str), cells["reporter"].astype(str), period, strict=True))
    missing = [
        r for r in plan.itertuples(index=False) if (r.freq, r.reporter, r.period) not in have
    ]
    report.missing_cells = [
        {"freq": r.freq, "reporter": r.reporter, "period": r.period} for r in missing
    ]
    with_rows = {(f, p) for f, _, p in have}
    empty = sorted(
        {
            f"{r.freq} {r.period}"
            for r in plan.itertuples(index=False)
            if (r.freq, r.period) not in with_rows
        }
    )
    report.empty_periods = empty
    if empty and not allow_empty_periods:
        raise BuildError(
            f"planned period(s) {', '.join(empty)} have no rows from any reporter (not yet "
            "released, or the fetch went wrong). Fix: fetch other --years, or wait for the "
            "release and run `tradeviz fetch comtrade --refresh`; `tradeviz build "
            "--allow-empty-periods` builds anyway"
        )


def check_chapters(flows: pd.DataFrame, report: BuildReport, tolerance: float = 1e-6) -> None:
    """HS2 chapters must sum to TOTAL where both were fetched for the same cell."""
    cell = list(FLOW_CELL)
    totals = flows[flows["hs_level"] == 0].groupby(cell, dropna=False)["value_usd"].sum()
    chapters = flows[flows["hs_level"] == 2].groupby(cell, dropna=False)["value_usd"].sum()
    both = totals.to_frame("total").join(chapters.to_frame("chapters"), how="inner")
    rel = (both["chapters"] - both["total"]).abs() / both["total"].where(both["total"] > 0)
    bad = both[rel.fillna(0) > tolerance]
    report.chapter_checks = {
        "cells_compared": int(len(both)),
        "cells_off": int(len(bad)),
        "worst": [
            {
                **dict(zip(cell, k, strict=True)),
                "total": float(r.total),
                "chapters": float(r.chapters),
            }
            for k, r in bad.head(10).iterrows()
        ],
    }


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
    """Arrow allocates from the system allocator while the build runs. Its default pool
    (mimalloc) keeps freed pages for reuse, and the build's large short-lived buffers (each
    snapshot's parse, the joined parts) then stay resident: 220k rows peaked ~60 MiB
    higher. Buffers remember their pool, so restoring the default afterwards is safe."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def build(data_dir: Path, allow_empty_periods: bool = False) -> BuildReport:
    with _system_allocator():
        return _build(data_dir, allow_empty_periods)


def _build(data_dir: Path, allow_empty_periods: bool) -> BuildReport:
    store = RawStore(data_dir / "raw")
    if not any(True for _ in store.snapshots()) and not store.snapshot_files():
        raise BuildError(
            f"no raw data in {store.root} (manifest.jsonl missing or empty). "
            "Fix: run `tradeviz fetch comtrade` (or `tradeviz demo` offline) "
            "first"
        )
    report = BuildReport()
    flows = load_flows(store, report)
    check_coverage(flows, store, report, allow_empty_periods)  # first: the clearest error
    validate(flows, "flows")
    check_chapters(flows, report)
    generation = Generation(data_dir)  # all outputs, then one atomic switch of processed/
    out = generation.path
    meta = {
        "tool": f"tradeviz {__version__}",
        "raw_manifest_sha256": hashlib.sha256(store.manifest_path.read_bytes()).hexdigest(),
        "sources": sorted(report.rows_by_source),
        "synthetic": report.synthetic,
        "fetched_at": _fetch_dates(store),
    }
    if report.synthetic:
        meta["note"] = "contains synthetic data (demo, emulator or benchmark), not statistics"
    # flows first: its copy for writing is freed before the mirror's work begins
    write_parquet(flows, out / "flows.parquet", {**meta, "table": "flows"})
    mirror = build_mirror(flows)
    validate(mirror, "mirror")
    write_parquet(mirror, out / "mirror.parquet", {**meta, "table": "mirror"})
    del mirror  # written: free it before the focus tables are made
    from tradeviz.transform.focus import build_focus

    focus, coverage = build_focus(flows)
    validate(focus, "focus")
    validate(coverage, "focus_coverage")
    write_parquet(focus, out / "focus.parquet", {**meta, "table": "focus"})
    write_parquet(coverage, out / "focus_coverage.parquet", {**meta, "table": "focus_coverage"})
    report.focus = {"rows": int(len(focus))}
    write_text_atomic(
        out / "build_report.json",
        json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str),
    )
    generation.publish()
    return report
