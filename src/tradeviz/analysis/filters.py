"""Year, country and focus-area filters, checked against the registries and the data so that
a typo or an empty range stops with one line naming the bad value and the valid ones."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tradeviz.errors import TradevizError
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import ALL_SIX, CA_ISO3

ALL_ISO3: tuple[str, ...] = tuple(c.iso3 for c in ALL_SIX)


class FilterError(TradevizError):
    """A --years, --countries or --areas value (or the same API argument) is not valid."""


def parse_years(text: str) -> tuple[int, int]:
    """'2020-2024' or '2023' to an inclusive (first, last) pair."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-:]\s*(\d{4})\s*)?", str(text))
    if not m:
        raise FilterError(f"years {text!r} not understood; use YYYY or YYYY-YYYY, e.g. 2018-2024")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if lo > hi:
        raise FilterError(f"years {text!r}: {lo} is after {hi}; use FROM-TO, e.g. {hi}-{lo}")
    return lo, hi


def check_years(
    years: tuple[int, int] | Iterable[int] | str | None, available: Iterable[int] | None = None
) -> tuple[int, int] | None:
    """A (first, last) pair, or None for all years. With `available` (the data's years),
    a range that holds none of them is an error naming the years the data hold."""
    if years is None:
        return None
    if isinstance(years, str):
        span = parse_years(years)
    else:
        vals = [int(y) for y in years]
        if not vals:
            return None
        span = (min(vals), max(vals))
    if available is not None:
        have = sorted({int(y) for y in available})
        if have and not any(span[0] <= y <= span[1] for y in have):
            raise FilterError(
                f"no data for years {span[0]}-{span[1]}; the tables hold {have[0]}-{have[-1]}"
            )
    return span


def check_country(code: str, allowed: Iterable[str] = ALL_ISO3) -> str:
    """One ISO3 code, any case, upper-cased; an error lists the allowed codes."""
    allowed = tuple(allowed)
    up = str(code).strip().upper()
    if up not in allowed:
        raise FilterError(f"unknown country {code!r}; use ISO3, one of {', '.join(allowed)}")
    return up


def check_countries(
    codes: str | Iterable[str] | None, allowed: Iterable[str] = CA_ISO3
) -> list[str] | None:
    """A comma string or list of ISO3 codes (any case) to upper-case codes in registry
    order; None means all. Unknown codes are an error naming them and the valid ones."""
    if codes is None:
        return None
    items = [c for c in (codes.split(",") if isinstance(codes, str) else codes) if str(c).strip()]
    if not items:
        return None
    allowed = tuple(allowed)
    picked = {check_country(c, allowed) for c in items}
    return [c for c in allowed if c in picked]


def check_areas(keys: str | Iterable[str] | None) -> list[str] | None:
    """Focus-area keys (comma string or list, any case); None means all."""
    if keys is None:
        return None
    items = [
        k.strip().lower() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()
    ]
    if not items:
        return None
    bad = [k for k in items if k not in AREA_KEYS]
    if bad:
        raise FilterError(f"unknown focus area {bad[0]!r}; use one of {', '.join(AREA_KEYS)}")
    return [k for k in AREA_KEYS if k in items]
