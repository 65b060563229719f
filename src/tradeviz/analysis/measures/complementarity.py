"""How two countries' trade fits together: trade complementarity (Michaely, as WITS
computes it), export similarity (Finger-Kreinin), trade intensity (WITS) and intra-industry
trade (Grubel-Lloyd). Inputs are product rows (year, hs_code, value_usd) of one side each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.analysis.measures.world import check_columns, shares

TCI_COLUMNS = ["year", "tci", "n_products"]
CONTRIBUTION_COLUMNS = ["year", "hs_code", "import_share", "export_share", "contribution"]
ESI_COLUMNS = ["year", "esi", "n_products"]
INTENSITY_COLUMNS = [
    "year",
    "exports_to_partner_usd",
    "exporter_total_usd",
    "partner_imports_usd",
    "world_total_usd",
    "intensity",
    "intensity_excl",
]
GL_PRODUCT_COLUMNS = ["year", "hs_code", "exports_usd", "imports_usd", "gl"]
GL_COLUMNS = ["year", "exports_usd", "imports_usd", "gl", "n_products"]


def _paired_shares(
    a: pd.DataFrame, b: pd.DataFrame, names: tuple[str, str], what: tuple[str, str]
) -> pd.DataFrame:
    """Both sides' product shares side by side, over the years both sides have; a product
    one side lacks has share 0 there."""
    for df, label in zip((a, b), what, strict=True):
        check_columns(df, ["year", "hs_code", "value_usd"], f"the {label} rows")
    sa, sb = shares(a), shares(b)
    years = sorted(set(sa["year"]) & set(sb["year"]))
    sa, sb = sa[sa["year"].isin(years)], sb[sb["year"].isin(years)]
    m = sa.merge(sb, on=["year", "hs_code"], how="outer", suffixes=("_a", "_b"))
    m = m.rename(columns={"share_a": names[0], "share_b": names[1]})
    m[list(names)] = m[list(names)].fillna(0.0)
    return m.sort_values(["year", "hs_code"], ignore_index=True)


def complementarity(
    importer_imports: pd.DataFrame, exporter_exports: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trade complementarity index of exporter j with importer i (Michaely 1996; WITS):

        TC_ij = 100 * (1 - sum_k |m_ik - x_jk| / 2)

    m_ik: product k's share of i's imports from the World; x_jk: k's share of j's exports
    to the World. 0: j exports nothing i imports; 100: j's export mix is i's import mix.
    Since both share vectors sum to 1, TC_ij = 100 * sum_k min(m_ik, x_jk): each product's
    `contribution` (points) is 100 * min(m_ik, x_jk), and the contributions sum to TC_ij.
    Michaely, M. (1996), "Trade preferential agreements in Latin America: an ex-ante
    assessment", World Bank Policy Research Working Paper 1583; WITS, "Trade
    Complementarity Index". Returns (per year, per product)."""
    m = _paired_shares(
        importer_imports,
        exporter_exports,
        ("import_share", "export_share"),
        ("importer's import", "exporter's export"),
    )
    diff = (m["import_share"] - m["export_share"]).abs()
    m["contribution"] = 100 * np.minimum(m["import_share"], m["export_share"])
    g = m.assign(_d=diff).groupby("year")
    by_year = pd.DataFrame(
        {"tci": 100 * (1 - g["_d"].sum() / 2), "n_products": g["hs_code"].size()}
    ).reset_index()
    by_year["tci"] = by_year["tci"].clip(0.0, 100.0)  # rounding only: the sum lies in [0, 2]
    return by_year[TCI_COLUMNS], m[CONTRIBUTION_COLUMNS]


def similarity(a_exports: pd.DataFrame, b_exports: pd.DataFrame) -> pd.DataFrame:
    """Export similarity index of a and b (Finger & Kreinin 1979):

        ESI_ab = 100 * sum_k min(x_ak, x_bk)

    x_ak: product k's share of a's exports to the market (the World, or one named market).
    0: no product in common; 100: identical export mixes. Finger, J. M. & Kreinin, M. E.
    (1979), "A measure of 'export similarity' and its possible uses", The Economic Journal
    89(356): 905-912."""
    m = _paired_shares(a_exports, b_exports, ("share_a", "share_b"), ("a's export", "b's export"))
    m["_min"] = np.minimum(m["share_a"], m["share_b"])
    g = m.groupby("year")
    out = pd.DataFrame(
        {"esi": (100 * g["_min"].sum()).clip(0.0, 100.0), "n_products": g["hs_code"].size()}
    ).reset_index()
    return out[ESI_COLUMNS]


def intensity(
    exports_to_partner: pd.Series,
    exporter_total: pd.Series,
    partner_imports: pd.Series,
    world_total: pd.Series,
) -> pd.DataFrame:
    """Trade intensity index of exporter i with partner j (WITS), per year (series indexed
    by year):

        TII_ij = (x_ij / X_i) / (x_wj / X_w)

    x_ij: i's exports to j; X_i: i's total exports; x_wj: the world's exports to j; X_w: the
    world's total exports. Above 1: i sends j more than j's weight in world trade would
    suggest. `intensity_excl` leaves i out of the world's figures:
    (x_ij / X_i) / ((x_wj - x_ij) / (X_w - X_i)). WITS, "Trade Intensity"; Brown, A. J.
    (1949), Applied Economics; Kojima, K. (1964), "The pattern of international trade among
    advanced countries", Hitotsubashi Journal of Economics 5(1): 16-36."""
    df = pd.concat(
        {
            "exports_to_partner_usd": exports_to_partner,
            "exporter_total_usd": exporter_total,
            "partner_imports_usd": partner_imports,
            "world_total_usd": world_total,
        },
        axis=1,
    ).dropna()
    df = df[(df > 0).all(axis=1)]
    own = df["exports_to_partner_usd"] / df["exporter_total_usd"]
    df["intensity"] = own / (df["partner_imports_usd"] / df["world_total_usd"])
    rest_j = df["partner_imports_usd"] - df["exports_to_partner_usd"]
    rest_w = df["world_total_usd"] - df["exporter_total_usd"]
    df["intensity_excl"] = own / (rest_j / rest_w).where((rest_j > 0) & (rest_w > 0))
    df.index.name = "year"
    out = df.reset_index()
    out["year"] = out["year"].astype("int64")
    return out[INTENSITY_COLUMNS]


def intra_industry(
    exports: pd.DataFrame, imports: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grubel-Lloyd index of a pair's trade, per product and weighted by trade:

        GL_k = 1 - |X_k - M_k| / (X_k + M_k)
        GL   = sum_k (X_k + M_k - |X_k - M_k|) / sum_k (X_k + M_k)

    X_k, M_k: the reporter's exports of k to the partner and imports of k from it. 1: k is
    traded equally both ways; 0: one way only. The aggregate is the trade-weighted mean of
    GL_k. Grubel, H. G. & Lloyd, P. J. (1975), Intra-Industry Trade, Macmillan.
    Returns (per year, per product)."""
    check_columns(exports, ["year", "hs_code", "value_usd"], "the export rows")
    check_columns(imports, ["year", "hs_code", "value_usd"], "the import rows")
    m = exports.merge(imports, on=["year", "hs_code"], how="outer", suffixes=("_x", "_m"))
    m = m.rename(columns={"value_usd_x": "exports_usd", "value_usd_m": "imports_usd"})
    m[["exports_usd", "imports_usd"]] = m[["exports_usd", "imports_usd"]].fillna(0.0)
    trade = m["exports_usd"] + m["imports_usd"]
    m = m[trade > 0].copy()
    gap = (m["exports_usd"] - m["imports_usd"]).abs()
    m["gl"] = 1 - gap / (m["exports_usd"] + m["imports_usd"])
    m["_overlap"] = m["exports_usd"] + m["imports_usd"] - gap
    g = m.groupby("year")
    out = pd.DataFrame(
        {
            "exports_usd": g["exports_usd"].sum(),
            "imports_usd": g["imports_usd"].sum(),
            "_overlap": g["_overlap"].sum(),
            "n_products": g["hs_code"].size(),
        }
    ).reset_index()
    out["gl"] = out["_overlap"] / (out["exports_usd"] + out["imports_usd"])
    m = m.sort_values(["year", "hs_code"], ignore_index=True)
    return out[GL_COLUMNS], m[GL_PRODUCT_COLUMNS]
