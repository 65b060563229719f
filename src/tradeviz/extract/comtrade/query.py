"""One Comtrade v1 data call (`Query`), a block of the fetch plan (`PlanGroup`), the
pinned parameters every call sends, and the check that a response is a whole v1 envelope.

Pure: no HTTP, no raw store. The planner, the batch sizer and the executor all speak these.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeviz.config import DEFAULT_MAX_PERIODS, DEFAULT_URL_LIMIT
from tradeviz.extract.v1_rows import validate_v1 as validate_body  # noqa: F401 (API)
from tradeviz.formats.comtrade_v1 import PINNED  # defined once, shared with demo and emulator
from tradeviz.store.raw import query_key
from tradeviz.vocab.countries import BY_COMTRADE, WORLD_COMTRADE

SOURCE = "comtrade"
FLOWS = ("M", "X", "RM", "RX")
LEVELS = {"total": "TOTAL", "2": "AG2", "4": "AG4", "6": "AG6"}
PREVIEW_CAP = 500
KEYED_CAP = 100_000
# The live service's limits (issue 22; the defaults of the settings in config.py, which
# name their sources): HTTP 414 a little past 2,000 URL characters, so plan to 1,900; at
# most 12 periods per call.
URL_LIMIT = DEFAULT_URL_LIMIT
MAX_PERIODS_PER_CALL: int = DEFAULT_MAX_PERIODS
DESCRIBE_MAX_NAMES = 8  # Query.describe names up to this many countries, then counts them


@dataclass(frozen=True)
class Query:
    """One API call's data filters (the tier, cap and key are not part of its identity)."""

    freq: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    periods: tuple[str, ...]
    cmd: tuple[str, ...]
    flows: tuple[str, ...] = FLOWS

    def params(self) -> dict[str, str]:
        return {
            "reporterCode": ",".join(map(str, self.reporters)),
            "partnerCode": ",".join(map(str, self.partners)),
            "period": ",".join(self.periods),
            "cmdCode": ",".join(self.cmd),
            "flowCode": ",".join(self.flows),
            **PINNED,
        }

    @property
    def key(self) -> str:
        return query_key(SOURCE, {"freq": self.freq, **self.params()})

    @property
    def explicit_codes(self) -> bool:
        """True when cmd lists HS codes (not TOTAL or a whole level AG2/4/6)."""
        return not any(c == "TOTAL" or c.startswith("AG") for c in self.cmd)

    def upper_bound(self) -> int | None:
        """Most rows this query can return, when its codes are explicit (not AG2/4/6)."""
        if any(c.startswith("AG") for c in self.cmd):
            return None
        return (
            len(self.reporters)
            * len(self.partners)
            * len(self.periods)
            * len(self.cmd)
            * len(self.flows)
        )

    def describe(self) -> str:
        """A short label for logs and errors: ISO3 codes, or a count past a few (a
        partners-plan query lists ~240 partners, which would swamp every log line)."""

        def names(codes: tuple[int, ...], what: str) -> str:
            if len(codes) > DESCRIBE_MAX_NAMES:
                return f"{len(codes)} {what}"
            return "+".join(
                BY_COMTRADE[c].iso3
                if c in BY_COMTRADE
                else ("WLD" if c == WORLD_COMTRADE else str(c))
                for c in codes
            )

        periods = (
            self.periods[0]
            if len(self.periods) == 1
            else f"{self.periods[-1]}..{self.periods[0]}({len(self.periods)})"
        )
        cmd = (
            self.cmd[0]
            if len(self.cmd) == 1
            else f"{len(self.cmd)} codes {self.cmd[0]}..{self.cmd[-1]}"
        )
        return (
            f"{names(self.reporters, 'reporters')}->{names(self.partners, 'partners')} "
            f"{periods} {cmd}"
        )


@dataclass(frozen=True)
class PlanGroup:
    """Reporters × partners at one HS level over all periods; batched into Queries."""

    name: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    cmd: str
    periods: tuple[str, ...]

    @property
    def cells_per_period(self) -> int:
        return len(self.reporters) * len(self.partners) * len(FLOWS)
