"""`tradeviz report`: one self-contained static site from the processed tables.

index.html (headline findings, a table of totals, every chart), one page per Central Asian
country (totals, China's share from both sides, top products both ways, focus areas,
mirror), provenance.html (sources, snapshot hashes, fetch dates), the CSV of every table
and chart under data/ and charts/, and one stylesheet. Relative links only, no scripts, no
web fonts, no CDN: it opens from file:// with no network. The directory is built beside
its target and swapped in whole."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from tradeviz import __version__
from tradeviz.analysis.arguments import describe_years
from tradeviz.report import pages
from tradeviz.report.site import Section, render, staged_dir, stylesheet
from tradeviz.vocab.countries import CA_ISO3

log = logging.getLogger(__name__)

# What to look at in each chart (shown above it); charts not listed show their caption only.
CHART_LEADS = {
    "total_trade": "Each panel is one country: the lines are China's exports and imports, "
    "the bars the balance. Look for the years where the lines part.",
    "trade_growth": "Change on the previous year, in percent: growth that the levels "
    "hide, and the years trade fell.",
    "china_share": "China's share of each country's trade by the country's own reports; "
    "a rising line means China gained on the country's other partners. Where China's "
    "report of the trade exceeds the country's whole World total, the dashed line is "
    "clipped and marked ▲: that is a mirror gap between the two records, not a share.",
    "focus_composition": "Which focus areas carry the trade, in value (left) and share "
    "(right); a band that widens on the right is gaining ground.",
    "top_products_exports": "China's largest exports to each country in the latest year, "
    "coloured by focus area.",
    "top_products_imports": "China's largest imports from each country in the latest year: "
    "look at how far the first bar stands above the rest.",
    "energy_minerals": "Pipeline gas by exporting country, and critical minerals: look at "
    "which country carries each year's change.",
    "agriculture_imports": "China's agricultural imports by country of origin: look at "
    "which countries' bars grow, and in which years.",
    "ict_exports": "China's ICT goods exports by category: look at which category carries "
    "the growth.",
    "mirror_gaps": "What each side reports for the same trade, both directions; the further "
    "apart the two sides, the more trade one side does not record the same "
    "way.",
    "mirror_chapters": "The HS chapters behind each direction's gap in the latest year.",
    "imf_vs_comtrade": "How far the IMF's monthly totals, summed over the year, differ from "
    "Comtrade's annual figures for the same trade, in percent.",
    "latest_months": "The latest twelve months, monthly: the most recent data there is.",
    "who_trades": "Each country's trade split between China, Russia, the EU, Türkiye and "
    "the rest; the dashed line is the year China became its first partner among single "
    "countries (the EU's members are summed into one bar). "
    "Hatched years are estimates from partners' reports.",
    "partner_ranks": "Each country's largest partners in the latest year; a * marks "
    "estimates from partners' reports.",
    "tci": "Solid: how well China's exports match the country's imports; dashed: how well "
    "the country's exports match China's imports (0 none, 100 a perfect match). Look at "
    "which direction is higher and whether the lines move.",
    "rca_focus": "Blue cells: focus-area products a country exports more of than the world "
    "does on average (RCA over 1); the numbers are the RCA.",
    "price_volume": "Each year's change of China's imports split into price points (unit "
    "values) and volume points: was the change in prices or in quantities?",
    "potential_agriculture": "The largest agricultural gaps between what China imports from "
    "a country and what the country's world-export share would give: an upper bound, not a "
    "forecast.",
}


def write_report(ds, out: Path) -> list[Path]:
    """Write the report for Dataset `ds` to `out` (replacing a previous report whole);
    returns the files written."""
    with staged_dir(out) as stage:
        chart_sections = _charts(ds, stage)
        site = [pages.index_page(ds, chart_sections)]
        site += [
            pages.country_page(ds, iso, _country_charts(ds, iso, stage))
            for iso in (ds.countries or CA_ISO3)
        ]
        site.append(pages.provenance_page(ds, pages.snapshot_table(ds)))
        nav = [{"href": "index.html", "label": "Overview"}]
        nav += [
            {"href": f"{iso}.html", "label": pages.F.country_name(iso)}
            for iso in (ds.countries or CA_ISO3)
        ]
        nav.append({"href": "provenance.html", "label": "Provenance"})
        footer = _footer(ds)
        (stage / "style.css").write_text(stylesheet(), encoding="utf-8")
        (stage / "data").mkdir(exist_ok=True)
        for page in site:
            for rel, text in page.csvs.items():
                (stage / rel).write_text(text, encoding="utf-8")
            html = render(
                page.template,
                page_title=page.title,
                nav=nav,
                current=page.file,
                synthetic=ds.synthetic,
                footer=footer,
                findings=page.findings,
                sections=page.sections,
                scope=_scope(ds),
                **page.extra,
            )
            (stage / page.file).write_text(html, encoding="utf-8")
    written = sorted(p for p in out.rglob("*") if p.is_file())
    log.debug("report: %d pages, %d files in %s", len(site), len(written), out)
    return written


def _charts(ds, stage: Path) -> list[Section]:
    """Every chart of `ds` as PNG with its CSV and JSON sidecar under charts/, and a
    section each."""
    from tradeviz.charts import all_charts, export
    from tradeviz.charts.base import blank

    out = stage / "charts"
    manifest = ds.provenance.get("raw_manifest_sha256")
    sections = []
    for chart in all_charts(ds):
        export(chart, out, ("png",), manifest)
        base = f"charts/{chart.name}"
        sections.append(
            pages.chart_section(
                chart.name,
                chart.title,
                chart.caption,
                f"{base}.png",
                f"{base}.csv",
                f"{base}.json",
                CHART_LEADS.get(chart.name, ""),
                blank(chart.fig),
            )
        )
    return sections


# The charts drawn again for each country alone, by the country-page section they head
# (the structure charts only when the tables hold a world layer).
COUNTRY_CHARTS = {
    "totals": "total_trade",
    "mirror": "mirror_gaps",
    "structure": "tci",
    "structure_prices": "price_volume",
}


def _country_charts(ds, iso: str, stage: Path) -> dict[str, Section]:
    """The country's own charts under charts/<ISO3>/, by the section they head."""
    from tradeviz.charts import export, make
    from tradeviz.charts.base import blank
    from tradeviz.charts.registry import wanted

    view = ds.filter(countries=[iso])
    out = stage / "charts" / iso
    drawn = {}
    drawable = set(wanted(None, ds))
    for section, name in COUNTRY_CHARTS.items():
        if name not in drawable:
            continue
        chart = make(name, view)
        export(chart, out, ("png",), ds.provenance.get("raw_manifest_sha256"))
        base = f"charts/{iso}/{chart.name}"
        drawn[section] = pages.chart_section(
            chart.name,
            chart.title,
            chart.caption,
            f"{base}.png",
            f"{base}.csv",
            f"{base}.json",
            "",
            blank(chart.fig),
        )
    return drawn


def _scope(ds) -> str:
    parts = []
    if ds.years:
        parts.append(f"years {describe_years(ds.years).replace('-', '–')}")
    if ds.countries:
        parts.append("countries " + ", ".join(ds.countries))
    chosen = "; ".join(parts) if parts else "all years and all five countries in the tables"
    return f"they cover {chosen}."


def _footer(ds) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Written {when} by tradeviz {__version__} from {pages.data_dir_of(ds)}. "
        "Values in US dollars, current prices; exports FOB, imports CIF."
    )
    if ds.synthetic:
        text = "SYNTHETIC DEMO DATA, not statistics. " + text
    return text
