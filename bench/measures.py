"""Benchmark: every measure of issue 20 for all five Central Asian countries, all years, at
HS6, on a 5-year world panel, against the same computation in plain pandas from whole tables.

Data: until the world layer (issue 19) is merged, the panel is SYNTHETIC and generated in
memory in the world contract's shape (tradeviz.analysis.measures.panel: ~200 real
reporters, the real HS2017 (H5) list, skewed product mixes; bilateral China-Central Asia
rows drawn from it), and the Dataset's `world` accessor is an in-memory filter standing in
for ds.world(...) through DuckDB. Once issue 19 lands, point it at the built store instead.

Timed ("measures"): a fresh Dataset view answering, for each country c in KAZ KGZ TJK TKM
UZB: rca(c); complementarity CHN->c and c->CHN (by year and by product); intensity both
ways; similarity(c, CHN) in the World and (c, next country) in China; concentration of
exports and imports; intra_industry(CHN, c); price_volume CHN<-c and CHN->c; potential(c)
and potential(c, agriculture). It reads the world layer once per flow and level and shares
the sums (analysis/structure.py).
Baseline ("plain pandas"): the world-layer measures (RCA, TCI, intensity, ESI, HHI,
potential) recomputed per call with pandas group-bys over the whole world table, as a
script without the shared sums would; results are checked equal to the timed run's.
Complexity (ecomplexity) is timed on its own: the package's eigen-decomposition of the
product x product matrix dominates (HS4: ~4 s a year, BLAS on one thread).

Target (issue 20): measures <= 10 s. Prints medians and spreads of --reps runs.

    .venv/bin/python bench/measures.py [--reps 3] [--reporters 200] [--complexity-level 2]
    .venv/bin/python bench/measures.py --data-dir DIR [--level 6]   # a built store (issue 19)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.measures import NOT_COUNTRIES
from tradeviz.analysis.measures.panel import in_memory_world, synthetic_bilateral, synthetic_world
from tradeviz.analysis.structure import WorldLayerMissingError
from tradeviz.vocab.countries import CA_ISO3

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
        out[f"potential {c}"] = ds.potential(c, level=level, n=None)
        out[f"potential {c} agri"] = ds.potential(c, areas="agriculture", level=level)
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
    return pot.sub(act, fill_value=0.0)


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


def _in_memory(args) -> tuple[Callable[[], Dataset], Callable[[], pd.DataFrame], pd.DataFrame]:
    """The synthetic panel, the Dataset over it, and the whole table (already in memory)."""
    print("SYNTHETIC world panel generated in memory in the world contract's shape;")
    print("ds.world is an in-memory filter here: --data-dir DIR measures a built store via DuckDB.")
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
        f"made in {time.perf_counter() - t:.1f} s"
    )
    return (lambda: _dataset(panel, flows)), (lambda: w6), flows


def _from_store(path: str, level: int) -> tuple[Callable, Callable, pd.DataFrame]:
    """A built store (tradeviz.open: ds.world through DuckDB); the baseline reads the whole
    world table of the level with pandas."""
    import tradeviz

    ds = tradeviz.open(path)
    part = Path(ds.processed) / "world" / f"level={level}"
    print(f"store: {ds.processed} (synthetic: {ds.synthetic}); world table {part}")

    def whole() -> pd.DataFrame:
        w = pd.read_parquet(part)
        return w.assign(year=w["year"].astype("int64"), hs_code=w["hs_code"].astype(str))

    return (lambda: tradeviz.open(path)), whole, ds.flows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--reporters", type=int, default=200)
    ap.add_argument("--complexity-level", type=int, default=2, choices=(2, 4))
    ap.add_argument("--data-dir", help="a built store (after issue 19) instead of the panel")
    ap.add_argument("--level", type=int, default=6, choices=(2, 4, 6))
    args = ap.parse_args()
    if args.data_dir:
        make, whole, flows = _from_store(args.data_dir, args.level)
    else:
        make, whole, flows = _in_memory(args)
        args.level = 6
    level = args.level
    fast_t, fast = _timed(lambda: every_measure(make(), level), args.reps)
    rows = sum(len(f) for f in fast.values())
    print(f"measures (5 countries, {len(fast)} frames, {rows:,} rows): {_fmt(fast_t)}")
    plain_t, plain = _timed(lambda: plain_all(whole(), flows), args.reps)
    print(f"baseline, plain pandas from whole tables (world-layer measures only): {_fmt(plain_t)}")
    bad = _check_equal(fast, plain)
    print("answers equal to the baseline's (rel 1e-9): " + ("yes" if not bad else f"NO {bad}"))
    lvl = args.complexity_level
    try:
        comp_t, _ = _timed(lambda: [make().complexity(c, level=lvl) for c in CA_ISO3], 1)
        print(f"complexity (ecomplexity, HS{lvl}, all five, computed once): {_fmt(comp_t)}")
    except WorldLayerMissingError as e:
        print(f"complexity not timed: {e}")
    fast_s, plain_s = statistics.median(fast_t), statistics.median(plain_t)
    ok = fast_s <= TARGET_S and not bad
    n_years = fast[f"rca {CA_ISO3[0]}"]["year"].nunique()
    print(
        f"{'PASS' if ok else 'FAIL'}: every measure, five countries, {n_years} years, "
        f"HS{level} in {fast_s:.2f} s <= {TARGET_S:.0f} s (baseline {plain_s:.2f} s, "
        f"{plain_s / fast_s:.1f}x)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
