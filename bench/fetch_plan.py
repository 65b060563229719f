"""Benchmark: the default Comtrade plan at HS6 over 2000–2024 against the local emulator.

Prints calls made against the minimum the record cap allows, and wall time against the
time the emulator's permitted request rate imposes; then reruns and prints its calls.
Targets (issue 2): calls <= 1.2 x minimum; a rerun with nothing new makes 0 calls.

    .venv/bin/python bench/fetch_plan.py [--scale 1.0] [--rps 20] [--years 2000-2024]

Data is synthetic (emulator), written to a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

from tradeviz.emulators.comtrade import ComtradeEmulator
from tradeviz.emulators.server import ServedApp
from tradeviz.extract import comtrade
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", default="2000-2024")
    ap.add_argument("--scale", type=float, default=1.0, help="row-count scale (1 = realistic)")
    ap.add_argument("--rps", type=float, default=1.0,
                    help="emulator's permitted rate (1 req/s, the client's default)")
    ap.add_argument("--cap", type=int, default=comtrade.KEYED_CAP)
    args = ap.parse_args()

    emulator = ComtradeEmulator(rps=args.rps, scale=args.scale, keyed_cap=args.cap)
    periods = comtrade.periods_for(comtrade.parse_years(args.years), "A")
    groups = comtrade.default_plan(periods, "6")
    minimum = 0
    total_rows = 0
    for g in groups:
        rows = 0
        for r in g.reporters:
            for p in g.partners:
                for period in periods:
                    for flow in comtrade.FLOWS:
                        n = emulator.cell_lines(r, p, flow, int(period))
                        rows += 1 if (g.cmd == "TOTAL" and n) else n
        total_rows += rows
        print(f"group {g.name}: {rows:,} rows")
        # both caps bind: records per call, and periods per call
        minimum += max(math.ceil(rows / args.cap),
                       math.ceil(len(periods) / comtrade.MAX_PERIODS_PER_CALL))
    tmp = Path(tempfile.mkdtemp(prefix="tradeviz-bench-"))
    try:
        with ServedApp(emulator) as served:
            os.environ["TRADEVIZ_COMTRADE_URL"] = served.url
            store = RawStore(tmp / "raw")
            client = HttpClient("comtrade", rps=args.rps)
            fetcher = comtrade.ComtradeFetcher(store, client=client, api_key="bench-key",
                                               max_records=args.cap, progress=False)
            t0 = time.perf_counter()
            stats = fetcher.run(groups, "A")
            wall = time.perf_counter() - t0
            calls = emulator.calls
            rerun = comtrade.ComtradeFetcher(store, client=HttpClient("comtrade", rps=args.rps),
                                             api_key="bench-key", max_records=args.cap,
                                             progress=False)
            rerun.run(groups, "A")
            rerun_calls = emulator.calls - calls
        size = sum(f.stat().st_size for f in (tmp / "raw").rglob("*") if f.is_file())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    floor = (calls - 1) / args.rps
    ratio = calls / minimum
    print(f"plan: default, HS6, {periods[-1]}-{periods[0]}, {len(groups)} groups, "
          f"{total_rows:,} rows (synthetic), cap {args.cap:,}")
    print(f"calls made        {calls:6d}   (HTTP requests incl. retries of 429s)")
    print(f"fetch calls       {stats.calls:6d}   truncated and split: {stats.truncated}; "
          f"by group: {stats.calls_by_group}")
    print(f"minimum calls     {minimum:6d}   (per group: max(ceil(rows / record cap), "
          f"ceil(periods / {comtrade.MAX_PERIODS_PER_CALL})))")
    print(f"calls / minimum   {ratio:6.2f}   target <= 1.20  {'PASS' if ratio <= 1.2 else 'FAIL'}")
    print(f"wall time         {wall:6.1f} s vs {floor:.1f} s imposed by {args.rps:g} req/s "
          f"(x{wall / max(floor, 1e-9):.1f}); raw layer {size / 1e6:,.0f} MB")
    verdict = "PASS" if rerun_calls == 0 else "FAIL"
    print(f"rerun calls       {rerun_calls:6d}   target 0  {verdict}")


if __name__ == "__main__":
    main()
