"""The world layer (issue 19): world/level=<L>/year=<y>/part-0.parquet, every reporter's
exports and imports with the World by product, built incrementally with bounded memory.

Which snapshots: Comtrade answers with partner World (partnerCode 0) by product (any
cmdCode but TOTAL), what `fetch comtrade --plan world` stores. They feed this table only;
the flows table keeps the China–Central Asia slice (and every TOTAL).

How (two passes, so memory follows the largest partition, not the number of years):
1. a partition's inputs are the snapshots whose query covers its level and year, known
   from the manifest alone. A partition whose inputs (sha256, in order) and recipe equal
   the previous generation's is hard-linked from it; the others are rebuilt;
2. the snapshots the rebuilt partitions need are parsed once each, in manifest order, and
   their rows spilled per partition to an Arrow stream in the generation's scratch folder;
3. each rebuilt partition is read back from its spill, its duplicate keys resolved to the
   newest snapshot (as the flows table's are), sorted by key and written.
Partitions whose inputs are gone are simply not carried into the new generation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tradeviz.schema import WORLD_FIELDS, WORLD_PARTITIONS, arrow_schema
from tradeviz.store.processed import partition_file, reuse_partition
from tradeviz.store.raw import RawStore, Snapshot
from tradeviz.transform.world_inputs import covers

TABLE = "world"
# Bump when the world rows a snapshot gives change (not the package version alone: a
# release that leaves the table alone keeps every partition).
RECIPE = "world-1"
KEY = ("reporter", "flow", "hs_rev", "hs_code")  # within a partition (source, freq fixed)
SPILL = ".spill-world"
FILE_SCHEMA = arrow_schema(WORLD_FIELDS, without=WORLD_PARTITIONS)


@dataclass
class WorldBuild:
    """What the world step did, for the build report and the bench."""

    partitions: int = 0
    rebuilt: list[str] = field(default_factory=list)
    reused: int = 0
    dropped: int = 0
    rows: int = 0
    rows_dropped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "partitions": self.partitions,
            "rebuilt": len(self.rebuilt),
            "reused": self.reused,
            "dropped": self.dropped,
            "rows": self.rows,
            "rows_dropped": dict(self.rows_dropped),
        }


def build_world(
    store: RawStore,
    snaps: list[Snapshot],
    out: Path,
    previous: Path | None,
    old_index: dict[str, dict],
    meta: dict,
) -> tuple[WorldBuild, dict[str, dict]]:
    """Write the world partitions into generation `out`; returns what was done and the
    index entries of every partition (for _partitions.json)."""
    inputs: dict[tuple[int, int], list[str]] = {}
    for snap in snaps:  # oldest first (snapshots.current)
        for part in covers(snap):
            inputs.setdefault(part, []).append(snap.sha256)
    result, index, todo = WorldBuild(partitions=len(inputs)), {}, {}
    for (level, year), shas in sorted(inputs.items()):
        rel = partition_file(TABLE, (("level", level), ("year", year)))
        entry = {"inputs": shas, "recipe": RECIPE}
        old = {rel: _comparable(old_index.get(rel))}
        if reuse_partition(previous, out, rel, entry, old):
            result.reused += 1
            index[rel] = old_index[rel]
        else:
            todo[(level, year)] = (rel, entry)
    kept = set(index) | {rel for rel, _ in todo.values()}
    result.dropped = sum(1 for rel in old_index if rel.startswith(f"{TABLE}/") and rel not in kept)
    if todo:
        wanted = [s for s in snaps if any(p in todo for p in covers(s))]
        spill = out / SPILL
        try:
            counts = _spill(store, wanted, set(todo), spill, result)
            for part, (rel, entry) in sorted(todo.items()):
                rows = _write_partition(spill, part, out / rel, {**meta, "table": TABLE})
                index[rel] = {**entry, "rows": rows, "snapshot_rows": counts.get(part, 0)}
                result.rebuilt.append(rel)
        finally:
            shutil.rmtree(spill, ignore_errors=True)
    result.rows = sum(int(e.get("rows", 0)) for e in index.values())
    return result, index


def _comparable(entry: dict | None) -> dict | None:
    """The part of an index entry that decides reuse."""
    if entry is None:
        return None
    return {"inputs": entry.get("inputs"), "recipe": entry.get("recipe")}


def _spill(
    store: RawStore,
    snaps: list[Snapshot],
    todo: set[tuple[int, int]],
    spill: Path,
    result: WorldBuild,
) -> dict[tuple[int, int], int]:
    """Parse each snapshot once and append its rows, partition by partition, to one Arrow
    stream per partition; returns the rows spilled per partition."""
    from tradeviz.transform import snapshots

    spill.mkdir(parents=True, exist_ok=True)
    writers: dict[tuple[int, int], pa.ipc.RecordBatchStreamWriter] = {}
    counts: dict[tuple[int, int], int] = {}
    try:
        for table in snapshots.parse_each(store, snaps):
            rows = _world_rows(table, result)
            del table
            if not rows.num_rows:
                continue
            for (level, year), piece in _by_partition(rows, todo):
                writer = writers.get((level, year))
                if writer is None:
                    path = spill / f"level={level}-year={year}.arrows"
                    writer = writers[(level, year)] = pa.ipc.new_stream(str(path), _SPILL_SCHEMA)
                writer.write_table(piece)
                counts[(level, year)] = counts.get((level, year), 0) + piece.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    return counts


_SPILL_SCHEMA = pa.schema(
    [pa.field("level", pa.int8()), pa.field("year", pa.int16()), *FILE_SCHEMA]
)


def _world_rows(table: pa.Table, result: WorldBuild) -> pa.Table:
    """A parsed snapshot's rows that belong in the world table, in the spill's columns:
    partner World, exports and imports, a product code, a reporter that is a country."""
    from tradeviz.vocab import countries

    if not table.num_rows:
        return _SPILL_SCHEMA.empty_table()
    iso = pa.array(sorted({c.iso3 for c in countries.ALL if c.kind == "country"}))
    checks = {
        "not annual (the world layer is annual)": pc.equal(table["freq"].cast(pa.string()), "A"),
        "partner other than World": pc.equal(table["partner"].cast(pa.string()), "WLD"),
        "flow other than export/import": pc.is_in(
            table["flow"].cast(pa.string()), pa.array(["export", "import"])
        ),
        "TOTAL or level other than 2/4/6": pc.is_in(
            table["hs_level"], pa.array([2, 4, 6], pa.int8())
        ),
        "reporter not a country (area, aggregate, World)": pc.is_in(
            table["reporter"].cast(pa.string()), iso
        ),
    }
    keep = None
    for reason, mask in checks.items():
        mask = pc.fill_null(mask, False)
        dropped = int(pc.sum(pc.invert(mask if keep is None else pc.and_(keep, mask))).as_py() or 0)
        dropped -= 0 if keep is None else int(pc.sum(pc.invert(keep)).as_py() or 0)
        if dropped:
            result.rows_dropped[reason] = result.rows_dropped.get(reason, 0) + dropped
        keep = mask if keep is None else pc.and_(keep, mask)
    table = table.filter(keep)
    columns = {
        "level": table["hs_level"],
        "year": table["year"],
        **{
            f.name: table[f.name].cast(FILE_SCHEMA.field(f.name).type)
            if f.name in table.column_names
            else pa.nulls(table.num_rows, FILE_SCHEMA.field(f.name).type)
            for f in FILE_SCHEMA
        },
    }
    return pa.table(columns, schema=_SPILL_SCHEMA)


def _by_partition(
    rows: pa.Table, todo: set[tuple[int, int]]
) -> Iterator[tuple[tuple[int, int], pa.Table]]:
    """The rows of each partition being rebuilt (others are left out: they are reused)."""
    pairs = (
        pa.table({"level": rows["level"], "year": rows["year"]})
        .group_by(["level", "year"])
        .aggregate([])
    )
    for level, year in zip(pairs["level"].to_pylist(), pairs["year"].to_pylist(), strict=True):
        if (level, year) not in todo:
            continue
        mask = pc.and_(pc.equal(rows["level"], level), pc.equal(rows["year"], year))
        yield (level, year), rows.filter(mask)


def _write_partition(spill: Path, part: tuple[int, int], path: Path, meta: dict) -> int:
    """One partition from its spill: the newest snapshot's row of each key, sorted by key,
    written atomically with the schema and provenance. Returns its rows."""
    from tradeviz.store.parquet import write_table

    level, year = part
    source = spill / f"level={level}-year={year}.arrows"
    if source.exists():
        with pa.memory_map(str(source)) as mm:
            table = pa.ipc.open_stream(mm).read_all().drop_columns(["level", "year"])
    else:  # every input snapshot was empty for this level and year
        table = FILE_SCHEMA.empty_table()
    table = newest_per_key(table, ("source", "freq", *KEY))
    synthetic = bool(pc.any(table["synthetic"]).as_py()) if table.num_rows else False
    info = {**meta, "partition": {"level": level, "year": year}, "synthetic": synthetic}
    if synthetic:
        info["note"] = "contains synthetic data (demo, emulator or benchmark), not statistics"
    info["inputs"] = sorted(set(pc.unique(table["snapshot"]).to_pylist())) if table.num_rows else []
    path.parent.mkdir(parents=True, exist_ok=True)
    write_table(table, path, info)
    return table.num_rows


def newest_per_key(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Rows sorted by `key`, one per key: the last in table order (the newest snapshot's,
    as rows come in snapshot order). The same rule as the flows table's."""
    from tradeviz.transform.assemble import _last_of_each_key, _ranks

    if not table.num_rows:
        return table.combine_chunks()
    ranks = [_ranks(table.column(k)) for k in reversed(key)]  # lexsort: last key first
    order = np.lexsort(ranks)  # stable: equal keys stay in snapshot order
    order = order[_last_of_each_key([r[order] for r in ranks])]
    return table.take(pa.array(order)).combine_chunks()
