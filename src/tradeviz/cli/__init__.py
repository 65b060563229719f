"""The `tradeviz` command line: fetch, import, build, check, tags, charts, notebooks, demo.

Each command group lives in its own module; this one holds the top-level group."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from tradeviz import __version__, config
from tradeviz.cli import build, doctor, emulate, fetch, outputs, tags, vocab
from tradeviz.cli._common import ENV_HELP, _Group
from tradeviz.cli.hs import hs_group
from tradeviz.cli.raw import raw as raw_group


@click.group(cls=_Group, epilog=ENV_HELP)
@click.version_option(__version__, prog_name="tradeviz")
@click.option(
    "-v", "--verbose", is_flag=True, help="Show debug messages, and the traceback of any error."
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=config.DATA_DIR_ENV,
    show_envvar=True,
    default=None,
    help="Directory holding raw/ and processed/, for every command "
    "(default ./data; the demo defaults to ./demo-data).",
)
def main(verbose: bool, data_dir: Path | None) -> None:
    """China–Central Asia trade statistics: fetch raw snapshots, build Parquet tables,
    reconcile mirrors, tag focus areas, chart and export."""
    config.set_data_dir(data_dir)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # urllib3 would log full URLs at debug level; keys never travel in URLs, but stay quiet.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


main.add_command(fetch.fetch)
main.add_command(build.build_cmd)
main.add_command(build.check_cmd)
main.add_command(build.import_group)
main.add_command(tags.tags)
main.add_command(hs_group)
main.add_command(tags.dictionary_cmd)
main.add_command(outputs.demo_cmd)
main.add_command(outputs.charts_cmd)
main.add_command(outputs.notebooks_cmd)
main.add_command(outputs.report_cmd)
main.add_command(emulate.emulate)
main.add_command(raw_group)
main.add_command(vocab.countries_cmd)
main.add_command(doctor.doctor_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
