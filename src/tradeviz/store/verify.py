"""`tradeviz raw verify`: check every manifest line and snapshot, like `git fsck`, and
repair what can be repaired (retire dead lines, set malformed manifest lines aside).

Checks: the manifest parses (BOM, malformed lines, fields of the wrong type, unknown sources,
paths that leave raw/, torn tail); each live line's file exists inside raw/, its uncompressed
bytes (streamed, and never more than the recorded size) have the recorded sha256, it parses,
and its record count matches; files no line refers to (orphans) and temporary files are listed.

Statuses: ok; missing; damaged (the bytes are not those stored); mislabelled (the line's sha256
is wrong but the file holds exactly the bytes its own name's sha256 says: the file is kept and
the line corrected); invalid (the stored bytes do not parse); unreadable (the OS refuses to
read it, e.g. permissions: nothing is retired or touched, the user fixes the permissions).
`--fix` never deletes a file that cannot be fetched again (WITS imports): a damaged one is
moved to raw/.set-aside/.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from tradeviz.store.durable import (
    TMP_PREFIX,
    atomic_write_bytes,
    os_errors,
    pid_alive,
    remove_dead_temp_files,
    tmp_owner,
)
from tradeviz.store.raw import (
    DECODE_ERRORS,
    GZ,
    REFETCHABLE,
    SOURCES,
    ManifestError,
    RawStore,
    Snapshot,
    _record_problem,
    file_digest,
    inside,
    name_sha,
    read_file,
    recorded_size,
    sha256_hex,
    utc_now,
)

DAMAGE = ("missing", "damaged", "mislabelled", "invalid", "unreadable")
COLUMNS = ("lines", "ok", "incomplete", "superseded", *DAMAGE, "retired")
SET_ASIDE = ".set-aside"  # under raw/: damaged files that cannot be fetched again


@dataclass
class Finding:
    snap: Snapshot
    status: str  # ok, or one of DAMAGE (see the module docstring)
    detail: str = ""
    current: bool = True  # the line a build would read for its query key
    actual_sha: str = ""  # mislabelled: the sha256 of the file's bytes (that of its name)
    actual_bytes: int = 0


@dataclass
class VerifyResult:
    findings: list[Finding] = field(default_factory=list)
    manifest_problems: list[str] = field(default_factory=list)
    torn_tail: bool = False
    retired: Counter = field(default_factory=Counter)
    orphans: list[Path] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)

    @property
    def damaged(self) -> list[Finding]:
        return [f for f in self.findings if f.status in DAMAGE]

    @property
    def healthy(self) -> bool:
        """No damage; temporary files count only when their writer is gone."""
        stale = [p for p in self.temp_files if p not in temp_files_in_use(self.temp_files)]
        return not (self.damaged or self.manifest_problems or stale)

    def table(self) -> str:
        """One row per source, one column per status."""
        counts: dict[str, Counter] = {}
        for f in self.findings:
            c = counts.setdefault(f.snap.source, Counter())
            c["lines"] += 1
            c[f.status] += 1
            if f.status == "ok" and not f.snap.complete:
                c["incomplete"] += 1
            if not f.current:
                c["superseded"] += 1
        for source, n in self.retired.items():
            counts.setdefault(source, Counter())["retired"] += n
        head = f"{'source':20}" + "".join(f"{c:>12}" for c in COLUMNS)
        rows = [head] + [
            f"{src:20}" + "".join(f"{c[col]:>12}" for col in COLUMNS)
            for src, c in sorted(counts.items())
        ]
        rows.append(
            f"manifest problems: {len(self.manifest_problems)}; torn last line: "
            f"{'yes' if self.torn_tail else 'no'}; orphan files: {len(self.orphans)}; "
            f"temporary files: {len(self.temp_files)}"
        )
        return "\n".join(rows)


def verify(store: RawStore) -> VerifyResult:
    """Check everything; changes nothing."""
    result = VerifyResult()
    try:
        manifest = store.manifest()
    except ManifestError as exc:
        result.manifest_problems = [p for p, _ in _bad_lines(store)] or [str(exc)]
        manifest = _lenient(store)
    result.torn_tail = manifest.torn_tail
    for snap, _ in manifest.retired:
        result.retired[snap.source] += 1
    current = {id(s) for s in store_current(manifest.live)}
    for snap in manifest.live:
        finding = check_snapshot(store, snap)
        finding.current = id(snap) in current
        result.findings.append(finding)
    referenced = {Path(s.path).name.removesuffix(GZ) for s in manifest.live}
    referenced |= {Path(s.path).name.removesuffix(GZ) for s, _ in manifest.retired}
    result.orphans = [
        p for p in store.snapshot_files() if p.name.removesuffix(GZ) not in referenced
    ]
    if store.root.exists():
        result.temp_files = sorted(store.root.rglob(f"{TMP_PREFIX}*"))
    if (
        not manifest.live
        and not manifest.retired
        and result.orphans
        and not result.manifest_problems
    ):
        result.manifest_problems.append(
            f"{store.manifest_path} is missing or empty but {len(result.orphans)} snapshot "
            "file(s) exist"
        )
    return result


def store_current(live: list[Snapshot]) -> list[Snapshot]:
    best: dict[str, Snapshot] = {}
    for snap in live:
        old = best.get(snap.key)
        if old is None or snap.complete or not old.complete:
            best[snap.key] = snap
    return list(best.values())


def check_snapshot(store: RawStore, snap: Snapshot) -> Finding:
    """One line's file checked; never more than the recorded size is inflated or held."""
    path = store.locate(snap)
    if path is None:
        return Finding(snap, "missing", _why_missing(store, snap))
    limit = recorded_size(snap)
    try:
        if limit is None:  # no recorded size: stream the hash, read only a matching file
            (digest, size), data = file_digest(path), None
            if digest == snap.sha256:
                data = read_file(path, size)
        else:
            data = read_file(path, limit)
            digest, size = sha256_hex(data), len(data)
    except DECODE_ERRORS as exc:
        return Finding(snap, "damaged", f"{path} cannot be read ({exc})")
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        return Finding(
            snap, "unreadable", f"{path} cannot be read: {reason} (fix the permissions; kept)"
        )
    if digest != snap.sha256:
        return _wrong_sha(snap, path, digest, size)
    problem = _parse_problem(snap, data)
    if problem:
        return Finding(snap, "invalid", f"{path}: {problem}")
    return Finding(snap, "ok")


def _why_missing(store: RawStore, snap: Snapshot) -> str:
    path = inside(store.root, snap.path)
    if path is None:
        return f"{store.where(snap)} leads out of raw/ (a symlink?): never followed"
    if path.is_dir() or path.with_name(path.name.removesuffix(GZ)).is_dir():
        return f"{path} is a directory, not a snapshot file"
    return f"{path} does not exist"


def _wrong_sha(snap: Snapshot, path: Path, digest: str, size: int) -> Finding:
    if digest == name_sha(path):  # the file holds what was stored under its name
        return Finding(
            snap,
            "mislabelled",
            f"{path}: the manifest's sha256 is wrong; the file matches the sha256 in its "
            "name (kept)",
            actual_sha=digest,
            actual_bytes=size,
        )
    recorded = snap.record.get("bytes")
    return Finding(
        snap, "damaged", f"{path}: sha256 does not match ({size} bytes, {recorded} recorded)"
    )


def _parse_problem(snap: Snapshot, data: bytes) -> str | None:
    name = snap.path.removesuffix(GZ)
    try:
        if name.endswith(".json"):
            doc = json.loads(data)
            if snap.source == "comtrade":
                if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
                    return "not a v1 envelope"
                if doc.get("count") != len(doc["data"]):
                    return f"count {doc.get('count')} but {len(doc['data'])} records"
                recorded = snap.record.get("records")
                if recorded is not None and recorded != len(doc["data"]):
                    return f"{len(doc['data'])} records, manifest says {recorded}"
        elif name.endswith(".xml"):
            ElementTree.fromstring(data)
    except (ValueError, ElementTree.ParseError) as exc:
        return f"does not parse ({type(exc).__name__}: {exc})"
    return None


def _bad_lines(store: RawStore) -> list[tuple[str, int]]:
    """(problem, line number) for every line a strict read would stop at."""
    data = store.manifest_path.read_bytes()
    out = []
    if data.startswith(b"\xef\xbb\xbf"):
        out.append(("line 1 starts with a UTF-8 byte-order mark", 0))
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    for n, raw in enumerate(lines, 1):
        text = raw.removeprefix(b"\xef\xbb\xbf") if n == 1 else raw
        if not text.strip():
            continue
        try:
            problem = _record_problem(json.loads(text))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if n == len(lines) and not data.endswith(b"\n"):
                continue  # a torn tail is tolerated
            problem = "is not valid JSON"
        if problem:
            out.append((f"line {n} {problem}", n))
    return out


def _good_bytes(store: RawStore) -> bytes:
    data = store.manifest_path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    bad = {n for _, n in _bad_lines(store)}
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    keep = [ln for n, ln in enumerate(lines, 1) if n not in bad]
    return b"".join(ln + b"\n" for ln in keep)


def _set_aside_retirements(store: RawStore) -> list[dict]:
    """A `retired` record for each snapshot line about to be set aside that still names a
    source, sha256 and query key: its query then counts as retired, so `build` names it
    (until it is fetched again) instead of silently lacking it."""
    lines = store.manifest_path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n")
    out = []
    for problem, n in _bad_lines(store):
        try:
            record = json.loads(lines[n - 1]) if n else None
        except (UnicodeDecodeError, json.JSONDecodeError, IndexError):
            continue
        if not isinstance(record, dict) or "retired" in record:
            continue
        sha, key, source = (record.get(k) for k in ("sha256", "query_key", "source"))
        if all(isinstance(v, str) for v in (sha, key, source)):
            params = record.get("params")
            out.append(
                {
                    "retired": sha,
                    "query_key": key,
                    "source": source,
                    "params": params if isinstance(params, dict) else {},
                    "reason": f"raw verify: set aside: {problem}"[:300],
                    "at": utc_now(),
                }
            )
    return out


def _lenient(store: RawStore):
    from tradeviz.store.raw import parse_manifest

    return parse_manifest(_good_bytes(store), str(store.manifest_path))


@dataclass
class FixReport:
    manifest_backup: Path | None = None
    lines_set_aside: int = 0
    retired: list[Finding] = field(default_factory=list)
    relabelled: list[Finding] = field(default_factory=list)  # line corrected, file kept
    moved: list[tuple[Path, Path]] = field(default_factory=list)  # (from, to): kept aside
    left: list[Finding] = field(default_factory=list)  # unreadable: for the user to fix
    refetched: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    temp_removed: int = 0


def fix(store: RawStore, result: VerifyResult, refetch=None) -> FixReport:
    """Repair: set malformed manifest lines aside (backup kept), retire damaged, missing or
    invalid lines (a damaged file is deleted when it can be fetched again, else moved to
    raw/.set-aside/), correct mislabelled lines (the file is kept), leave unreadable files
    alone, remove dead writers' temporary files, and, when `refetch` is given, hand it the
    retired current lines to fetch again. Only files inside raw/ are ever touched. Call
    under the data-dir lock."""
    report = FixReport()
    if result.manifest_problems and store.manifest_path.exists():
        backup = store.root / f"{store.manifest_path.name}.bak-{time.strftime('%Y%m%dT%H%M%S')}"
        with os_errors(backup):
            report.lines_set_aside = len(_bad_lines(store))
            retirements = _set_aside_retirements(store)
            atomic_write_bytes(backup, store.manifest_path.read_bytes())
            atomic_write_bytes(store.manifest_path, _good_bytes(store))
        report.manifest_backup = backup
        for record in retirements:  # so a build names their queries instead of lacking them
            store._append(record)
    to_refetch: list[Snapshot] = []
    for finding in result.damaged:
        if finding.status == "unreadable":
            report.left.append(finding)
            continue
        store.retire(finding.snap, f"raw verify: {finding.status}: {finding.detail}")
        if finding.status == "mislabelled":
            _relabel(store, finding)
            report.relabelled.append(finding)
            continue
        path = store.locate(finding.snap)  # inside raw/ or None
        if finding.status == "damaged" and path is not None:
            moved = _remove_damaged(store, finding.snap, path)
            if moved is not None:
                report.moved.append((path, moved))
        report.retired.append(finding)
        if finding.current:
            to_refetch.append(finding.snap)
    report.temp_removed = remove_dead_temp_files(store.root)
    if refetch is not None and to_refetch:
        done, commands = refetch(store, to_refetch)
        report.refetched += done
        report.commands += commands
    else:
        report.commands += sorted({refetch_command(s) for s in to_refetch})
    return report


def _relabel(store: RawStore, finding: Finding) -> None:
    """Append the line again with the sha256 (and size) of the bytes its file holds."""
    record = {**finding.snap.record, "sha256": finding.actual_sha}
    record["bytes"] = finding.actual_bytes
    store._append(record)


def _remove_damaged(store: RawStore, snap: Snapshot, path: Path) -> Path | None:
    """Delete a damaged file that a refetch writes again; move one that cannot be fetched
    again (a WITS import) to raw/.set-aside/<source>/ instead. Returns where it went."""
    if snap.source in REFETCHABLE:
        with os_errors(path):
            path.unlink(missing_ok=True)
        return None
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = store.root / SET_ASIDE / path.parent.name / f"{path.name}.{stamp}"
    with os_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, target)
    return target


def refetch_command(snap: Snapshot) -> str:
    """The command that fetches a retired snapshot's query again."""
    if snap.source == "wits":
        params = snap.record.get("params")
        file = params.get("file") if isinstance(params, dict) else None
        return f"tradeviz import wits {file if isinstance(file, str) else 'FILE'}"
    if snap.source not in SOURCES:  # a mistyped source: the fetch that wrote it, rerun
        return (
            f"the fetch or import that wrote source {snap.source!r} (rerun it; tradeviz "
            "writes only " + ", ".join(SOURCES) + ")"
        )
    if snap.source == "comtrade_reference":
        return "tradeviz fetch comtrade-reference --refresh"
    return f"tradeviz fetch {snap.source}   (reruns fetch only the missing queries)"


def temp_files_in_use(paths: list[Path]) -> list[Path]:
    return [p for p in paths if (pid := tmp_owner(p.name)) is not None and pid_alive(pid)]
