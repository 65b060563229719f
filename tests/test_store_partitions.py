"""The processed store as hive partitions (issue 19): flows/source=…/year=…/, mirror/year=…/,
focus/year=…/; every partition valid Parquet with the schema and
provenance; unchanged partitions hard-linked into the next generation; an incremental
build equal, table by table, to a full one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from tradeviz.extract import comtrade
from tradeviz.schema import FLOWS_FIELDS, FOCUS_FIELDS, MIRROR_FIELDS, conform
from tradeviz.store.parquet import read_meta
from tradeviz.store.raw import RawStore
from tradeviz.store.tables import read_table
from tradeviz.transform.build import build

FIELDS = {"flows": FLOWS_FIELDS, "mirror": MIRROR_FIELDS, "focus": FOCUS_FIELDS}
KEYS = {"flows": ["source", "year"], "mirror": ["year"], "focus": ["year"]}


def _index(processed: Path) -> dict[str, dict]:
    return json.loads((processed / "_partitions.json").read_text())["partitions"]


def _dataset(processed: Path, table: str) -> pd.DataFrame:
    """A partitioned table read as any hive reader would, in the schema's columns and
    dtypes, rows in the single file's order (sorted by every column)."""
    frame = pads.dataset(processed / table, format="parquet", partitioning="hive").to_table()
    df = conform(frame.to_pandas(), FIELDS[table])
    for key in KEYS[table]:  # partition values come back as dictionary/int32 columns
        df[key] = df[key].astype(next(f.dtype for f in FIELDS[table] if f.name == key))
    return _sorted(df)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), na_position="first", kind="stable").reset_index(
        drop=True
    )


def _tables(processed: Path) -> dict[str, pd.DataFrame]:
    """Every table of a generation, read by tradeviz (DuckDB) and by pyarrow.dataset."""
    out = {n: _sorted(read_table(processed, n)) for n in FIELDS}
    out |= {f"{n}/": _dataset(processed, n) for n in FIELDS}
    out["focus_coverage"] = pd.read_parquet(processed / "focus_coverage.parquet")
    return out


def test_partitions_read_alike_by_tradeviz_and_pyarrow(default_plan_hs4):
    build(default_plan_hs4)
    processed = (default_plan_hs4 / "processed").resolve()
    assert not list(processed.glob("flows.parquet")) + list(processed.glob("mirror.parquet"))
    raw = {s.sha256 for s in RawStore(default_plan_hs4 / "raw").snapshots()}
    for table in FIELDS:
        ours = read_table(processed, table)  # DuckDB, in the build's row order
        assert len(ours) > 100
        assert list(ours.index) == list(range(len(ours)))
        pd.testing.assert_frame_equal(_dataset(processed, table), _sorted(ours))
    index = _index(processed)
    years = {2020, 2021}
    assert {k for k in index if k.startswith("flows/")} == {
        f"flows/source=comtrade/year={y}/part-0.parquet" for y in years
    }
    assert {k for k in index if k.startswith("mirror/")} == {
        f"mirror/year={y}/part-0.parquet" for y in years
    }
    for rel, entry in index.items():
        path = processed / rel
        meta = read_meta(path)  # valid Parquet, with tradeviz provenance
        table = rel.split("/")[0]
        assert meta["table"] == table and meta["synthetic"] is True and "note" in meta
        assert meta["inputs"] == entry["inputs"] and set(entry["inputs"]) <= raw
        assert entry["inputs"], rel  # every partition names its snapshots
        names = pq.read_schema(path).names  # partition columns only in the path
        assert names == [f.name for f in FIELDS[table] if f.name not in KEYS[table]]
        assert pq.read_metadata(path).num_rows == entry["rows"]
        assert meta["partition"] == {k.split("=")[0]: _value(k) for k in rel.split("/")[1:-1]}


def _value(part: str) -> object:
    value = part.split("=", 1)[1]
    return int(value) if value.isdigit() else value


def test_unchanged_build_links_every_partition_from_the_previous_generation(default_plan_hs4):
    build(default_plan_hs4)
    first = (default_plan_hs4 / "processed").resolve()
    build(default_plan_hs4)
    second = (default_plan_hs4 / "processed").resolve()
    assert first != second
    index = _index(second)
    assert index == _index(first)
    for rel in index:
        assert os.stat(first / rel).st_ino == os.stat(second / rel).st_ino, rel
    build(default_plan_hs4, full=True)  # --full: every partition written afresh
    third = (default_plan_hs4 / "processed").resolve()
    for rel in index:
        assert os.stat(third / rel).st_ino != os.stat(second / rel).st_ino, rel
        assert (third / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_incremental_build_after_one_more_year_equals_a_full_build(
    default_plan_hs4, store, fast_client, tmp_path
):
    build(default_plan_hs4)
    before = (default_plan_hs4 / "processed").resolve()
    old = _index(before)
    comtrade.ComtradeFetcher(
        store, client=fast_client(), api_key="k", max_records=20_000, progress=False
    ).run(comtrade.default_plan(("2019",), "4"), "A")
    copy = tmp_path / "copy"
    shutil.copytree(default_plan_hs4 / "raw", copy / "raw")
    build(default_plan_hs4)  # incremental
    build(copy, full=True)
    incremental = (default_plan_hs4 / "processed").resolve()
    full = (copy / "processed").resolve()
    new, whole = _index(incremental), _index(full)
    assert new == whole
    assert {k for k in new if "year=2019" in k} and not {k for k in old if "year=2019" in k}
    got, want = _tables(incremental), _tables(full)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    for rel in old:  # the earlier years' files: untouched, the same inode
        assert os.stat(before / rel).st_ino == os.stat(incremental / rel).st_ino, rel


def test_a_failed_build_keeps_the_previous_partitions(default_plan_hs4, monkeypatch):
    import tradeviz.transform.focus as focus

    build(default_plan_hs4)
    processed = default_plan_hs4 / "processed"
    before = {str(p): p.read_bytes() for p in processed.rglob("*") if p.is_file()}

    def boom(*a, **k):
        raise focus.RulesError("focus step failed on purpose")

    monkeypatch.setattr(focus, "build_focus", boom)
    with pytest.raises(focus.RulesError):
        build(default_plan_hs4)
    after = {str(p): p.read_bytes() for p in processed.rglob("*") if p.is_file()}
    assert after == before and any("/flows/source=" in k for k in after)


def test_a_view_reads_only_its_partitions_and_equals_the_cut_table(default_plan_hs4):
    """open() pushes a view's years and countries down to DuckDB: the view's rows are read
    without the whole table, and equal the whole table cut in pandas."""
    import tradeviz

    build(default_plan_hs4)
    ds = tradeviz.open(default_plan_hs4)
    assert ds.available_years() == [2020, 2021]  # from the partition index
    view = ds.filter(years=2021, countries=["KAZ"])
    got = {n: getattr(view, a) for n, a in (("flows", "flows"), ("mirror", "mirror_table"))}
    assert not {"flows", "mirror"} & set(ds._frames.given)  # no whole table was read
    keep = {"KAZ", "CHN", "WLD"}
    for name, a, b in (("flows", "reporter", "partner"), ("mirror", "exporter", "importer")):
        whole = read_table((default_plan_hs4 / "processed").resolve(), name)
        cut = whole[(whole["year"] == 2021) & whole[a].isin(keep) & whole[b].isin(keep)]
        assert len(cut) > 10
        pd.testing.assert_frame_equal(got[name], cut.reset_index(drop=True))


def test_a_missing_or_foreign_partition_is_one_line_naming_it(default_plan_hs4):
    """A partition the index lists but the folder lacks, or an index entry outside the
    table's folder, is a TableError naming it, before any reader trusts the table."""
    import tradeviz
    from tradeviz.store.processed import TableError

    build(default_plan_hs4)
    gen = (default_plan_hs4 / "processed").resolve()
    victim = sorted((gen / "mirror").glob("year=*/part-0.parquet"))[0]
    victim.unlink()
    with pytest.raises(TableError, match=f"partition {victim} is missing"):
        tradeviz.open(default_plan_hs4)
    doc = json.loads((gen / "_partitions.json").read_text())
    doc["partitions"]["flows/../../../etc/passwd"] = {"inputs": [], "rows": 1}
    (gen / "_partitions.json").write_text(json.dumps(doc))
    with pytest.raises(TableError, match="outside flows/"):
        read_table(gen, "flows")


def test_arrow_types_written_without_pandas_match_what_pandas_writes():
    """schema.arrow_schema (the world layer's files, a world-only build's empty tables)
    gives each column the Arrow type pandas gives the same schema dtype."""
    import pyarrow as pa

    from tradeviz.schema import TABLES, arrow_schema, empty_frame

    for name, (fields, _, _) in TABLES.items():
        ours = arrow_schema(fields)
        theirs = pa.Schema.from_pandas(empty_frame(fields), preserve_index=False)
        assert ours.names == theirs.names, name
        for field in ours:
            other = theirs.field(field.name).type
            text = pa.types.is_string(field.type) and pa.types.is_large_string(other)
            assert field.type == other or text, (name, field.name, field.type, other)
