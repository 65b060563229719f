"""The partners plan (`tradeviz fetch comtrade --plan partners`): who the five Central Asian
countries trade with, from both reporting sides.

* each of the five as reporter with every partner (World included) at TOTAL, and with
  every partner at HS2 (one group per reporter, so the batch sizer learns each one's size);
* every reporter's trade with each of the five at TOTAL: the mirror side, which is all
  there is for Turkmenistan in most years.

"Every partner" and "every reporter" are explicit lists of the current country codes of the
registry (tradeviz.vocab.countries), not an omitted partnerCode: an omitted code also
returns regional aggregates (double counting), and an explicit list can be split when a
response reaches the record cap. Same raw layer, caps and resume rules as the default plan.
"""

from __future__ import annotations

from tradeviz.extract.comtrade import LEVELS, PlanGroup
from tradeviz.vocab import countries
from tradeviz.vocab.countries import CENTRAL_ASIA, WORLD_COMTRADE


def every_country() -> tuple[int, ...]:
    """Comtrade codes of every current country or territory (no areas, no EU aggregate)."""
    return tuple(sorted({c.comtrade for c in countries.COUNTRIES if c.kind == "country"}))


def partners_plan(periods: tuple[str, ...], level: str = "2") -> list[PlanGroup]:
    """Plan groups of the partners plan. `level` is the detail of the own-report side:
    "2" (the issue's TOTAL and HS2) or "total" (TOTAL only, the cheapest); mirror reports
    are always TOTAL."""
    if level not in ("2", "total"):
        raise ValueError(f"--plan partners takes --level 2 or total (got {level!r}): it "
                         "fetches every partner of five countries, which HS4/HS6 would make "
                         "thousands of calls")
    ca = tuple(c.comtrade for c in CENTRAL_ASIA)
    everyone = every_country()
    groups = [PlanGroup("partners-total", ca, (WORLD_COMTRADE, *everyone), "TOTAL", periods)]
    if level == "2":
        groups += [PlanGroup(f"partners-hs2-{c.iso3}", (c.comtrade,), everyone, LEVELS["2"],
                             periods) for c in CENTRAL_ASIA]
    reporters = tuple(r for r in everyone if r not in ca)
    groups.append(PlanGroup("partners-mirror", reporters, ca, "TOTAL", periods))
    return groups
