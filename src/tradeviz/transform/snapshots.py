"""The raw layer's current snapshots, read and parsed to compact Arrow parts.

Comtrade snapshots are parsed in Arrow as they are decompressed (pyarrow; msgspec splits a
body read whole; pandas is only imported, by pyarrow's array constructor), so `start()`
can run the parse on a thread while the caller imports the rest and loads the HS
reference: inflating, sha256 and the JSON reader release the GIL.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from tradeviz.config import require
from tradeviz.errors import BuildError
from tradeviz.store.raw import RawStore, Snapshot
from tradeviz.transform.build_report import BuildReport
from tradeviz.transform.comtrade import (
    ParseReport,
    compact,
    parse_comtrade,
    parse_comtrade_stream,
)

DATA_SOURCES = ("comtrade", "wits", "imf")


def current(store: RawStore, report: BuildReport) -> list[Snapshot]:
    """The snapshots a build reads, oldest first: the newest complete line per query key;
    truncated ones are counted and skipped, and a non-Comtrade body stored twice is read
    once."""
    snaps = store.current_snapshots(DATA_SOURCES)  # newest complete line per query key
    snaps.sort(key=lambda s: s.record.get("fetched_at", ""))  # stable: manifest order ties
    wanted, seen = [], set()
    for snap in snaps:
        if not snap.complete:
            report.truncated_snapshots_ignored += 1
        elif snap.sha256 not in seen or snap.source == "comtrade":
            seen.add(snap.sha256)
            wanted.append(snap)
    report.snapshots = len(wanted)
    report.unmapped_wits_partners = sorted(
        {p for s in wanted if s.source == "wits" for p in s.record.get("unmapped_partners", [])}
    )
    return wanted


def parse_all(
    store: RawStore,
    snaps: list[Snapshot],
    report: BuildReport,
    stop: threading.Event | None = None,
) -> list[pa.Table]:
    """Every snapshot's rows as compact Arrow, in snapshot order (empty ones left out);
    rows dropped while parsing are counted in `report`. `stop` set: return early."""
    parse_report = ParseReport()
    parts = []
    for part in _parsed(store, snaps, parse_report):
        if stop is not None and stop.is_set():
            return []
        if part.num_rows:
            parts.append(part)
    report.breakdown_rows_dropped = parse_report.breakdown_rows
    report.other_flow_rows_dropped = parse_report.other_flow_rows
    _check_codes(parse_report)
    return parts


def parse_each(store: RawStore, snaps: list[Snapshot]) -> Iterator[pa.Table]:
    """Each snapshot's rows as compact Arrow, one at a time in the given order (empty
    ones included), for a caller that streams (the world layer): one snapshot is parsed
    or in the caller's hands at a time, so memory follows the largest snapshot whatever
    their number."""
    parse_report = ParseReport()
    yield from _parsed(store, snaps, parse_report, at_once=1)
    _check_codes(parse_report)


def _check_codes(parse_report: ParseReport) -> None:
    if parse_report.unknown_codes:
        codes = ["none" if c == -1 else str(c) for c in sorted(parse_report.unknown_codes)]
        raise BuildError(
            f"Comtrade country codes without ISO3: {', '.join(codes)}: their rows carry no "
            "reporterISO/partnerISO (fetched without includeDesc). Fix: run "
            "`tradeviz fetch comtrade --refresh`"
        )


class Parsing:
    """parse_all() running on a thread: `result()` gives the parts or raises its error;
    `abandon()` stops it after the snapshot in hand (for a caller that failed meanwhile)."""

    def __init__(self, store: RawStore, snaps: list[Snapshot], report: BuildReport):
        self._stop = threading.Event()
        driver = ThreadPoolExecutor(1, thread_name_prefix="tradeviz-snapshots")
        try:
            self._future = driver.submit(self._run, store, snaps, report)
        finally:
            driver.shutdown(wait=False)  # the thread ends when the parse does

    def _run(self, store: RawStore, snaps: list[Snapshot], report: BuildReport) -> list:
        return parse_all(store, snaps, report, self._stop)

    def result(self) -> list[pa.Table]:
        return self._future.result()

    def abandon(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self._future.result()  # wait; its own error does not matter any more


def start(store: RawStore, snaps: list[Snapshot], report: BuildReport) -> Parsing:
    """parse_all() on a thread (see Parsing)."""
    return Parsing(store, snaps, report)


def _parsed(
    store: RawStore, snaps: list[Snapshot], report: ParseReport, at_once: int = 2
) -> Iterator[pa.Table]:
    """Each snapshot read, checked against its sha256 and parsed to compact Arrow, yielded
    in the given order. `at_once` (2) are worked on at once: inflating, sha256 and
    pyarrow's JSON reader release the GIL. A Comtrade body is parsed as it is decompressed,
    so it is never held whole; a body the stream reader hands back, and a WITS or IMF one, is."""
    _import_readers(snaps)  # before the pool: see _import_readers
    workers = ThreadPoolExecutor(at_once, thread_name_prefix="tradeviz-snapshot")
    pending: deque[Future] = deque()
    todo = deque(snaps)
    try:
        while todo or pending:
            while todo and len(pending) < at_once:
                pending.append(workers.submit(_read_and_parse, store, todo.popleft()))
            table, own = pending.popleft().result()
            report.add(own)
            yield table
            del table
    finally:
        workers.shutdown(wait=True, cancel_futures=True)


def _import_readers(snaps: list[Snapshot]) -> None:
    """Import the parsers (and openpyxl for XLSX) the snapshots need, once, on this thread:
    two pool threads importing openpyxl at once saw it partially initialised (issue 23)."""
    if any(s.source == "imf" for s in snaps):
        import tradeviz.transform.imf  # noqa: F401
    if any(s.source == "wits" for s in snaps):
        import tradeviz.transform.wits  # noqa: F401
    xlsx = [s for s in snaps if s.record.get("format") == "xlsx" or ".xlsx" in s.path]
    if any(s.source == "wits" for s in xlsx):
        require("openpyxl", "wits")  # a missing one is a one-line MissingExtraError


def _read_and_parse(store: RawStore, snap: Snapshot) -> tuple[pa.Table, ParseReport]:
    own = ParseReport()
    path = str(store.root / snap.path)
    if snap.source == "comtrade":
        table = parse_comtrade_stream(store.pieces(snap), snap, path, own)
        if table is not None:
            return table, own
    holder = [store.read(snap)]  # checked against the manifest's sha256
    return _parse(snap, holder, path, own), own


def _parse(snap: Snapshot, holder: list[bytes], path: str, parse_report: ParseReport) -> pa.Table:
    """Parse one snapshot's whole body to compact Arrow; `holder` carries its bytes so the
    parser can free them early."""
    if snap.source == "comtrade":
        return parse_comtrade(holder, snap, path, parse_report)
    body = holder.pop()
    if snap.source == "wits":
        from tradeviz.transform.wits import parse_wits as parse
    else:
        from tradeviz.transform.imf import parse_imf as parse
    return compact(pa.Table.from_pandas(parse(body, snap, path), preserve_index=False))
