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
* only a torn LAST line (a writer killed mid-line) is tolerated, with a warning; the next
  append cuts it off. A malformed line anywhere else, or a byte-order mark, is an error naming
  the line and the command that fixes it.

Writes are atomic (pid-named temporary file, fsync, rename), so a fetch killed at any moment
leaves either a whole snapshot or none; a manifest line is one write + fsync, after its file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tradeviz.errors import SnapshotError
from tradeviz.store.durable import (
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
READ_ERRORS = (OSError, EOFError, zlib.error, inflate_lib.error)  # a file that cannot be read

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
GZ = ".gz"
VERIFY_FIX = "`tradeviz raw verify --fix`"
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


def _record_problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return f"is a JSON {type(record).__name__}, not an object"
    if "retired" in record:
        return None if isinstance(record["retired"], str) else "retires a non-string sha256"
    missing = [k for k in ("source", "sha256", "path") if not isinstance(record.get(k), str)]
    if missing:
        return f"lacks {', '.join(missing)}"
    if "complete" in record and _as_bool(record["complete"]) is None:
        return f"has complete={record['complete']!r} (neither true nor false)"
    return None


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

    def snapshot_files(self) -> list[Path]:
        if not self.root.exists():
            return []
        return sorted(
            p for p in self.root.glob("*/*") if p.is_file() and not p.name.startswith(TMP_PREFIX)
        )

    # -- files -------------------------------------------------------------------------
    def locate(self, snap: Snapshot) -> Path | None:
        """The snapshot's file, compressed or not (a compact may have converted it)."""
        path = self.root / snap.path
        plain = path.with_name(path.name[: -len(GZ)]) if path.name.endswith(GZ) else path
        for candidate in (plain.with_name(plain.name + GZ), plain):
            if candidate.is_file():
                return candidate
        return None

    def open(self, snap: Snapshot) -> BinaryIO:
        """A stream of the snapshot's uncompressed bytes (not checked: see `read`)."""
        return _open_file(self._located(snap))

    def read(self, snap: Snapshot, verify: bool = True) -> bytes:
        """The snapshot's uncompressed bytes, checked against the manifest hash."""
        path = self._located(snap)
        try:
            data = read_file(path)
        except READ_ERRORS as exc:
            raise self._damaged(snap, path, f"cannot be read ({exc})") from None
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
            for piece in _file_pieces(path, size or PIECE_BYTES):
                digest.update(piece)
                total += len(piece)
                yield piece
        except READ_ERRORS as exc:
            raise self._damaged(snap, path, f"cannot be read ({exc})") from None
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

    def _missing(self, snap: Snapshot) -> SnapshotError:
        return SnapshotError(
            f"raw snapshot {self.root / snap.path}{_at_line(snap)} is listed in the manifest "
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
        existing = next((r for r in (plain + GZ, plain) if self._holds(r, digest)), None)
        if existing is None:
            data = gzip.compress(body, compresslevel=6, mtime=0) if self.compress else body
            atomic_write_bytes(self.root / rel, data)
        else:
            rel = existing
        record = {"source": source, **meta, "sha256": digest, "bytes": len(body), "path": rel}
        record.setdefault("fetched_at", utc_now())
        self._append(record)
        return Snapshot(record)

    def _holds(self, rel: str, digest: str) -> bool:
        path = self.root / rel
        if not path.is_file():
            return False
        try:
            return sha256_hex(read_file(path)) == digest
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
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                self._cut_torn_tail(fd)
                write_all(fd, line, path)
                os.fsync(fd)
            finally:
                os.close(fd)

    def _cut_torn_tail(self, fd: int) -> None:
        """A line without its newline was cut by a killed writer: drop it before appending,
        so it can never end up in the middle of the manifest."""
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


def _open_file(path: Path) -> BinaryIO:
    if path.name.endswith(GZ):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _file_pieces(path: Path, size: int) -> Iterator[bytes]:
    """A snapshot file's uncompressed bytes, at most `size` at a time; gzip members are
    inflated one after another (the inflater checks each member's CRC and length) and a file that
    ends inside a member raises EOFError."""
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


def read_file(path: Path) -> bytes:
    """A snapshot file's uncompressed bytes. One-shot decompression of the (small) compressed
    bytes: no second copy of the output; `RawStore.pieces` streams them instead."""
    data = path.read_bytes()
    return _gunzip(data) if path.name.endswith(GZ) else data


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
