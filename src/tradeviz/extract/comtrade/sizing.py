"""The batch sizer: how much one call can ask for without reaching the record cap.

Pure functions of what has been observed so far; no HTTP, no raw store. Two shapes of call:
* a batch of periods at a whole HS level (AG2/4/6 or TOTAL), sized from rows per period
  seen in earlier batches of the same group;
* a chunk of explicit HS codes across every period, flow, reporter and partner of a group,
  spread evenly over the HS and sized from rows per code seen so far (`CodeDensity`).
A wrong guess costs one capped call (never data): capped answers are split and refetched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

FILL = 0.9  # aim whole-level period batches at this share of the cap
FIRST_FILL = 0.6  # share of the cap a first guess may fill
Z = 1.5  # standard deviations of a chunk's rows kept free below the cap (~1 % capped here)
PRIOR_ROWS = 300  # rows a box must see before its own estimate replaces the prior
SCOUT_ROWS = 1_000  # rows seen across a whole box before it is cut into smaller boxes
GROWTH = 4.0  # a scouting chunk holds at most this many times the codes of the previous
CHUNK_VAR_MIN = 16  # chunks answered before their own spread replaces the per-code one
CHUNK_VAR_FLOOR = 0.25  # ... never below this share of the mean (a Poisson-like floor)
MIN_URL_LIMIT = 500  # a 414 lowers the planned URL length, never below this


def total_periods_per_call(
    cells_per_period: int, cap: int, left: int, limit: int | None = None
) -> int:
    """TOTAL rows are bounded exactly (one per cell), so pack periods up to the cap."""
    k = max(1, min((cap - 1) // max(cells_per_period, 1), left))
    return min(k, limit) if limit else k


def periods_per_call(
    history: Sequence[tuple[float, float]],
    start: int,
    left: int,
    cap: int,
    limit: int | None = None,
    fill: float = FILL,
    prior: float | None = None,
) -> int:
    """Periods the next whole-level call can hold. `history` holds (mid-position, rows per
    period) of earlier batches; the first call goes by the `prior` rows per period (one
    period without one), later ones extrapolate linearly from the last two (older periods
    usually hold fewer rows)."""
    if not history:
        k = math.floor(cap * FIRST_FILL / prior) if prior else 1
        return max(1, min(k, left, limit or left))
    mid, avg = history[-1]
    slope = 0.0
    if len(history) >= 2:
        mid0, avg0 = history[-2]
        if mid != mid0:
            slope = (avg - avg0) / (mid - mid0)
    budget = cap * fill
    total, k = 0.0, 0
    most = min(left, limit) if limit else left
    while k < most:
        estimate = max(avg + slope * (start + k - mid), avg * 0.5, 1.0)
        if k and total + estimate > budget:
            break
        total += estimate
        k += 1
    return max(1, k)


def bounded_periods(bounds: Sequence[int], cap: int, limit: int | None = None) -> int:
    """Periods whose upper bounds of rows (from the availability probe) sum under the cap;
    0 when the first alone may reach it (the bound then says nothing useful)."""
    total, k = 0, 0
    for bound in bounds[:limit] if limit else bounds:
        if total + bound >= cap:
            break
        total += bound
        k += 1
    return k


def query_string(params: Mapping[str, str]) -> str:
    """The query as sent: commas stay commas (RFC 3986 allows them in a query, and the
    API's own examples write lists so), three characters fewer per listed code than
    %2C, so a URL under the length limit holds more codes."""
    return urlencode(params, safe=",")


def url_length(base: str, params: Mapping[str, str]) -> int:
    """Length of `base?params` as sent (see query_string)."""
    return len(base) + 1 + len(query_string(params))


@dataclass
class CodeDensity:
    """Rows per HS code in one box of cells: mean and spread, from the chunks answered.

    Chunks are spread evenly over the HS (every k-th code left), so each samples every
    chapter alike and what was seen predicts the next chunk, however unevenly rows fall
    across chapters. Before its own answers, a box may start from a `prior` (rows per code
    and variance) scaled from the larger box it was cut from."""

    cells: int
    codes: int = 0
    rows: int = 0
    sumsq: float = 0.0  # sum over answered codes of (rows of that code) squared
    prior: tuple[float, float] | None = None
    floor: float = 0.0  # a capped answer proves at least this mean

    def observe(self, codes: int, rows: int, sumsq: float) -> None:
        self.codes += codes
        self.rows += rows
        self.sumsq += sumsq

    def mean_var(self) -> tuple[float, float, int]:
        """(rows per code, variance per code, rows the estimate rests on). Before any answer
        and without a prior: the bound of one row per cell, with a wide spread."""
        if self.codes and (self.rows >= PRIOR_ROWS or self.prior is None):
            mean = max(self.rows / self.codes, self.floor, 1e-3)
            var = max(self.sumsq / self.codes - (self.rows / self.codes) ** 2, mean)
            return min(mean, float(self.cells)), var, self.rows
        if self.prior is not None:
            mean, var = self.prior
            return max(mean, self.floor), var, PRIOR_ROWS
        return float(self.cells), float(self.cells) ** 2, 0


def chunk_size(density: CodeDensity, cap: int, chunk_var: float | None = None) -> int:
    """Most codes a chunk can hold so that its rows stay under the cap with margin: the
    mean is raised by its own uncertainty, and Z standard deviations of the chunk's rows
    (per-code variance x codes) are kept free below the cap. `chunk_var`, when known, is
    the variance per code of whole chunks about their predicted rows (chunks spread over
    the HS vary far less than single codes do), measured on the chunks answered so far."""
    mean, var, basis = density.mean_var()
    if chunk_var is not None and basis:
        var = min(var, max(chunk_var, CHUNK_VAR_FLOOR * mean))
    if basis == 0:
        return max(1, math.floor(cap * FIRST_FILL / mean))
    mean *= 1 + 1 / math.sqrt(basis)
    room = cap - 1
    sd = math.sqrt(var)
    root = (-Z * sd + math.sqrt(Z * Z * var + 4 * mean * room)) / (2 * mean)
    return max(1, math.floor(root * root))


def spread_chunk(remaining: Sequence[str], size: int) -> list[str]:
    """`size` codes spread evenly over `remaining` (all of them when size >= len)."""
    n = len(remaining)
    if size >= n:
        return list(remaining)
    return [remaining[(i * n) // size] for i in range(size)]


def balanced(n: int, most: int) -> int:
    """Chunk size that covers n codes in as few chunks of at most `most` as possible, with
    the chunks of equal size (no small last call, less risk of reaching the cap)."""
    if most >= n:
        return n
    return math.ceil(n / math.ceil(n / most))


def codes_in_room(remaining: Sequence[str], room: int) -> int:
    """Most codes of `remaining` whose comma-separated list fits in `room` URL characters."""
    width = max(len(c) for c in remaining) + 1  # and a comma
    return max(1, (room + 1) // width)
