"""Benchmark: the focus step of `tradeviz build` (issue 12), build_focus on a raw layer's
flows, each repetition in a fresh process: the flows are loaded as the build loads them
(untimed), then build_focus runs cold (the tag table's first call included). Time inside the
process; memory is the peak RSS increment of the call (VmHWM reset just before it, minus
VmRSS before).

Targets (issue 12): <= 0.2 s and <= 25 MiB, medians.

    .venv/bin/python bench/focus.py DIR [--reps 3]

DIR holds a raw layer (raw/), e.g. one kept by `bench/build.py --keep DIR`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from tradeviz.store.raw import RawStore
from tradeviz.transform.build import BuildReport, load_flows
from tradeviz.transform.focus import build_focus

def status(key):
    return next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith(key))

flows = load_flows(RawStore(Path(sys.argv[1]) / 'raw'), BuildReport())
open('/proc/self/clear_refs', 'w').write('5')  # VmHWM := VmRSS
rss = status('VmRSS')
t = time.perf_counter()
build_focus(flows)
print(time.perf_counter() - t, (status('VmHWM') - rss) / 1024)
"""


def measure(root: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="folder holding raw/")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    runs = [measure(args.root) for _ in range(args.reps)]
    secs, mib = [t for t, _ in runs], [m for _, m in runs]
    t, m = statistics.median(secs), statistics.median(mib)
    print(f"build_focus  time s   median {t:.3f}  spread {min(secs):.3f}-{max(secs):.3f}")
    print(f"             peak MiB median {m:.1f}  spread {min(mib):.1f}-{max(mib):.1f}")
    ok_t, ok_m = t <= 0.2, m <= 25
    print(f"  time   target <= 0.2 s   {'PASS' if ok_t else 'FAIL'}")
    print(f"  memory target <= 25 MiB  {'PASS' if ok_m else 'FAIL'}")


if __name__ == "__main__":
    main()
