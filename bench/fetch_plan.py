"""Benchmark: calls the Comtrade planner makes against the minimum the record cap allows.

Runs the default plan against the local emulator's realistic panel (synthetic data, sized
to the counts in issue 12) under the live API's limits (issue 22: URLs planned to at most
1,900 characters, at most 12 periods per call; the emulator refuses past 2,048 characters
with 414 and 13+ periods with its error), in five cases: keyless HS6 2019–2021 annual,
keyless HS4 2022–2023 monthly, keyed HS6 2000–2024 annual, keyed HS6 2022–2023 monthly,
and keyless HS6 again against a server that refuses URLs past 1,500 characters (every
long call then meets a 414, is split and asked again). For each it prints calls, capped
calls, 414 answers, splits, the records fetched against the records there are, the
minimum and both ratios, then reruns the plan (target 0 calls) and measures the fetch
process's peak memory against its largest response body.

How the minimum is computed: the rows the emulator returns for each plan group, asked for
whole (each period without a cap; the emulator's own answer, not a re-derivation), then
minimum = sum over groups of max(ceil(group rows / cap), ceil(periods / 12)), cap = 500
keyless and 100,000 keyed (a call holds at most 12 periods, so 25 years take 3 calls
however few their rows). Per group, because one call cannot mix groups (their HS levels
or partners differ); the
plain bound ceil(all rows / cap) is printed too. Calls are counted by the emulator (every
HTTP data request, 414s and retries included).

Targets: calls <= 1.5 x minimum in every case and capped calls <= 5 % (issue 12);
calls <= 1.3 x the plain bound on keyless-A6 and keyless-M4 (issue 22); 100 % of the
records fetched and 0 failed runs in every case; rerun 0 calls; fetch peak RSS <= 2 x the
largest single response body (keyed annual case). The 414 case must fetch every record
with some 414s and as many splits.

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
    # name: (keyed, level, freq, years, the server's URL limit)
    "keyless-A6": (False, "6", "A", "2019-2021", 2048),
    "keyless-M4": (False, "4", "M", "2022-2023", 2048),
    "keyed-A6": (True, "6", "A", "2000-2024", 2048),
    "keyed-M6": (True, "6", "M", "2022-2023", 2048),
    "keyless-A6-414": (False, "6", "A", "2019-2021", 1500),
}
PLAIN_TARGET = {"keyless-A6": 1.3, "keyless-M4": 1.3}  # issue 22: calls / plain bound
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
                  "r414": stats.refused_414, "splits": stats.splits,
                  "rperiods": stats.refused_periods,
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


def fetch(url: str, keyed: bool, level: str, freq: str, years: str, root: Path) -> dict | None:
    """The fetch's figures, or None when the run failed (its error is printed)."""
    env = {**os.environ, "TRADEVIZ_COMTRADE_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", FETCH, KEY if keyed else "", level, freq, years, str(root)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print("  failed run:", (done.stderr.strip().splitlines() or ["?"])[-1][:200])
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run_case(emulator: ComtradeEmulator, url: str, name: str) -> bool:
    """One case, printed; True when it meets every target."""
    keyed, level, freq, years, server_limit = CASES[name]
    emulator.url_limit = server_limit
    cap = comtrade.KEYED_CAP if keyed else comtrade.PREVIEW_CAP
    per_group = group_rows(emulator, level, freq, years)
    rows = sum(per_group)
    # a call holds at most MAX_PERIODS_PER_CALL periods, so a group takes at least
    # ceil(periods / 12) calls however few its records
    n_periods = len(comtrade.periods_for(comtrade.parse_years(years), freq))
    least = math.ceil(n_periods / comtrade.MAX_PERIODS_PER_CALL)
    minimum = sum(max(math.ceil(n / cap), least) for n in per_group)
    plain = math.ceil(rows / cap)
    tmp = Path(tempfile.mkdtemp(prefix="tradeviz-fetch-bench-"))
    refused_before = dict(emulator.refused)
    try:
        before = emulator.calls
        t0 = time.perf_counter()
        first = fetch(url, keyed, level, freq, years, tmp / "raw")
        wall = time.perf_counter() - t0
        calls = emulator.calls - before
        refused = {k: emulator.refused[k] - refused_before[k] for k in refused_before}
        before = emulator.calls
        again = fetch(url, keyed, level, freq, years, tmp / "raw") if first else None
        rerun = emulator.calls - before
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed_runs = (first is None) + (again is None)
    print(
        f"{name}: default plan, HS{level}, {years}, freq {freq}, "
        f"{'keyed' if keyed else 'keyless'} (cap {cap:,}), server URL limit {server_limit:,}; "
        f"{rows:,} records (synthetic)"
    )
    if first is None:
        print(f"  failed runs      {failed_runs:6d}   target 0  FAIL")
        return False
    share = first["rows"] / max(rows, 1)
    ratio = calls / minimum
    plain_ratio = calls / plain
    capped = first["truncated"] / max(calls, 1)
    mem = first["peak"] / max(first["largest"], 1)
    plain_target = PLAIN_TARGET.get(name)
    # a query refused with 414 is never stored, so a rerun asks it once more (and splits)
    rerun_most = refused["414"] if server_limit < comtrade.URL_LIMIT else 0
    ok = ratio <= 1.5 and capped <= 0.05 and rerun <= rerun_most and share == 1
    ok = ok and failed_runs == 0
    print(f"  records fetched  {first['rows']:,} of {rows:,} = {share:.1%}   target 100 %  "
          f"{verdict(share == 1)}")  # fmt: skip
    print(f"  failed runs      {failed_runs:6d}   target 0  {verdict(failed_runs == 0)}")
    print(
        f"  calls            {calls:6d}   by group {first['by_group']}; "
        f"estimated before the fetch: {first['estimate']}"
    )
    print(
        f"  414 answers      {refused['414']:6d}   period refusals {refused['periods']}; "
        f"splits {first['splits']} ({first['truncated']} capped, {first['r414']} 414, "
        f"{first['rperiods']} periods)"
    )
    print(
        f"  minimum          {minimum:6d}   sum over groups of max(ceil(records / {cap:,}), "
        f"ceil({n_periods} periods / {comtrade.MAX_PERIODS_PER_CALL})) "
        f"({' + '.join(f'{n:,}' for n in per_group)} records)"
    )
    print(f"  calls / minimum  {ratio:6.2f}   target <= 1.50  {verdict(ratio <= 1.5)}")
    line = f"  calls / plain    {plain_ratio:6.2f}   plain bound ceil({rows:,} / {cap:,}) = {plain}"
    if plain_target:
        ok = ok and plain_ratio <= plain_target
        line += f"; target <= {plain_target:.2f}  {verdict(plain_ratio <= plain_target)}"
    print(line)
    if server_limit < comtrade.URL_LIMIT:
        ok = ok and refused["414"] > 0 and first["r414"] == refused["414"]
        print(f"  414s split       {first['r414']:6d}   target > 0 and all split  "
              f"{verdict(refused['414'] > 0 and first['r414'] == refused['414'])}")  # fmt: skip
    print(
        f"  capped calls     {first['truncated']:6d}   {capped:.1%} of calls, target "
        f"<= 5 %  {verdict(capped <= 0.05)}"
    )
    print(
        f"  rerun calls      {rerun:6d}   target {rerun_most} (the 414s asked again)  "
        f"{verdict(rerun <= rerun_most)}"
        if rerun_most
        else f"  rerun calls      {rerun:6d}   target 0  {verdict(rerun == 0)}"
    )
    print(f"  at 1 request/s   {calls / 60:6.1f} min (wall here {wall:.1f} s, no rate limit)")
    if keyed and freq == "A":
        ok = ok and mem <= 2
        print(
            f"  fetch peak RSS   {first['peak'] / 2**20:6.0f} MiB = {mem:.2f} x the "
            f"largest body ({first['largest'] / 2**20:.0f} MiB), target <= 2  "
            f"{verdict(mem <= 2)}"
        )
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    emulator = ComtradeEmulator(valid_keys={KEY})
    failed = False
    with ServedApp(emulator) as served:
        for name in args.cases.split(","):
            failed |= not run_case(emulator, served.url, name)
            sys.stdout.flush()
    print("fetch_plan:", "FAIL" if failed else "PASS")


if __name__ == "__main__":
    main()
