"""HS revisions: the one registry of their codes, names and the year each came into force.
Comtrade calls them H0…H6 (`classificationCode`)."""

from __future__ import annotations

from dataclasses import dataclass

from tradeviz.errors import InputError


@dataclass(frozen=True)
class Revision:
    code: str
    name: str
    year: int  # first year of use


REVISIONS: tuple[Revision, ...] = (
    Revision("H0", "HS1992", 1988),
    Revision("H1", "HS1996", 1996),
    Revision("H2", "HS2002", 2002),
    Revision("H3", "HS2007", 2007),
    Revision("H4", "HS2012", 2012),
    Revision("H5", "HS2017", 2017),
    Revision("H6", "HS2022", 2022),
)
HS_REVISIONS: tuple[str, ...] = tuple(r.code for r in REVISIONS)
BY_CODE: dict[str, Revision] = {r.code: r for r in REVISIONS}
LATEST = HS_REVISIONS[-1]


def check_revision(code: str) -> str:
    """`code` as H0…H6 if it is a revision (H0…H6, or HS1992…HS2022, any case), else
    InputError (a ValueError)."""
    up = code.strip().upper()
    for r in REVISIONS:
        if up in (r.code, r.name):
            return r.code
    raise InputError(
        f"unknown HS revision {code!r}; use one of {', '.join(HS_REVISIONS)} "
        "(H0 = HS1992 … H6 = HS2022)"
    )
