"""The `tradeviz` command line: fetch, import, build, check, tags, charts, notebooks, demo."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import __version__, config
from .errors import TradevizError

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
    from .http import check_reachable
    from .raw_store import RawStore
    from .sources import comtrade

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


@fetch.command("comtrade-reference")
@click.option("--refresh", is_flag=True, help="Download the lists again.")
def fetch_comtrade_reference(refresh: bool) -> None:
    """Download the Comtrade HS reference lists (HS.json, H0…H6) into the raw layer."""
    from .http import HttpClient
    from .raw_store import RawStore
    from .sources import comtrade_reference

    store = RawStore(config.raw_dir())
    client = HttpClient("comtrade_reference", rps=config.comtrade_rps())
    got = comtrade_reference.fetch_reference(store, client, refresh=refresh)
    for name, snap in got.items():
        click.echo(f"{name}: {snap.record.get('records')} codes ({snap.path})")


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
    from .emulators.comtrade import ComtradeEmulator, Faults
    from .emulators.server import ServedApp

    app = ComtradeEmulator(rps=rps, faults=Faults(rate=fault_rate), preview_cap=preview_cap,
                           keyed_cap=keyed_cap)
    served = ServedApp(app, port=port)
    click.echo(f"Comtrade emulator (synthetic data) on {served.url}; Ctrl-C to stop")
    try:
        served.serve_forever()
    except KeyboardInterrupt:
        pass


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


if __name__ == "__main__":  # pragma: no cover
    main()
