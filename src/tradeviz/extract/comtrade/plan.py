"""What to fetch: years and periods, the default China–Central Asia plan, custom plans, and
an estimate of the calls a plan needs (printed before a fetch starts; `make run` uses it to
pick the HS level without a key). Pure: no HTTP, no raw store."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from tradeviz.errors import InputError
from tradeviz.extract.comtrade.query import LEVELS, MAX_PERIODS_PER_CALL, PlanGroup
from tradeviz.vocab import countries
from tradeviz.vocab.countries import CA_ISO3, CENTRAL_ASIA, CHINA, WORLD_COMTRADE, comtrade_code

# Typical rows one China–Central Asia pair holds per period, all four flows together, by HS
# level and frequency (from the realistic emulator panel, itself sized to the record counts
# reported in issue 12: 49,972 rows for the default plan at HS6, 2019–2021, annual).
# Only used to estimate calls before a fetch; the planner itself learns the real sizes.
TYPICAL_PAIR_ROWS = {
    ("TOTAL", "A"): 4,
    ("AG2", "A"): 135,
    ("AG4", "A"): 740,
    ("AG6", "A"): 1_650,
    ("TOTAL", "M"): 4,
    ("AG2", "M"): 120,
    ("AG4", "M"): 570,
    ("AG6", "M"): 1_050,
}
# Calls fill about this share of the cap on average (HS6 codes vary little in rows per
# code, headings and chapters more); measured against the emulator's realistic panel.
ESTIMATE_FILL = {"AG6": 0.85, "AG4": 0.75, "AG2": 0.75}


def parse_years(text: str | None, today: date | None = None) -> list[int]:
    """'2015-2024', '2019,2021' or None (the last ten complete years)."""
    today = today or date.today()
    if not text:
        return list(range(today.year - 10, today.year))
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                years.update(range(lo, hi + 1))
            else:
                years.add(int(part))
        except ValueError:
            raise InputError(
                f"--years {text!r}: use a range like 2015-2024 or a list like 2019,2021"
            ) from None
    if min(years) < 1962 or max(years) > today.year:
        raise InputError(f"--years {text!r}: years must lie between 1962 and {today.year}")
    return sorted(years)


def periods_for(years: Sequence[int], freq: str, today: date | None = None) -> tuple[str, ...]:
    """Newest first: the largest periods are fetched first and size later batches."""
    today = today or date.today()
    if freq == "A":
        out = [str(y) for y in years]
    else:
        out = [
            f"{y}{m:02d}" for y in years for m in range(1, 13) if (y, m) < (today.year, today.month)
        ]
    return tuple(sorted(out, reverse=True))


def default_plan(periods: tuple[str, ...], level: str) -> list[PlanGroup]:
    """China with each Central Asian country, each of them with China, all six with World."""
    cmd = LEVELS[level]
    ca = tuple(c.comtrade for c in CENTRAL_ASIA)
    return [
        PlanGroup("china-reported", (CHINA.comtrade,), ca, cmd, periods),
        PlanGroup("partner-reported", ca, (CHINA.comtrade,), cmd, periods),
        PlanGroup("world-totals", (CHINA.comtrade, *ca), (WORLD_COMTRADE,), "TOTAL", periods),
    ]


def custom_plan(
    periods: tuple[str, ...],
    level: str,
    reporters: Sequence[str] | None,
    partners: Sequence[str] | None,
) -> list[PlanGroup]:
    reps = tuple(comtrade_code(r) for r in (reporters or [CHINA.iso3]))
    parts = tuple(comtrade_code(p) for p in (partners or CA_ISO3))
    return [PlanGroup("custom", reps, parts, LEVELS[level], periods)]


# -- partners plan (issue 13) ----------------------------------------------------------
def every_country() -> tuple[int, ...]:
    """Comtrade codes of every current country or territory of the registry (no areas, no
    EU aggregate): "every partner" and "every reporter" of the partners plan."""
    return tuple(sorted({c.comtrade for c in countries.COUNTRIES if c.kind == "country"}))


def partners_plan(periods: tuple[str, ...], level: str = "2") -> list[PlanGroup]:
    """Who the five trade with, from both sides (`fetch comtrade --plan partners`): each of
    them as reporter with every partner (World included) at TOTAL and, at --level 2, with
    every partner at HS2 (one group per reporter); every other reporter's trade with each
    of the five at TOTAL (the mirror side, all there is for Turkmenistan most years).
    Explicit code lists, never an omitted partnerCode (which adds regional aggregates)."""
    if level not in ("2", "total"):
        raise InputError(
            f"--plan partners takes --level 2 or total (got {level!r}): it "
            "fetches every partner of five countries, which HS4/HS6 would make "
            "thousands of calls"
        )
    ca = tuple(c.comtrade for c in CENTRAL_ASIA)
    everyone = every_country()
    groups = [PlanGroup("partners-total", ca, (WORLD_COMTRADE, *everyone), "TOTAL", periods)]
    if level == "2":
        groups += [
            PlanGroup(f"partners-hs2-{c.iso3}", (c.comtrade,), everyone, LEVELS["2"], periods)
            for c in CENTRAL_ASIA
        ]
    reporters = tuple(r for r in everyone if r not in ca)
    groups.append(PlanGroup("partners-mirror", reporters, ca, "TOTAL", periods))
    return groups


def typical_period_rows(group: PlanGroup, freq: str) -> float:
    """Rows one period of a group typically holds (a prior: the planner learns the truth)."""
    if group.cmd == "TOTAL":
        return float(group.cells_per_period)
    return float(len(group.reporters) * len(group.partners) * TYPICAL_PAIR_ROWS[(group.cmd, freq)])


def estimate_calls(
    groups: Sequence[PlanGroup], freq: str, cap: int, max_periods: int = MAX_PERIODS_PER_CALL
) -> int:
    """Calls a plan should take on an empty raw store, from typical pair sizes.

    TOTAL groups have an exact bound per period. Other groups: rows / (cap x fill), plus
    two small sizing calls when a single period exceeds the cap. No group takes fewer than
    ceil(periods / max_periods) calls (the live API's periods-per-call limit)."""
    calls = 0
    for g in groups:
        least = math.ceil(len(g.periods) / max_periods)
        if g.cmd == "TOTAL":
            per_call = max(1, min((cap - 1) // (g.cells_per_period), max_periods))
            calls += math.ceil(len(g.periods) / per_call)
            continue
        per_period = typical_period_rows(g, freq)
        rows = per_period * len(g.periods)
        calls += max(least, math.ceil(rows / (cap * ESTIMATE_FILL[g.cmd])))
        if per_period > cap:
            calls += 2
    return calls
