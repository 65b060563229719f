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

from tradeviz.analysis import arguments as A
from tradeviz.analysis import measures as m
from tradeviz.analysis.arguments import FilterError, describe_years
from tradeviz.analysis.totals import pair_totals
from tradeviz.errors import WorldLayerMissingError
from tradeviz.transform.focus import leaf_rows
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import CA_ISO3, CHINA, WORLD_ISO3

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset

LEVELS = (2, 4, 6)
COMPLEXITY_LEVEL = 4  # the Atlas of Economic Complexity computes PCI on HS4 products
WORLD_BASIS = "reporters' own reports with the World (world layer)"

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# ------------------------------------------------------------------------------ arguments
def _args(ds: Dataset, **given):
    """Every argument checked by the Dataset API's one checker (analysis.arguments: one line
    naming the bad value and the allowed ones). Years are checked against the world
    layer's years at the level asked (the tables' years when the layer is missing); a list
    means exactly those years."""

    def held() -> list[int]:
        try:
            level = A.check_level("level", given.get("level", 6))
            w, _ = _world(ds, level, "export")
            return sorted(int(y) for y in w.total.index)
        except (WorldLayerMissingError, FilterError):
            return ds.available_years()

    return A.check_arguments(held, **given)


def _keep(df: pd.DataFrame, years) -> pd.DataFrame:
    """The rows of the years asked for (all when None)."""
    return df if years is None else df[df["year"].isin(years)]


# ------------------------------------------------------------------------- the world layer
def _world(ds: Dataset, level: int, flow: str) -> tuple[m.WorldTotals, bool]:
    """The world layer's `flow` at `level` (the view's years) with its sums, read once per
    Dataset view and shared by every method; (totals, synthetic)."""
    memo = _CACHE.setdefault(ds, {})
    key = ("world", level, flow)
    if key not in memo:
        rows = _read_world(ds, level=level, flow=flow)
        memo[key] = (m.WorldTotals.of(rows, flow), bool(len(rows) and rows["synthetic"].any()))
    return memo[key]


def _read_world(ds: Dataset, level: int, **kw) -> pd.DataFrame:
    """ds.world(...), or the one-line error naming the fetch when the Dataset has none.
    One flow of a store's whole view is read with only the columns the sums need
    (_world_sums_rows)."""
    reader = getattr(ds, "world", None)
    if reader is None:
        raise WorldLayerMissingError(
            f"no world layer at HS{level}: run `tradeviz fetch comtrade --plan world "
            f"--level {level}` then `tradeviz build`"
        )
    if set(kw) == {"flow"} and ds.processed is not None and "world" not in vars(ds):
        rows = _world_sums_rows(ds, level, kw["flow"])
        if rows is not None:
            return rows
    return reader(level=level, **kw)


SUMS_COLUMNS = "year, reporter, flow, hs_rev, hs_code, value_usd, synthetic"


def _world_sums_rows(ds: Dataset, level: int, flow: str) -> pd.DataFrame | None:
    """The world layer's rows of `flow` at `level` in the view's years, only the columns the
    sums read and in no order, through DuckDB (ds.sql): ds.world gives every column sorted,
    which took 10 of 16 s of the measures bench at full scale. None when the store has no
    such level (ds.world then raises its one-line error)."""
    from tradeviz.analysis.world import world_years

    held = world_years(ds.processed, level)
    if not held or flow not in ("export", "import"):
        return None
    years = [y for y in held if not ds.years or y in ds.years] or [-1]
    query = (
        f"SELECT {SUMS_COLUMNS} FROM world WHERE level = {int(level)} AND flow = '{flow}' "
        f"AND year IN ({', '.join(str(int(y)) for y in years)})"
    )
    return ds.sql(query)


def _any_level(ds: Dataset, flow: str) -> tuple[m.WorldTotals, bool]:
    """Totals need no product detail: a level already read, else the coarsest the layer
    holds (every level sums to the same totals)."""
    memo = _CACHE.get(ds, {})
    for level in LEVELS:
        if ("world", level, flow) in memo:
            return memo[("world", level, flow)]
    for level in LEVELS:
        try:
            return _world(ds, level, flow)
        except WorldLayerMissingError as e:
            missing = e
    raise missing


def _tidy(df: pd.DataFrame, basis: str, synthetic: bool, **cols) -> pd.DataFrame:
    """Argument columns first, then the measure's, then basis and synthetic."""
    out = df.assign(**cols)
    out = out[[*cols, *(c for c in df.columns if c not in cols)]]
    return out.assign(basis=basis, synthetic=bool(synthetic)).reset_index(drop=True)


# -------------------------------------------------------------- the bilateral product rows
def _annual(ds: Dataset, reporter: str, partner: str, flow: str, years) -> pd.DataFrame:
    """Comtrade annual rows of one reporter, partner and flow from the flows table."""
    f = ds.flows
    f = f[
        (f["source"] == "comtrade")
        & (f["freq"] == "A")
        & (f["reporter"] == reporter)
        & (f["partner"] == partner)
        & (f["flow"] == flow)
    ]
    return _keep(f, years)


def _pair_rows(ds: Dataset, reporter: str, partner: str, flow: str, years) -> pd.DataFrame:
    """The leaf (finest HS) rows of _annual."""
    return leaf_rows(_annual(ds, reporter, partner, flow, years))


def _hs2022(rows: pd.DataFrame) -> pd.DataFrame:
    """HS6 rows under their HS2022 code, as the world layer's sums read them: the flows
    table's own hs6_h6 where it has one (the build maps every code it knows), else
    measures.to_hs2022 (worked out only for the rows without it: mapping is the costly part)."""
    six = rows["hs_code"].astype(str).str.len().eq(6)
    if rows.empty or not six.all():
        return rows
    if "hs6_h6" in rows:
        code = rows["hs6_h6"].astype(object)
    else:
        code = pd.Series(None, index=rows.index, dtype=object)
    todo = code.isna().to_numpy()
    if todo.any():
        at = rows[todo]
        mapped = np.asarray(m.to_hs2022(at["hs_rev"], at["hs_code"]).astype(str), dtype=object)
        code = code.copy()
        code[todo] = mapped
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
    a = _args(ds, country=country, level=level, years=years)
    w, syn = _world(ds, a.level, "export")
    out = _keep(m.rca(w, [a.country]).drop(columns="reporter"), a.years)
    return _tidy(out, WORLD_BASIS, syn, country=a.country)


def complementarity(
    ds: Dataset, exporter: str, importer: str, years=None, level: int = 6, by_product: bool = False
) -> pd.DataFrame:
    """Michaely's trade complementarity index of `exporter`'s exports to the World with
    `importer`'s imports from the World, per year; by_product=True gives each product's
    shares and its contribution (points; they sum to the year's index)."""
    a = _args(ds, exporter=exporter, importer=importer, years=years, level=level)
    by_product = A.check_flag("by_product", by_product)
    wx, syn_x = _world(ds, a.level, "export")
    wm, syn_m = _world(ds, a.level, "import")
    by_year, parts = m.complementarity(wm.of_country(a.importer), wx.of_country(a.exporter))
    out = _keep(parts if by_product else by_year, a.years)
    return _tidy(out, WORLD_BASIS, syn_x or syn_m, exporter=a.exporter, importer=a.importer)


def intensity(ds: Dataset, exporter: str, importer: str, years=None) -> pd.DataFrame:
    """Trade intensity of `exporter` with `importer` (and the variant leaving the exporter
    out of the world): the exporter's reported exports to the importer from the flows
    table (the importer's reported imports, CIF, where the exporter reports none: basis
    says which); totals from the world layer, the world's exports to the importer read as
    the importer's reported imports from the World (mirror; CIF)."""
    a = _args(ds, exporter=exporter, importer=importer, years=years)
    wx, syn_x = _any_level(ds, "export")
    wm, syn_m = _any_level(ds, "import")
    x_ij, basis, syn_f = _bilateral_total(ds, a.exporter, a.importer, a.years)
    partner_imports = _country_total(wm, a.importer)
    out = m.intensity(x_ij, _country_total(wx, a.exporter), partner_imports, wx.total)
    out = _keep(out, a.years)
    left_out = sorted(set(_keep(x_ij.rename_axis("year").reset_index(), a.years)["year"]))
    left_out = [int(y) for y in left_out if y not in set(out["year"])]
    # a year of bilateral rows without both totals in the world layer
    basis = _left_out(basis, left_out, "the world layer lacks its totals")
    return _tidy(out, basis, syn_x or syn_m or syn_f, exporter=a.exporter, importer=a.importer)


def _country_total(w: m.WorldTotals, iso: str) -> pd.Series:
    r = w.reporter
    if iso not in r.index.get_level_values("reporter"):
        return pd.Series(dtype=float)
    return r.xs(iso, level="reporter")


def _bilateral_total(ds: Dataset, ex: str, im: str, years) -> tuple[pd.Series, str, bool]:
    """Yearly exports of ex to im: ex's report, else im's report of its imports (mirror)."""
    sides = ((ex, im, "export", f"{ex}'s reported exports to {im}"),)
    sides += ((im, ex, "import", f"{im}'s reported imports from {ex} (mirror, CIF)"),)
    for rep, par, flow, basis in sides:
        f = _annual(ds, rep, par, flow, years)
        if len(f):
            t = pair_totals(f).groupby("year")["value_usd"].sum()
            t.index = t.index.astype("int64")
            return t, basis + "; totals from the world layer", _syn(f)
    return pd.Series(dtype=float), "no bilateral report in the flows table", False


def similarity(ds: Dataset, a: str, b: str, market=None, years=None, level: int = 6):
    """Finger-Kreinin export similarity of a and b: in the World market (their exports to
    the World, world layer) or in one `market` (the market's reported imports from each,
    flows table; only markets the flows table holds product rows for)."""
    g = _args(ds, a=a, b=b, market=market, years=years, level=level)
    if g.market is None:
        w, syn = _world(ds, g.level, "export")
        out = _keep(m.similarity(w.of_country(g.a), w.of_country(g.b)), g.years)
        return _tidy(out, WORLD_BASIS, syn, a=g.a, b=g.b, market=WORLD_ISO3)
    ra, rb = (_pair_rows(ds, g.market, c, "import", g.years) for c in (g.a, g.b))
    if ra.empty or rb.empty:
        raise A.fail(
            "market",
            market,
            f"no product rows of {g.market}'s imports from {g.a if ra.empty else g.b}",
            f"use None (the World) or a market that reports them (CHN for {', '.join(CA_ISO3)})",
        )
    out = m.similarity(_at_level(ra, g.level), _at_level(rb, g.level))
    basis = f"{g.market}'s reported imports from each (flows table)"
    return _tidy(out, basis, _syn(ra, rb), a=g.a, b=g.b, market=g.market)


def concentration(ds: Dataset, country: str, flow: str, years=None, level: int = 6):
    """HHI, normalised HHI, products above USD 100,000 and top-1/3/10 shares of a
    country's exports to (or imports from) the World, per year."""
    a = _args(ds, country=country, flow=flow, years=years, level=level)
    w, syn = _world(ds, a.level, a.flow)
    out = _keep(m.concentration(w.of_country(a.country)), a.years)
    return _tidy(out, WORLD_BASIS, syn, country=a.country, flow=a.flow)


def intra_industry(ds: Dataset, a: str, b: str, years=None, level: int = 6, by_product=False):
    """Grubel-Lloyd index of a's trade with b, per year (trade-weighted) or per product
    (by_product=True): a's reports, else b's reports read from a's side (mirror)."""
    g = _args(ds, a=a, b=b, years=years, level=level)
    by_product = A.check_flag("by_product", by_product)
    x, mm = _pair_rows(ds, g.a, g.b, "export", g.years), _pair_rows(ds, g.a, g.b, "import", g.years)
    basis = f"{g.a}'s reports of its trade with {g.b}"
    if x.empty and mm.empty:
        x = _pair_rows(ds, g.b, g.a, "import", g.years)
        mm = _pair_rows(ds, g.b, g.a, "export", g.years)
        basis = f"{g.b}'s reports of its trade with {g.a} (mirror)"
    agg, per = m.intra_industry(_at_level(x, g.level), _at_level(mm, g.level))
    return _tidy(per if by_product else agg, basis, _syn(x, mm), a=g.a, b=g.b)


def price_volume(
    ds: Dataset, reporter: str, partner: str, flow: str, years=None, codes=None
) -> pd.DataFrame:
    """Chain-linked Fisher unit-value and volume indices of one reported flow over the
    years asked (the first = 100): partner WLD reads the world layer at HS6, else the
    flows table's HS6 rows; `codes` (HS prefixes, e.g. ["2711"] for gas) narrows the
    products. See measures.price_volume."""
    a = _args(ds, reporter=reporter, partner=partner, flow=flow, years=years, codes=codes)
    if a.partner == WORLD_ISO3:
        rows = _keep(_read_world(ds, 6, reporters=[a.reporter], flow=a.flow), a.years)
        basis = f"{a.reporter}'s reports with the World (world layer, HS6)"
    else:
        rows = _pair_rows(ds, a.reporter, a.partner, a.flow, a.years)
        rows = rows[rows["hs_level"] == 6]
        basis = f"{a.reporter}'s reports with {a.partner} (flows table, HS6)"
    rows = _hs2022(rows)  # a product keeps its code across a revision change
    if a.codes:
        rows = rows[rows["hs_code"].astype(str).str.startswith(tuple(a.codes))]
    out, _ = m.price_volume(rows)
    counts = ["n_products", "n_unit_change", "n_no_quantity", "n_outliers"]
    out[counts] = out[counts].astype("Int64")  # empty in the base year
    return _tidy(out, basis, _syn(rows), reporter=a.reporter, partner=a.partner, flow=a.flow)


def potential(
    ds: Dataset,
    country: str,
    area=None,
    years=None,
    level: int = 6,
    n: int | None = 20,
    *,
    areas=None,
) -> pd.DataFrame:
    """The `n` products per year (None: all) with the largest gap between `country`'s
    export potential in China (China's imports from the World x the country's share of
    world exports) and China's reported imports from it, with their focus-area tags;
    `area` (one focus area or a list; `areas` is its older name) keeps the products those
    areas tag (fully or partly), e.g. "agriculture". A simple market-share method after
    ITC's idea. Only years whose world layer holds both China's imports and the country's
    exports are measured (a year without them would show potential 0 and every gap
    negative); basis names the years left out."""
    a = _args(ds, country=country, years=years, level=level)
    picked = _check_area(area, areas)
    n = A.check_count("n", n) if n is not None else None
    wx, syn_x = _world(ds, a.level, "export")
    wm, syn_m = _world(ds, a.level, "import")
    market = _keep(wm.of_country(CHINA.iso3), a.years)
    own = wx.of_country(a.country)
    actual = _pair_rows(ds, CHINA.iso3, a.country, "import", a.years)
    measured = sorted(set(market["year"]) & set(own["year"]))
    asked = sorted(set(market["year"]) | set(own["year"]) | set(actual["year"].astype(int)))
    left_out = [y for y in asked if y not in measured]
    if not measured:
        raise WorldLayerMissingError(_no_potential_year(a, market, own))
    actual = actual[actual["year"].astype(int).isin(measured)]
    market = market[market["year"].isin(measured)]
    out = m.potential(market, wx, a.country, _at_level(actual, a.level))
    out = out.merge(_area_tags(out["hs_code"].unique(), a.level), on="hs_code", how="left")
    out["areas"] = out["areas"].fillna("")
    if picked:
        tagged = out["areas"].map(
            lambda t: bool({x.split(" (")[0] for x in t.split("; ")} & set(picked))
        )
        out = out[tagged.astype(bool)]
    out = out.sort_values(["year", "gap_usd"], ascending=[True, False])
    out = out.groupby("year", group_keys=False).head(n) if n else out
    out.insert(2, "description", out["hs_code"].map(_descriptions()).fillna(""))
    basis = "CHN's reported imports (World and from the country); world shares from reporters"
    why = f"the world layer lacks CHN's imports or {a.country}'s exports there"
    basis = _left_out(basis, left_out, why)
    return _tidy(out, basis, syn_x or syn_m or _syn(actual), country=a.country)


def _left_out(basis: str, years: list[int], why: str) -> str:
    """`basis`, naming the years of bilateral rows a measure left out, and why."""
    return f"{basis}; {describe_years(years)} left out: {why}" if years else basis


def _no_potential_year(a, market: pd.DataFrame, own: pd.DataFrame) -> str:
    """The one line when no year has both sides potential needs, naming the years each has."""
    held = [
        f"{who} in {describe_years(set(df['year'])) or 'no year'}"
        for who, df in ((f"{a.country}'s exports", own), ("CHN's imports", market))
    ]
    which = f" of {describe_years(a.years)}" if a.years else ""
    return (
        f"potential({a.country!r}): no year{which} has both CHN's imports and {a.country}'s "
        f"exports in the world layer at HS{a.level} ({', '.join(held)}; a country that does "
        f"not report its trade has no world share); run `tradeviz fetch comtrade --plan world "
        f"--level {a.level}` for the years wanted, then `tradeviz build`"
    )


def _check_area(area, areas) -> list[str] | None:
    """potential's focus areas: `area` (one or a list), or `areas`, its older name; each
    checked by the API's checker (one line naming the valid areas)."""
    if area is not None and areas is not None:
        raise A.fail("areas", areas, "given with area=", "use area= alone (areas= is its old name)")
    if areas is not None:
        return A.check_choices("areas", areas, AREA_KEYS)
    return A.check_choices("area", area, AREA_KEYS)


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, str]:
    """code -> short HS description in the latest revision that has the code (as
    vocab.hs.short_label without a revision), for every code at once."""
    from tradeviz.vocab import hs

    c = hs.code_columns("label")[["rev", "code", "label"]].sort_values("rev", kind="stable")
    c = c.drop_duplicates("code", keep="last")
    return dict(zip(c["code"], c["label"].fillna("").astype(str), strict=True))


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
    a = _args(ds, country=country, years=years, level=level)
    w, syn = _world(ds, a.level, "export")
    pci, eci = _complexity_tables(ds, w, a.level)
    to_world = m.mean_pci(w.of_country(a.country), pci)
    china = _pair_rows(ds, CHINA.iso3, a.country, "import", a.years)
    measured = set(pci["year"])  # a year without world rows has no PCI to weight by
    left_out = sorted(set(china["year"].astype(int)) - measured)
    china = china[china["year"].astype(int).isin(measured)]
    to_china = m.mean_pci(_at_level(china, a.level), pci)
    out = to_world.merge(to_china, on="year", how="outer", suffixes=("_world", "_china"))
    out = out.merge(eci[eci["reporter"] == a.country][["year", "eci"]], on="year", how="left")
    basis = f"PCI/ECI: ecomplexity on HS{a.level} world exports; to China: CHN's imports"
    basis = _left_out(basis, left_out, "no world layer there")
    return _tidy(_keep(out, a.years), basis, syn or _syn(china), country=a.country)


def _complexity_tables(ds: Dataset, w: m.WorldTotals, level: int):
    memo = _CACHE.setdefault(ds, {})
    key = ("complexity", level)
    if key not in memo:
        memo[key] = m.complexity_tables(w)
    return memo[key]
