"""click parameter types for the values tradeviz commands take: years, ISO3 lists, HS codes,
HS revisions, focus areas and comma lists of choices.

Each type validates its value before any work starts and fails with one line that names
the bad value and the valid form (click turns it into `Error: Invalid value ...`, exit 2).
Use an instance (`YEARS`, `ISO3_LIST`, ...) as an option's `type=`; commands receive the
converted value (a list of ints, a list of ISO3 codes, ...), never the raw text.

    @click.option("--years", type=YEARS, default=None)          # -> list[int] | None
    @click.option("--countries", type=CA_ISO3_LIST)             # -> list[str] | None
    @click.option("--rev", type=REVISION, default="H6")          # -> "H6"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import click

FIRST_YEAR = 1962  # first year of UN Comtrade data


def _items(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]


class YearList(click.ParamType):
    """'2015-2024', '2019,2021' or a mix ('2010,2015-2017') -> sorted list of years.

    Years must lie between FIRST_YEAR and the current year (plus `ahead` years);
    a reversed range (2024-2015) is an error, not an empty list."""

    name = "years"
    form = "use a range like 2015-2024, a list like 2019,2021, or both (2010,2015-2017)"

    def __init__(self, ahead: int = 0, today: Callable[[], date] = date.today):
        self.ahead = ahead
        self._today = today

    def get_metavar(self, param, ctx=None) -> str:  # click 8.1 and 8.2 signatures
        return "YEARS"

    def convert(self, value, param, ctx) -> list[int]:
        if isinstance(value, list | tuple):
            return sorted(int(v) for v in value)
        text = str(value).strip()
        last = self._today().year + self.ahead
        form = self.form
        years: set[int] = set()
        for part in _items(text) or [text]:
            m = re.fullmatch(r"(\d{4})\s*(?:-\s*(\d{4}))?", part)
            if not m:
                self.fail(f"{part!r} is not a year or a range; {form}", param, ctx)
            lo, hi = int(m[1]), int(m[2] or m[1])
            if lo > hi:
                self.fail(f"{part!r} runs backwards; write it as {hi}-{lo}", param, ctx)
            if lo < FIRST_YEAR or hi > last:
                self.fail(
                    f"{part!r} is outside {FIRST_YEAR}-{last} (the years that can have data)",
                    param,
                    ctx,
                )
            years.update(range(lo, hi + 1))
        return sorted(years)


class YearSpan(YearList):
    """'2018-2024' or '2020' -> (first, last): one contiguous span."""

    name = "year span"
    form = "use a span like 2018-2024, or one year"

    def get_metavar(self, param, ctx=None) -> str:
        return "FROM-TO"

    def convert(self, value, param, ctx) -> tuple[int, int]:
        if isinstance(value, tuple) and len(value) == 2:
            return (int(value[0]), int(value[1]))
        if "," in str(value):
            self.fail(
                f"{value!r}: give one span like 2018-2024 (or one year), not a list", param, ctx
            )
        years = super().convert(value, param, ctx)
        return (years[0], years[-1])


class YearFilter(YearList):
    """'2018-2024', '2019,2021' or a mix -> the same text, checked and without spaces: the
    view filter of charts, notebooks and report. Kept as text because the Dataset reads a
    span as "the years of it the tables hold" and a listed year as "this year"
    (analysis.arguments); a list of ints would make every year of a span compulsory."""

    name = "years"

    def convert(self, value, param, ctx) -> str:
        if isinstance(value, list | tuple):
            return ",".join(str(int(v)) for v in value)
        super().convert(value, param, ctx)  # fails with the forms it takes
        return ",".join(re.sub(r"\s+", "", part) for part in _items(str(value)))


class Iso3List(click.ParamType):
    """Comma list of ISO3 codes, any case -> upper-case list, in the order given, no repeats.

    `valid` returns the accepted codes (default: every country in the registry, plus WLD
    when `world` is set); an unknown code fails naming it and the valid codes (or, when
    there are many, the closest ones)."""

    name = "iso3 list"

    def __init__(self, valid: Callable[[], Iterable[str]] | None = None, world: bool = False):
        self._valid = valid
        self.world = world

    def get_metavar(self, param, ctx=None) -> str:
        return "ISO3,..."

    def valid_codes(self) -> list[str]:
        if self._valid is not None:
            codes = list(self._valid())
        else:
            from tradeviz.vocab import countries

            codes = list(countries.BY_ISO3)
        if self.world:
            from tradeviz.vocab.countries import WORLD_ISO3

            codes.append(WORLD_ISO3)
        return codes

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        given = _items(str(value))
        if not given:
            self.fail("empty list; give ISO3 codes separated by commas, e.g. KAZ,UZB", param, ctx)
        valid = self.valid_codes()
        known = set(valid)
        for item in given:
            if item.upper() not in known:
                self.fail(f"unknown country code {item!r}; {_valid_hint(item, valid)}", param, ctx)
        return list(dict.fromkeys(item.upper() for item in given))


def _valid_hint(bad: str, valid: Sequence[str]) -> str:
    """The allowed codes (or, when there are many, a few), with the ones `bad` most likely
    means by name or by code ('kazakstan' -> KAZ Kazakhstan), never codes sharing letters."""
    from tradeviz.vocab.countries import name, suggest

    close = suggest(bad, among=valid)
    near = f" (closest: {', '.join(f'{c} {name(c)}' for c in close)})" if close else ""
    if len(valid) <= 12:
        return f"use ISO3 codes from {', '.join(valid)}{near}"
    return f"use ISO3 codes such as CHN,KAZ,RUS{near}; `tradeviz countries` lists all {len(valid)}"


class HsCode(click.ParamType):
    """An HS code of 2, 4 or 6 digits, kept as a string (leading zeros stay); dots and
    spaces are dropped ('2711.21' -> '271121')."""

    name = "hs code"

    def get_metavar(self, param, ctx=None) -> str:
        return "HSCODE"

    def convert(self, value, param, ctx) -> str:
        code = re.sub(r"[.\s]", "", str(value))
        if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", code):
            self.fail(
                f"{value!r} is not an HS code; give 2, 4 or 6 digits, e.g. 27, 2711 "
                "or 271121 (leading zeros kept: 0901)",
                param,
                ctx,
            )
        return code


class HsCodeList(HsCode):
    """Comma list of HS codes -> list of strings."""

    name = "hs code list"

    def get_metavar(self, param, ctx=None) -> str:
        return "HSCODE,..."

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        return [HsCode.convert(self, v, param, ctx) for v in _items(str(value))]


class Revision(click.ParamType):
    """An HS revision: H0…H6 or HS1992…HS2022, any case -> 'H0'…'H6'."""

    name = "revision"

    def get_metavar(self, param, ctx=None) -> str:
        return "H0..H6"

    def convert(self, value, param, ctx) -> str:
        from tradeviz.vocab.revisions import check_revision

        try:
            return check_revision(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Area(click.ParamType):
    """A focus-area key from the registry (vocab/areas.py), any case."""

    name = "area"

    def get_metavar(self, param, ctx=None) -> str:
        return "AREA"

    def convert(self, value, param, ctx) -> str:
        from tradeviz.vocab.areas import check_area

        try:
            return check_area(str(value).strip().lower()).key
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        from tradeviz.vocab.areas import AREA_KEYS

        return [CompletionItem(k) for k in AREA_KEYS if k.startswith(incomplete)]


class ChoiceList(click.ParamType):
    """Comma list of fixed choices, any case -> list in the order given, no repeats
    (e.g. --format png,svg)."""

    name = "choice list"

    def __init__(self, choices: Sequence[str]):
        self.choices = tuple(choices)

    def get_metavar(self, param, ctx=None) -> str:
        return f"[{'|'.join(self.choices)}],..."

    def convert(self, value, param, ctx) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        items = [v.lower() for v in _items(str(value))]
        if not items:
            self.fail(f"empty list; use one or more of {', '.join(self.choices)}", param, ctx)
        for item in items:
            if item not in self.choices:
                self.fail(
                    f"unknown value {item!r}; use one or more of "
                    f"{', '.join(self.choices)}, comma-separated",
                    param,
                    ctx,
                )
        return list(dict.fromkeys(items))


def _central_asia() -> list[str]:
    from tradeviz.vocab.countries import CA_ISO3

    return list(CA_ISO3)


YEARS = YearList()
"""Years up to the current one (a year in progress can have monthly data)."""
YEAR_SPAN = YearSpan()
YEAR_FILTER = YearFilter()
"""Years for a view filter, as checked text ('2018-2024', '2019,2021')."""
ISO3_LIST = Iso3List()
"""Any country in the registry."""
ISO3_LIST_WITH_WORLD = Iso3List(world=True)
"""Any country in the registry, or WLD (World)."""
CA_ISO3_LIST = Iso3List(valid=_central_asia)
"""The five Central Asian countries only (chart and notebook filters)."""
HS_CODE = HsCode()
HS_CODE_LIST = HsCodeList()
REVISION = Revision()
AREA = Area()
CHART_FORMATS = ChoiceList(("png", "svg", "pdf"))
