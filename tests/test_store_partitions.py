"""The processed store as hive partitions (issue 19): flows/source=…/year=…/, mirror/year=…/,
focus/year=…/ beside the single files; every partition valid Parquet with the schema and
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
    """Every table of a generation: the single files and the partitioned datasets."""
    out = {n: _sorted(pd.read_parquet(processed / f"{n}.parquet")) for n in FIELDS}
    out |= {f"{n}/": _dataset(processed, n) for n in FIELDS}
    out["focus_coverage"] = pd.read_parquet(processed / "focus_coverage.parquet")
    return out


def test_partitions_hold_exactly_the_single_files_rows(default_plan_hs4):
    build(default_plan_hs4)
    processed = (default_plan_hs4 / "processed").resolve()
    raw = {s.sha256 for s in RawStore(default_plan_hs4 / "raw").snapshots()}
    for table in FIELDS:
        single = _sorted(pd.read_parquet(processed / f"{table}.parquet"))
        assert len(single) > 100
        pd.testing.assert_frame_equal(_dataset(processed, table), single)
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
