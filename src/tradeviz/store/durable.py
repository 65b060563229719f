"""Durable file writes: whole writes or none, OS errors as one-line messages that say what to do.

Temporary files carry the writer's pid in their name (`.tmp-<pid>-<random>`), so a process
never deletes another live process's temporary files: stale ones are removed only for pids
that are no longer running (and only by the holder of the data-dir lock).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from tradeviz.errors import TradevizError

TMP_PREFIX = ".tmp-"

_ERRNO_FIX = {
    errno.ENOSPC: "the disk is full: free some space (or point TRADEVIZ_DATA_DIR at another "
    "disk) and rerun; nothing half-written was kept",
    errno.EDQUOT: "the disk quota is spent: free some space and rerun",
    errno.EROFS: "the file system is read-only: point TRADEVIZ_DATA_DIR at a writable directory",
    errno.EACCES: "permission denied: make the directory writable for this user, or point "
    "TRADEVIZ_DATA_DIR elsewhere",
    errno.EPERM: "operation not permitted: make the directory writable for this user, or "
    "point TRADEVIZ_DATA_DIR elsewhere",
    errno.ENOTDIR: "a file stands where a directory is expected: move that file away or "
    "point TRADEVIZ_DATA_DIR elsewhere",
    errno.EISDIR: "a directory stands where a file is expected: give a file path, or move "
    "the directory away",
    errno.ENOENT: "no such file or directory: check the path",
    errno.ELOOP: "a symbolic link stands where tradeviz writes a file of its own: remove the "
    "link (its target is left untouched) and rerun",
}
# Every file the store creates or appends to is opened with these: a symlink planted at
# the lock file or the manifest must not have its target truncated or written.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class StorageError(TradevizError):
    """Reading or writing the data directory failed (full disk, read-only, permissions...)."""


def storage_error(exc: OSError, path: Path | str, action: str = "write") -> StorageError:
    """One line naming the path, the problem and the fix."""
    fix = _ERRNO_FIX.get(exc.errno or 0, "check the path and the disk")
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return StorageError(f"cannot {action} {path}: {reason} ({fix})")


@contextlib.contextmanager
def os_errors(path: Path | str, action: str = "write") -> Iterator[None]:
    """Turn an OSError inside the block into a StorageError naming `path`."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        raise storage_error(exc, _named(exc, path), action) from None


def _named(exc: OSError, path: Path | str) -> Path | str:
    """The path to name: the one the OS names, unless that is our own temporary file (a
    user never made it: name the file it stands in for), or the target of a rename."""
    filename = getattr(exc, "filename", None)
    if filename is None or Path(str(filename)).name.startswith(TMP_PREFIX):
        return getattr(exc, "filename2", None) or path
    return filename


def write_all(fd: int, data: bytes, path: Path | str) -> None:
    """os.write until every byte is written: a short write is continued, never ignored."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise StorageError(f"cannot write {path}: the system wrote 0 bytes (disk full?)")
        view = view[n:]


def file_mode() -> int:
    """0666 minus the umask: what open(..., 'w') would give, so every file matches."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def tmp_name(directory: Path, suffix: str = "") -> Path:
    return directory / f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{suffix}"


def tmp_owner(name: str) -> int | None:
    """The pid in a temporary file's name, or None for names from older versions."""
    rest = name[len(TMP_PREFIX) :] if name.startswith(TMP_PREFIX) else ""
    pid = rest.split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; some file systems cannot open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_target(path: Path, suffix: str = "") -> Iterator[Path]:
    """A pid-named temporary path beside `path` for the caller to write and fsync; on exit
    it is renamed over `path` (readers see the old file or the whole new one), or removed
    if the block raised. OS errors become StorageError naming `path`."""
    path = Path(path)
    with os_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_name(path.parent, suffix)
        try:
            yield tmp
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, fsync, then rename (atomic_target)."""
    with atomic_target(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o666)
        try:
            write_all(fd, data, path)
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_dead_temp_files(root: Path) -> int:
    """Delete temporary files whose writer is no longer running (call under the lock)."""
    removed = 0
    if not root.exists():
        return 0
    for tmp in root.rglob(f"{TMP_PREFIX}*"):
        pid = tmp_owner(tmp.name)
        if pid is not None and pid_alive(pid):
            continue
        if tmp.is_dir():
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed
