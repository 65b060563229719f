"""The world plan (issue 19): every reporter's exports and imports with the World, by
product, at one HS level; the context the China–Central Asia slice is measured against
(specialisation, complementarity). Pure: no HTTP, no raw store.

Pages come from the same count-driven planner as every other plan: one group holds every
reporter with partner World; a period alone far exceeds a call's cap at HS4/HS6, so the
planner goes straight to balanced chunks of explicit codes. Its call estimate uses rows a
reporter typically holds per year (world trade by product, both flows), not the China–
Central Asia pair sizes of `plan.TYPICAL_PAIR_ROWS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tradeviz.errors import InputError
from tradeviz.extract.comtrade.plan import ESTIMATE_FILL, every_country
from tradeviz.extract.comtrade.query import LEVELS, PlanGroup
from tradeviz.vocab.countries import WORLD_COMTRADE

# Rows one reporter's World trade holds per year, exports and imports together, by level:
# about 5,000 HS6 lines (of ~5,400 codes) for a large economy and a few hundred for a
# small exporter; the emulator's world panel averages these (1 million HS6 rows a year
# over ~200 reporters, the size UN Comtrade's bulk files have).
WORLD_REPORTER_ROWS = {"AG2": 160, "AG4": 1_450, "AG6": 5_100}
# Share of the registry's countries that report in a typical year.
REPORTING_SHARE = 0.8


def world_plan(periods: tuple[str, ...], level: str) -> list[PlanGroup]:
    """Every current country of the registry as reporter, partner World, at `level`."""
    if level not in ("2", "4", "6"):
        raise InputError(
            f"--plan world takes --level 2, 4 or 6 (got {level!r}): it fetches trade by "
            "product; every reporter's TOTAL with the World is HS level `total` of a "
            "custom plan (--partners WLD)"
        )
    return [
        PlanGroup(f"world-hs{level}", every_country(), (WORLD_COMTRADE,), LEVELS[level], periods)
    ]


def world_rows(groups: Sequence[PlanGroup]) -> float:
    """Rows a world plan should bring: reporters that report x typical rows x periods."""
    return sum(
        len(g.reporters) * REPORTING_SHARE * WORLD_REPORTER_ROWS[g.cmd] * len(g.periods)
        for g in groups
    )


def estimate_world_calls(groups: Sequence[PlanGroup], cap: int) -> int:
    """Calls a world plan should take on an empty raw store: its rows over the cap times
    the fill calls reach, plus the scouting calls that size the code chunks."""
    calls = 0
    for g in groups:
        rows = world_rows([g])
        calls += max(1, math.ceil(rows / (cap * ESTIMATE_FILL[g.cmd])))
        calls += 2 * max(1, math.ceil(len(g.periods) / 4))  # scouting, per run of periods
    return calls


def auto_world_level(periods: tuple[str, ...], cap: int, rps: float, budget_minutes: float) -> str:
    """The finest level whose estimated calls fit `budget_minutes` at `rps`; HS2 if none."""
    for level in ("6", "4", "2"):
        calls = estimate_world_calls(world_plan(periods, level), cap)
        if calls / max(rps, 1e-9) <= budget_minutes * 60:
            return level
    return "2"
