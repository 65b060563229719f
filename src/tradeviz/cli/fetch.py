"""`tradeviz fetch`: download statistics into raw snapshots."""

from __future__ import annotations

import click

from tradeviz import config
from tradeviz.cli._common import ENV_HELP, log
from tradeviz.cli.options import ISO3_LIST, ISO3_LIST_WITH_WORLD, YEARS
from tradeviz.store.lock import writes_data_dir


@click.group(epilog=ENV_HELP)
def fetch() -> None:
    """Download statistics into immutable raw snapshots under $TRADEVIZ_DATA_DIR/raw."""


@fetch.command("comtrade", epilog=ENV_HELP)
@click.option(
    "--years",
    type=YEARS,
    default=None,
    help="Years as 2015-2024 or 2019,2021 (default: the last ten complete years).",
)
@click.option(
    "--level",
    type=click.Choice(["total", "2", "4", "6", "auto"]),
    default="6",
    show_default=True,
    help="HS detail: TOTAL only, or all codes at 2/4/6 digits; auto: 6 with a key, "
    "else the finest level whose estimated calls fit --budget-minutes.",
)
@click.option(
    "--budget-minutes",
    type=float,
    default=30.0,
    show_default=True,
    help="With --level auto: longest fetch (at $TRADEVIZ_COMTRADE_RPS) worth waiting for.",
)
@click.option(
    "--probe",
    is_flag=True,
    help="First ask the data-availability list for record counts per reporter "
    "and period (one call; skipped if the server lacks it).",
)
@click.option(
    "--max-periods-per-call",
    type=int,
    default=None,
    help="Periods per call at most (default $TRADEVIZ_COMTRADE_MAX_PERIODS, else 12: the "
    "limit comtradr and un-comtrade-sdk name for the live API).",
)
@click.option(
    "--freq",
    type=click.Choice(["A", "M"]),
    default="A",
    show_default=True,
    help="Annual or monthly data.",
)
@click.option(
    "--reporters",
    type=ISO3_LIST,
    default=None,
    help="Reporters to fetch instead of the default plan (default CHN when --partners is given).",
)
@click.option(
    "--partners",
    type=ISO3_LIST_WITH_WORLD,
    default=None,
    help="Partners to fetch instead of the default plan (WLD = World; default the "
    "five Central Asian countries when --reporters is given).",
)
@click.option(
    "--max-records",
    type=int,
    default=None,
    help="Records per call (default: the tier's cap, 500 keyless, 100000 keyed).",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Fetch again even queries that already have a complete snapshot.",
)
@click.option(
    "--plan",
    "plan",
    type=click.Choice(["default", "partners", "world"]),
    default="default",
    show_default=True,
    help="partners: each of the five with every partner (World included) at TOTAL "
    "and HS2 (--level 2, the default here, or total), and every reporter's "
    "trade with each of the five at TOTAL (mirror side). world: every reporter's "
    "exports and imports with the World by product at --level 2, 4 or 6 (default: 6 "
    "with a key, else the finest level whose estimate fits --budget-minutes).",
)
@writes_data_dir
def fetch_comtrade(
    years: list[int] | None,
    level: str,
    freq: str,
    reporters: list[str] | None,
    partners: list[str] | None,
    max_records: int | None,
    refresh: bool,
    plan: str = "default",
    budget_minutes: float = 30.0,
    max_periods_per_call: int | None = None,
    probe: bool = False,
) -> None:
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

    year_list = years or comtrade.parse_years(None)  # default: the last ten complete years
    periods = comtrade.periods_for(year_list, freq)
    if not periods:
        raise click.UsageError("no complete period in --years for --freq M yet")
    key = config.comtrade_key()
    rps = config.comtrade_rps()
    if plan == "world" and _level_not_given():  # issue 19: keyless, what fits the budget
        level = "auto"
    if level == "auto":
        level = _auto_level(
            periods, freq, key is not None, rps, budget_minutes, reporters, partners, plan
        )
    if plan == "partners":  # issue 13
        if reporters or partners:
            raise click.UsageError(
                "--plan partners fixes reporters and partners; drop --reporters/--partners"
            )
        try:
            groups = comtrade.partners_plan(periods, "2" if level == "6" else level)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    elif plan == "world":  # issue 19
        if freq != "A":
            raise click.UsageError("--plan world is annual (the world layer): drop --freq M")
        if reporters or partners:
            raise click.UsageError(
                "--plan world fetches every reporter with the World; drop --reporters/--partners"
            )
        from tradeviz.extract.comtrade.world_plan import world_plan

        try:
            groups = world_plan(periods, level)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    elif reporters or partners:
        groups = comtrade.custom_plan(periods, level, reporters, partners)
    else:
        groups = comtrade.default_plan(periods, level)
    check_reachable(config.comtrade_url())
    store = RawStore(config.raw_dir())
    fetcher = comtrade.ComtradeFetcher(
        store,
        api_key=key,
        max_records=max_records,
        refresh=refresh,
        max_periods_per_call=max_periods_per_call,
        probe=probe,
    )
    log.info(
        "comtrade: %s endpoint %s, %d record cap, years %s-%s, freq %s, level %s",
        "keyed" if key else "keyless preview",
        config.comtrade_url(),
        fetcher.cap,
        year_list[0],
        year_list[-1],
        freq,
        level,
    )
    estimate = (
        fetcher.estimate(groups, freq) if plan != "world" else _world_estimate(groups, fetcher.cap)
    )
    log.info(
        "comtrade: about %d calls for HS level %s, %s-%s (%s at %g request/s; queries "
        "already stored are not called again)",
        estimate,
        level,
        periods[-1],
        periods[0],
        _minutes(estimate, rps),
        rps,
    )
    stats = fetcher.run(groups, freq)
    click.echo(
        f"comtrade: {stats.calls} calls, {stats.cached} queries already complete, "
        f"{stats.rows} rows, {stats.truncated} truncated responses split; "
        f"manifest {store.manifest_path}"
    )


def _level_not_given() -> bool:
    """True when --level was left at its default (the world plan then picks its own)."""
    source = click.get_current_context().get_parameter_source("level")
    return source in (None, click.core.ParameterSource.DEFAULT)


def _world_estimate(groups: list, cap: int) -> int:
    from tradeviz.extract.comtrade.world_plan import estimate_world_calls

    return estimate_world_calls(groups, cap)


def _minutes(calls: int, rps: float) -> str:
    minutes = calls / max(rps, 1e-9) / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{calls / max(rps, 1e-9):.0f} s"


def _auto_level(
    periods: tuple[str, ...],
    freq: str,
    keyed: bool,
    rps: float,
    budget_minutes: float,
    reporters: list[str] | None,
    partners: list[str] | None,
    plan: str,
) -> str:
    """6 with a key; without one the finest HS level whose estimated calls, at `rps`, fit
    in `budget_minutes` (the keyless preview returns 500 rows a call)."""
    from tradeviz.extract import comtrade

    if plan == "partners":  # its own levels: HS2 with a key, TOTAL without
        return "2" if keyed else "total"
    if plan == "world":
        from tradeviz.extract.comtrade.world_plan import auto_world_level

        level = (
            "6" if keyed else auto_world_level(periods, comtrade.PREVIEW_CAP, rps, budget_minutes)
        )
        log.info("comtrade: --plan world: HS%s (%s)", level, "keyed" if keyed else "keyless budget")
        return level
    if keyed:
        return "6"
    for level in ("6", "4", "2"):
        if reporters or partners:
            groups = comtrade.custom_plan(periods, level, reporters, partners)
        else:
            groups = comtrade.default_plan(periods, level)
        calls = comtrade.estimate_calls(groups, freq, comtrade.PREVIEW_CAP)
        if calls / max(rps, 1e-9) <= budget_minutes * 60:
            log.info(
                "comtrade: --level auto: HS%s, about %d keyless calls (%s at %g request/s)",
                level,
                calls,
                _minutes(calls, rps),
                rps,
            )
            return level
    return "2"


@fetch.command("imf", epilog=ENV_HELP)
@click.option(
    "--years",
    type=YEARS,
    default=None,
    help="Years as 2015-2025 (default: the last ten years and the current one).",
)
@click.option(
    "--freq",
    type=click.Choice(["A", "Q", "M"]),
    default="M",
    show_default=True,
    help="Annual, quarterly or monthly series.",
)
@click.option("--refresh", is_flag=True, help="Fetch again queries already stored.")
@writes_data_dir
def fetch_imf(years: list[int] | None, freq: str, refresh: bool) -> None:
    """Fetch IMF IMTS bilateral goods trade (formerly DOTS) for China and the five Central
    Asian countries: exports FOB, imports CIF (and FOB where given), against each other and
    against World, from the SDMX 3.0 API. Values are full US dollars; IMF estimates for
    non-reporters (Turkmenistan) keep their DERIVATION_TYPE."""
    from datetime import date

    from tradeviz.extract import imf
    from tradeviz.extract.http import check_reachable
    from tradeviz.store.raw import RawStore

    year_list = years or list(range(date.today().year - 10, date.today().year + 1))
    check_reachable(config.imf_url())
    store = RawStore(config.raw_dir())
    fetcher = imf.ImfFetcher(store, refresh=refresh)
    fetcher.run(year_list, (freq,))
    click.echo(
        f"imf: {fetcher.calls} calls, {fetcher.cached} queries already stored, "
        f"{fetcher.observations} observations; manifest {store.manifest_path}"
    )


@fetch.command("comtrade-reference")
@click.option("--refresh", is_flag=True, help="Download the lists again.")
@writes_data_dir
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
