"""Benchmark: every measure of issue 20 for all five Central Asian countries, all years, at
HS6, on the 5-year world panel of issue 19 read from a built store through DuckDB, against
the same computation in plain pandas from whole tables.

Data (default): a store tradeviz builds from the project's Comtrade emulator (SYNTHETIC,
marked so; keyed), made as bench/scale.py makes its raw layers (its fetch_world, by import):
the world plan at HS6 for 2016-2020 at --scale (the share of the world panel's product
lines: 1.0, the default, is the real size, ~1 million HS6 rows a year; setup ~5 minutes
on a shared 2-core machine) plus the China-Central Asia slice of the default plan at HS6
for the same years (the flows the measures read: price/volume, potential's actual imports,
intensity, intra-industry trade, similarity in China's market), then `tradeviz build`.
Built once in a temp dir, or in --keep DIR and reused from it; the setup's fetch and build
times are printed apart. --data-dir DIR measures a store already built. --memory measures
the in-memory SYNTHETIC panel instead (analysis.measures.panel; ds.world an in-memory
filter, no store, no DuckDB), labelled so.

Timed, every run in a fresh process (pandas and tradeviz imported before the clock), the
kinds interleaved, --reps runs each (median and spread):
* "measures": tradeviz.open(dir), then for each country c in KAZ KGZ TJK TKM UZB: rca(c);
  complementarity CHN->c and c->CHN (by year and by product); intensity both ways;
  similarity(c, CHN) in the World and (c, next country) in China; concentration of exports
  and imports; intra_industry(CHN, c); price_volume CHN<-c and CHN->c; potential(c) and
  potential(c, area="agriculture") (none for a country without world exports: TKM does
  not report). The world layer is read once per flow, only the columns the sums need, and
  the sums are shared (analysis/structure.py);
* the same on a years=<last year> view (1 year against 5: how the cost grows);
* "plain pandas": pandas reads the whole world table (every column, every year) and the
  flows through the Dataset, then recomputes the world-layer measures (RCA, TCI,
  intensity's sums, ESI, HHI, potential) per call with group-bys, as a script without the
  shared sums would; its answers are checked equal to the measures' (rel 1e-9).
Complexity (ecomplexity) is timed only with --memory (it needs HS2 or HS4; the store here
holds HS6, whose product x product eigen-decomposition is another matter).

Target (issue 20): measures <= 10 s (PASS/FAIL), answers equal.

    .venv/bin/python bench/measures.py [--scale 1.0] [--reps 3] [--keep DIR]
    .venv/bin/python bench/measures.py --data-dir DIR        # a store already built (HS6)
    .venv/bin/python bench/measures.py --memory [--reporters 200] [--complexity-level 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import tradeviz
from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.measures import NOT_COUNTRIES
from tradeviz.analysis.measures.panel import in_memory_world, synthetic_bilateral, synthetic_world
from tradeviz.analysis.structure import WorldLayerMissingError
from tradeviz.vocab.countries import CA_ISO3

HERE = Path(__file__).resolve().parent
TARGET_S = 10.0
YEARS = range(2019, 2024)


def _dataset(panel, flows) -> Dataset:
    ds = Dataset.from_frames(flows, meta={"synthetic": True}, origin="bench (synthetic)")
    ds.world = in_memory_world(panel)
    return ds


def every_measure(ds: Dataset, level: int = 6) -> dict[str, pd.DataFrame]:
    out = {}
    for i, c in enumerate(CA_ISO3):
        nxt = CA_ISO3[(i + 1) % len(CA_ISO3)]
        out[f"rca {c}"] = ds.rca(c, level=level)
        for ex, im in (("CHN", c), (c, "CHN")):
            out[f"tci {ex}->{im}"] = ds.complementarity(ex, im, level=level)
            out[f"tci parts {ex}->{im}"] = ds.complementarity(ex, im, level=level, by_product=True)
            out[f"tii {ex}->{im}"] = ds.intensity(ex, im)
        out[f"esi {c} CHN"] = ds.similarity(c, "CHN", level=level)
        if len(ds.flows):
            out[f"esi {c} {nxt} in CHN"] = ds.similarity(c, nxt, market="CHN", level=level)
        for flow in ("export", "import"):
            out[f"hhi {c} {flow}"] = ds.concentration(c, flow, level=level)
            out[f"pv CHN {flow} {c}"] = ds.price_volume("CHN", c, flow)
        out[f"gl CHN {c}"] = ds.intra_industry("CHN", c, level=level)
        try:  # no year has both sides for a country that does not report (TKM)
            out[f"potential {c}"] = ds.potential(c, level=level, n=None)
            out[f"potential {c} agri"] = ds.potential(c, area="agriculture", level=level)
        except WorldLayerMissingError:
            out[f"potential {c}"] = pd.DataFrame(columns=["year", "hs_code", "gap_usd"])
    return out


# ------------------------------------------------------------ plain pandas, whole tables
def _countries(world: pd.DataFrame, flow: str) -> pd.DataFrame:
    w = world[(world["flow"] == flow) & ~world["reporter"].isin(NOT_COUNTRIES)]
    return w[["year", "reporter", "hs_code", "value_usd"]]


def plain_rca(world: pd.DataFrame, c: str) -> pd.Series:
    ex = _countries(world, "export")
    wk = ex.groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    wt = ex.groupby("year")["value_usd"].sum()
    own = ex[ex["reporter"] == c].groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    share = own / own.groupby(level="year").transform("sum")
    ref = wk.reindex(own.index) / wt.reindex(own.index.get_level_values("year")).to_numpy()
    return share / ref


def _shares(world: pd.DataFrame, c: str, flow: str) -> pd.Series:
    v = _countries(world, flow)
    v = v[v["reporter"] == c].groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    return v / v.groupby(level="year").transform("sum")


def plain_tci(world: pd.DataFrame, ex: str, im: str) -> pd.Series:
    m, x = _shares(world, im, "import"), _shares(world, ex, "export")
    d = pd.concat([m, x], axis=1).fillna(0.0)
    return 100 * (1 - (d.iloc[:, 0] - d.iloc[:, 1]).abs().groupby(level="year").sum() / 2)


def plain_esi(world: pd.DataFrame, a: str, b: str) -> pd.Series:
    d = pd.concat([_shares(world, a, "export"), _shares(world, b, "export")], axis=1).fillna(0.0)
    return 100 * d.min(axis=1).groupby(level="year").sum()


def plain_hhi(world: pd.DataFrame, c: str, flow: str) -> pd.Series:
    return (_shares(world, c, flow) ** 2).groupby(level="year").sum()


def plain_totals(world: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    ex, im = _countries(world, "export"), _countries(world, "import")
    return (
        ex.groupby(["year", "reporter"], observed=True)["value_usd"].sum(),
        im.groupby(["year", "reporter"], observed=True)["value_usd"].sum(),
        ex.groupby("year")["value_usd"].sum(),
    )


def plain_potential(world: pd.DataFrame, c: str, actual: pd.DataFrame) -> pd.Series:
    ex = _countries(world, "export")
    wk = ex.groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    ck = ex[ex["reporter"] == c].groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    mk = _countries(world, "import")
    mk = mk[mk["reporter"] == "CHN"].groupby(["year", "hs_code"], observed=True)["value_usd"].sum()
    pot = (mk * (ck / wk).reindex(mk.index).fillna(0.0)).rename("p")
    act = actual.groupby(["year", "hs_code"])["value_usd"].sum()
    both = set(ck.index.get_level_values(0)) & set(mk.index.get_level_values(0))
    gap = pot.sub(act, fill_value=0.0)  # years with both the market and the country only
    return gap[gap.index.get_level_values(0).isin(both)]


def plain_hs2022(world: pd.DataFrame, flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """HS6 codes as HS2022 codes, as the measures read them: a merge with the reference's
    to_latest table (world) and the flows table's hs6_h6 (bilateral)."""
    from tradeviz.vocab import hs

    t = hs.to_latest().rename(columns={"rev": "hs_rev", "code": "hs_code"})
    w = world[["year", "reporter", "flow", "hs_rev", "hs_code", "value_usd"]].astype(
        {"hs_rev": str, "hs_code": str}
    )
    w = w.merge(t[["hs_rev", "hs_code", "hs6_h6"]], on=["hs_rev", "hs_code"], how="left")
    w["hs_code"] = w["hs6_h6"].fillna(w["hs_code"])
    f = flows.assign(hs_code=flows["hs6_h6"].astype(object).fillna(flows["hs_code"]))
    return w.drop(columns="hs6_h6"), f


def plain_all(world: pd.DataFrame, flows: pd.DataFrame) -> dict[str, pd.Series]:
    out = {}
    world, flows = plain_hs2022(world, flows)
    for c in CA_ISO3:
        out[f"rca {c}"] = plain_rca(world, c)
        for ex, im in (("CHN", c), (c, "CHN")):
            out[f"tci {ex}->{im}"] = plain_tci(world, ex, im)
            out[f"tii sums {ex}->{im}"] = plain_totals(world)[0]  # intensity's X_i, M_j, X_w
        out[f"esi {c} CHN"] = plain_esi(world, c, "CHN")
        for flow in ("export", "import"):
            out[f"hhi {c} {flow}"] = plain_hhi(world, c, flow)
        act = flows[
            (flows["reporter"] == "CHN") & (flows["partner"] == c) & (flows["flow"] == "import")
        ]
        out[f"potential {c}"] = plain_potential(world, c, act)
    return out


def _check_equal(fast: dict, plain: dict) -> list[str]:
    """The timed run's answers equal the plain ones (rel 1e-9)."""
    bad = []
    for c in CA_ISO3:
        r = fast[f"rca {c}"].set_index(["year", "hs_code"])["rca"]
        p = plain[f"rca {c}"].rename(index=str, level="hs_code")
        p.index = p.index.set_levels(p.index.levels[0].astype("int64"), level=0)
        pairs = [(r, p.reindex(r.index))]
        for ex, im in (("CHN", c), (c, "CHN")):
            pairs.append(
                (fast[f"tci {ex}->{im}"].set_index("year")["tci"], plain[f"tci {ex}->{im}"])
            )
        pairs.append((fast[f"esi {c} CHN"].set_index("year")["esi"], plain[f"esi {c} CHN"]))
        pairs.append((fast[f"hhi {c} export"].set_index("year")["hhi"], plain[f"hhi {c} export"]))
        pot = fast[f"potential {c}"].set_index(["year", "hs_code"])["gap_usd"].sort_index()
        pp = plain[f"potential {c}"]
        pp = pp[pp != 0]
        pp.index = pd.MultiIndex.from_arrays(
            [pp.index.get_level_values(0).astype("int64"), pp.index.get_level_values(1).astype(str)]
        )
        pairs.append((pot, pp.reindex(pot.index)))
        for a, b in pairs:
            if not np.allclose(a.to_numpy(float), b.reindex(a.index).to_numpy(float), rtol=1e-9):
                bad.append(f"{c}: {a.name}")
    return bad


def _timed(fn, reps: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def _fmt(times: list[float]) -> str:
    spread = max(times) - min(times)
    return f"median {statistics.median(times):.2f} s (spread {spread:.2f} s, n={len(times)})"


# ------------------------------------------------------------- the store, built once
def _scale_bench():
    """bench/scale.py as a module (its fetch_world and rows_and_bytes; it loads build.py's
    BUILD and measure), as scale.py loads bench/build.py."""
    spec = importlib.util.spec_from_file_location("bench_scale", HERE / "scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def prepared_store(root: Path, scale: float) -> dict:
    """A store built by tradeviz from the emulator in root (reused when root holds one):
    the world plan at HS6 for FIVE plus the default plan's China-Central Asia slice at HS6
    for the same years, keyed; the fetch and build times are the setup's."""
    info_file = root / "measures-info.json"
    if info_file.exists() and (root / "processed" / "world").exists():
        return json.loads(info_file.read_text())
    sb = _scale_bench()
    t = time.perf_counter()
    world = sb.fetch_world(root, sb.FIVE, scale)
    every = sb.fetch_world(root, sb.FIVE, 1.0, "default")  # counts the whole raw layer's
    flows = {k: every[k] - world[k] for k in ("records", "bytes", "snapshots")}
    fetched = time.perf_counter() - t
    built, peak = sb.measure(sb.BUILD, root)
    info = {
        "scale": scale,
        "years": sorted(sb.FIVE),
        "world": world,
        "slice": flows,
        "fetch_s": fetched,
        "build_s": built,
        "build_peak_mib": peak / 2**20,
    }
    info_file.write_text(json.dumps(info))
    return info


CHILD = """
import pickle, sys, time
from pathlib import Path
import pandas  # imported before the clock
import tradeviz
sys.path.insert(0, sys.argv[1])
import measures as bench
kind, data, years, out = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
t = time.perf_counter()
got = bench.child_run(kind, data, years or None)
print(time.perf_counter() - t)
if out:
    Path(out).write_bytes(pickle.dumps(got))
"""


def child_run(kind: str, data: str, years: str | None):
    """What one timed process does: `measures` opens the store (tradeviz.open) and answers
    every measure (of a years= view when `years`); `plain` reads the whole world table with
    pandas and the flows table through the Dataset, then computes the baseline."""
    import tradeviz

    ds = tradeviz.open(data)
    if kind == "measures":
        return every_measure(ds.filter(years=years) if years else ds, 6)
    w = pd.read_parquet(Path(ds.processed) / "world" / "level=6")
    w = w.assign(year=w["year"].astype("int64"), hs_code=w["hs_code"].astype(str))
    return plain_all(w, ds.flows)


def _in_child(kind: str, data: Path, years: str = "", out: Path | None = None) -> float:
    """Seconds of child_run in a fresh process (time inside it)."""
    got = subprocess.run(
        [sys.executable, "-c", CHILD, str(HERE), kind, str(data), years, str(out or "")],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(got.stdout.split()[-1])


def _store_runs(data: Path, reps: int, last_year: int) -> tuple[dict, dict, dict]:
    """Timings of the fresh-process runs, interleaved, and the last run's answers."""
    out_dir = Path(tempfile.mkdtemp(prefix="tradeviz-measures-out-"))
    times: dict[str, list[float]] = {"measures": [], "plain": [], "one year": []}
    try:
        for rep in range(reps):
            last = rep == reps - 1
            times["measures"].append(
                _in_child("measures", data, out=out_dir / "fast.pkl" if last else None)
            )
            times["one year"].append(_in_child("measures", data, str(last_year)))
            times["plain"].append(
                _in_child("plain", data, out=out_dir / "plain.pkl" if last else None)
            )
        fast = pickle.loads((out_dir / "fast.pkl").read_bytes())
        plain = pickle.loads((out_dir / "plain.pkl").read_bytes())
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return times, fast, plain


def run_store(args) -> int:
    """The default: a built store through DuckDB, every run in a fresh process."""
    if args.data_dir:
        data, made = Path(args.data_dir), None
        print(f"store: {data} (given; built before the bench)")
    else:
        made = None if args.keep else Path(tempfile.mkdtemp(prefix="tradeviz-measures-bench-"))
        data = args.keep or made
        data.mkdir(parents=True, exist_ok=True)
    try:
        if not args.data_dir:
            t = time.perf_counter()
            info = prepared_store(data, args.scale)
            print(
                f"store: {data}, built by tradeviz from the emulator (SYNTHETIC, keyed): world "
                f"plan HS6 {info['years'][0]}-{info['years'][-1]} at scale {info['scale']} "
                f"({info['world']['records']:,} records) + the China-Central Asia slice "
                f"(default plan HS6, {info['slice']['records']:,} records)"
            )
            print(
                f"setup (not timed below): fetch {info['fetch_s']:.0f} s, build "
                f"{info['build_s']:.0f} s (peak {info['build_peak_mib']:,.0f} MiB); "
                f"ready in {time.perf_counter() - t:.0f} s this run"
            )
        sb = _scale_bench()
        print(f"world layer: {sb.rows_and_bytes(data)}")
        years = tradeviz.open(data).world(level=6, reporters=["CHN"], flow="export")["year"]
        last_year = int(years.max())
        times, fast, plain = _store_runs(data, args.reps, last_year)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    rows = sum(len(f) for f in fast.values())
    n_years = fast[f"rca {CA_ISO3[0]}"]["year"].nunique()
    print(
        f"tradeviz.open + every measure ({len(fast)} frames, {rows:,} rows, {n_years} years), "
        f"fresh process each: {_fmt(times['measures'])}"
    )
    one, five = statistics.median(times["one year"]), statistics.median(times["measures"])
    print(
        f"the same on a years={last_year} view (1 year): {_fmt(times['one year'])}; "
        f"{n_years} years cost {five / one:.1f}x one year"
    )
    return _verdict(times["measures"], times["plain"], fast, plain, 6, "whole world table")


def _verdict(fast_t, plain_t, fast, plain, level: int, whole: str) -> int:
    print(f"baseline, plain pandas from whole tables ({whole}): {_fmt(plain_t)}")
    bad = _check_equal(fast, plain)
    print("answers equal to the baseline's (rel 1e-9): " + ("yes" if not bad else f"NO {bad}"))
    fast_s, plain_s = statistics.median(fast_t), statistics.median(plain_t)
    ok = fast_s <= TARGET_S and not bad
    n_years = fast[f"rca {CA_ISO3[0]}"]["year"].nunique()
    print(
        f"{'PASS' if ok else 'FAIL'}: every measure, five countries, {n_years} years, "
        f"HS{level} in {fast_s:.2f} s <= {TARGET_S:.0f} s (baseline {plain_s:.2f} s, "
        f"{plain_s / fast_s:.1f}x)"
    )
    return 0 if ok else 1


# ---------------------------------------------------- the in-memory panel (an option)
def run_memory(args) -> int:
    """--memory: the SYNTHETIC panel generated in memory, ds.world an in-memory filter (no
    store, no DuckDB); fresh Dataset each rep, in this process."""
    print("--memory: SYNTHETIC world panel generated in memory in the world contract's shape;")
    print("ds.world is an in-memory filter here (no store, no DuckDB).")
    t = time.perf_counter()
    w6 = synthetic_world(n_reporters=args.reporters, years=YEARS, level=6)
    flows = synthetic_bilateral(w6)
    lvl = args.complexity_level
    cut = w6.assign(hs_code=w6["hs_code"].astype(str).str[:lvl], level=lvl)
    keys = ["year", "reporter", "flow", "hs_code", "level"]
    wc = cut.groupby(keys, observed=True, as_index=False)["value_usd"].sum()
    panel = {6: w6, lvl: wc.assign(synthetic=True)}
    print(
        f"panel: {len(w6):,} world rows at HS6 ({w6['reporter'].nunique()} reporters, "
        f"{w6['hs_code'].nunique():,} codes, {min(YEARS)}-{max(YEARS)}), "
        f"{w6.memory_usage(deep=True).sum() / 1e6:,.0f} MB; {len(flows):,} bilateral rows; "
        f"made in {time.perf_counter() - t:.1f} s (setup, not timed)"
    )
    fast_t, fast = _timed(lambda: every_measure(_dataset(panel, flows), 6), args.reps)
    rows = sum(len(f) for f in fast.values())
    print(f"measures (5 countries, {len(fast)} frames, {rows:,} rows): {_fmt(fast_t)}")
    plain_t, plain = _timed(lambda: plain_all(w6, flows), args.reps)
    code = _verdict(fast_t, plain_t, fast, plain, 6, "the panel in memory")
    try:
        comp_t, _ = _timed(
            lambda: [_dataset(panel, flows).complexity(c, level=lvl) for c in CA_ISO3], 1
        )
        print(f"complexity (ecomplexity, HS{lvl}, all five, computed once): {_fmt(comp_t)}")
    except WorldLayerMissingError as e:
        print(f"complexity not timed: {e}")
    return code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="share of the panel's product lines")
    ap.add_argument("--keep", type=Path, help="folder for the built store (reused if it has one)")
    ap.add_argument("--data-dir", help="a store already built (world layer at HS6)")
    ap.add_argument("--memory", action="store_true", help="the in-memory synthetic panel")
    ap.add_argument("--reporters", type=int, default=200, help="--memory: panel reporters")
    ap.add_argument("--complexity-level", type=int, default=2, choices=(2, 4))
    args = ap.parse_args()
    return run_memory(args) if args.memory else run_store(args)


if __name__ == "__main__":
    raise SystemExit(main())
