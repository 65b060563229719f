"""The six countries of the project and their codes in each source.

Comtrade codes are Comtrade's own (they equal M49 for these six); World is 0 there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    iso3: str
    comtrade: int
    name: str


CHINA = Country("CHN", 156, "China")
CENTRAL_ASIA: tuple[Country, ...] = (
    Country("KAZ", 398, "Kazakhstan"),
    Country("KGZ", 417, "Kyrgyzstan"),
    Country("TJK", 762, "Tajikistan"),
    Country("TKM", 795, "Turkmenistan"),
    Country("UZB", 860, "Uzbekistan"),
)
ALL_SIX: tuple[Country, ...] = (CHINA, *CENTRAL_ASIA)
WORLD_ISO3 = "WLD"
WORLD_COMTRADE = 0

BY_ISO3 = {c.iso3: c for c in ALL_SIX}
BY_COMTRADE = {c.comtrade: c for c in ALL_SIX}
CA_ISO3 = tuple(c.iso3 for c in CENTRAL_ASIA)


def comtrade_code(iso3: str) -> int:
    """ISO3 (or WLD/World) to Comtrade code, with an error that lists what is accepted."""
    key = iso3.strip().upper()
    if key in (WORLD_ISO3, "W00", "WORLD"):
        return WORLD_COMTRADE
    if key in BY_ISO3:
        return BY_ISO3[key].comtrade
    if key.isdigit():
        return int(key)
    accepted = ", ".join([*BY_ISO3, WORLD_ISO3])
    raise ValueError(f"unknown country code {iso3!r}; use ISO3 ({accepted}) or a Comtrade number")
