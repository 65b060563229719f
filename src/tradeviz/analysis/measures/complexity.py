"""Is what a country sells China becoming more complex? Product and country complexity from
the Growth Lab's `ecomplexity` package (used, not re-implemented), and the trade-weighted
mean product complexity of a basket of exports."""

from __future__ import annotations

import contextlib
import io
import warnings

import pandas as pd

from tradeviz.analysis.measures.world import WorldTotals, check_columns
from tradeviz.errors import MissingExtraError

PCI_COLUMNS = ["year", "hs_code", "pci"]
ECI_COLUMNS = ["year", "reporter", "eci"]
MEAN_PCI_COLUMNS = ["year", "value_usd", "covered_usd", "mean_pci"]


def _ecomplexity():
    try:
        from ecomplexity import ecomplexity
    except ImportError as e:
        raise MissingExtraError(
            "product complexity needs the `ecomplexity` package: pip install 'tradeviz[complexity]'"
        ) from e
    return ecomplexity


def _one_blas_thread():
    """BLAS on one thread for the package's eigen-decomposition of the product x product
    matrix: measured at HS4 (1,179 products) on a busy 2-core machine, 3.7 s against 29 s
    with BLAS's two threads contending. threadpoolctl comes with ecomplexity (scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_ecomplexity(world: WorldTotals) -> pd.DataFrame:
    """ecomplexity's output (rca, mcp, eci, pci, ...) per year, country and product of the
    world's exports: Hidalgo, C. A. & Hausmann, R. (2009), "The building blocks of economic
    complexity", PNAS 106(26): 10570-10575; Hausmann, R., Hidalgo, C. A. et al. (2014), The
    Atlas of Economic Complexity, MIT Press. Presence: RCA >= 1 (the package's default)."""
    ecomplexity = _ecomplexity()
    data = world.values.assign(
        reporter=world.values["reporter"].astype(str), hs_code=world.values["hs_code"].astype(str)
    )
    cols = {"time": "year", "loc": "reporter", "prod": "hs_code", "val": "value_usd"}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _one_blas_thread():
        warnings.simplefilter("ignore")  # its per-year notes on zero rows and NaN coercion
        out = ecomplexity(data, cols, check_logsupermodularity=False, verbose=False)
    return out.dropna(subset=["year"])


def complexity_tables(world: WorldTotals) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(PCI per year and product, ECI per year and country) from ecomplexity."""
    out = run_ecomplexity(world)
    out["year"] = out["year"].astype("int64")
    pci = out.drop_duplicates(["year", "hs_code"])[PCI_COLUMNS]
    eci = out.drop_duplicates(["year", "reporter"])[ECI_COLUMNS]
    return pci.reset_index(drop=True), eci.reset_index(drop=True)


def mean_pci(basket: pd.DataFrame, pci: pd.DataFrame) -> pd.DataFrame:
    """Trade-weighted mean PCI of a basket (year, hs_code, value_usd), per year:
    sum_k v_k PCI_k / sum_k v_k over the products with a PCI; `covered_usd` is that
    value (products without a PCI, e.g. exported by no one with RCA >= 1, are left out)."""
    check_columns(basket, ["year", "hs_code", "value_usd"], "the basket")
    m = basket.merge(pci, on=["year", "hs_code"], how="left")
    has = m["pci"].notna()
    m = m.assign(_w=m["value_usd"].where(has, 0.0), _wp=(m["value_usd"] * m["pci"]).where(has, 0.0))
    g = m.groupby("year")
    out = pd.DataFrame(
        {"value_usd": g["value_usd"].sum(), "covered_usd": g["_w"].sum(), "_wp": g["_wp"].sum()}
    ).reset_index()
    out["mean_pci"] = out["_wp"] / out["covered_usd"].where(out["covered_usd"] > 0)
    return out[MEAN_PCI_COLUMNS]
