"""Benchmark: `tradeviz build` on a synthetic Comtrade raw layer of 1 M and 5 M rows.

Prints build time, rows per second, the ratio to the I/O floor (pyarrow reading the same
rows, stored as JSON lines, and writing the same Parquet), and peak memory against the
in-memory size of the output table. Targets (issue 3): build <= 4 x the floor; peak
memory <= 3 x the output table.

    .venv/bin/python bench/build.py [--sizes 1000000,5000000] [--keep DIR]

The raw layer is synthetic (marked so in its manifest) and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.json as pj
import pyarrow.parquet as pq

from tradeviz.emulators.comtrade import ComtradeEmulator
from tradeviz.store.raw import RawStore, query_key

ROWS_PER_SNAPSHOT = 100_000


def generate(root: Path, n_rows: int) -> Path:
    """Raw layer of n_rows HS6 rows in the exact v1 envelope; also a JSON-lines copy."""
    emu = ComtradeEmulator()
    codes = emu._hs["hs6"][:5000]
    store = RawStore(root / "raw")
    ndjson = root / "rows.ndjson"
    rng = np.random.default_rng(1)
    flows = ("M", "X", "RM", "RX")
    partners = [398, 417, 762, 795, 860] + list(range(4, 400, 4))
    per_year = len(codes) * len(flows) * 10
    years = range(2024 - max(1, -(-n_rows // per_year)) + 1, 2025)
    template = emu.row("A", 156, 398, "2020", "X", "010121", 1.0, "H5")
    made = 0
    batch: list[dict] = []
    with open(ndjson, "w") as nd:
        for year in years:
            rev = "H6" if year >= 2022 else "H5"
            for p in partners[:10]:
                for flow in flows:
                    values = np.round(rng.lognormal(11, 2, len(codes)), 0) + 1
                    for code, v in zip(codes, values, strict=True):
                        row = dict(template, refYear=year, period=str(year),
                                   refPeriodId=year * 10000 + 101, partnerCode=p,
                                   partnerISO=f"P{p:03d}" if p > 300 else template[
                                       "partnerISO"] if p == 398 else None,
                                   flowCode=flow, cmdCode=code, classificationCode=rev,
                                   primaryValue=float(v))
                        if row["partnerISO"] is None:
                            row["partnerISO"] = f"Q{p:03d}"
                        batch.append(row)
                        made += 1
                        if len(batch) == ROWS_PER_SNAPSHOT or made == n_rows:
                            _flush(store, batch, nd)
                            batch = []
                        if made == n_rows:
                            return ndjson
    if batch:
        _flush(store, batch, nd)
    return ndjson


def _flush(store: RawStore, rows: list[dict], nd) -> None:
    body = json.dumps({"elapsedTime": "0 secs", "count": len(rows), "data": rows,
                       "error": ""}, separators=(",", ":")).encode()
    key = query_key("comtrade", {"bench": store.manifest_path.stat().st_size
                                 if store.manifest_path.exists() else 0, "n": len(rows)})
    store.save("comtrade", body, "json", {"query_key": key, "complete": True,
                                          "records": len(rows), "params": {},
                                          "synthetic": True, "freq": "A"})
    for r in rows:
        nd.write(json.dumps(r, separators=(",", ":")) + "\n")


def floor_seconds(ndjson: Path, out: Path) -> float:
    t0 = time.perf_counter()
    table = pj.read_json(ndjson)
    pq.write_table(table, out, compression="zstd")
    return time.perf_counter() - t0


def timed_build(data_dir: Path) -> tuple[float, float]:
    """Build in a fresh process; peak memory is its VmHWM. (ru_maxrss would not do: Linux
    keeps it across execve, so a child reports the parent's peak if that was higher.)"""
    code = ("import sys,time;from pathlib import Path;from tradeviz.transform.build import build;"
            "t=time.perf_counter();build(Path(sys.argv[1]),allow_empty_periods=True);"
            "print(time.perf_counter()-t);"
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code, str(data_dir)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]) * 1024  # VmHWM is in kB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,5000000")
    ap.add_argument("--keep", type=Path, default=None, help="keep the data under DIR")
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        root = Path(tempfile.mkdtemp(prefix="tradeviz-build-bench-", dir=args.keep))
        try:
            t0 = time.perf_counter()
            ndjson = generate(root, n)
            gen = time.perf_counter() - t0
            floor = floor_seconds(ndjson, root / "floor.parquet")
            seconds, peak = timed_build(root)
            flows = pd.read_parquet(root / "processed" / "flows.parquet")
            size = flows.memory_usage(deep=True).sum()
            ratio = seconds / floor
            mem = peak / size
            print(f"{n:,} rows (synthetic; generated in {gen:.0f} s, raw "
                  f"{sum(f.stat().st_size for f in (root / 'raw').rglob('*.json')) / 1e9:.2f}"
                  " GB)")
            print(f"  build       {seconds:7.1f} s   {len(flows) / seconds:,.0f} rows/s")
            print(f"  I/O floor   {floor:7.1f} s   build/floor {ratio:.2f}  target <= 4  "
                  f"{'PASS' if ratio <= 4 else 'FAIL'}")
            print(f"  peak memory {peak / 2**30:7.2f} GiB  output table {size / 2**30:.2f} GiB"
                  f"  ratio {mem:.2f}  target <= 3  {'PASS' if mem <= 3 else 'FAIL'}")
            sys.stdout.flush()
        finally:
            if args.keep is None:
                shutil.rmtree(root, ignore_errors=True)



if __name__ == "__main__":
    main()
