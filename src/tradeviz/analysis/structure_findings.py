"""Findings in words for the "Structure and complementarity" section (issue 20), computed at
run time from the Dataset methods: TCI both ways, the top RCA products and whether China
imports them, concentration, the price/volume split of the latest change, and the largest
agricultural potential gaps. Each sentence names its year and says when data are synthetic."""

from __future__ import annotations

import pandas as pd

from tradeviz.analysis.dataset import Dataset
from tradeviz.vocab.countries import CHINA, NAMES

CHN = CHINA.iso3
MISSING = (
    "No world layer in the tables, so no specialisation or complementarity measures: "
    "`tradeviz fetch comtrade --plan world --level 4` then `tradeviz build` provides it."
)
LIMITS = (
    "The potential is China's imports of a product times the country's share of world "
    "exports of it: an upper bound that ignores distance, tariffs, sanitary rules, "
    "contracts and whether the country can supply more; a gap is a place to look, not a "
    "forecast."
)


def world_level(ds: Dataset) -> int | None:
    """The finest HS level the world layer holds (6, 4 or 2), None when it has none: the
    structure section measures at that level."""
    from tradeviz.analysis.structure import WorldLayerMissingError
    from tradeviz.analysis.world import world_years

    processed = getattr(ds, "processed", None)
    for level in (6, 4, 2):
        if processed is not None:
            if world_years(processed, level):
                return level
            continue
        try:  # an in-memory Dataset: ask its accessor
            if len(ds.world(level=level, reporters=[CHN], flow="export")):
                return level
        except WorldLayerMissingError:
            continue
    return None


def _tci(ds: Dataset, c: str, level: int) -> str | None:
    out = ds.complementarity(CHN, c, level=level)
    back = ds.complementarity(c, CHN, level=level)
    if out.empty and back.empty:
        return None
    parts = []
    for f, what in ((out, f"China→{c}"), (back, f"{c}→China")):
        if len(f):
            last, first = f.iloc[-1], f.iloc[0]
            since = f" ({int(first['year'])}: {first['tci']:.0f})" if len(f) > 1 else ""
            parts.append(f"{what} {last['tci']:.0f} in {int(last['year'])}{since}")
        else:
            parts.append(f"{what}: no report")
    return "Trade complementarity (0-100): " + "; ".join(parts) + "."


def top_rca(ds: Dataset, c: str, level: int, n: int = 10) -> pd.DataFrame:
    """The latest year's `n` products of highest RCA among those over 1 % of the country's
    exports, with China's imports of each (share of China's imports; 0 when none)."""
    r = ds.rca(c, level=level)
    if r.empty:
        return r
    year = int(r["year"].max())
    r = r[(r["year"] == year) & (r["value_usd"] > 0.01 * r["reporter_total_usd"])]
    top = r.nlargest(n, "rca").copy()
    china = ds.complementarity(c, CHN, years=year, level=level, by_product=True)
    buys = china.set_index("hs_code")["import_share"] if len(china) else pd.Series(dtype=float)
    from tradeviz.analysis.structure import _descriptions

    top["description"] = top["hs_code"].map(_descriptions()).fillna("")
    top["export_share"] = top["value_usd"] / top["reporter_total_usd"]
    top["china_import_share"] = [float(buys.get(k, 0.0)) for k in top["hs_code"]]
    return top


def _imported(share: float) -> str:
    if share <= 0:
        return "China imports none"
    if share < 0.001:
        return "under 0.1 % of China's imports"
    return f"{share:.1%} of China's imports"


def _rca(ds: Dataset, c: str, level: int, n: int = 3) -> str | None:
    top = top_rca(ds, c, level, n)
    if top.empty:
        return None
    year = int(top["year"].max())
    items = [
        f"{k} {d} (RCA {v:.1f}; {_imported(s)})"
        for k, d, v, s in zip(
            top["hs_code"], top["description"], top["rca"], top["china_import_share"], strict=True
        )
    ]
    return (
        f"Highest RCA among products over 1 % of {c}'s exports, {year}: " + "; ".join(items) + "."
    )


def _concentration(ds: Dataset, c: str, level: int) -> str | None:
    h = ds.concentration(c, "export", level=level)
    if h.empty:
        return None
    last = h.iloc[-1]
    return (
        f"{c}'s exports in {int(last['year'])}: HHI {last['hhi']:.2f}, the largest product "
        f"{last['top1_share']:.0%} and the largest ten {last['top10_share']:.0%} of the total."
    )


def _price_volume(ds: Dataset, c: str, level: int) -> str | None:
    pv = ds.price_volume(CHN, c, "import").dropna(subset=["value_change"])
    if pv.empty:
        return None
    last = pv.iloc[-1]
    rose = "rose" if last["value_change"] >= 0 else "fell"
    return (
        f"China's imports from {c} {rose} {abs(last['value_change']):.1f} % in {int(last['year'])}"
        f" over products with usable quantities ({last['coverage']:.0%} of the value): "
        f"{last['price_points']:+.1f} points from unit values, {last['volume_points']:+.1f} "
        "from volumes."
    )


def potential(ds: Dataset, c: str, level: int, n: int, area: str = "agriculture"):
    """ds.potential of one area, empty when the world layer has no year with both China's
    imports and the country's exports (a country that reports no trade, as Turkmenistan
    to Comtrade): the section goes on for the others."""
    from tradeviz.errors import WorldLayerMissingError

    try:
        return ds.potential(c, area=area, level=level, n=n)
    except WorldLayerMissingError:
        return pd.DataFrame()


def _potential(ds: Dataset, c: str, level: int, n: int = 3) -> str | None:
    p = potential(ds, c, level, n)
    if p.empty:
        return None
    year = int(p["year"].max())
    p = p[p["year"] == year]
    items = [
        f"{k} {d} (gap USD {g / 1e6:,.1f} mn)"
        for k, d, g in zip(p["hs_code"], p["description"], p["gap_usd"], strict=True)
    ]
    return (
        f"Largest agricultural potential gaps in China for {c}, {year} (market-share method): "
        + "; ".join(items)
        + "."
    )


def structure_findings(ds: Dataset, country: str, level: int | None = None) -> list[str]:
    """The section's sentences for one Central Asian country (those its data allow), at
    `level` (default: the finest the world layer holds); one sentence naming the fetch when
    there is no world layer."""
    from tradeviz.analysis.filters import check_country
    from tradeviz.vocab.countries import CA_ISO3

    c = check_country(country, CA_ISO3)
    level = level or world_level(ds)
    if level is None:
        return [MISSING]
    steps = (_tci, _rca, _concentration, _price_volume, _potential)
    lines = [f(ds, c, level) for f in steps]
    lines = [s for s in lines if s]
    if lines and ds.synthetic:
        lines.insert(0, f"SYNTHETIC data ({NAMES[c]}): these are not statistics.")
    return lines
