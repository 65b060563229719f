"""Totals: what a reporter says it traded with each partner, per period (annual, monthly,
year to date), China's share of each Central Asian country's trade, growth of any series,
and IMF against Comtrade; bilateral totals from flows without double counting levels,
World or aggregates (pair_totals). Functions of a Dataset (analysis.dataset), whose
methods check the arguments and call these."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeviz.analysis.arguments import fail
from tradeviz.schema import FLOW_CELL
from tradeviz.vocab.countries import CA_ISO3, CHINA, WORLD_ISO3

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset

CA5 = "CA5"  # the five Central Asian countries together
TRADE_FLOWS = ("export", "import")
CELL = list(FLOW_CELL)


def pair_totals(flows: pd.DataFrame) -> pd.DataFrame:
    """One value per cell: the TOTAL row if fetched, else the sum of the coarsest level
    fetched (each HS level is a partition of the total, so only one level is summed)."""
    if flows.empty:
        return pd.DataFrame(columns=[*CELL, "value_usd", "hs_level"])
    coarsest = flows.groupby(CELL, dropna=False)["hs_level"].transform("min")
    picked = flows[flows["hs_level"] == coarsest]
    out = picked.groupby(CELL, dropna=False).agg(
        value_usd=("value_usd", "sum"),
        hs_level=("hs_level", "first"),
        synthetic=("synthetic", "max"),
    )
    return out.reset_index()


# ------------------------------------------------------------------------------ totals
def totals(
    ds: Dataset, reporter: str = "CHN", partners=None, years=None, freq: str = "A"
) -> pd.DataFrame:
    """Exports, imports, total and balance per partner and period, as `reporter`
    reports them. reporter CHN: partners default to the five, plus a CA5 row (the five
    together) for periods where all five have both flows. freq A: Comtrade annual;
    freq M: Comtrade monthly where fetched for the pair, else IMF IMTS (in `source`)."""
    a = ds._check(reporter=reporter, partners=partners, years=years, freq=freq)
    rep, freq, partners = a.reporter, a.freq, a.partners
    if partners is None:
        partners = ds._ca() if rep == CHINA.iso3 else [CHINA.iso3, WORLD_ISO3]
    f = ds.flows
    f = f[
        (f["freq"] == freq)
        & (f["reporter"] == rep)
        & f["partner"].isin(partners)
        & f["flow"].isin(TRADE_FLOWS)
    ]
    f = _one_source(f, freq)
    if a.years:
        f = f[f["year"].isin(a.years)]
    out = _wide_totals(f)
    if rep == CHINA.iso3 and set(CA_ISO3) <= set(partners):
        out = pd.concat([out, _ca5_rows(out)], ignore_index=True)
    order = {p: i for i, p in enumerate([*partners, CA5])}
    out = (
        out.assign(_o=out["partner"].map(order))
        .sort_values(["_o", "year", "month"], ignore_index=True)
        .drop(columns="_o")
    )
    return out[TOTALS_COLUMNS]


# ------------------------------------------------------------------------------ growth
def growth(
    ds: Dataset, of: str = "totals", start: int | None = None, end: int | None = None, **kwargs
) -> pd.DataFrame:
    """Year-on-year change and compound annual growth since the window's first year,
    for `of` = "totals" (exports/imports/total per partner, annual), "areas" (by_area,
    one row per area, flow and match) or "products" (HS6 rows of one country and flow:
    country= is needed, flow= defaults to export). kwargs go to the underlying method
    (GROWTH_KWARGS lists which); `start` and `end` bound the window (years)."""
    a = ds._check(of=of, start=start, end=end)
    of, start, end = a.of, a.start, a.end
    _check_growth_kwargs(of, kwargs)
    if start is not None and end is not None and start > end:
        raise fail("start", start, f"after end={end}", "use a start year before the end")
    if of == "totals":
        t = ds.totals(**kwargs)
        t = t[t["month"].isna()] if "month" in t else t
        long = t.melt(
            id_vars=["reporter", "partner", "year"],
            value_vars=["exports_usd", "imports_usd", "total_usd"],
            var_name="measure",
            value_name="value_usd",
        )
        long["measure"] = long["measure"].str.removesuffix("_usd")
        keys = ["reporter", "partner", "measure"]
    elif of == "areas":
        long = ds.by_area(**kwargs).drop(columns=["share", "total_usd"])
        keys = ["reporter", "flow", "area", "match"]
    else:  # products
        long = _products()._product_series(ds, **kwargs)
        keys = ["reporter", "partner", "flow", "hs_code"]
    if start is not None or end is not None:
        long = long[long["year"].between(start or 0, end or 9999)]
    table = growth_table(long, keys)
    return _products().label_series(ds, table, **kwargs) if of == "products" else table


# ------------------------------------------------------------------------------ shares
def shares(ds: Dataset, years=None, countries=None) -> pd.DataFrame:
    """China's share of each Central Asian country's goods trade, from both sides: the
    country's own report (its China row over its World row) and China's report of the
    bilateral trade over the country's World row. Comtrade annual; a country that
    reports no World row has no share."""
    a = ds._check(years=years, countries=countries)
    years = a.years
    rows = []
    for iso in ds._ca(a.countries):
        own = ds.totals(iso, [CHINA.iso3, WORLD_ISO3], years)
        own = own.pivot_table(index="year", columns="partner", values="total_usd")
        china = ds.totals(CHINA.iso3, [iso], years).set_index("year")["total_usd"]
        t = pd.DataFrame(
            {
                "partner_reported_china_usd": own.get(CHINA.iso3),
                "partner_world_usd": own.get(WORLD_ISO3),
            },
            index=own.index,
        )
        t = t.join(china.rename("china_reported_usd"), how="outer")
        rows.append(t.reset_index().assign(country=iso))
    if not rows:
        return pd.DataFrame(columns=SHARES_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    for col in ("partner_reported_china_usd", "partner_world_usd", "china_reported_usd"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) if col in out else np.nan
    world = out["partner_world_usd"].where(out["partner_world_usd"] > 0)
    out["share_partner_reported"] = out["partner_reported_china_usd"] / world
    out["share_china_reported"] = out["china_reported_usd"] / world
    out["year"] = out["year"].astype(int)
    return out[SHARES_COLUMNS].sort_values(["country", "year"], ignore_index=True)


# ----------------------------------------------------------------------------- monthly
def monthly(ds: Dataset, reporter: str = "CHN", partners=None, months: int = 12) -> pd.DataFrame:
    """The latest `months` months of each partner's exports, imports and total (CA5 too
    when all five are shown), ending at the latest month in the data; Comtrade monthly
    where fetched, else IMF IMTS (named in `source`)."""
    a = ds._check(reporter=reporter, partners=partners, months=months)
    months = a.months
    t = ds.totals(a.reporter, a.partners, freq="M")
    if t.empty:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    t = t.assign(period=pd.to_datetime(dict(year=t["year"], month=t["month"].astype(int), day=1)))
    last = t["period"].max()
    t = t[t["period"] > last - pd.DateOffset(months=months)].copy()
    t["period"] = t["period"].dt.strftime("%Y-%m")
    return t[MONTHLY_COLUMNS].reset_index(drop=True)


def year_to_date(ds: Dataset, reporter: str = "CHN", partners=None) -> pd.DataFrame:
    """Latest year to date against the same months of the previous year, per partner
    and measure (exports, imports, total), from the monthly series."""
    a = ds._check(reporter=reporter, partners=partners)
    t = ds.totals(a.reporter, a.partners, freq="M")
    if t.empty:
        return pd.DataFrame(columns=YTD_COLUMNS)
    year = int(t["year"].max())
    last = int(t.loc[t["year"] == year, "month"].max())
    t = t[t["year"].isin([year, year - 1]) & (t["month"] <= last)]
    long = t.melt(
        id_vars=["partner", "year", "month", "source"],
        value_vars=["exports_usd", "imports_usd", "total_usd"],
        var_name="measure",
        value_name="value_usd",
    )
    long["measure"] = long["measure"].str.removesuffix("_usd")
    by = long.groupby(["partner", "measure", "year"])
    g = pd.concat(
        [
            by["value_usd"].sum(min_count=1),
            by["month"].nunique().rename("months"),
            by["source"].first(),
        ],
        axis=1,
    ).reset_index()
    g = g[g["months"] == last]
    cur = g[g["year"] == year].set_index(["partner", "measure"])
    old = g[g["year"] == year - 1].set_index(["partner", "measure"])
    out = pd.DataFrame(
        {
            "ytd_usd": cur["value_usd"],
            "prev_ytd_usd": old["value_usd"].reindex(cur.index),
            "source": cur["source"],
        },
        index=cur.index,
    ).reset_index()
    out["change"] = out["ytd_usd"] / out["prev_ytd_usd"].where(out["prev_ytd_usd"] > 0) - 1
    out = out.assign(
        reporter=a.reporter,
        year=year,
        months=last,
        period=f"{year}-01 to {year}-{last:02d}",
    )
    order = {p: i for i, p in enumerate([*CA_ISO3, CA5, CHINA.iso3, WORLD_ISO3])}
    out = out.assign(_o=out["partner"].map(order)).sort_values(["_o", "measure"])
    return out[YTD_COLUMNS].reset_index(drop=True)


def imf_vs_comtrade(ds: Dataset, years=None) -> pd.DataFrame:
    """China-reported annual trade per country and flow from both sources: UN Comtrade
    annual beside IMF IMTS monthly summed (years with all twelve months only), and the
    difference IMF / Comtrade - 1."""
    years = ds._check(years=years).years
    ct = ds.totals(years=years)
    ct = (
        ct[ct["partner"].isin(ds._ca())]
        .melt(
            id_vars=["partner", "year"],
            value_vars=["exports_usd", "imports_usd"],
            var_name="flow",
            value_name="comtrade_usd",
        )
        .dropna(subset=["comtrade_usd"])
    )
    ct["flow"] = ct["flow"].map({"exports_usd": "export", "imports_usd": "import"})
    f = ds.flows
    f = f[
        (f["source"] == "imf")
        & (f["freq"] == "M")
        & (f["reporter"] == CHINA.iso3)
        & f["partner"].isin(ds._ca())
        & f["flow"].isin(TRADE_FLOWS)
    ]
    if years:
        f = f[f["year"].isin(years)]
    cols = ["country", "flow", "year", "comtrade_usd", "imf_usd", "difference"]
    if f.empty or ct.empty:
        return pd.DataFrame(columns=cols)
    imf = (
        pair_totals(f)
        .groupby(["partner", "flow", "year"], as_index=False)
        .agg(imf_usd=("value_usd", "sum"), months=("month", "nunique"))
    )
    imf = imf[imf["months"] == 12].drop(columns="months")
    imf["year"] = imf["year"].astype(int)
    out = ct.merge(imf, on=["partner", "flow", "year"], how="inner")
    out["difference"] = out["imf_usd"] / out["comtrade_usd"].where(out["comtrade_usd"] > 0) - 1
    out = out.rename(columns={"partner": "country"})
    return out[cols].sort_values(["country", "flow", "year"], ignore_index=True)


TOTALS_COLUMNS = [
    "reporter",
    "partner",
    "year",
    "month",
    "source",
    "exports_usd",
    "imports_usd",
    "total_usd",
    "balance_usd",
    "synthetic",
]


GROWTH_SUFFIX = ["base_year", "value_usd", "change_usd", "yoy", "cagr"]


SHARES_COLUMNS = [
    "country",
    "year",
    "partner_reported_china_usd",
    "china_reported_usd",
    "partner_world_usd",
    "share_partner_reported",
    "share_china_reported",
]


MONTHLY_COLUMNS = [
    "reporter",
    "partner",
    "period",
    "year",
    "month",
    "source",
    "exports_usd",
    "imports_usd",
    "total_usd",
    "balance_usd",
]


YTD_COLUMNS = [
    "reporter",
    "partner",
    "measure",
    "year",
    "months",
    "period",
    "ytd_usd",
    "prev_ytd_usd",
    "change",
    "source",
]


GROWTH_KWARGS = {
    "totals": ("reporter", "partners", "years", "freq"),
    "areas": ("reporter", "partners", "years", "flow", "areas"),
    "products": ("country", "flow", "reporter", "codes"),
}


def _check_growth_kwargs(of: str, kwargs: dict) -> None:
    """growth() passes kwargs on: a name the method of `of` does not take, monthly totals
    (growth is annual) and products without a country are refused in the one error form."""
    allowed = GROWTH_KWARGS[of]
    for key, value in kwargs.items():
        if key not in allowed:
            use = f"use {', '.join(allowed)}"
            raise fail(key, value, f"not an argument of growth(of={of!r})", use)
    if of == "totals" and str(kwargs.get("freq", "A")).strip().upper() == "M":
        use = "use A (or totals(freq='M') for the months)"
        raise fail("freq", kwargs["freq"], "growth is year on year", use)
    if of == "products" and kwargs.get("country") is None:
        use = f"use one of {', '.join(CA_ISO3)}"
        raise fail("country", None, "growth of products needs one country", use)


def _one_source(f: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Annual: Comtrade. Monthly: per reporter-partner pair, Comtrade where it has monthly
    rows, else IMF."""
    if freq == "A":
        return f[f["source"] == "comtrade"]
    f = f[f["source"].isin(["comtrade", "imf"])]
    has_ct = f[f["source"] == "comtrade"].groupby(["reporter", "partner"]).size()
    pairs = pd.MultiIndex.from_frame(f[["reporter", "partner"]])
    ct_pair = pairs.isin(has_ct.index) if len(has_ct) else np.zeros(len(f), dtype=bool)
    want = np.where(ct_pair, "comtrade", "imf")
    return f[f["source"].to_numpy() == want]


def _wide_totals(f: pd.DataFrame) -> pd.DataFrame:
    """Cells (pair_totals) to one row per reporter, partner, year, month."""
    if f.empty:
        return pd.DataFrame(columns=TOTALS_COLUMNS)
    t = pair_totals(f)
    t["month"] = t["month"].astype("Int8")
    idx = ["reporter", "partner", "year", "month", "source"]
    w = t.pivot_table(
        index=idx, columns="flow", values="value_usd", aggfunc="sum", dropna=False
    ).reset_index()
    syn = t.groupby(idx, dropna=False)["synthetic"].max().rename("synthetic").reset_index()
    w = w.merge(syn, on=idx, how="left")
    for fl in TRADE_FLOWS:
        if fl not in w:
            w[fl] = np.nan
    w = w.rename(columns={"export": "exports_usd", "import": "imports_usd"})
    w = w.dropna(subset=["exports_usd", "imports_usd"], how="all")
    w["total_usd"] = w["exports_usd"] + w["imports_usd"]
    w["balance_usd"] = w["exports_usd"] - w["imports_usd"]
    w["year"] = w["year"].astype(int)
    w["synthetic"] = w["synthetic"].astype(bool)
    w.columns.name = None
    return w[TOTALS_COLUMNS]


def _ca5_rows(t: pd.DataFrame) -> pd.DataFrame:
    """The five countries together, for periods where all five have both flows."""
    five = t[t["partner"].isin(CA_ISO3)].dropna(subset=["exports_usd", "imports_usd"])
    if five.empty:
        return pd.DataFrame(columns=TOTALS_COLUMNS)
    g = (
        five.groupby(["reporter", "year", "month"], dropna=False)
        .agg(
            n=("partner", "nunique"),
            source=("source", lambda s: "+".join(sorted(set(s)))),
            exports_usd=("exports_usd", "sum"),
            imports_usd=("imports_usd", "sum"),
            synthetic=("synthetic", "max"),
        )
        .reset_index()
    )
    g = g[g["n"] == len(CA_ISO3)].drop(columns="n").assign(partner=CA5)
    g["total_usd"] = g["exports_usd"] + g["imports_usd"]
    g["balance_usd"] = g["exports_usd"] - g["imports_usd"]
    return g[TOTALS_COLUMNS]


def growth_table(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per series (`keys`) and year: value, change on the previous year (empty when that
    year is missing or zero), and compound annual growth since the series' first year in
    the window (`base_year`)."""
    if long.empty:
        return pd.DataFrame(columns=[*keys, "year", *GROWTH_SUFFIX])
    d = long.sort_values([*keys, "year"]).reset_index(drop=True)
    grp = d.groupby(keys, dropna=False, sort=False)
    prev_val = grp["value_usd"].shift(1)
    prev_year = grp["year"].shift(1)
    consecutive = prev_year == d["year"] - 1
    d["change_usd"] = (d["value_usd"] - prev_val).where(consecutive)
    d["yoy"] = (d["value_usd"] / prev_val.where(prev_val > 0) - 1).where(consecutive)
    base_year = grp["year"].transform("first")
    base_val = grp["value_usd"].transform("first")
    span = d["year"] - base_year
    ok = (span > 0) & (base_val > 0) & (d["value_usd"] >= 0)
    d["cagr"] = (d["value_usd"] / base_val.where(ok)) ** (1 / span.where(ok)) - 1
    d["base_year"] = base_year.astype(int)
    d["year"] = d["year"].astype(int)
    return d[[*keys, "year", *GROWTH_SUFFIX]]


def _products():  # noqa: ANN202 (the module; products imports this module's constants)
    from tradeviz.analysis import products

    return products
