"""Findings as sentences built from the numbers at run time: the latest year's total and its
change, the largest partner and product, the fastest-growing focus area, China's share, the
mirror gap, the latest months.

Each function takes one tidy frame from `tradeviz.Dataset` and returns a sentence, or ""
when the data do not show the thing (too few years, no rows): nothing is hard-coded and
nothing is claimed that the data do not support. Notebooks and the HTML report use the same
functions, so they say the same thing about the same tables.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tradeviz.analysis.formatting import pct, usd
from tradeviz.vocab.areas import LABELS as AREA_LABELS
from tradeviz.vocab.countries import BY_ISO3, CA_ISO3

CA5 = "CA5"
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}


def data_dir_of(ds) -> Path | None:
    """The data directory holding raw/ and processed/ of Dataset `ds` (its processed/ may
    be a build generation under .processed/), or None for in-memory tables."""
    if ds.processed is None:
        return None
    up = Path(ds.processed).parent
    return up.parent if up.name == ".processed" else up


def tables_sentence(ds) -> str:
    """Which tables a notebook reads, why those, and whether they are synthetic."""
    text = f"Tables: `{data_dir_of(ds)}` ({ds.origin})."
    if ds.filters:
        text += " Filters: " + ", ".join(f"{k} {v}" for k, v in ds.filters.items()) + "."
    if ds.synthetic:
        text += " **SYNTHETIC demo data, not statistics.**"
    return text


def country_name(iso3: str) -> str:
    if iso3 == CA5:
        return "Central Asia (the five together)"
    country = BY_ISO3.get(iso3)
    return country.name if country else iso3


def _change(new: float, old: float | None) -> float | None:
    if old is None or pd.isna(old) or old == 0:
        return None
    return new / old - 1


def _rise_or_fall(change: float) -> str:
    return f"up {pct(change)}" if change >= 0 else f"down {pct(-change)}"


def headline_partner(totals: pd.DataFrame) -> str:
    """CA5 when the five are shown together, else the largest partner shown (a notebook
    filtered to one country talks about that country)."""
    partners = set(totals["partner"])
    if CA5 in partners or not partners:
        return CA5
    return str(totals.groupby("partner")["total_usd"].sum().idxmax())


def total_sentence(totals: pd.DataFrame, partner: str | None = None) -> str:
    """'In 2024 China's trade with X was USD 94.8 bn (exports USD 64 bn, imports USD 31 bn),
    up 5.1% on 2023.' From `Dataset.totals()` rows of one partner (default: see
    headline_partner)."""
    partner = partner or headline_partner(totals)
    rows = totals[totals["partner"] == partner].sort_values("year")
    rows = rows[rows["total_usd"] > 0]
    if rows.empty:
        return ""
    last = rows.iloc[-1]
    year = int(last["year"])
    text = (
        f"In {year} China's reported trade with {country_name(partner)} was "
        f"{usd(last['total_usd'])} (China's exports {usd(last['exports_usd'])}, "
        f"imports {usd(last['imports_usd'])})"
    )
    prev = rows[rows["year"] == year - 1]
    change = _change(last["total_usd"], prev["total_usd"].iloc[0] if len(prev) else None)
    if change is not None:
        text += f", {_rise_or_fall(change)} on {year - 1}"
    return text + "."


def balance_sentence(totals: pd.DataFrame, partner: str | None = None) -> str:
    """Who runs the surplus in the latest year, and how large it is."""
    partner = partner or headline_partner(totals)
    rows = totals[(totals["partner"] == partner) & (totals["total_usd"] > 0)]
    if rows.empty:
        return ""
    last = rows.sort_values("year").iloc[-1]
    bal = float(last["balance_usd"])
    if bal == 0:
        return f"In {int(last['year'])} China's trade with {country_name(partner)} balanced."
    side = "surplus" if bal > 0 else "deficit"
    return (
        f"China ran a {side} of {usd(abs(bal))} with {country_name(partner)} in "
        f"{int(last['year'])}."
    )


def largest_partner_sentence(totals: pd.DataFrame) -> str:
    """The largest Central Asian partner in the latest year and its share of the five."""
    rows = totals[(totals["partner"] != CA5) & (totals["total_usd"] > 0)]
    if rows["partner"].nunique() < 2:  # one country shown: "largest" would claim nothing
        return ""
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year].sort_values("total_usd", ascending=False)
    top = latest.iloc[0]
    whole = latest["total_usd"].sum()
    text = (
        f"{country_name(top['partner'])} was China's largest Central Asian partner in "
        f"{year} ({usd(top['total_usd'])}"
    )
    if len(latest) > 1:
        count = NUMBERS.get(len(latest), str(len(latest)))
        text += f", {pct(top['total_usd'] / whole, 0)} of China's trade with the {count}"
        text += " countries shown"
    return text + ")."


def fastest_growth_sentence(totals: pd.DataFrame, window: int | None = None) -> str:
    """The partner whose trade with China grew fastest (compound annual rate) since the
    first year of the tables (the base year of `Dataset.growth()`, which the totals table
    and the trade_growth chart use too), or over the latest `window` years."""
    rows = totals[(totals["partner"] != CA5) & (totals["total_usd"] > 0)]
    years = sorted(rows["year"].unique())
    if len(years) < 2:
        return ""
    last = int(years[-1])
    first = int(years[0]) if window is None else max(int(years[0]), last - window)
    t = rows.pivot_table(index="partner", columns="year", values="total_usd")
    if first not in t or last not in t:
        return ""
    t = t[[first, last]].dropna()
    t = t[t[first] > 0]
    if len(t) < 2:
        return ""
    cagr = (t[last] / t[first]) ** (1 / (last - first)) - 1
    best = cagr.idxmax()
    return (
        f"Fastest growth {first}–{last}: {country_name(best)}, "
        f"{pct(cagr[best], signed=True)} a year (from {usd(t.loc[best, first])} to "
        f"{usd(t.loc[best, last])})."
    )


def top_product_sentence(top: pd.DataFrame, partner: str, flow: str) -> str:
    """The largest product of one flow from `Dataset.top_products()`."""
    if top.empty:
        return ""
    row = top.sort_values("value_usd", ascending=False).iloc[0]
    what = _product(row)
    verb = "exported to" if flow == "export" else "imported from"
    text = (
        f"The largest product China {verb} {country_name(partner)} in "
        f"{int(row['year']) if 'year' in row else ''} was {what}: {usd(row['value_usd'])}"
    )
    share = row.get("share")
    if share is not None and not pd.isna(share):
        text += f", {pct(share)} of the flow"
    return text.replace(" in  was", " was") + "."


def fastest_area_sentence(areas: pd.DataFrame, window: int | None = None) -> str:
    """The focus area whose value grew fastest since the first year (the window the
    growth table and charts use; or over the latest `window` years), from
    `Dataset.by_area()`: attributable (match `full`) values only, both flows together,
    areas with a value at both ends only."""
    rows = areas[(areas["match"] == "full") & (areas["area"] != "other")]
    if rows.empty:
        return ""
    t = rows.groupby(["area", "year"])["value_usd"].sum().unstack("year")
    years = sorted(t.columns)
    if len(years) < 2:
        return ""
    last = int(years[-1])
    first = int(years[0]) if window is None else max(int(years[0]), last - window)
    if first not in t:
        return ""
    t = t[[first, last]].dropna()
    t = t[(t[first] > 0) & (t[last] > 0)]
    if t.empty:
        return ""
    cagr = (t[last] / t[first]) ** (1 / (last - first)) - 1
    best = cagr.idxmax()
    return (
        f"Fastest-growing focus area {first}–{last}: {AREA_LABELS.get(best, best)}, "
        f"{pct(cagr[best], signed=True)} a year, to {usd(t.loc[best, last])} in {last}."
    )


def share_sentence(shares: pd.DataFrame, country: str | None = None) -> str:
    """China's share of a country's trade in the latest year, from both reporting sides
    (`Dataset.shares()`); without `country`, the country where the share is highest."""
    if country is None and shares["country"].nunique() == 1:
        country = str(shares["country"].iloc[0])
    rows = shares if country is None else shares[shares["country"] == country]
    rows = rows.dropna(subset=["share_partner_reported"])
    if rows.empty:
        return ""
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year]
    if country is None:
        top = latest.sort_values("share_partner_reported", ascending=False).iloc[0]
        return (
            f"China's share of a Central Asian country's trade was highest for "
            f"{country_name(top['country'])} in {year}: "
            f"{pct(top['share_partner_reported'], 0)} by its own reports" + _other_side(top) + "."
        )
    row = latest.iloc[0]
    return (
        f"China took {pct(row['share_partner_reported'], 0)} of "
        f"{country_name(country)}'s reported trade in {year}" + _other_side(row) + "."
    )


def _other_side(row) -> str:
    other = row.get("share_china_reported")
    if other is None or pd.isna(other):
        return ""
    text = (
        f"; China's own figures for that trade come to {pct(other, 0)} of the country's "
        "reported world total"
    )
    if other > 1:  # not a share: China records more than the country records in all
        name = country_name(row["country"]) if "country" in row else "the country"
        text += (
            f", more than all of it: China records more trade with {name} than {name} "
            "records with the whole world, a mirror gap between the two customs records "
            "(see the mirror section), not a share above 100%"
        )
    return text


def mirror_sentence(mirror: pd.DataFrame, country: str | None = None) -> str:
    """The largest mirror gap in the latest year both sides report (`Dataset.mirror()`:
    gap_usd = importer's CIF minus exporter's FOB, ratio = importer / exporter)."""
    rows = mirror if country is None else mirror[mirror["country"] == country]
    rows = rows[(rows["exporter_fob_usd"] > 0) & (rows["importer_cif_usd"] > 0)]
    if rows.empty:
        return ""
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year]
    row = latest.loc[latest["gap_usd"].abs().idxmax()]
    exp, imp = country_name(row["exporter"]), country_name(row["importer"])
    more = "more" if row["gap_usd"] > 0 else "less"
    return (
        f"Largest mirror gap in {year}: {imp} reported imports from {exp} of "
        f"{usd(row['importer_cif_usd'])}, {usd(abs(row['gap_usd']))} {more} than the "
        f"{usd(row['exporter_fob_usd'])} {exp} reported exporting (ratio "
        f"{row['ratio']:.2f})."
    )


def ytd_sentence(ytd: pd.DataFrame, partner: str | None = None) -> str:
    """Year to date against the same months of the previous year, total trade
    (`Dataset.year_to_date()`)."""
    if partner is None:
        partner = CA5 if (ytd["partner"] == CA5).any() or ytd.empty else str(ytd["partner"].iloc[0])
    rows = ytd[(ytd["partner"] == partner) & (ytd["measure"] == "total")]
    rows = rows.dropna(subset=["change"])
    if rows.empty:
        return ""
    row = rows.iloc[-1]
    year = int(row["year"])
    if int(row["months"]) == 12:
        return (
            f"In {year} (all twelve months, source {_source_name(row['source'])}): "
            f"{usd(row['ytd_usd'])} with {country_name(partner)}, "
            f"{_rise_or_fall(row['change'])} on {year - 1}."
        )
    return (
        f"Year to date ({row['period']}, source {_source_name(row['source'])}): "
        f"{usd(row['ytd_usd'])} with {country_name(partner)}, "
        f"{_rise_or_fall(row['change'])} on the same months of {year - 1}."
    )


def _source_name(key: str) -> str:
    from tradeviz.vocab.flows import source_name

    return source_name(key)


def _product(row) -> str:
    """'HS 640299 (Footwear, rubber or plastic soles and uppers)': the product's label
    (never cut mid-word), else its description shortened by the same rules."""
    from tradeviz.vocab.labels import shorten  # noqa: PLC0415

    label = row.get("label")
    if not isinstance(label, str) or not label.strip():
        desc = str(row.get("description") or "").strip()
        label = shorten(desc) if desc and desc != "nan" else ""
    return f"HS {row['hs_code']}" + (f" ({label.strip()})" if label.strip() else "")


def area_detail_sentence(detail: pd.DataFrame, what: str, flow: str) -> str:
    """One focus area (`Dataset.area_detail()`, one row per year, group and match) in the
    latest year: value, change on the year, and the largest group (partner or category)."""
    if detail.empty:
        return ""
    t = detail.groupby("year")["value_usd"].sum()
    t = t[t > 0]
    if t.empty:
        return ""
    year = int(t.index.max())
    verb = "imported" if flow == "import" else "exported"
    where = "from" if flow == "import" else "to"
    text = f"In {year} China {verb} {usd(t[year])} of {what} {where} the countries shown"
    change = _change(t[year], t.get(year - 1))
    if change is not None:
        text += f", {_rise_or_fall(change)} on {year - 1}"
    groups = detail[detail["year"] == year].groupby("group")["value_usd"].sum()
    if len(groups) > 1 and groups.sum() > 0:
        top = groups.idxmax()
        name = country_name(top) if top in BY_ISO3 else str(top)
        text += f"; the largest part, {pct(groups[top] / groups.sum(), 0)}, {name}"
    return text + "."


def area_coverage_sentence(areas: pd.DataFrame) -> str:
    """How much of the latest year's trade falls in a focus area (`Dataset.by_area()`):
    attributable, partial remainder, and neither."""
    if areas.empty:
        return ""
    year = int(areas["year"].max())
    latest = areas[areas["year"] == year]
    total = latest["value_usd"].sum()
    if total <= 0:
        return ""
    full = latest.loc[(latest["match"] == "full") & (latest["area"] != "other"), "value_usd"].sum()
    partial = latest.loc[latest["match"] == "partial", "value_usd"].sum()
    text = (
        f"In {year}, {pct(full / total, 0)} of China's trade with the countries shown "
        "was in products a focus area covers fully"
    )
    if partial > 0:
        text += (
            f", and another {pct(partial / total, 0)} in codes only partly in one "
            "(kept apart as the partial remainder)"
        )
    return text + "."


def largest_area_sentence(areas: pd.DataFrame, flow: str) -> str:
    """The largest attributable focus area of one flow in the latest year."""
    rows = areas[(areas["flow"] == flow) & (areas["match"] == "full") & (areas["area"] != "other")]
    if rows.empty:
        return ""
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year]
    row = latest.loc[latest["value_usd"].idxmax()]
    what = "exports" if flow == "export" else "imports"
    return (
        f"The largest focus area of China's {what} in {year}: "
        f"{AREA_LABELS.get(row['area'], row['area'])}, {usd(row['value_usd'])} "
        f"({pct(row['share'], 0)} of the flow)."
    )


def sources_sentence(diff: pd.DataFrame) -> str:
    """How far IMF and Comtrade differ (`Dataset.imf_vs_comtrade()`): the median absolute
    difference and the largest one."""
    d = diff.dropna(subset=["difference"])
    if d.empty:
        return ""
    worst = d.loc[d["difference"].abs().idxmax()]
    return (
        f"Across {len(d)} country, flow and year comparisons, the IMF's figures differ "
        f"from Comtrade's by {pct(d['difference'].abs().median())} in the middle case; "
        f"the largest difference is {country_name(worst['country'])} "
        f"{worst['flow']}s in {int(worst['year'])}, {pct(worst['difference'], signed=True)}."
    )


def check_sentence(result: pd.DataFrame) -> str:
    """The published-figures check (`analysis.checks.compare`) in one sentence."""
    if result.empty:
        return ""
    counts = result["status"].value_counts()
    text = (
        f"{counts.get('pass', 0)} of {len(result)} published China Customs figures are "
        f"matched within 2%"
    )
    if counts.get("FAIL", 0):
        text += f"; {counts['FAIL']} are not"
    if counts.get("no data", 0):
        text += f"; {counts['no data']} have no data in the tables"
    basis = result["basis"] if "basis" in result else pd.Series("independent", result.index)
    if (basis == "synthetic").all():  # the demo is made from these figures (#21)
        return (
            text + ". The tables are SYNTHETIC, calibrated to these figures: this confirms nothing."
        )
    confirmed = int(((basis == "independent") & (result["status"] == "pass")).sum())
    if confirmed < counts.get("pass", 0):  # derived or UN Comtrade's own figures confirm nothing
        text += f"; {confirmed} of the matches are independent confirmations"
    return text + "."


def mirror_directions_sentence(mirror: pd.DataFrame) -> str:
    """Both directions in the latest year both sides report, summed over the countries
    shown: what importers report as a share of what exporters report."""
    rows = mirror[(mirror["exporter_fob_usd"] > 0) & (mirror["importer_cif_usd"] > 0)]
    if rows.empty:
        return ""
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year]
    parts = []
    for out, label in (
        (
            True,
            "the partners' reported imports from China came to {r} of "
            "what China reported exporting to them",
        ),
        (
            False,
            "China's reported imports from them came to {r} of what "
            "they reported exporting to China",
        ),
    ):
        d = latest[(latest["exporter"] == "CHN") == out]
        if len(d) and d["exporter_fob_usd"].sum() > 0:
            ratio = d["importer_cif_usd"].sum() / d["exporter_fob_usd"].sum()
            parts.append(label.format(r=pct(ratio, 0)))
    if not parts:
        return ""
    return f"In {year} " + "; ".join(parts) + "."


def largest_product_sentence(tops: pd.DataFrame, flow: str) -> str:
    """The single largest HS6 product of one flow across the countries shown, from the
    `Dataset.top_products()` frames of each country concatenated."""
    rows = tops[(tops["flow"] == flow) & (tops["value_usd"] > 0)] if len(tops) else tops
    if rows.empty:
        return ""
    row = rows.loc[rows["value_usd"].idxmax()]
    what = _product(row)
    verb = "export to" if flow == "export" else "import from"
    return (
        f"China's largest single {verb} the region in {int(row['year'])}: {what}, "
        f"{'to' if flow == 'export' else 'from'} {country_name(row['country'])}, "
        f"{usd(row['value_usd'])}."
    )


def all_top_products(ds, n: int = 1) -> pd.DataFrame:
    """The top `n` products of both flows for every country of Dataset `ds`, in one frame."""
    frames = [
        ds.top_products(iso, flow, n=n)
        for iso in (ds.countries or CA_ISO3)
        for flow in ("export", "import")
    ]
    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["flow", "value_usd", "country", "year", "hs_code", "description", "label"]
        )
    )
