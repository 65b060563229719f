"""tradeviz.open() and the Dataset methods, on small frames whose answers are known and on
the (synthetic) demo tables."""

from __future__ import annotations

import pandas as pd
import pytest

import tradeviz
from tradeviz.analysis.dataset import Dataset, TablesMissingError, growth_table
from tradeviz.analysis.filters import FilterError
from tradeviz.schema import FLOWS_FIELDS, FOCUS_FIELDS, conform

FIVE = ("KAZ", "KGZ", "TJK", "TKM", "UZB")


def _flow(
    reporter,
    partner,
    flow,
    year,
    value,
    code="TOTAL",
    rev="H5",
    source="comtrade",
    freq="A",
    month=pd.NA,
    qty=None,
    unit=None,
):
    return {
        "source": source,
        "freq": freq,
        "year": year,
        "month": month,
        "quarter": pd.NA,
        "reporter": reporter,
        "partner": partner,
        "flow": flow,
        "hs_rev": rev if code != "TOTAL" else None,
        "hs_code": code,
        "hs_level": 0 if code == "TOTAL" else len(code),
        "value_usd": float(value),
        "qty": qty,
        "qty_unit": unit,
        "synthetic": False,
        "snapshot": "abc",
    }


def _focus(row: dict, area: str, match: str) -> dict:
    return {**row, "area": area, "subarea": "", "match": match, "rule_id": "r"}


@pytest.fixture
def ds() -> Dataset:
    rows = []
    for year, scale in ((2022, 1.0), (2023, 1.5)):
        for i, iso in enumerate(FIVE):
            rows += [
                _flow("CHN", iso, "export", year, (i + 1) * 1e9 * scale),
                _flow("CHN", iso, "import", year, (i + 1) * 0.5e9 * scale),
            ]
        rows += [
            _flow("KGZ", "CHN", "import", year, 1.2e9 * scale),
            _flow("KGZ", "CHN", "export", year, 0.3e9 * scale),
            _flow("KGZ", "WLD", "import", year, 6e9 * scale),
            _flow("KGZ", "WLD", "export", year, 4e9 * scale),
        ]
    # China's HS6 exports to KAZ in 2023 (sum 1.5e9, the TOTAL row) and 2022.
    hs = [
        _flow("CHN", "KAZ", "export", 2023, 9e8, "271121", qty=3e8, unit="kg"),
        _flow("CHN", "KAZ", "export", 2023, 4e8, "851713", qty=1e6, unit="u"),
        _flow("CHN", "KAZ", "export", 2023, 2e8, "610910", qty=None, unit="N/A"),
        _flow("CHN", "KAZ", "export", 2022, 6e8, "271121", qty=2e8, unit="kg"),
        _flow("CHN", "KAZ", "export", 2022, 4e8, "851713", qty=1e6, unit="u"),
    ]
    flows = conform(pd.DataFrame(rows + hs), FLOWS_FIELDS)
    focus = conform(
        pd.DataFrame(
            [
                _focus(hs[0], "energy", "full"),
                _focus(hs[1], "ict", "full"),
                _focus(hs[1], "ecommerce_consumer", "partial"),
                _focus(hs[2], "ecommerce_consumer", "partial"),
                _focus(hs[3], "energy", "full"),
                _focus(hs[4], "ict", "full"),
            ]
        ),
        FOCUS_FIELDS,
    )
    return Dataset.from_frames(flows, focus=focus, meta={"synthetic": False})


def test_totals_have_a_ca5_row_equal_to_the_five(ds):
    t = ds.totals()
    ca5 = t[t["partner"] == "CA5"].set_index("year")
    assert ca5.loc[2023, "exports_usd"] == pytest.approx(15e9 * 1.5)
    assert ca5.loc[2023, "total_usd"] == pytest.approx(22.5e9 * 1.5)
    kaz = t[t["partner"] == "KAZ"].set_index("year")
    assert kaz.loc[2022, "balance_usd"] == pytest.approx(0.5e9)
    # KAZ has both a TOTAL row and HS6 rows: the total is counted once.
    assert kaz.loc[2023, "exports_usd"] == pytest.approx(1.5e9)
    only_two = ds.totals(partners=["kaz", "uzb"])
    assert set(only_two["partner"]) == {"KAZ", "UZB"}  # no CA5 for a subset


def test_growth_yoy_and_cagr(ds):
    g = ds.growth()
    row = g[(g["partner"] == "CA5") & (g["measure"] == "total") & (g["year"] == 2023)].iloc[0]
    assert row["yoy"] == pytest.approx(0.5) and row["cagr"] == pytest.approx(0.5)
    assert pd.isna(g[g["year"] == 2022]["yoy"]).all()
    long = pd.DataFrame({"k": "a", "year": [2010, 2012, 2013], "value_usd": [100.0, 121.0, 0.0]})
    out = growth_table(long, ["k"]).set_index("year")
    assert out.loc[2012, "cagr"] == pytest.approx(0.1)
    assert pd.isna(out.loc[2012, "yoy"])  # 2011 missing: no year-on-year change
    assert out.loc[2013, "yoy"] == pytest.approx(-1.0)


def test_shares_from_both_sides(ds):
    s = ds.shares().set_index(["country", "year"])
    kgz = s.loc[("KGZ", 2023)]
    assert kgz["share_partner_reported"] == pytest.approx(1.5 / 10)
    assert kgz["share_china_reported"] == pytest.approx(2 * 1.5 * 1.5 / (10 * 1.5))
    assert pd.isna(s.loc[("KAZ", 2023), "share_partner_reported"])  # KAZ reports no World


def test_top_products_share_change_unit_value_and_areas(ds):
    top = ds.top_products("kaz", "export", n=2)
    assert top["hs_code"].tolist() == ["271121", "851713"]
    first = top.iloc[0]
    assert first["share"] == pytest.approx(0.6)  # of the TOTAL row, 1.5e9
    assert first["change"] == pytest.approx(0.5)
    assert first["unit_value_usd"] == pytest.approx(3.0)
    assert first["areas"] == "energy" and first["area"] == "energy"
    assert top.iloc[1]["areas"] == "ict; ecommerce_consumer (partial)"
    assert top.iloc[1]["year"] == 2023
    third = ds.top_products("KAZ", "export", n=3).iloc[2]
    assert pd.isna(third["unit_value_usd"]) and pd.isna(third["change"])


def test_by_area_keeps_partial_remainder_apart_and_sums_to_total(ds):
    a = ds.by_area(partners=["KAZ"], flow="export").set_index(["year", "area", "match"])
    assert a.loc[(2023, "energy", "full"), "value_usd"] == 9e8
    assert a.loc[(2023, "ict", "full"), "value_usd"] == 4e8  # its full area wins
    assert a.loc[(2023, "ecommerce_consumer", "partial"), "value_usd"] == 2e8
    assert a.xs(2023)["value_usd"].sum() == pytest.approx(1.5e9)


def test_filters_are_checked_and_narrow_every_method(ds):
    kaz = ds.filter(years="2023", countries="kaz")
    assert set(kaz.totals()["partner"]) == {"KAZ"} and set(kaz.totals()["year"]) == {2023}
    assert kaz.filters == {"years": [2023, 2023], "countries": ["KAZ"]}
    with pytest.raises(FilterError, match="'XYZ'.*KAZ, KGZ"):
        ds.filter(countries=["XYZ"])
    with pytest.raises(FilterError, match="no data for years 2030-2035; the tables hold 2022-2023"):
        ds.filter(years="2030-2035")
    with pytest.raises(FilterError, match="YYYY"):
        ds.filter(years="abc")


def test_open_errors_name_directory_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(TablesMissingError) as err:
        tradeviz.open()
    text = str(err.value)
    assert str(tmp_path / "nothing" / "processed") in text and "tradeviz build" in text
    assert "tradeviz demo" in text


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from tradeviz.demo.data import write_demo_raw
    from tradeviz.transform.build import build

    root = tmp_path_factory.mktemp("dsdemo") / "data"
    write_demo_raw(root / "raw")
    build(root)
    return root


def test_open_relative_env_from_notebooks_dir(demo_dir, tmp_path, monkeypatch):
    """A kernel runs in notebooks/: a relative TRADEVIZ_DATA_DIR still finds the tables when
    it names a directory of the checkout; explicit paths win."""
    ds = tradeviz.open(demo_dir)
    assert ds.synthetic and ds.provenance["synthetic"] is True
    assert ds.provenance["snapshots"] and ds.provenance["raw_manifest_sha256"]
    monkeypatch.chdir(demo_dir)
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", ".")
    assert tradeviz.open().data_dir == demo_dir


def test_demo_answers_agree_with_published_calibration(demo_dir):
    ds = tradeviz.open(demo_dir)
    ca5 = ds.totals().query("partner == 'CA5'").set_index("year")
    assert ca5.loc[2024, "total_usd"] == pytest.approx(94.82e9, rel=0.02)
    assert ds.top_products("TKM", "import").iloc[0]["hs_code"] == "271121"
    m = ds.mirror()
    assert {"CHN->KAZ", "KAZ->CHN"} <= set(m["direction"])
    tkm = m[m["direction"] == "CHN->TKM"]
    assert tkm["ratio"].isna().all()  # Turkmenistan reports nothing: no ratio invented
    ch = ds.mirror_chapters(n=3)
    assert (ch.groupby("direction")["rank"].max() <= 3).all()
    kaz = ch[ch["direction"] == "CHN->KAZ"]
    assert kaz["gap_usd"].abs().is_monotonic_decreasing
    monthly = ds.monthly()
    assert monthly["period"].nunique() == 12 and set(monthly["source"]) == {"imf"}
    ytd = ds.year_to_date()
    assert (ytd["months"] == 9).all() and ytd["period"].iloc[0] == "2025-01 to 2025-09"
    area = ds.by_area()
    per = area.groupby(["year", "flow"])["value_usd"].sum()
    tot = area.groupby(["year", "flow"])["total_usd"].first()
    assert (per - tot).abs().max() < 1


def test_every_method_returns_the_columns_the_data_dictionary_documents(ds):
    from tradeviz.schema import DATASET_FRAMES

    frames = {
        "totals": ds.totals(),
        "shares": ds.shares(),
        "top_products": ds.top_products("KAZ"),
        "by_area": ds.by_area(),
        "area_detail": ds.area_detail("energy", "export"),
        "mirror_summary": ds.mirror(),
        "mirror_chapters": ds.mirror_chapters(),
        "monthly": ds.monthly(),
        "year_to_date": ds.year_to_date(),
        "imf_vs_comtrade": ds.imf_vs_comtrade(),
    }
    for name, frame in frames.items():
        documented = [f.name for f in DATASET_FRAMES[name][0]]
        assert list(frame.columns) == documented, name
    growth = ds.growth()
    assert list(growth.columns)[3:] == [f.name for f in DATASET_FRAMES["growth"][0]][1:]


def test_open_from_a_checkouts_notebooks_dir_falls_back_to_the_demo(
    demo_dir, tmp_path, monkeypatch
):
    """After `make demo`, a kernel started in notebooks/ with no TRADEVIZ_DATA_DIR finds the
    demo's tables when the checkout has no real ones, and says so; real tables win."""
    root = tmp_path / "checkout"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "tradeviz"\n')
    (root / "demo-data").symlink_to(demo_dir)
    monkeypatch.chdir(root / "notebooks")
    monkeypatch.delenv("TRADEVIZ_DATA_DIR", raising=False)
    ds = tradeviz.open()
    assert ds.data_dir == root / "demo-data" and ds.synthetic
    assert "SYNTHETIC" in ds.origin and str(root / "data" / "processed") in ds.origin
    (root / "data").symlink_to(demo_dir)  # "real" tables now exist: they are used
    assert tradeviz.open().data_dir == root / "data"


def test_growth_of_products_and_areas(ds):
    p = ds.growth("products", country="kaz", flow="export").set_index(["hs_code", "year"])
    assert p.loc[("271121", 2023), "yoy"] == pytest.approx(0.5)  # 6e8 -> 9e8
    assert pd.isna(p.loc[("610910", 2023), "yoy"])  # new in 2023: no previous year
    # product rows are named like top_products': the full text and a label of whole words
    assert list(p.columns[:4]) == ["reporter", "partner", "flow", "description"]
    gas = p.loc[("271121", 2023)]
    assert (
        gas["description"].lower().startswith("petroleum gases") and "Natural gas" in gas["label"]
    )
    assert all(0 < len(t) <= 60 for t in p["label"])
    a = ds.growth("areas", partners=["KAZ"], flow="export")
    energy = a[(a["area"] == "energy") & (a["match"] == "full")].set_index("year")
    assert energy.loc[2023, "change_usd"] == pytest.approx(3e8)
    with pytest.raises(FilterError, match="totals, areas or products"):
        ds.growth("countries")


def test_filter_helpers_name_bad_values_and_valid_ones():
    from tradeviz.analysis.filters import check_areas, check_countries, parse_years

    assert parse_years("2018-2024") == (2018, 2024) and parse_years(" 2020 ") == (2020, 2020)
    with pytest.raises(FilterError, match="2024 is after 2018"):
        parse_years("2024-2018")
    assert check_countries("uzb,kaz") == ["KAZ", "UZB"]  # registry order, upper case
    with pytest.raises(FilterError, match="'CHN'.*KAZ, KGZ, TJK, TKM, UZB"):
        check_countries(["CHN"])
    assert check_areas("ICT, energy") == ["energy", "ict"]
    with pytest.raises(FilterError, match="'gold'.*critical_minerals"):
        check_areas("gold")


def test_open_follows_the_global_data_dir_before_the_env(demo_dir, tmp_path, monkeypatch):
    """tradeviz.open() takes the data dir from tradeviz.config: the CLI's --data-dir, then
    $TRADEVIZ_DATA_DIR; an explicit argument wins over both."""
    from tradeviz import config
    from tradeviz.analysis.dataset import resolve_data_dir

    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(tmp_path / "nothing"))
    assert resolve_data_dir() == (tmp_path / "nothing", "$TRADEVIZ_DATA_DIR")
    config.set_data_dir(demo_dir)
    assert resolve_data_dir() == (demo_dir, "--data-dir")
    assert tradeviz.open().data_dir == demo_dir
    assert resolve_data_dir(tmp_path)[0] == tmp_path
