"""`tradeviz countries`: the country registry (what ISO3 options accept)."""

from __future__ import annotations

import click


@click.command("countries")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help='Also list Comtrade\'s areas ("Other Asia, nes", bunkers) and historical codes.',
)
@click.argument("search", required=False)
def countries_cmd(show_all: bool, search: str | None) -> None:
    """List countries: ISO3, Comtrade code, M49 code and English name (SEARCH filters by
    code or name, any case)."""
    from tradeviz.vocab.countries import ALL, COUNTRIES

    rows = ALL if show_all else COUNTRIES
    if search:
        s = search.strip().lower()
        rows = tuple(
            c for c in rows if s in c.name.lower() or s == c.iso3.lower() or s == str(c.comtrade)
        )
    click.echo(f"{'ISO3':5} {'Comtrade':>8} {'M49':>5}  name")
    for c in sorted(rows, key=lambda c: (c.iso3, c.comtrade)):
        m49 = "" if c.m49 is None else str(c.m49)
        note = (
            ""
            if c.current
            else f"  [{c.kind}, not current]"
            if c.kind == "country"
            else f"  [{c.kind}]"
        )
        click.echo(f"{c.iso3:5} {c.comtrade:>8} {m49:>5}  {c.name}{note}")
