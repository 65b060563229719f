"""The Dataset methods of issue 20 (ds.rca ... ds.complexity, tradeviz.analysis.structure) on
a SYNTHETIC world panel and bilateral rows in the world contract's columns. The Dataset's
`world` accessor answers ds.world(level, years, reporters, flow) from the in-memory panel as
the store's does (tests/test_structure_store.py runs the methods on a built store)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tradeviz.analysis import structure
from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.filters import FilterError
from tradeviz.analysis.measures.panel import (
    in_memory_world,
    synthetic_bilateral,
    synthetic_world,
)
from tradeviz.errors import WorldLayerMissingError
from tradeviz.vocab import hs

YEARS = [2021, 2022, 2023]


def _cut(world6: pd.DataFrame, level: int) -> pd.DataFrame:
    w = world6.assign(hs_code=world6["hs_code"].astype(str).str[:level], level=level)
    keys = ["year", "reporter", "partner", "flow", "hs_rev", "hs_code", "level"]
    out = w.groupby(keys, observed=True, as_index=False)[["value_usd"]].sum()
    return out.assign(synthetic=True)


@pytest.fixture(scope="module")
def panel() -> dict[int, pd.DataFrame]:
    w6 = synthetic_world(n_reporters=30, years=YEARS, level=6, seed=7)
    return {6: w6, 4: _cut(w6, 4), 2: _cut(w6, 2)}


@pytest.fixture(scope="module")
def ds(panel) -> Dataset:
    d = Dataset.from_frames(synthetic_bilateral(panel[6], seed=8), meta={"synthetic": True})
    d.world = in_memory_world(panel)  # the contract's accessor over the frames (fast)
    return d


def test_rca_matches_a_plain_pandas_computation_from_the_whole_table(ds, panel):
    r = ds.rca("kaz", years=(2022, 2022))
    assert set(r["year"]) == {2022} and (r["country"] == "KAZ").all()
    assert r["synthetic"].all() and r["basis"].str.contains("world layer").all()
    w = panel[6]
    ex = w[(w["flow"] == "export") & (w["year"] == 2022)]
    ex = ex.assign(reporter=ex["reporter"].astype(str), hs_code=ex["hs_code"].astype(str))
    # HS6 codes are read as HS2022 codes (the panel is HS2017): the reference's mapping
    to22 = hs.to_latest().query("rev == 'H5'").set_index("code")["hs6_h6"]
    ex["hs_code"] = ex["hs_code"].map(to22).fillna(ex["hs_code"])
    by_k = ex.groupby("hs_code")["value_usd"].sum()
    kaz = ex[ex["reporter"] == "KAZ"].groupby("hs_code")["value_usd"].sum()
    expect = (kaz / kaz.sum()) / (by_k[kaz.index] / ex["value_usd"].sum())
    got = r.set_index("hs_code")["rca"]
    pd.testing.assert_series_equal(
        got.sort_index(), expect.sort_index(), check_names=False, rtol=1e-12
    )


def test_complementarity_both_directions_and_contributions(ds):
    for ex, im in (("CHN", "KAZ"), ("KAZ", "CHN")):
        t = ds.complementarity(ex, im)
        assert t["year"].tolist() == YEARS and t["tci"].between(0, 100).all()
        parts = ds.complementarity(ex, im, years=2023, by_product=True)
        assert parts["contribution"].sum() == pytest.approx(t["tci"].iat[-1])
        assert (parts["exporter"] == ex).all() and (parts["importer"] == im).all()


def test_intensity_from_flows_and_world_totals(ds, panel):
    t = ds.intensity("KAZ", "CHN").set_index("year")
    f = ds.flows
    x = f[(f["reporter"] == "KAZ") & (f["partner"] == "CHN") & (f["flow"] == "export")]
    x_ij = x[x["year"] == 2023]["value_usd"].sum()
    w = panel[4]
    w23 = w[(w["year"] == 2023)]
    ex = w23[w23["flow"] == "export"]
    x_i = ex[ex["reporter"] == "KAZ"]["value_usd"].sum()
    m_j = w23[(w23["flow"] == "import") & (w23["reporter"] == "CHN")]["value_usd"].sum()
    expect = (x_ij / x_i) / (m_j / ex["value_usd"].sum())
    assert t.loc[2023, "intensity"] == pytest.approx(expect, rel=1e-9)
    assert "KAZ's reported exports" in t.loc[2023, "basis"]
    # Turkmenistan reports nothing: China's reported imports from it stand in (mirror)
    assert ds.intensity("TKM", "CHN")["basis"].str.contains("mirror").all()


def test_similarity_in_the_world_and_in_china(ds):
    w = ds.similarity("KAZ", "UZB")
    assert w["esi"].between(0, 100).all() and (w["market"] == "WLD").all()
    assert ds.similarity("KAZ", "KAZ")["esi"].to_numpy() == pytest.approx(100.0)
    c = ds.similarity("KAZ", "UZB", market="CHN")
    assert c["esi"].between(0, 100).all() and c["basis"].str.startswith("CHN").all()
    with pytest.raises(
        FilterError, match="market='TJK': no product rows of TJK's imports from KAZ"
    ):
        ds.similarity("KAZ", "UZB", market="TJK")


def test_concentration_intra_industry_and_mirror_basis(ds):
    c = ds.concentration("KAZ", "export")
    assert c["hhi"].between(0, 1).all() and (c["hhi_norm"] <= c["hhi"]).all()
    gl = ds.intra_industry("KAZ", "CHN")
    assert gl["gl"].between(0, 1).all() and gl["basis"].str.startswith("KAZ").all()
    per = ds.intra_industry("KAZ", "CHN", years=2023, by_product=True)
    assert per["gl"].between(0, 1).all()
    assert ds.intra_industry("TKM", "CHN")["basis"].str.contains("mirror").all()


def test_price_volume_bilateral_world_and_codes(ds):
    pv = ds.price_volume("CHN", "KAZ", "import")
    assert pv["year"].tolist() == YEARS and pv["coverage"].iloc[1:].between(0, 1).all()
    np.testing.assert_allclose(
        pv["value_index"], pv["price_index"] * pv["volume_index"] / 100, rtol=1e-12
    )
    world = ds.price_volume("KAZ", "wld", "export", years=(2022, 2023))
    assert world["partner"].eq("WLD").all() and len(world) == 2
    one = ds.price_volume("CHN", "KAZ", "import", codes=["27"])
    assert one["value_usd"].iat[0] < pv["value_usd"].iat[0]


def test_potential_lists_the_largest_gaps_with_tags(ds):
    p = ds.potential("KAZ", n=5)
    assert p.groupby("year").size().tolist() == [5, 5, 5]
    top = p[p["year"] == 2023]
    assert top["gap_usd"].is_monotonic_decreasing
    expect = top["market_imports_usd"] * top["country_exports_usd"] / top["world_exports_usd"]
    np.testing.assert_allclose(top["potential_usd"], expect, rtol=1e-12)
    agri = ds.potential("KAZ", area="agriculture", years=2023, n=3)
    assert len(agri) == 3 and agri["areas"].str.contains("agriculture").all()


def test_potential_takes_area_one_or_a_list_and_areas_as_its_old_name(ds):
    one = ds.potential("KAZ", area="agriculture", years=2023, n=None)
    pd.testing.assert_frame_equal(one, ds.potential("KAZ", areas="agriculture", years=2023, n=None))
    assert ds.potential("KAZ", "Agriculture", 2023, n=None)["hs_code"].tolist() == (
        one["hs_code"].tolist()
    )
    both = ds.potential("KAZ", area=["agriculture", "energy"], years=2023, n=None)
    energy = ds.potential("KAZ", area="energy", years=2023, n=None)
    assert set(both["hs_code"]) == set(one["hs_code"]) | set(energy["hs_code"])
    assert len(energy) and not energy["areas"].str.contains("agriculture").all()
    for kw, shown in (({"area": "farming"}, "area='farming'"), ({"areas": "x"}, "areas='x'")):
        with pytest.raises(FilterError) as err:
            ds.potential("KAZ", **kw)
        text = str(err.value)
        assert text.startswith(f"{shown}: not known; use one of energy") and "\n" not in text
        assert "agriculture" in text
    with pytest.raises(FilterError, match="areas='energy': given with area="):
        ds.potential("KAZ", area="agriculture", areas="energy")


def test_potential_measures_only_years_the_world_layer_holds(panel):
    """Flows of a year the world layer lacks (2024 here) would give potential 0 and every
    gap negative: the year is left out and basis says so; without CHN's imports or the
    country's exports in any year, one line names the fetch."""
    flows = synthetic_bilateral(panel[6], seed=8)
    later = flows[flows["year"] == 2023].assign(year=2024)
    d = Dataset.from_frames(pd.concat([flows, later], ignore_index=True), meta={})
    d.world = in_memory_world(panel)
    p = d.potential("KAZ", n=None)
    assert sorted(set(p["year"])) == YEARS and (p["potential_usd"] > 0).any()
    assert "2024 left out" in p["basis"].iat[0]
    t = d.intensity("KAZ", "CHN")  # the other measures that read flows beside the world
    assert t["year"].tolist() == YEARS and "2024 left out" in t["basis"].iat[0]
    if importlib.util.find_spec("ecomplexity"):
        c = d.complexity("KAZ", level=2)
        assert c["year"].tolist() == YEARS and "2024 left out" in c["basis"].iat[0]
    w = {k: v[~((v["reporter"] == "KAZ") & (v["flow"] == "export"))] for k, v in panel.items()}
    d = Dataset.from_frames(flows, meta={})  # a new view: sums are kept per view
    d.world = in_memory_world(w)
    with pytest.raises(WorldLayerMissingError) as err:
        d.potential("KAZ")
    text = str(err.value)
    assert "KAZ's exports" in text and "--plan world --level 6" in text and "\n" not in text
    from tradeviz.analysis.structure_findings import structure_findings
    from tradeviz.charts.structure import potential_data

    lines = structure_findings(d, "KAZ")  # the section goes on without the potential
    assert lines and not any("potential" in line for line in lines)
    assert set(potential_data(d, ["KAZ", "UZB"], level=6)["country"]) == {"UZB"}


def test_complexity_from_ecomplexity(ds):
    pytest.importorskip("ecomplexity")
    c = ds.complexity("KAZ", level=2)  # HS4, the default, takes ecomplexity ~4 s a year
    assert c["year"].tolist() == YEARS and c["eci"].notna().all()
    assert c["mean_pci_world"].notna().all() and c["mean_pci_china"].notna().all()
    assert (c["covered_usd_world"] <= c["value_usd_world"] + 1e-6).all()


def test_arguments_are_checked_and_a_missing_layer_names_its_fetch(ds):
    with pytest.raises(FilterError, match="country='XXX': unknown country"):
        ds.rca("XXX")
    with pytest.raises(FilterError, match="level=5: not an HS level"):
        ds.rca("KAZ", level=5)
    with pytest.raises(FilterError, match="flow='exports': not known"):
        ds.concentration("KAZ", "exports")
    with pytest.raises(FilterError, match="codes='gas': not an HS code"):
        ds.price_volume("CHN", "TKM", "import", codes=["gas"])
    with pytest.raises(FilterError, match="n=-1: below 1"):
        ds.potential("KAZ", n=-1)
    with pytest.raises(FilterError, match="country='RUS': unknown country; use ISO3, one of KAZ"):
        ds.potential("RUS")
    with pytest.raises(structure.WorldLayerMissingError, match="--plan world --level 6"):
        Dataset.from_frames(ds.flows).rca("KAZ")


def test_every_method_returns_the_columns_the_data_dictionary_documents(ds):
    from tradeviz.schema import MEASURE_FRAMES

    frames = {
        "rca": ds.rca("KAZ"),
        "complementarity": ds.complementarity("CHN", "UZB"),
        "complementarity_products": ds.complementarity("CHN", "UZB", by_product=True),
        "intensity": ds.intensity("CHN", "KGZ"),
        "similarity": ds.similarity("KAZ", "TJK"),
        "concentration": ds.concentration("TJK", "import"),
        "intra_industry": ds.intra_industry("CHN", "UZB"),
        "intra_industry_products": ds.intra_industry("CHN", "UZB", by_product=True),
        "price_volume": ds.price_volume("CHN", "TKM", "import"),
        "potential": ds.potential("UZB"),
        "complexity": ds.complexity("UZB", level=2),
    }
    for name, frame in frames.items():
        fields = MEASURE_FRAMES[name][0]
        assert list(frame.columns) == [f.name for f in fields], name
        assert len(frame), name
        for f in fields:
            if f.dtype in ("float64", "int64", "bool", "Int64"):
                assert str(frame[f.name].dtype) == f.dtype, (name, f.name)


def test_structure_charts_are_written_with_csv_and_json_sidecars(ds, tmp_path):
    import json

    from tradeviz.charts.structure import write_structure_charts

    paths = write_structure_charts(ds, tmp_path)
    names = {"tci", "rca_focus", "price_volume", "potential_agriculture"}
    assert {p.name for p in paths} == {f"{n}.{e}" for n in names for e in ("png", "csv", "json")}
    for n in names:
        meta = json.loads((tmp_path / f"{n}.json").read_text())
        assert meta["synthetic"] is True and meta["caption"].startswith("SYNTHETIC")
        csv = pd.read_csv(tmp_path / f"{n}.csv")
        assert len(csv) == meta["rows"] > 0 and list(csv.columns) == meta["columns"]
    tci = pd.read_csv(tmp_path / "tci.csv")
    assert set(tci["country"]) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert tci["tci"].between(0, 100).all()
    agri = pd.read_csv(tmp_path / "potential_agriculture.csv")
    assert agri["areas"].str.contains("agriculture").all()


def test_structure_findings_state_the_methods_numbers(ds):
    from tradeviz.analysis.structure_findings import structure_findings

    lines = structure_findings(ds, "kaz")
    assert lines[0].startswith("SYNTHETIC")
    tci = ds.complementarity("CHN", "KAZ").iloc[-1]
    assert f"China→KAZ {tci['tci']:.0f} in {int(tci['year'])}" in lines[1]
    pv = ds.price_volume("CHN", "KAZ", "import").iloc[-1]
    split = next(line for line in lines if line.startswith("China's imports from KAZ"))
    assert f"{pv['price_points']:+.1f} points from unit values" in split
    agri = ds.potential("KAZ", area="agriculture", n=3)
    top = agri[agri["year"] == agri["year"].max()]["hs_code"].tolist()
    assert all(k in lines[-1] for k in top) and "agricultural" in lines[-1]
