"""The planner: which query to send next for one plan group, given what came back so far.

Pure state machine (no HTTP, no raw store): `next_query()` proposes a call, `observe()` is
told its outcome. The executor answers from the raw store when a query's snapshot exists
and from the API otherwise; either way the planner sees the same outcomes, so a rerun or a
resumed fetch proposes exactly the queries of a clean run, and finds them all stored.

Strategy, cheapest first:
1. whole-level batches of periods (one period first, then as many as the rows seen so far
   say fit under the cap);
2. once one period alone reaches the cap (or would, by the prior), every period not yet
   fetched goes into one box (all the group's reporters, partners, flows and periods): a
   few growing chunks of explicit HS codes spread evenly over the HS, across the whole box,
   measure its rows per code; the box is then cut by periods so that a chunk's codes fit
   in the URL, and each cut is emptied in balanced chunks sized to stay under the cap by
   two standard deviations (`sizing.chunk_size`). Each call fills most of the cap however
   small each cell is;
3. a capped answer is never kept as complete: a period batch is halved, a code chunk is
   halved, a single code is split by period, partner, reporter, then flow;
4. a call the server refuses for a limit (HTTP 414 on the URL's length, too many periods)
   is split along the list that makes it long and asked again (`refuse`).
With a periods-per-call limit, the box is scouted over its first `max_periods` periods
and every cut holds at most that many.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from tradeviz.errors import HttpError, TruncatedResultError
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
            return [replace(query, **{attr: values[:mid]}), replace(query, **{attr: values[mid:]})]
    raise TruncatedResultError(
        f"comtrade: {query.describe()} still returns {cap} rows (the cap) and cannot be split "
        "further. Raise --max-records or set COMTRADE_API_KEY for the keyed tier."
    )


def split_long(query: Query, kind: str) -> list[Query]:
    """Two queries that together cover `query`, refused by the server for its URL length
    ("url": the list with the most characters is halved) or its periods ("periods")."""
    if kind == "periods":
        names = ["periods"]
    else:
        lists = {
            "cmd": query.cmd if query.explicit_codes else (),
            "partners": tuple(map(str, query.partners)),
            "reporters": tuple(map(str, query.reporters)),
            "periods": query.periods,
        }
        names = sorted(lists, key=lambda n: -sum(len(v) + 3 for v in lists[n]))
    for name in names:
        values = getattr(query, name)
        if len(values) > 1 and (name != "cmd" or query.explicit_codes):
            mid = len(values) // 2
            return [replace(query, **{name: values[:mid]}), replace(query, **{name: values[mid:]})]
    what = "periods" if kind == "periods" else "URL length"
    raise HttpError(
        f"comtrade: {query.describe()} is refused for its {what}"
        " and cannot be split further; lower TRADEVIZ_COMTRADE_URL_LIMIT or ask for fewer "
        "reporters or partners at once"
    )


# A period whose typical rows exceed this many caps goes straight to code chunks: asking
# for it whole would only return a capped answer.
SKIP_WHOLE_CAPS = 8
CUT_URL_SHARE = 0.8  # cut a box so that a chunk needs at most this share of the URL room


class GroupPlanner:
    """Queries for one PlanGroup. `codes(level)` returns the HS codes of a level (2, 4 or 6)
    in order; it is called once, the first time a period alone exceeds the cap. `prior` is
    the rows one period typically holds (plan.typical_period_rows), or None; `bounds` the
    most rows each period can hold, from the availability probe, or None. Bounds only ever
    make calls larger when they prove the answer stays under the cap."""

    def __init__(
        self,
        group: PlanGroup,
        freq: str,
        cap: int,
        codes: Callable[[int], Sequence[str]],
        url_room: Callable[[Query], int],
        max_periods: int | None = None,
        prior: float | None = None,
        bounds: dict[str, int] | None = None,
    ):
        self.group = group
        self.bounds = bounds  # upper bound of rows per period, from the availability probe
        if bounds is not None and prior is not None:
            prior = min(prior, float(max((bounds.get(p, 0) for p in group.periods), default=0)))
        self.freq = freq
        self.cap = cap
        self._codes_of = codes
        self._url_room = url_room
        self.max_periods = max_periods
        self.prior = prior
        self.pending: list[Query] = []  # splits of capped answers, done first
        self.start = 0  # next period (index into group.periods) not yet proposed
        self.history: list[tuple[float, float]] = []
        self.box: Query | None = None  # the code-chunk box, once a period exceeds the cap
        self.remaining: list[str] = []  # codes of the box not yet asked for in every period
        self.scout: sizing.CodeDensity | None = None  # the whole box, while scouting
        self.last_chunk: int | None = None
        self.cuts: list[tuple[str, ...]] = []  # period sets of the smaller boxes still to do
        self.cut: tuple[str, ...] | None = None
        self.cut_remaining: list[str] = []
        self.density: sizing.CodeDensity | None = None  # of the current smaller box
        self.capped = 0
        self._residuals: list[float] = []  # (rows - predicted)^2 / codes of cut chunks
        self.refused = 0  # calls refused for a limit (URL length, periods) and split
        self.scout_periods: tuple[str, ...] = ()  # the box's periods its scouting asks for
        if prior is not None and group.cmd.startswith("AG") and prior >= SKIP_WHOLE_CAPS * cap:
            self._open_box(group.periods)

    # -- proposing ------------------------------------------------------------------------
    def next_query(self) -> Query | None:
        if self.pending:
            return self.pending.pop(0)
        if self.box is not None:
            query = self._next_chunk()
            if query is not None:
                return query
        left = len(self.group.periods) - self.start
        if left <= 0:
            return None
        g = self.group
        bounded = 0
        if self.bounds is not None and g.cmd != "TOTAL":
            bounded = sizing.bounded_periods(
                [self.bounds.get(p, 0) for p in g.periods[self.start :]], self.cap, self.max_periods
            )
        if bounded:
            k = bounded
        elif g.cmd == "TOTAL":
            k = sizing.total_periods_per_call(g.cells_per_period, self.cap, left, self.max_periods)
        else:
            k = sizing.periods_per_call(
                self.history, self.start, left, self.cap, self.max_periods, prior=self.prior
            )
        periods = g.periods[self.start : self.start + k]
        query = Query(self.freq, g.reporters, g.partners, periods, (g.cmd,))
        query = self._fit_url(query)
        self.start += len(query.periods)
        return query

    def _fit_url(self, query: Query) -> Query:
        while len(query.periods) > 1 and self._url_room(query) < 0:
            query = replace(query, periods=query.periods[: len(query.periods) // 2])
        return query

    def _next_chunk(self) -> Query | None:
        """Scout the whole box with small, growing chunks; then cut it by periods into boxes
        whose chunks fit the URL, and empty each one in balanced chunks."""
        assert self.box is not None
        if self.scout is not None:
            if self.remaining and self.scout.rows < sizing.SCOUT_ROWS:
                scout_box = replace(self.box, periods=self.scout_periods)
                size = sizing.chunk_size(self.scout, self.cap)
                size = min(size, sizing.codes_in_room(self.remaining, self._room(scout_box)))
                if self.last_chunk:
                    size = min(size, int(self.last_chunk * sizing.GROWTH))
                chunk = sizing.spread_chunk(self.remaining, size)
                self.remaining = _without(self.remaining, chunk)
                self.last_chunk = len(chunk)
                return replace(scout_box, cmd=tuple(chunk))
            self._cut_box()
        while self.cut is not None or self.cuts:
            if self.cut is None or not self.cut_remaining:
                if not self.cuts:
                    self.cut = None
                    break
                self._next_cut()
                continue
            assert self.density is not None
            query = replace(self.box, periods=self.cut, cmd=("",))
            most = min(
                sizing.chunk_size(self.density, self.cap, self._chunk_var()),
                sizing.codes_in_room(self.cut_remaining, self._room(query)),
            )
            chunk = sizing.spread_chunk(
                self.cut_remaining, sizing.balanced(len(self.cut_remaining), most)
            )
            self.cut_remaining = _without(self.cut_remaining, chunk)
            return replace(query, cmd=tuple(chunk))
        return None

    def _chunk_var(self) -> float | None:
        """Variance per code of cut chunks about their prediction, once enough are seen."""
        if len(self._residuals) < sizing.CHUNK_VAR_MIN:
            return None
        return sum(self._residuals) / len(self._residuals)

    def _room(self, query: Query) -> int:
        return self._url_room(replace(query, cmd=("",)))

    def _cut_box(self) -> None:
        """Cut the box into runs of periods small enough that a chunk's codes fit in the URL
        (larger chunks average out code-to-code differences), each starting from the
        whole box's rows per code scaled to its share of periods."""
        assert self.box is not None and self.scout is not None
        scouted = self.scout_periods
        rest = tuple(p for p in self.box.periods if p not in set(scouted))
        mean, var, _ = self.scout.mean_var()
        room = self._room(replace(self.box, periods=scouted))
        fit = sizing.codes_in_room(self.remaining or ["0" * 6], room)
        per_period = max(mean / len(scouted), 1e-6)
        m = math.ceil(self.cap * sizing.FILL / (per_period * CUT_URL_SHARE * fit))
        m = max(1, min(m, len(self.box.periods), self.max_periods or len(self.box.periods)))
        self.cuts = [scouted[i : i + m] for i in range(0, len(scouted), m)]
        self.cuts += [rest[i : i + m] for i in range(0, len(rest), m)]
        self._scout_stats = (mean, var, len(scouted))
        self.scout = None
        self.cut = None

    def _next_cut(self) -> None:
        mean, var, n = self._scout_stats
        self.cut = self.cuts.pop(0)
        share = len(self.cut) / n
        if set(self.cut) <= set(self.scout_periods):
            self.cut_remaining = list(self.remaining)  # the scouted codes are fetched there
        else:
            self.cut_remaining = list(self._codes_of(int(self.group.cmd[2:])))
        cells = self.group.cells_per_period * len(self.cut)
        self.density = sizing.CodeDensity(cells=cells, prior=(mean * share, var * share))

    # -- learning -------------------------------------------------------------------------
    def observe(self, query: Query, rows: int, capped: bool, sumsq: float | None = None) -> None:
        """Outcome of `query`: rows returned, whether it reached the cap, and for explicit
        code lists the sum over codes of (rows per code) squared."""
        if capped:
            self.capped += 1
            self._on_capped(query)
            return
        density = self._density_for(query)
        if density is not None:
            mean, _, basis = density.mean_var()
            if density is self.density and density.rows >= sizing.PRIOR_ROWS:
                # a cut's chunk sized from the cut's own rows: how far off was it?
                self._residuals.append((rows - mean * len(query.cmd)) ** 2 / len(query.cmd))
            density.observe(
                len(query.cmd),
                rows,
                float(sumsq if sumsq is not None else rows * rows / len(query.cmd)),
            )
        elif (
            not query.explicit_codes
            and query.cmd == (self.group.cmd,)
            and len(query.flows) == len(FLOWS)
            and query.partners == self.group.partners
            and query.reporters == self.group.reporters
        ):
            first = self.group.periods.index(query.periods[0])
            mid = first + (len(query.periods) - 1) / 2
            self.history.append((mid, max(rows / len(query.periods), 1.0)))

    def _density_for(self, query: Query) -> sizing.CodeDensity | None:
        """The box a chunk (or a code-halved part of one) was asked for in."""
        if not query.explicit_codes or self.box is None:
            return None
        same = (
            query.reporters == self.box.reporters
            and query.partners == self.box.partners
            and query.flows == self.box.flows
        )
        if not same:
            return None
        if self.scout is not None and query.periods == self.scout_periods:
            return self.scout
        if self.cut is not None and query.periods == self.cut:
            return self.density
        return None

    def _on_capped(self, query: Query) -> None:
        whole_level = not query.explicit_codes and self.group.cmd != "TOTAL"
        if (
            whole_level
            and len(query.periods) == 1
            and self.box is None
            and query.reporters == self.group.reporters
            and query.partners == self.group.partners
        ):
            periods = set(query.periods) | set(self.group.periods[self.start :])
            for q in self.pending:
                periods |= set(q.periods)
            self._open_box(tuple(p for p in self.group.periods if p in periods))
            return
        density = self._density_for(query)
        if density is not None and len(query.cmd) > 1:
            # the chunk holds at least `cap` rows: its codes average at least cap / codes
            density.floor = max(density.floor, self.cap / len(query.cmd))
        self.pending[:0] = split(query, self.cap)

    def _open_box(self, periods: tuple[str, ...]) -> None:
        """Every period not yet fetched in one box (all the group's reporters, partners and
        flows), asked for by explicit code lists."""
        g = self.group
        self.pending = []
        self.start = len(g.periods)
        self.remaining = list(self._codes_of(int(g.cmd[2:])))
        self.box = Query(self.freq, g.reporters, g.partners, periods, ("",))
        self.scout_periods = periods[: self.max_periods] if self.max_periods else periods
        self.scout = sizing.CodeDensity(cells=g.cells_per_period * len(self.scout_periods))
        self.last_chunk = None

    def refuse(self, query: Query, kind: str) -> None:
        """The server refused `query` for a limit: "url" (HTTP 414, or longer than the
        client's own limit) or "periods" (too many in one call). Its parts are asked next;
        after a periods refusal no later call asks for as many."""
        self.refused += 1
        if kind == "periods":
            most = max(1, len(query.periods) - 1)
            self.max_periods = min(self.max_periods or most, most)
        self.pending[:0] = split_long(query, kind)


def _without(codes: list[str], taken: list[str]) -> list[str]:
    drop = set(taken)
    return [c for c in codes if c not in drop]
