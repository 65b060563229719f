"""Did trade grow through prices or through volumes? Chain-linked Fisher unit-value and
volume indices from HS6 quantities, with the share of value they cover and the products
they leave out (no usable quantity, a unit change, an outlying unit value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.analysis.measures.world import check_columns

NO_UNIT = {"", "N/A", "NA", "-", "n/a", "nan", "None"}
OUTLIER_FACTOR = 10.0  # a unit value outside 1/10-10x its product's median is left out
PRICE_ROWS = ["year", "hs_code", "value_usd", "qty", "qty_unit", "net_weight_kg"]
PRICE_VOLUME_COLUMNS = [
    "year",
    "value_usd",
    "matched_usd",
    "coverage",
    "link_value",
    "link_price",
    "link_volume",
    "value_change",
    "price_points",
    "volume_points",
    "value_index",
    "price_index",
    "volume_index",
    "n_products",
    "n_unit_change",
    "n_no_quantity",
    "n_outliers",
]
LINK_COLUMNS = [
    "year",
    "hs_code",
    "status",
    "basis",
    "prev_value_usd",
    "value_usd",
    "prev_quantity",
    "quantity",
    "price_relative",
]


def _cells(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per year and product: values, quantities and net weights summed; the unit
    kept when the rows agree on one, else empty (the quantity is then unusable)."""
    check_columns(rows, PRICE_ROWS, "the product rows")
    unit = rows["qty_unit"].astype("string").fillna("").str.strip()
    unit = unit.where(~unit.isin(NO_UNIT), "")
    d = pd.DataFrame(
        {
            "year": rows["year"].astype("int64").to_numpy(),
            "hs_code": rows["hs_code"].astype(str).to_numpy(),
            "value_usd": rows["value_usd"].to_numpy(dtype=float),
            "qty": pd.to_numeric(rows["qty"], errors="coerce").to_numpy(dtype=float),
            "unit": unit.to_numpy(dtype=object),
            "kg": pd.to_numeric(rows["net_weight_kg"], errors="coerce").to_numpy(dtype=float),
        }
    )
    g = d.groupby(["year", "hs_code"], sort=True)
    out = g.agg(
        value_usd=("value_usd", "sum"),
        qty=("qty", "sum"),
        n_qty=("qty", "count"),
        kg=("kg", "sum"),
        n_kg=("kg", "count"),
        n=("value_usd", "size"),
        unit=("unit", "first"),
        n_units=("unit", "nunique"),
    ).reset_index()
    # a quantity (or weight) missing on any row of the cell makes the cell's unusable
    out["qty"] = out["qty"].where(out["n_qty"] == out["n"])
    out["kg"] = out["kg"].where(out["n_kg"] == out["n"])
    ok_unit = (out["n_units"] == 1) & (out["unit"] != "") & (out["qty"] > 0)
    out["unit"] = out["unit"].where(ok_unit, "")
    out["qty"] = out["qty"].where(ok_unit)
    out["kg"] = out["kg"].where(out["kg"] > 0)
    return out.drop(columns=["n_units", "n_qty", "n_kg", "n"])


def _outliers(c: pd.DataFrame, quantity: str, by: list[str]) -> pd.Series:
    """True where the unit value value/quantity lies outside 1/10-10x the median unit value
    of the same product (and unit) over the years given."""
    uv = c["value_usd"] / c[quantity]
    med = uv.groupby([c[k] for k in by]).transform("median")
    return (uv > OUTLIER_FACTOR * med) | (uv < med / OUTLIER_FACTOR)


def _pairs(c: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Each product in two consecutive years of `years`: the quantity used (reported qty
    when its unit is the same in both years, else net weight in kg when both years have
    it) and a status: used, unit_change, no_quantity or outlier."""
    c = c.assign(
        out_qty=_outliers(c, "qty", ["hs_code", "unit"]).fillna(False),
        out_kg=_outliers(c, "kg", ["hs_code"]).fillna(False),
    )
    nxt = dict(zip(years[:-1], years[1:], strict=True))
    prev = c[c["year"].isin(list(nxt))].assign(year=lambda d: d["year"].map(nxt))
    p = c.merge(prev, on=["year", "hs_code"], suffixes=("", "_0"))
    same_unit = (p["unit"] != "") & (p["unit"] == p["unit_0"])
    has_kg = p["kg"].notna() & p["kg_0"].notna()
    p["basis"] = np.where(same_unit, "qty", np.where(has_kg, "kg", ""))
    p["quantity"] = np.where(same_unit, p["qty"], p["kg"])
    p["prev_quantity"] = np.where(same_unit, p["qty_0"], p["kg_0"])
    outlier = np.where(same_unit, p["out_qty"] | p["out_qty_0"], p["out_kg"] | p["out_kg_0"])
    changed = (p["unit"] != "") & (p["unit_0"] != "") & ~same_unit
    p["status"] = np.select(
        [p["basis"] == "", outlier.astype(bool), (p["value_usd"] <= 0) | (p["value_usd_0"] <= 0)],
        [np.where(changed, "unit_change", "no_quantity"), "outlier", "no_quantity"],
        "used",
    )
    p["price_relative"] = (p["value_usd"] / p["quantity"]) / (p["value_usd_0"] / p["prev_quantity"])
    p.loc[p["status"] != "used", "price_relative"] = np.nan
    return p.rename(columns={"value_usd_0": "prev_value_usd"})[LINK_COLUMNS]


def _link(used: pd.DataFrame) -> tuple[float, float, float]:
    """(value, Fisher price, Fisher volume) relatives of one link over the products used.
    Fisher price = sqrt(Laspeyres x Paasche); volume = value / price, which equals the Fisher
    volume index sqrt(QL x QP) by Fisher's factor reversal, so value = price x volume."""
    v0, v1, r = (
        used[c].to_numpy(dtype=float) for c in ("prev_value_usd", "value_usd", "price_relative")
    )
    if len(v0) == 0:
        return np.nan, np.nan, np.nan
    value = v1.sum() / v0.sum()
    laspeyres = (v0 * r).sum() / v0.sum()  # sum p1 q0 / sum p0 q0
    paasche = v1.sum() / (v1 / r).sum()  # sum p1 q1 / sum p0 q1
    price = float(np.sqrt(laspeyres * paasche))
    return float(value), price, float(value / price)


def _points(value: float, price: float, volume: float) -> tuple[float, float]:
    """The link's value change in percentage points split into price and volume parts in
    proportion to their logs (log-change split, so the parts add up to the change)."""
    change = 100 * (value - 1)
    lv = np.log(value)
    if not np.isfinite(lv):
        return np.nan, np.nan
    if abs(lv) < 1e-12:
        return 100 * np.log(price), 100 * np.log(volume)
    return change * np.log(price) / lv, change * np.log(volume) / lv


def price_volume(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chain-linked Fisher unit-value (price) and volume indices, first year = 100.

    Each link compares two consecutive years over the products with a usable quantity in
    both: the reported quantity when its unit is the same in both years, else the net
    weight (kg) when both years have it; a product whose unit changed and that has no
    net weight, or has no quantity, is left out (`n_unit_change`, `n_no_quantity`). So is
    a unit value outside 1/10-10x the median of the product's unit values over the years
    (`n_outliers`). Over the products used, with price relatives r_k = uv_k1 / uv_k0:

        P_L = sum v_k0 r_k / sum v_k0,   P_P = sum v_k1 / sum (v_k1 / r_k),
        P_F = sqrt(P_L P_P),   V = sum v_k1 / sum v_k0,   Q_F = V / P_F,

    and the indices chain the links: value index = price index x volume index / 100.
    `coverage` is the share of the year's value in the products used. The link's value
    change (`value_change`, %) splits into price and volume points by their log shares.
    Fisher, I. (1922), The Making of Index Numbers; IMF et al. (2009), Export and Import
    Price Index Manual, ch. 15-17 (Fisher index; chain linking; unit value indices).
    Returns (per year, per product link with its status)."""
    c = _cells(rows)
    years = sorted(int(y) for y in c["year"].unique())
    links = _pairs(c, years) if len(years) > 1 else pd.DataFrame(columns=LINK_COLUMNS)
    totals = c.groupby("year")["value_usd"].sum()
    out, level = [], (100.0, 100.0, 100.0)
    for i, year in enumerate(years):
        row: dict = {"year": year, "value_usd": float(totals.get(year, np.nan))}
        if i == 0:
            row |= {"value_index": 100.0, "price_index": 100.0, "volume_index": 100.0}
            out.append(row)
            continue
        lk = links[links["year"] == year]
        used = lk[lk["status"] == "used"]
        value, price, volume = _link(used)
        level = (level[0] * value, level[1] * price, level[2] * volume)
        price_pts, volume_pts = _points(value, price, volume)
        matched = float(used["value_usd"].sum())
        row |= {
            "matched_usd": matched,
            "coverage": matched / row["value_usd"] if row["value_usd"] > 0 else np.nan,
            "link_value": value,
            "link_price": price,
            "link_volume": volume,
            "value_change": 100 * (value - 1),
            "price_points": price_pts,
            "volume_points": volume_pts,
            "value_index": level[0],
            "price_index": level[1],
            "volume_index": level[2],
            "n_products": len(used),
            "n_unit_change": int((lk["status"] == "unit_change").sum()),
            "n_no_quantity": int((lk["status"] == "no_quantity").sum()),
            "n_outliers": int((lk["status"] == "outlier").sum()),
        }
        out.append(row)
    return pd.DataFrame(out, columns=PRICE_VOLUME_COLUMNS), links.reset_index(drop=True)
