"""Year, country and focus-area filters (the CLI's --years, --countries, --areas and the
same Dataset arguments), checked by the shared argument checker (analysis.arguments) so a
typo or an empty range stops with one line naming the bad value and the valid ones."""

from __future__ import annotations

from collections.abc import Iterable

from tradeviz.analysis import arguments
from tradeviz.analysis.arguments import ALL_ISO3, FilterError, describe_years
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import CA_ISO3

__all__ = [
    "ALL_ISO3",
    "FilterError",
    "check_areas",
    "check_countries",
    "check_country",
    "check_years",
    "describe_years",
    "parse_years",
]


def parse_years(text: str) -> tuple[int, int]:
    """'2020-2024' or '2023' to an inclusive (first, last) pair."""
    single, spans = arguments.parse_year_parts("years", str(text))
    if len(single) + len(spans) != 1:
        raise arguments.fail("years", text, "one year or one span is needed", "YYYY or YYYY-YYYY")
    return spans[0] if spans else (single[0], single[0])


def check_years(years, available: Iterable[int] | None = None) -> tuple[int, ...] | None:
    """The years asked for (any form arguments.check_years takes), sorted; None for all."""
    return arguments.check_years("years", years, available)


def check_country(code: str, allowed: Iterable[str] = ALL_ISO3) -> str:
    """One ISO3 code, any case, upper-cased; an error lists the allowed codes."""
    return arguments.check_country("country", code, allowed)


def check_countries(codes, allowed: Iterable[str] = CA_ISO3) -> list[str] | None:
    """A comma string or list of ISO3 codes (any case) to upper-case codes in registry
    order; None means all. Unknown codes are an error naming them and the valid ones."""
    return arguments.check_countries("countries", codes, allowed)


def check_areas(keys) -> list[str] | None:
    """Focus-area keys (comma string or list, any case); None means all."""
    return arguments.check_choices("areas", keys, AREA_KEYS)
