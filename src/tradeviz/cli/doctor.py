"""`tradeviz doctor`: check the live APIs with a few tiny calls before a long fetch."""

from __future__ import annotations

import click

from tradeviz import config
from tradeviz.cli._common import ENV_HELP
from tradeviz.errors import TradevizError


@click.command("doctor", epilog=ENV_HELP)
def doctor_cmd() -> None:
    """Make a handful of tiny calls (keyless Comtrade preview, 12 periods, a URL at the
    planned length limit, keyed data when COMTRADE_API_KEY is set, availability, one
    reference file, one IMF series, WITS reachability) and print a table: endpoint, HTTP
    status, latency, the limit observed and, keyed, whether the key is accepted. The key
    is never printed. Exits 1 when offline (one line) or when Comtrade cannot be fetched."""
    from tradeviz.extract import doctor

    key = config.comtrade_key()
    probes = doctor.run(key)
    click.echo(doctor.table(probes))
    failed = [p.endpoint for p in probes if not p.ok]
    blocking = [p.endpoint for p in probes if p.essential and not p.ok]
    if blocking:
        raise TradevizError(
            f"doctor: {', '.join(blocking)} failed; a Comtrade fetch would fail too (see the table)"
        )
    if failed:
        click.echo(f"doctor: not usable now: {', '.join(failed)} (the fetch can still run)")
    else:
        click.echo("doctor: every endpoint answered")
