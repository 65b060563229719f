"""The planner: which query to send next for one plan group, given what came back so far.

Pure state machine (no HTTP, no raw store): `next_query()` proposes a call, `observe()` is
told its outcome. The executor answers from the raw store when a query's snapshot exists
and from the API otherwise; either way the planner sees the same outcomes, so a rerun or a
resumed fetch proposes exactly the queries of a clean run, and finds them all stored.

Strategy, cheapest first:
1. whole-level batches of periods (one period first, then as many as the rows seen so far
   say fit under the cap);
2. once one period alone reaches the cap, every period not yet fetched goes into one box
   (all its reporters, partners, flows and periods) asked for in chunks of explicit HS codes
   spread evenly over the HS and sized from the rows per code seen so far
   (`sizing.spread_chunk`): each call then fills most of the cap however small each cell is;
3. a capped answer is never kept as complete: a period batch is halved, a code chunk is
   halved, a single code is split by period, partner, reporter, then flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tradeviz.errors import TruncatedResultError
from tradeviz.extract.comtrade import sizing
from tradeviz.extract.comtrade.query import FLOWS, PlanGroup, Query


def split(query: Query, cap: int) -> list[Query]:
    """Two or more queries that together cover a capped `query` (never the same one)."""
    if len(query.cmd) > 1 and query.explicit_codes:
        mid = len(query.cmd) // 2
        return [replace(query, cmd=query.cmd[:mid]), replace(query, cmd=query.cmd[mid:])]
    for attr in ("periods", "partners", "reporters", "flows"):
        values = getattr(query, attr)
        if len(values) > 1:
            mid = len(values) // 2
            return [replace(query, **{attr: values[:mid]}),
                    replace(query, **{attr: values[mid:]})]
    raise TruncatedResultError(
        f"comtrade: {query.describe()} still returns {cap} rows (the cap) and cannot be split "
        "further. Raise --max-records or set COMTRADE_API_KEY for the keyed tier.")


class GroupPlanner:
    """Queries for one PlanGroup. `codes(level)` returns the HS codes of a level (2, 4 or 6)
    in order; it is called once, the first time a period alone exceeds the cap."""

    def __init__(self, group: PlanGroup, freq: str, cap: int,
                 codes: Callable[[int], Sequence[str]], url_room: Callable[[Query], int],
                 max_periods: int | None = None):
        self.group = group
        self.freq = freq
        self.cap = cap
        self._codes_of = codes
        self._url_room = url_room
        self.max_periods = max_periods
        self.pending: list[Query] = []  # splits of capped answers, done first
        self.start = 0  # next period (index into group.periods) not yet proposed
        self.history: list[tuple[float, float]] = []
        self.box: Query | None = None  # the code-chunk box, once a period exceeds the cap
        self.remaining: list[str] = []  # codes of the box not yet asked for
        self.last_chunk: int | None = None
        self.density: sizing.CodeDensity | None = None
        self.capped = 0

    # -- proposing ------------------------------------------------------------------------
    def next_query(self) -> Query | None:
        if self.pending:
            return self.pending.pop(0)
        if self.box is not None and self.remaining:
            return self._next_chunk()
        left = len(self.group.periods) - self.start
        if left <= 0:
            return None
        g = self.group
        if g.cmd == "TOTAL":
            k = sizing.total_periods_per_call(g.cells_per_period, self.cap, left,
                                              self.max_periods)
        else:
            k = sizing.periods_per_call(self.history, self.start, left, self.cap,
                                        self.max_periods)
        periods = g.periods[self.start:self.start + k]
        query = Query(self.freq, g.reporters, g.partners, periods, (g.cmd,))
        query = self._fit_url(query)
        self.start += len(query.periods)
        return query

    def _fit_url(self, query: Query) -> Query:
        while len(query.periods) > 1 and self._url_room(query) < 0:
            query = replace(query, periods=query.periods[:len(query.periods) // 2])
        return query

    def _next_chunk(self) -> Query:
        assert self.box is not None and self.density is not None
        room = self._url_room(replace(self.box, cmd=("",)))
        chunk = sizing.spread_chunk(self.remaining, self.density, self.cap, room,
                                    self.last_chunk)
        taken = set(chunk)
        self.remaining = [c for c in self.remaining if c not in taken]
        self.last_chunk = len(chunk)
        return replace(self.box, cmd=tuple(chunk))

    # -- learning -------------------------------------------------------------------------
    def observe(self, query: Query, rows: int, capped: bool) -> None:
        """Outcome of `query`: rows returned and whether it reached the cap."""
        if capped:
            self.capped += 1
            self._on_capped(query)
            return
        if query.explicit_codes and self.density is not None and self.box is not None \
                and query.periods == self.box.periods and query.reporters == self.box.reporters \
                and query.partners == self.box.partners and query.flows == self.box.flows:
            self.density.observe(len(query.cmd), rows)
        elif not query.explicit_codes and query.cmd == (self.group.cmd,) \
                and len(query.flows) == len(FLOWS) \
                and query.partners == self.group.partners \
                and query.reporters == self.group.reporters:
            first = self.group.periods.index(query.periods[0])
            mid = first + (len(query.periods) - 1) / 2
            self.history.append((mid, max(rows / len(query.periods), 1.0)))

    def _on_capped(self, query: Query) -> None:
        whole_level = not query.explicit_codes and self.group.cmd not in ("TOTAL",)
        if whole_level and len(query.periods) == 1 and self.box is None \
                and query.reporters == self.group.reporters \
                and query.partners == self.group.partners:
            self._open_box(query)
            return
        if query.explicit_codes and self.density is not None and len(query.cmd) > 1:
            # the chunk holds at least `cap` rows: raise the density floor accordingly
            self.density.floor = max(self.density.floor, self.cap / len(query.cmd))
        self.pending[:0] = split(query, self.cap)

    def _open_box(self, capped: Query) -> None:
        """Every period not yet fetched (the capped one, pending halves, the rest) in one box
        asked for by explicit code lists."""
        g = self.group
        periods = set(capped.periods) | set(g.periods[self.start:])
        for q in self.pending:
            periods |= set(q.periods)
        self.pending = []
        self.start = len(g.periods)
        ordered = tuple(p for p in g.periods if p in periods)
        level = int(g.cmd[2:])
        self.remaining = list(self._codes_of(level))
        self.box = Query(self.freq, g.reporters, g.partners, ordered, ("",))
        self.density = sizing.CodeDensity(cells=g.cells_per_period * len(ordered))
        self.last_chunk = None
