"""Bilateral totals from flows without double counting levels, World or aggregates."""

from __future__ import annotations

import pandas as pd

from tradeviz.schema import FLOW_CELL

CELL = list(FLOW_CELL)


def pair_totals(flows: pd.DataFrame) -> pd.DataFrame:
    """One value per cell: the TOTAL row if fetched, else the sum of the coarsest level
    fetched (each HS level is a partition of the total, so only one level is summed)."""
    if flows.empty:
        return pd.DataFrame(columns=[*CELL, "value_usd", "hs_level"])
    coarsest = flows.groupby(CELL, dropna=False)["hs_level"].transform("min")
    picked = flows[flows["hs_level"] == coarsest]
    out = picked.groupby(CELL, dropna=False).agg(
        value_usd=("value_usd", "sum"),
        hs_level=("hs_level", "first"),
        synthetic=("synthetic", "max"),
    )
    return out.reset_index()
