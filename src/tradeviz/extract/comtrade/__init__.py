"""UN Comtrade v1: plan the China–Central Asia queries, fetch them, store raw snapshots.

`query` (one call and its pinned parameters), `plan` (years, periods, plan groups, call
estimate), `sizing` (the batch sizer), `planner` (which query next, given the answers so
far) and `executor` (`ComtradeFetcher`: runs planners through the HTTP layer and the raw
store). The names below are the public surface used by the CLI, tests, bench and demo.
"""

from tradeviz.extract.comtrade.executor import ComtradeFetcher, FetchStats
from tradeviz.extract.comtrade.plan import (
    custom_plan,
    default_plan,
    estimate_calls,
    parse_years,
    partners_plan,
    periods_for,
)
from tradeviz.extract.comtrade.query import (
    FLOWS,
    KEYED_CAP,
    LEVELS,
    MAX_PERIODS_PER_CALL,
    PINNED,
    PREVIEW_CAP,
    SOURCE,
    URL_LIMIT,
    PlanGroup,
    Query,
    validate_body,
)

__all__ = [
    "FLOWS",
    "KEYED_CAP",
    "LEVELS",
    "MAX_PERIODS_PER_CALL",
    "PINNED",
    "PREVIEW_CAP",
    "SOURCE",
    "URL_LIMIT",
    "ComtradeFetcher",
    "FetchStats",
    "PlanGroup",
    "Query",
    "custom_plan",
    "default_plan",
    "estimate_calls",
    "parse_years",
    "partners_plan",
    "periods_for",
    "validate_body",
]
