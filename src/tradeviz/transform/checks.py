"""Checks of the flows table before anything is written: schema (pandera), planned cells
covered, HS2 chapters summing to TOTAL."""

from __future__ import annotations

import pandas as pd

from tradeviz.errors import BuildError
from tradeviz.schema import FLOW_CELL, pandera_schema
from tradeviz.store.raw import RawStore
from tradeviz.transform.build_report import BuildReport


def validate(df: pd.DataFrame, table: str, compact: bool = False) -> None:
    """Raise BuildError unless `df` meets the table's schema (`compact`: text columns as
    categoricals, see schema.pandera_schema)."""
    import pandera.errors

    try:
        # inplace: the schema coerces nothing, so validating need not copy the table
        pandera_schema(table, compact).validate(df.reset_index(drop=True), inplace=True)
    except pandera.errors.SchemaError as exc:
        raise BuildError(f"{table} fails its schema: {exc}") from None


def planned_cells(store: RawStore) -> pd.DataFrame:
    """Reporter × period cells the Comtrade fetch plan asked for (from the manifest); the
    world plan's are the world layer's, not the flows table's."""
    from tradeviz.transform.world_inputs import is_world
    from tradeviz.vocab.countries import BY_COMTRADE

    cells = set()
    for snap in store.snapshots("comtrade"):
        if is_world(snap):
            continue
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
