"""The executor: runs each group's planner against the raw store and the Comtrade API.

For every query the planner proposes, a complete or capped snapshot already stored under
the query's key answers it (no call); otherwise the query goes through the shared HTTP
layer (rate limit, retries, typed errors) and its exact bytes are saved. Traps handled here,
each silent in the API:
* the keyless preview cuts at 500 rows and the keyed endpoint at 100,000 with no error: a
  response whose `count` reaches `maxRecords` is stored as incomplete, and the planner splits
  the query (it is never stored as complete);
* unpinned customs / transport / second-partner codes return breakdown rows that double
  count: every query pins customsCode=C00, motCode=0, partner2Code=0;
* the key travels in a header only, never in a URL, manifest line or log.
And the live service's limits (issue 22): an answer is capped when
`max(count, len(data)) >= cap`, and `count > len(data)` (a capped preview may give every
match in `count`) is a truncated answer to split, never a malformed one; URLs are planned
to at most `url_limit` characters, and a 414 (or a query that would pass the limit)
is split and asked again, the limit lowered below the refused length; a refusal of too
many periods is split by periods the same way.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tqdm import tqdm

from tradeviz import config
from tradeviz.errors import BadResponseError, HttpError, InputError, UrlTooLongError
from tradeviz.extract import comtrade_reference
from tradeviz.extract.comtrade import sizing
from tradeviz.extract.comtrade.plan import estimate_calls, typical_period_rows
from tradeviz.extract.comtrade.planner import GroupPlanner
from tradeviz.extract.comtrade.query import (
    KEYED_CAP,
    PREVIEW_CAP,
    SOURCE,
    PlanGroup,
    Query,
)
from tradeviz.extract.http import HttpClient, sanitize
from tradeviz.formats import comtrade_v1_decode as v1_decode
from tradeviz.store.raw import RawStore, Snapshot, query_key

log = logging.getLogger(__name__)
PROBE_SOURCE = "comtrade_availability"


@dataclass
class FetchStats:
    calls: int = 0
    cached: int = 0
    rows: int = 0
    truncated: int = 0
    calls_by_group: dict[str, int] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    largest_body: int = 0
    refused_414: int = 0  # HTTP 414 answers (URL too long), each split and asked again
    refused_periods: int = 0  # refusals of too many periods, each split
    splits: int = 0  # queries split: capped answers plus refusals for a limit


@dataclass(frozen=True)
class Outcome:
    """What one query returned: rows, whether it reached the cap, and (explicit code lists)
    the sum over codes of (rows per code) squared, which sizes later chunks."""

    rows: int
    capped: bool
    sumsq: float | None = None
    refused: str | None = None  # "url" or "periods": refused for a limit, nothing stored


class ComtradeFetcher:
    """Runs a plan against the preview (no key) or the keyed data endpoint."""

    def __init__(
        self,
        store: RawStore,
        client: HttpClient | None = None,
        api_key: str | None = None,
        max_records: int | None = None,
        refresh: bool = False,
        progress: bool | None = None,
        max_periods_per_call: int | None = None,
        probe: bool = False,
        url_limit: int | None = None,
    ):
        self.store = store
        self.api_key = api_key
        self.keyed = api_key is not None
        tier_cap = KEYED_CAP if self.keyed else PREVIEW_CAP
        if max_records is not None and max_records < 1:
            raise InputError("--max-records must be at least 1")
        self.cap = min(max_records, tier_cap) if max_records else tier_cap
        self.client = client or HttpClient(
            SOURCE,
            rps=config.comtrade_rps(),
            secret_values=(api_key or "",),
            max_quota_wait=config.quota_wait(),
        )
        if api_key:
            self.client.secret_values = tuple({*self.client.secret_values, api_key})
        self.refresh = refresh
        if max_periods_per_call is not None and max_periods_per_call < 1:
            raise InputError("--max-periods-per-call must be at least 1")
        self.max_periods = max_periods_per_call or config.comtrade_max_periods()
        self.url_limit = url_limit or config.comtrade_url_limit()
        self.probe = probe
        self.base_url = config.comtrade_url()
        self.stats = FetchStats()
        self._index = {} if refresh else store.latest_by_query(SOURCE)
        self._progress = sys.stderr.isatty() if progress is None else progress
        self._bar: tqdm | None = None
        self._codes: dict[int, list[str]] = {}

    def endpoint(self, freq: str) -> str:
        kind = "/data/v1/get" if self.keyed else "/public/v1/preview"
        return f"{kind}/C/{freq}/HS"

    def estimate(self, groups: Sequence[PlanGroup], freq: str) -> int:
        """Calls the plan should take on an empty store (see plan.estimate_calls)."""
        return estimate_calls(groups, freq, self.cap, self.max_periods)

    # -- plan execution ------------------------------------------------------------------
    def run(self, groups: Sequence[PlanGroup], freq: str) -> FetchStats:
        removed = self.store.remove_stale_temp_files()
        if removed:
            log.info("removed %d temporary file(s) left by an interrupted fetch", removed)
        if self._progress:
            self._bar = tqdm(
                total=self.estimate(groups, freq), unit="call", desc="comtrade", leave=True
            )
        counts = self._availability(groups, freq) if self.probe else None
        try:
            for group in groups:
                self._run_group(group, freq, counts)
        finally:
            if self._bar:
                self._bar.close()
        return self.stats

    def _run_group(
        self, group: PlanGroup, freq: str, counts: dict[tuple[int, str], int] | None = None
    ) -> None:
        bounds = None
        if counts is not None:
            bounds = {p: sum(counts.get((r, p), 0) for r in group.reporters) for p in group.periods}
        planner = GroupPlanner(
            group,
            freq,
            self.cap,
            codes=self._level_codes,
            url_room=self._url_room,
            max_periods=self.max_periods,
            prior=typical_period_rows(group, freq),
            bounds=bounds,
        )
        calls_before = self.stats.calls
        while (query := planner.next_query()) is not None:
            got = self._fetch(query)
            if got.refused:
                self.stats.splits += 1
                planner.refuse(query, got.refused)
                continue
            if got.capped:
                self.stats.splits += 1
            planner.observe(query, got.rows, got.capped, got.sumsq)
        self.stats.calls_by_group[group.name] = self.stats.calls - calls_before

    # -- one query ------------------------------------------------------------------------
    def _fetch(self, query: Query) -> Outcome:
        """The outcome of `query`, from its stored snapshot if there is one, else the API."""
        cached = self._index.get(query.key)
        if cached is not None:
            self.stats.cached += 1
            got = self._cached_outcome(query, cached)
            if not got.capped:
                self.stats.rows += got.rows
                self._tick(query, got.rows, cached=True)
            return got
        params = {**query.params(), "maxRecords": str(self.cap)}
        url = self.base_url + self.endpoint(query.freq)
        length = sizing.url_length(url, params)
        if length > self.url_limit:  # the planner could not fit it: split, don't send
            return Outcome(0, False, refused="url")
        headers = {"Ocp-Apim-Subscription-Key": self.api_key} if self.api_key else None
        try:
            got = self.client.get(
                f"{url}?{sizing.query_string(params)}", headers=headers, validate=v1_decode.decode
            )
        except UrlTooLongError:
            self.stats.calls += 1
            self.stats.refused_414 += 1
            # the server's limit is below this length: plan shorter from now on
            self.url_limit = max(sizing.MIN_URL_LIMIT, min(self.url_limit, int(length * 0.9)))
            log.info("comtrade: HTTP 414 on a %d-character URL; splitting it", length)
            return Outcome(0, False, refused="url")
        except HttpError as exc:
            if exc.status != 400 or "period" not in str(exc).lower() or len(query.periods) < 2:
                raise
            self.stats.calls += 1
            self.stats.refused_periods += 1
            log.info("comtrade: %d periods refused in one call; splitting", len(query.periods))
            return Outcome(0, False, refused="periods")
        self.stats.calls += 1
        self.stats.largest_body = max(self.stats.largest_body, len(got.body))
        doc = got.parsed
        if doc.error:
            raise HttpError(
                f"comtrade: the API reported an error for {query.describe()}: "
                f"{sanitize(str(doc.error))}"
            )
        count = int(doc.count)
        # capped: the count (which may be every match) or the rows reach the cap, or the
        # count says rows were left out
        truncated = max(count, len(doc.data)) >= self.cap or count > len(doc.data)
        sumsq = _sumsq(r.cmdCode for r in doc.data) if query.explicit_codes else None
        meta = {
            "endpoint": self.endpoint(query.freq),
            "base_url": self.base_url,
            "tier": "keyed" if self.keyed else "preview",
            "freq": query.freq,
            "params": params,
            "query_key": query.key,
            "http_status": got.status,
            "url": got.url,
            "records": len(doc.data),
            "count": count,
            "max_records": self.cap,
            "complete": not truncated,
            "synthetic": got.synthetic,
        }
        if sumsq is not None:
            meta["rows_sumsq"] = sumsq
        body = got.body
        del doc, got
        snap = self.store.save(SOURCE, body, "json", meta)
        self.stats.snapshots.append(snap)
        self._index[query.key] = snap
        if truncated:
            self.stats.truncated += 1
            log.info("comtrade: %s hit the %d-row cap; splitting it", query.describe(), self.cap)
            if self._bar is not None:
                self._bar.total += 1
        else:
            self.stats.rows += meta["records"]
            self._tick(query, meta["records"], cached=False)
        return Outcome(meta["records"], truncated, sumsq)

    def _cached_outcome(self, query: Query, snap: Snapshot) -> Outcome:
        """What a stored snapshot stands for: the planner learns the same from it as from
        the live answer, so a rerun proposes the same queries (and finds them stored)."""
        rows = int(snap.record.get("records", 0))
        sumsq = None
        if query.explicit_codes and snap.complete:
            sumsq = snap.record.get("rows_sumsq")
            if sumsq is None:  # stored before the planner recorded it
                sumsq = _sumsq(r.cmdCode for r in v1_decode.decode(self.store.read(snap)).data)
        return Outcome(rows, not snap.complete, sumsq)

    def _tick(self, query: Query, rows: int, cached: bool) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(rows=self.stats.rows, cached=self.stats.cached, refresh=False)
        else:
            log.info(
                "comtrade: %s %s: %d rows (calls %d, cached %d, rows %d)",
                "kept" if cached else "fetched",
                query.describe(),
                rows,
                self.stats.calls,
                self.stats.cached,
                self.stats.rows,
            )

    # -- the availability probe ---------------------------------------------------------------
    def _availability(
        self, groups: Sequence[PlanGroup], freq: str
    ) -> dict[tuple[int, str], int] | None:
        """Records per (reporter, period) from the v1 data-availability list: one call for
        the plan, stored like any answer (a rerun makes none). A server without the
        endpoint, or an answer it cannot read, only means no probe: None."""
        reporters = sorted({r for g in groups for r in g.reporters})
        periods = sorted({p for g in groups for p in g.periods})
        params = {"reporterCode": ",".join(map(str, reporters)), "period": ",".join(periods)}
        key = query_key(PROBE_SOURCE, {"freq": freq, **params})
        snap = None if self.refresh else self.store.latest_by_query(PROBE_SOURCE).get(key)
        try:
            if snap is not None:
                body = self.store.read(snap)
            else:
                kind = "data" if self.keyed else "public"
                path = f"/{kind}/v1/getDA/C/{freq}/HS"
                headers = {"Ocp-Apim-Subscription-Key": self.api_key} if self.api_key else None
                got = self.client.get(
                    self.base_url + path,
                    params=params,
                    headers=headers,
                    validate=_availability_rows,
                )
                body = got.body
                self.store.save(
                    PROBE_SOURCE,
                    body,
                    "json",
                    {
                        "endpoint": path,
                        "base_url": self.base_url,
                        "freq": freq,
                        "params": params,
                        "query_key": key,
                        "http_status": got.status,
                        "url": got.url,
                        "records": len(got.parsed),
                        "complete": True,
                        "synthetic": got.synthetic,
                    },
                )
            rows = _availability_rows(body)
        except (HttpError, BadResponseError) as exc:
            log.info(
                "comtrade: no availability probe from %s (%s); sizing from data calls alone",
                self.base_url,
                exc,
            )
            return None
        return {(int(r["reporterCode"]), str(r["period"])): int(r["totalRecords"]) for r in rows}

    # -- HS codes and URL room for the planner --------------------------------------------
    def _level_codes(self, level: int) -> list[str]:
        """HS codes of a level from the Comtrade reference list (fetched once if missing)."""
        if level not in self._codes:
            ref = comtrade_reference.load_reference(self.store, "HS")
            if ref is None:
                comtrade_reference.fetch_reference(self.store, self.client, ("HS",))
                ref = comtrade_reference.load_reference(self.store, "HS")
            if ref is None:
                raise HttpError(
                    f"comtrade: the HS reference list is not served by "
                    f"{self.base_url}; it is needed to split large queries"
                )
            self._codes[level] = sorted(ref.loc[ref["level"] == level, "code"])
        return self._codes[level]

    def _url_room(self, query: Query) -> int:
        """URL characters left under the limit for `query` (negative: too long)."""
        params = {**query.params(), "maxRecords": str(self.cap)}
        return self.url_limit - sizing.url_length(self.base_url + self.endpoint(query.freq), params)


def _sumsq(codes: Iterable[str]) -> int:
    """Sum over HS codes of (rows of that code) squared: the spread of rows per code."""
    return sum(n * n for n in Counter(codes).values())


def _availability_rows(body: bytes) -> list[dict]:
    """Rows of a v1 availability answer, each with reporterCode, period and totalRecords."""
    try:
        doc = json.loads(body)
        rows = doc["data"]
        for r in rows:
            int(r["reporterCode"]), str(r["period"]), int(r["totalRecords"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadResponseError(
            f"not a v1 availability list ({type(exc).__name__}: {exc})"
        ) from None
    return rows
