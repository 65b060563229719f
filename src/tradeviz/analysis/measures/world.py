"""The world the measures compare against: the sum of the reporters' rows in the world layer
(issue 19), each country counted once. Comtrade also lists areas ("nes"), groups (EU) and
World itself; summing them with the countries would count the same trade twice, so they are
dropped here, once, for every measure."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
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
    """Rows of `flow` whose reporter is a country (World, areas and groups left out), with
    the columns the sums need."""
    check_columns(world, WORLD_NEEDS, "the world frame")
    keep = (world["flow"] == flow).to_numpy() & ~world["reporter"].isin(NOT_COUNTRIES).to_numpy()
    cols = [*WORLD_NEEDS, *(["hs_rev"] if "hs_rev" in world else [])]
    return world.loc[keep, cols]  # only the columns summed: millions of rows


def _factor(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels (a categorical's own, else factorized text)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy(dtype=np.int64), col.cat.categories.astype(str)
    codes, labels = pd.factorize(col.astype(str), sort=True)
    return codes.astype(np.int64), pd.Index(labels)


def _used(codes: np.ndarray, labels: pd.Index) -> pd.Categorical:
    """A categorical of `codes` keeping only the labels used, in their order."""
    used = np.bincount(codes, minlength=len(labels)) > 0
    remap = np.cumsum(used) - 1
    return pd.Categorical.from_codes(remap[codes], labels[used])


def to_hs2022(rev: pd.Series, code: pd.Series) -> pd.Categorical:
    """HS6 codes of any revision as their HS2022 code (vocab.hs.to_latest: exact, or for a
    code that was split, its first target), so reporters using different revisions in one
    year sum to the same products, and a product keeps one code across a revision change.
    Codes the reference does not know stay as they are."""
    at, labels = _hs2022_codes(*_factor(rev), *_factor(code))
    return pd.Categorical.from_codes(at, labels)


def _hs2022_codes(
    rc: np.ndarray, rev_labels: pd.Index, cc: np.ndarray, code_labels: pd.Index
) -> tuple[np.ndarray, pd.Index]:
    """to_hs2022 on integer codes, worked out once per distinct (revision, code) pair."""
    n = len(code_labels)
    uniq, inv = np.unique(rc * n + cc, return_inverse=True)
    table = _to_latest_table()
    revs = np.asarray(rev_labels, dtype=object)[uniq // n]  # plain objects: indexing an
    codes = np.asarray(code_labels, dtype=object)[uniq % n]  # Arrow-backed Index is slow
    mapped = [table.get((r, c), c) for r, c in zip(revs, codes, strict=True)]
    at, labels = pd.factorize(pd.Series(mapped, dtype=object), sort=True)
    return at[inv].astype(np.int64), pd.Index(labels.astype(str))


@lru_cache(maxsize=1)
def _to_latest_table() -> dict[tuple[str, str], str]:
    """(revision, code) -> HS2022 code, built once: the measures map codes dozens of times
    per report, and building the dict from the reference's ~110,000 rows took ~0.1 s."""
    from tradeviz.vocab import hs

    t = hs.to_latest()
    keys = zip(t["rev"].astype(object), t["code"].astype(object), strict=True)
    return dict(zip(keys, t["hs6_h6"].astype(object), strict=True))


def product_values(world: pd.DataFrame, flow: str) -> pd.DataFrame:
    """year, reporter, hs_code, value_usd: one positive value per country, product and year
    (rows of several HS revisions or estimate flags of one cell are summed; NaN counts 0).
    HS6 codes are read as HS2022 codes (to_hs2022): reporters use different revisions.
    Summed with one bincount per year over reporter x product codes rather than a
    group-by, since the world layer holds millions of rows; text keys come back as
    categoricals so per-country masks stay fast."""
    rows = country_rows(world, flow)
    rep, rep_labels = _factor(rows["reporter"])
    code, code_labels = _factor(rows["hs_code"])
    if len(rows) and "hs_rev" in rows and (code_labels.str.len() == 6).all():
        code, code_labels = _hs2022_codes(*_factor(rows["hs_rev"]), code, code_labels)
    year = rows["year"].to_numpy(dtype=np.int64)
    value = np.nan_to_num(rows["value_usd"].to_numpy(dtype=float))
    n_code = len(code_labels)
    cells = rep * n_code + code
    parts = []
    for y in np.unique(year):
        at = year == y
        v = np.bincount(cells[at], weights=value[at], minlength=len(rep_labels) * n_code)
        nz = np.flatnonzero(v > 0)
        parts.append((np.full(len(nz), y), nz // n_code, nz % n_code, v[nz]))
    cols = [np.concatenate([p[i] for p in parts]) if parts else np.array([]) for i in range(4)]
    return pd.DataFrame(
        {
            "year": cols[0].astype(np.int64),
            "reporter": _used(cols[1].astype(np.int64), rep_labels),
            "hs_code": _used(cols[2].astype(np.int64), code_labels),
            "value_usd": cols[3].astype(float),
        }
    )


@dataclass(frozen=True)  # frozen fields; _rows_of is cached in the instance's __dict__
class WorldTotals:
    """One flow of the world layer with the sums every measure divides by: per product
    (X_wk), per country (X_i) and in all (X_w), each over countries only."""

    flow: str
    values: pd.DataFrame  # year, reporter, hs_code, value_usd (countries only, value > 0)
    product: pd.Series  # X_wk, indexed by (year, hs_code)
    reporter: pd.Series  # X_i, indexed by (year, reporter)
    total: pd.Series  # X_w, indexed by year

    @cached_property
    def _rows_of(self) -> dict[str, np.ndarray]:
        """Row positions of each country in `values`, found in one pass."""
        return self.values.groupby("reporter", observed=True).indices

    @classmethod
    def of(cls, world: pd.DataFrame, flow: str = "export") -> WorldTotals:
        v = product_values(world, flow)
        return cls(
            flow,
            v,
            _sums(v, "hs_code"),
            _sums(v, "reporter"),
            v.groupby("year")["value_usd"].sum(),
        )

    def of_country(self, iso3: str) -> pd.DataFrame:
        """year, hs_code, value_usd of one country (empty when it reports nothing)."""
        at = self._rows_of.get(iso3)
        if at is None:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY.items()})
        rows = self.values.take(at)
        return pd.DataFrame(
            {
                "year": rows["year"].to_numpy(),
                "hs_code": rows["hs_code"].astype(str).to_numpy(),
                "value_usd": rows["value_usd"].to_numpy(dtype=float),
            }
        )


def _sums(v: pd.DataFrame, by: str) -> pd.Series:
    """Sum of value_usd per (year, `by`), by bincount over the categorical's codes."""
    cat = v[by].cat
    n = len(cat.categories)
    years = np.unique(v["year"].to_numpy())
    at = np.searchsorted(years, v["year"].to_numpy()) * n + cat.codes.to_numpy(dtype=np.int64)
    s = np.bincount(at, weights=v["value_usd"].to_numpy(), minlength=len(years) * n)
    nz = np.flatnonzero(s > 0)
    idx = pd.MultiIndex.from_arrays(
        [years[nz // n], pd.Index(cat.categories[nz % n].astype(str))], names=["year", by]
    )
    return pd.Series(s[nz], index=idx, name="value_usd")


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
