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

FILL = 0.9  # aim calls at this share of the cap
FIRST_FILL = 0.6  # ... and lower while the box has seen few rows
SETTLED_CAPS = 2  # ... until this many caps of rows have been seen in the box
GROWTH = 4.0  # a chunk holds at most this many times the codes of the previous one


def total_periods_per_call(cells_per_period: int, cap: int, left: int,
                           limit: int | None = None) -> int:
    """TOTAL rows are bounded exactly (one per cell), so pack periods up to the cap."""
    k = max(1, min((cap - 1) // max(cells_per_period, 1), left))
    return min(k, limit) if limit else k


def periods_per_call(history: Sequence[tuple[float, float]], start: int, left: int,
                     cap: int, limit: int | None = None, fill: float = FILL) -> int:
    """Periods the next whole-level call can hold. `history` holds (mid-position, rows per
    period) of earlier batches; the first call takes one period, later ones extrapolate
    linearly from the last two (older periods usually hold fewer rows)."""
    if not history:
        return 1
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


def url_length(base: str, params: Mapping[str, str]) -> int:
    """Length of `base?params` as requests encodes it (commas become %2C)."""
    return len(base) + 1 + len(urlencode(params))


@dataclass
class CodeDensity:
    """Rows per HS code in one box of cells, from the chunks already answered.

    Chunks are spread evenly over the HS (every k-th code left), so each one samples every
    chapter alike and rows per code seen so far predict the next chunk well, however
    unevenly the rows fall across chapters."""

    cells: int
    codes: int = 0
    rows: int = 0
    floor: float = 0.0  # a capped answer proves at least this density

    def observe(self, codes: int, rows: int) -> None:
        self.codes += codes
        self.rows += rows

    def per_code(self) -> float:
        """Estimated rows per code; before any answer, the bound of one row per cell."""
        if not self.codes:
            return float(self.cells)
        return min(max(self.rows / self.codes, self.floor, 1e-3), float(self.cells))


def spread_chunk(remaining: Sequence[str], density: CodeDensity, cap: int, room: int,
                 last_size: int | None) -> list[str]:
    """The next chunk: codes spread evenly over `remaining`, as many as keep the estimated
    rows under the fill target and the encoded list within `room` URL characters, growing
    at most GROWTH times over the previous chunk (the first estimates are rough)."""
    n = len(remaining)
    if n == 0:
        return []
    fill = FILL if density.rows >= SETTLED_CAPS * cap else FIRST_FILL
    k = math.floor(cap * fill / density.per_code())
    width = max(len(c) for c in remaining) + 3  # a comma is encoded as %2C
    k = min(k, (room + 3) // width, n)
    if last_size:
        k = min(k, math.floor(last_size * GROWTH))
    k = max(1, k)
    if k >= n:
        return list(remaining)
    return [remaining[(i * n) // k] for i in range(k)]
