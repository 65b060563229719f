"""What a country is specialised in: revealed comparative advantage (Balassa) and how
concentrated its trade is on few products (Herfindahl-Hirschman, top shares)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.analysis.measures.world import WorldTotals, check_columns

RCA_COLUMNS = [
    "year",
    "reporter",
    "hs_code",
    "value_usd",
    "reporter_total_usd",
    "world_product_usd",
    "world_total_usd",
    "rca",
    "rca_sym",
]
UNCTAD_MIN_USD = 100_000.0  # UNCTAD counts the products a country exports above USD 100,000
CONCENTRATION_COLUMNS = [
    "year",
    "value_usd",
    "n_products",
    "n_above",
    "hhi",
    "hhi_norm",
    "top1_share",
    "top3_share",
    "top10_share",
]


def rca(world: WorldTotals, countries: list[str] | None = None) -> pd.DataFrame:
    """Balassa's revealed comparative advantage of each country and product:

        RCA_ik = (X_ik / X_i) / (X_wk / X_w)

    X_ik: country i's exports of product k to the World; X_i: its total exports; X_wk: the
    world's exports of k; X_w: the world's total. The world is the sum of the countries
    reporting (WorldTotals: no aggregate row counted twice). RCA > 1: k weighs more in i's
    exports than in the world's. The symmetric form (Dalum, Laursen & Villumsen 1998)
    `(RCA - 1) / (RCA + 1)` lies in [-1, 1). Balassa, B. (1965), "Trade liberalisation and
    'revealed' comparative advantage", The Manchester School 33(2): 99-123.
    Rows: the products a country exports (RCA 0 elsewhere is not listed)."""
    v = world.values
    if countries is not None:
        v = v[v["reporter"].isin(countries)]
    idx_p = pd.MultiIndex.from_arrays([v["year"], v["hs_code"]])
    idx_r = pd.MultiIndex.from_arrays([v["year"], v["reporter"]])
    x_ik = v["value_usd"].to_numpy(dtype=float)
    x_i = world.reporter.reindex(idx_r).to_numpy(dtype=float)
    x_wk = world.product.reindex(idx_p).to_numpy(dtype=float)
    x_w = world.total.reindex(v["year"]).to_numpy(dtype=float)
    r = (x_ik / x_i) / (x_wk / x_w)
    out = pd.DataFrame(
        {
            "year": v["year"].to_numpy(dtype="int64"),
            "reporter": v["reporter"].astype(str).to_numpy(),
            "hs_code": v["hs_code"].astype(str).to_numpy(),
            "value_usd": x_ik,
            "reporter_total_usd": x_i,
            "world_product_usd": x_wk,
            "world_total_usd": x_w,
            "rca": r,
            "rca_sym": (r - 1) / (r + 1),
        }
    )
    return out.sort_values(["reporter", "year", "hs_code"], ignore_index=True)


def concentration(values: pd.DataFrame, threshold_usd: float = UNCTAD_MIN_USD) -> pd.DataFrame:
    """How concentrated one country's trade (one flow) is on few products, per year:

        HHI = sum_k s_k^2 (s_k: product k's share of the year's total),
        normalised HHI = (HHI - 1/N) / (1 - 1/N), N products traded (1 when N = 1),

    as UNCTAD's product concentration index (UNCTADstat, "Product concentration and
    diversification indices"); the number of products above `threshold_usd` (UNCTAD counts
    those above USD 100,000); and the share of the largest 1, 3 and 10 products.
    HHI lies in (0, 1]; a single product gives 1 (and normalised 1)."""
    check_columns(values, ["year", "hs_code", "value_usd"], "the product rows")
    v = values[values["value_usd"] > 0]
    rows = []
    for year, g in v.groupby("year", sort=True):
        x = np.sort(g["value_usd"].to_numpy(dtype=float))[::-1]
        total = x.sum()
        s = x / total
        n = len(x)
        hhi = float((s**2).sum())
        rows.append(
            {
                "year": int(year),
                "value_usd": float(total),
                "n_products": n,
                "n_above": int((x > threshold_usd).sum()),
                "hhi": hhi,
                "hhi_norm": (hhi - 1 / n) / (1 - 1 / n) if n > 1 else 1.0,
                "top1_share": float(s[:1].sum()),
                "top3_share": float(s[:3].sum()),
                "top10_share": float(s[:10].sum()),
            }
        )
    return pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)
