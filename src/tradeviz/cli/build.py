"""`tradeviz build`, `check`, `import`: raw snapshots to checked Parquet tables."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tradeviz import config
from tradeviz.errors import MissingInputError
from tradeviz.store.lock import writes_data_dir


@click.command("build")
@click.option(
    "--allow-empty-periods",
    is_flag=True,
    help="Build even when a planned period has no rows from any reporter.",
)
@click.option(
    "--allow-retired-missing",
    is_flag=True,
    help="Build even when queries retired by `raw verify --fix` were never fetched again "
    "(their rows are then absent from the tables; each is named).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild every partition; by default partitions whose input snapshots are "
    "unchanged are reused from the current build (hard links, same result).",
)
@writes_data_dir
def build_cmd(allow_empty_periods: bool, allow_retired_missing: bool, full: bool = False) -> None:
    """Build processed/ (flows, mirror, focus, the world layer: hive-partitioned) from raw/.

    Reads only the raw layer (manifest and snapshots); validates every table against its
    schema; prints a report (rows, duplicates, missing reporter-period cells, HS2-vs-TOTAL
    consistency, focus-area coverage) and writes it to processed/build_report.json.
    Refuses (exit 1), naming each, when a retired query was never fetched again, unless
    --allow-retired-missing.
    """
    from tradeviz.transform.build import build

    _check_retired(allow_retired_missing)

    report = build(config.data_dir(), allow_empty_periods=allow_empty_periods, full=full)
    out = config.processed_dir()
    click.echo(
        f"built {out / 'flows'}: "
        + ", ".join(f"{src} {n:,} rows" for src, n in sorted(report.rows_by_source.items()))
    )
    if report.synthetic:
        click.echo("NOTE: the raw layer contains synthetic data; outputs are labelled so.")
    click.echo(
        f"snapshots read: {report.snapshots}; duplicate keys dropped (older "
        f"snapshot): {report.duplicates_dropped}; breakdown rows dropped: "
        f"{report.breakdown_rows_dropped}; truncated snapshots ignored: "
        f"{report.truncated_snapshots_ignored}"
    )
    cc = report.chapter_checks
    click.echo(
        f"HS2 chapters vs TOTAL: {cc.get('cells_compared', 0)} cells compared, "
        f"{cc.get('cells_off', 0)} off"
    )
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
        click.echo(
            "WITS partner names without ISO3 (left out of flows): "
            + "; ".join(report.unmapped_wits_partners)
        )
    click.echo(
        f"wrote {out / 'mirror'}, {out / 'focus'}, "
        f"{out / 'focus_coverage.parquet'}, {out / 'build_report.json'}"
    )
    _print_coverage(out / "focus_coverage.parquet")
    if report.world:
        w = report.world
        click.echo(
            f"world layer {out / 'world'}: {w['rows']:,} rows in {w['partitions']} partitions "
            f"({w['rebuilt']} built, {w['reused']} reused unchanged, {w['dropped']} dropped)"
        )


def _check_retired(allow: bool) -> None:
    """Queries `raw verify --fix` retired and nothing fetched again would silently be
    absent from the tables: name each, and stop unless the user allowed it."""
    from tradeviz.errors import BuildError
    from tradeviz.store.raw import RawStore
    from tradeviz.store.verify import refetch_command
    from tradeviz.transform.snapshots import DATA_SOURCES

    gone = RawStore(config.raw_dir()).retired_missing(DATA_SOURCES)
    if not gone:
        return
    names = "; ".join(_describe(snap) for snap in gone)
    commands = " / ".join(sorted({f"`{refetch_command(s).split('   ')[0]}`" for s in gone}))
    if allow:
        click.echo(
            f"WARNING: {len(gone)} retired quer{'y' if len(gone) == 1 else 'ies'} "
            f"never fetched again, absent from the tables: {names}"
        )
        return
    raise BuildError(
        f"{len(gone)} retired quer{'y' if len(gone) == 1 else 'ies'} never fetched again "
        f"would be missing from the tables: {names}. Fix: run {commands}, or build "
        "without them with `tradeviz build --allow-retired-missing`"
    )


def _describe(snap) -> str:
    """A retired query in a few words: source, parameters, manifest line."""
    import json

    params = snap.record.get("params")
    text = json.dumps(params, sort_keys=True, separators=(",", ":")) if params else "{}"
    return f"{snap.source} {text[:160]} (manifest line {snap.line})"


def _print_coverage(path: Path) -> None:
    import pandas as pd

    cov = pd.read_parquet(path)
    if cov.empty:
        click.echo("focus coverage: no HS-level rows to tag")
        return
    value = cov.groupby(["year", "area"])["value_usd"].sum().unstack("area").fillna(0)
    totals = (
        cov.drop_duplicates(["source", "freq", "year", "flow", "hs_level"])
        .groupby("year")["total_usd"]
        .sum()
    )
    click.echo("focus-area share of leaf-row trade value per year, % (areas overlap):")
    click.echo((value.div(totals, axis=0) * 100).round(1).to_string())


@click.command("check")
@click.option(
    "--published",
    type=click.Path(path_type=Path),
    default=None,
    help="Published figures CSV (default: the table shipped with tradeviz).",
)
@click.option("--strict", is_flag=True, help="Exit with status 1 when a figure fails.")
def check_cmd(published: Path | None, strict: bool) -> None:
    """Compare China-reported totals in the flows table with published China Customs figures
    (pass within 2 %). Only independent figures count as confirmation; on synthetic (demo)
    tables it says so. With no --data-dir, reads what charts read (after `make demo` with no
    real tables, the demo's)."""
    from tradeviz.analysis.checks import compare, format_table, load_published, tables_to_check
    from tradeviz.store.processed import check_tables
    from tradeviz.store.tables import has_tables, read_table

    processed, note = tables_to_check(config.data_dir_given())
    generation = processed.resolve()  # resolved once: one build generation
    if not has_tables(generation):
        raise MissingInputError(f"no tables in {processed}; run `tradeviz build` first")
    if note:
        click.echo(note)
    used = ("source", "freq", "year", "reporter", "partner", "flow", "hs_level", "value_usd")
    check_tables(generation, ["flows"], used)  # truncated, value_usd as text: one line, exit 1
    result = compare(read_table(generation, "flows"), load_published(published))
    click.echo(format_table(result))
    if strict and (result["status"] == "FAIL").any():
        sys.exit(1)


@click.group("import")
def import_group() -> None:
    """Import downloaded files into the raw layer."""


@import_group.command("wits")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@writes_data_dir
def import_wits(files: tuple[Path, ...]) -> None:
    """Import World Bank WITS Partner-Timeseries downloads (.csv with BOM or .xlsx,
    US$ thousand) so that `tradeviz build` includes them as source 'wits'."""
    from tradeviz.extract import wits
    from tradeviz.store.raw import RawStore

    store = RawStore(config.raw_dir())
    for snap, unmapped in wits.import_files(store, list(files)):
        click.echo(
            f"{snap.record['params']['file']}: {snap.record['records']:,} rows "
            f"({', '.join(snap.record['params']['reporters'])}) -> {snap.path}"
        )
        if unmapped:
            click.echo(f"  partner names without ISO3, left out of flows: {'; '.join(unmapped)}")
