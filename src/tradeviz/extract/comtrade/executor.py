"""UN Comtrade v1 fetcher: plan the China–Central Asia queries, fetch, store raw snapshots.

Traps handled here, each silent in the API:
* the keyless preview cuts at 500 rows and the keyed endpoint at 100,000 with no error:
  a response whose `count` reaches `maxRecords` is stored as incomplete and the query is
  split (by period, then partner, reporter, flow, then HS chapter) and fetched again;
* unpinned customs / transport / second-partner codes return breakdown rows that double
  count: every query pins customsCode=C00, motCode=0, partner2Code=0;
* the key travels in a header only, never in a URL, manifest line or log.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import requests
from tqdm import tqdm

from tradeviz import config
from tradeviz.errors import BadResponseError, HttpError, TruncatedResultError
from tradeviz.extract import comtrade_reference
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore, Snapshot, query_key
from tradeviz.vocab.countries import (
    BY_COMTRADE,
    CA_ISO3,
    CENTRAL_ASIA,
    CHINA,
    WORLD_COMTRADE,
    comtrade_code,
)

log = logging.getLogger(__name__)

SOURCE = "comtrade"
FLOWS = ("M", "X", "RM", "RX")
LEVELS = {"total": "TOTAL", "2": "AG2", "4": "AG4", "6": "AG6"}
PINNED = {
    "customsCode": "C00",
    "motCode": "0",
    "partner2Code": "0",
    "breakdownMode": "classic",
    "includeDesc": "true",
}
PREVIEW_CAP = 500
KEYED_CAP = 100_000
URL_LIMIT = 4000
MAX_PERIODS_PER_CALL = 12
FILL = 0.95  # aim batches just under the cap; periods are fetched newest (largest) first


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

    def upper_bound(self) -> int | None:
        """Most rows this query can return, when its codes are explicit (not AG2/4/6)."""
        if any(c.startswith("AG") for c in self.cmd):
            return None
        return (len(self.reporters) * len(self.partners) * len(self.periods) * len(self.cmd)
                * len(self.flows))

    def describe(self) -> str:
        def names(codes: Iterable[int]) -> str:
            return "+".join(BY_COMTRADE[c].iso3 if c in BY_COMTRADE else
                            ("WLD" if c == WORLD_COMTRADE else str(c)) for c in codes)
        periods = self.periods[0] if len(self.periods) == 1 else \
            f"{self.periods[-1]}..{self.periods[0]}({len(self.periods)})"
        cmd = self.cmd[0] if len(self.cmd) == 1 else f"{len(self.cmd)} codes"
        return f"{names(self.reporters)}->{names(self.partners)} {periods} {cmd}"


@dataclass(frozen=True)
class PlanGroup:
    """Reporters × partners at one HS level over all periods; batched into Queries."""

    name: str
    reporters: tuple[int, ...]
    partners: tuple[int, ...]
    cmd: str
    periods: tuple[str, ...]


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
            raise ValueError(f"--years {text!r}: use a range like 2015-2024 or a list like "
                             "2019,2021") from None
    if min(years) < 1962 or max(years) > today.year:
        raise ValueError(f"--years {text!r}: years must lie between 1962 and {today.year}")
    return sorted(years)


def periods_for(years: Sequence[int], freq: str, today: date | None = None) -> tuple[str, ...]:
    """Newest first: the largest periods are fetched first and size later batches."""
    today = today or date.today()
    if freq == "A":
        out = [str(y) for y in years]
    else:
        out = [f"{y}{m:02d}" for y in years for m in range(1, 13)
               if (y, m) < (today.year, today.month)]
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


def custom_plan(periods: tuple[str, ...], level: str, reporters: Sequence[str] | None,
                partners: Sequence[str] | None) -> list[PlanGroup]:
    reps = tuple(comtrade_code(r) for r in (reporters or [CHINA.iso3]))
    parts = tuple(comtrade_code(p) for p in (partners or CA_ISO3))
    return [PlanGroup("custom", reps, parts, LEVELS[level], periods)]


def validate_body(body: bytes) -> dict:
    """Parse a v1 data response; anything that is not a whole envelope is unreadable."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadResponseError(f"not valid JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list) or "count" not in doc:
        raise BadResponseError("JSON without the v1 envelope {count, data, error}")
    if doc["count"] != len(doc["data"]):
        raise BadResponseError(f"count {doc['count']} but {len(doc['data'])} records")
    return doc


@dataclass
class FetchStats:
    calls: int = 0
    cached: int = 0
    rows: int = 0
    truncated: int = 0
    calls_by_group: dict[str, int] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)


class ComtradeFetcher:
    """Runs a plan against the preview (no key) or the keyed data endpoint."""

    def __init__(self, store: RawStore, client: HttpClient | None = None,
                 api_key: str | None = None, max_records: int | None = None,
                 refresh: bool = False, progress: bool | None = None):
        self.store = store
        self.api_key = api_key
        self.keyed = api_key is not None
        tier_cap = KEYED_CAP if self.keyed else PREVIEW_CAP
        if max_records is not None and max_records < 1:
            raise ValueError("--max-records must be at least 1")
        self.cap = min(max_records, tier_cap) if max_records else tier_cap
        self.client = client or HttpClient(SOURCE, rps=config.comtrade_rps(),
                                           secret_values=(api_key or "",))
        if api_key:
            self.client.secret_values = tuple({*self.client.secret_values, api_key})
        self.refresh = refresh
        self.base_url = config.comtrade_url()
        self.stats = FetchStats()
        self._index = {} if refresh else store.latest_by_query(SOURCE)
        self._progress = sys.stderr.isatty() if progress is None else progress
        self._bar: tqdm | None = None
        self._hs: dict[tuple[int, str], list[str]] | None = None

    def endpoint(self, freq: str) -> str:
        kind = "/data/v1/get" if self.keyed else "/public/v1/preview"
        return f"{kind}/C/{freq}/HS"

    # -- plan execution ------------------------------------------------------------------
    def run(self, groups: Sequence[PlanGroup], freq: str) -> FetchStats:
        removed = self.store.remove_stale_temp_files()
        if removed:
            log.info("removed %d temporary file(s) left by an interrupted fetch", removed)
        estimate = sum(len(g.periods) if g.cmd != "TOTAL" else 1 for g in groups)
        if self._progress:
            self._bar = tqdm(total=estimate, unit="call", desc="comtrade", leave=True)
        try:
            for group in groups:
                self._run_group(group, freq)
        finally:
            if self._bar:
                self._bar.close()
        return self.stats

    def _run_group(self, group: PlanGroup, freq: str) -> None:
        """Fetch a group newest period first, sizing each batch from the rows seen so far."""
        periods = list(group.periods)
        history: list[tuple[float, float]] = []  # (mid-position of a batch, rows per period)
        calls_before = self.stats.calls
        start = 0
        while start < len(periods):
            k = self._batch_size(group, history, start)
            batch = periods[start:start + k]
            query = Query(freq, group.reporters, group.partners, tuple(batch), (group.cmd,))
            rows = self._fetch(query)
            history.append((start + (k - 1) / 2, max(rows / k, 1.0)))
            start += k
            if self._bar is not None:
                done = self._bar.n
                left = len(periods) - start
                self._bar.total = max(done, done + (math.ceil(left * history[-1][1]
                                                              / (self.cap * FILL)) if left
                                                    else 0))
                self._bar.refresh()
        self.stats.calls_by_group[group.name] = self.stats.calls - calls_before

    def _batch_size(self, group: PlanGroup, history: list[tuple[float, float]],
                    start: int) -> int:
        """How many periods the next call can hold under the record cap.

        TOTAL queries have an exact bound. Otherwise the first call takes one period, and
        later ones extrapolate rows per period linearly from the last two batches (older
        periods usually hold fewer rows); a wrong guess only costs a split, never data."""
        left = len(group.periods) - start
        if group.cmd == "TOTAL":
            per_period = len(group.reporters) * len(group.partners) * len(FLOWS)
            return max(1, min((self.cap - 1) // per_period, MAX_PERIODS_PER_CALL, left))
        if not history:
            return 1
        mid, avg = history[-1]
        slope = 0.0
        if len(history) >= 2:
            mid0, avg0 = history[-2]
            slope = (avg - avg0) / (mid - mid0)
        budget = self.cap * FILL
        total, k = 0.0, 0
        while k < min(left, MAX_PERIODS_PER_CALL):
            estimate = max(avg + slope * (start + k - mid), avg * 0.5)
            if k and total + estimate > budget:
                break
            total += estimate
            k += 1
        return max(1, k)

    # -- one query, split while truncated -----------------------------------------------
    def _fetch(self, query: Query) -> int:
        """Rows stored for `query` (through its sub-queries if it had to be split)."""
        cached = self._index.get(query.key)
        if cached is not None:
            self.stats.cached += 1
            if cached.complete:
                rows = int(cached.record.get("records", 0))
                self.stats.rows += rows
                self._tick(query, rows, cached=True)
                return rows
            return self._split_and_fetch(query)
        params = {**query.params(), "maxRecords": str(self.cap)}
        url = self.base_url + self.endpoint(query.freq)
        self._check_url(url, params)
        headers = {"Ocp-Apim-Subscription-Key": self.api_key} if self.api_key else None
        got = self.client.get(url, params=params, headers=headers, validate=validate_body)
        self.stats.calls += 1
        doc = got.parsed
        if doc.get("error"):
            raise HttpError(f"comtrade: the API reported an error for {query.describe()}: "
                            f"{doc['error']}")
        count = int(doc["count"])
        truncated = count >= self.cap
        meta = {
            "endpoint": self.endpoint(query.freq),
            "base_url": self.base_url,
            "tier": "keyed" if self.keyed else "preview",
            "freq": query.freq,
            "params": {**query.params(), "maxRecords": str(self.cap)},
            "query_key": query.key,
            "http_status": got.status,
            "records": len(doc["data"]),
            "count": count,
            "max_records": self.cap,
            "complete": not truncated,
            "synthetic": got.synthetic,
        }
        snap = self.store.save(SOURCE, got.body, "json", meta)
        self.stats.snapshots.append(snap)
        self._index[query.key] = snap
        if truncated:
            self.stats.truncated += 1
            log.info("comtrade: %s hit the %d-row cap; splitting it", query.describe(), self.cap)
            if self._bar is not None:
                self._bar.total += 1
            return self._split_and_fetch(query)
        self.stats.rows += count
        self._tick(query, count, cached=False)
        return count

    def _tick(self, query: Query, rows: int, cached: bool) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(rows=self.stats.rows, cached=self.stats.cached, refresh=False)
        else:
            log.info("comtrade: %s %s: %d rows (calls %d, cached %d, rows %d)",
                     "kept" if cached else "fetched", query.describe(), rows, self.stats.calls,
                     self.stats.cached, self.stats.rows)

    def _split_and_fetch(self, query: Query) -> int:
        return sum(self._fetch(sub) for sub in self.split(query))

    def split(self, query: Query) -> list[Query]:
        """Smaller queries that together cover `query`: by period, partner, reporter, flow,
        then HS chapter, then halves of an explicit code list."""
        for attr in ("periods", "partners", "reporters", "flows"):
            values = getattr(query, attr)
            if len(values) > 1:
                mid = len(values) // 2
                return [replace(query, **{attr: values[:mid]}),
                        replace(query, **{attr: values[mid:]})]
        if len(query.cmd) == 1 and query.cmd[0] in ("AG4", "AG6"):
            return self._split_by_chapter(query)
        if len(query.cmd) > 1:
            mid = len(query.cmd) // 2
            return [replace(query, cmd=query.cmd[:mid]), replace(query, cmd=query.cmd[mid:])]
        raise TruncatedResultError(
            f"comtrade: {query.describe()} still returns {self.cap} rows (the cap) and cannot "
            "be split further. Raise --max-records or set COMTRADE_API_KEY for the keyed tier.")

    def _split_by_chapter(self, query: Query) -> list[Query]:
        """Explicit code lists, in chapter order, for a query already down to one reporter,
        partner, flow and period: such a query returns at most one row per code, so lists
        of fewer codes than the cap can never be truncated (URL length permitting)."""
        level = int(query.cmd[0][2:])
        codes = [c for chapter in self._codes_by_chapter(level).values() for c in chapter]
        out = self._chunk_codes(query, codes)
        log.info("comtrade: split %s into %d code-list queries", query.describe(), len(out))
        return out

    def _codes_by_chapter(self, level: int) -> dict[str, list[str]]:
        ref = comtrade_reference.load_reference(self.store, "HS")
        if ref is None:
            comtrade_reference.fetch_reference(self.store, self.client, ("HS",))
            ref = comtrade_reference.load_reference(self.store, "HS")
        assert ref is not None
        codes = ref.loc[ref["level"] == level, "code"]
        chapters: dict[str, list[str]] = {}
        for code in sorted(codes):
            chapters.setdefault(code[:2], []).append(code)
        return chapters

    def _chunk_codes(self, query: Query, codes: list[str]) -> list[Query]:
        """Consecutive code lists of fewer than `cap` codes whose URL fits the limit."""
        out: list[Query] = []
        chunk: list[str] = []
        base = self._url_length(replace(query, cmd=("",)))
        length = base
        for code in codes:
            extra = len(code) + (3 if chunk else 0)  # a comma is encoded as %2C
            if chunk and (len(chunk) >= self.cap - 1 or length + extra > URL_LIMIT):
                out.append(replace(query, cmd=tuple(chunk)))
                chunk, length = [code], base + len(code)
            else:
                chunk.append(code)
                length += extra
        if chunk:
            out.append(replace(query, cmd=tuple(chunk)))
        return out

    def _url_length(self, query: Query) -> int:
        params = {**query.params(), "maxRecords": str(self.cap)}
        url = self.base_url + self.endpoint(query.freq)
        return len(requests.Request("GET", url, params=params).prepare().url or "")

    def _check_url(self, url: str, params: dict[str, str]) -> None:
        length = len(requests.Request("GET", url, params=params).prepare().url or "")
        if length > URL_LIMIT:
            raise ValueError(f"comtrade: a query URL would be {length} characters (limit "
                             f"{URL_LIMIT}); ask for fewer reporters or partners at once")
