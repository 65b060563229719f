"""`tradeviz charts`, `notebooks`, `demo`: what an analyst opens."""

from __future__ import annotations

from pathlib import Path

import click

from tradeviz import config
from tradeviz.cli.options import CA_ISO3_LIST, CHART_FORMATS, YEAR_FILTER, ChoiceList
from tradeviz.vocab.areas import AREA_KEYS


def view_filters(countries_help: str):
    """The `--years` and `--countries` options shared by charts, notebooks and report."""

    def add(command):
        command = click.option("--countries", type=CA_ISO3_LIST, default=None, help=countries_help)(
            command
        )
        return click.option(
            "--years",
            type=YEAR_FILTER,
            default=None,
            help="Restrict to some years: a range like 2018-2024, a list like 2019,2021, or both.",
        )(command)

    return add


@click.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the synthetic raw and processed layers go (default: the global "
    "--data-dir or $TRADEVIZ_DATA_DIR when set, else ./demo-data).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("demo-exports"),
    show_default=True,
    help="Where charts and executed notebooks go.",
)
@click.option("--no-notebooks", is_flag=True, help="Skip executing the notebooks.")
def demo_cmd(data_dir: Path | None, out: Path, no_notebooks: bool) -> None:
    """Offline demo on SYNTHETIC data: writes a raw layer in the exact Comtrade v1 format
    (HS6, 2014-2024, calibrated to the published China Customs totals), then builds every
    table, exports every chart and runs every notebook. No network needed.

    Nothing is real: the manifest, Parquet metadata, every row and every chart caption say
    synthetic.
    """

    from tradeviz.analysis.checks import compare, format_table, load_published
    from tradeviz.demo.run import demo_data_dir, run_demo
    from tradeviz.store.tables import read_table

    data_dir = demo_data_dir(data_dir)
    report, written = run_demo(data_dir, out, notebooks=not no_notebooks)
    processed = data_dir / "processed"
    click.echo(
        f"SYNTHETIC demo data: {sum(report.rows_by_source.values()):,} flow rows in "
        f"{processed}; {len(written)} files under {out}"
    )
    result = compare(read_table(processed.resolve(), "flows"), load_published())
    click.echo("published-figures check (the synthetic data is calibrated to them):")
    click.echo(format_table(result))
    click.echo(f"open {out / 'report' / 'index.html'} for the report (SYNTHETIC data)")


AREA_LIST = ChoiceList(AREA_KEYS)


@click.command("charts")
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("exports/charts"), show_default=True
)
@click.option(
    "--format",
    "formats",
    type=CHART_FORMATS,
    default="png",
    show_default=True,
    help="Comma list of png, svg, pdf.",
)
@view_filters("Restrict to some Central Asian countries (ISO3, any case): only they are drawn.")
@click.option(
    "--areas",
    type=AREA_LIST,
    default=None,
    metavar="AREA,...",
    help="Focus areas: area charts only for these; the composition chart folds "
    "the others into other trade.",
)
def charts_cmd(
    out: Path,
    formats: list[str],
    years: str | None,
    countries: list[str] | None,
    areas: list[str] | None,
) -> None:
    """Export every chart from processed/ (--data-dir, else $TRADEVIZ_DATA_DIR, else the
    project's data/), each with a CSV of exactly the data plotted and a JSON sidecar
    (sources, snapshot hashes, filters applied, tool version)."""
    from tradeviz.charts.base import describe_filters
    from tradeviz.charts.batch import export_all

    ds = _view(years, countries)
    manifest = ds.provenance.get("raw_manifest_sha256")
    charts = export_all(ds, out, tuple(formats), manifest, areas)
    applied = describe_filters({**ds.filters, **({"areas": areas} if areas else {})})
    note = " (SYNTHETIC demo data)" if ds.synthetic else ""
    click.echo(
        f"wrote {len(charts)} charts{note} ({', '.join(formats)}, with .csv and .json)"
        f" to {out}" + (f"; filters: {applied}" if applied else "")
    )


def _view(years: str | None, countries: list[str] | None):
    """The Dataset of the chosen data directory, narrowed to the filters; a filter the data
    cannot satisfy is a usage error (exit 2) naming the years the tables hold."""
    import tradeviz
    from tradeviz.analysis.filters import FilterError

    ds = tradeviz.open(config.data_dir_given())
    try:
        return ds.filter(years=years, countries=countries)
    except FilterError as exc:
        raise click.BadParameter(str(exc), param_hint="--years/--countries") from None


@click.command("notebooks")
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("exports/notebooks"), show_default=True
)
@view_filters("Restrict to some Central Asian countries (any case).")
@click.option(
    "--with-code",
    is_flag=True,
    help="Keep the code cells in the HTML (hidden by default: the HTML reads as a report).",
)
def notebooks_cmd(
    out: Path, years: str | None, countries: list[str] | None, with_code: bool
) -> None:
    """Execute every notebook on the processed tables (--data-dir, else $TRADEVIZ_DATA_DIR,
    else ./data) and write the executed notebooks and their HTML to --out."""
    from tradeviz.charts.batch import prepare_out
    from tradeviz.notebook_runner import run_notebooks

    prepare_out(out, create=False)  # a file at --out: one line, before any kernel starts
    _view(years, countries)  # filters checked against the tables before any kernel starts
    params = {k: v for k, v in (("years", years), ("countries", countries)) if v}
    written = run_notebooks(out, config.data_dir_given(), parameters=params, with_code=with_code)
    click.echo(f"wrote {len(written)} files to {out}")


@click.command("report")
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("exports/report"), show_default=True
)
@view_filters("Restrict to some Central Asian countries (any case).")
def report_cmd(out: Path, years: str | None, countries: list[str] | None) -> None:
    """Write a self-contained static HTML report: headline findings and every chart, one
    page per Central Asian country, CSV downloads and provenance. Opens from file:// with
    no network. --out must be new, empty, or a previous report (it is replaced whole);
    anything else is refused, never deleted."""
    from tradeviz.report import write_report
    from tradeviz.report.site import check_out_dir

    check_out_dir(out)  # before the tables are read
    ds = _view(years, countries)
    written = write_report(ds, out)
    note = " (SYNTHETIC demo data)" if ds.synthetic else ""
    click.echo(f"wrote the report{note}: {len(written)} files to {out}; open {out / 'index.html'}")
