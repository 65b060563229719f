"""Benchmark of issue 19's targets: the world layer at scale, each against a baseline
measured in the same run, 3 repetitions (median and spread), every measurement in a fresh
process (time inside it; peak memory from its VmHWM).

Raw layers, fetched keyed from the local emulator (synthetic, marked so) with the world
plan at HS6: 5 years (2016-2020), 1 year (2020), and the 5 years plus one more (2021).
`--scale` is the share of the world panel's product lines (1.0: ~1 million HS6 rows a
year, the real size; the default keeps the naive baseline, which holds every row as
Python objects, within a shared machine's memory).

Targets:
* world, full build of 5 years: peak RSS <= 1.2 x a 1-year build; time <= 0.6 x a naive
  script (every snapshot json.load-ed into one pandas frame, one Parquet file written);
* incremental build after one more year's snapshots <= 0.25 x a full build of the same
  6-year raw layer (what `build --full` would do instead), the earlier years' partition
  files untouched (same inode); against the 5-year build too, for information;
* tradeviz.open() on the 5-year layer <= 1 s; ds.sql for one country's product shares in
  one year <= 0.5 s (duckdb's import included); the baseline for both is pandas reading the
  whole world table. pandas is imported before every clock starts;
* China–Central Asia: the default plan's build <= 0.6 x naive (bench/build.py's layer,
  HS6 2010-2024, and scripts, measured here again beside the others).

    .venv/bin/python bench/scale.py [--scale 0.1] [--reps 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_build", HERE / "build.py")
bench_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_build)
KEY, HWM, NAIVE, BUILD = bench_build.KEY, bench_build.HWM, bench_build.NAIVE, bench_build.BUILD
measure, summary, verdict = bench_build.measure, bench_build.summary, bench_build.verdict

FIVE, ONE, MORE = ("2020", "2019", "2018", "2017", "2016"), ("2020",), ("2021",)
SLICE = tuple(str(y) for y in range(2024, 2009, -1))  # bench/build.py's layer, 2010-2024
OPEN = f"""
import sys, time
from pathlib import Path
import pandas  # imported before the clock, as in the baseline
import tradeviz
t = time.perf_counter()
ds = tradeviz.open(Path(sys.argv[1]))
print(time.perf_counter() - t)
{HWM}
"""
SQL = f"""
import sys, time
from pathlib import Path
import tradeviz
ds = tradeviz.open(Path(sys.argv[1]))
t = time.perf_counter()
df = ds.sql(
    "SELECT hs_code, value_usd, value_usd / SUM(value_usd) OVER () AS share FROM world "
    "WHERE level = 6 AND year = 2020 AND reporter = 'KAZ' AND flow = 'export' "
    "ORDER BY share DESC"
)
assert len(df) > 10, len(df)
print(time.perf_counter() - t)
{HWM}
"""
PANDAS_WHOLE = f"""
import sys, time
from pathlib import Path
import pandas as pd
t = time.perf_counter()
w = pd.read_parquet(Path(sys.argv[1]) / "processed" / "world")
k = w[(w.year == 2020) & (w.reporter == "KAZ") & (w.flow == "export") & (w.level == 6)]
share = k.value_usd / k.value_usd.sum()
print(time.perf_counter() - t)
{HWM}
"""


def fetch_world(root: Path, periods: tuple[str, ...], scale: float, plan: str = "world") -> dict:
    """The world plan at HS6 (or the default plan at HS6) from the emulator into root/raw."""
    from tradeviz.emulators.comtrade import ComtradeEmulator
    from tradeviz.emulators.server import ServedApp
    from tradeviz.extract import comtrade
    from tradeviz.extract.comtrade.world_plan import world_plan
    from tradeviz.extract.http import HttpClient
    from tradeviz.store.raw import RawStore

    emulator = ComtradeEmulator(valid_keys={KEY}, scale=scale)
    with ServedApp(emulator) as served:
        os.environ["TRADEVIZ_COMTRADE_URL"] = served.url
        store = RawStore(root / "raw")
        fetcher = comtrade.ComtradeFetcher(
            store, client=HttpClient("comtrade", rps=1000.0), api_key=KEY, progress=False
        )
        groups = (
            world_plan(periods, "6") if plan == "world" else comtrade.default_plan(periods, "6")
        )
        stats = fetcher.run(groups, "A")
    snaps = [s for s in store.snapshots("comtrade") if s.complete]
    return {
        "records": sum(int(s.record["records"]) for s in snaps),
        "bytes": sum(int(s.record["bytes"]) for s in snaps),
        "snapshots": len(snaps),
        "calls": stats.calls,
    }


def prepared(root: Path, scale: float) -> dict:
    """The raw layers (generated once; reused from --keep)."""
    info_file = root / "scale-info.json"
    if info_file.exists():
        return json.loads(info_file.read_text())
    info = {
        "five": fetch_world(root / "five", FIVE, scale),
        "one": fetch_world(root / "one", ONE, scale),
        "slice": fetch_world(root / "slice", SLICE, 1.0, "default"),
    }
    shutil.copytree(root / "five" / "raw", root / "six" / "raw")
    info["more"] = fetch_world(root / "six", MORE, scale)
    info["scale"] = scale
    info_file.write_text(json.dumps(info))
    return info


def clean(data: Path) -> None:
    """Remove a data dir's processed generations (the build writes them afresh)."""
    shutil.rmtree(data / ".processed", ignore_errors=True)
    link = data / "processed"
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)


def incremental(root: Path) -> tuple[tuple[float, int], bool]:
    """The 5-year layer's build copied (hard links) into the 6-year layer, then the
    6-year layer built incrementally: (time, peak) and whether every earlier partition
    file kept its inode."""
    five, six = root / "five", root / "six"
    clean(six)
    subprocess.run(["cp", "-a", "--link", str(five / ".processed"), str(six)], check=True)
    os.symlink(os.readlink(five / "processed"), six / "processed")
    before = _inodes(six)
    got = measure(BUILD, six)  # the plain build: it reuses unchanged partitions
    after = _inodes(six)
    same = bool(before) and all(after.get(k) == v for k, v in before.items())
    return got, same


def _inodes(data: Path) -> dict[str, int]:
    """Inode of each world partition file of the current generation."""
    world = (data / "processed" / "world").resolve()
    return {str(p.relative_to(world)): p.stat().st_ino for p in world.glob("level=*/*/*.parquet")}


def rows_and_bytes(data: Path) -> str:
    import pyarrow.dataset as pads

    world = (data / "processed" / "world").resolve()
    rows = pads.dataset(world, partitioning="hive").count_rows()
    size = sum(p.stat().st_size for p in world.rglob("*.parquet"))
    return f"{rows:,} rows, {size / 1e6:,.0f} MB of Parquet"


def line(name: str, values: list[tuple[float, int]]) -> str:
    secs, mib = [t for t, _ in values], [m / 2**20 for _, m in values]
    return f"  {name:22s} time s  {summary(secs)}   peak MiB  {summary(mib)}"


def med(values: list[tuple[float, int]], which: int = 0) -> float:
    return statistics.median(v[which] for v in values)


def target(label: str, value: float, limit: float, unit: str = "x") -> bool:
    ok = value <= limit
    print(f"  {label:44s} {value:6.2f}{unit}  target <= {limit:.2f}{unit}  {verdict(ok)}")
    return ok


def run(root: Path, info: dict, reps: int) -> bool:
    runs: dict[str, list[tuple[float, int]]] = {}
    same_inode = True
    for _ in range(reps):
        for key, code, data in (
            ("world 5y build", BUILD, root / "five"),
            ("world 5y naive", NAIVE, root / "five"),
            ("world 1y build", BUILD, root / "one"),
            ("world 6y full build", BUILD, root / "six"),
            ("slice build", BUILD, root / "slice"),
            ("slice naive", NAIVE, root / "slice"),
        ):
            if code is BUILD:
                clean(data)  # a full build: no generation to reuse
            runs.setdefault(key, []).append(measure(code, data))
        got, same = incremental(root)
        runs.setdefault("world +1y incremental", []).append(got)
        same_inode &= same
        for key, code in (
            ("open 5y", OPEN),
            ("sql KAZ 2020 shares", SQL),
            ("pandas whole", PANDAS_WHOLE),
        ):
            runs.setdefault(key, []).append(measure(code, root / "five"))
    for key, values in runs.items():
        print(line(key, values))
    print(
        f"  world 5 years: {rows_and_bytes(root / 'five')}; 1 year: {rows_and_bytes(root / 'one')}"
    )
    ok = [
        target(
            "world 5y / 1y build peak RSS",
            med(runs["world 5y build"], 1) / med(runs["world 1y build"], 1),
            1.2,
        ),
        target(
            "world 5y build / naive time",
            med(runs["world 5y build"]) / med(runs["world 5y naive"]),
            0.6,
        ),
        target(
            "incremental (+1 year) / full build of the same 6 years",
            med(runs["world +1y incremental"]) / med(runs["world 6y full build"]),
            0.25,
        ),
        target("tradeviz.open() on the 5-year layer", med(runs["open 5y"]), 1.0, " s"),
        target(
            "ds.sql one country's shares, one year", med(runs["sql KAZ 2020 shares"]), 0.5, " s"
        ),
        target(
            "China-Central Asia build / naive time",
            med(runs["slice build"]) / med(runs["slice naive"]),
            0.6,
        ),
    ]
    print(
        "  earlier years' partition files untouched by the incremental build (same inode): "
        + verdict(same_inode)
    )
    inc = med(runs["world +1y incremental"])
    print(
        f"  information: incremental / full 5y build {inc / med(runs['world 5y build']):.2f}x; "
        f"a 1-year build {med(runs['world 1y build']):.2f} s, 5 years "
        f"{med(runs['world 5y build']):.2f} s, 6 years {med(runs['world 6y full build']):.2f} s"
    )
    print(
        f"  baseline pandas whole world table: {med(runs['pandas whole']):.2f} s; open is "
        f"{med(runs['open 5y']) / med(runs['pandas whole']):.2f} x, sql "
        f"{med(runs['sql KAZ 2020 shares']) / med(runs['pandas whole']):.2f} x of it"
    )
    return all(ok) and same_inode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1, help="share of the panel's product lines")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="folder for the raw layers (reused)")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tradeviz-scale-bench-"))
    try:
        t0 = time.perf_counter()
        info = prepared(root, args.scale)
        print(
            f"raw layers (emulator, synthetic, keyed, world plan HS6 at scale {info['scale']}; "
            f"ready in {time.perf_counter() - t0:.0f} s):"
        )
        for name in ("five", "one", "more", "slice"):  # more: the six years of the +1 build
            i = info[name]
            print(
                f"  {name:5s} {i['records']:>10,} records, {i['bytes'] / 1e6:8,.0f} MB of JSON, "
                f"{i['snapshots']} snapshots"
            )
        print("scale:", verdict(run(root, info, args.reps)))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
