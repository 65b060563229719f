"""The world layer (issue 19): every reporter's exports and imports with the World by
product, read through DuckDB with the filters pushed down (only the partitions and row
groups asked for are read), and the world-layer questions written in SQL that runs
unchanged on DuckDB and Spark SQL (tests/test_spark.py checks both agree)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tradeviz.analysis.arguments import FilterError, check_level, check_years
from tradeviz.analysis.engine import run, world_dir, world_source
from tradeviz.errors import TradevizError, WorldLayerMissingError
from tradeviz.schema import WORLD_FIELDS, conform
from tradeviz.vocab.countries import CA_ISO3

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset

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


class WorldYearsMissingError(FilterError, WorldLayerMissingError):
    """Years asked of a world layer that has no such HS level: both the argument error of
    the Dataset API and the missing-layer error (its message names the fetch)."""


def world_years(processed: Path | None, level: int) -> list[int]:
    """The years the world layer holds at `level` (from its partition folders)."""
    folder = world_dir(processed)
    if folder is None:
        return []
    return sorted(
        int(p.name.split("=", 1)[1])
        for p in (folder / f"level={level}").glob("year=*")
        if p.name.split("=", 1)[1].isdigit() and any(p.glob("*.parquet"))
    )


def world(
    con,
    processed: Path | None,
    level: int,
    years=None,
    reporters: list[str] | None = None,
    flow: str | None = None,
    where: Path | None = None,
    view_years: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """World-layer rows at `level` (checked), for `years` (any form of the Dataset API,
    checked here against the years the layer holds at that level), `reporters` and `flow`
    (checked); without `years`, the view's years it holds. The columns of the data
    dictionary's world table. `where`: the directory an error names."""
    held = world_years(processed, level)
    if not held:
        message = missing_message(where or processed, level)
        if years is not None:
            check_years("years", years, None)  # a malformed value is said first
            raise WorldYearsMissingError(
                f"years={years!r}: no world layer at HS{level} in {where or processed}; use "
                f"`tradeviz fetch comtrade --plan world --level {level}` then `tradeviz build`"
            )
        raise WorldLayerMissingError(message)
    if years is not None:
        wanted = check_years("years", years, held)
    else:
        wanted = tuple(y for y in view_years if y in held) if view_years else None
    clauses, params = ["level = ?"], [level]
    if wanted:
        clauses.append(f"year IN ({', '.join('?' for _ in wanted)})")
        params += list(wanted)
    if reporters:
        clauses.append(f"reporter IN ({', '.join('?' for _ in reporters)})")
        params += reporters
    if flow:
        clauses.append("flow = ?")
        params.append(flow)
    query = (
        f"SELECT * FROM {world_source(processed)} WHERE {' AND '.join(clauses)} "
        "ORDER BY year, reporter, flow, hs_rev, hs_code"
    )
    return conform(run(con, query, params), WORLD_FIELDS)


def product_shares_sql(level: int = 6) -> str:
    """The product-shares query at `level` (runs on DuckDB and Spark SQL)."""
    return PRODUCT_SHARES_SQL.format(level=check_level("level", level))


def world_totals_sql(level: int = 6) -> str:
    """The world-totals query at `level` (runs on DuckDB and Spark SQL)."""
    return WORLD_TOTALS_SQL.format(level=check_level("level", level))


def all_partners(ds: Dataset) -> pd.DataFrame:
    """Dataset.partners() of the five, every side, for the `partners` view (empty with
    its columns when the store has no partners-plan data)."""
    from tradeviz.analysis.partners import SIDES
    from tradeviz.schema import PARTNERS_FIELDS, empty_frame

    frames = []
    for country in CA_ISO3:
        for side in SIDES:
            try:
                frames.append(ds.partners(country, side=side))
            except TradevizError:
                continue
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_frame(PARTNERS_FIELDS)
