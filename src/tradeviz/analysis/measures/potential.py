"""Which products could a country sell China that China buys elsewhere? A simple
market-share reading of ITC's Export Potential idea, not ITC's model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.analysis.measures.world import WorldTotals, check_columns

POTENTIAL_COLUMNS = [
    "year",
    "hs_code",
    "market_imports_usd",
    "country_exports_usd",
    "world_exports_usd",
    "world_share",
    "potential_usd",
    "actual_usd",
    "gap_usd",
    "realised",
]


def potential(
    market_imports: pd.DataFrame, world: WorldTotals, country: str, actual: pd.DataFrame
) -> pd.DataFrame:
    """Export potential of `country` in one market, per product and year, by the simple
    market-share method:

        potential_ck = M_k * (X_ck / X_wk),   gap_ck = potential_ck - actual_ck

    M_k: the market's imports of k from the World; X_ck / X_wk: the country's share of the
    world's exports of k (world = sum of countries, WorldTotals); actual_ck: the market's
    imports of k from the country. If the country supplied the market as it supplies the
    world, it would sell potential_ck; a large positive gap is room to grow. This is the
    idea behind ITC's Export Potential Map (Decreux, Y. & Spies, J. (2016), "Export
    Potential Assessments", ITC), without ITC's tariffs, distance, demand projections or
    supply-side adjustments: see docs/measures.md for what that leaves out.
    `realised` = actual / potential."""
    check_columns(market_imports, ["year", "hs_code", "value_usd"], "the market's import rows")
    check_columns(actual, ["year", "hs_code", "value_usd"], "the actual export rows")
    own = world.of_country(country).rename(columns={"value_usd": "country_exports_usd"})
    m = market_imports.rename(columns={"value_usd": "market_imports_usd"})
    m = m.merge(own, on=["year", "hs_code"], how="left")
    idx = pd.MultiIndex.from_arrays([m["year"], m["hs_code"]])
    m["world_exports_usd"] = world.product.reindex(idx).to_numpy(dtype=float)
    m = m.merge(
        actual.rename(columns={"value_usd": "actual_usd"}), on=["year", "hs_code"], how="outer"
    )
    m = m.fillna({"country_exports_usd": 0.0, "actual_usd": 0.0, "market_imports_usd": 0.0})
    wx = m["world_exports_usd"].where(m["world_exports_usd"] > 0)
    m["world_share"] = (m["country_exports_usd"] / wx).fillna(0.0)
    m["potential_usd"] = m["market_imports_usd"] * m["world_share"]
    m["gap_usd"] = m["potential_usd"] - m["actual_usd"]
    m["realised"] = m["actual_usd"] / m["potential_usd"].where(m["potential_usd"] > 0)
    m = m[(m["potential_usd"] > 0) | (m["actual_usd"] > 0)]
    m["year"] = m["year"].astype("int64")
    m = m.sort_values(["year", "gap_usd"], ascending=[True, False], ignore_index=True)
    m["realised"] = m["realised"].replace([np.inf, -np.inf], np.nan)
    return m[POTENTIAL_COLUMNS]
