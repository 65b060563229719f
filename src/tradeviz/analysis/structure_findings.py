"""Findings in words for the "Structure and complementarity" section (issue 20), computed at
run time from the Dataset methods: TCI both ways, the top RCA products and whether China
imports them, concentration, the price/volume split of the latest change, and the largest
agricultural potential gaps. Each sentence names its year and says when data are synthetic."""

from __future__ import annotations

import pandas as pd

from tradeviz.analysis.dataset import Dataset
from tradeviz.vocab.countries import CHINA, NAMES

CHN = CHINA.iso3


def _tci(ds: Dataset, c: str) -> str | None:
    out = ds.complementarity(CHN, c)
    back = ds.complementarity(c, CHN)
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


def _rca(ds: Dataset, c: str, n: int = 3) -> str | None:
    r = ds.rca(c)
    if r.empty:
        return None
    year = int(r["year"].max())
    r = r[(r["year"] == year) & (r["value_usd"] > 0.01 * r["reporter_total_usd"])]
    top = r.nlargest(n, "rca")
    china = ds.complementarity(c, CHN, years=year, by_product=True)
    buys = china.set_index("hs_code")["import_share"] if len(china) else pd.Series(dtype=float)
    from tradeviz.analysis.structure import _descriptions

    names = _descriptions()
    items = []
    for k, v in zip(top["hs_code"], top["rca"], strict=True):
        share = float(buys.get(k, 0.0))
        imported = (
            "China imports none"
            if share <= 0
            else f"{share:.1%} of China's imports"
            if share >= 0.001
            else "under 0.1 % of China's imports"
        )
        items.append(f"{k} {names.get(k, '')} (RCA {v:.1f}; {imported})")
    return (
        f"Highest RCA among products over 1 % of {c}'s exports, {year}: " + "; ".join(items) + "."
    )


def _concentration(ds: Dataset, c: str) -> str | None:
    h = ds.concentration(c, "export")
    if h.empty:
        return None
    last = h.iloc[-1]
    return (
        f"{c}'s exports in {int(last['year'])}: HHI {last['hhi']:.2f}, the largest product "
        f"{last['top1_share']:.0%} and the largest ten {last['top10_share']:.0%} of the total."
    )


def _price_volume(ds: Dataset, c: str) -> str | None:
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


def _potential(ds: Dataset, c: str, n: int = 3) -> str | None:
    p = ds.potential(c, areas="agriculture", n=n)
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


def structure_findings(ds: Dataset, country: str) -> list[str]:
    """The section's sentences for one Central Asian country (those its data allow)."""
    from tradeviz.analysis.filters import check_country
    from tradeviz.vocab.countries import CA_ISO3

    c = check_country(country, CA_ISO3)
    lines = [f(ds, c) for f in (_tci, _rca, _concentration, _price_volume, _potential)]
    lines = [s for s in lines if s]
    if lines and ds.synthetic:
        lines.insert(0, f"SYNTHETIC data ({NAMES[c]}): these are not statistics.")
    return lines
