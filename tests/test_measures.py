"""The standard measures (tradeviz.analysis.measures) against hand-worked examples, their
invariants, and RCA against an independent implementation (the Growth Lab's ecomplexity)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tradeviz.analysis import measures as m
from tradeviz.analysis.measures.panel import synthetic_world


def _world(rows: list[tuple[str, str, str, float]], year: int = 2023) -> pd.DataFrame:
    """World-table rows (reporter, flow, hs_code, value) in the contract's columns."""
    return pd.DataFrame(
        {
            "source": "comtrade",
            "freq": "A",
            "year": year,
            "level": 6,
            "reporter": [r[0] for r in rows],
            "partner": "WLD",
            "flow": [r[1] for r in rows],
            "hs_rev": "H5",
            "hs_code": [r[2] for r in rows],
            "value_usd": [float(r[3]) for r in rows],
            "net_weight_kg": np.nan,
            "qty": np.nan,
            "qty_unit": None,
            "is_estimated": False,
            "synthetic": True,
            "snapshot": "s",
        }
    )


def _rows(year_values: dict[int, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(y, k, float(v)) for y, d in year_values.items() for k, v in d.items()],
        columns=["year", "hs_code", "value_usd"],
    )


@pytest.fixture
def small_world() -> pd.DataFrame:
    # World (WLD) and the EU group also appear as reporters: neither may count again.
    return _world(
        [
            ("KAZ", "export", "270900", 60),
            ("KAZ", "export", "740311", 40),
            ("CHN", "export", "270900", 20),
            ("CHN", "export", "740311", 180),
            ("UZB", "export", "270900", 20),
            ("WLD", "export", "270900", 100),
            ("EUR", "export", "270900", 999),
            ("CHN", "import", "270900", 1000),
        ]
    )


# ------------------------------------------------------------------------------------ RCA
def test_rca_by_hand_with_the_world_as_the_sum_of_countries(small_world):
    w = m.WorldTotals.of(small_world, "export")
    r = m.rca(w).set_index(["reporter", "hs_code"])
    # world: 270900 = 60 + 20 + 20 = 100, 740311 = 220, total 320 (WLD and EUR left out)
    assert r.loc[("KAZ", "270900"), "world_product_usd"] == 100
    assert r.loc[("KAZ", "270900"), "world_total_usd"] == 320
    assert r.loc[("KAZ", "270900"), "rca"] == pytest.approx((60 / 100) / (100 / 320))  # 1.92
    assert r.loc[("KAZ", "740311"), "rca"] == pytest.approx((40 / 100) / (220 / 320))
    assert r.loc[("UZB", "270900"), "rca"] == pytest.approx(3.2)
    assert r.loc[("KAZ", "270900"), "rca_sym"] == pytest.approx(0.92 / 2.92)
    assert set(r.index.get_level_values("reporter")) == {"KAZ", "CHN", "UZB"}
    # invariant: sum_k RCA_ik * X_wk / X_w = sum_k X_ik / X_i = 1 for every country
    r = r.reset_index()
    r["_w"] = r["rca"] * r["world_product_usd"] / r["world_total_usd"]
    assert r.groupby("reporter")["_w"].sum().to_numpy() == pytest.approx([1.0, 1.0, 1.0])
    assert (r["rca_sym"] < 1).all() and (r["rca_sym"] > -1).all()


def test_reporters_in_different_hs_revisions_sum_to_hs2022_products():
    # 030510 (HS2017, fish meal) is 030910 in HS2022; 270900 is the same in both
    w = _world(
        [
            ("KAZ", "export", "030510", 10),
            ("KAZ", "export", "270900", 30),
            ("CHN", "export", "030910", 5),
            ("CHN", "export", "270900", 5),
        ]
    )
    w["hs_rev"] = ["H5", "H5", "H6", "H6"]
    totals = m.WorldTotals.of(w, "export")
    assert totals.product.xs(2023).to_dict() == {"030910": 15.0, "270900": 35.0}
    assert m.to_hs2022(
        pd.Series(["H5", "H6", "H5"]), pd.Series(["030510", "030910", "99"])
    ).tolist() == ["030910", "030910", "99"]


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside ecomplexity, on pandas 3
def test_rca_equals_ecomplexity_rca_to_1e9():
    ecomplexity = pytest.importorskip("ecomplexity").ecomplexity
    world = synthetic_world(n_reporters=40, years=[2021, 2022], level=2, seed=3)
    w = m.WorldTotals.of(world, "export")
    ours = m.rca(w)
    data = w.values.assign(reporter=w.values["reporter"].astype(str))
    data["hs_code"] = data["hs_code"].astype(str)
    cols = {"time": "year", "loc": "reporter", "prod": "hs_code", "val": "value_usd"}
    theirs = ecomplexity(data, cols, check_logsupermodularity=False, verbose=False)
    both = ours.merge(
        theirs[["year", "reporter", "hs_code", "rca"]], on=["year", "reporter", "hs_code"]
    )
    assert len(both) == len(ours) > 1000
    np.testing.assert_allclose(both["rca_x"], both["rca_y"], rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------ TCI
def test_complementarity_by_hand_and_contributions_add_up():
    imports = _rows({2023: {"A": 50, "B": 50}, 2022: {"A": 1}})
    exports = _rows({2023: {"A": 80, "C": 20}, 2021: {"A": 1}})
    by_year, parts = m.complementarity(imports, exports)
    # sum |m - x| = |.5 - .8| + |.5 - 0| + |0 - .2| = 1.0, so TC = 100 * (1 - 1/2) = 50
    assert by_year["year"].tolist() == [2023]  # only the years both sides have
    assert by_year["tci"].iat[0] == pytest.approx(50.0)
    assert parts.set_index("hs_code")["contribution"].to_dict() == pytest.approx(
        {"A": 50.0, "B": 0.0, "C": 0.0}
    )
    assert parts["contribution"].sum() == pytest.approx(by_year["tci"].iat[0])


def test_complementarity_bounds_on_a_panel():
    world = synthetic_world(n_reporters=30, years=[2022], level=4, seed=5)
    imp = m.WorldTotals.of(world, "import").of_country("CHN")
    for c in ("KAZ", "UZB", "KGZ"):
        exp = m.WorldTotals.of(world, "export").of_country(c)
        tci, parts = m.complementarity(imp, exp)
        assert 0 <= tci["tci"].iat[0] <= 100
        assert parts["contribution"].sum() == pytest.approx(tci["tci"].iat[0])
    same, _ = m.complementarity(imp, imp)
    assert same["tci"].iat[0] == pytest.approx(100.0)


# ------------------------------------------------------------------------ intensity, ESI
def test_intensity_by_hand_and_the_variant_leaving_i_out():
    s = lambda v: pd.Series({2023: float(v)})  # noqa: E731
    out = m.intensity(s(10), s(100), s(50), s(1000))
    assert out["intensity"].iat[0] == pytest.approx((10 / 100) / (50 / 1000))  # 2.0
    assert out["intensity_excl"].iat[0] == pytest.approx((10 / 100) / (40 / 900))  # 2.25


def test_similarity_by_hand_and_invariants():
    a = _rows({2023: {"A": 60, "B": 40}})
    b = _rows({2023: {"A": 30, "B": 30, "C": 40}})
    assert m.similarity(a, b)["esi"].iat[0] == pytest.approx(60.0)  # .3 + .3
    assert m.similarity(a, a)["esi"].iat[0] == pytest.approx(100.0)
    assert m.similarity(a, _rows({2023: {"Z": 5}}))["esi"].iat[0] == 0.0
    assert m.similarity(a, b)["esi"].iat[0] == m.similarity(b, a)["esi"].iat[0]


# --------------------------------------------------------------------------- concentration
def test_concentration_by_hand_and_a_single_product_is_one():
    v = _rows({2023: {"A": 500_000, "B": 300_000, "C": 200_000}, 2022: {"A": 7}})
    c = m.concentration(v, threshold_usd=250_000).set_index("year")
    assert c.loc[2023, "hhi"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert c.loc[2023, "hhi_norm"] == pytest.approx((0.38 - 1 / 3) / (1 - 1 / 3))
    assert c.loc[2023, "n_above"] == 2
    assert (c.loc[2023, "top1_share"], c.loc[2023, "top3_share"]) == pytest.approx((0.5, 1.0))
    assert c.loc[2022, ["hhi", "hhi_norm", "top1_share", "top10_share"]].tolist() == [1, 1, 1, 1]
    assert m.concentration(v).set_index("year").loc[2023, "n_above"] == 3  # UNCTAD: USD 100,000


# ---------------------------------------------------------------------------- Grubel-Lloyd
def test_grubel_lloyd_by_hand():
    x = _rows({2023: {"A": 30, "C": 20}})
    mm = _rows({2023: {"A": 10, "B": 50, "C": 20}})
    agg, per = m.intra_industry(x, mm)
    assert per.set_index("hs_code")["gl"].to_dict() == pytest.approx({"A": 0.5, "B": 0.0, "C": 1.0})
    assert agg["gl"].iat[0] == pytest.approx(60 / 130)
    assert per["gl"].between(0, 1).all() and agg["gl"].between(0, 1).all()


# ------------------------------------------------------------------- prices and volumes
def _priced(rows):
    return pd.DataFrame(
        rows, columns=["year", "hs_code", "value_usd", "qty", "qty_unit", "net_weight_kg"]
    )


def test_fisher_price_volume_by_hand_with_unit_change_and_outlier_left_out():
    rows = _priced(
        [
            (2021, "A", 100, 10, "kg", 10),  # unit values 10, 11, 11
            (2022, "A", 132, 12, "kg", 12),
            (2023, "A", 121, 11, "kg", 11),
            (2021, "B", 50, 5, "u", None),  # 10, 12, then its unit changes (no net weight)
            (2022, "B", 60, 5, "u", None),
            (2023, "B", 70, 5, "2u", None),
            (2021, "C", 10, 1, "kg", 1),  # 10, 10, 500: 50x its median in 2023
            (2022, "C", 10, 1, "kg", 1),
            (2023, "C", 500, 1, "kg", 1),
        ]
    )
    out, links = m.price_volume(rows)
    out = out.set_index("year")
    # 2021->2022 over A, B, C: Laspeyres 180/160, Paasche 202/180, value 202/160
    fisher = math.sqrt((180 / 160) * (202 / 180))
    assert out.loc[2022, "link_price"] == pytest.approx(fisher)
    assert out.loc[2022, "link_value"] == pytest.approx(202 / 160)
    # Fisher's volume index computed directly: sqrt(QL x QP) with QL = sum v0 q1/q0 / sum v0
    ql = (100 * 12 / 10 + 50 * 1 + 10 * 1) / 160
    qp = 202 / (132 * 10 / 12 + 60 + 10)
    assert out.loc[2022, "link_volume"] == pytest.approx(math.sqrt(ql * qp), rel=1e-12)
    # 2022->2023: B (unit change) and C (outlier) are left out; A alone, price relative 1
    assert (out.loc[2023, "n_unit_change"], out.loc[2023, "n_outliers"]) == (1, 1)
    assert out.loc[2023, "n_products"] == 1
    assert out.loc[2023, "link_price"] == pytest.approx(1.0)
    assert out.loc[2023, "link_volume"] == pytest.approx(121 / 132)
    assert out.loc[2023, "coverage"] == pytest.approx(121 / 691)
    assert out.loc[2022, "coverage"] == pytest.approx(1.0)
    assert out.loc[2023, "value_index"] == pytest.approx(100 * 202 / 160 * 121 / 132)
    # value = price x volume, and the points split the change exactly
    np.testing.assert_allclose(
        out["value_index"], out["price_index"] * out["volume_index"] / 100, rtol=1e-13
    )
    later = out.loc[[2022, 2023]]
    np.testing.assert_allclose(
        later["price_points"] + later["volume_points"], later["value_change"], rtol=1e-12
    )
    st = links.set_index(["year", "hs_code"])["status"]
    assert st[(2023, "B")] == "unit_change" and st[(2023, "C")] == "outlier"


def test_unit_change_falls_back_to_net_weight():
    rows = _priced(
        [(2022, "A", 100, 10, "u", 50), (2023, "A", 150, 3, "2u", 60)]  # kg: 2.0 -> 2.5
    )
    out, links = m.price_volume(rows)
    assert links["basis"].tolist() == ["kg"]
    assert out.set_index("year").loc[2023, "link_price"] == pytest.approx(2.5 / 2.0)
    assert out.set_index("year").loc[2023, "link_volume"] == pytest.approx(60 / 50)


def test_fisher_identity_on_a_panel():
    world = synthetic_world(n_reporters=12, years=range(2019, 2024), level=4, seed=9)
    rows = world[(world["reporter"] == "KAZ") & (world["flow"] == "export")]
    out, _ = m.price_volume(rows)
    assert len(out) == 5 and out["coverage"].iloc[1:].between(0.5, 1).all()
    np.testing.assert_allclose(
        out["value_index"], out["price_index"] * out["volume_index"] / 100, rtol=1e-12
    )


# ------------------------------------------------------------------------------ potential
def test_potential_by_hand():
    world = _world(
        [
            ("KAZ", "export", "100190", 60),
            ("KAZ", "export", "120510", 40),
            ("RUS", "export", "100190", 40),
            ("RUS", "export", "120510", 160),
        ]
    )
    w = m.WorldTotals.of(world, "export")
    china = _rows({2023: {"100190": 1000, "120510": 500}})
    actual = _rows({2023: {"100190": 100, "120510": 150}})
    p = m.potential(china, w, "KAZ", actual).set_index("hs_code")
    assert p.loc["100190", "potential_usd"] == pytest.approx(600)  # 1000 x 60/100
    assert p.loc["120510", "potential_usd"] == pytest.approx(100)  # 500 x 40/200
    assert p["gap_usd"].to_dict() == pytest.approx({"100190": 500, "120510": -50})
    assert p.index.tolist() == ["100190", "120510"]  # largest gap first
    assert p.loc["120510", "realised"] == pytest.approx(1.5)


# ----------------------------------------------------------------------------- complexity
def test_mean_pci_by_hand_and_ecomplexity_runs():
    pci = pd.DataFrame({"year": 2023, "hs_code": ["A", "B"], "pci": [1.0, -2.0]})
    basket = _rows({2023: {"A": 30, "B": 10, "Z": 60}})
    out = m.mean_pci(basket, pci)
    assert out["mean_pci"].iat[0] == pytest.approx((30 * 1 - 10 * 2) / 40)
    assert out["covered_usd"].iat[0] == 40 and out["value_usd"].iat[0] == 100
    pytest.importorskip("ecomplexity")
    world = synthetic_world(n_reporters=40, years=[2022], level=2, seed=4)
    pcis, ecis = m.complexity_tables(m.WorldTotals.of(world, "export"))
    assert pcis["pci"].notna().sum() > 50 and ecis["eci"].notna().sum() == 40
    assert ecis["eci"].mean() == pytest.approx(0, abs=1e-9)  # ecomplexity standardises ECI


def test_a_frame_without_the_needed_columns_is_one_clear_error(small_world):
    with pytest.raises(m.MeasureInputError, match="lacks column.*value_usd"):
        m.WorldTotals.of(small_world.drop(columns="value_usd"))
    with pytest.raises(m.MeasureInputError, match="the importer's import rows lacks column"):
        m.complementarity(pd.DataFrame({"year": [1]}), _rows({2023: {"A": 1}}))
