"""The world layer (issue 19): the emulator's world panel, the world plan, its build into
world/level=<L>/year=<y>/, and the reads (ds.world, ds.sql) of the measures' contract."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

import tradeviz
from tradeviz.analysis.filters import FilterError
from tradeviz.cli import main
from tradeviz.emulators import world as panel
from tradeviz.emulators.comtrade import ComtradeEmulator, revision
from tradeviz.errors import WorldLayerMissingError
from tradeviz.extract.comtrade import KEYED_CAP, PREVIEW_CAP
from tradeviz.extract.comtrade.world_plan import (
    auto_world_level,
    estimate_world_calls,
    world_plan,
)
from tradeviz.store.raw import RawStore
from tradeviz.transform.world_inputs import covers, is_world
from tradeviz.vocab import countries, hs

CONTRACT_COLUMNS = [
    "source",
    "freq",
    "year",
    "level",
    "reporter",
    "partner",
    "flow",
    "hs_rev",
    "hs_code",
    "value_usd",
    "net_weight_kg",
    "qty",
    "qty_unit",
    "is_estimated",
    "synthetic",
    "snapshot",
]
PINNED = {"customsCode": "C00", "motCode": "0", "partner2Code": "0"}
SCALE = 0.02  # the world panel's product lines scaled down: a fetch of three years stays small


@pytest.fixture(scope="module")
def emulator(corpus) -> ComtradeEmulator:
    return ComtradeEmulator(corpus=corpus)


# ------------------------------------------------------------------------ the world panel
def test_panel_has_about_two_hundred_reporters_all_countries():
    reps = panel.reporters()
    assert 180 <= len(reps) <= 230
    kinds = {countries.BY_COMTRADE[c].kind for c in reps}
    assert kinds == {"country"} and 0 not in reps
    assert {156, 398, 417, 762, 795, 860} <= set(reps)


def test_panel_products_are_the_real_hs6_list_of_the_reporters_revision(emulator):
    for reporter, year in ((4, 2021), (398, 2010), (156, 2023), (76, 2005)):
        rev = revision(reporter, year)
        values = panel.values(emulator, reporter, "M", year)
        assert len(values) > 50
        assert all(hs.exists(code, rev) and len(code) == 6 for code in values), rev


def test_panel_exports_are_concentrated_in_a_few_products(emulator):
    """Each country's top five exports carry most of its exports (median over reporters
    above a half), far more than an even spread would give; imports are broader."""
    top5_x, top5_m = [], []
    for reporter in panel.reporters()[::5]:
        for flow, out in (("X", top5_x), ("M", top5_m)):
            v = np.array(sorted(panel.values(emulator, reporter, flow, 2021).values()))[::-1]
            if len(v) >= 20:
                out.append(v[:5].sum() / v.sum())
    assert np.median(top5_x) > 0.5 and np.median(top5_m) < np.median(top5_x)
    kaz = panel.values(emulator, 398, "X", 2021)
    assert sorted(kaz, key=kaz.get)[-2:] == ["740311", "270900"]  # copper under crude oil


def test_totals_are_sums_of_product_rows_at_every_level(emulator):
    for reporter in (4, 156, 398, 842):
        total = emulator._cell("A", reporter, 0, "2021", "X", ["TOTAL"], PINNED)
        six = emulator._cell("A", reporter, 0, "2021", "X", ["AG6"], PINNED)
        four = emulator._cell("A", reporter, 0, "2021", "X", ["AG4"], PINNED)
        assert total and six and four
        value = total[0]["primaryValue"]
        assert sum(r["primaryValue"] for r in six) == pytest.approx(value, rel=1e-9)
        assert sum(r["primaryValue"] for r in four) == pytest.approx(value, rel=1e-9)
        heading = four[0]["cmdCode"]
        under = [r["primaryValue"] for r in six if r["cmdCode"].startswith(heading)]
        assert four[0]["primaryValue"] == pytest.approx(sum(under), rel=1e-12)
        assert {r["reporterISO"] for r in six} == {countries.BY_COMTRADE[reporter].iso3}
        assert {r["classificationCode"] for r in six} == {revision(reporter, 2021)}


def test_slice_totals_are_unchanged_by_the_world_panel(emulator):
    """China's and the five's World TOTAL is what the emulator answered before the world
    panel (their product rows add up to it)."""
    from tradeviz.emulators import partners

    china = emulator.leaf_values("A", 156, 0, "2021", "X")[1].sum()
    got = emulator._cell("A", 156, 0, "2021", "X", ["TOTAL"], PINNED)[0]["primaryValue"]
    assert got == pytest.approx(china)
    kaz = round(partners.world_value(emulator, 398, "M", 2021))
    rows = emulator._cell("A", 398, 0, "2021", "M", ["AG6"], PINNED)
    assert sum(r["primaryValue"] for r in rows) == pytest.approx(kaz, rel=1e-12)


# -------------------------------------------------------------------------- the world plan
def test_world_plan_is_every_country_with_the_world_at_one_level():
    (group,) = world_plan(("2021", "2020"), "4")
    assert group.partners == (0,) and group.cmd == "AG4" and len(group.reporters) > 200
    with pytest.raises(ValueError, match="--level 2, 4 or 6"):
        world_plan(("2021",), "total")


def test_keyless_default_level_fits_thirty_minutes_keyed_is_hs6():
    ten = tuple(str(y) for y in range(2024, 2014, -1))
    level = auto_world_level(ten, PREVIEW_CAP, rps=1.0, budget_minutes=30)
    assert level == "2"
    assert estimate_world_calls(world_plan(ten, "2"), PREVIEW_CAP) <= 30 * 60
    assert estimate_world_calls(world_plan(ten, "4"), PREVIEW_CAP) > 30 * 60
    assert auto_world_level(("2021",), PREVIEW_CAP, rps=1.0, budget_minutes=30) == "4"
    assert auto_world_level(ten, KEYED_CAP, rps=1.0, budget_minutes=30) == "6"


# -------------------------------------------------- fetch, build and read (done when)
def _cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def world_fetched(data_dir, comtrade_api, monkeypatch):
    """`tradeviz fetch comtrade --plan world --level 4 --years 2020-2022` against the
    emulator (keyed, product lines scaled down), then `tradeviz build`."""
    api = comtrade_api(scale=SCALE)
    monkeypatch.setenv("COMTRADE_API_KEY", "k")
    monkeypatch.setenv("TRADEVIZ_COMTRADE_RPS", "1000")
    fetched = _cli("fetch", "comtrade", "--plan", "world", "--level", "4", "--years", "2020-2022")
    built = _cli("build")
    return api, fetched.output, built.output


def _expected_rows(api: ComtradeEmulator, level: int, years) -> int:
    """Rows the panel holds, counted from the panel itself (independent of the build)."""
    return sum(
        len(panel._sums(api, r, f, y, level))
        for r in panel.reporters()
        for f in "XM"
        for y in years
    )


def test_world_fetch_and_build_count_every_record(world_fetched, data_dir):
    api, fetched, built = world_fetched
    store = RawStore(data_dir / "raw")
    records = sum(s.record["records"] for s in store.current_snapshots(("comtrade",)))
    assert all(is_world(s) for s in store.snapshots("comtrade"))
    want = _expected_rows(api, 4, (2020, 2021, 2022))
    assert records == want and f"{want} rows" in fetched
    ds = tradeviz.open(data_dir)
    assert ds.sql("select count(*) as n from world")["n"].item() == want
    assert f"{want:,} rows in 3 partitions" in built
    by = ds.sql("select level, year, count(*) n from world group by all order by year")
    assert by["level"].tolist() == [4, 4, 4] and by["year"].tolist() == [2020, 2021, 2022]
    assert ds.flows.empty  # the world plan's rows are not bilateral flows
    assert ds.synthetic and ds.meta["synthetic"] is True  # labelled, the build's meta too


def test_world_rows_follow_the_contract(world_fetched, data_dir):
    ds = tradeviz.open(data_dir)
    w = ds.world(level=4)
    assert list(w.columns) == CONTRACT_COLUMNS
    assert set(w["partner"]) == {"WLD"} and set(w["flow"]) == {"export", "import"}
    assert set(w["level"]) == {4} and w["hs_code"].str.len().eq(4).all()
    known = {c.iso3 for c in countries.ALL if c.kind == "country"}
    assert set(w["reporter"]) <= known and "WLD" not in set(w["reporter"])
    assert w["synthetic"].all() and w["value_usd"].gt(0).all()
    assert not w.duplicated(["year", "reporter", "flow", "hs_rev", "hs_code"]).any()
    kaz = ds.world(level=4, years=2021, reporters=["kaz"], flow="export")
    assert set(kaz["reporter"]) == {"KAZ"} and set(kaz["year"]) == {2021}
    expect = w[(w.reporter == "KAZ") & (w.year == 2021) & (w.flow == "export")]
    assert kaz.reset_index(drop=True).equals(expect.reset_index(drop=True))
    assert len(ds.world(level=4, years="2021-2022")) == (w.year >= 2021).sum()
    picked = ds.world(level=4, years=[2020, 2022])  # a list means exactly those years
    assert set(picked["year"]) == {2020, 2022} and len(picked) == (w.year != 2021).sum()
    with pytest.raises(FilterError, match=r"^years=2019: no data for years 2019; the tables"):
        ds.world(level=4, years=2019)
    with pytest.raises(WorldLayerMissingError, match=r"^years=2021: no world layer at HS2"):
        ds.world(level=2, years=2021)
    with pytest.raises(WorldLayerMissingError, match=r"--plan world --level 6` then"):
        ds.world(level=6)
    with pytest.raises(FilterError, match="level=5: not an HS level"):
        ds.world(level=5)
    with pytest.raises(FilterError, match="reporters=.XXX.: unknown reporter"):
        ds.world(level=4, reporters="XXX")


def test_product_shares_and_world_totals_sql(world_fetched, data_dir):
    from tradeviz.analysis.world import product_shares_sql, world_totals_sql

    ds = tradeviz.open(data_dir)
    w = ds.world(level=4)
    shares = ds.sql(product_shares_sql(4))
    sums = shares.groupby(["reporter", "year", "flow"])["share"].sum()
    assert np.allclose(sums, 1.0)
    totals = ds.sql(world_totals_sql(4)).sort_values(["year", "flow", "hs_code"])
    want = w.groupby(["year", "flow", "hs_code"], as_index=False)["value_usd"].sum()
    assert np.allclose(totals["world_usd"].to_numpy(), want["value_usd"].to_numpy())


def test_world_build_is_incremental_and_equals_a_full_build(
    world_fetched, data_dir, monkeypatch, tmp_path
):
    before = (data_dir / "processed").resolve()
    _cli("fetch", "comtrade", "--plan", "world", "--level", "4", "--years", "2023")
    shutil.copytree(data_dir / "raw", tmp_path / "full" / "raw")
    again = _cli("build").output
    assert "(1 built, 3 reused unchanged, 0 dropped)" in again
    after = (data_dir / "processed").resolve()
    for year in (2020, 2021, 2022):
        rel = f"world/level=4/year={year}/part-0.parquet"
        assert os.stat(before / rel).st_ino == os.stat(after / rel).st_ino
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(tmp_path / "full"))
    _cli("build", "--full")
    full = (tmp_path / "full" / "processed").resolve()
    for year in (2020, 2021, 2022, 2023):
        rel = f"world/level=4/year={year}/part-0.parquet"
        assert (full / rel).read_bytes() == (after / rel).read_bytes(), rel
    read = [
        pads.dataset(p / "world", partitioning="hive").to_table().to_pandas() for p in (after, full)
    ]
    pd.testing.assert_frame_equal(*read)


def test_partitions_whose_inputs_are_gone_are_dropped(world_fetched, data_dir):
    """Snapshots of 2020 taken out of the manifest: the partitions only they fed are not
    carried into the next generation; the others stay (reused or rebuilt)."""
    store = RawStore(data_dir / "raw")
    gone = [s for s in store.snapshots("comtrade") if "2020" in s.record["params"]["period"]]
    left = {y for s in store.snapshots("comtrade") if s not in gone for _, y in covers(s)}
    dropped = {2020, 2021, 2022} - left
    assert gone and 2020 in dropped
    manifest = data_dir / "raw" / "manifest.jsonl"
    shas = {s.sha256 for s in gone}
    kept = [ln for ln in manifest.read_text().splitlines() if json.loads(ln)["sha256"] not in shas]
    manifest.write_text("\n".join(kept) + "\n")
    out = _cli("build").output
    processed = (data_dir / "processed").resolve()
    assert f"{len(dropped)} dropped" in out
    for year in (2020, 2021, 2022):
        assert (processed / "world" / "level=4" / f"year={year}").exists() == (year in left)
    years = tradeviz.open(data_dir).sql("select distinct year from world order by year")
    assert years["year"].tolist() == sorted(left)


def test_world_plan_is_annual_and_its_cli_says_so(data_dir):
    result = CliRunner().invoke(main, ["fetch", "comtrade", "--plan", "world", "--freq", "M"])
    assert result.exit_code != 0 and "--plan world is annual" in result.output
    result = CliRunner().invoke(main, ["fetch", "comtrade", "--plan", "world", "--level", "total"])
    assert result.exit_code != 0 and "--level 2, 4 or 6" in result.output
