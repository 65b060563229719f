"""The `tradeviz` command line: fetch, import, build, check, tags, charts, notebooks, demo."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import click

from tradeviz import __version__, config
from tradeviz.errors import TradevizError

log = logging.getLogger("tradeviz")

ENV_HELP = """
\b
Environment:
  TRADEVIZ_DATA_DIR      data directory holding raw/ and processed/ (default ./data)
  TRADEVIZ_COMTRADE_URL  Comtrade base URL (default https://comtradeapi.un.org)
  TRADEVIZ_COMTRADE_RPS  Comtrade requests per second (default 1)
  COMTRADE_API_KEY       Comtrade subscription key; sent only in the
                         Ocp-Apim-Subscription-Key header, never stored or logged
  TRADEVIZ_IMF_URL       IMF base URL (default https://api.imf.org)
  TRADEVIZ_IMF_RPS       IMF requests per second (default 1)
"""


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TradevizError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (ValueError, FileNotFoundError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, epilog=ENV_HELP)
@click.version_option(__version__, prog_name="tradeviz")
@click.option("-v", "--verbose", is_flag=True, help="Show debug messages.")
def main(verbose: bool) -> None:
    """China–Central Asia trade statistics: fetch raw snapshots, build Parquet tables,
    reconcile mirrors, tag focus areas, chart and export."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    # urllib3 would log full URLs at debug level; keys never travel in URLs, but stay quiet.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


@main.group(epilog=ENV_HELP)
def fetch() -> None:
    """Download statistics into immutable raw snapshots under $TRADEVIZ_DATA_DIR/raw."""


@fetch.command("comtrade", epilog=ENV_HELP)
@click.option("--years", default=None, metavar="RANGE",
              help="Years as 2015-2024 or 2019,2021 (default: the last ten complete years).")
@click.option("--level", type=click.Choice(["total", "2", "4", "6"]), default="6",
              show_default=True, help="HS detail: TOTAL only, or all codes at 2/4/6 digits.")
@click.option("--freq", type=click.Choice(["A", "M"]), default="A", show_default=True,
              help="Annual or monthly data.")
@click.option("--reporters", default=None, metavar="ISO3,...",
              help="Reporters to fetch instead of the default plan (default CHN when "
                   "--partners is given).")
@click.option("--partners", default=None, metavar="ISO3,...",
              help="Partners to fetch instead of the default plan (WLD = World; default the "
                   "five Central Asian countries when --reporters is given).")
@click.option("--max-records", type=int, default=None,
              help="Records per call (default: the tier's cap, 500 keyless, 100000 keyed).")
@click.option("--refresh", is_flag=True,
              help="Fetch again even queries that already have a complete snapshot.")
def fetch_comtrade(years: str | None, level: str, freq: str, reporters: str | None,
                   partners: str | None, max_records: int | None, refresh: bool) -> None:
    """Fetch China–Central Asia flows from UN Comtrade (API v1).

    \b
    Default plan, for every period, flows M, X, RM, RX:
      China (156) with each of KAZ, KGZ, TJK, TKM, UZB at --level;
      each of those five as reporter with China as partner at --level;
      all six reporters with World (partner 0) at TOTAL, for shares.
    Without COMTRADE_API_KEY the keyless preview is used (500 rows a call);
    results that reach the cap are split and fetched again, never stored as
    complete. A rerun fetches only what is missing.
    """
    from tradeviz.extract import comtrade
    from tradeviz.extract.http import check_reachable
    from tradeviz.store.raw import RawStore

    year_list = comtrade.parse_years(years)
    periods = comtrade.periods_for(year_list, freq)
    if not periods:
        raise click.UsageError("no complete period in --years for --freq M yet")
    if reporters or partners:
        groups = comtrade.custom_plan(periods, level, _split(reporters), _split(partners))
    else:
        groups = comtrade.default_plan(periods, level)
    key = config.comtrade_key()
    check_reachable(config.comtrade_url())
    store = RawStore(config.raw_dir())
    fetcher = comtrade.ComtradeFetcher(store, api_key=key, max_records=max_records,
                                       refresh=refresh)
    log.info("comtrade: %s endpoint %s, %d record cap, years %s-%s, freq %s, level %s",
             "keyed" if key else "keyless preview", config.comtrade_url(), fetcher.cap,
             year_list[0], year_list[-1], freq, level)
    stats = fetcher.run(groups, freq)
    click.echo(f"comtrade: {stats.calls} calls, {stats.cached} queries already complete, "
               f"{stats.rows} rows, {stats.truncated} truncated responses split; "
               f"manifest {store.manifest_path}")


@fetch.command("imf", epilog=ENV_HELP)
@click.option("--years", default=None, metavar="RANGE",
              help="Years as 2015-2025 (default: the last ten years and the current one).")
@click.option("--freq", type=click.Choice(["A", "Q", "M"]), default="M", show_default=True,
              help="Annual, quarterly or monthly series.")
@click.option("--refresh", is_flag=True, help="Fetch again queries already stored.")
def fetch_imf(years: str | None, freq: str, refresh: bool) -> None:
    """Fetch IMF IMTS bilateral goods trade (formerly DOTS) for China and the five Central
    Asian countries: exports FOB, imports CIF (and FOB where given), against each other and
    against World, from the SDMX 3.0 API. Values are full US dollars; IMF estimates for
    non-reporters (Turkmenistan) keep their DERIVATION_TYPE."""
    from datetime import date

    from tradeviz.extract import comtrade, imf
    from tradeviz.extract.http import check_reachable
    from tradeviz.store.raw import RawStore

    year_list = comtrade.parse_years(years) if years else list(
        range(date.today().year - 10, date.today().year + 1))
    check_reachable(config.imf_url())
    store = RawStore(config.raw_dir())
    fetcher = imf.ImfFetcher(store, refresh=refresh)
    fetcher.run(year_list, (freq,))
    click.echo(f"imf: {fetcher.calls} calls, {fetcher.cached} queries already stored, "
               f"{fetcher.observations} observations; manifest {store.manifest_path}")


@fetch.command("comtrade-reference")
@click.option("--refresh", is_flag=True, help="Download the lists again.")
def fetch_comtrade_reference(refresh: bool) -> None:
    """Download the Comtrade HS reference lists (HS.json, H0…H6) into the raw layer."""
    from tradeviz.extract import comtrade_reference
    from tradeviz.extract.http import HttpClient
    from tradeviz.store.raw import RawStore

    store = RawStore(config.raw_dir())
    client = HttpClient("comtrade_reference", rps=config.comtrade_rps())
    got = comtrade_reference.fetch_reference(store, client, refresh=refresh)
    for name, snap in got.items():
        click.echo(f"{name}: {snap.record.get('records')} codes ({snap.path})")


@main.command("build")
@click.option("--allow-empty-periods", is_flag=True,
              help="Build even when a planned period has no rows from any reporter.")
def build_cmd(allow_empty_periods: bool) -> None:
    """Build processed/flows.parquet, mirror.parquet and focus.parquet from raw/.

    Reads only the raw layer (manifest and snapshots); validates every table against its
    schema; prints a report (rows, duplicates, missing reporter-period cells, HS2-vs-TOTAL
    consistency, focus-area coverage) and writes it to processed/build_report.json.
    """
    from tradeviz.transform.build import build

    report = build(config.data_dir(), allow_empty_periods=allow_empty_periods)
    out = config.processed_dir()
    click.echo(f"built {out / 'flows.parquet'}: " + ", ".join(
        f"{src} {n:,} rows" for src, n in sorted(report.rows_by_source.items())))
    if report.synthetic:
        click.echo("NOTE: the raw layer contains synthetic data; outputs are labelled so.")
    click.echo(f"snapshots read: {report.snapshots}; duplicate keys dropped (older "
               f"snapshot): {report.duplicates_dropped}; breakdown rows dropped: "
               f"{report.breakdown_rows_dropped}; truncated snapshots ignored: "
               f"{report.truncated_snapshots_ignored}")
    cc = report.chapter_checks
    click.echo(f"HS2 chapters vs TOTAL: {cc.get('cells_compared', 0)} cells compared, "
               f"{cc.get('cells_off', 0)} off")
    if report.missing_cells:
        by_rep: dict[str, list[str]] = {}
        for c in report.missing_cells:
            by_rep.setdefault(c["reporter"], []).append(c["period"])
        click.echo("planned reporter-period cells with no rows (information, not an error):")
        for rep, periods in sorted(by_rep.items()):
            click.echo(f"  {rep}: {', '.join(sorted(periods))}")
    if report.empty_periods:
        click.echo(f"WARNING: periods with no rows at all: {', '.join(report.empty_periods)}")
    if report.unmapped_wits_partners:
        click.echo("WITS partner names without ISO3 (left out of flows): "
                   + "; ".join(report.unmapped_wits_partners))
    click.echo(f"wrote {out / 'mirror.parquet'}, {out / 'focus.parquet'}, "
               f"{out / 'focus_coverage.parquet'}, {out / 'build_report.json'}")
    _print_coverage(out / "focus_coverage.parquet")


def _print_coverage(path: Path) -> None:
    import pandas as pd

    cov = pd.read_parquet(path)
    if cov.empty:
        click.echo("focus coverage: no HS-level rows to tag")
        return
    value = cov.groupby(["year", "area"])["value_usd"].sum().unstack("area").fillna(0)
    totals = (cov.drop_duplicates(["source", "freq", "year", "flow"])
              .groupby("year")["total_usd"].sum())
    click.echo("focus-area share of leaf-row trade value per year, % (areas overlap):")
    click.echo((value.div(totals, axis=0) * 100).round(1).to_string())


@main.command("check")
@click.option("--published", type=click.Path(path_type=Path), default=None,
              help="Published figures CSV (default: the table shipped with tradeviz).")
@click.option("--strict", is_flag=True, help="Exit with status 1 when a figure fails.")
def check_cmd(published: Path | None, strict: bool) -> None:
    """Compare China-reported totals in flows.parquet with published China Customs figures
    (pass within 2 %)."""
    import pandas as pd

    from tradeviz.analysis.checks import compare, format_table, load_published

    flows_path = config.processed_dir() / "flows.parquet"
    if not flows_path.exists():
        raise FileNotFoundError(f"{flows_path} missing; run `tradeviz build` first")
    result = compare(pd.read_parquet(flows_path), load_published(published))
    click.echo(format_table(result))
    if strict and (result["status"] == "FAIL").any():
        sys.exit(1)



@main.group("import")
def import_group() -> None:
    """Import downloaded files into the raw layer."""


@import_group.command("wits")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_wits(files: tuple[Path, ...]) -> None:
    """Import World Bank WITS Partner-Timeseries downloads (.csv with BOM or .xlsx,
    US$ thousand) so that `tradeviz build` includes them as source 'wits'."""
    from tradeviz.extract import wits
    from tradeviz.store.raw import RawStore

    store = RawStore(config.raw_dir())
    for snap, unmapped in wits.import_files(store, list(files)):
        click.echo(f"{snap.record['params']['file']}: {snap.record['records']:,} rows "
                   f"({', '.join(snap.record['params']['reporters'])}) -> {snap.path}")
        if unmapped:
            click.echo(f"  partner names without ISO3, left out of flows: {'; '.join(unmapped)}")


@main.group()
def tags() -> None:
    """Focus-area tags of HS codes (rules shipped as cited data)."""


@tags.command("explain")
@click.argument("code")
@click.option("--rev", default="H6", show_default=True,
              type=click.Choice(["H0", "H1", "H2", "H3", "H4", "H5", "H6"]),
              help="HS revision the code is read in.")
def tags_explain(code: str, rev: str) -> None:
    """Which focus areas CODE belongs to in revision --rev, by which rule and source."""
    from tradeviz.transform.focus import tags_for

    found = tags_for(rev, code.strip())
    if not found:
        click.echo(f"{code} ({rev}): no focus area")
        return
    for t in found:
        r = t.rule
        click.echo(f"{code} ({rev}): {t.area} ({t.subarea}), match {t.match}")
        click.echo(f"  rule {r.id}: code {t.rule_code}" + (f"; {r.note}" if r.note else ""))
        click.echo(f"  source ({r.kind}): {r.source_title} <{r.source_url}>")


@tags.command("list")
@click.argument("area", type=click.Choice(["energy", "critical_minerals",
                                           "new_energy_equipment", "agriculture", "ict",
                                           "infrastructure", "ecommerce_consumer"]))
@click.option("--rev", default="H6", show_default=True,
              type=click.Choice(["H0", "H1", "H2", "H3", "H4", "H5", "H6"]))
def tags_list(area: str, rev: str) -> None:
    """The codes (prefixes) of AREA in revision --rev, with rule, match and source kind."""
    from tradeviz.transform.focus import load_rules

    for r in load_rules():
        if r.area == area and rev in r.revisions:
            excl = f" except {','.join(r.exclude)}" if r.exclude else ""
            click.echo(f"{r.id:34} {r.match:7} {r.kind:8} {r.subarea}: "
                       f"{', '.join(r.codes)}{excl}")


@main.command("dictionary")
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/data_dictionary.md"),
              show_default=True)
def dictionary_cmd(out: Path) -> None:
    """Write the data dictionary of every processed table (generated from the schema)."""
    from tradeviz.schema import data_dictionary
    from tradeviz.store.parquet import write_text_atomic

    write_text_atomic(out, data_dictionary())
    click.echo(f"wrote {out}")


@main.command("demo")
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("demo-data"),
              show_default=True, help="Where the synthetic raw and processed layers go.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-exports"),
              show_default=True, help="Where charts and executed notebooks go.")
@click.option("--no-notebooks", is_flag=True, help="Skip executing the notebooks.")
def demo_cmd(data_dir: Path, out: Path, no_notebooks: bool) -> None:
    """Offline demo on SYNTHETIC data: writes a raw layer in the exact Comtrade v1 format
    (HS6, 2014-2024, calibrated to the published China Customs totals), then builds every
    table, exports every chart and runs every notebook. No network needed.

    Nothing is real: the manifest, Parquet metadata, every row and every chart caption say
    synthetic.
    """
    import pandas as pd

    from tradeviz.analysis.checks import compare, format_table, load_published
    from tradeviz.demo.run import run_demo

    report, written = run_demo(data_dir, out, notebooks=not no_notebooks)
    processed = data_dir / "processed"
    click.echo(f"SYNTHETIC demo data: {sum(report.rows_by_source.values()):,} flow rows in "
               f"{processed}; {len(written)} files under {out}")
    result = compare(pd.read_parquet(processed / "flows.parquet"),
                     load_published())
    click.echo("published-figures check (the synthetic data is calibrated to them):")
    click.echo(format_table(result))


@main.command("charts")
@click.option("--out", type=click.Path(path_type=Path), default=Path("exports/charts"),
              show_default=True)
@click.option("--format", "formats", default="png", show_default=True,
              help="Comma list of png, svg, pdf.")
@click.option("--years", default=None, metavar="FROM-TO", help="Restrict to a year range.")
@click.option("--countries", default=None, metavar="ISO3,...",
              help="Restrict to some Central Asian countries.")
def charts_cmd(out: Path, formats: str, years: str | None, countries: str | None) -> None:
    """Export every chart from processed/, each with a CSV of exactly the data plotted and
    a JSON sidecar (sources, snapshot hashes, filters, tool version)."""
    from tradeviz.charts import Tables, all_charts, export, filtered
    from tradeviz.store.parquet import read_meta

    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    bad = set(fmts) - {"png", "svg", "pdf"}
    if bad:
        raise click.BadParameter(f"unknown format(s) {sorted(bad)}; use png, svg, pdf",
                                 param_hint="--format")
    span = None
    if years:
        lo, _, hi = years.partition("-")
        span = (int(lo), int(hi or lo))
    tables = Tables.load(config.processed_dir())
    tables = filtered(tables, span, _split(countries))
    manifest = read_meta(config.processed_dir() / "flows.parquet").get("raw_manifest_sha256")
    count = 0
    for chart in all_charts(tables):
        export(chart, out, fmts, manifest)
        count += 1
    click.echo(f"wrote {count} charts ({', '.join(fmts)}, with .csv and .json) to {out}")


@main.command("notebooks")
@click.option("--out", type=click.Path(path_type=Path), default=Path("exports/notebooks"),
              show_default=True)
def notebooks_cmd(out: Path) -> None:
    """Execute every notebook in notebooks/ on $TRADEVIZ_DATA_DIR/processed and write the
    executed notebooks and their HTML to --out."""
    from tradeviz.notebook_runner import run_notebooks

    written = run_notebooks(out, config.data_dir())
    click.echo(f"wrote {len(written)} files to {out}")


@main.group()
def emulate() -> None:
    """Run a local API emulator (synthetic data) for trials without network."""


@emulate.command("comtrade")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--rps", type=float, default=None, help="Permitted requests per second "
              "(faster calls get 429 with Retry-After).")
@click.option("--fault-rate", type=float, default=0.0, show_default=True,
              help="Share of data calls answered with a 429, a 500 or a truncated body.")
@click.option("--preview-cap", type=int, default=500, show_default=True)
@click.option("--keyed-cap", type=int, default=100_000, show_default=True)
def emulate_comtrade(port: int, rps: float | None, fault_rate: float, preview_cap: int,
                     keyed_cap: int) -> None:
    """Serve an emulated UN Comtrade API on 127.0.0.1 until interrupted.

    Point the fetcher at it with TRADEVIZ_COMTRADE_URL=http://127.0.0.1:PORT.
    Generated responses are synthetic and marked so in the manifest.
    """
    from tradeviz.emulators.comtrade import ComtradeEmulator, Faults
    from tradeviz.emulators.server import ServedApp

    app = ComtradeEmulator(rps=rps, faults=Faults(rate=fault_rate), preview_cap=preview_cap,
                           keyed_cap=keyed_cap)
    served = ServedApp(app, port=port)
    click.echo(f"Comtrade emulator (synthetic data) on {served.url}; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        served.serve_forever()


@emulate.command("imf")
@click.option("--port", type=int, default=8766, show_default=True)
@click.option("--fault-rate", type=float, default=0.0, show_default=True,
              help="Share of calls answered with a 429, a 500 or a truncated body.")
def emulate_imf(port: int, fault_rate: float) -> None:
    """Serve an emulated IMF SDMX 3.0 API (IMTS) on 127.0.0.1 until interrupted.

    Point the fetcher at it with TRADEVIZ_IMF_URL=http://127.0.0.1:PORT.
    """
    import contextlib

    from tradeviz.emulators.comtrade import Faults
    from tradeviz.emulators.imf import ImfEmulator
    from tradeviz.emulators.server import ServedApp

    served = ServedApp(ImfEmulator(faults=Faults(rate=fault_rate)), port=port)
    click.echo(f"IMF emulator (synthetic data) on {served.url}; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        served.serve_forever()


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


if __name__ == "__main__":  # pragma: no cover
    main()
