"""DuckDB over the processed store (issue 19): `Dataset.sql()` and the world layer's reads.

One in-memory DuckDB connection per Dataset, with a view per table over its hive-partitioned
Parquet files: flows (flows/source=<s>/year=<y>/), mirror and focus (by year), world
(world/level=<L>/year=<y>/): DuckDB prunes partitions and row groups from the WHERE
clause, so a question about one country and year reads a fraction of the layer; and
partners (Dataset.partners() for the five, computed only when a query names it). Their
columns are the data dictionary's. Nothing is loaded until a query runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tradeviz.errors import InputError, MissingExtraError
from tradeviz.schema import WORLD_FIELDS

if TYPE_CHECKING:
    import duckdb

VIEWS = ("flows", "mirror", "focus", "world", "partners")


class SqlError(InputError):
    """A query `Dataset.sql()` could not run (the database's own message, one line)."""


def world_dir(processed: Path | None) -> Path | None:
    return None if processed is None else Path(processed) / "world"


def world_levels(processed: Path | None) -> list[int]:
    """HS levels the store's world layer holds (from its partition folders)."""
    folder = world_dir(processed)
    if folder is None or not folder.is_dir():
        return []
    return sorted(
        int(p.name.split("=", 1)[1])
        for p in folder.glob("level=*")
        if p.name.split("=", 1)[1].isdigit() and any(p.glob("year=*/*.parquet"))
    )


def world_source(processed: Path | None) -> str:
    """A FROM clause giving the world table's columns in schema order (empty when the store
    has no world layer)."""
    from tradeviz.store.tables import empty_sql, quote

    cols = ", ".join(f.name for f in WORLD_FIELDS)
    if world_levels(processed):
        glob = quote(world_dir(processed) / "*" / "*" / "*.parquet")
        return (
            f"(SELECT {cols} FROM read_parquet({glob}, hive_partitioning = true, "
            "hive_types = {'level': BIGINT, 'year': BIGINT}))"
        )
    return empty_sql(WORLD_FIELDS)


def connect(processed: Path | None, frames: dict[str, pd.DataFrame]) -> duckdb.DuckDBPyConnection:
    """A connection with the views flows, mirror, focus and world (partners is added by
    `run` when a query names it). `frames`: tables held in memory instead of files."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - a core dependency
        raise MissingExtraError("ds.sql needs duckdb: pip install duckdb") from None
    from tradeviz.schema import TABLES
    from tradeviz.store.tables import source_sql

    con = duckdb.connect(":memory:")
    for name in ("flows", "mirror", "focus"):
        if processed is not None:
            source = source_sql(Path(processed), name, TABLES[name][0])
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        elif name in frames:
            con.register(name, frames[name])
    con.execute(f"CREATE VIEW world AS SELECT * FROM {world_source(processed)}")
    return con


def names_partners(query: str) -> bool:
    return re.search(r"\bpartners\b", query, re.IGNORECASE) is not None


def run(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pd.DataFrame:
    """The query's result as a DataFrame; a failing query is one SqlError line."""
    import duckdb

    try:
        return con.execute(query, params or []).df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SqlError(
            f"sql: {first} (views: {', '.join(VIEWS)}; columns in docs/data_dictionary.md)"
        ) from None
