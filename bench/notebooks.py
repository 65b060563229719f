"""Benchmark: `tradeviz notebooks`, `tradeviz charts` and `tradeviz report` on the offline
demo data.

Targets (issue 5) on a 2-core machine: all notebooks under 60 s, all charts under 15 s.
Each is timed as a user runs it: the CLI command in a fresh process.

    .venv/bin/python bench/notebooks.py

The demo data is synthetic; it is written to a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tradeviz.demo.data import write_demo_raw
from tradeviz.transform.build import build

TRADEVIZ = [sys.executable, "-m", "tradeviz"]


def timed(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(TRADEVIZ + args, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="tradeviz-nb-bench-"))
    try:
        write_demo_raw(root / "data" / "raw")
        build(root / "data")
        env = {**os.environ, "TRADEVIZ_DATA_DIR": str(root / "data")}
        charts = timed(["charts", "--out", str(root / "charts"), "--format", "png"], env)
        charts_all = timed(
            ["charts", "--out", str(root / "charts3"), "--format", "png,svg,pdf"], env
        )
        notebooks = timed(["notebooks", "--out", str(root / "nb")], env)
        report = timed(["report", "--out", str(root / "report")], env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("demo data (synthetic), 2-core machine; each command in a fresh process")
    print(
        f"tradeviz charts (png)          {charts:6.1f} s   target < 15 s  "
        f"{'PASS' if charts < 15 else 'FAIL'}"
    )
    print(f"tradeviz charts (png,svg,pdf)  {charts_all:6.1f} s")
    count = len(list((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb")))
    print(
        f"tradeviz notebooks ({count})         {notebooks:6.1f} s   target < 60 s  "
        f"{'PASS' if notebooks < 60 else 'FAIL'}"
    )
    print(f"tradeviz report                {report:6.1f} s   (every chart, 7 pages)")


if __name__ == "__main__":
    main()
