"""The one country registry: ISO3, ISO2, Comtrade code, UN M49 code and names, for every
partner UN Comtrade knows (data/countries.csv, built by scripts/build_country_reference.py
from Comtrade's own reporter and partner lists), plus the six countries of the project.

Comtrade codes are M49-based but not always equal (France 251 vs M49 250, India 699 vs 356,
USA 842 vs 840); both are kept. World is 0 in Comtrade and WLD here. Names are in English
(`name`); other languages go in `name_<lang>` columns of the CSV and are read by `name_in`.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tradeviz.errors import InputError


@dataclass(frozen=True)
class Country:
    iso3: str
    comtrade: int
    name: str
    m49: int | None = None
    iso2: str = ""
    kind: str = "country"  # country | area (Comtrade's "nes" areas, bunkers) | group (EU)
    current: bool = True  # False for historical or second codes (Belgium-Luxembourg...)
    names: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def name_in(self, lang: str) -> str:
        """The name in `lang` (ISO 639-1), falling back to English."""
        return dict(self.names).get(lang, self.name)


def _load() -> tuple[Country, ...]:
    text = resources.files("tradeviz").joinpath("data/countries.csv").read_text("utf-8")
    rows = []
    for r in csv.DictReader(text.splitlines()):
        names = tuple(
            (k.removeprefix("name_"), v)
            for k, v in r.items()
            if k.startswith("name_") and k != "name_en" and v
        )
        rows.append(
            Country(
                iso3=r["iso3"],
                comtrade=int(r["comtrade"]),
                name=r["name_en"],
                m49=int(r["m49"]) if r["m49"] else None,
                iso2=r["iso2"],
                kind=r["kind"],
                current=r["current"] == "1",
                names=names,
            )
        )
    return tuple(rows)


ALL: tuple[Country, ...] = _load()
"""Every Comtrade partner code except World, including areas and historical codes."""
COUNTRIES: tuple[Country, ...] = tuple(c for c in ALL if c.current)
"""One row per ISO3 code in use today (countries, territories and the EU)."""

BY_ISO3: dict[str, Country] = {c.iso3: c for c in COUNTRIES}
BY_COMTRADE: dict[int, Country] = {c.comtrade: c for c in ALL if c.kind != "area"}
"""Comtrade code -> country, historical codes included (58 Belgium-Luxembourg -> BEL)."""
BY_M49: dict[int, Country] = {c.m49: c for c in COUNTRIES if c.m49 is not None}

CHINA = BY_ISO3["CHN"]
CA_ISO3: tuple[str, ...] = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
CENTRAL_ASIA: tuple[Country, ...] = tuple(BY_ISO3[i] for i in CA_ISO3)
ALL_SIX: tuple[Country, ...] = (CHINA, *CENTRAL_ASIA)
PROJECT_ISO3: tuple[str, ...] = tuple(c.iso3 for c in ALL_SIX)
WORLD_ISO3 = "WLD"
WORLD_COMTRADE = 0
WORLD_NAME = "World"
NAMES: dict[str, str] = {**{c.iso3: c.name for c in COUNTRIES}, WORLD_ISO3: WORLD_NAME}
"""ISO3 -> English name, for captions and labels."""


def name(iso3: str, lang: str = "en") -> str:
    """Display name of an ISO3 code (WLD = World); the code itself when unknown."""
    if iso3 == WORLD_ISO3:
        return WORLD_NAME
    c = BY_ISO3.get(iso3)
    return c.name_in(lang) if c else iso3


def comtrade_code(iso3: str) -> int:
    """ISO3 (or WLD/World) to Comtrade code, with an error that says what is accepted."""
    key = iso3.strip().upper()
    if key in (WORLD_ISO3, "W00", "WORLD"):
        return WORLD_COMTRADE
    if key in BY_ISO3:
        return BY_ISO3[key].comtrade
    if key.isdigit():
        return int(key)
    raise InputError(
        f"unknown country code {iso3!r}; use an ISO3 code (e.g. "
        f"{', '.join(PROJECT_ISO3)}, RUS; WLD for World; `tradeviz countries` "
        "lists all) or a Comtrade number"
    )


@lru_cache(maxsize=4096)
def to_iso3(name: str, src: str | None = None) -> str | None:
    """A country name (or, with src="ISO2", a 2-letter code) to ISO3 via country_converter
    (WITS names are free text, hence fuzzy matching); None when it is not a country
    (regions, "Unspecified", "Other Asia, nes")."""
    kwargs = {"src": src} if src else {}
    iso = _converter().convert(names=name, to="ISO3", not_found=None, **kwargs)
    return iso if isinstance(iso, str) and re.fullmatch(r"[A-Z]{3}", iso) else None


@lru_cache(maxsize=1)
def _converter():
    """country_converter with its own table, loaded so that blank cells stay strings:
    under pandas 3 its loader turns blank ISO2 cells into NaN and fails compiling them.
    Only WITS imports need it (free-text country names): extra `tradeviz[wits]`."""
    import pandas as pd

    from tradeviz.config import require

    coco = require("country_converter", "wits")

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    table = Path(coco.__file__).parent / "country_data.tsv"
    data = pd.read_csv(
        table,
        sep="\t",
        encoding="utf-8",
        keep_default_na=False,
        na_values=[""],
        dtype={"ISO2": str, "regex": str},
    )
    data["ISO2"] = data["ISO2"].fillna("(?!)")  # never matches, as an empty code should
    return coco.CountryConverter(country_data=data)


BY_ISO2: dict[str, Country] = {c.iso2: c for c in COUNTRIES if c.iso2}


def _fold(text: str) -> str:
    """Lower case, accents and punctuation dropped: 'Türkiye' and 'turkiye' compare equal."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z ]+", " ", plain.lower()).split())


def _name_score(query: str, country: Country) -> float:
    """How well `query` (folded) reads as one of the country's names, 0..1: the whole name,
    one of its words ('korea' in 'Rep. of Korea') or its start ('kyrgyz')."""
    best = 0.0
    for text in (country.name, *(v for _, v in country.names)):
        folded = _fold(text)
        if len(query) >= 3 and folded.startswith(query):
            best = max(best, 0.9)
        words = [w for w in folded.split() if len(w) > 3]
        for candidate in (folded, *words):
            best = max(best, difflib.SequenceMatcher(None, query, candidate).ratio())
    return best


def _code_score(query: str, iso3: str, iso2: str = "") -> float:
    """1 for the code itself (ISO3 or ISO2); 0.7 for an ISO3 code with one letter wrong
    (KAS -> KAZ); else 0: codes that merely share letters mean nothing."""
    q = query.upper().replace(" ", "")
    if q in (iso3, iso2):
        return 1.0
    if len(q) == 3 and sum(a == b for a, b in zip(q, iso3, strict=True)) == 2:
        return 0.7
    return 0.0


def suggest(text: str, among: Iterable[str] | None = None, n: int = 5) -> list[str]:
    """The ISO3 codes (of `among`, default every current code) a mistyped country most
    likely means, best first: by name ('kazakstan' -> KAZ) as well as by code ('KAS' ->
    KAZ); none when nothing is close, rather than codes sharing letters."""
    query = _fold(text)
    if not query:
        return []
    codes = list(among) if among is not None else list(BY_ISO3)
    scored = []
    for iso3 in codes:
        country = BY_ISO3.get(iso3)
        score = _code_score(query, iso3, country.iso2 if country else "")
        if country is not None:
            score = max(score, _name_score(query, country))
        elif iso3 == WORLD_ISO3:
            score = max(score, difflib.SequenceMatcher(None, query, "world").ratio())
        if score >= 0.75 or score == 0.7:
            scored.append((-score, iso3))
    return [iso3 for _, iso3 in sorted(scored)[:n]]


def iso2_to_iso3(code: str) -> str | None:
    """ISO2 (as in legacy IMF DOTS keys) to ISO3 from the registry; None when unknown."""
    c = BY_ISO2.get(code.strip().upper())
    return c.iso3 if c else None
