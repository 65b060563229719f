"""Benchmark: calls the Comtrade planner makes against the minimum the record cap allows.

Runs the default plan against the local emulator's realistic panel (synthetic data, sized
to the counts in issue 12) in four cases: keyless HS6 2019–2021 annual, keyless HS4
2022–2023 monthly, keyed HS6 2000–2024 annual, keyed HS6 2022–2023 monthly. For each it
prints calls, capped calls, the minimum and the ratio, then reruns the plan (target 0
calls) and measures the fetch process's peak memory against its largest response body.

How the minimum is computed: the rows the emulator returns for each plan group, asked for
whole (each period without a cap; the emulator's own answer, not a re-derivation), then
minimum = sum over groups of ceil(group rows / cap), cap = 500 keyless and 100,000 keyed.
Per group, because one call cannot mix groups (their HS levels or partners differ); the
plain ceil(all rows / cap) is printed too. No periods-per-call limit applies: none is
enforced by the emulator nor confirmed for the live API (MAX_PERIODS_PER_CALL, off).
Calls are counted by the emulator (every HTTP data request, retries included).

Targets (issue 12): calls <= 1.5 x minimum in every case; capped calls <= 5 %; rerun 0
calls; fetch peak RSS <= 2 x the largest single response body (keyed annual case).

    .venv/bin/python bench/fetch_plan.py [--cases keyless-A6,keyless-M4,keyed-A6,keyed-M6]

The raw layers go to temporary directories and are deleted. Call counts are deterministic;
memory is measured in a separate fetch process (VmHWM), its emulator in this one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tradeviz.emulators.comtrade import ComtradeEmulator
from tradeviz.emulators.server import ServedApp
from tradeviz.extract import comtrade

KEY = "bench-key-0123456789"
CASES = {
    # name: (keyed, level, freq, years)
    "keyless-A6": (False, "6", "A", "2019-2021"),
    "keyless-M4": (False, "4", "M", "2022-2023"),
    "keyed-A6": (True, "6", "A", "2000-2024"),
    "keyed-M6": (True, "6", "M", "2022-2023"),
}
FETCH = """
import json, sys
from pathlib import Path
from tradeviz.extract import comtrade
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore
key, level, freq, years, root = sys.argv[1:6]
periods = comtrade.periods_for(comtrade.parse_years(years), freq)
fetcher = comtrade.ComtradeFetcher(RawStore(Path(root)), client=HttpClient("comtrade",
    rps=1000.0), api_key=key or None, progress=False)
stats = fetcher.run(comtrade.default_plan(periods, level), freq)
hwm = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")][0]
print(json.dumps({"calls": stats.calls, "truncated": stats.truncated, "rows": stats.rows,
                  "by_group": stats.calls_by_group, "largest": stats.largest_body,
                  "estimate": fetcher.estimate(comtrade.default_plan(periods, level), freq),
                  "peak": hwm * 1024}))
"""


def group_rows(emulator: ComtradeEmulator, level: str, freq: str, years: str) -> list[int]:
    """Rows the emulator holds for each group of the default plan: each period asked for
    whole, without a cap."""
    periods = comtrade.periods_for(comtrade.parse_years(years), freq)
    out = []
    for g in comtrade.default_plan(periods, level):
        total = 0
        for period in periods:
            query = comtrade.Query(freq, g.reporters, g.partners, (period,), (g.cmd,))
            params = {k.lower(): v for k, v in query.params().items()}
            body, _ = emulator._data(freq, params, 10**9)
            total += json.loads(body)["count"]
        out.append(total)
    return out


def fetch(url: str, keyed: bool, level: str, freq: str, years: str, root: Path) -> dict:
    env = {**os.environ, "TRADEVIZ_COMTRADE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", FETCH, KEY if keyed else "", level, freq, years, str(root)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    emulator = ComtradeEmulator(valid_keys={KEY})
    failed = False
    with ServedApp(emulator) as served:
        for name in args.cases.split(","):
            keyed, level, freq, years = CASES[name]
            cap = comtrade.KEYED_CAP if keyed else comtrade.PREVIEW_CAP
            per_group = group_rows(emulator, level, freq, years)
            rows = sum(per_group)
            minimum = sum(math.ceil(n / cap) for n in per_group)
            plain = math.ceil(rows / cap)
            tmp = Path(tempfile.mkdtemp(prefix="tradeviz-fetch-bench-"))
            try:
                before = emulator.calls
                t0 = time.perf_counter()
                first = fetch(served.url, keyed, level, freq, years, tmp / "raw")
                wall = time.perf_counter() - t0
                calls = emulator.calls - before
                before = emulator.calls
                fetch(served.url, keyed, level, freq, years, tmp / "raw")
                rerun = emulator.calls - before
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            ratio = calls / minimum
            capped = first["truncated"] / max(calls, 1)
            mem = first["peak"] / max(first["largest"], 1)
            ok = ratio <= 1.5 and capped <= 0.05 and rerun == 0
            print(
                f"{name}: default plan, HS{level}, {years}, freq {freq}, "
                f"{'keyed' if keyed else 'keyless'} (cap {cap:,}); {rows:,} rows "
                f"(synthetic), fetched {first['rows']:,}"
            )
            print(
                f"  calls            {calls:6d}   by group {first['by_group']}; "
                f"estimated before the fetch: {first['estimate']}"
            )
            print(
                f"  minimum          {minimum:6d}   sum over groups of ceil(rows / {cap:,}) "
                f"({' + '.join(f'{n:,}' for n in per_group)} rows)"
            )
            print(
                f"  calls / minimum  {ratio:6.2f}   target <= 1.50  {verdict(ratio <= 1.5)}"
                f"   (vs plain ceil({rows:,} / {cap:,}) = {plain}: {calls / plain:.2f})"
            )
            print(
                f"  capped calls     {first['truncated']:6d}   {capped:.1%} of calls, target "
                f"<= 5 %  {verdict(capped <= 0.05)}"
            )
            print(f"  rerun calls      {rerun:6d}   target 0  {verdict(rerun == 0)}")
            print(
                f"  at 1 request/s   {calls / 60:6.1f} min (wall here {wall:.1f} s, no rate limit)"
            )
            if keyed and freq == "A":
                ok = ok and mem <= 2
                print(
                    f"  fetch peak RSS   {first['peak'] / 2**20:6.0f} MiB = {mem:.2f} x the "
                    f"largest body ({first['largest'] / 2**20:.0f} MiB), target <= 2  "
                    f"{verdict(mem <= 2)}"
                )
            failed |= not ok
            sys.stdout.flush()
    print("fetch_plan:", "FAIL" if failed else "PASS")


if __name__ == "__main__":
    main()
