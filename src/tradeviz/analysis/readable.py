"""Dataset frames as tables for reading: columns a person understands, USD in one unit per
column, percentages, thousands separators. Each function takes the frame a Dataset method
returns and gives the display copy; the numbers themselves stay in the source frame (the
CSV downloads), so the notebooks and the HTML report show the same tables."""

from __future__ import annotations

import pandas as pd

from tradeviz.analysis.findings import country_name
from tradeviz.analysis.formatting import arrow, table
from tradeviz.vocab.areas import LABELS as AREA_LABELS
from tradeviz.vocab.labels import shorten

MATCH_TEXT = {"full": "attributable", "partial": "partial remainder", "none": "–"}


def with_labels(frame: pd.DataFrame, code: str = "hs_code", rev: str = "hs_rev") -> pd.DataFrame:
    """A product frame with `description` the full HS text and `label` (at most LABEL_WIDTH
    characters, never cut mid-word) right after it, for charts and tables; the CSV and JSON
    keep both. `rev` names the revision column, or is a revision itself (chapters: H6).
    A code the HS reference does not know keeps the frame's own text, shortened alike
    (vocab.labels.LABEL_WIDTH characters at most)."""
    from tradeviz.vocab import hs  # noqa: PLC0415 (the reference loads on first use)

    out = frame.copy()
    revs = out[rev] if rev in out else pd.Series(rev, index=out.index)
    codes = out[code].astype(str)
    given = out["description"] if "description" in out else pd.Series("", index=out.index)
    given = given.fillna("").astype(str)
    full = hs.descriptions(revs, codes).fillna(given)
    label = hs.labels_of(revs, codes)
    own = [shorten(t) if t else c for t, c in zip(given, codes, strict=True)]
    label = label.where(label.notna(), pd.Series(own, index=out.index, dtype=object))
    out["description"] = full.astype(object).to_numpy()
    at = list(out.columns).index("description") + 1
    out.insert(at, "label", label.astype(object).to_numpy())
    return out


def with_growth(totals: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    """Annual `Dataset.totals()` rows with the total's change on the year (`yoy`) and
    compound growth since the first year (`cagr`) from `Dataset.growth("totals")`."""
    cols = ["partner", "year", "yoy", "cagr"]
    g = (
        growth.loc[growth["measure"] == "total", cols]
        if len(growth)
        else pd.DataFrame(columns=cols)
    )
    annual = totals[totals["month"].isna()] if "month" in totals else totals
    return annual.merge(g, on=["partner", "year"], how="left")


def latest_totals(totals: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    """One row per partner (and CA5) for the latest year: exports, imports, total, balance,
    change on the year and growth a year since the first year."""
    t = with_growth(totals, growth)
    since = "the first year"
    if not t.empty:
        t = t[t["year"] == t["year"].max()]
        if len(growth) and growth["base_year"].notna().any():
            since = str(int(growth["base_year"].min()))
    return table(
        t.assign(partner=t["partner"].map(country_name))[
            [
                "partner",
                "year",
                "exports_usd",
                "imports_usd",
                "total_usd",
                "balance_usd",
                "yoy",
                "cagr",
            ]
        ],
        usd_cols=["exports_usd", "imports_usd", "total_usd", "balance_usd"],
        signed_pct_cols=["yoy", "cagr"],
        rename={
            "exports_usd": "China's exports",
            "imports_usd": "China's imports",
            "total_usd": "total",
            "balance_usd": "balance",
            "yoy": "total, change on year",
            "cagr": f"total, growth a year since {since}",
        },
    )


def totals_by_year(totals: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    """One partner's totals per year, with the total's change on the year."""
    t = with_growth(totals, growth)
    return table(
        t[["year", "exports_usd", "imports_usd", "total_usd", "balance_usd", "yoy"]],
        usd_cols=["exports_usd", "imports_usd", "total_usd", "balance_usd"],
        signed_pct_cols=["yoy"],
        rename={
            "exports_usd": "China's exports",
            "imports_usd": "China's imports",
            "total_usd": "total",
            "balance_usd": "balance",
            "yoy": "total, change on year",
        },
    )


def shares(shares: pd.DataFrame, by_country: bool = False) -> pd.DataFrame:
    """`Dataset.shares()` with both sides' shares; rows with neither share are dropped."""
    s = shares.dropna(subset=["share_partner_reported", "share_china_reported"], how="all")
    lead = ["country", "year"] if by_country else ["year"]
    s = s.assign(country=s["country"].map(country_name))
    return table(
        s[
            [
                *lead,
                "partner_world_usd",
                "partner_reported_china_usd",
                "share_partner_reported",
                "china_reported_usd",
                "share_china_reported",
            ]
        ],
        usd_cols=["partner_world_usd", "partner_reported_china_usd", "china_reported_usd"],
        pct_cols=["share_partner_reported", "share_china_reported"],
        rename={
            "partner_world_usd": "country's trade with the world",
            "partner_reported_china_usd": "with China, country's report",
            "share_partner_reported": "China's share, country's report",
            "china_reported_usd": "with China, China's report",
            "share_china_reported": "China's share, China's report",
        },
    )


def top_products(top: pd.DataFrame) -> pd.DataFrame:
    """`Dataset.top_products()` for reading: code, label (the full description stays in the
    CSV), focus areas, value, share of the flow, change on the year, quantity and unit value."""
    year = int(top["year"].iloc[0]) if len(top) else ""
    text = top["label"] if "label" in top else top["description"]
    t = top.assign(
        areas=[area_labels(a) for a in top["areas"]],
        description=text.fillna("").replace("", "–"),
    )
    return table(
        t[
            [
                "rank",
                "hs_code",
                "description",
                "areas",
                "value_usd",
                "share",
                "change",
                "qty",
                "qty_unit",
                "unit_value_usd",
            ]
        ],
        usd_cols=["value_usd"],
        pct_cols=["share"],
        signed_pct_cols=["change"],
        int_cols=["qty"],
        number_cols=["unit_value_usd"],
        rename={
            "hs_code": "HS code",
            "description": "product",
            "value_usd": f"value {year}".strip(),
            "share": "share of the flow",
            "change": "change on year",
            "qty": "quantity",
            "qty_unit": "unit",
            "unit_value_usd": "USD per unit",
            "areas": "focus areas",
        },
    )


def area_labels(text: str) -> str:
    """'energy; ict (partial)' with each area key as its label."""
    if not text:
        return ""
    out = []
    for part in str(text).split("; "):
        key, _, rest = part.partition(" ")
        out.append(" ".join(x for x in (AREA_LABELS.get(key, key), rest) if x))
    return "; ".join(out)


def areas_latest(areas: pd.DataFrame) -> pd.DataFrame:
    """`Dataset.by_area()` in its latest year: exports and imports per area, attributable
    rows first, then the partial remainder, then other trade."""
    if areas.empty:
        return pd.DataFrame()
    latest = areas[areas["year"] == areas["year"].max()]
    wide = latest.pivot_table(
        index=["area", "match"], columns="flow", values=["value_usd", "share"], aggfunc="sum"
    ).reset_index()
    wide.columns = ["_".join(c for c in col if c) for col in wide.columns]
    for col in ("value_usd_export", "value_usd_import", "share_export", "share_import"):
        if col not in wide:
            wide[col] = float("nan")
    order = {"full": 0, "partial": 1, "none": 2}
    wide = (
        wide.assign(_o=wide["match"].map(order))
        .sort_values(["_o", "value_usd_export"], ascending=[True, False])
        .drop(columns="_o")
    )
    wide["area"] = [
        AREA_LABELS.get(a, a) if a != "other" else "other (no focus area)" for a in wide["area"]
    ]
    wide["match"] = wide["match"].map(MATCH_TEXT)
    return table(
        wide[
            [
                "area",
                "match",
                "value_usd_export",
                "share_export",
                "value_usd_import",
                "share_import",
            ]
        ],
        usd_cols=["value_usd_export", "value_usd_import"],
        pct_cols=["share_export", "share_import"],
        rename={
            "match": "counted as",
            "value_usd_export": "China's exports",
            "share_export": "share of exports",
            "value_usd_import": "China's imports",
            "share_import": "share of imports",
        },
    )


def mirror_both_ways(mirror: pd.DataFrame, iso: str) -> pd.DataFrame:
    """`Dataset.mirror()` of one country: one row per year, China -> country and country ->
    China side by side (each: exporter's report, importer's report, gap, ratio)."""
    cols = ["exporter_fob_usd", "importer_cif_usd", "gap_usd", "ratio"]
    names = ["exporter_usd", "importer_usd", "gap_usd", "ratio"]
    parts = []
    for prefix, direction in (("out_", f"CHN->{iso}"), ("in_", f"{iso}->CHN")):
        d = mirror[mirror["direction"] == direction].set_index("year")[cols]
        d.columns = [prefix + n for n in names]
        parts.append(d)
    wide = pd.concat(parts, axis=1).sort_index()
    wide.index.name = "year"
    wide = wide.reset_index()
    name = country_name(iso)
    return table(
        wide,
        usd_cols=[c for c in wide.columns if c.endswith("_usd")],
        number_cols=["out_ratio", "in_ratio"],
        rename={
            "out_exporter_usd": "China's exports, China's report (FOB)",
            "out_importer_usd": f"imports from China, {name}'s report (CIF)",
            "out_gap_usd": "gap",
            "out_ratio": "ratio",
            "in_exporter_usd": f"exports to China, {name}'s report (FOB)",
            "in_importer_usd": "China's imports, China's report (CIF)",
            "in_gap_usd": "gap",
            "in_ratio": "ratio",
        },
    )


def mirror_latest(mirror: pd.DataFrame) -> pd.DataFrame:
    """`Dataset.mirror()` in its latest year, every direction: both sides, gap, ratio."""
    if mirror.empty:
        return pd.DataFrame()
    m = mirror[mirror["year"] == mirror["year"].max()]
    m = m.assign(exporter=m["exporter"].map(country_name), importer=m["importer"].map(country_name))
    return table(
        m[
            [
                "year",
                "exporter",
                "importer",
                "exporter_fob_usd",
                "importer_cif_usd",
                "gap_usd",
                "ratio",
            ]
        ],
        usd_cols=["exporter_fob_usd", "importer_cif_usd", "gap_usd"],
        number_cols=["ratio"],
        rename={
            "exporter_fob_usd": "exporter's report (FOB)",
            "importer_cif_usd": "importer's report (CIF)",
            "gap_usd": "gap (importer − exporter)",
            "ratio": "ratio importer / exporter",
        },
    )


def mirror_chapters(ch: pd.DataFrame) -> pd.DataFrame:
    """`Dataset.mirror_chapters()`: the chapters behind each direction's gap, directions
    written CHN→KAZ, chapters by their label."""
    ch = ch.assign(direction=ch["direction"].map(arrow))
    if "label" in ch:
        ch = ch.assign(description=ch["label"])
    return table(
        ch[
            [
                "direction",
                "rank",
                "chapter",
                "description",
                "exporter_fob_usd",
                "importer_cif_usd",
                "gap_usd",
                "share_of_gap",
            ]
        ],
        usd_cols=["exporter_fob_usd", "importer_cif_usd", "gap_usd"],
        signed_pct_cols=["share_of_gap"],
        rename={
            "exporter_fob_usd": "exporter's exports",
            "importer_cif_usd": "importer's imports",
            "gap_usd": "gap",
            "share_of_gap": "share of the direction's gap",
        },
    )


def by_year(df: pd.DataFrame, column: str, label: str = "") -> pd.DataFrame:
    """A long frame (year, `column`, value_usd) as one row per year and one USD column per
    value of `column`, in one unit: e.g. an area's imports per country and year."""
    if df.empty:
        return pd.DataFrame()
    wide = df.pivot_table(
        index="year", columns=column, values="value_usd", aggfunc="sum", fill_value=0.0
    )
    names = {
        c: country_name(c) if column in ("partner", "country") else str(c) for c in wide.columns
    }
    wide = wide.rename(columns=names)
    wide["total"] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide.columns.name = None
    cols = [c for c in wide.columns if c != "year"]
    out = table(wide, usd_cols=cols)
    if label:
        out = out.rename(columns={c: c.replace("(USD", f"({label}, USD") for c in out.columns})
    return out
