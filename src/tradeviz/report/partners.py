"""The country pages' partners section (issue 13): who the country trades with in its latest
year with partner data (largest partner countries, then the EU and the EAEU as groups),
with the basis of the numbers, and a sentence on the year China became its first partner.
Pure: returns frames and text; report.pages turns them into a section."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tradeviz.analysis.formatting import pct, table
from tradeviz.analysis.partners import MIN_PARTNERS, china_first_year
from tradeviz.vocab.countries import name as country_name

TOP = 10


@dataclass
class PartnersSection:
    raw: pd.DataFrame  # what the CSV holds: every partner and group of the latest year
    shown: pd.DataFrame  # the formatted table
    lead: str
    empty: str
    finding: str | None


def partners_section(ds, iso: str, top: int = TOP) -> PartnersSection:
    name = country_name(iso)
    empty = (
        f"No partner rows for {name}: fetch them with `tradeviz fetch comtrade --plan partners`."
    )
    t = ds.partners(iso, side="best")
    t = t[(t["flow"] == "total") & (t["n_partners"] >= MIN_PARTNERS)]
    if t.empty:
        return PartnersSection(t, t, "", empty, None)
    year = int(t["year"].max())
    latest = t[t["year"] == year]
    countries = latest[latest["kind"] == "country"].sort_values("rank").head(top)
    groups = latest[latest["partner"].isin(["EU", "EAEU"])]
    raw = latest[latest["kind"].isin(["country", "group", "unallocated"])]
    shown_rows = pd.concat([countries, groups], ignore_index=True)
    shown_rows = shown_rows.assign(
        rank=[
            str(int(r)) if k == "country" else "group"
            for r, k in zip(shown_rows["rank"], shown_rows["kind"], strict=True)
        ],
        basis=[
            "partners' mirror reports (estimate)" if e else "own report"
            for e in shown_rows["is_estimate"]
        ],
    )
    shown = table(
        shown_rows[["rank", "partner_name", "value_usd", "share", "basis"]],
        usd_cols=["value_usd"],
        pct_cols=["share"],
        rename={
            "partner_name": "partner",
            "value_usd": "total trade",
            "share": f"share of {name}'s trade",
        },
    )
    estimate = bool(latest["is_estimate"].any())
    lead = (
        f"{name}'s largest partners in {year} by total trade (exports + imports), "
        + (
            "from its partners' mirror reports, as it did not report that year: these are "
            "estimates. "
            if estimate
            else "as it reports them. "
        )
        + "The EU and the EAEU are the sums of their members of that year. "
        "Shares are of its total trade with the world."
    )
    first = china_first_year(pd.DataFrame(), iso, sides=("best",), table=t).iloc[0]
    finding = _finding(name, first)
    return PartnersSection(raw, shown, lead, empty, finding)


def _finding(name: str, first: pd.Series) -> str | None:
    basis = "partners' mirror reports" if first["basis_latest"] == "mirror" else "its own reports"
    share = first["china_share_latest"]
    year = first["latest_year"]
    if pd.isna(year):
        return None
    if first["label"] == "not yet":
        return (
            f"China is not yet {name}'s first partner among single countries: it ranks "
            f"{first['china_rank_latest']} in {year} with {pct(share)} of its trade, "
            f"behind {country_name(str(first['leader_latest']))} ({basis})."
        )
    since = (
        f"since {first['first_year']} or earlier"
        if first["since_start"]
        else f"since {first['first_year']}"
    )
    return (
        f"China has been {name}'s first partner among single countries {since}: "
        f"{pct(share)} of its trade in {year} ({basis})."
    )
