"""`tradeviz emulate`: local API emulators (synthetic data) for trials.

Needs the optional extra `tradeviz[emulators]` (werkzeug) and the recorded corpus
(--corpus or $TRADEVIZ_CORPUS_DIR); both are checked before a server starts."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

CORPUS_OPTION = click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="TRADEVIZ_CORPUS_DIR",
    show_envvar=True,
    help="Recorded API responses (the folder holding comtrade/ and imf/).",
)


@click.group()
def emulate() -> None:
    """Run a local API emulator (synthetic data) for trials without network."""


@emulate.command("comtrade")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--rps",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Permitted requests per second (faster calls get 429 with Retry-After).",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of data calls answered with a 429, a 500 or a truncated body.",
)
@click.option("--preview-cap", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--keyed-cap", type=click.IntRange(min=1), default=100_000, show_default=True)
@CORPUS_OPTION
def emulate_comtrade(
    port: int,
    rps: float | None,
    fault_rate: float,
    preview_cap: int,
    keyed_cap: int,
    corpus: Path | None,
) -> None:
    """Serve an emulated UN Comtrade API on 127.0.0.1 until interrupted.

    Point the fetcher at it with TRADEVIZ_COMTRADE_URL=http://127.0.0.1:PORT.
    Generated responses are synthetic and marked so in the manifest.
    """
    from tradeviz import config
    from tradeviz.emulators.comtrade import ComtradeEmulator, Faults
    from tradeviz.emulators.server import ServedApp

    app = ComtradeEmulator(
        corpus=config.corpus_dir(corpus),
        rps=rps,
        faults=Faults(rate=fault_rate),
        preview_cap=preview_cap,
        keyed_cap=keyed_cap,
    )
    served = ServedApp(app, port=port)
    click.echo(f"Comtrade emulator (synthetic data) on {served.url}; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        served.serve_forever()


@emulate.command("imf")
@click.option("--port", type=click.IntRange(0, 65535), default=8766, show_default=True)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of calls answered with a 429, a 500 or a truncated body.",
)
@CORPUS_OPTION
def emulate_imf(port: int, fault_rate: float, corpus: Path | None) -> None:
    """Serve an emulated IMF SDMX 3.0 API (IMTS) on 127.0.0.1 until interrupted.

    Point the fetcher at it with TRADEVIZ_IMF_URL=http://127.0.0.1:PORT.
    """
    from tradeviz import config
    from tradeviz.emulators.comtrade import Faults
    from tradeviz.emulators.imf import ImfEmulator
    from tradeviz.emulators.server import ServedApp

    served = ServedApp(
        ImfEmulator(corpus=config.corpus_dir(corpus), faults=Faults(rate=fault_rate)), port=port
    )
    click.echo(f"IMF emulator (synthetic data) on {served.url}; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        served.serve_forever()
