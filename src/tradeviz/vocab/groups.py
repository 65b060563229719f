"""Country groups (EU, EAEU, CA5, China + CA5) with membership periods and cited sources.

The registry is data (`tradeviz/data/country_groups.yaml`). A group's trade is the sum of
its members' rows for the years they were members: reported aggregate rows (Comtrade's
"EU-28", "Areas, nes", …) are never mixed with member rows, so `group_totals` takes
country rows only and `AGGREGATE_PARTNERS` lists the aggregate codes to drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml

from tradeviz.errors import TradevizError

# Partner codes that are aggregates or unallocated areas, never a country: World, Comtrade's
# EU rows (97 = EU, ISO "EUR"/"EUU"), "Areas, nes" (899, "_X"), bunkers, free zones.
AGGREGATE_PARTNERS = frozenset(
    {"WLD", "W00", "EUR", "EUU", "EU2", "_X", "X1", "XX", "_Z", "ZA1", "ZZZ", "nan", "None", ""}
)


class UnknownGroupError(TradevizError, ValueError):
    """A group key that the registry does not define."""


@dataclass(frozen=True)
class Membership:
    iso3: str
    start: date | None
    end: date | None  # the day the country left; None while it is a member

    def member_in(self, year: int) -> bool:
        """Whole calendar years: the accession year counts, the exit year does not."""
        if self.start is not None and year < self.start.year:
            return False
        return self.end is None or year < self.end.year


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    kind: str  # "bloc": membership periods apply; "region": fixed set, every year
    members: tuple[Membership, ...]
    sources: tuple[dict, ...]

    def members_in(self, year: int) -> tuple[str, ...]:
        if self.kind == "region":
            return tuple(m.iso3 for m in self.members)
        return tuple(m.iso3 for m in self.members if m.member_in(year))


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@lru_cache(maxsize=1)
def groups() -> dict[str, Group]:
    """Every group of the registry, by key, in file order."""
    text = resources.files("tradeviz.data").joinpath("country_groups.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)["groups"]
    out: dict[str, Group] = {}
    for key, spec in doc.items():
        kind = spec.get("kind", "bloc")
        if kind not in ("bloc", "region"):
            raise ValueError(
                f"country_groups.yaml: group {key} has kind {kind!r}; use bloc or region"
            )
        if not spec.get("sources"):
            raise ValueError(f"country_groups.yaml: group {key} cites no source")
        members = tuple(
            Membership(m["iso3"], _date(m.get("from")), _date(m.get("to"))) for m in spec["members"]
        )
        out[key] = Group(key, spec["name"], kind, members, tuple(spec["sources"]))
    return out


def group(key: str) -> Group:
    """The group named `key`, or an error that lists the known keys."""
    try:
        return groups()[key]
    except KeyError:
        raise UnknownGroupError(
            f"unknown country group {key!r}; use one of {', '.join(groups())}"
        ) from None


def members(key: str, year: int) -> tuple[str, ...]:
    """ISO3 codes of the countries that were members of group `key` in `year`."""
    return group(key).members_in(year)


def membership_table(
    keys: tuple[str, ...] | None = None, years: range | list[int] | None = None
) -> pd.DataFrame:
    """(group, year, iso3) for each member-year; `years` default 1995..2030."""
    years = list(years) if years is not None else list(range(1995, 2031))
    rows = [(k, y, iso) for k in (keys or tuple(groups())) for y in years for iso in members(k, y)]
    return pd.DataFrame(rows, columns=["group", "year", "iso3"])


def group_totals(
    values: pd.DataFrame,
    by: list[str],
    keys: tuple[str, ...] | None = None,
    exclude: str | None = None,
    partner_col: str = "partner",
) -> pd.DataFrame:
    """Sum `value_usd` of country rows over each group's members for the years they were
    members, per `by` columns (which must include `year`). Aggregate partner codes are
    dropped first (never mixed with member rows), and `exclude` (the country whose
    partners these are) is left out of its own groups. Returns `by`, `partner_col` (the
    group key), value_usd and `members` (how many member rows were summed)."""
    rows = values[~values[partner_col].astype(str).isin(AGGREGATE_PARTNERS)]
    if exclude is not None:
        rows = rows[rows[partner_col] != exclude]
    if rows.empty:
        return pd.DataFrame(columns=[*by, partner_col, "value_usd", "members"])
    table = membership_table(keys, sorted(int(y) for y in rows["year"].unique()))
    table["year"] = table["year"].astype(rows["year"].dtype)
    joined = rows.merge(table, left_on=["year", partner_col], right_on=["year", "iso3"])
    out = (
        joined.groupby(["group", *by], dropna=False)
        .agg(value_usd=("value_usd", "sum"), members=("value_usd", "size"))
        .reset_index()
    )
    return out.rename(columns={"group": partner_col})
