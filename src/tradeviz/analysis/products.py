"""Products: the largest HS products of a bilateral flow, trade by focus area and one
area's detail, and the HS leaf rows they are drawn from. Functions of a Dataset
(analysis.dataset), whose methods check the arguments and call these."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeviz.analysis.arguments import check_year, fail
from tradeviz.analysis.readable import with_labels
from tradeviz.analysis.totals import TRADE_FLOWS, pair_totals
from tradeviz.errors import TradevizError
from tradeviz.schema import FLOWS_KEY
from tradeviz.transform.focus import leaf_rows
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import CHINA

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset

NO_UNIT = {"", "N/A", "NA", "-", "n/a"}


# ------------------------------------------------------------------------ top products
def top_products(
    ds: Dataset,
    country: str,
    flow: str = "export",
    year: int | None = None,
    n: int = 10,
    reporter: str = "CHN",
) -> pd.DataFrame:
    """The `n` largest HS products of one bilateral flow in `year` (default: the latest
    with product rows), as `reporter` reports it (CHN, or the country itself): code,
    description, focus areas, value, share of the bilateral total, change on the
    previous year (same code, unless its heading changed between HS revisions),
    quantity and unit value where the unit allows."""
    a = ds._check(country=country, flow=flow, year=year, n=n, reporter=reporter)
    iso, flow, rep, n = a.country, a.flow, a.reporter, a.n
    partner = iso if rep == CHINA.iso3 else CHINA.iso3
    if rep not in (CHINA.iso3, iso):
        raise fail("reporter", reporter, "not a side of this trade", f"use CHN or {iso}")
    cells = _annual(ds)
    cells = cells[
        (cells["reporter"] == rep) & (cells["partner"] == partner) & (cells["flow"] == flow)
    ]
    leaves = leaf_rows(cells)
    held = leaves["year"].unique()
    year = check_year("year", a.year, held, f"{rep}'s {flow} rows with {partner}")
    if leaves.empty:
        return with_labels(pd.DataFrame(columns=TOP_COLUMNS))
    year = int(held.max()) if year is None else year
    now = leaves[leaves["year"] == year]
    prev = leaves[leaves["year"] == year - 1]
    total = float(pair_totals(cells[cells["year"] == year])["value_usd"].sum())
    top = now.sort_values(["value_usd", "hs_code"], ascending=[False, True]).head(n)
    top = top.assign(rank=np.arange(1, len(top) + 1), country=iso, reporter=rep)
    top["share"] = top["value_usd"] / total if total > 0 else np.nan
    top["prev_value_usd"] = _previous_values(top, prev)
    top["change"] = top["value_usd"] / top["prev_value_usd"].where(top["prev_value_usd"] > 0) - 1
    unit = top["qty_unit"].fillna("").astype(str).str.strip()
    usable = ~unit.isin(NO_UNIT) & (top["qty"] > 0)
    top["unit_value_usd"] = (top["value_usd"] / top["qty"]).where(usable)
    top["description"] = [
        hs_description(c, r, d)
        for c, r, d in zip(
            top["hs_code"],
            top["hs_rev"],
            top.get("hs_description", [None] * len(top)),
            strict=True,
        )
    ]
    areas = _areas_of(ds, top)
    top = top.merge(areas, on=list(FLOWS_KEY), how="left")
    top["areas"] = top["areas"].fillna("")
    top["area"] = top["area"].fillna("other")
    top["year"] = top["year"].astype(int)
    return with_labels(top[TOP_COLUMNS].reset_index(drop=True))


# ------------------------------------------------------------------------------- areas
def by_area(
    ds: Dataset,
    reporter: str = "CHN",
    partners=None,
    years=None,
    flow: str | None = None,
    areas=None,
) -> pd.DataFrame:
    """Value per focus area, year and flow, each HS leaf row counted once: in its first
    area (registry order) the rule covers fully (match `full`); else, as the partial
    remainder, in its first area covered only partly (match `partial`: the code also
    holds other goods); else in `other` (match `none`). The rows of a year and flow sum
    to its total."""
    a = ds._check(
        ("flow",), reporter=reporter, partners=partners, years=years, flow=flow, areas=areas
    )
    rep, picked = a.reporter, a.areas
    leaves = _leaves(ds, rep, a.partners, a.years, a.flow)
    if leaves.empty:
        return pd.DataFrame(columns=AREA_COLUMNS)
    tagged = leaves.merge(_exclusive_area(ds), on=list(FLOWS_KEY), how="left")
    tagged["area"] = tagged["area"].fillna("other")
    tagged["match"] = tagged["match"].fillna("none")
    out = tagged.groupby(["year", "flow", "area", "match"], as_index=False)["value_usd"].sum()
    out["total_usd"] = out.groupby(["year", "flow"])["value_usd"].transform("sum")
    out["share"] = out["value_usd"] / out["total_usd"].where(out["total_usd"] > 0)
    out["reporter"] = rep
    if picked:
        out = out[out["area"].isin(picked)]
    order = {a: i for i, a in enumerate((*AREA_KEYS, "other"))}
    out = out.assign(
        _o=out["area"].map(order), _m=out["match"].map({"full": 0, "partial": 1, "none": 2})
    ).sort_values(["year", "flow", "_m", "_o"], ignore_index=True)
    out["year"] = out["year"].astype(int)
    return out[AREA_COLUMNS]


def area_detail(
    ds: Dataset,
    area: str,
    flow: str,
    by: str = "partner",
    reporter: str = "CHN",
    years=None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """One focus area's trade per year, split by `by` (partner or subarea) and by match
    (full / partial), every row the area tags (a product in two areas counts in both):
    the view of one area, not a partition of the total. `codes` narrows to HS codes."""
    a = ds._check(area=area, flow=flow, by=by, reporter=reporter, years=years, codes=codes)
    key, flow, by = a.area, a.flow, a.by
    f = ds.focus
    f = f[
        (f["source"] == "comtrade")
        & (f["freq"] == "A")
        & (f["area"] == key)
        & (f["reporter"] == a.reporter)
        & (f["flow"] == flow)
    ]
    f = f[f["partner"].isin(ds._ca())] if a.reporter == CHINA.iso3 else f
    if a.codes:
        f = f[f["hs_code"].astype(str).str.startswith(tuple(a.codes))]
    if a.years:
        f = f[f["year"].isin(a.years)]
    cols = ["area", "flow", "year", "by", "group", "match", "value_usd"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    out = f.groupby(["year", by, "match"], as_index=False)["value_usd"].sum()
    out = out.rename(columns={by: "group"}).assign(area=key, flow=flow, by=by)
    out["year"] = out["year"].astype(int)
    return out[cols]


# ------------------------------------------------------------------------------ helpers
def _annual(ds: Dataset) -> pd.DataFrame:
    f = ds.flows
    return f[(f["source"] == "comtrade") & (f["freq"] == "A")]


def _leaves(
    ds: Dataset, rep: str, partners: list[str] | None, years: tuple[int, ...] | None, flow
) -> pd.DataFrame:
    """HS leaf rows of `rep`'s annual trade (arguments already checked)."""
    f = _annual(ds)
    if partners is None:
        partners = ds._ca() if rep == CHINA.iso3 else [CHINA.iso3]
    f = f[
        (f["reporter"] == rep)
        & f["partner"].isin(partners)
        & f["flow"].isin([flow] if flow else TRADE_FLOWS)
    ]
    if years:
        f = f[f["year"].isin(years)]
    return leaf_rows(f)


def _exclusive_area(ds: Dataset) -> pd.DataFrame:
    """One (area, match) per focus-tagged row: the first full area, else the first
    partial one, in registry order."""
    keys = list(FLOWS_KEY)
    rank = {a: i for i, a in enumerate(AREA_KEYS)}
    f = ds.focus
    f = f.assign(_m=(f["match"] != "full").astype(int), _r=f["area"].map(rank))
    f = f.sort_values(["_m", "_r"], kind="stable").drop_duplicates(keys)
    return f[[*keys, "area", "match"]]


def _areas_of(ds: Dataset, rows: pd.DataFrame) -> pd.DataFrame:
    """Per row: all its areas as text ("energy; infrastructure (partial)") and the area
    it is drawn in (first full area, else `partial`, else `other`)."""
    keys = list(FLOWS_KEY)
    f = ds.focus.merge(rows[keys], on=keys, how="inner")
    if f.empty:
        return pd.DataFrame(columns=[*keys, "areas", "area"])
    rank = {a: i for i, a in enumerate(AREA_KEYS)}
    f = f.assign(_r=f["area"].map(rank)).sort_values("_r", kind="stable")
    f["_txt"] = f["area"] + np.where(f["match"] == "full", "", " (partial)")
    f["_full"] = f["area"].where(f["match"] == "full")
    out = f.groupby(keys, dropna=False, as_index=False).agg(
        areas=("_txt", "; ".join), area=("_full", "first")
    )
    out["area"] = out["area"].fillna("partial")
    return out


def _product_series(
    ds: Dataset,
    country: str,
    flow: str = "export",
    reporter: str = "CHN",
    codes: list[str] | None = None,
) -> pd.DataFrame:
    a = ds._check(country=country, flow=flow, reporter=reporter, codes=codes)
    iso, rep = a.country, a.reporter
    partner = iso if rep == CHINA.iso3 else CHINA.iso3
    if rep not in (CHINA.iso3, iso):
        raise fail("reporter", reporter, "not a side of this trade", f"use CHN or {iso}")
    leaves = _leaves(ds, rep, [partner], None, a.flow)
    if a.codes:
        leaves = leaves[leaves["hs_code"].astype(str).str.startswith(tuple(a.codes))]
    out = leaves.groupby(["reporter", "partner", "flow", "hs_code", "year"], as_index=False)[
        "value_usd"
    ].sum()
    return out


def label_series(ds: Dataset, table: pd.DataFrame, country: str, **kwargs) -> pd.DataFrame:
    """Product growth rows with `description` and `label` after `hs_code`, each code read
    in the revision of its latest year (a series' code keeps one meaning per revision)."""
    a = ds._check(country=country, flow=kwargs.get("flow", "export"))
    rep = ds._check(reporter=kwargs.get("reporter", "CHN")).reporter
    partner = a.country if rep == CHINA.iso3 else CHINA.iso3
    leaves = _leaves(ds, rep, [partner], None, a.flow)
    latest = leaves.sort_values("year").drop_duplicates("hs_code", keep="last")
    rev = dict(zip(latest["hs_code"].astype(str), latest["hs_rev"], strict=True))
    out = table.assign(hs_rev=table["hs_code"].astype(str).map(rev))
    out = with_labels(out.assign(description=None))
    at = list(out.columns).index("hs_code") + 1
    cols = [c for c in out.columns if c not in ("description", "label", "hs_rev")]
    return out[[*cols[:at], "description", "label", *cols[at:]]]


TOP_COLUMNS = [
    "reporter",
    "country",
    "flow",
    "year",
    "rank",
    "hs_rev",
    "hs_code",
    "description",
    "areas",
    "area",
    "value_usd",
    "share",
    "prev_value_usd",
    "change",
    "qty",
    "qty_unit",
    "unit_value_usd",
]


AREA_COLUMNS = ["reporter", "year", "flow", "area", "match", "value_usd", "total_usd", "share"]


def _previous_values(top: pd.DataFrame, prev: pd.DataFrame) -> pd.Series:
    """Last year's value of the same code. Across an HS revision change the code must map
    1:1 onto itself (UNSD correlation tables, vocab.hs); else it is not comparable and
    stays empty."""
    by_code = prev.groupby("hs_code").agg(v=("value_usd", "sum"), rev=("hs_rev", "first"))
    out = []
    for code, rev in zip(top["hs_code"], top["hs_rev"], strict=True):
        if code not in by_code.index:
            out.append(np.nan)
            continue
        v, prev_rev = by_code.loc[code, "v"], by_code.loc[code, "rev"]
        out.append(float(v) if prev_rev == rev or _same_code(code, rev, prev_rev) else np.nan)
    return pd.Series(out, index=top.index, dtype=float)


def _same_code(code: str, rev: str, other: str) -> bool:
    """True when `code` in `rev` correlates 1:1 with the same code in `other`."""
    try:
        from tradeviz.vocab import hs

        c = hs.correlated(str(code), str(rev), str(other))
    except (ImportError, LookupError, ValueError, TradevizError):
        return False
    return len(c) == 1 and c["code"].iat[0] == code and c["relation"].iat[0] == "1:1"


def hs_description(code: str, rev: str | None, given: str | None = None) -> str:
    """A product's short description: the HS reference when it is installed
    (tradeviz.vocab.hs.short_label), else the description carried in flows, else ''."""
    try:
        from tradeviz.vocab.hs import short_label  # the HS reference, when present
    except ImportError:
        short_label = None
    if short_label is not None:
        try:
            label = short_label(str(code), rev) if rev else short_label(str(code))
        except (KeyError, ValueError, TypeError, LookupError):
            label = None
        if label:
            label = str(label)
            return label[len(str(code)) :].strip(" -–:") if label.startswith(str(code)) else label
    if given is not None and not (isinstance(given, float) and np.isnan(given)) and given:
        return str(given)
    return ""
