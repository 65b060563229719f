"""The raw layer's current snapshots, read and parsed to compact Arrow parts.

Comtrade snapshots are parsed without pandas (pyarrow and msgspec), so `start()` can run
the parse on a thread while the caller imports pandas and the HS reference: the JSON
reader, gunzip and sha256 release the GIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from tradeviz.errors import BuildError
from tradeviz.store.raw import RawStore, Snapshot, sha256_hex
from tradeviz.transform.build_report import BuildReport
from tradeviz.transform.comtrade import ParseReport, compact, parse_comtrade, parse_pool

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


def parse_all(store: RawStore, snaps: list[Snapshot], report: BuildReport) -> list[pa.Table]:
    """Every snapshot's rows as compact Arrow, in snapshot order (empty ones left out);
    rows dropped while parsing are counted in `report`."""
    parse_report = ParseReport()
    parts = [part for part in _parsed(store, snaps, parse_report) if part.num_rows]
    report.breakdown_rows_dropped = parse_report.breakdown_rows
    report.other_flow_rows_dropped = parse_report.other_flow_rows
    if parse_report.unknown_codes:
        raise BuildError(
            f"Comtrade country codes without ISO3: "
            f"{sorted(parse_report.unknown_codes)}: their rows carry no "
            "reporterISO/partnerISO (fetched without includeDesc). Fix: run "
            "`tradeviz fetch comtrade --refresh`"
        )
    return parts


def start(store: RawStore, snaps: list[Snapshot], report: BuildReport) -> Future:
    """parse_all() on a thread; `.result()` gives the parts or raises its error."""
    driver = ThreadPoolExecutor(1, thread_name_prefix="tradeviz-snapshots")
    try:
        return driver.submit(parse_all, store, snaps, report)
    finally:
        driver.shutdown(wait=False)  # the thread ends when the parse does


def _parsed(store: RawStore, snaps: list[Snapshot], report: ParseReport) -> Iterator[pa.Table]:
    """Each snapshot read and parsed to compact Arrow, in the given order. The next
    snapshot is read (gunzip releases the GIL) while this one parses, so at most two bodies
    are held; each sha256 is checked on the parse pool meanwhile, and a mismatch stops the
    build as RawStore.read would."""
    reader = ThreadPoolExecutor(1, thread_name_prefix="tradeviz-read")

    def read(snap: Snapshot) -> tuple[bytes, Future]:
        body = store.read(snap, verify=False)
        return body, parse_pool().submit(sha256_hex, body)

    try:
        ahead = reader.submit(read, snaps[0]) if snaps else None
        for i, snap in enumerate(snaps):
            body, digest = ahead.result()
            ahead = reader.submit(read, snaps[i + 1]) if i + 1 < len(snaps) else None
            size, holder = len(body), [body]  # the parser releases the bytes early
            del body
            table = _parse(snap, holder, str(store.root / snap.path), report)
            store.check_digest(snap, digest.result(), size)
            yield table
            del table
    finally:
        reader.shutdown(wait=True, cancel_futures=True)


def _parse(snap: Snapshot, holder: list[bytes], path: str, parse_report: ParseReport) -> pa.Table:
    """Parse one snapshot to compact Arrow; `holder` carries its bytes so the parser can
    free them early."""
    if snap.source == "comtrade":
        return parse_comtrade(holder, snap, path, parse_report)
    body = holder.pop()
    if snap.source == "wits":
        from tradeviz.transform import wits

        return compact(
            pa.Table.from_pandas(wits.parse_wits(body, snap, path), preserve_index=False)
        )
    from tradeviz.transform import imf

    frame = imf.parse_imf(body, snap, path)
    return compact(pa.Table.from_pandas(frame, preserve_index=False))
