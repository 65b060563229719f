"""The world the measures compare against: the sum of the reporters' rows in the world layer
(issue 19), each country counted once. Comtrade also lists areas ("nes"), groups (EU) and
World itself; summing them with the countries would count the same trade twice, so they are
dropped here, once, for every measure."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tradeviz.errors import InputError
from tradeviz.vocab.countries import ALL, WORLD_ISO3

NOT_COUNTRIES: frozenset[str] = frozenset(
    {WORLD_ISO3, *(c.iso3 for c in ALL if c.kind != "country")}
)
"""Reporter codes that are not countries (World, Comtrade areas, the EU group)."""
VALUE_COLUMNS = ["year", "hs_code", "value_usd"]
WORLD_NEEDS = ("year", "reporter", "flow", "hs_code", "value_usd")


class MeasureInputError(InputError):
    """A frame given to a measure lacks a column or holds values the formula cannot use."""


def check_columns(df: pd.DataFrame, needs: tuple[str, ...] | list[str], what: str) -> None:
    """One line naming the missing columns of `what`, before any arithmetic."""
    missing = [c for c in needs if c not in df.columns]
    if missing:
        raise MeasureInputError(
            f"{what} lacks column(s) {', '.join(missing)}; it needs {', '.join(needs)} "
            "(the world table's columns, docs/data_dictionary.md)"
        )


def country_rows(world: pd.DataFrame, flow: str) -> pd.DataFrame:
    """Rows of `flow` whose reporter is a country: World, areas and groups are left out."""
    check_columns(world, WORLD_NEEDS, "the world frame")
    rep = world["reporter"]
    keep = (world["flow"] == flow) & ~rep.isin(NOT_COUNTRIES)
    return world[keep]


def product_values(world: pd.DataFrame, flow: str) -> pd.DataFrame:
    """year, reporter, hs_code, value_usd: one value per country, product and year (rows of
    several HS revisions or estimate flags of one cell are summed). Text keys become
    categoricals, so later group-bys and per-country masks stay fast on millions of rows."""
    rows = country_rows(world, flow)
    out = rows.groupby(["year", "reporter", "hs_code"], observed=True, as_index=False)[
        "value_usd"
    ].sum()
    out = out[out["value_usd"] > 0]
    out["year"] = out["year"].astype("int64")
    for col in ("reporter", "hs_code"):
        out[col] = out[col].astype(str).astype("category")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class WorldTotals:
    """One flow of the world layer with the sums every measure divides by: per product
    (X_wk), per country (X_i) and in all (X_w), each over countries only."""

    flow: str
    values: pd.DataFrame  # year, reporter, hs_code, value_usd (countries only, value > 0)
    product: pd.Series  # X_wk, indexed by (year, hs_code)
    reporter: pd.Series  # X_i, indexed by (year, reporter)
    total: pd.Series  # X_w, indexed by year

    @classmethod
    def of(cls, world: pd.DataFrame, flow: str = "export") -> WorldTotals:
        v = product_values(world, flow)
        return cls(
            flow,
            v,
            v.groupby(["year", "hs_code"], observed=True)["value_usd"].sum(),
            v.groupby(["year", "reporter"], observed=True)["value_usd"].sum(),
            v.groupby("year")["value_usd"].sum(),
        )

    def of_country(self, iso3: str) -> pd.DataFrame:
        """year, hs_code, value_usd of one country (empty when it reports nothing)."""
        v = self.values
        if iso3 not in v["reporter"].cat.categories:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY.items()})
        rows = v[v["reporter"] == iso3]
        return pd.DataFrame(
            {
                "year": rows["year"].to_numpy(),
                "hs_code": rows["hs_code"].astype(str).to_numpy(),
                "value_usd": rows["value_usd"].to_numpy(dtype=float),
            }
        )


_EMPTY = {"year": "int64", "hs_code": "object", "value_usd": "float64"}


def by_product(rows: pd.DataFrame, level: int | None = None) -> pd.DataFrame:
    """year, hs_code, value_usd summed per product, codes cut to `level` digits first when
    given (bilateral HS6 rows compared with a world layer at HS4)."""
    check_columns(rows, VALUE_COLUMNS, "the product rows")
    code = rows["hs_code"].astype(str)
    if level is not None:
        code = code.str[:level]
    out = (
        pd.DataFrame(
            {"year": rows["year"].astype("int64"), "hs_code": code, "v": rows["value_usd"]}
        )
        .groupby(["year", "hs_code"], as_index=False)["v"]
        .sum()
        .rename(columns={"v": "value_usd"})
    )
    return out


def shares(values: pd.DataFrame) -> pd.DataFrame:
    """year, hs_code, share: each product's share of its year's total (year totals of zero
    give no rows)."""
    total = values.groupby("year")["value_usd"].transform("sum")
    out = values.assign(share=values["value_usd"] / total.where(total > 0))
    return out.dropna(subset=["share"])[["year", "hs_code", "share"]]
