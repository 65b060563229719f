"""The world layer (issue 19): every reporter's exports and imports with the World by
product, read through DuckDB with the filters pushed down (only the partitions and row
groups asked for are read), and the world-layer questions written in SQL that runs
unchanged on DuckDB and Spark SQL (tests/test_spark.py checks both agree)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from tradeviz.analysis.engine import run, world_levels, world_source
from tradeviz.analysis.filters import FilterError, check_years
from tradeviz.errors import WorldLayerMissingError
from tradeviz.schema import WORLD_FIELDS, conform

LEVELS = (2, 4, 6)
FLOWS = ("export", "import")

# Each reporter's product shares: a product's share of the reporter's exports (or
# imports) with the World in a year, at one HS level.
PRODUCT_SHARES_SQL = """
SELECT reporter, year, flow, hs_code, value_usd,
       value_usd / SUM(value_usd) OVER (PARTITION BY reporter, year, flow) AS share
FROM world
WHERE level = {level}
"""
# World totals by product: the sum over reporters, and how many reported it.
WORLD_TOTALS_SQL = """
SELECT year, flow, hs_code, SUM(value_usd) AS world_usd, COUNT(*) AS reporters
FROM world
WHERE level = {level}
GROUP BY year, flow, hs_code
"""


def missing_message(processed: Path | None, level: int) -> str:
    where = processed if processed is not None else "this in-memory Dataset"
    return (
        f"no world layer at HS{level} in {where}: run `tradeviz fetch comtrade --plan world "
        f"--level {level}` then `tradeviz build`"
    )


def check_level(level: object) -> int:
    if isinstance(level, bool) or str(level).strip() not in {str(v) for v in LEVELS}:
        raise FilterError(f"level {level!r}: use 2, 4 or 6 (HS digits)")
    return int(str(level).strip())


def check_flow(flow: str | None) -> str | None:
    if flow is None:
        return None
    value = str(flow).strip().lower()
    if value not in FLOWS:
        raise FilterError(f"flow {flow!r}: use export or import (or None for both)")
    return value


def check_reporters(reporters: str | Iterable[str] | None) -> list[str] | None:
    """ISO3 codes (comma string or list, any case) of any country of the registry."""
    from tradeviz.vocab import countries

    if reporters is None:
        return None
    items = reporters.split(",") if isinstance(reporters, str) else list(reporters)
    picked = [str(r).strip().upper() for r in items if str(r).strip()]
    known = {c.iso3 for c in countries.ALL if c.kind == "country"}
    bad = [r for r in picked if r not in known]
    if bad:
        raise FilterError(f"unknown reporter {bad[0]!r}; use ISO3 codes of countries, e.g. KAZ")
    return picked or None


def world(
    con,
    processed: Path | None,
    level: int = 6,
    years=None,
    reporters=None,
    flow: str | None = None,
    where: Path | None = None,
) -> pd.DataFrame:
    """World-layer rows at `level`, for `years` (YYYY, "YYYY-YYYY", a pair or a list),
    `reporters` (ISO3) and `flow`; the columns of the data dictionary's world table.
    `where`: the directory an error names (default `processed`)."""
    level = check_level(level)
    if level not in world_levels(processed):
        raise WorldLayerMissingError(missing_message(where or processed, level))
    span = check_years(years) if years is not None and not isinstance(years, int) else None
    if isinstance(years, int) and not isinstance(years, bool):
        span = (years, years)
    picked, flow = check_reporters(reporters), check_flow(flow)
    where, params = ["level = ?"], [level]
    if span is not None:
        where.append("year BETWEEN ? AND ?")
        params += list(span)
    if picked:
        where.append(f"reporter IN ({', '.join('?' for _ in picked)})")
        params += picked
    if flow:
        where.append("flow = ?")
        params.append(flow)
    query = (
        f"SELECT * FROM {world_source(processed)} WHERE {' AND '.join(where)} "
        "ORDER BY year, reporter, flow, hs_rev, hs_code"
    )
    return conform(run(con, query, params), WORLD_FIELDS)


def product_shares_sql(level: int = 6) -> str:
    """The product-shares query at `level` (runs on DuckDB and Spark SQL)."""
    return PRODUCT_SHARES_SQL.format(level=check_level(level))


def world_totals_sql(level: int = 6) -> str:
    """The world-totals query at `level` (runs on DuckDB and Spark SQL)."""
    return WORLD_TOTALS_SQL.format(level=check_level(level))
