"""Immutable raw snapshots: exact response bytes named by content hash, plus a manifest.

Layout under $TRADEVIZ_DATA_DIR/raw/:
  manifest.jsonl           one JSON line per snapshot (never rewritten, only appended)
  <source>/<sha256>.<ext>  the exact bytes a source returned

Writes are atomic (temporary file, fsync, rename), so a fetch killed at any moment leaves
either a whole snapshot or none. A manifest line is written only after its snapshot exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tradeviz.errors import SnapshotError

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
TMP_PREFIX = ".tmp-"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def query_key(source: str, params: dict[str, object]) -> str:
    """Stable identity of a query: hash of the source and its sorted data parameters."""
    canonical = json.dumps({"source": source, "params": params}, sort_keys=True,
                           separators=(",", ":"))
    return sha256_hex(canonical.encode())[:24]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Snapshot:
    """One manifest line."""

    record: dict

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
        return bool(self.record.get("complete", True))


class RawStore:
    """The raw layer of one data directory."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def remove_stale_temp_files(self) -> int:
        """Delete temporary files left by a killed run; they never count as snapshots."""
        removed = 0
        if self.root.exists():
            for tmp in self.root.rglob(f"{TMP_PREFIX}*"):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def save(self, source: str, body: bytes, ext: str, meta: dict) -> Snapshot:
        """Store `body` (if not already there) and append its manifest line."""
        digest = sha256_hex(body)
        rel = f"{source}/{digest}.{ext}"
        target = self.root / rel
        if not (target.exists() and target.stat().st_size == len(body)):
            atomic_write_bytes(target, body)
        record = {"source": source, **meta, "sha256": digest, "bytes": len(body), "path": rel}
        record.setdefault("fetched_at", utc_now())
        self._append(record)
        return Snapshot(record)

    def _append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.manifest_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # A killed run may have left a line without its newline: start a fresh one.
            size = os.fstat(fd).st_size
            if size:
                with open(self.manifest_path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        line = "\n" + line
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def snapshots(self, source: str | None = None) -> Iterator[Snapshot]:
        """Manifest lines in order; a line cut by a killed run is skipped with a warning."""
        if not self.manifest_path.exists():
            return
        with open(self.manifest_path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    log.warning("%s line %d is incomplete (a fetch was interrupted); ignored",
                                self.manifest_path, lineno)
                    continue
                if source is None or record.get("source") == source:
                    yield Snapshot(record)

    def latest_by_query(self, source: str) -> dict[str, Snapshot]:
        """Newest manifest line per query key whose snapshot file is present."""
        latest: dict[str, Snapshot] = {}
        for snap in self.snapshots(source):
            key = snap.record.get("query_key")
            if key and (self.root / snap.path).exists():
                latest[key] = snap
        return latest

    def read(self, snap: Snapshot, verify: bool = True) -> bytes:
        """The snapshot's bytes, checked against the manifest hash."""
        path = self.root / snap.path
        fix = _refetch_hint(snap.source)
        if not path.exists():
            raise SnapshotError(f"raw snapshot {path} is listed in the manifest but missing. "
                                f"Fix: {fix}")
        data = path.read_bytes()
        if verify and sha256_hex(data) != snap.sha256:
            raise SnapshotError(
                f"raw snapshot {path} is corrupted: its sha256 does not match the manifest "
                f"({len(data)} bytes on disk, {snap.record.get('bytes')} recorded). "
                f"Fix: delete the file and run {fix}")
        return data


def _refetch_hint(source: str) -> str:
    if source == "wits":
        return "`tradeviz import wits FILE` again with the original download"
    return f"`tradeviz fetch {source} --refresh`"
