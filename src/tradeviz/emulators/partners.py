"""The Comtrade emulator's partner panel: who each Central Asian country trades with.

Synthetic, deterministic and shaped like the real thing: dozens of partners per country,
a few dominant (China, Russia, Kazakhstan for its neighbours, Türkiye, Italy, Germany,
Korea, Iran …), shares that drift over the years so that China overtakes Russia in some
countries and not (yet) in others, "Areas, nes" rows so that partner rows fall a little
short of the World row, and reporters that skip years (Turkmenistan reports almost never,
so its trade exists only in its partners' mirror reports).

`series(emulator, freq, reporter, partner, period, flow, cmds)` answers one cell at TOTAL,
AG2 or explicit 2-digit codes, annual, for:
* a Central Asian reporter with any partner other than China (World included): the World
  value of a flow is China's value (the emulator's own China cell, untouched) divided by
  China's share, so every share here is exact by construction;
* any other reporter (not China) with a Central Asian partner: the mirror report, i.e. the
  Central Asian side's value times a CIF/FOB factor and a few per cent of noise.
It returns None for everything else (the emulator then answers as before).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Protocol

import numpy as np

from tradeviz.vocab import countries

CA = tuple(c.comtrade for c in countries.CENTRAL_ASIA)
CHINA = countries.CHINA.comtrade
AREAS_NES = 899
# The panel's partners by Comtrade code; ISO3 and names come from the country registry
# (vocab/countries.py, built from Comtrade's own lists, so they are what Comtrade sends).
PANEL_CODES: tuple[int, ...] = (
    156,
    398,
    417,
    762,
    795,
    860,
    643,
    792,
    276,
    380,
    251,
    528,
    56,
    724,
    616,
    826,
    364,
    410,
    392,
    842,
    699,
    784,
    4,
    112,
    804,
    31,
    268,
    51,
    757,
    440,
    428,
    233,
    203,
    40,
    246,
    752,
    348,
    642,
    100,
    300,
    586,
    496,
    124,
    76,
    376,
    682,
    458,
    704,
    764,
    702,
    344,
    208,
    579,
    191,
    AREAS_NES,
)
_REGISTRY = {c.comtrade: c for c in countries.ALL}  # areas too: 899 "Areas, nes"
# Comtrade code -> (ISO3 as Comtrade sends it, name).
PARTNERS: dict[int, tuple[str, str]] = {
    code: (_REGISTRY[code].iso3, _REGISTRY[code].name) for code in PANEL_CODES
}
BY_ISO3 = {iso: code for code, (iso, _) in PARTNERS.items()}
# Dominant partners: (share 2015, share 2024) of exports and of imports, in per cent.
# China and Russia cross in the same year in both flows where they cross at all, so the
# year China becomes first by total trade does not depend on the export/import mix.
DOMINANT: dict[int, dict[str, tuple[tuple[float, float], tuple[float, float]]]] = {
    398: {
        "CHN": ((6, 14), (16, 30)),
        "RUS": ((14.6, 10.6), (29, 25)),
        "ITA": ((20, 14), (2, 2)),
        "NLD": ((10, 7), (2, 2)),
        "FRA": ((6, 5), (2, 2)),
        "TUR": ((3, 4), (2, 3)),
        "UZB": ((3, 4), (2, 3)),
        "KOR": ((1, 2), (3, 5)),
        "DEU": ((2, 2), (5, 5)),
        "CHE": ((5, 3), (1, 1)),
        "USA": ((2, 2), (4, 3)),
    },
    417: {
        "CHN": ((20, 16), (40, 52)),
        "RUS": ((15, 12), (28, 22)),
        "KAZ": ((18, 14), (14, 9)),
        "GBR": ((18, 22), (1, 1)),
        "TUR": ((7, 6), (4, 4)),
        "UZB": ((8, 8), (3, 3)),
        "ARE": ((3, 5), (1, 1)),
        "DEU": ((1, 1), (2, 2)),
    },
    762: {
        "CHN": ((8, 12), (10, 18)),
        "RUS": ((16, 14), (30, 26)),
        "KAZ": ((20, 24), (18, 16)),
        "TUR": ((14, 10), (5, 5)),
        "CHE": ((14, 16), (1, 1)),
        "UZB": ((4, 8), (6, 6)),
        "IRN": ((4, 3), (3, 2)),
        "AFG": ((6, 4), (1, 1)),
    },
    795: {
        "CHN": ((70, 72), (25, 27)),
        "TUR": ((5, 5), (18, 15)),
        "RUS": ((4, 8), (12, 16)),
        "IRN": ((6, 3), (6, 5)),
        "AFG": ((4, 3), (1, 1)),
        "ARE": ((1, 1), (6, 6)),
        "DEU": ((1, 1), (5, 4)),
        "UZB": ((2, 3), (3, 4)),
        "KAZ": ((1, 1), (3, 4)),
    },
    860: {
        "CHN": ((14, 20), (16, 23)),
        "RUS": ((18.5, 15), (20.5, 18)),
        "KAZ": ((12, 10), (9, 8)),
        "TUR": ((10, 8), (5, 6)),
        "KOR": ((1, 1), (9, 6)),
        "AFG": ((4, 4), (1, 1)),
        "KGZ": ((3, 4), (2, 2)),
        "DEU": ((1, 1), (4, 4)),
        "CHE": ((8, 12), (1, 1)),
    },
}
NES_SHARE = 0.012  # "Areas, nes": the part of World no country row accounts for
# Partners (other than the dominant ones) each country trades with, by share of the tail.
TAIL = {398: 44, 417: 30, 762: 26, 795: 22, 860: 38}
# Years a reporter skipped (besides Turkmenistan, which the emulator has reporting only
# 1997-2000, and Uzbekistan only from 2017): its trade then shows only in mirror data.
GAPS: dict[int, frozenset[int]] = {
    364: frozenset(range(2019, 2100)),  # Iran stops reporting after 2018
    4: frozenset(range(2021, 2100)),  # Afghanistan
    784: frozenset(range(2015, 2019)),  # United Arab Emirates
    804: frozenset({2022}),
}
CIF_FACTOR = 1.06  # an importer's CIF value over the exporter's FOB value


class Emulator(Protocol):
    def leaf_values(
        self, freq: str, reporter: int, partner: int, period: str, flow: str
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def cell_lines(self, reporter: int, partner: int, flow: str, year: int) -> int: ...


def _seed(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _interp(pair: tuple[float, float], year: int) -> float:
    t = min(max((year - 2015) / 9, -0.5), 1.2)
    return max(pair[0] + (pair[1] - pair[0]) * t, 0.05)


@lru_cache(maxsize=16)
def _tail_partners(country: int) -> tuple[int, ...]:
    """The long tail of partners a country trades with (deterministic per country)."""
    dominant = {BY_ISO3[iso] for iso in DOMINANT[country]}
    pool = sorted(c for c in PARTNERS if c not in dominant and c not in (country, AREAS_NES))
    rng = np.random.default_rng(_seed("tail", country))
    n = min(TAIL[country], len(pool))
    return tuple(sorted(rng.choice(pool, size=n, replace=False).tolist()))


@lru_cache(maxsize=4096)
def shares(country: int, flow: str, year: int) -> dict[int, float]:
    """Share of each partner code (Areas, nes included) in a country's exports ("X") or
    imports ("M") in a year; they sum to 1."""
    idx = 0 if flow == "X" else 1
    dominant = {BY_ISO3[iso]: _interp(v[idx], year) / 100 for iso, v in DOMINANT[country].items()}
    tail = _tail_partners(country)
    rng = np.random.default_rng(_seed("tailw", country, flow))
    weights = rng.lognormal(0.0, 1.0, size=len(tail))
    jitter = np.random.default_rng(_seed("jit", country, flow, year)).uniform(0.85, 1.15, len(tail))
    weights = weights * jitter
    rest = max(1.0 - NES_SHARE - sum(dominant.values()), 0.05)
    out = dict(dominant)
    out.update(zip(tail, (rest * weights / weights.sum()).tolist(), strict=True))
    total = sum(out.values())
    out = {k: v * (1 - NES_SHARE) / total for k, v in out.items()}
    out[AREAS_NES] = NES_SHARE
    return out


def reports(emulator: Emulator, reporter: int, year: int) -> bool:
    """Whether a reporter has data for a year (the emulator's own years, minus GAPS)."""
    if year in GAPS.get(reporter, frozenset()):
        return False
    return emulator.cell_lines(reporter, 0, "X", year) > 0


@lru_cache(maxsize=4096)
def _leaf_total(emulator: Emulator, reporter: int, partner: int, flow: str, year: int) -> float:
    return float(emulator.leaf_values("A", reporter, partner, str(year), flow)[1].sum())


def world_value(emulator: Emulator, country: int, flow: str, year: int) -> float:
    """A Central Asian country's World exports ("X") or imports ("M"): its trade with China
    over China's share. China's value is the country's own China cell when it reported
    that year, else China's report of the same trade (CIF/FOB adjusted)."""
    own = _leaf_total(emulator, country, CHINA, flow, year)
    if own <= 0:
        mirror_flow = "M" if flow == "X" else "X"
        own = _leaf_total(emulator, CHINA, country, mirror_flow, year)
        own = own / CIF_FACTOR if flow == "X" else own * CIF_FACTOR
    return own / shares(country, flow, year)[CHINA]


@lru_cache(maxsize=4096)
def panel_values(emulator: Emulator, country: int, flow: str, year: int) -> dict[int, float]:
    """USD value of a Central Asian country's exports ("X") or imports ("M") by partner code.

    China and the other dominant partners are their share of World; a trade between two
    Central Asian countries is pinned to what the one with the lower code says (flows
    swapped, CIF/FOB adjusted), so the two reports of it agree; the tail of small partners
    fills what is left, and "Areas, nes" keeps its share of World."""
    world = world_value(emulator, country, flow, year)
    base = shares(country, flow, year)
    other = "M" if flow == "X" else "X"
    pinned: dict[int, float] = {}
    for partner in CA:
        if partner < country:
            theirs = panel_values(emulator, partner, other, year).get(country, 0.0)
            if theirs > 0:
                pinned[partner] = theirs / CIF_FACTOR if flow == "X" else theirs * CIF_FACTOR
    dominant = {BY_ISO3[iso] for iso in DOMINANT[country]} | {AREAS_NES}
    fixed = {k: world * v for k, v in base.items() if k in dominant and k not in pinned}
    tail = {k: v for k, v in base.items() if k not in dominant and k not in pinned}
    room = max(world - sum(fixed.values()) - sum(pinned.values()), 0.02 * world)
    weight = sum(tail.values())
    return {**fixed, **pinned, **{k: room * v / weight for k, v in tail.items()}}


def true_value(emulator: Emulator, country: int, partner: int, flow: str, year: int) -> float:
    """What the Central Asian country traded with `partner` (0 = World) in its own terms."""
    if partner == 0:
        return world_value(emulator, country, flow, year)
    return panel_values(emulator, country, flow, year).get(partner, 0.0)


def _value(emulator: Emulator, reporter: int, partner: int, flow: str, year: int) -> float | None:
    """The TOTAL value a reporter reports for a cell, or None when the panel has no say.
    The panel has no re-export/re-import rows, nor partners outside PARTNERS."""
    if reporter in CA and partner != CHINA:  # a Central Asian country's own report
        if (
            flow not in ("X", "M")
            or partner == reporter
            or (partner != 0 and partner not in PARTNERS)
            or not reports(emulator, reporter, year)
        ):
            return 0.0
        return true_value(emulator, reporter, partner, flow, year)
    if reporter not in CA and reporter != CHINA and partner in CA:  # a mirror report
        if (
            flow not in ("X", "M")
            or reporter not in PARTNERS
            or reporter == AREAS_NES
            or not reports(emulator, reporter, year)
        ):
            return 0.0
        ca_flow = "M" if flow == "X" else "X"  # the reporter's exports are the CA's imports
        value = true_value(emulator, partner, reporter, ca_flow, year)
        noise = np.random.default_rng(_seed("mirror", reporter, partner, flow, year)).uniform(
            0.94, 1.06
        )
        return value * noise * (CIF_FACTOR if flow == "M" else 1.0)
    return None


def chapters(reporter: int, partner: int, flow: str, year: int, total: float) -> dict[str, float]:
    """The total split over HS chapters, whole dollars, summing exactly to round(total)."""
    whole = float(round(total))
    if whole <= 0:
        return {}
    universe = [f"{c:02d}" for c in range(1, 98) if c != 77]
    big = whole > 5e8
    rng = np.random.default_rng(_seed("ch", reporter, partner, flow, year))
    n = int(rng.integers(35, 70) if big else rng.integers(4, 25))
    picked = sorted(rng.choice(universe, size=n, replace=False).tolist())
    weights = rng.dirichlet(np.full(n, 0.4))
    values = np.floor(weights * whole)
    values[int(np.argmax(values))] += whole - values.sum()
    return {c: float(v) for c, v in zip(picked, values, strict=True) if v > 0}


def series(
    emulator: Emulator,
    freq: str,
    reporter: int,
    partner: int,
    period: str,
    flow: str,
    cmds: list[str] | tuple[str, ...],
) -> dict[str, float] | None:
    """cmdCode -> value of one cell, or None when the panel does not answer it (monthly
    data, HS4/HS6 detail, China's own reports and the cells the emulator had before)."""
    if freq != "A" or any(
        c in ("AG4", "AG6") or (c != "TOTAL" and not c.startswith("AG") and len(c) != 2)
        for c in cmds
    ):
        return None
    year = int(period[:4])
    value = _value(emulator, reporter, partner, flow, year)
    if value is None:
        return None
    if value <= 0:
        return {}
    out: dict[str, float] = {}
    split = chapters(reporter, partner, flow, year, value)
    for cmd in cmds:
        if cmd == "TOTAL":
            out["TOTAL"] = float(round(value))
        elif cmd == "AG2":
            out.update(split)
        elif cmd in split:
            out[cmd] = split[cmd]
    return out


def describe(code: int) -> tuple[str, str] | None:
    """(ISO3 as Comtrade sends it, name) of a panel partner code, or None."""
    return PARTNERS.get(code)
