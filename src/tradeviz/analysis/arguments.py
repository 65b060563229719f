"""One checker for every argument of the Dataset API (and the filters the CLI passes on), so
that every method accepts the same forms and refuses a bad value the same way: one line,
`FilterError: <argument>=<value>: <what is wrong>; use <the allowed values>`.

Years: an int (2023), a str ("2023", a span "2019-2023", a list "2019,2021" or a mix
"2010,2015-2017"), or a list/tuple/set/range of years, which means exactly those years.
A year the data do not hold is an error naming the years they hold, never an empty frame;
a span is cut to the years the data hold and must hold at least one."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable
from types import SimpleNamespace

from tradeviz.errors import InputError
from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.countries import ALL_SIX, CA_ISO3, WORLD_ISO3, suggest

ALL_ISO3: tuple[str, ...] = tuple(c.iso3 for c in ALL_SIX)
FLOWS = ("export", "import")
FREQS = ("A", "M")
SIDES = ("reported", "mirror", "best")
GROWTH_OF = ("totals", "areas", "products")
DETAIL_BY = ("partner", "subarea")
YEAR_FORMS = (
    "use a year YYYY (2023), a span YYYY-YYYY ('2019-2023') or a list ([2019, 2021] or '2019,2021')"
)


class FilterError(InputError):
    """A --years, --countries or --areas value, or an argument of a Dataset method, is not
    valid. Also a ValueError (InputError), for callers that catch that."""


def fail(name: str, value, problem: str, allowed: str) -> FilterError:
    """The one error form: the argument, the bad value, what is wrong, and the allowed
    values ("use ..." or "the tables hold ...")."""
    return FilterError(f"{name}={value!r}: {problem}; {allowed}")


def _listed(value) -> list:
    """A comma string or an iterable as a list of items (blank items dropped)."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, Iterable):
        return [v for v in value if str(v).strip()]
    return [value]


# ----------------------------------------------------------------------------------- years
def _one_year(name: str, value, shown) -> int:
    """An int, numpy integer or 4-digit string as a year (bool and 2023.5 refused)."""
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (whole or (isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value))):
        raise fail(name, shown, "not a year", YEAR_FORMS)
    year = int(value)
    if not 1000 <= year <= 9999:
        raise fail(name, shown, "not a year", YEAR_FORMS)
    return year


def parse_year_parts(name: str, value) -> tuple[list[int], list[tuple[int, int]]]:
    """Years given one by one and spans given as FROM-TO, from any accepted form."""
    if value is None or isinstance(value, bool | float | bytes | dict):
        raise fail(name, value, "not a year", YEAR_FORMS)
    single: list[int] = []
    spans: list[tuple[int, int]] = []
    items = _listed(value) if isinstance(value, str | Iterable) else [value]
    if not items:
        raise fail(name, value, "no year given", YEAR_FORMS)
    for item in items:
        m = re.fullmatch(r"\s*(\d{4})\s*[-:]\s*(\d{4})\s*", item) if isinstance(item, str) else None
        if m is None:
            single.append(_one_year(name, item, value))
            continue
        lo, hi = int(m[1]), int(m[2])
        if lo > hi:
            raise fail(name, value, f"{lo} is after {hi}", f"use FROM-TO, e.g. {hi}-{lo}")
        spans.append((lo, hi))
    return single, spans


def _span_text(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if years else "no years"


def check_years(name: str, value, available: Iterable[int] | None) -> tuple[int, ...] | None:
    """The years asked for, sorted, or None (all years). With `available` (the years the
    data hold): every single year must be there; a span is cut to them and must keep one."""
    if value is None:
        return None
    single, spans = parse_year_parts(name, value)
    have = sorted({int(y) for y in available}) if available is not None else None
    if have is None:
        picked = set(single)
        for lo, hi in spans:
            picked.update(range(lo, hi + 1))
        return tuple(sorted(picked))
    held = set(have)
    missing = [y for y in single if y not in held]
    for lo, hi in spans:
        if not any(lo <= y <= hi for y in have):
            missing.append(f"{lo}-{hi}")
    if missing:
        what = ", ".join(str(y) for y in missing)
        held_text = f"the tables hold {_span_text(have)}{_gaps(have)}"
        raise fail(name, value, f"no data for years {what}", held_text)
    picked = set(single) | {y for lo, hi in spans for y in have if lo <= y <= hi}
    return tuple(sorted(picked))


def _gaps(have: list[int]) -> str:
    """' (not 2016, 2017)' when the held years have holes."""
    if not have:
        return ""
    holes = sorted(set(range(have[0], have[-1] + 1)) - set(have))
    return f" (not {', '.join(map(str, holes))})" if holes else ""


def check_year(name: str, value, available: Iterable[int] | None, what: str = "the tables"):
    """One year (int or '2023'), which `available` must hold; None stays None."""
    if value is None:
        return None
    single, spans = parse_year_parts(name, value)
    if spans or len(single) != 1:
        raise fail(name, value, "one year is needed here", "use a single year such as 2023")
    year = single[0]
    if available is not None:
        have = sorted({int(y) for y in available})
        if year not in have:
            held_text = f"{what} hold {_span_text(have)}{_gaps(have)}"
            raise fail(name, value, f"no data for {year}", held_text)
    return year


def describe_years(years: Iterable[int] | None) -> str:
    """'2019-2023' for consecutive years, '2019, 2021, 2023' otherwise, '' for None."""
    ys = sorted({int(y) for y in years or ()})
    if not ys:
        return ""
    if ys == list(range(ys[0], ys[-1] + 1)):
        return str(ys[0]) if len(ys) == 1 else f"{ys[0]}-{ys[-1]}"
    return ", ".join(map(str, ys))


# --------------------------------------------------------------------- codes and choices
def _unknown_country(name: str, value, allowed: tuple[str, ...]) -> FilterError:
    near = suggest(value, among=allowed) if isinstance(value, str) else []
    hint = f" (closest: {', '.join(near)})" if near else ""
    return fail(name, value, "unknown country", f"use ISO3, one of {', '.join(allowed)}{hint}")


def check_country(name: str, value, allowed: Iterable[str] = ALL_ISO3) -> str:
    """One ISO3 code, any case, upper-cased; the error suggests codes by name or code."""
    allowed = tuple(allowed)
    up = value.strip().upper() if isinstance(value, str) else None
    if up not in allowed:
        raise _unknown_country(name, value, allowed)
    return up


def check_countries(
    name: str, value, allowed: Iterable[str] = CA_ISO3, keep_order: bool = False
) -> list[str] | None:
    """A comma string or list of ISO3 codes to upper-case codes (registry order unless
    `keep_order`); None or an empty list means all."""
    if value is None:
        return None
    if not isinstance(value, str | Iterable):
        codes = ", ".join(allowed)
        raise fail(name, value, "not a list of countries", f"use ISO3 codes from {codes}")
    allowed = tuple(allowed)
    items = _listed(value)
    if not items:
        return None
    picked = []
    for item in items:
        if not isinstance(item, str) or item.strip().upper() not in allowed:
            raise _unknown_country(name, item, allowed)
        picked.append(item.strip().upper())
    if keep_order:
        return list(dict.fromkeys(picked))
    return [c for c in allowed if c in picked]


def check_choice(
    name: str, value, choices: Iterable[str], fold: Callable = str.lower, what: str = "not known"
) -> str:
    """One of `choices`, compared after `fold` (lower or upper case)."""
    choices = tuple(choices)
    got = fold(value.strip()) if isinstance(value, str) else None
    if got not in choices:
        raise fail(name, value, what, f"use one of {', '.join(choices)}")
    return got


def check_choices(
    name: str, value, choices: Iterable[str], keep_order: bool = False
) -> list[str] | None:
    """A comma string or list of `choices` (any case), in `choices` order (the order given
    with `keep_order`), no repeats; None or empty: all."""
    if value is None:
        return None
    if not isinstance(value, str | Iterable):
        raise fail(name, value, "not a list", f"use some of {', '.join(choices)}")
    items = _listed(value)
    if not items:
        return None
    picked = [check_choice(name, item, choices) for item in items]
    return list(dict.fromkeys(picked)) if keep_order else [c for c in choices if c in picked]


def check_count(name: str, value, least: int = 1) -> int:
    """A whole number >= `least` (an int, or its digits as a string)."""
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (whole or (isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value))):
        raise fail(name, value, "not a whole number", f"use a whole number of at least {least}")
    number = int(value)
    if number < least:
        raise fail(name, value, f"below {least}", f"use a whole number of at least {least}")
    return number


def check_codes(name: str, value) -> list[str] | None:
    """HS codes of 2, 4 or 6 digits (comma string or list); None or empty: all."""
    if value is None:
        return None
    if not isinstance(value, str | Iterable):
        raise fail(name, value, "not a list of HS codes", "use HS codes such as ['271121', '2601']")
    items = _listed(value)
    for item in items:
        if not (isinstance(item, str) and re.fullmatch(r"\d{2}|\d{4}|\d{6}", item.strip())):
            raise fail(name, item, "not an HS code", "use 2, 4 or 6 digits as text, e.g. '271121'")
    return [i.strip() for i in items] or None


# ------------------------------------------------------------ the world layer, SQL (#19)
def check_level(name: str, value) -> int:
    """An HS level of the world layer: 2, 4 or 6 (an int, or its digits as text)."""
    if isinstance(value, bool) or str(value).strip() not in ("2", "4", "6"):
        raise fail(name, value, "not an HS level", "use 2, 4 or 6 (HS digits)")
    return int(str(value).strip())


def check_flag(name: str, value) -> bool:
    """True or False, nothing else."""
    if not isinstance(value, bool):
        raise fail(name, value, "not a flag", "use True or False")
    return value


def check_reporters(name: str, value) -> list[str] | None:
    """ISO3 codes of any country of the registry (comma string or list); None: all."""
    from tradeviz.vocab.countries import ALL

    known = {c.iso3 for c in ALL if c.kind == "country"}
    if value is None:
        return None
    if not isinstance(value, str | Iterable):
        raise fail(name, value, "not a list of countries", "use ISO3 codes such as KAZ, CHN")
    picked = []
    for item in _listed(value):
        if not isinstance(item, str) or item.strip().upper() not in known:
            raise fail(name, item, "unknown reporter", "use ISO3 codes of countries, e.g. KAZ")
        picked.append(item.strip().upper())
    return list(dict.fromkeys(picked)) or None


def check_query(name: str, value) -> str:
    """An SQL query: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(name, value, "not an SQL query", "use a SELECT over flows, mirror, focus, world")
    return value


# --------------------------------------------------------------------- the one dispatcher
def _checkers(available: Callable[[], list[int]]) -> dict[str, Callable]:
    """Argument name -> its check, for every argument name a Dataset method takes."""
    return {
        "years": lambda n, v: check_years(n, v, available()),
        "year": lambda n, v: check_year(n, v, available()),
        "start": lambda n, v: check_year(n, v, available()),
        "end": lambda n, v: check_year(n, v, available()),
        "reporter": lambda n, v: check_country(n, v, ALL_ISO3),
        "partners": lambda n, v: check_countries(n, v, (*ALL_ISO3, WORLD_ISO3), keep_order=True),
        "country": lambda n, v: check_country(n, v, CA_ISO3),
        "countries": lambda n, v: check_countries(n, v, CA_ISO3),
        "flow": lambda n, v: check_choice(n, v, FLOWS),
        "freq": lambda n, v: check_choice(n, v, FREQS, fold=str.upper),
        "months": lambda n, v: check_count(n, v),
        "n": lambda n, v: check_count(n, v),
        "area": lambda n, v: check_choice(n, v, AREA_KEYS),
        "areas": lambda n, v: check_choices(n, v, AREA_KEYS),
        "side": lambda n, v: check_choice(n, v, SIDES),
        "sides": lambda n, v: check_choices(n, v, SIDES, keep_order=True) or list(SIDES),
        "of": lambda n, v: check_choice(
            n, v, GROWTH_OF, what="growth is of totals, areas or products"
        ),
        "by": lambda n, v: check_choice(n, v, DETAIL_BY),
        "codes": check_codes,
        # issue 20's measures: HS level, the two sides of a pair, a market, a flag
        "level": check_level,
        **{
            k: lambda n, v: check_country(n, v, ALL_ISO3)
            for k in ("exporter", "importer", "a", "b")
        },
        "market": lambda n, v: check_country(n, v, ALL_ISO3),
        "partner": lambda n, v: check_country(n, v, (*ALL_ISO3, WORLD_ISO3)),
        "by_product": check_flag,
        "reporters": check_reporters,
        "query": check_query,
    }


CHECKED = tuple(_checkers(list))  # every argument name the dispatcher knows


def check_arguments(
    available: Callable[[], list[int]], optional: Iterable[str] = (), **given
) -> SimpleNamespace:
    """Every argument checked by its name's rule and returned normalised (`.years` a sorted
    tuple, `.flow` lower case, ...). `available` gives the years the data hold (called only
    when a year argument is set); names in `optional` may be None (meaning all or default)."""
    checkers = _checkers(available)
    optional = set(optional) | {"years", "year", "start", "end", "partners", "countries"}
    optional |= {"areas", "codes", "sides", "market", "reporters"}
    out = {}
    for name, value in given.items():
        if name not in checkers:
            raise TypeError(f"no check for argument {name!r}: add one to arguments._checkers")
        if value is None and name in optional:
            out[name] = None
            continue
        out[name] = checkers[name](name, value)
    return SimpleNamespace(**out)
