"""Immutable raw snapshots: exact response bytes named by content hash, plus a manifest.

Layout under $TRADEVIZ_DATA_DIR/raw/:
  manifest.jsonl              one JSON line per snapshot or retirement (only ever appended)
  <source>/<sha256>.<ext>.gz  the exact bytes a source returned, gzip-compressed; the name and
                              the manifest's sha256 are those of the UNCOMPRESSED bytes
  <source>/<sha256>.<ext>     the same, uncompressed (stores written before compression;
                              `tradeviz raw compact` converts them, atomically per file)

Manifest semantics (modelled on SQLite's journal and git's object store):
* per query key, the newest complete snapshot wins; older lines are superseded, never edited;
* a `retired` record (`{"retired": sha256, "reason": …}`) retires earlier lines of that
  snapshot, e.g. after `tradeviz raw verify --fix` found it damaged;
* only a torn LAST line (a writer killed mid-line: not valid JSON, no newline) is tolerated,
  with a warning; the next append cuts it off (a valid last line that only lacks its newline
  gets one instead). A malformed line anywhere else, or a byte-order mark, is an error naming
  the line and the command that fixes it. Malformed means: not a JSON object, a source tradeviz
  does not write, a field of the wrong type, or a `path` that would leave raw/ (absolute, `..`):
  no path read from the manifest is ever opened, moved or deleted outside raw/.

Writes are atomic (pid-named temporary file, fsync, rename), so a fetch killed at any moment
leaves either a whole snapshot or none; a manifest line is one write + fsync, after its file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tradeviz.errors import SnapshotError
from tradeviz.store.durable import (
    NOFOLLOW,
    TMP_PREFIX,
    atomic_write_bytes,
    os_errors,
    remove_dead_temp_files,
    write_all,
)

try:  # ISA-L's inflate: about three times zlib's speed, and it releases the GIL
    from isal import isal_zlib as inflate_lib
except ImportError:  # pragma: no cover - isal not importable (e.g. built without ISA-L)
    inflate_lib = zlib


class OversizeError(ValueError):
    """A snapshot file holds more bytes than its manifest line records (a gzip bomb, a sparse
    file): reading stops there instead of inflating the rest into memory."""


# the bytes are not what was stored (checked before OSError: gzip.BadGzipFile is an OSError)
DECODE_ERRORS = (EOFError, zlib.error, inflate_lib.error, gzip.BadGzipFile, OversizeError)
READ_ERRORS = (OSError, *DECODE_ERRORS)  # a file that cannot be read, for whatever reason

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
GZ = ".gz"
VERIFY_FIX = "`tradeviz raw verify --fix`"
# The sources tradeviz writes; a line naming another is damage, not something to skip.
SOURCES = ("comtrade", "comtrade_availability", "comtrade_reference", "imf", "wits")
REFETCHABLE = ("comtrade", "comtrade_availability", "comtrade_reference", "imf")  # not wits:
# an imported download is the only copy, so a damaged one is moved aside, never deleted
_SHA = re.compile(r"[0-9a-f]{64}")
PIECE_BYTES = 2 << 20  # uncompressed bytes per piece of RawStore.pieces (the build's peak
# was ~25 MiB higher with 4 MiB pieces, and no faster)
_READ_BYTES = 1 << 20  # compressed bytes read from the file at a time
__all__ = [
    "MANIFEST",
    "TMP_PREFIX",
    "ManifestError",
    "RawStore",
    "Snapshot",
    "atomic_write_bytes",
    "query_key",
    "sha256_hex",
]


class ManifestError(SnapshotError):
    """The manifest itself is damaged (not a snapshot): the build must not guess."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def query_key(source: str, params: dict[str, object]) -> str:
    """Stable identity of a query: hash of the source and its sorted data parameters."""
    canonical = json.dumps(
        {"source": source, "params": params}, sort_keys=True, separators=(",", ":")
    )
    return sha256_hex(canonical.encode())[:24]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_bool(value: object) -> bool | None:
    """JSON booleans, and the strings "true"/"false" some hand edits produce; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


@dataclass(frozen=True)
class Snapshot:
    """One manifest line."""

    record: dict
    line: int = 0

    @property
    def sha256(self) -> str:
        return self.record["sha256"]

    @property
    def path(self) -> str:
        return self.record["path"]

    @property
    def source(self) -> str:
        return self.record["source"]

    @property
    def complete(self) -> bool:
        value = _as_bool(self.record.get("complete", True))
        return bool(value)

    @property
    def key(self) -> str:
        """The query key, or a key of its own for lines that have none."""
        return self.record.get("query_key") or f"{self.sha256}@{self.line}"


@dataclass
class Manifest:
    """The parsed manifest: live snapshot lines in order, retired lines, and warnings."""

    live: list[Snapshot] = field(default_factory=list)
    retired: list[tuple[Snapshot, str]] = field(default_factory=list)
    retire_records: list[tuple[dict, int]] = field(default_factory=list)  # (record, line)
    torn_tail: bool = False
    lines: int = 0


def parse_manifest(data: bytes, name: str = MANIFEST) -> Manifest:
    """Strict reading: see the module docstring for what is tolerated."""
    out = Manifest()
    fix = (
        f"Fix: run {VERIFY_FIX} (it sets the bad line aside, keeping a backup of the "
        "manifest), then rerun"
    )
    if data.startswith(b"\xef\xbb\xbf"):
        raise ManifestError(
            f"{name} line 1 starts with a UTF-8 byte-order mark (an editor saved it). {fix}"
        )
    raw_lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    if ends_with_newline:
        raw_lines.pop()
    out.lines = len(raw_lines)
    entries: list[Snapshot] = []
    for lineno, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        last = lineno == len(raw_lines)
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if last and not ends_with_newline:
                log.warning(
                    "%s line %d is incomplete (a writer was interrupted); ignored", name, lineno
                )
                out.torn_tail = True
                continue
            raise ManifestError(f"{name} line {lineno} is not valid JSON ({exc}). {fix}") from None
        problem = _record_problem(record)
        if problem:
            raise ManifestError(f"{name} line {lineno} {problem}. {fix}")
        if "retired" in record:
            out.retire_records.append((record, lineno))
            sha, key = record["retired"], record.get("query_key")
            keep = []
            for snap in entries:
                if snap.sha256 == sha and (key is None or snap.record.get("query_key") == key):
                    out.retired.append((snap, str(record.get("reason", ""))))
                else:
                    keep.append(snap)
            entries = keep
            continue
        entries.append(Snapshot(record, lineno))
    out.live = entries
    return out


_TYPES: dict[str, tuple[type, ...]] = {  # optional fields a reader uses, and their types
    "params": (dict,),
    "fetched_at": (str,),
    "query_key": (str,),
    "freq": (str,),
    "format": (str,),
    "reference": (str,),
    "unmapped_partners": (list,),
    "bytes": (int,),
    "records": (int,),
    "count": (int,),
    "max_records": (int, type(None)),
}
_JSON_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}


def _record_problem(record: object) -> str | None:
    """Why a manifest line cannot be used as it is, or None: every field a reader uses is
    checked here, so `raw verify` reports what would otherwise crash (or be skipped by) a
    build."""
    if not isinstance(record, dict):
        return f"is a JSON {type(record).__name__}, not an object"
    if "retired" in record:
        if not isinstance(record["retired"], str):
            return "retires a non-string sha256"
        key = record.get("query_key")
        return None if key is None or isinstance(key, str) else "has a non-string query_key"
    missing = [k for k in ("source", "sha256", "path") if not isinstance(record.get(k), str)]
    if missing:
        return f"lacks {', '.join(missing)}"
    if record["source"] not in SOURCES:
        return f"has source {record['source']!r}, which tradeviz does not write"
    if not _SHA.fullmatch(record["sha256"]):
        return f"has sha256 {record['sha256'][:80]!r} (not 64 hex digits)"
    if not safe_relative(record["path"]):
        return f"has path {record['path'][:200]!r}, which leaves raw/ (never followed)"
    for name in _TYPES.keys() & record.keys():
        value, types = record[name], _TYPES[name]
        if isinstance(value, bool) or not isinstance(value, types):
            wanted = " or ".join(_JSON_NAMES[t] for t in types)
            got = _JSON_NAMES.get(type(value), type(value).__name__)
            return f"has {name}={_short(value)} (a JSON {got}, not {wanted})"
        if isinstance(value, int) and value < 0:
            return f"has {name}={value} (negative)"
    if "complete" in record and _as_bool(record["complete"]) is None:
        return f"has complete={record['complete']!r} (neither true nor false)"
    return None


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def safe_relative(rel: str) -> bool:
    """`rel` names something under a directory, read as text alone: relative, no `..`, no
    empty part, no NUL or backslash (so it cannot name a file elsewhere on any system)."""
    if not rel or "\x00" in rel or "\\" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return not PurePosixPath(rel).is_absolute() and ".." not in parts and "" not in parts


def inside(root: Path, rel: str) -> Path | None:
    """root/rel when it names something inside `root` once symlinks are resolved, else None:
    every path taken from the manifest goes through this before the file system sees it."""
    if not safe_relative(rel):
        return None
    path = Path(root) / rel
    try:
        real, base = path.resolve(), Path(root).resolve()
    except (OSError, RuntimeError):
        return None
    return path if real == base or base in real.parents else None


def name_sha(path: Path | str) -> str | None:
    """The sha256 a snapshot file is named by (`<sha256>.<ext>[.gz]`), or None."""
    head = Path(path).name.split(".", 1)[0]
    return head if _SHA.fullmatch(head) else None


class RawStore:
    """The raw layer of one data directory."""

    def __init__(self, root: Path, compress: bool = True):
        self.root = Path(root)
        self.compress = compress

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    # -- reading the manifest ----------------------------------------------------------
    def manifest(self) -> Manifest:
        if not self.manifest_path.exists():
            return Manifest()
        with os_errors(self.manifest_path, "read"):
            data = self.manifest_path.read_bytes()
        return parse_manifest(data, str(self.manifest_path))

    def snapshots(self, source: str | None = None) -> Iterator[Snapshot]:
        """Live (not retired) manifest lines in order; a torn last line is skipped."""
        for snap in self.manifest().live:
            if source is None or snap.source == source:
                yield snap

    def latest_by_query(self, source: str) -> dict[str, Snapshot]:
        """Per query key, the newest complete snapshot whose file is present, else the newest
        present one (incomplete): what a fetcher may reuse instead of calling again."""
        latest: dict[str, Snapshot] = {}
        for snap in self.snapshots(source):
            key = snap.record.get("query_key")
            if not key or self.locate(snap) is None:
                continue
            old = latest.get(key)
            if old is None or snap.complete or not old.complete:
                latest[key] = snap
        return latest

    def current_snapshots(self, sources: Iterable[str]) -> list[Snapshot]:
        """What a build reads: per query key the newest complete line (or, if none is
        complete, the newest line), in manifest order. An empty or missing manifest while
        snapshot files exist is an error, never an empty build."""
        wanted = set(sources)
        manifest = self.manifest()
        if not manifest.live and not manifest.retired:
            files = self.snapshot_files()
            if files:
                state = "missing" if not self.manifest_path.exists() else "empty"
                raise ManifestError(
                    f"{self.manifest_path} is {state} but {len(files)} snapshot file(s) exist "
                    f"under {self.root}: building would publish empty tables. Fix: restore "
                    "the manifest from a backup, or refetch (`tradeviz fetch comtrade "
                    "--refresh`); `tradeviz raw verify` lists the files"
                )
        best: dict[str, Snapshot] = {}
        for snap in manifest.live:
            if snap.source not in wanted:
                continue
            old = best.get(snap.key)
            if old is None or snap.complete or not old.complete:
                best[snap.key] = snap
        return sorted(best.values(), key=lambda s: s.line)

    def retired_missing(self, sources: Iterable[str]) -> list[Snapshot]:
        """Retired lines (of `sources`) whose query has no live line any more: queries a
        build would silently lack, one line each (the newest retired one per key). A line
        `raw verify --fix` set aside for a source tradeviz does not write (a mistyped
        `comtrade_v2`) counts for every build: which source it held is unknown."""
        wanted = set(sources) | {None}
        manifest = self.manifest()
        live = {snap.key for snap in manifest.live}
        gone: dict[str, Snapshot] = {}
        for snap, _ in manifest.retired:
            if snap.source in wanted and snap.key not in live:
                gone[snap.key] = snap
        for record, line in manifest.retire_records:  # lines `raw verify --fix` set aside
            key, source = record.get("query_key"), record.get("source")
            known = source if source in SOURCES else None
            if isinstance(key, str) and known in wanted and key not in live | gone.keys():
                params = record.get("params") if isinstance(record.get("params"), dict) else {}
                stub = {"source": source, "sha256": record["retired"], "path": ""}
                gone[key] = Snapshot({**stub, "query_key": key, "params": params}, line)
        return sorted(gone.values(), key=lambda s: s.line)

    def snapshot_files(self) -> list[Path]:
        if not self.root.exists():
            return []
        return sorted(
            p for p in self.root.glob("*/*") if p.is_file() and not p.name.startswith(TMP_PREFIX)
        )

    # -- files -------------------------------------------------------------------------
    def locate(self, snap: Snapshot) -> Path | None:
        """The snapshot's file, compressed or not (a compact may have converted it); None
        when absent, or when the manifest's path (or a symlink on it) leads out of raw/."""
        plain = snap.path.removesuffix(GZ)
        for rel in (plain + GZ, plain):
            candidate = inside(self.root, rel)
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    def where(self, snap: Snapshot) -> str:
        """The snapshot's path for a message: under raw/, or the manifest's text quoted."""
        path = inside(self.root, snap.path)
        return str(path) if path is not None else f"{snap.path!r} (outside {self.root})"

    def open(self, snap: Snapshot) -> BinaryIO:
        """A stream of the snapshot's uncompressed bytes (not checked: see `read`)."""
        return _open_file(self._located(snap))

    def read(self, snap: Snapshot, verify: bool = True) -> bytes:
        """The snapshot's uncompressed bytes, checked against the manifest hash; reading
        stops past the recorded size (a gzip bomb is damage, not a memory spike)."""
        path = self._located(snap)
        try:
            data = read_file(path, recorded_size(snap))
        except DECODE_ERRORS as exc:
            raise self._decode_error(snap, path, exc) from None
        except OSError as exc:
            raise self._unreadable(snap, path, exc) from None
        if verify and sha256_hex(data) != snap.sha256:
            raise self._sha_mismatch(snap, path, len(data))
        return data

    def pieces(self, snap: Snapshot, size: int | None = None) -> Iterator[bytes]:
        """The snapshot's uncompressed bytes in pieces of at most `size` bytes (default
        PIECE_BYTES), decompressed as the file is read, so the whole body is never in
        memory. The sha256 is checked once the last piece is out: a damaged file raises
        SnapshotError then, so a consumer may use what it made of the pieces only after
        the iterator is exhausted."""
        path = self._located(snap)
        digest, total = hashlib.sha256(), 0
        try:
            for piece in _file_pieces(path, size or PIECE_BYTES, recorded_size(snap)):
                digest.update(piece)
                total += len(piece)
                yield piece
        except DECODE_ERRORS as exc:
            raise self._decode_error(snap, path, exc) from None
        except OSError as exc:
            raise self._unreadable(snap, path, exc) from None
        if digest.hexdigest() != snap.sha256:
            raise self._sha_mismatch(snap, path, total)

    def _located(self, snap: Snapshot) -> Path:
        path = self.locate(snap)
        if path is None:
            raise self._missing(snap)
        return path

    def _sha_mismatch(self, snap: Snapshot, path: Path, size: int) -> SnapshotError:
        return self._damaged(
            snap,
            path,
            f"its sha256 does not match the manifest ({size} bytes, "
            f"{snap.record.get('bytes')} recorded)",
        )

    def _decode_error(self, snap: Snapshot, path: Path, exc: Exception) -> SnapshotError:
        if isinstance(exc, OversizeError):  # more bytes than stored: not the stored bytes
            return self._damaged(snap, path, f"its sha256 does not match the manifest ({exc})")
        return self._damaged(snap, path, f"cannot be read ({exc})")

    def _unreadable(self, snap: Snapshot, path: Path, exc: OSError) -> SnapshotError:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        return SnapshotError(
            f"raw snapshot {path}{_at_line(snap)} cannot be read: {reason} (the file is "
            "not known to be damaged). Fix: make it readable for this user (chmod/chown), "
            "then rerun"
        )

    def _missing(self, snap: Snapshot) -> SnapshotError:
        return SnapshotError(
            f"raw snapshot {self.where(snap)}{_at_line(snap)} is listed in the manifest "
            f"but missing. Fix: {VERIFY_FIX} (retires it and refetches), or "
            f"{_refetch_hint(snap.source)}"
        )

    def _damaged(self, snap: Snapshot, path: Path, why: str) -> SnapshotError:
        return SnapshotError(
            f"raw snapshot {path}{_at_line(snap)} is corrupted: {why}. Fix: "
            f"{VERIFY_FIX} (retires it and refetches), or delete the file and run "
            f"{_refetch_hint(snap.source)}"
        )

    # -- writing -----------------------------------------------------------------------
    def save(self, source: str, body: bytes, ext: str, meta: dict) -> Snapshot:
        """Store `body` (unless a whole copy is already there) and append its manifest line."""
        digest = sha256_hex(body)
        plain = f"{source}/{digest}.{ext}"
        rel = plain + GZ if self.compress else plain
        existing = next((r for r in (plain + GZ, plain) if self._holds(r, digest, len(body))), None)
        if existing is None:
            data = gzip.compress(body, compresslevel=6, mtime=0) if self.compress else body
            atomic_write_bytes(self.root / rel, data)
        else:
            rel = existing
        record = {"source": source, **meta, "sha256": digest, "bytes": len(body), "path": rel}
        record.setdefault("fetched_at", utc_now())
        self._append(record)
        return Snapshot(record)

    def _holds(self, rel: str, digest: str, limit: int) -> bool:
        """A whole copy of the body is already at `rel` (streamed: nothing held whole)."""
        path = self.root / rel
        if not path.is_file():
            return False
        try:
            return file_digest(path, limit)[0] == digest
        except READ_ERRORS:
            return False

    def retire(self, snap: Snapshot, reason: str) -> None:
        """Append a record retiring `snap` (the line itself is never edited)."""
        self._append(
            {
                "retired": snap.sha256,
                "query_key": snap.record.get("query_key"),
                "source": snap.source,
                "reason": reason,
                "at": utc_now(),
            }
        )

    def _append(self, record: dict) -> None:
        """One write of the whole line, then fsync."""
        line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode()
        path = self.manifest_path
        with os_errors(path):
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o666)
            try:
                self._cut_torn_tail(fd)
                write_all(fd, line, path)
                os.fsync(fd)
            finally:
                os.close(fd)

    def _cut_torn_tail(self, fd: int) -> None:
        """A last line that is not valid JSON was cut by a killed writer: drop it before
        appending, so it can never end up in the middle of the manifest. A valid line that
        only lacks its newline (an editor, a copy) is ended with one instead: it is data."""
        size = os.fstat(fd).st_size
        if not size or os.pread(fd, 1, size - 1) == b"\n":
            return
        tail_start = size
        while tail_start > 0:
            chunk = os.pread(fd, min(4096, tail_start), max(0, tail_start - 4096))
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                tail_start = tail_start - len(chunk) + nl + 1
                break
            tail_start -= len(chunk)
        if _valid_line(os.pread(fd, size - tail_start, tail_start)):
            write_all(fd, b"\n", self.manifest_path)
            return
        log.warning(
            "%s: dropping an incomplete last line (%d bytes) left by an interrupted writer",
            self.manifest_path,
            size - tail_start,
        )
        os.ftruncate(fd, tail_start)

    def remove_stale_temp_files(self) -> int:
        """Delete temporary files of writers that are gone (never a live process's)."""
        return remove_dead_temp_files(self.root)

    def compact(self, snap: Snapshot) -> bool:
        """Replace an uncompressed snapshot by its .gz form (atomic: the .gz is written
        whole and checked before the plain file goes). False when nothing was to do."""
        path = self.locate(snap)
        if path is None or path.name.endswith(GZ):
            return False
        body = self.read(snap)
        target = path.with_name(path.name + GZ)
        atomic_write_bytes(target, gzip.compress(body, compresslevel=6, mtime=0))
        if sha256_hex(read_file(target)) != snap.sha256:  # pragma: no cover - disk fault
            target.unlink(missing_ok=True)
            raise SnapshotError(f"compacting {path} produced a bad copy; kept the original")
        with os_errors(path):
            path.unlink()
        return True


def _valid_line(raw: bytes) -> bool:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict)


def recorded_size(snap: Snapshot) -> int | None:
    """The uncompressed size the manifest line records (None for lines that have none)."""
    size = snap.record.get("bytes")
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


def file_digest(path: Path, limit: int | None = None) -> tuple[str, int]:
    """(sha256, size) of a snapshot file's uncompressed bytes, streamed (constant memory);
    raises OversizeError past `limit` bytes."""
    digest, size = hashlib.sha256(), 0
    for piece in _file_pieces(path, PIECE_BYTES, limit):
        digest.update(piece)
        size += len(piece)
    return digest.hexdigest(), size


def _open_file(path: Path) -> BinaryIO:
    if path.name.endswith(GZ):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _file_pieces(path: Path, size: int, limit: int | None = None) -> Iterator[bytes]:
    """A snapshot file's uncompressed bytes, at most `size` at a time; gzip members are
    inflated one after another (the inflater checks each member's CRC and length) and a file that
    ends inside a member raises EOFError. Past `limit` bytes, OversizeError (nothing more
    is inflated or read)."""
    total = 0
    for piece in _raw_pieces(path, size if limit is None else min(size, limit + 1)):
        total += len(piece)
        if limit is not None and total > limit:
            raise OversizeError(f"it holds more than the {limit:,} bytes recorded")
        yield piece


def _raw_pieces(path: Path, size: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        if not path.name.endswith(GZ):
            while piece := fh.read(size):
                yield piece
            return
        inflate, pending = None, b""
        while True:
            if not pending:
                pending = fh.read(_READ_BYTES)
                if not pending:
                    break
            if inflate is None:
                if not pending.strip(b"\x00"):  # zero padding after the last member
                    pending = b""
                    continue
                inflate = inflate_lib.decompressobj(31)
            piece = inflate.decompress(pending, size)
            pending = inflate.unconsumed_tail
            if inflate.eof:  # this member is done; the bytes after it (all in unused_data,
                # which unconsumed_tail repeats) start the next one
                pending, inflate = inflate.unused_data, None
            if piece:
                yield piece
        if inflate is not None:
            raise EOFError("the compressed file ends before its end-of-stream marker")


def read_file(path: Path, limit: int | None = None) -> bytes:
    """A snapshot file's uncompressed bytes. One-shot decompression of the (small) compressed
    bytes: no second copy of the output; `RawStore.pieces` streams them instead. With
    `limit` (the recorded size), OversizeError as soon as the file holds more: a plain file
    is judged by its size, a gzip one inflated into at most limit + 1 bytes."""
    if limit is None:
        data = path.read_bytes()
        return _gunzip(data) if path.name.endswith(GZ) else data
    if not path.name.endswith(GZ):
        if path.stat().st_size > limit:
            raise OversizeError(f"it holds {path.stat().st_size:,} bytes, {limit:,} recorded")
        return path.read_bytes()
    if path.stat().st_size > limit + limit // 64 + 4096:  # more than deflate can add
        raise OversizeError(f"its compressed size exceeds the {limit:,} bytes recorded")
    data = path.read_bytes()
    inflate = inflate_lib.decompressobj(31)
    out = inflate.decompress(data, limit + 1)  # one output buffer, at most limit + 1 bytes
    if len(out) > limit:
        raise OversizeError(f"it holds more than the {limit:,} bytes recorded")
    if inflate.eof and not inflate.unused_data.strip(b"\x00"):
        return out
    del out, data  # more members, or cut short: the streaming reader says which
    return b"".join(_file_pieces(path, PIECE_BYTES, limit))


def _gunzip(data: bytes) -> bytes:
    """gzip bytes decompressed into one output buffer sized from the trailer (ISIZE, the
    size mod 2**32): the inflater then hands that buffer back as the result, where a buffer
    grown block by block is joined into a second full copy at the end. One-shot inflating
    stops after the first member, so the output must also match the trailer's CRC (that of
    the last member); multi-member files and sizes over 4 GiB take gzip.decompress."""
    if len(data) >= 18 and data[:2] == b"\x1f\x8b":
        size = int.from_bytes(data[-4:], "little")
        out = inflate_lib.decompress(data, 31, max(size, 1))  # checks the CRC; raises if damaged
        if len(out) == size and inflate_lib.crc32(out) == int.from_bytes(data[-8:-4], "little"):
            return out
    return gzip.decompress(data)


def _at_line(snap: Snapshot) -> str:
    return f" (manifest line {snap.line})" if snap.line else ""


def _refetch_hint(source: str) -> str:
    if source == "wits":
        return "`tradeviz import wits FILE` again with the original download"
    return f"`tradeviz fetch {source} --refresh`"
