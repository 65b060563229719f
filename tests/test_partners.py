"""Central Asia's partners (issue 13): groups, shares, ranks, mirror fallback, on data
fetched from the emulator with the partners plan and built like any raw layer."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeviz.analysis.arguments import FilterError
from tradeviz.analysis.partners import (
    PartnersError,
    china_first_year,
    headline_shares,
    mirror_values,
    partners,
)
from tradeviz.emulators import partners as panel
from tradeviz.extract import comtrade
from tradeviz.extract.comtrade.plan import every_country, partners_plan
from tradeviz.vocab.groups import UnknownGroupError, group, members

YEARS = ("2023", "2021", "2017", "2016")


@pytest.fixture(scope="module")
def flows(tmp_path_factory, corpus) -> pd.DataFrame:
    """The partners plan for four years (keyed tier, so few calls), read as the build
    reads the raw layer."""
    from tradeviz.emulators.comtrade import ComtradeEmulator
    from tradeviz.emulators.server import ServedApp
    from tradeviz.extract.http import HttpClient
    from tradeviz.store.raw import RawStore
    from tradeviz.transform.build import BuildReport, load_flows
    from tradeviz.transform.checks import validate

    data_dir = tmp_path_factory.mktemp("partners") / "data"
    mp = pytest.MonkeyPatch()
    with ServedApp(ComtradeEmulator(corpus=corpus)) as served:
        mp.setenv("TRADEVIZ_COMTRADE_URL", served.url)
        store = RawStore(data_dir / "raw")
        fetcher = comtrade.ComtradeFetcher(
            store, client=HttpClient("comtrade", rps=1000.0), api_key="k", progress=False
        )
        fetcher.run(partners_plan(YEARS, "2"), "A")
        fetcher.run(comtrade.default_plan(YEARS, "total"), "A")
    mp.undo()
    out = load_flows(RawStore(data_dir / "raw"), BuildReport())  # the build's flows table
    validate(out, "flows")
    return out


def test_group_membership_follows_accession_and_exit_dates():
    assert "GBR" in members("EU", 2019) and len(members("EU", 2019)) == 28
    assert "GBR" not in members("EU", 2020) and len(members("EU", 2020)) == 27
    assert "HRV" not in members("EU", 2012) and "HRV" in members("EU", 2013)
    assert members("EAEU", 2014) == ()
    assert set(members("EAEU", 2015)) == {"RUS", "KAZ", "BLR", "ARM", "KGZ"}
    assert set(members("CHN_CA5", 2005)) == {"CHN", "KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert all(group(k).sources for k in ("EU", "EAEU", "CA5", "CHN_CA5"))
    with pytest.raises(UnknownGroupError, match="EU, EAEU"):
        members("ASEAN", 2020)


def test_plan_asks_every_partner_and_every_reporter_at_total_and_hs2():
    groups = partners_plan(("2023",), "2")
    by_name = {g.name: g for g in groups}
    assert by_name["partners-total"].partners[0] == 0  # World comes from the same plan
    assert len(by_name["partners-total"].reporters) == 5
    assert {g.cmd for g in groups} == {"TOTAL", "AG2"}
    assert by_name["partners-mirror"].partners == (398, 417, 762, 795, 860)
    assert len(by_name["partners-mirror"].reporters) > 150
    assert 643 in every_country() and 97 not in every_country()  # Russia yes, EU aggregate no
    with pytest.raises(ValueError, match="--level 2 or total"):
        partners_plan(("2023",), "6")


def test_group_values_are_member_sums_for_member_years(flows):
    t = partners(flows, "KAZ", side="reported")
    own = flows[
        (flows.reporter == "KAZ") & (flows.hs_level == 0) & flows.flow.isin(["export", "import"])
    ]
    for year in (2016, 2017, 2021, 2023):
        for key in ("EU", "EAEU"):
            expected = own[
                (own.year == year) & own.partner.isin(members(key, year)) & (own.partner != "KAZ")
            ]["value_usd"].sum()
            got = t[(t.year == year) & (t.flow == "total") & (t.partner == key)]
            assert got["value_usd"].iloc[0] == pytest.approx(expected, rel=1e-12)
    gb = own[(own.partner == "GBR")].groupby("year")["value_usd"].sum()
    eu = t[(t.partner == "EU") & (t.flow == "total")].set_index("year")["value_usd"]
    uk_out = own[own.partner.isin(members("EU", 2021))].groupby("year")["value_usd"].sum()
    assert gb.loc[2017] > 0 and eu.loc[2021] == pytest.approx(uk_out.loc[2021])
    assert "EUR" not in set(t["partner"])  # no reported aggregate row is ever mixed in


def test_shares_sum_to_world_with_the_gap_as_unallocated(flows):
    t = partners(flows, "KAZ", side="reported")
    parts = t[t.kind.isin(["country", "unallocated"])]
    sums = parts.groupby(["year", "flow"])["share"].sum()
    assert len(sums) == 12 and ((sums - 1).abs() < 1e-9).all()
    world = t[t.kind == "world"].set_index(["year", "flow"])["value_usd"]
    wld = flows[
        (flows.reporter == "KAZ")
        & (flows.partner == "WLD")
        & (flows.year == 2023)
        & (flows.flow == "export")
    ]["value_usd"].iloc[0]
    assert world.loc[(2023, "export")] == wld
    gap = t[(t.kind == "unallocated") & (t.flow == "export")].set_index("year")["share"]
    # the emulator puts 1.2 % of World under "Areas, nes", which is not a country
    assert gap.between(0.011, 0.013).all() and len(gap) == 4


def test_ranks_and_the_year_china_became_first(flows):
    t = partners(flows, "KAZ")
    latest = t[(t.year == 2023) & (t.flow == "total") & (t.kind == "country")]
    assert latest["rank"].tolist() == sorted(latest["rank"].tolist())
    assert set(latest.head(2)["partner"]) == {"CHN", "RUS"}
    assert latest.set_index("partner").loc["CHN", "share"] > 0.15
    assert len(latest) >= 40  # dozens of partners
    first = china_first_year(flows, "KAZ").set_index("side")
    # the panel's China and Russia lines cross between 2021 and 2022 in both flows
    assert first.loc["reported", "label"] == "2023"
    assert china_first_year(flows, "TJK").set_index("side").loc["reported", "label"] == "not yet"
    kgz = china_first_year(flows, "KGZ").set_index("side").loc["reported"]
    assert kgz["label"] == "2016 or earlier" and bool(kgz["since_start"])


def test_a_year_without_own_report_falls_back_to_mirror(flows):
    t = partners(flows, "UZB", side="best")  # the emulator's Uzbekistan reports from 2017
    basis = t.groupby("year")["basis"].unique()
    assert list(basis.loc[2016]) == ["mirror"] and list(basis.loc[2017]) == ["reported"]
    assert t.loc[t.year == 2016, "is_estimate"].all()
    assert not t.loc[t.year == 2017, "is_estimate"].any()
    mirrored = mirror_values(flows, "UZB")
    russia = mirrored[
        (mirrored.year == 2016) & (mirrored.partner == "RUS") & (mirrored.flow == "import")
    ]["value_usd"].iloc[0]
    exported = flows[
        (flows.reporter == "RUS")
        & (flows.partner == "UZB")
        & (flows.year == 2016)
        & (flows.flow == "export")
    ]["value_usd"].iloc[0]
    assert russia == exported  # Russia's exports to Uzbekistan are Uzbekistan's imports


def test_turkmenistan_comes_out_as_mirror_estimates(flows):
    t = partners(flows, "TKM")
    assert set(t["basis"]) == {"mirror"} and t["is_estimate"].all()
    assert set(t["year"]) == {2016, 2017, 2021, 2023}
    total = t[(t.flow == "total") & (t.kind == "country")]
    assert (total.groupby("year")["partner"].first() == "CHN").all()
    assert partners(flows, "TKM", side="reported").empty
    iran = t[(t.partner == "IRN") & (t.flow == "total")]["year"]
    assert set(iran) == {2016, 2017}  # Iran stops reporting after 2018: no mirror row
    shares = headline_shares(t)
    assert set(shares["partner"]) == {"CHN", "RUS", "EU", "TUR", "rest"}
    year_sums = shares.groupby("year")["share"].sum()
    assert ((year_sums - 1).abs() < 1e-9).all()


def test_panel_shares_are_consistent():
    s = panel.shares(398, "X", 2020)
    assert sum(s.values()) == pytest.approx(1.0)
    assert len(s) > 40 and s[panel.AREAS_NES] == panel.NES_SHARE


def test_bad_arguments_name_the_fix(flows):
    with pytest.raises(PartnersError, match="reported, mirror, best"):
        partners(flows, "KAZ", side="both")
    with pytest.raises(PartnersError, match="ISO3"):
        partners(flows, "Kazakhstan")
    with pytest.raises(PartnersError, match=r"^years='abc': not a year"):
        partners(flows, "KAZ", years="abc")
    with pytest.raises(FilterError, match=r"^flow='totl': not known; use one of export"):
        headline_shares(partners(flows, "KAZ"), flow="totl")


def test_years_take_every_form_of_the_api_contract(flows):
    """Issue 21: a year as int or str, a span, or a list meaning exactly those years."""
    every = partners(flows, "KAZ")
    held = sorted(set(every["year"]))
    assert len(held) >= 2
    first, last = held[0], held[-1]
    assert set(partners(flows, "KAZ", years=last)["year"]) == {last}
    assert set(partners(flows, "KAZ", years=str(last))["year"]) == {last}
    assert set(partners(flows, "KAZ", years=[first, last])["year"]) == {first, last}
    span = set(partners(flows, "KAZ", years=f"{first}-{last}")["year"])
    assert span == set(held)


def test_china_and_world_rows_alone_claim_no_rank():
    """The default plan fetches a country's China and World rows only: China would be
    "first" among one partner, so no crossing year is claimed."""
    rows = [
        {
            "source": "comtrade",
            "freq": "A",
            "year": y,
            "reporter": "KAZ",
            "partner": p,
            "flow": f,
            "hs_level": 0,
            "hs_code": "TOTAL",
            "value_usd": v,
            "is_estimated": False,
            "synthetic": True,
        }
        for y in (2022, 2023)
        for f in ("export", "import")
        for p, v in (("CHN", 10.0), ("WLD", 100.0))
    ]
    flows = pd.DataFrame(rows)
    t = partners(flows, "KAZ", side="reported")
    assert (t["n_partners"] == 1).all()
    unallocated = t[(t.kind == "unallocated") & (t.flow == "total")]["share"]
    assert (unallocated == 0.9).all()
    first = china_first_year(flows, "KAZ").set_index("side")
    assert first.loc["reported", "label"] == "fewer than 10 partners"
    assert pd.isna(first.loc["reported", "first_year"])


def test_who_trades_chart_from_a_dataset(flows):
    from tradeviz.analysis.dataset import Dataset
    from tradeviz.charts import make
    from tradeviz.charts.partners import rank_table_data, who_trades_data

    ds = Dataset.from_frames(flows, meta={"synthetic": True})
    data = who_trades_data(ds)
    assert set(data["country"]) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    sums = data.groupby(["country", "year"])["share"].sum()
    assert ((sums - 1).abs() < 1e-9).all()
    assert data.loc[data.country == "TKM", "is_estimate"].all()
    firsts = data.groupby("country")["china_first"].first()
    assert firsts["TJK"] == "not yet" and firsts["KAZ"] == "2023"
    ranks = rank_table_data(ds)
    assert (ranks.groupby("country")["year"].max() == 2023).all()
    assert ranks[ranks.country == "TKM"]["is_estimate"].all()
    chart = make("who_trades", ds)
    assert chart.caption.startswith("SYNTHETIC") and "mirror reports" in chart.caption
    assert len(chart.data) == len(data)


def test_demo_partners_view_is_plausible_and_synthetic(tmp_path):
    from tradeviz.demo.data import write_demo_raw
    from tradeviz.store.raw import RawStore
    from tradeviz.transform.build import BuildReport, load_flows

    write_demo_raw(tmp_path / "raw")  # includes the partners view
    flows = load_flows(RawStore(tmp_path / "raw"), BuildReport())
    assert flows["synthetic"].all()
    kaz = partners(flows, "KAZ")
    latest = kaz[(kaz.year == 2024) & (kaz.flow == "total")].set_index("partner")
    assert 0.15 < latest.loc["CHN", "share"] < 0.3 and 0.12 < latest.loc["RUS", "share"] < 0.3
    assert latest.loc["RUS", "rank"] <= 2 and latest.loc["EU", "kind"] == "group"
    assert latest.loc["unallocated", "share"] == pytest.approx(0.017, abs=0.002)
    tkm = partners(flows, "TKM")
    assert set(tkm["basis"]) == {"mirror"} and tkm["is_estimate"].all()
    assert (
        tkm[(tkm.flow == "total") & (tkm["rank"] == 1) & (tkm.kind == "country")]["partner"]
        .eq("CHN")
        .all()
    )
    tjk = china_first_year(flows, "TJK").set_index("side")
    assert tjk.loc["reported", "label"] == "not yet"  # Russia stays first in the demo


def test_partners_frame_matches_its_documented_columns(flows):
    from tradeviz.schema import PARTNERS_FIELDS, data_dictionary

    t = partners(flows, "KGZ")
    assert list(t.columns) == [f.name for f in PARTNERS_FIELDS]
    for f in PARTNERS_FIELDS:
        assert str(t[f.name].dtype) == f.dtype, f.name
        if f.allowed is not None:
            assert set(t[f.name]) <= set(f.allowed), f.name
        if not f.nullable:
            assert t[f.name].notna().all(), f.name
    assert not t.duplicated(["country", "year", "basis", "flow", "partner"]).any()
    assert "## `partners`" in data_dictionary()


def test_report_section_names_the_basis(flows):
    from tradeviz.analysis.dataset import Dataset
    from tradeviz.report.partners import partners_section

    ds = Dataset.from_frames(flows)
    tkm = partners_section(ds, "TKM")
    assert "estimates" in tkm.lead and "mirror" in tkm.finding
    assert tkm.shown.iloc[0]["partner"] == "China" and "group" in set(tkm.shown["rank"])
    tjk = partners_section(ds, "TJK")
    assert tjk.finding.startswith("China is not yet Tajikistan's first partner")
    only_default = flows[flows.partner.isin(["CHN", "WLD"]) & (flows.reporter == "KAZ")]
    empty = partners_section(Dataset.from_frames(only_default), "KAZ")
    assert empty.raw.empty and "--plan partners" in empty.empty


@pytest.mark.parametrize("side", ["reported", "mirror", "best"])
def test_every_column_has_its_dictionary_dtype_for_every_side_and_country(flows, side):
    """Issue 23 item 13: TKM "best" (no own reports: the reported side is empty) gave
    value_usd and share as object dtype while KAZ's were float."""
    from tradeviz.schema import PARTNERS_FIELDS

    for country in ("KAZ", "KGZ", "TJK", "TKM", "UZB"):
        for years in (None, [2023], [1990]):  # 1990: no rows at all
            t = partners(flows, country, years=years, side=side)
            assert list(t.columns) == [f.name for f in PARTNERS_FIELDS]
            got = {f.name: str(t[f.name].dtype) for f in PARTNERS_FIELDS}
            assert got == {f.name: f.dtype for f in PARTNERS_FIELDS}, (country, side, years)
    tkm = partners(flows, "TKM", side="best")
    assert not tkm.empty and (tkm["value_usd"] > 0).all()
    assert tkm.loc[tkm.kind == "world", "share"].eq(1.0).all()
