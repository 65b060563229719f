"""`tradeviz charts`, `notebooks`, `demo`: what an analyst opens."""

from __future__ import annotations

from pathlib import Path

import click

from tradeviz import config
from tradeviz.cli._common import split_list


@click.command("demo")
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


@click.command("charts")
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
    tables = filtered(tables, span, split_list(countries))
    manifest = read_meta(config.processed_dir() / "flows.parquet").get("raw_manifest_sha256")
    count = 0
    for chart in all_charts(tables):
        export(chart, out, fmts, manifest)
        count += 1
    click.echo(f"wrote {count} charts ({', '.join(fmts)}, with .csv and .json) to {out}")


@click.command("notebooks")
@click.option("--out", type=click.Path(path_type=Path), default=Path("exports/notebooks"),
              show_default=True)
def notebooks_cmd(out: Path) -> None:
    """Execute every notebook in notebooks/ on $TRADEVIZ_DATA_DIR/processed and write the
    executed notebooks and their HTML to --out."""
    from tradeviz.notebook_runner import run_notebooks

    written = run_notebooks(out, config.data_dir())
    click.echo(f"wrote {len(written)} files to {out}")
