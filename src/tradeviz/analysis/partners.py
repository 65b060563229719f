"""Who a Central Asian country trades with: value, share and rank of every partner and
country group, from the country's own reports or from its partners' mirror reports.

Pure functions over the flows table. Two bases:

* reported: the country's own rows (reporter = country); its World row is the total, and
  the part of it that no partner row accounts for is an explicit `unallocated` row;
* mirror: every other reporter's rows with the country as partner, flows swapped (their
  imports are the country's exports, valued CIF; their exports its imports, FOB). The
  total is the sum over the reporters (there is no World row on that side), and every
  mirror row is an estimate (`is_estimate`).

`side="best"` takes the country's own reports in the years it reported and mirror data in
the other years, saying which in `basis`: Turkmenistan, which hardly reports, comes out as
mirror estimates; a year another country skipped does too.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from tradeviz.analysis.arguments import FilterError, check_choice, check_years, fail
from tradeviz.schema import PARTNERS_FIELDS, conform, empty_frame
from tradeviz.vocab.countries import name as country_name
from tradeviz.vocab.groups import AGGREGATE_PARTNERS, group_totals, groups

SIDES = ("reported", "mirror", "best")  # the same as analysis.arguments.SIDES
FLOWS = ("export", "import", "total")
KINDS = ("country", "group", "unallocated", "world")
UNALLOCATED = "unallocated"
WORLD = "WLD"
COLUMNS = [
    "country",
    "year",
    "side",
    "basis",
    "flow",
    "partner",
    "partner_name",
    "kind",
    "value_usd",
    "share",
    "rank",
    "n_partners",
    "is_estimate",
    "synthetic",
]
# Fewer partner countries than this in a year and basis means the partners plan was not
# fetched (the default plan has China and World only): no rank or crossing year is claimed.
MIN_PARTNERS = 10
# Headline partners of the "who trades with Central Asia" view.
HEADLINE = ("CHN", "RUS", "EU", "TUR")


class PartnersError(FilterError):
    """Bad arguments to the partners analysis (side, country): the shared FilterError of
    analysis.arguments, in its one-line form."""


def _check(side: str, country: str, years=None) -> tuple[str, str, tuple[int, ...] | None]:
    """Side and years through the shared checker (years in any form it takes: 2023,
    "2019-2023", [2019, 2021]); any three-letter code as the country (these functions serve
    every reporter of the flows table)."""
    try:
        side = check_choice("side", side, SIDES)
        iso = country.strip().upper() if isinstance(country, str) else ""
        if len(iso) != 3 or not iso.isalpha():
            raise fail("country", country, "not an ISO3 code", "use an ISO3 code such as KAZ")
        wanted = check_years("years", years, None)
    except FilterError as exc:
        raise PartnersError(str(exc)) from None
    return side, iso, wanted


def _annual(flows: pd.DataFrame, source: str) -> pd.DataFrame:
    keep = (
        (flows["source"] == source)
        & (flows["freq"] == "A")
        & flows["flow"].isin(["export", "import"])
    )
    # only the columns used: filtering every string column of flows dominated the time
    return flows.loc[
        keep,
        [
            "year",
            "reporter",
            "partner",
            "flow",
            "hs_level",
            "value_usd",
            "is_estimated",
            "synthetic",
        ],
    ]


def _cell_values(rows: pd.DataFrame, who: str) -> pd.DataFrame:
    """One value per year, flow and `who` (partner or reporter): the TOTAL row if fetched,
    else the sum of the coarsest HS level fetched (levels are never added together)."""
    cols = ["year", "flow", who]
    if rows.empty:
        return pd.DataFrame(columns=[*cols, "value_usd", "is_estimated", "synthetic"])
    coarsest = rows.groupby(cols)["hs_level"].transform("min")
    picked = rows[rows["hs_level"] == coarsest]
    return (
        picked.groupby(cols)
        .agg(
            value_usd=("value_usd", "sum"),
            is_estimated=("is_estimated", "max"),
            synthetic=("synthetic", "max"),
        )
        .reset_index()
    )


def reported_values(flows: pd.DataFrame, country: str, source: str = "comtrade") -> pd.DataFrame:
    """The country's own annual export/import values by partner (World as WLD)."""
    f = _annual(flows, source)
    out = _cell_values(f[f["reporter"] == country], "partner")
    out["basis"] = "reported"
    return out


def mirror_values(flows: pd.DataFrame, country: str, source: str = "comtrade") -> pd.DataFrame:
    """The country's trade as its partners report it: each reporter's imports from the
    country become the country's exports to it, and the other way round."""
    f = _annual(flows, source)
    f = f[
        (f["partner"] == country)
        & (f["reporter"] != country)
        & ~f["reporter"].astype(str).isin(AGGREGATE_PARTNERS)
    ]
    out = _cell_values(f, "reporter").rename(columns={"reporter": "partner"})
    out["flow"] = out["flow"].map({"import": "export", "export": "import"})
    out["basis"] = "mirror"
    return out


def _with_total(values: pd.DataFrame) -> pd.DataFrame:
    """Adds flow "total" = export + import per year, basis and partner."""
    if values.empty:
        return values
    keys = ["year", "basis", "partner"]
    total = (
        values.groupby(keys)
        .agg(
            value_usd=("value_usd", "sum"),
            is_estimated=("is_estimated", "max"),
            synthetic=("synthetic", "max"),
        )
        .reset_index()
    )
    total["flow"] = "total"
    return pd.concat([values, total], ignore_index=True)


def _pick_side(reported: pd.DataFrame, mirror: pd.DataFrame, side: str) -> pd.DataFrame:
    if side == "reported":
        return reported
    if side == "mirror":
        return mirror
    own_years = set(reported["year"].unique())
    return pd.concat([reported, mirror[~mirror["year"].isin(own_years)]], ignore_index=True)


def partners(
    flows: pd.DataFrame,
    country: str,
    years: int | str | Iterable[int] | None = None,
    side: str = "best",
    source: str = "comtrade",
) -> pd.DataFrame:
    """Value, share and rank of each partner and group in `country`'s exports, imports and
    total trade, per year.

    Rows (columns `COLUMNS`): kind "country" (ranked 1 = largest), "group" (EU, EAEU, CA5,
    CHN_CA5: sums of members in the years they were members, ranked among groups),
    "unallocated" (World minus the partner rows, on the reported basis, when they differ)
    and "world" (the total; share 1). Shares are of the World total of the same year,
    basis and flow, so country rows plus `unallocated` sum to 1. `basis` says which side
    each row comes from; `is_estimate` is true for mirror rows and for values the source
    marks as estimated; `n_partners` counts the partner countries of the year, basis and
    flow (below MIN_PARTNERS the partners plan was not fetched, and ranks mean little)."""
    side, iso, wanted = _check(side, country, years)
    reported = reported_values(flows, iso, source)
    mirror = mirror_values(flows, iso, source)
    values = _pick_side(reported, mirror, side)
    if wanted is not None:
        values = values[values["year"].astype(int).isin(wanted)]
    if values.empty:
        return empty_frame(PARTNERS_FIELDS)
    values = _with_total(values)
    values["year"] = values["year"].astype(int)
    keys = ["year", "basis", "flow"]
    is_country = ~values["partner"].astype(str).isin(AGGREGATE_PARTNERS) & (
        values["partner"] != iso
    )
    countries = values[is_country].copy()
    countries["kind"] = "country"
    world_rows = values[values["partner"] == WORLD].set_index(keys)["value_usd"]
    partner_sum = countries.groupby(keys)["value_usd"].sum()
    world = world_rows.reindex(partner_sum.index.union(world_rows.index))
    world = world.fillna(partner_sum)  # no World row (mirror side): the sum is the total
    flags = values.groupby(keys).agg(
        is_estimated=("is_estimated", "max"), synthetic=("synthetic", "max")
    )

    gap = world - partner_sum.reindex(world.index).fillna(0.0)
    tolerance = (world.abs() * 1e-9).clip(lower=1.0)
    gap = gap[gap.abs() > tolerance]
    unallocated = gap.rename("value_usd").reset_index()
    unallocated["partner"] = UNALLOCATED
    unallocated["kind"] = "unallocated"

    grouped = group_totals(countries[[*keys, "partner", "value_usd"]], by=keys, exclude=iso)
    grouped["kind"] = "group"
    grouped = grouped.drop(columns="members")

    world_out = world.rename("value_usd").reset_index()
    world_out["partner"] = WORLD
    world_out["kind"] = "world"

    extra = pd.concat([unallocated, grouped, world_out], ignore_index=True)
    extra = extra.join(flags, on=keys)
    out = pd.concat([countries, extra], ignore_index=True)
    out["share"] = out["value_usd"] / out.join(world.rename("_world"), on=keys)["_world"]
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    ranked = out["kind"].isin(["country", "group"])
    out.loc[ranked, "rank"] = (
        out[ranked]
        .groupby([*keys, "kind"])["value_usd"]
        .rank(ascending=False, method="min")
        .astype("Int64")
    )
    counts = countries.groupby(keys)["partner"].nunique().rename("n_partners")
    out = out.join(counts, on=keys)
    out["n_partners"] = out["n_partners"].fillna(0).astype("int64")
    out["country"] = iso
    out["side"] = side
    out["is_estimate"] = (out["basis"] == "mirror") | out["is_estimated"].astype(bool)
    out["synthetic"] = out["synthetic"].astype(bool)
    out["partner_name"] = out["partner"].map(partner_name)
    kind_order = {k: i for i, k in enumerate(KINDS)}
    flow_order = {f: i for i, f in enumerate(FLOWS)}
    out = out.assign(_f=out["flow"].map(flow_order), _k=out["kind"].map(kind_order))
    out = out.sort_values(["year", "_f", "_k", "rank", "partner"], na_position="last")
    # dictionary dtypes in every branch: an empty side (TKM's own reports) made the
    # concatenated value_usd and share object columns (issue 23 item 13)
    return conform(out, PARTNERS_FIELDS).reset_index(drop=True)


def partner_name(code: str) -> str:
    """English name of a partner code: group names from the group registry, countries from
    the country registry, else the code itself."""
    if code == UNALLOCATED:
        return "Unallocated (World minus partner rows)"
    if code in groups():
        return groups()[code].name
    return country_name(code)


def china_first_year(
    flows: pd.DataFrame,
    country: str,
    sides: Iterable[str] = ("reported", "mirror"),
    source: str = "comtrade",
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The year China became `country`'s first partner by total trade, from each side.

    "Became" means the start of the last unbroken run of years (of those with data) in
    which China ranks first among countries and that reaches the latest year; when China
    ranks first already in the first year with data, `since_start` is true and the label
    says "or earlier". When China is not first in the latest year the label is "not yet".
    Years with fewer than MIN_PARTNERS partner countries are left out (China would be
    "first" among the only partners fetched by the default plan).
    `table` (a `partners(...)` result with side "best") can be passed for side "best"."""
    iso = _check("best", country)[1]
    rows = []
    for side in sides:
        t = (
            table
            if (table is not None and side == "best")
            else partners(flows, iso, side=side, source=source)
        )
        t = t[(t["flow"] == "total") & (t["kind"] == "country")]
        few = t["n_partners"] < MIN_PARTNERS
        t = t[~few]
        years = sorted(t["year"].unique().tolist())
        row = {
            "country": iso,
            "side": side,
            "first_year": pd.NA,
            "label": f"fewer than {MIN_PARTNERS} partners" if few.any() and t.empty else "no data",
            "since_start": False,
            "latest_year": pd.NA,
            "leader_latest": None,
            "china_rank_latest": pd.NA,
            "china_share_latest": float("nan"),
            "basis_latest": None,
        }
        if years:
            leaders = t.loc[t["rank"] == 1].groupby("year")["partner"].first()
            china = t[t["partner"] == "CHN"].set_index("year")
            latest = years[-1]
            row.update(
                latest_year=latest,
                leader_latest=leaders.get(latest),
                basis_latest=str(t.loc[t["year"] == latest, "basis"].iloc[0]),
            )
            if latest in china.index:
                row.update(
                    china_rank_latest=int(china.at[latest, "rank"]),
                    china_share_latest=float(china.at[latest, "share"]),
                )
            run = []
            for year in reversed(years):
                if leaders.get(year) != "CHN":
                    break
                run.append(year)
            if not run:
                row["label"] = "not yet"
            else:
                first = run[-1]
                since_start = first == years[0]
                row.update(
                    first_year=first,
                    since_start=since_start,
                    label=f"{first} or earlier" if since_start else str(first),
                )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["first_year"] = out["first_year"].astype("Int64")
    out["latest_year"] = out["latest_year"].astype("Int64")
    out["china_rank_latest"] = out["china_rank_latest"].astype("Int64")
    return out


# The columns of `headline_shares`, in order (empty frames keep them too).
HEADLINE_COLUMNS = (
    "country",
    "year",
    "partner",
    "partner_name",
    "share",
    "value_usd",
    "basis",
    "is_estimate",
    "synthetic",
)


def headline_shares(
    table: pd.DataFrame, flow: str = "total", headline: tuple[str, ...] = HEADLINE
) -> pd.DataFrame:
    """Per year: shares of the headline partners (China, Russia, the EU, Türkiye) and of
    the rest (everything else, unallocated included), summing to 1; with basis and
    is_estimate of the year. `table` is a `partners(...)` result for one country."""
    t = table[table["flow"] == check_choice("flow", flow, FLOWS)]
    if t.empty:
        return pd.DataFrame(columns=list(HEADLINE_COLUMNS))
    world = t[t["kind"] == "world"].set_index("year")
    picked = t[t["partner"].isin(headline) & t["kind"].isin(["country", "group"])]
    # shares of disjoint headline partners only: a headline country inside a headline
    # group (none of China, Russia, Türkiye is in the EU) would otherwise count twice
    rows = []
    for year, w in world.iterrows():
        got = picked[picked["year"] == year].set_index("partner")
        taken = 0.0
        for code in headline:
            value = float(got.at[code, "value_usd"]) if code in got.index else 0.0
            taken += value
            rows.append((year, code, value))
        rows.append((year, "rest", float(w["value_usd"]) - taken))
    out = pd.DataFrame(rows, columns=["year", "partner", "value_usd"])
    out = out.join(
        world[["value_usd", "basis", "is_estimate", "synthetic", "country"]].rename(
            columns={"value_usd": "_world"}
        ),
        on="year",
    )
    out["share"] = out["value_usd"] / out["_world"]
    out["partner_name"] = out["partner"].map(
        lambda c: "Rest of the world" if c == "rest" else partner_name(c)
    )
    return out[list(HEADLINE_COLUMNS)]
