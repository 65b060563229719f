"""What each report page says, computed from a Dataset: headline findings, tables formatted
for reading (with the CSV of the unformatted numbers beside them), chart sections, the
country pages and the provenance page. Pure: builds page models and CSV text, writes
nothing (see report.build)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from tradeviz.analysis import findings as F
from tradeviz.analysis.formatting import pct, table, usd
from tradeviz.report.site import Download, Section, html_table
from tradeviz.vocab.areas import LABELS as AREA_LABELS
from tradeviz.vocab.countries import CA_ISO3

log = logging.getLogger(__name__)


@dataclass
class Page:
    """One HTML page: file name, title, findings, sections, and the CSV files it links."""

    file: str
    title: str
    template: str
    findings: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    csvs: dict[str, str] = field(default_factory=dict)  # relative path -> CSV text
    extra: dict = field(default_factory=dict)


def _csv(page: Page, name: str, df: pd.DataFrame) -> Download:
    path = f"data/{name}.csv"
    page.csvs[path] = df.to_csv(index=False)
    return Download(f"{name}.csv", path)


def _table_section(page: Page, sid: str, title: str, lead: str, raw: pd.DataFrame,
                   shown: pd.DataFrame, csv_name: str, empty: str,
                   text_cols: tuple[str, ...] = ()) -> Section:
    """A table section: the formatted table, its CSV (unformatted numbers, every row), or a
    line saying why there is nothing to show."""
    if raw.empty:
        return Section(sid, title, lead="", empty=empty)
    return Section(sid, title, lead=lead, table=html_table(shown, text_cols),
                   downloads=[_csv(page, csv_name, raw)])


# ------------------------------------------------------------------------------ index
def index_page(ds, chart_sections: list[Section]) -> Page:
    page = Page("index.html", "China's trade with Central Asia", "index.html")
    totals = ds.totals()
    shares = ds.shares()
    areas = ds.by_area()
    mirror = ds.mirror()
    ytd = ds.year_to_date()
    page.findings = [s for s in (
        F.total_sentence(totals), F.balance_sentence(totals),
        F.largest_partner_sentence(totals), F.fastest_growth_sentence(totals),
        F.share_sentence(shares), F.fastest_area_sentence(areas),
        F.mirror_sentence(mirror), F.ytd_sentence(ytd)) if s]
    if not page.findings:
        page.findings = ["The tables hold no annual China-reported trade with the countries "
                         "shown, so there is nothing to summarise."]
    page.extra["countries"] = [
        {"href": f"{iso}.html", "name": F.country_name(iso), "line": _card_line(totals, iso)}
        for iso in (ds.countries or CA_ISO3)]
    page.sections.append(_latest_totals_section(page, ds, totals))
    page.sections += chart_sections
    return page


def _card_line(totals: pd.DataFrame, iso: str) -> str:
    rows = totals[(totals["partner"] == iso) & (totals["total_usd"] > 0)].sort_values("year")
    if rows.empty:
        return "no China-reported trade in the tables"
    last = rows.iloc[-1]
    return f"{usd(last['total_usd'])} in {int(last['year'])}"


def _latest_totals_section(page: Page, ds, totals: pd.DataFrame) -> Section:
    growth = ds.growth("totals")
    latest = _with_growth(totals, growth)
    since = "the first year"
    if not latest.empty:
        year = int(latest["year"].max())
        latest = latest[latest["year"] == year]
        base = growth["base_year"].min() if len(growth) else None
        since = str(int(base)) if base is not None and not pd.isna(base) else since
    shown = table(latest.assign(partner=latest["partner"].map(F.country_name))[
        ["partner", "year", "exports_usd", "imports_usd", "total_usd", "balance_usd", "yoy",
         "cagr"]],
        usd_cols=["exports_usd", "imports_usd", "total_usd", "balance_usd"],
        signed_pct_cols=["yoy", "cagr"],
        rename={"partner": "partner", "exports_usd": "China's exports",
                "imports_usd": "China's imports", "total_usd": "total",
                "balance_usd": "balance", "yoy": "total, change on year",
                "cagr": f"total, growth a year since {since}"})
    lead = ("China-reported trade with each country in the latest year; the last row adds "
            "the five together. Compare the change on the year with the longer-run growth "
            "rate to see whether the latest year is typical.")
    return _table_section(page, "totals", "Totals by country, latest year", lead, totals,
                          shown, "totals", "No China-reported annual totals in the tables.",
                          text_cols=("partner",))


def _with_growth(totals: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    g = growth[growth["measure"] == "total"][["partner", "year", "yoy", "cagr"]] \
        if len(growth) else pd.DataFrame(columns=["partner", "year", "yoy", "cagr"])
    annual = totals[totals["month"].isna()] if "month" in totals else totals
    return annual.merge(g, on=["partner", "year"], how="left")


# ---------------------------------------------------------------------------- country
def country_page(ds, iso: str) -> Page:
    name = F.country_name(iso)
    page = Page(f"{iso}.html", f"China and {name}", "country.html")
    totals = ds.totals(partners=[iso])
    shares = ds.shares(countries=[iso])
    mirror = ds.mirror(countries=[iso])
    tops = {flow: ds.top_products(iso, flow) for flow in ("export", "import")}
    page.findings = [s for s in (
        F.total_sentence(totals, iso), F.balance_sentence(totals, iso),
        F.share_sentence(shares, iso), F.top_product_sentence(tops["export"], iso, "export"),
        F.top_product_sentence(tops["import"], iso, "import"),
        F.mirror_sentence(mirror, iso)) if s] or [
        f"The tables hold no annual trade between China and {name}."]
    page.sections += [
        _country_totals(page, ds, iso, totals),
        _country_shares(page, iso, shares),
        _top_section(page, iso, "export", tops["export"]),
        _top_section(page, iso, "import", tops["import"]),
        _area_section(page, ds, iso),
        _mirror_section(page, iso, mirror),
        _chapters_section(page, ds, iso),
    ]
    return page


def _country_totals(page: Page, ds, iso: str, totals: pd.DataFrame) -> Section:
    t = _with_growth(totals, ds.growth("totals", partners=[iso]))
    shown = table(t[["year", "exports_usd", "imports_usd", "total_usd", "balance_usd", "yoy"]],
                  usd_cols=["exports_usd", "imports_usd", "total_usd", "balance_usd"],
                  signed_pct_cols=["yoy"],
                  rename={"exports_usd": "China's exports", "imports_usd": "China's imports",
                          "total_usd": "total", "balance_usd": "balance",
                          "yoy": "total, change on year"})
    lead = ("China's reports, by year (exports FOB, imports CIF). Look at the balance: a "
            "widening surplus means China's exports grew faster than its imports.")
    return _table_section(page, "totals", "Totals", lead, t, shown, f"{iso}_totals",
                          f"No China-reported annual trade with {F.country_name(iso)}.")


def _country_shares(page: Page, iso: str, shares: pd.DataFrame) -> Section:
    s = shares.dropna(subset=["share_partner_reported", "share_china_reported"], how="all")
    shown = table(s[["year", "partner_world_usd", "partner_reported_china_usd",
                     "share_partner_reported", "china_reported_usd", "share_china_reported"]],
                  usd_cols=["partner_world_usd", "partner_reported_china_usd",
                            "china_reported_usd"],
                  pct_cols=["share_partner_reported", "share_china_reported"],
                  rename={"partner_world_usd": "country's trade with the world",
                          "partner_reported_china_usd": "with China, country's report",
                          "share_partner_reported": "China's share, country's report",
                          "china_reported_usd": "with China, China's report",
                          "share_china_reported": "China's share, China's report"})
    name = F.country_name(iso)
    lead = (f"China's share of {name}'s goods trade, from both sides: {name}'s own China row "
            f"over its world total, and China's report of the same trade over that total. "
            "Where the two shares part, the two customs services record the trade "
            "differently (see the mirror section).")
    return _table_section(page, "shares", "China's share, from both sides", lead, s, shown,
                          f"{iso}_china_share",
                          f"{name} reports no world total in the tables, so no share can "
                          "be computed.")


def _top_section(page: Page, iso: str, flow: str, top: pd.DataFrame) -> Section:
    name = F.country_name(iso)
    verb = "exports to" if flow == "export" else "imports from"
    title = f"Top products: China's {verb} {name}"
    if top.empty:
        return Section(f"top_{flow}s", title, empty=f"No HS product rows for China's {verb} "
                       f"{name}.")
    year = int(top["year"].iloc[0])
    top = top.assign(areas=[_area_labels(a) for a in top["areas"]],
                     description=top["description"].replace("", "–"))
    shown = table(top[["rank", "hs_code", "description", "areas", "value_usd", "share",
                       "change", "qty", "qty_unit", "unit_value_usd"]],
                  usd_cols=["value_usd"], pct_cols=["share"], signed_pct_cols=["change"],
                  int_cols=["qty"], number_cols=["unit_value_usd"],
                  rename={"hs_code": "HS code", "value_usd": f"value {year}",
                          "share": "share of the flow", "change": "change on year",
                          "qty": "quantity", "qty_unit": "unit",
                          "unit_value_usd": "USD per unit", "areas": "focus areas"})
    lead = (f"The largest HS6 products of China's {verb} {name} in {year}, China-reported. "
            "Look at how much the first few products account for, and which changed most "
            "on the year.")
    return _table_section(page, f"top_{flow}s", title, lead, top, shown,
                          f"{iso}_top_{flow}s", "", text_cols=("description", "focus areas"))


def _area_labels(text: str) -> str:
    """'energy; ict (partial)' with each area key as its label."""
    if not text:
        return ""
    out = []
    for part in str(text).split("; "):
        key, _, rest = part.partition(" ")
        out.append(" ".join(x for x in (AREA_LABELS.get(key, key), rest) if x))
    return "; ".join(out)


def _area_section(page: Page, ds, iso: str) -> Section:
    areas = ds.by_area(partners=[iso])
    title = "Focus areas"
    if areas.empty:
        return Section("areas", title, empty="No HS product rows to tag by focus area.")
    year = int(areas["year"].max())
    latest = areas[areas["year"] == year]
    wide = latest.pivot_table(index=["area", "match"], columns="flow",
                              values=["value_usd", "share"], aggfunc="sum").reset_index()
    wide.columns = ["_".join(c for c in col if c) for col in wide.columns]
    for col in ("value_usd_export", "value_usd_import", "share_export", "share_import"):
        if col not in wide:
            wide[col] = float("nan")
    order = {"full": 0, "partial": 1, "none": 2}
    wide = wide.assign(_o=wide["match"].map(order)).sort_values(
        ["_o", "value_usd_export"], ascending=[True, False]).drop(columns="_o")
    wide["area"] = [AREA_LABELS.get(a, a) if a != "other" else "other (no focus area)"
                    for a in wide["area"]]
    wide["match"] = wide["match"].map({"full": "attributable", "partial": "partial remainder",
                                       "none": "–"})
    shown = table(wide[["area", "match", "value_usd_export", "share_export",
                        "value_usd_import", "share_import"]],
                  usd_cols=["value_usd_export", "value_usd_import"],
                  pct_cols=["share_export", "share_import"],
                  rename={"match": "counted as", "value_usd_export": "China's exports",
                          "share_export": "share of exports",
                          "value_usd_import": "China's imports",
                          "share_import": "share of imports"})
    lead = (f"China's trade with {F.country_name(iso)} in {year} by focus area of the Xi'an "
            "agenda, each product counted once. Attributable rows are products a rule covers "
            "fully; the partial remainder holds codes that also contain other goods, kept "
            "apart so they are not read as area totals.")
    return _table_section(page, "areas", title, lead, areas, shown, f"{iso}_focus_areas", "",
                          text_cols=("area", "counted as"))


def _mirror_section(page: Page, iso: str, mirror: pd.DataFrame) -> Section:
    name = F.country_name(iso)
    wide = _mirror_wide(mirror, iso)
    usd_cols = [c for c in wide.columns if c.endswith("_usd")]
    shown = table(wide, usd_cols=usd_cols, number_cols=["out_ratio", "in_ratio"],
                  rename={"out_exporter_usd": "China's exports, China's report (FOB)",
                          "out_importer_usd": f"imports from China, {name}'s report (CIF)",
                          "out_gap_usd": "gap", "out_ratio": "ratio",
                          "in_exporter_usd": f"exports to China, {name}'s report (FOB)",
                          "in_importer_usd": "China's imports, China's report (CIF)",
                          "in_gap_usd": "gap", "in_ratio": "ratio"})
    lead = (f"The same trade as each side reports it, both directions: China to {name} "
            f"(first four columns) and {name} to China (last four); gap = importer's report "
            "minus exporter's, ratio = importer / exporter. Imports are valued CIF, so a "
            "ratio a little above 1 is expected; far from 1 points to unrecorded trade, "
            "transit or different product classifications.")
    return _table_section(page, "mirror", "Mirror: both sides, both directions", lead,
                          mirror, shown, f"{iso}_mirror",
                          f"Neither side reports product rows for China–{name} trade.")


def _mirror_wide(mirror: pd.DataFrame, iso: str) -> pd.DataFrame:
    """One row per year: China -> country (out_) and country -> China (in_) side by side."""
    cols = ["exporter_fob_usd", "importer_cif_usd", "gap_usd", "ratio"]
    names = ["exporter_usd", "importer_usd", "gap_usd", "ratio"]
    parts = []
    for prefix, direction in (("out_", f"CHN->{iso}"), ("in_", f"{iso}->CHN")):
        d = mirror[mirror["direction"] == direction].set_index("year")[cols]
        d.columns = [prefix + n for n in names]
        parts.append(d)
    wide = pd.concat(parts, axis=1).sort_index().reset_index()
    return wide.rename(columns={"index": "year"})


def _chapters_section(page: Page, ds, iso: str) -> Section:
    ch = ds.mirror_chapters(countries=[iso])
    title = "Chapters behind the mirror gaps"
    if ch.empty:
        return Section("chapters", title, empty="No year in which both sides report product "
                       "rows, so the gap cannot be split by chapter.")
    year = int(ch["year"].iloc[0])
    shown = table(ch[["direction", "rank", "chapter", "description", "exporter_fob_usd",
                      "importer_cif_usd", "gap_usd", "share_of_gap"]],
                  usd_cols=["exporter_fob_usd", "importer_cif_usd", "gap_usd"],
                  signed_pct_cols=["share_of_gap"],
                  rename={"exporter_fob_usd": "exporter's exports",
                          "importer_cif_usd": "importer's imports",
                          "gap_usd": "gap", "share_of_gap": "share of the direction's gap"})
    lead = (f"The HS chapters that explain most of each direction's gap in {year}. A few "
            "chapters usually account for most of it.")
    return _table_section(page, "chapters", title, lead, ch, shown, f"{iso}_mirror_chapters",
                          "", text_cols=("direction", "description"))


# ------------------------------------------------------------------------- provenance
def provenance_page(ds, snapshots: pd.DataFrame) -> Page:
    prov = ds.provenance
    page = Page("provenance.html", "Provenance", "provenance.html")
    fetched = prov.get("fetched_at") or []
    span = (f"fetched {fetched[0]}" + ("" if fetched[0] == fetched[-1] else f" to {fetched[-1]}")
            if fetched else "fetch dates not recorded")
    kind = "SYNTHETIC demo data" if prov.get("synthetic") else "statistics"
    page.extra["summary"] = (
        f"These pages show {kind} from {len(prov.get('snapshots', []))} raw snapshots, "
        f"{span}, built by {prov.get('tool') or 'tradeviz'}; data directory "
        f"{prov.get('data_dir')} ({prov.get('origin')}).")
    sources = pd.DataFrame([{"source": k, "description": v}
                            for k, v in (prov.get("sources") or {}).items()])
    page.sections.append(_table_section(
        page, "sources", "Sources", "Every number comes from these sources, as fetched.",
        sources, sources, "sources", "No sources recorded.", text_cols=("source",
                                                                         "description")))
    facts = pd.DataFrame([
        {"item": "raw manifest (sha256)", "value": prov.get("raw_manifest_sha256") or "–"},
        {"item": "synthetic", "value": "yes" if prov.get("synthetic") else "no"},
        {"item": "filters", "value": ", ".join(f"{k}: {v}" for k, v in
                                               (prov.get("filters") or {}).items()) or "none"},
        {"item": "tool", "value": prov.get("tool") or "–"}])
    page.sections.append(Section("build", "Build", table=html_table(facts, ("item", "value")),
                                 downloads=[_csv(page, "build", facts)]))
    shown = snapshots.rename(columns={"sha256": "snapshot (sha256)"})
    page.sections.append(_table_section(
        page, "snapshots", "Raw snapshots", "Each raw response the tables were built from, "
        "by the sha256 of its exact bytes (files under raw/ in the data directory).",
        snapshots, table(shown, int_cols=["records"]), "snapshots",
        "No snapshot list: the tables record none.", text_cols=tuple(shown.columns)))
    return page


def snapshot_table(ds) -> pd.DataFrame:
    """The snapshots the tables were built from, with what the raw manifest says of each
    (source, fetch time, endpoint, records, complete)."""
    from pathlib import Path

    used = list(ds.provenance.get("snapshots") or [])
    cols = ["sha256", "source", "fetched_at", "endpoint", "records", "complete", "synthetic"]
    records: dict[str, dict] = {}
    data_dir = ds.provenance.get("data_dir")
    if data_dir:
        from tradeviz.errors import TradevizError
        from tradeviz.store.raw import RawStore

        try:
            for snap in RawStore(Path(data_dir) / "raw").snapshots():
                records[snap.sha256] = snap.record
        except (TradevizError, OSError) as exc:  # the hashes still stand without details
            log.warning("raw manifest unreadable, snapshots listed without details: %s", exc)
            records = {}
    rows = [{"sha256": h, **{c: records.get(h, {}).get(c) for c in cols[1:]}} for h in used]
    return pd.DataFrame(rows, columns=cols)


def chart_section(name: str, title: str, caption: str, image: str, csv: str | None,
                  meta: str | None, lead: str) -> Section:
    downloads = [Download(f"{name}.png", image)]
    if csv:
        downloads.append(Download(f"{name}.csv", csv))
    if meta:
        downloads.append(Download(f"{name}.json", meta))
    # the caption is drawn in the image; the alt text carries it for readers without images
    return Section(f"chart-{name}", title, lead=lead, image=image, alt=f"{title}. {caption}",
                   downloads=downloads)


__all__ = ["Page", "chart_section", "country_page", "index_page", "pct", "provenance_page",
           "snapshot_table"]
