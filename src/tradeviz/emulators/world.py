"""The Comtrade emulator's world panel: every country's trade with the World, by product.

What `fetch comtrade --plan world` asks for (issue 19): each reporter with partner 0
(World), annual, at HS2, HS4 or HS6. Synthetic, deterministic and shaped like the real
thing:
* about 200 reporters: the registry's current countries, less a fixed ~15 % that never
  report, and a few per cent of missing country-years among the rest;
* the real HS6 list of the revision the reporter used that year (the package HS
  reference, codes.parquet), so HS2 and HS4 rows are sums of HS6 rows of that revision;
* skewed product mixes: a country's products are ranked and valued by a power law
  (exports steeper than imports, small countries steeper than large ones), so the top
  few products carry most of its exports, as in real data; a few well-known specialisms
  (Kazakhstan's oil and copper, Uzbekistan's gold and cotton, ...) are put on top;
* a reporter's TOTAL row is the sum of its product rows; for China and the five Central
  Asian countries the product rows add up to the TOTAL the emulator already answered for
  them (their World cell), so the new panel does not contradict the old one.
Re-export and re-import rows are not generated (empty), nor monthly data.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Protocol

import numpy as np

from tradeviz.vocab import countries

CA = tuple(c.comtrade for c in countries.CENTRAL_ASIA)
CHINA = countries.CHINA.comtrade
NEVER_REPORTS = 0.15  # share of countries with no data at all
MISSING_YEAR = 0.04  # share of the other countries' years without data
# Products a few reporters are known for, ranked first in their exports (HS6, stable codes).
SPECIALISMS = {
    398: ("270900", "740311", "720241", "261900", "100199"),  # KAZ: oil, copper, ferrochrome
    860: ("710812", "520100", "271121", "740311"),  # UZB: gold, cotton, gas, copper
    795: ("271121", "270900", "520100"),  # TKM: natural gas, oil, cotton
    417: ("710812", "261690", "740400"),  # KGZ: gold, precious-metal ores
    762: ("760110", "261690", "520100"),  # TJK: aluminium, ores, cotton
    156: ("851712", "847130", "854231", "850760"),  # CHN: phones, laptops, chips, batteries
    643: ("270900", "271019", "271121", "710812"),  # RUS
    682: ("270900", "271019", "390120"),  # SAU
    36: ("260111", "270112", "271111", "710812"),  # AUS
}


class Emulator(Protocol):
    scale: float

    def leaf_values(
        self, freq: str, reporter: int, partner: int, period: str, flow: str
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def cell_lines(self, reporter: int, partner: int, flow: str, year: int) -> int: ...


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the parts."""
    return _seed(*parts) / 2**32


@lru_cache(maxsize=1)
def reporters() -> tuple[int, ...]:
    """Comtrade codes of the panel's reporters: every current country of the registry but
    those that never report (China and the five always included)."""
    every = sorted({c.comtrade for c in countries.COUNTRIES if c.kind == "country"})
    return tuple(c for c in every if c in (CHINA, *CA) or _unit("never", c) >= NEVER_REPORTS)


def reports(reporter: int, year: int) -> bool:
    """Whether a non-slice reporter has world data for a year."""
    return reporter in reporters() and _unit("year", reporter, year) >= MISSING_YEAR


def describe(code: int) -> tuple[str, str] | None:
    """(ISO3, name) of a panel reporter, as Comtrade sends them."""
    country = countries.BY_COMTRADE.get(code)
    if country is None or code not in reporters():
        return None
    return country.iso3, country.name


def _size(reporter: int) -> float:
    """A reporter's economic size, 0 (smallest) to 1 (largest), fixed per country."""
    if reporter == CHINA:
        return 1.0
    return _unit("size", reporter) ** 1.5


@lru_cache(maxsize=8)
def _hs6(rev: str) -> tuple[np.ndarray, np.ndarray]:
    """The HS6 codes of a revision (package reference) and each one's chance of being
    traded (manufactures more often than food and minerals)."""
    from tradeviz.emulators.comtrade import chapter_weight
    from tradeviz.vocab import hs

    ref = hs.code_columns("level", "legacy")
    six = (ref["rev"] == rev) & (ref["level"] == 6) & ~ref["legacy"].astype(bool)
    codes = np.sort(ref.loc[six, "code"].to_numpy(str))
    weights = np.array([chapter_weight(c) for c in codes])
    return codes, weights / weights.sum()


def _revision(reporter: int, year: int) -> str:
    from tradeviz.emulators.comtrade import revision

    return revision(reporter, year)


@lru_cache(maxsize=4096)
def leaves(reporter: int, flow: str, year: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """HS6 codes (sorted) and relative values (summing to 1) of a reporter's exports ("X")
    or imports ("M") with the World in a year."""
    universe, chance = _hs6(_revision(reporter, year))
    size = _size(reporter)
    share = (0.1 + 0.7 * size) if flow == "X" else (0.35 + 0.6 * size)
    n = max(5, min(len(universe), int(len(universe) * share * scale)))
    rng = np.random.default_rng(_seed("mix", reporter, flow))  # the mix, stable over years
    picked = rng.choice(len(universe), size=n, replace=False, p=chance)
    ranked = list(universe[picked])
    if flow == "X":  # known specialisms first
        top = [c for c in SPECIALISMS.get(reporter, ()) if c in set(universe)]
        ranked = top + [c for c in ranked if c not in set(top)][: n - len(top)]
    steep = (1.6 - 0.5 * size) if flow == "X" else (1.0 - 0.2 * size)
    weights = np.arange(1, len(ranked) + 1, dtype=float) ** -steep
    drift = np.random.default_rng(_seed("drift", reporter, flow, year))
    weights *= drift.lognormal(0.0, 0.25, len(ranked))
    keep = drift.random(len(ranked)) > 0.03  # a few lines come and go between years
    keep[: min(3, len(keep))] = True
    codes, weights = np.asarray(ranked)[keep], weights[keep]
    order = np.argsort(codes)
    return codes[order], weights[order] / weights.sum()


def _total(emulator: Emulator, reporter: int, flow: str, year: int) -> float:
    """USD value of a reporter's trade with the World: for China and the five, what the
    emulator answers for their World TOTAL; for others a size-driven figure."""
    if reporter == CHINA:
        return float(emulator.leaf_values("A", reporter, 0, str(year), flow)[1].sum())
    if reporter in CA:
        from tradeviz.emulators import partners

        if not partners.reports(emulator, reporter, year):
            return 0.0
        return float(round(partners.world_value(emulator, reporter, flow, year)))
    if not reports(reporter, year):
        return 0.0
    base = 10 ** (8.3 + 3.6 * _size(reporter))  # ~200 million to ~800 billion USD
    growth = 1.035 ** (year - 2015)
    bias = 0.85 + 0.3 * _unit("balance", reporter, flow)
    return float(round(base * growth * bias))


def values(emulator: Emulator, reporter: int, flow: str, year: int) -> dict[str, float]:
    """HS6 code -> whole USD value of one reporter-flow-year; they sum to its TOTAL."""
    total = _total(emulator, reporter, flow, year)
    if total <= 0:
        return {}
    codes, weights = leaves(reporter, flow, year, float(emulator.scale))
    cents = np.floor(weights * total)
    cents[int(np.argmax(cents))] += total - cents.sum()  # exact: rows add up to TOTAL
    return {c: float(v) for c, v in zip(codes.tolist(), cents.tolist(), strict=True) if v > 0}


def answers(reporter: int, partner: int, freq: str, cmds: list[str] | tuple[str, ...]) -> bool:
    """Whether the world panel answers a cell: annual, partner World, by product (or any
    TOTAL of a reporter outside the China–Central Asia slice, whose World TOTAL the
    emulator's older cells never answered in a plan)."""
    if partner != 0 or freq != "A":
        return False
    by_product = any(c != "TOTAL" for c in cmds)
    return by_product or (reporter not in (CHINA, *CA) and reporter in reporters())


def series(
    emulator: Emulator,
    freq: str,
    reporter: int,
    partner: int,
    period: str,
    flow: str,
    cmds: list[str] | tuple[str, ...],
) -> dict[str, float] | None:
    """cmdCode -> value of one World cell, or None when the panel does not answer it."""
    if not answers(reporter, partner, freq, cmds):
        return None
    if flow not in ("X", "M"):
        return {}
    year = int(period[:4])
    out: dict[str, float] = {}
    for cmd in cmds:
        if cmd == "TOTAL":
            leaf = _sums(emulator, reporter, flow, year, 6)
            if leaf:
                out["TOTAL"] = float(sum(leaf.values()))
        elif cmd.startswith("AG"):
            out.update(_sums(emulator, reporter, flow, year, int(cmd[2:])))
        elif len(cmd) in (2, 4, 6):
            got = _sums(emulator, reporter, flow, year, len(cmd)).get(cmd)
            if got:
                out[cmd] = got
    return out


def _sums(emulator: Emulator, reporter: int, flow: str, year: int, level: int) -> dict[str, float]:
    """values() summed by code at `level` digits, cached on the emulator (explicit code
    lists ask for the same cells many times)."""
    cache = emulator.__dict__.setdefault("_world_sums", {})
    key = (reporter, flow, year, level)
    got = cache.get(key)
    if got is None:
        leaf = values(emulator, reporter, flow, year)
        got = {}
        for code, value in leaf.items():
            got[code[:level]] = got.get(code[:level], 0.0) + value
        cache[key] = got
    return got
