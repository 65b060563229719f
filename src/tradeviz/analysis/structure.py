"""Structure and complementarity (issue 20): the Dataset methods behind ds.rca,
ds.complementarity, ds.intensity, ds.similarity, ds.concentration, ds.intra_industry,
ds.price_volume, ds.potential and ds.complexity. They read the world layer only through
`ds.world(...)` and the China-Central Asia product rows through `ds.flows` (the world
contract of issue 19), and leave the formulas to tradeviz.analysis.measures. Every frame
states `basis` (whose reports the numbers are) and `synthetic`."""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeviz import errors
from tradeviz.analysis import measures as m
from tradeviz.analysis.filters import FilterError, check_areas, check_country, check_years
from tradeviz.analysis.totals import pair_totals
from tradeviz.transform.focus import leaf_rows
from tradeviz.vocab.countries import CA_ISO3, CHINA, COUNTRIES, WORLD_ISO3

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset

COUNTRY_ISO3 = tuple(sorted(c.iso3 for c in COUNTRIES if c.kind == "country"))
LEVELS = (2, 4, 6)
COMPLEXITY_LEVEL = 4  # the Atlas of Economic Complexity computes PCI on HS4 products
WORLD_BASIS = "reporters' own reports with the World (world layer)"

WorldLayerMissingError = getattr(errors, "WorldLayerMissingError", None)
if WorldLayerMissingError is None:  # until the world layer (issue 19) is merged

    class WorldLayerMissingError(errors.TradevizError):  # type: ignore[no-redef]
        """No world layer at the level asked for."""


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# ------------------------------------------------------------------------------ arguments
def _country(code: str) -> str:
    return check_country(code, COUNTRY_ISO3)


def _level(level: int) -> int:
    if level not in LEVELS:
        raise FilterError(f"level {level!r} not known; use 2, 4 or 6 (HS digits)")
    return int(level)


def _flow(flow: str) -> str:
    if flow not in ("export", "import"):
        raise FilterError(f"flow {flow!r} not known; use export or import")
    return flow


def _span(ds: Dataset, years) -> tuple[int, int] | None:
    """The years asked for, within the view's years (years=None: the view's)."""
    if isinstance(years, int | np.integer):
        years = (int(years), int(years))
    span = check_years(years) if years is not None else None
    if ds.years:
        lo, hi = ds.years
        span = (max(lo, span[0]), min(hi, span[1])) if span else tuple(ds.years)
    return span


# ------------------------------------------------------------------------- the world layer
def _world(ds: Dataset, level: int, span, flow: str) -> tuple[m.WorldTotals, bool]:
    """The world layer's `flow` at `level` with its sums, read once per Dataset view and
    shared by every method; (totals, synthetic)."""
    memo = _CACHE.setdefault(ds, {})
    key = ("world", level, span, flow)
    if key not in memo:
        rows = _read_world(ds, level=level, years=span, flow=flow)
        memo[key] = (m.WorldTotals.of(rows, flow), bool(len(rows) and rows["synthetic"].any()))
    return memo[key]


def _read_world(ds: Dataset, level: int, **kw) -> pd.DataFrame:
    """ds.world(...), or the one-line error naming the fetch when the Dataset has none."""
    reader = getattr(ds, "world", None)
    if reader is None:
        raise WorldLayerMissingError(
            f"no world layer at HS{level}: run `tradeviz fetch comtrade --plan world "
            f"--level {level}` then `tradeviz build`"
        )
    return reader(level=level, **kw)


def _any_level(ds: Dataset, span, flow: str) -> tuple[m.WorldTotals, bool]:
    """Totals need no product detail: a level already read, else the coarsest the layer
    holds (every level sums to the same totals)."""
    memo = _CACHE.get(ds, {})
    for level in LEVELS:
        if ("world", level, span, flow) in memo:
            return memo[("world", level, span, flow)]
    for level in LEVELS:
        try:
            return _world(ds, level, span, flow)
        except WorldLayerMissingError as e:
            missing = e
    raise missing


def _tidy(df: pd.DataFrame, basis: str, synthetic: bool, **cols) -> pd.DataFrame:
    """Argument columns first, then the measure's, then basis and synthetic."""
    out = df.assign(**cols)
    out = out[[*cols, *(c for c in df.columns if c not in cols)]]
    return out.assign(basis=basis, synthetic=bool(synthetic)).reset_index(drop=True)


# ------------------------------------------------------------------- the bilateral product rows
def _pair_rows(ds: Dataset, reporter: str, partner: str, flow: str, span) -> pd.DataFrame:
    """Comtrade annual leaf rows of one reporter, partner and flow from the flows table."""
    f = ds.flows
    f = f[
        (f["source"] == "comtrade")
        & (f["freq"] == "A")
        & (f["reporter"] == reporter)
        & (f["partner"] == partner)
        & (f["flow"] == flow)
    ]
    if span:
        f = f[f["year"].between(*span)]
    return leaf_rows(f)


def _hs2022(rows: pd.DataFrame) -> pd.DataFrame:
    """HS6 rows under their HS2022 code, as the world layer's sums read them: the flows
    table's own hs6_h6 where it has one, else measures.to_hs2022."""
    six = rows["hs_code"].astype(str).str.len().eq(6)
    if rows.empty or not six.all():
        return rows
    mapped = pd.Series(m.to_hs2022(rows["hs_rev"], rows["hs_code"]), index=rows.index)
    code = mapped.astype(object)
    if "hs6_h6" in rows:
        code = rows["hs6_h6"].astype(object).where(rows["hs6_h6"].notna(), code)
    return rows.assign(hs_code=code.astype(str))


def _at_level(rows: pd.DataFrame, level: int) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame({"year": [], "hs_code": [], "value_usd": []})
    return m.by_product(_hs2022(rows) if level == 6 else rows, level)


def _syn(*frames: pd.DataFrame) -> bool:
    return any(bool(len(f) and f["synthetic"].any()) for f in frames if "synthetic" in f)


# ------------------------------------------------------------------------------- measures
def rca(ds: Dataset, country: str, level: int = 6, years=None) -> pd.DataFrame:
    """Balassa RCA and its symmetric form of every product `country` exports (see
    measures.rca), against the world as the sum of the reporting countries."""
    iso, level = _country(country), _level(level)
    w, syn = _world(ds, level, _span(ds, years), "export")
    out = m.rca(w, [iso]).drop(columns="reporter")
    return _tidy(out, WORLD_BASIS, syn, country=iso)


def complementarity(
    ds: Dataset, exporter: str, importer: str, years=None, level: int = 6, by_product: bool = False
) -> pd.DataFrame:
    """Michaely's trade complementarity index of `exporter`'s exports to the World with
    `importer`'s imports from the World, per year; by_product=True gives each product's
    shares and its contribution (points; they sum to the year's index)."""
    ex, im, level = _country(exporter), _country(importer), _level(level)
    span = _span(ds, years)
    wx, syn_x = _world(ds, level, span, "export")
    wm, syn_m = _world(ds, level, span, "import")
    by_year, parts = m.complementarity(wm.of_country(im), wx.of_country(ex))
    out = parts if by_product else by_year
    return _tidy(out, WORLD_BASIS, syn_x or syn_m, exporter=ex, importer=im)


def intensity(ds: Dataset, exporter: str, importer: str, years=None) -> pd.DataFrame:
    """Trade intensity of `exporter` with `importer` (and the variant leaving the exporter
    out of the world): the exporter's reported exports to the importer from the flows
    table (the importer's reported imports, CIF, where the exporter reports none: basis
    says which); totals from the world layer, the world's exports to the importer read as
    the importer's reported imports from the World (mirror; CIF)."""
    ex, im = _country(exporter), _country(importer)
    span = _span(ds, years)
    wx, syn_x = _any_level(ds, span, "export")
    wm, syn_m = _any_level(ds, span, "import")
    x_ij, basis, syn_f = _bilateral_total(ds, ex, im, span)
    partner_imports = _country_total(wm, im)
    out = m.intensity(x_ij, _country_total(wx, ex), partner_imports, wx.total)
    return _tidy(out, basis, syn_x or syn_m or syn_f, exporter=ex, importer=im)


def _country_total(w: m.WorldTotals, iso: str) -> pd.Series:
    r = w.reporter
    if iso not in r.index.get_level_values("reporter"):
        return pd.Series(dtype=float)
    return r.xs(iso, level="reporter")


def _bilateral_total(ds: Dataset, ex: str, im: str, span) -> tuple[pd.Series, str, bool]:
    """Yearly exports of ex to im: ex's report, else im's report of its imports (mirror)."""
    sides = ((ex, im, "export", f"{ex}'s reported exports to {im}"),)
    sides += ((im, ex, "import", f"{im}'s reported imports from {ex} (mirror, CIF)"),)
    for rep, par, flow, basis in sides:
        f = ds.flows
        f = f[
            (f["source"] == "comtrade")
            & (f["freq"] == "A")
            & (f["reporter"] == rep)
            & (f["partner"] == par)
            & (f["flow"] == flow)
        ]
        if span:
            f = f[f["year"].between(*span)]
        if len(f):
            t = pair_totals(f).groupby("year")["value_usd"].sum()
            t.index = t.index.astype("int64")
            return t, basis + "; totals from the world layer", _syn(f)
    return pd.Series(dtype=float), "no bilateral report in the flows table", False


def similarity(ds: Dataset, a: str, b: str, market: str | None = None, years=None, level: int = 6):
    """Finger-Kreinin export similarity of a and b: in the World market (their exports to
    the World, world layer) or in one `market` (the market's reported imports from each,
    flows table; only markets the flows table holds product rows for)."""
    a, b, level = _country(a), _country(b), _level(level)
    span = _span(ds, years)
    if market is None:
        w, syn = _world(ds, level, span, "export")
        out = m.similarity(w.of_country(a), w.of_country(b))
        return _tidy(out, WORLD_BASIS, syn, a=a, b=b, market=WORLD_ISO3)
    mk = _country(market)
    ra, rb = (_pair_rows(ds, mk, c, "import", span) for c in (a, b))
    if ra.empty or rb.empty:
        lacking = a if ra.empty else b
        raise FilterError(
            f"no product rows of {mk}'s imports from {lacking} in the flows table; "
            f"use market=None (the World) or a market that reports them (e.g. CHN for "
            f"{', '.join(CA_ISO3)})"
        )
    out = m.similarity(_at_level(ra, level), _at_level(rb, level))
    basis = f"{mk}'s reported imports from each (flows table)"
    return _tidy(out, basis, _syn(ra, rb), a=a, b=b, market=mk)


def concentration(ds: Dataset, country: str, flow: str, years=None, level: int = 6):
    """HHI, normalised HHI, products above USD 100,000 and top-1/3/10 shares of a
    country's exports to (or imports from) the World, per year."""
    iso, flow, level = _country(country), _flow(flow), _level(level)
    w, syn = _world(ds, level, _span(ds, years), flow)
    out = m.concentration(w.of_country(iso))
    return _tidy(out, WORLD_BASIS, syn, country=iso, flow=flow)


def intra_industry(ds: Dataset, a: str, b: str, years=None, level: int = 6, by_product=False):
    """Grubel-Lloyd index of a's trade with b, per year (trade-weighted) or per product
    (by_product=True): a's reports, else b's reports read from a's side (mirror)."""
    a, b, level = _country(a), _country(b), _level(level)
    span = _span(ds, years)
    x, mm = _pair_rows(ds, a, b, "export", span), _pair_rows(ds, a, b, "import", span)
    basis = f"{a}'s reports of its trade with {b}"
    if x.empty and mm.empty:
        x, mm = _pair_rows(ds, b, a, "import", span), _pair_rows(ds, b, a, "export", span)
        basis = f"{b}'s reports of its trade with {a} (mirror)"
    agg, per = m.intra_industry(_at_level(x, level), _at_level(mm, level))
    return _tidy(per if by_product else agg, basis, _syn(x, mm), a=a, b=b)


def price_volume(
    ds: Dataset, reporter: str, partner: str, flow: str, years=None, codes=None
) -> pd.DataFrame:
    """Chain-linked Fisher unit-value and volume indices of one reported flow (partner WLD:
    the world layer at HS6; else the flows table's HS6 rows), `codes` (HS prefixes, e.g.
    ["2711"] for gas) narrowing the products. See measures.price_volume."""
    rep, flow = _country(reporter), _flow(flow)
    par = WORLD_ISO3 if str(partner).upper() == WORLD_ISO3 else _country(partner)
    span = _span(ds, years)
    if par == WORLD_ISO3:
        rows = _read_world(ds, 6, years=span, reporters=[rep], flow=flow)
        basis = f"{rep}'s reports with the World (world layer, HS6)"
    else:
        rows = _pair_rows(ds, rep, par, flow, span)
        rows = rows[rows["hs_level"] == 6]
        basis = f"{rep}'s reports with {par} (flows table, HS6)"
    rows = _hs2022(rows)  # a product keeps its code across a revision change
    if codes:
        rows = rows[rows["hs_code"].astype(str).str.startswith(_prefixes(codes))]
    out, _ = m.price_volume(rows)
    counts = ["n_products", "n_unit_change", "n_no_quantity", "n_outliers"]
    out[counts] = out[counts].astype("Int64")  # empty in the base year
    return _tidy(out, basis, _syn(rows), reporter=rep, partner=par, flow=flow)


def _prefixes(codes) -> tuple[str, ...]:
    """HS code prefixes (2 to 6 digits), e.g. "2711" or ["2709", "2711"]."""
    items = tuple(str(c).strip() for c in ([codes] if isinstance(codes, str) else codes))
    bad = [c for c in items if not (c.isdigit() and 2 <= len(c) <= 6)]
    if bad:
        raise FilterError(f"HS code {bad[0]!r} not understood; give 2 to 6 digits, e.g. 2711")
    return items


def potential(
    ds: Dataset, country: str, area: str | None = None, years=None, level: int = 6, n: int = 20
) -> pd.DataFrame:
    """The `n` products per year with the largest gap between `country`'s export potential
    in China (China's imports from the World x the country's share of world exports) and
    China's reported imports from it, with their focus-area tags; `area` keeps the products
    the area tags (fully or partly). A simple market-share method after ITC's idea."""
    iso, level = check_country(country, CA_ISO3), _level(level)
    picked = check_areas(area)
    if not isinstance(n, int | np.integer) or n < 0:
        raise FilterError(f"n {n!r}: give the number of products per year (0 for all)")
    span = _span(ds, years)
    wx, syn_x = _world(ds, level, span, "export")
    wm, syn_m = _world(ds, level, span, "import")
    actual = _pair_rows(ds, CHINA.iso3, iso, "import", span)
    out = m.potential(wm.of_country(CHINA.iso3), wx, iso, _at_level(actual, level))
    out = out.merge(_area_tags(out["hs_code"].unique(), level), on="hs_code", how="left")
    out["areas"] = out["areas"].fillna("")
    if picked:
        tagged = out["areas"].map(
            lambda t: bool({a.split(" (")[0] for a in t.split("; ")} & set(picked))
        )
        out = out[tagged.astype(bool)]
    out = out.sort_values(["year", "gap_usd"], ascending=[True, False])
    out = out.groupby("year", group_keys=False).head(n) if n else out
    out.insert(2, "description", out["hs_code"].map(_descriptions()).fillna(""))
    basis = "CHN's reported imports (World and from the country); world shares from reporters"
    return _tidy(out, basis, syn_x or syn_m or _syn(actual), country=iso)


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, str]:
    """code -> short HS description in the latest revision that has the code (as
    vocab.hs.short_label without a revision), for every code at once."""
    from tradeviz.vocab import hs

    c = hs.codes()[["rev", "code", "short"]].sort_values("rev", kind="stable")
    c = c.drop_duplicates("code", keep="last")
    return dict(zip(c["code"], c["short"].fillna("").astype(str), strict=True))


def _area_tags(codes, level: int) -> pd.DataFrame:
    """hs_code -> its focus areas as text (`; `-separated, `(partial)` where the code also
    holds other goods), from the package's tag rules in any HS revision."""
    tags = _area_text(level)
    codes = pd.Series(pd.unique(np.asarray(codes, dtype=object)), dtype=object)
    return pd.DataFrame({"hs_code": codes, "areas": codes.map(tags).fillna("")})


@lru_cache(maxsize=3)
def _area_text(level: int) -> dict[str, str]:
    from tradeviz.transform.focus import tag_table

    t = tag_table()
    t = t[t["hs_code"].str.len() == level]
    t = t.drop_duplicates(["hs_code", "area"]).sort_values(["hs_code", "area"])
    text = t["area"] + np.where(t["match"] == "full", "", " (partial)")
    return text.groupby(t["hs_code"]).agg("; ".join).to_dict()


def complexity(ds: Dataset, country: str, years=None, level: int = COMPLEXITY_LEVEL):
    """The country's ECI and the trade-weighted mean PCI of its exports to the World
    (its own reports, world layer) and to China (China's reported imports from it), per
    year; PCI and ECI from the Growth Lab's ecomplexity on the world layer's exports."""
    iso, level = check_country(country, CA_ISO3), _level(level)
    span = _span(ds, years)
    w, syn = _world(ds, level, span, "export")
    pci, eci = _complexity_tables(ds, w, level, span)
    to_world = m.mean_pci(w.of_country(iso), pci)
    china = _pair_rows(ds, CHINA.iso3, iso, "import", span)
    to_china = m.mean_pci(_at_level(china, level), pci)
    out = to_world.merge(to_china, on="year", how="outer", suffixes=("_world", "_china"))
    out = out.merge(eci[eci["reporter"] == iso][["year", "eci"]], on="year", how="left")
    basis = f"PCI/ECI: ecomplexity on HS{level} world exports; to China: CHN's imports"
    return _tidy(out, basis, syn or _syn(china), country=iso)


def _complexity_tables(ds: Dataset, w: m.WorldTotals, level: int, span):
    memo = _CACHE.setdefault(ds, {})
    key = ("complexity", level, span)
    if key not in memo:
        memo[key] = m.complexity_tables(w)
    return memo[key]
