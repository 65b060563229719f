"""What each chart plots: pure functions of a Dataset that return the plotted DataFrame
(the CSV the export writes). They only select and reshape what the Dataset methods return,
so a chart, its CSV and the API agree by construction."""

from __future__ import annotations

import pandas as pd

from tradeviz.analysis.dataset import CA5, Dataset
from tradeviz.vocab.countries import CA_ISO3

GAS = "271121"  # natural gas in the gaseous state: pipeline gas
MINERAL_GROUPS = {"copper": "Copper", "uranium": "Uranium"}


def total_trade(ds: Dataset) -> pd.DataFrame:
    """China-reported exports, imports, total and balance per country and year, and the
    CA5 row (the five together) when all five are shown."""
    return ds.totals().drop(columns=["month"]).reset_index(drop=True)


def trade_growth(ds: Dataset) -> pd.DataFrame:
    """Year-on-year change of China-reported total trade per country (and CA5)."""
    g = ds.growth("totals")
    return g[g["measure"] == "total"].reset_index(drop=True)


def china_share(ds: Dataset) -> pd.DataFrame:
    """China's share of each country's trade, from both reporting sides."""
    return ds.shares()


def focus_composition(ds: Dataset, areas: list[str] | None = None) -> pd.DataFrame:
    """China-reported trade (both flows) per year in each focus area it is fully attributed
    to, the partial remainder (codes only partly in an area) and other trade. With `areas`,
    the areas not chosen are folded into `other`."""
    a = ds.by_area()
    if areas:
        unchosen = ~a["area"].isin(areas) & (a["area"] != "other")
        a.loc[unchosen, ["area", "match"]] = ["other", "none"]
    a.loc[a["match"] == "partial", "area"] = "partial"
    out = a.groupby(["year", "area", "match"], as_index=False, sort=False)["value_usd"].sum()
    out["share"] = out["value_usd"] / out.groupby("year")["value_usd"].transform("sum")
    return out


def top_products(ds: Dataset, flow: str, n: int = 8) -> pd.DataFrame:
    """China's top `n` HS6 products with each shown country, latest year with products."""
    frames = [ds.top_products(iso, flow, n=n) for iso in ds.countries or CA_ISO3]
    frames = [f for f in frames if len(f)]
    if not frames:
        return ds.top_products(CA_ISO3[0], flow, n=n).iloc[0:0]
    return pd.concat(frames, ignore_index=True)


def energy_minerals(ds: Dataset) -> pd.DataFrame:
    """China's imports of pipeline gas by exporting country and of critical minerals by
    group, full matches apart from partial ones."""
    gas = ds.area_detail("energy", "import", by="partner", codes=[GAS])
    gas = gas.assign(panel="pipeline gas", series=gas["group"])
    mins = ds.area_detail("critical_minerals", "import", by="subarea")
    mins = mins.assign(
        panel="critical minerals",
        series=mins["group"].map(MINERAL_GROUPS).fillna("Other critical minerals"),
    )
    cols = ["panel", "year", "series", "match", "value_usd"]
    out = pd.concat([gas, mins], ignore_index=True)
    if out.empty:
        return pd.DataFrame(columns=cols)
    return out.groupby(cols[:-1], as_index=False, sort=False)["value_usd"].sum()[cols]


def agriculture_imports(ds: Dataset) -> pd.DataFrame:
    """China's agricultural imports per exporting country, full and partial matches."""
    return _detail(ds, "agriculture", "import", "partner", "country")


def ict_exports(ds: Dataset) -> pd.DataFrame:
    """China's ICT goods exports per OECD/UNCTAD category, full and partial matches."""
    return _detail(ds, "ict", "export", "subarea", "category")


def mirror_gaps(ds: Dataset) -> pd.DataFrame:
    """Both directions per country and year: exporter's and importer's reports, gap, ratio."""
    return ds.mirror()


def mirror_chapters(ds: Dataset, n: int = 5) -> pd.DataFrame:
    """The HS chapters that explain most of each direction's gap, latest year."""
    return ds.mirror_chapters(n=n)


def imf_vs_comtrade(ds: Dataset) -> pd.DataFrame:
    """China-reported annual trade per country and flow, UN Comtrade against IMF IMTS, as the
    % difference (IMF over Comtrade minus one)."""
    return ds.imf_vs_comtrade()


def latest_months(ds: Dataset, months: int = 12) -> pd.DataFrame:
    """The latest `months` months of China's trade with each country (and CA5)."""
    return ds.monthly(months=months)


def _detail(ds: Dataset, area: str, flow: str, by: str, label: str) -> pd.DataFrame:
    d = ds.area_detail(area, flow, by=by)
    return d.rename(columns={"group": label}).drop(columns=["by"])


__all__ = [
    "CA5",
    "agriculture_imports",
    "china_share",
    "energy_minerals",
    "focus_composition",
    "ict_exports",
    "imf_vs_comtrade",
    "latest_months",
    "mirror_chapters",
    "mirror_gaps",
    "top_products",
    "total_trade",
    "trade_growth",
]
