"""What each report page says, computed from a Dataset: headline findings, tables formatted
for reading (with the CSV of the unformatted numbers beside them), chart sections, the
country pages and the provenance page. Pure: builds page models and CSV text, writes
nothing (see report.build)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from tradeviz.analysis import findings as F
from tradeviz.analysis import readable as R
from tradeviz.analysis.findings import data_dir_of
from tradeviz.analysis.formatting import table, usd
from tradeviz.report.site import Download, Section, html_table
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


def _table_section(
    page: Page,
    sid: str,
    title: str,
    lead: str,
    raw: pd.DataFrame,
    shown: pd.DataFrame,
    csv_name: str,
    empty: str,
    text_cols: tuple[str, ...] = (),
) -> Section:
    """A table section: the formatted table, its CSV (unformatted numbers, every row), or a
    line saying why there is nothing to show."""
    if raw.empty:
        return Section(sid, title, lead="", empty=empty)
    return Section(
        sid,
        title,
        lead=lead,
        table=html_table(shown, text_cols),
        downloads=[_csv(page, csv_name, raw)],
    )


# ------------------------------------------------------------------------------ index
def index_page(ds, chart_sections: list[Section]) -> Page:
    page = Page("index.html", "China's trade with Central Asia", "index.html")
    totals = ds.totals()
    shares = ds.shares()
    areas = ds.by_area()
    mirror = ds.mirror()
    ytd = ds.year_to_date()
    tops = F.all_top_products(ds)
    page.findings = [
        s
        for s in (
            F.total_sentence(totals),
            F.balance_sentence(totals),
            F.largest_partner_sentence(totals),
            F.fastest_growth_sentence(totals),
            F.largest_product_sentence(tops, "export"),
            F.largest_product_sentence(tops, "import"),
            F.share_sentence(shares),
            F.fastest_area_sentence(areas),
            F.mirror_sentence(mirror),
            F.ytd_sentence(ytd),
        )
        if s
    ]
    if not page.findings:
        page.findings = [
            "The tables hold no annual China-reported trade with the countries "
            "shown, so there is nothing to summarise."
        ]
    page.extra["countries"] = [
        {"href": f"{iso}.html", "name": F.country_name(iso), "line": _card_line(totals, iso)}
        for iso in (ds.countries or CA_ISO3)
    ]
    page.sections.append(_latest_totals_section(page, ds, totals))
    page.sections += chart_sections
    _structure_overview(page, ds)
    return page


def _structure_overview(page: Page, ds) -> None:
    """The "Structure and complementarity" section (issue 20: report/structure.py), just
    before the structure charts (or last when there are none: no world layer)."""
    from tradeviz.report import structure

    findings, block = structure.overview(ds)
    if block is None:
        section = Section("structure", structure.TITLE, empty=findings[0])
    else:
        page.findings += findings
        section = _block(page, block, "structure")
    ids = [s.id for s in page.sections]
    at = ids.index("chart-tci") if "chart-tci" in ids else len(ids)
    page.sections.insert(at, section)


def _block(page: Page, block, csv_name: str) -> Section:
    return _table_section(
        page,
        block.sid,
        block.title,
        block.lead,
        block.raw,
        block.shown,
        csv_name,
        "",
        text_cols=block.text_cols,
    )


def _structure_sections(page: Page, ds, iso: str) -> list[Section]:
    """The country's "Structure and complementarity" sections (issue 20): findings in words
    heading the first (the TCI chart of the country goes there), then its RCA, concentration
    and agricultural potential tables; one sentence naming the fetch without a world layer."""
    from tradeviz.report import structure

    findings, blocks = structure.country(ds, iso)
    if not blocks:
        return [Section("structure", structure.TITLE, empty=findings[0])]
    head = Section("structure", structure.TITLE, lead=" ".join(findings))
    prices = Section(
        "structure_prices",
        f"Prices or volumes: China's imports from {F.country_name(iso)}",
        lead="Each year's change of China's imports split into points from unit values "
        "(prices) and from volumes, over HS6 lines with usable quantities (Fisher indices, "
        "chain-linked).",
    )
    return [head, *(_block(page, b, f"{iso}_{b.sid}") for b in blocks), prices]


def _card_line(totals: pd.DataFrame, iso: str) -> str:
    rows = totals[(totals["partner"] == iso) & (totals["total_usd"] > 0)].sort_values("year")
    if rows.empty:
        return "no China-reported trade in the tables"
    last = rows.iloc[-1]
    return f"{usd(last['total_usd'])} in {int(last['year'])}"


def _latest_totals_section(page: Page, ds, totals: pd.DataFrame) -> Section:
    shown = R.latest_totals(totals, ds.growth("totals"))
    lead = (
        "China-reported trade with each country in the latest year; the last row adds "
        "the five together. Compare the change on the year with the longer-run growth "
        "rate to see whether the latest year is typical."
    )
    return _table_section(
        page,
        "totals",
        "Totals by country, latest year",
        lead,
        totals,
        shown,
        "totals",
        "No China-reported annual totals in the tables.",
        text_cols=("partner",),
    )


# ---------------------------------------------------------------------------- country
def country_page(ds, iso: str, charts: dict[str, Section] | None = None) -> Page:
    """One country's page; `charts` (section id -> chart section) puts a chart of the
    country alone at the head of that section."""
    name = F.country_name(iso)
    page = Page(f"{iso}.html", f"China and {name}", "country.html")
    totals = ds.totals(partners=[iso])
    shares = ds.shares(countries=[iso])
    mirror = ds.mirror(countries=[iso])
    tops = {flow: ds.top_products(iso, flow) for flow in ("export", "import")}
    page.findings = [
        s
        for s in (
            F.total_sentence(totals, iso),
            F.balance_sentence(totals, iso),
            F.share_sentence(shares, iso),
            F.top_product_sentence(tops["export"], iso, "export"),
            F.top_product_sentence(tops["import"], iso, "import"),
            F.mirror_sentence(mirror, iso),
        )
        if s
    ] or [f"The tables hold no annual trade between China and {name}."]
    page.sections += [
        _country_totals(page, ds, iso, totals),
        _country_shares(page, iso, shares),
        _partners(page, ds, iso),
        _top_section(page, iso, "export", tops["export"]),
        _top_section(page, iso, "import", tops["import"]),
        _area_section(page, ds, iso),
        _mirror_section(page, iso, mirror),
        _chapters_section(page, ds, iso),
        *_structure_sections(page, ds, iso),
    ]
    for section in page.sections:
        drawn = (charts or {}).get(section.id)
        if drawn is not None:
            section.image, section.alt = drawn.image, drawn.alt
            if drawn.empty:  # a sentence, not a blank chart (e.g. one side reports nothing)
                section.empty = " ".join(x for x in (drawn.empty, section.empty) if x)
            section.downloads = [*drawn.downloads, *section.downloads]
    return page


def _country_totals(page: Page, ds, iso: str, totals: pd.DataFrame) -> Section:
    growth = ds.growth("totals", partners=[iso])
    shown = R.totals_by_year(totals, growth)
    lead = (
        "China's reports, by year (exports FOB, imports CIF). Look at the balance: a "
        "widening surplus means China's exports grew faster than its imports."
    )
    return _table_section(
        page,
        "totals",
        "Totals",
        lead,
        R.with_growth(totals, growth),
        shown,
        f"{iso}_totals",
        f"No China-reported annual trade with {F.country_name(iso)}.",
    )


def _country_shares(page: Page, iso: str, shares: pd.DataFrame) -> Section:
    s = shares.dropna(subset=["share_partner_reported", "share_china_reported"], how="all")
    shown = R.shares(s)
    name = F.country_name(iso)
    lead = (
        f"China's share of {name}'s goods trade, from both sides: {name}'s own China row "
        f"over its world total, and China's report of the same trade over that total. "
        "Where the two shares part, the two customs services record the trade "
        "differently (see the mirror section)."
    )
    if (s["share_china_reported"] > 1).any():  # no share: more than all of the trade
        lead += (
            f" China's report above 100% is not a share: China records more trade with "
            f"{name} than {name} records with the whole world, a mirror gap."
        )
    return _table_section(
        page,
        "shares",
        "China's share, from both sides",
        lead,
        s,
        shown,
        f"{iso}_china_share",
        f"{name} reports no world total in the tables, so no share can be computed.",
    )


def _partners(page: Page, ds, iso: str) -> Section:
    """Who the country trades with, China against Russia, the EU and the rest (issue 13:
    report/partners.py)."""
    from tradeviz.report.partners import partners_section

    p = partners_section(ds, iso)
    if p.finding:
        page.findings.append(p.finding)
    return _table_section(
        page,
        "partners",
        f"Who trades with {F.country_name(iso)}",
        p.lead,
        p.raw,
        p.shown,
        f"{iso}_partners",
        p.empty,
        text_cols=("rank", "partner", "basis"),
    )


def _top_section(page: Page, iso: str, flow: str, top: pd.DataFrame) -> Section:
    name = F.country_name(iso)
    verb = "exports to" if flow == "export" else "imports from"
    title = f"Top products: China's {verb} {name}"
    if top.empty:
        return Section(
            f"top_{flow}s", title, empty=f"No HS product rows for China's {verb} {name}."
        )
    year = int(top["year"].iloc[0])
    shown = R.top_products(top)
    lead = (
        f"The largest HS6 products of China's {verb} {name} in {year}, China-reported. "
        "Look at how much the first few products account for, and which changed most "
        "on the year."
    )
    return _table_section(
        page,
        f"top_{flow}s",
        title,
        lead,
        top,
        shown,
        f"{iso}_top_{flow}s",
        "",
        text_cols=("product", "focus areas"),
    )


def _area_section(page: Page, ds, iso: str) -> Section:
    areas = ds.by_area(partners=[iso])
    title = "Focus areas"
    if areas.empty:
        return Section("areas", title, empty="No HS product rows to tag by focus area.")
    year = int(areas["year"].max())
    shown = R.areas_latest(areas)
    lead = (
        f"China's trade with {F.country_name(iso)} in {year} by focus area of the Xi'an "
        "agenda, each product counted once. Attributable rows are products a rule covers "
        "fully; the partial remainder holds codes that also contain other goods, kept "
        "apart so they are not read as area totals."
    )
    return _table_section(
        page,
        "areas",
        title,
        lead,
        areas,
        shown,
        f"{iso}_focus_areas",
        "",
        text_cols=("area", "counted as"),
    )


def _mirror_section(page: Page, iso: str, mirror: pd.DataFrame) -> Section:
    name = F.country_name(iso)
    shown = R.mirror_both_ways(mirror, iso)
    lead = (
        f"The same trade as each side reports it, both directions: China to {name} "
        f"(first four columns) and {name} to China (last four); gap = importer's report "
        "minus exporter's, ratio = importer / exporter. Imports are valued CIF, so a "
        "ratio a little above 1 is expected; far from 1 points to unrecorded trade, "
        "transit or different product classifications."
    )
    return _table_section(
        page,
        "mirror",
        "Mirror: both sides, both directions",
        lead,
        mirror,
        shown,
        f"{iso}_mirror",
        f"Neither side reports product rows for China–{name} trade.",
    )


def _chapters_section(page: Page, ds, iso: str) -> Section:
    ch = ds.mirror_chapters(countries=[iso])
    title = "Chapters behind the mirror gaps"
    if ch.empty:
        return Section(
            "chapters",
            title,
            empty="No year in which both sides report product "
            "rows, so the gap cannot be split by chapter.",
        )
    year = int(ch["year"].iloc[0])
    shown = R.mirror_chapters(ch)
    lead = (
        f"The HS chapters with the largest gaps in each direction in {year}, with their "
        "share of the direction's whole gap; a share above 100% or below zero means other "
        "chapters' gaps run the other way and offset it."
    )
    return _table_section(
        page,
        "chapters",
        title,
        lead,
        ch,
        shown,
        f"{iso}_mirror_chapters",
        "",
        text_cols=("direction", "chapter", "description"),
    )


# ------------------------------------------------------------------------- provenance
def provenance_page(ds, snapshots: pd.DataFrame) -> Page:
    prov = ds.provenance
    page = Page("provenance.html", "Provenance", "provenance.html")
    fetched = prov.get("fetched_at") or []
    span = (
        f"fetched {fetched[0]}" + ("" if fetched[0] == fetched[-1] else f" to {fetched[-1]}")
        if fetched
        else "fetch dates not recorded"
    )
    kind = "SYNTHETIC demo data" if prov.get("synthetic") else "statistics"
    page.extra["summary"] = (
        f"These pages show {kind} from {len(prov.get('snapshots', []))} raw snapshots, "
        f"{span}, built by {prov.get('tool') or 'tradeviz'}; data directory "
        f"{data_dir_of(ds)} ({prov.get('origin')})."
    )
    sources = pd.DataFrame(
        [{"source": k, "description": v} for k, v in (prov.get("sources") or {}).items()]
    )
    page.sections.append(
        _table_section(
            page,
            "sources",
            "Sources",
            "Every number comes from these sources, as fetched.",
            sources,
            sources,
            "sources",
            "No sources recorded.",
            text_cols=("source", "description"),
        )
    )
    facts = pd.DataFrame(
        [
            {"item": "raw manifest (sha256)", "value": prov.get("raw_manifest_sha256") or "–"},
            {"item": "synthetic", "value": "yes" if prov.get("synthetic") else "no"},
            {
                "item": "filters",
                "value": ", ".join(f"{k}: {v}" for k, v in (prov.get("filters") or {}).items())
                or "none",
            },
            {"item": "tool", "value": prov.get("tool") or "–"},
        ]
    )
    page.sections.append(
        Section(
            "build",
            "Build",
            table=html_table(facts, ("item", "value")),
            downloads=[_csv(page, "build", facts)],
        )
    )
    shown = snapshots.rename(columns={"sha256": "snapshot (sha256)"})
    page.sections.append(
        _table_section(
            page,
            "snapshots",
            "Raw snapshots",
            "Each raw response the tables were built from, "
            "by the sha256 of its exact bytes (files under raw/ in the data directory).",
            snapshots,
            table(shown, int_cols=["records"]),
            "snapshots",
            "No snapshot list: the tables record none.",
            text_cols=tuple(shown.columns),
        )
    )
    return page


def snapshot_table(ds) -> pd.DataFrame:
    """The snapshots the tables were built from, with what the raw manifest says of each
    (source, fetch time, endpoint, records, complete)."""
    from pathlib import Path

    used = list(ds.provenance.get("snapshots") or [])
    cols = ["sha256", "source", "fetched_at", "endpoint", "records", "complete", "synthetic"]
    records: dict[str, dict] = {}
    data_dir = data_dir_of(ds)
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


def chart_section(
    name: str,
    title: str,
    caption: str,
    image: str,
    csv: str | None,
    meta: str | None,
    lead: str,
    blank: str = "",
) -> Section:
    """A chart's section; a chart that would show nothing (`blank`: why, from
    charts.base.blank) gets that sentence instead of an empty image."""
    downloads = [] if blank else [Download(f"{name}.png", image)]
    if csv:
        downloads.append(Download(f"{name}.csv", csv))
    if meta:
        downloads.append(Download(f"{name}.json", meta))
    if blank:
        return Section(
            f"chart-{name}",
            title,
            lead="",
            empty=f"No chart: {blank.rstrip('.')}.",
            downloads=downloads,
        )
    # the caption is drawn in the image; the alt text carries it for readers without images
    return Section(
        f"chart-{name}",
        title,
        lead=lead,
        image=image,
        alt=f"{title}. {caption}",
        downloads=downloads,
    )


__all__ = [
    "Page",
    "chart_section",
    "country_page",
    "index_page",
    "provenance_page",
    "snapshot_table",
]
