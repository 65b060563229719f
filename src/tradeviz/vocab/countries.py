"""The six countries of the project and their codes in each source.

Comtrade codes are Comtrade's own (they equal M49 for these six); World is 0 there.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


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


@lru_cache(maxsize=4096)
def to_iso3(name: str, src: str | None = None) -> str | None:
    """A country name (or, with src="ISO2", a 2-letter code) to ISO3 via country_converter;
    None when it is not a country (regions, "Unspecified", "Other Asia, nes")."""
    kwargs = {"src": src} if src else {}
    iso = _converter().convert(names=name, to="ISO3", not_found=None, **kwargs)
    return iso if isinstance(iso, str) and re.fullmatch(r"[A-Z]{3}", iso) else None


@lru_cache(maxsize=1)
def _converter():
    """country_converter with its own table, loaded so that blank cells stay strings:
    under pandas 3 its loader turns blank ISO2 cells into NaN and fails compiling them."""
    import country_converter as coco
    import pandas as pd

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    table = Path(coco.__file__).parent / "country_data.tsv"
    data = pd.read_csv(table, sep="\t", encoding="utf-8", keep_default_na=False,
                       na_values=[""], dtype={"ISO2": str, "regex": str})
    data["ISO2"] = data["ISO2"].fillna("(?!)")  # never matches, as an empty code should
    return coco.CountryConverter(country_data=data)
