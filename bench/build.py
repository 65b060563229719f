"""Benchmark: `tradeviz build` against a naive script and a pure I/O floor, same raw layer,
same run, several repetitions (median and spread).

The raw layer is a keyed HS6 fetch of the default plan from the local emulator (synthetic,
marked so; 2010–2024 by default: about 210,000 records and 200 MB of JSON, the size of the
raw layer in issue 12). Each measurement runs in a fresh process (time inside it; peak
memory from its VmHWM), the three kinds interleaved in every repetition:
* build: `tradeviz.transform.build.build(data_dir)` (every table, validation included);
* naive: for each Comtrade snapshot `json.load` -> `pd.DataFrame(data)`, then `pd.concat`
  and `to_parquet` (the script a user would write; it does none of the checks, not even
  the sha256 of the bytes). It decompresses each body into one buffer with the standard
  library's zlib (sized from the gzip trailer: no second copy) and imports nothing of
  tradeviz, so tradeviz's own choices (ISA-L's inflate, Arrow's system allocator) do not
  reach the baseline. "naive-sys", information only, is the same script with
  ARROW_DEFAULT_MEMORY_POOL=system, the allocator importing tradeviz gives Arrow;
* floor: read every snapshot's bytes through the raw store, write the built flows table
  to Parquet (loaded before the clock starts): the I/O no build can avoid.

For memory, "held" is information, not a target: the peak of a process that imports pandas
and pyarrow, reads the built flows table and then the largest snapshot's body (the output
and the largest input held at once, nothing computed).

Targets (issue 12): build time <= 0.6 x naive, build peak RSS <= 0.6 x naive.

    .venv/bin/python bench/build.py [--years 2010-2024] [--reps 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "bench-key-0123456789"
HWM = (
    "print([int(x.split()[1]) * 1024 for x in open('/proc/self/status') "
    "if x.startswith('VmHWM')][0])"
)
BUILD = f"""
import sys, time
from pathlib import Path
t = time.perf_counter()
from tradeviz.transform.build import build
build(Path(sys.argv[1]), allow_empty_periods=True)
print(time.perf_counter() - t)
{HWM}
"""
NAIVE = f"""
import json, sys, time, zlib
from pathlib import Path
t = time.perf_counter()
import pandas as pd
root = Path(sys.argv[1])
frames = []
for line in (root / "raw" / "manifest.jsonl").read_text().splitlines():
    rec = json.loads(line)
    if rec["source"] != "comtrade" or not rec.get("complete", True):
        continue
    body = (root / "raw" / rec["path"]).read_bytes()  # no checks at all
    if rec["path"].endswith(".gz"):  # one output buffer, sized from the gzip trailer
        body = zlib.decompress(body, 31, int.from_bytes(body[-4:], "little") or 1)
    frames.append(pd.DataFrame(json.loads(body)["data"]))
pd.concat(frames, ignore_index=True).to_parquet(root / "naive.parquet")
print(time.perf_counter() - t)
{HWM}
"""
FLOOR = f"""
import sys, time
from pathlib import Path
import pyarrow as pa
import pyarrow.parquet as pq
from tradeviz.store.raw import RawStore
from tradeviz.store.tables import read_table
root = Path(sys.argv[1])
table = pa.Table.from_pandas(read_table(root / "processed", "flows"), preserve_index=False)
store = RawStore(root / "raw")
t = time.perf_counter()
size = sum(len(store.read(s)) for s in store.snapshots("comtrade") if s.complete)
pq.write_table(table, root / "floor.parquet", compression="zstd")
print(time.perf_counter() - t)
{HWM}
"""
HELD = f"""
import sys, time
from pathlib import Path
import pandas as pd
import pyarrow as pa
from tradeviz.store.raw import RawStore
from tradeviz.store.tables import read_table
pa.set_memory_pool(pa.system_memory_pool())
root = Path(sys.argv[1])
t = time.perf_counter()
flows = read_table(root / "processed", "flows")
store = RawStore(root / "raw")
body = store.read(max(store.snapshots("comtrade"), key=lambda s: s.record["bytes"]))
print(time.perf_counter() - t)
{HWM}
"""


def generate(root: Path, years: str) -> dict:
    """Keyed HS6 default plan from the emulator into root/raw; returns records and bytes."""
    from tradeviz.emulators.comtrade import ComtradeEmulator
    from tradeviz.emulators.server import ServedApp
    from tradeviz.extract import comtrade
    from tradeviz.extract.http import HttpClient
    from tradeviz.store.raw import RawStore

    emulator = ComtradeEmulator(valid_keys={KEY})
    with ServedApp(emulator) as served:
        os.environ["TRADEVIZ_COMTRADE_URL"] = served.url
        store = RawStore(root / "raw")
        periods = comtrade.periods_for(comtrade.parse_years(years), "A")
        fetcher = comtrade.ComtradeFetcher(
            store, client=HttpClient("comtrade", rps=1000.0), api_key=KEY, progress=False
        )
        stats = fetcher.run(comtrade.default_plan(periods, "6"), "A")
    size = sum(len(store.read(s)) for s in store.snapshots("comtrade"))
    return {"records": stats.rows, "bytes": size, "calls": stats.calls}


POOL = "ARROW_DEFAULT_MEMORY_POOL"
USER_POOL = os.environ.get(POOL)  # as the bench was started: importing tradeviz sets it


def measure(code: str, root: Path, pool: str | None = None) -> tuple[float, int]:
    """(seconds, peak RSS) of `code` in a fresh process, with the environment the bench
    was started in (not the variable generate()'s tradeviz import set), or with Arrow's
    default pool `pool`."""
    env = {k: v for k, v in os.environ.items() if k != POOL}
    if pool or USER_POOL:
        env[POOL] = pool or USER_POOL
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    return float(out[-2]), int(out[-1])


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f}  spread {min(values):.2f}-{max(values):.2f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", default="2010-2024")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="raw layer folder: reused if it holds one, else generated and kept",
    )
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tradeviz-build-bench-"))
    try:
        t0 = time.perf_counter()
        info_file = root / "bench-info.json"
        if info_file.exists():
            info = json.loads(info_file.read_text())
        else:
            info = generate(root, args.years)
            info_file.write_text(json.dumps(info))
        print(
            f"raw layer: keyed HS6 default plan {args.years} from the emulator (synthetic): "
            f"{info['records']:,} records, {info['bytes'] / 1e6:,.0f} MB of JSON, "
            f"{info['calls']} snapshots (ready in {time.perf_counter() - t0:.0f} s)"
        )
        kinds = ("build", "naive", "naive-sys", "floor")
        runs: dict[str, list[tuple[float, int]]] = {k: [] for k in kinds}
        for _ in range(args.reps):
            runs["build"].append(measure(BUILD, root))
            runs["naive"].append(measure(NAIVE, root))
            runs["naive-sys"].append(measure(NAIVE, root, pool="system"))
            runs["floor"].append(measure(FLOOR, root))
        secs = {k: [t for t, _ in v] for k, v in runs.items()}
        mem = {k: [m / 2**20 for _, m in v] for k, v in runs.items()}
        for name in kinds:
            print(f"  {name:9s} time s  {summary(secs[name])}   peak MiB  {summary(mem[name])}")
        t_ratio = statistics.median(secs["build"]) / statistics.median(secs["naive"])
        m_ratio = statistics.median(mem["build"]) / statistics.median(mem["naive"])
        f_ratio = statistics.median(secs["build"]) / statistics.median(secs["floor"])
        print(f"  build / naive time   {t_ratio:5.2f}  target <= 0.60  {verdict(t_ratio <= 0.6)}")
        print(f"  build / naive memory {m_ratio:5.2f}  target <= 0.60  {verdict(m_ratio <= 0.6)}")
        t_sys = statistics.median(secs["build"]) / statistics.median(secs["naive-sys"])
        m_sys = statistics.median(mem["build"]) / statistics.median(mem["naive-sys"])
        print(
            f"  build / naive-sys    {t_sys:5.2f} time, {m_sys:.2f} memory  (information: the "
            f"naive script with {POOL}=system, the allocator tradeviz gives Arrow)"
        )
        print(
            f"  build / I/O floor    {f_ratio:5.2f}  (information: the floor only reads the "
            "raw bytes and writes the flows table as one file)"
        )
        held = measure(HELD, root)[1] / 2**20
        print(
            f"  held: pandas + pyarrow + the flows table + the largest body {held:6.0f} MiB "
            f"= {held / statistics.median(mem['naive']):.2f} x naive (information: the "
            "output and the largest input at once, nothing computed)"
        )
        print("build:", verdict(t_ratio <= 0.6 and m_ratio <= 0.6))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
