"""Reading a build generation's tables (issue 19): flows, mirror and focus are hive-partitioned
datasets (flows/source=<s>/year=<y>/, mirror/year=<y>/, focus/year=<y>/), read through
DuckDB, which prunes partitions and row groups from a WHERE clause, so a view of one year
reads one year's files. focus_coverage stays one small file.

The partition files a reader uses are those the generation's `_partitions.json` lists (never
a glob, which would pick up a stray or half-written file); a table with no partitions (a
store of the world plan only) is read as an empty frame of its schema. A store built before
partitions (flows.parquet and no index) is still read from its single files.

Rows come back in the order the build made them, the table's key (schema.TABLES; focus:
its flow rows' order, then area), with the schema's dtypes, whatever the files' order: the
frame the table whole would have given.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pandas as pd

from tradeviz.store.processed import PARTITION_INDEX, PARTITIONS, TableError

if TYPE_CHECKING:
    from tradeviz.schema import Field

_SQL_TYPES = {"str": "VARCHAR", "bool": "BOOLEAN", "float64": "DOUBLE"}
_FIX = "rebuild with `tradeviz build` (or restore the file)"


def _index(generation: Path) -> dict | None:
    """The generation's index document; None for a store built before partitions."""
    path = Path(generation) / PARTITION_INDEX
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise TableError(f"{path} cannot be read ({type(exc).__name__}): {_FIX}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("partitions", {}), dict):
        raise TableError(f"{path} is not a tradeviz partition index: {_FIX}")
    return doc


def has_tables(generation: Path) -> bool:
    """A finished build is there: its partition index, or (older stores) flows.parquet."""
    return (Path(generation) / PARTITION_INDEX).is_file() or (
        Path(generation) / "flows.parquet"
    ).is_file()


def table_files(generation: Path, name: str) -> list[Path]:
    """The files holding table `name`: its partitions listed in the index (sorted), or its
    single file in a store built before partitions. Every path stays inside the table's
    folder; a listed file that is missing is a TableError naming it."""
    generation = Path(generation)
    doc = _index(generation) if name in PARTITIONS else None
    if doc is None:
        return [generation / f"{name}.parquet"]
    files = []
    for rel in sorted(doc.get("partitions", {})):
        parts = PurePosixPath(rel).parts
        if len(parts) < 2 or parts[0] != name:
            continue
        if ".." in parts or PurePosixPath(rel).is_absolute():
            raise TableError(f"{generation / PARTITION_INDEX} names {rel!r} outside {name}/")
        path = generation.joinpath(*parts)
        if not path.is_file():
            raise TableError(f"table {name}: partition {path} is missing: {_FIX}")
        files.append(path)
    return files


def partition_years(generation: Path, name: str) -> tuple[int, ...] | None:
    """The years of table `name`'s partitions, from the index (no file is opened); None for
    a store built before partitions."""
    if _index(generation) is None:
        return None
    years = set()
    for path in table_files(generation, name):
        for part in path.parent.relative_to(generation).parts:
            key, _, value = part.partition("=")
            if key == "year" and value.isdigit():
                years.add(int(value))
    return tuple(sorted(years))


def build_meta(generation: Path) -> dict:
    """The build's provenance (tool, raw manifest sha256, sources, fetch dates, synthetic),
    kept in the index; in an older store, in flows.parquet's metadata."""
    from tradeviz.store.parquet import read_meta

    doc = _index(generation)
    if doc is not None and isinstance(doc.get("meta"), dict):
        return doc["meta"]
    single = Path(generation) / "flows.parquet"
    return read_meta(single) if single.is_file() else {}


def quote(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def empty_sql(fields: tuple[Field, ...]) -> str:
    """A FROM clause with `fields`' columns, typed, and no rows (a table with no files)."""
    empty = ", ".join(f"CAST(NULL AS {sql_type(f.dtype)}) AS {f.name}" for f in fields)
    return f"(SELECT {empty} WHERE false)"


def source_sql(
    generation: Path, name: str, fields: tuple[Field, ...], files: list[Path] | None = None
) -> str:
    """A FROM clause giving table `name`'s columns in schema order: its partition files
    (`files`, default table_files()) read with hive partitioning (partition columns come
    from the paths), its single file, or no rows."""
    files = table_files(generation, name) if files is None else files
    if not files:
        return empty_sql(fields)
    listed = "[" + ", ".join(quote(p) for p in files) + "]"
    if _single(files, name):  # as written (an older store's file may lack later columns)
        return f"(SELECT * FROM read_parquet({listed}))"
    dtypes = {f.name: f.dtype for f in fields}
    types = ", ".join(f"'{k}': {sql_type(dtypes[k])}" for k in PARTITIONS[name])
    cols = ", ".join(f.name for f in fields)
    return (
        f"(SELECT {cols} FROM read_parquet({listed}, hive_partitioning = true, "
        f"hive_types = {{{types}}}))"
    )


def _single(files: list[Path], name: str) -> bool:
    return len(files) == 1 and files[0].name == f"{name}.parquet"


def sql_type(dtype: str) -> str:
    """The DuckDB (and Spark SQL) type of a schema dtype."""
    if dtype in _SQL_TYPES:
        return _SQL_TYPES[dtype]
    kind = pd.api.types.pandas_dtype(dtype).kind
    return {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN"}.get(kind, "VARCHAR")


def read_table(
    generation: Path, name: str, where: str = "", params: list | tuple = ()
) -> pd.DataFrame:
    """Table `name` (rows matching the SQL `where`, with `params` for its ? marks) as a
    frame with the schema's columns and dtypes, in key order."""
    from tradeviz.schema import TABLES, conform

    fields, key, _ = TABLES[name]
    files = table_files(generation, name)
    query = f"SELECT * FROM {source_sql(generation, name, fields, files)}"
    if where:
        query += f" WHERE {where}"
    if not _single(files, name):  # a single file is in order
        order = (*key[1:], key[0]) if name == "focus" else key  # focus: flow rows, then area
        query += " ORDER BY " + ", ".join(f"{k} NULLS LAST" for k in order)
    try:
        table = _connection().cursor().sql(query, params=list(params)).to_arrow_table()
    except _duckdb().Error as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise TableError(f"table {name} in {generation} cannot be read ({first}): {_FIX}") from None
    return conform(table.to_pandas(), fields)


@lru_cache(maxsize=1)
def _duckdb():  # noqa: ANN202 (the duckdb module, imported on first read)
    import duckdb

    return duckdb


@lru_cache(maxsize=1)
def _connection():  # noqa: ANN202 (a DuckDB connection; each read takes its own cursor)
    return _duckdb().connect(":memory:")
