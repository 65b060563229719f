"""Offline demo: the whole fetch -> build -> check pipeline against the local Comtrade
emulator, into a separate data directory. Every row is synthetic and labelled so."""

from __future__ import annotations

import logging
from pathlib import Path

from .build import BuildReport, build
from .emulators.comtrade import ComtradeEmulator
from .emulators.server import ServedApp
from .http import HttpClient
from .raw_store import RawStore
from .sources import comtrade

log = logging.getLogger(__name__)


def run_demo(data_dir: Path, years: range = range(2016, 2024)) -> BuildReport:
    emulator = ComtradeEmulator()
    with ServedApp(emulator) as served:
        import os

        previous = os.environ.get("TRADEVIZ_COMTRADE_URL")
        os.environ["TRADEVIZ_COMTRADE_URL"] = served.url
        try:
            store = RawStore(data_dir / "raw")
            fetcher = comtrade.ComtradeFetcher(
                store, client=HttpClient("comtrade", rps=50.0), api_key="demo-key")
            periods = comtrade.periods_for(list(years), "A")
            fetcher.run(comtrade.default_plan(periods, "6"), "A")
        finally:
            if previous is None:
                os.environ.pop("TRADEVIZ_COMTRADE_URL", None)
            else:
                os.environ["TRADEVIZ_COMTRADE_URL"] = previous
    return build(data_dir)
