"""The raw store on its own: manifest semantics, compressed snapshots, durable writes, the
data-dir lock and build generations (issue 14 items 1, 3, 4; issue 12 item 2)."""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradeviz.store import durable
from tradeviz.store.durable import StorageError
from tradeviz.store.lock import DataDirLocked, lock
from tradeviz.store.processed import Generation, current_dir, table_path
from tradeviz.store.raw import ManifestError, RawStore, sha256_hex

BODY = b'{"elapsedTime":"0","count":0,"data":[],"error":""}'


def _save(store: RawStore, body: bytes = BODY, key: str = "q1", complete: bool = True):
    return store.save(
        "comtrade", body, "json", {"query_key": key, "complete": complete, "params": {}}
    )


def test_snapshot_is_gzip_named_and_checked_by_the_uncompressed_sha(store):
    snap = _save(store)
    path = store.root / snap.path
    assert path.name == f"{sha256_hex(BODY)}.json.gz"
    assert gzip.decompress(path.read_bytes()) == BODY
    assert snap.record["sha256"] == sha256_hex(BODY) and snap.record["bytes"] == len(BODY)
    assert store.read(snap) == BODY
    with store.open(snap) as fh:
        assert fh.read() == BODY
    again = _save(store)  # same bytes again: one file, gzip is deterministic
    assert again.path == snap.path and len(list((store.root / "comtrade").iterdir())) == 1


def test_uncompressed_store_keeps_working_and_compacts_in_place(store):
    legacy = RawStore(store.root, compress=False)
    snap = _save(legacy)
    assert (store.root / snap.path).read_bytes() == BODY
    manifest_before = store.manifest_path.read_bytes()
    (live,) = list(store.snapshots())
    assert store.read(live) == BODY
    assert store.compact(live) is True
    assert not (store.root / snap.path).exists()
    assert (store.root / (snap.path + ".gz")).exists()
    assert store.read(live) == BODY  # the manifest line still names the plain file
    assert store.manifest_path.read_bytes() == manifest_before
    assert store.compact(live) is False


def test_damaged_existing_file_is_rewritten_by_a_refetch(store):
    snap = _save(store)
    path = store.root / snap.path
    path.write_bytes(b"garbage")
    _save(store)  # the refetch brings the same bytes: the bad copy must not be kept
    assert store.read(list(store.snapshots())[-1]) == BODY


def test_torn_last_line_is_tolerated_and_cut_before_the_next_append(store, caplog):
    _save(store)
    with open(store.manifest_path, "ab") as fh:
        fh.write(b'{"source": "comtrade", "sha')
    with caplog.at_level(logging.WARNING):
        assert len(list(store.snapshots())) == 1
    assert "incomplete" in caplog.text
    _save(store, b'{"count":0,"data":[]}', key="q2")
    lines = store.manifest_path.read_bytes().split(b"\n")
    assert [json.loads(ln)["query_key"] for ln in lines if ln] == ["q1", "q2"]


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b'{"source": "comtrade"}',
        b'{"source": "c", "sha256": "x", "path": "p", "complete": "maybe"}',
    ],
)
def test_malformed_middle_line_stops_with_line_number_and_fix(store, bad):
    _save(store)
    with open(store.manifest_path, "ab") as fh:
        fh.write(bad + b"\n")
    _save(store, b'{"count":0,"data":[]}', key="q2")
    with pytest.raises(ManifestError, match=r"line 2 .*tradeviz raw verify --fix"):
        list(store.snapshots())


def test_bom_is_an_error_naming_line_1(store):
    _save(store)
    store.manifest_path.write_bytes(b"\xef\xbb\xbf" + store.manifest_path.read_bytes())
    with pytest.raises(ManifestError, match="line 1 starts with a UTF-8 byte-order mark"):
        store.current_snapshots(["comtrade"])


def test_complete_given_as_a_string_is_read_as_what_it_says(store):
    _save(store)
    text = store.manifest_path.read_text().replace('"complete": true', '"complete": "false"')
    store.manifest_path.write_text(text)
    (snap,) = list(store.snapshots())
    assert snap.complete is False


def test_newest_complete_line_per_query_key_wins(store):
    old = _save(store, b'{"count":0,"data":[],"v":1}')
    capped = _save(store, b'{"count":0,"data":[],"v":2}', complete=False)
    new = _save(store, b'{"count":0,"data":[],"v":3}')
    _save(store, b'{"count":0,"data":[],"v":4}', complete=False)  # newer but capped
    (winner,) = store.current_snapshots(["comtrade"])
    assert winner.sha256 == new.sha256 != old.sha256 != capped.sha256
    assert store.latest_by_query("comtrade")["q1"].sha256 == new.sha256


def test_superseded_line_with_a_deleted_file_is_no_longer_read(store):
    """The repair loop of issue 14: after deleting a damaged file and refetching, the old
    manifest line must not keep the build failing."""
    old = _save(store, b'{"count":0,"data":[],"v":1}')
    (store.root / old.path).unlink()
    new = _save(store, b'{"count":0,"data":[],"v":2}')
    (current,) = store.current_snapshots(["comtrade"])
    assert current.sha256 == new.sha256
    assert store.read(current)


def test_retired_lines_are_gone_and_a_later_identical_snapshot_lives(store):
    snap = _save(store)
    store.retire(snap, "test")
    assert list(store.snapshots()) == []
    assert store.manifest().retired[0][1] == "test"
    _save(store)
    assert len(list(store.snapshots())) == 1


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_missing_or_empty_manifest_with_snapshots_on_disk_is_an_error(store, state):
    _save(store)
    if state == "missing":
        store.manifest_path.unlink()
    else:
        store.manifest_path.write_bytes(b"")
    with pytest.raises(ManifestError, match=f"is {state} but 1 snapshot file"):
        store.current_snapshots(["comtrade"])


def test_missing_snapshot_error_points_to_raw_verify(store):
    snap = _save(store)
    (store.root / snap.path).unlink()
    (current,) = store.current_snapshots(["comtrade"])
    with pytest.raises(Exception, match="raw verify --fix"):
        store.read(current)


# -- durable writes --------------------------------------------------------------------
def test_short_writes_are_continued(store, monkeypatch):
    real = os.write
    monkeypatch.setattr(durable.os, "write", lambda fd, data: real(fd, bytes(data[:3])))
    snap = _save(store)
    monkeypatch.undo()
    assert store.read(snap) == BODY
    assert json.loads(store.manifest_path.read_text())["query_key"] == "q1"


@pytest.mark.parametrize(
    "code,words",
    [
        (errno.ENOSPC, "disk is full"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_os_errors_are_one_line_messages_and_leave_nothing_half_written(
    store, monkeypatch, code, words
):
    _save(store)
    before = store.manifest_path.read_bytes()

    def fail(fd, data):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(durable.os, "write", fail)
    with pytest.raises(StorageError) as err:
        _save(store, b'{"count":0,"data":[],"v":9}', key="q9")
    monkeypatch.undo()
    message = str(err.value)
    assert "\n" not in message and words in message and str(store.root) in message
    assert store.manifest_path.read_bytes() == before
    assert not list(store.root.rglob(".tmp-*"))


def test_a_file_where_the_data_dir_should_be_is_a_clear_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="a file stands where a directory is expected"):
        _save(RawStore(blocker / "raw"))


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_respect_the_umask(store, umask):
    old = os.umask(umask)
    try:
        snap = _save(store)
    finally:
        os.umask(old)
    want = 0o666 & ~umask
    assert (store.root / snap.path).stat().st_mode & 0o777 == want
    assert store.manifest_path.stat().st_mode & 0o777 == want


def test_temp_files_of_live_processes_are_never_removed(store):
    store.root.mkdir(parents=True)
    mine = store.root / f".tmp-{os.getpid()}-abc"
    mine.write_bytes(b"in progress")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    theirs = store.root / f".tmp-{dead.pid}-def"
    theirs.write_bytes(b"left by a killed run")
    assert store.remove_stale_temp_files() == 1
    assert mine.exists() and not theirs.exists()


# -- one writer --------------------------------------------------------------------------
HOLD = (
    "import sys, time; from tradeviz.store.lock import lock\n"
    "with lock(sys.argv[1], 'tradeviz fetch comtrade'):\n"
    "    print('held', flush=True); time.sleep(60)\n"
)


def test_second_writer_fails_at_once_naming_the_holder(data_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(DataDirLocked) as err, lock(data_dir):
            pass
        assert time.monotonic() - start < 1
        assert f"pid {holder.pid}" in str(err.value)
        assert "tradeviz fetch comtrade" in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    with lock(data_dir):  # the lock of a killed process is taken over
        pass


def test_lock_is_exclusive_within_one_process_too(data_dir):
    with lock(data_dir), pytest.raises(DataDirLocked), lock(data_dir):
        pass


def test_stale_lock_file_of_a_killed_process_is_taken_over(data_dir):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert str(holder.pid) in (data_dir / ".tradeviz.lock").read_text()
    with lock(data_dir, "tradeviz build"):
        assert str(os.getpid()) in (data_dir / ".tradeviz.lock").read_text()


# -- build generations -----------------------------------------------------------------
def _generation(data_dir: Path, content: bytes, publish: bool = True) -> Generation:
    gen = Generation(data_dir)
    for name in ("flows", "mirror"):
        (gen.path / f"{name}.parquet").write_bytes(content + name.encode())
    if publish:
        gen.publish()
    return gen


def test_failed_build_leaves_the_previous_generation_whole(data_dir):
    _generation(data_dir, b"one-")
    gen = Generation(data_dir)
    (gen.path / "flows.parquet").write_bytes(b"two-flows")  # then the build fails
    processed = data_dir / "processed"
    assert (processed / "flows.parquet").read_bytes() == b"one-flows"
    assert (processed / "mirror.parquet").read_bytes() == b"one-mirror"
    _generation(data_dir, b"three-")
    assert (processed / "flows.parquet").read_bytes() == b"three-flows"
    assert table_path(data_dir, "mirror").read_bytes() == b"three-mirror"
    left = [p.name for p in (data_dir / ".processed").iterdir() if p.name.startswith(".tmp")]
    assert left == []  # the failed generation was cleared by the next build


def test_reader_that_resolved_a_generation_never_sees_the_next(data_dir):
    _generation(data_dir, b"one-")
    seen = current_dir(data_dir)
    _generation(data_dir, b"two-")
    assert (seen / "flows.parquet").read_bytes() == b"one-flows"  # kept as the previous
    assert (seen / "mirror.parquet").read_bytes() == b"one-mirror"
    _generation(data_dir, b"three-")
    assert len([p for p in (data_dir / ".processed").iterdir()]) == 2


def test_processed_directory_from_before_generations_is_replaced(data_dir):
    legacy = data_dir / "processed"
    legacy.mkdir(parents=True)
    (legacy / "flows.parquet").write_bytes(b"old")
    _generation(data_dir, b"new-")
    assert legacy.is_symlink() and (legacy / "flows.parquet").read_bytes() == b"new-flows"


def test_gzip_snapshot_reads_back_exactly_whatever_its_members(tmp_path):
    """The one-buffer decompression (size from the gzip trailer) gives the exact bytes; a
    file of two gzip members (another tool's output) still reads whole."""
    import gzip

    from tradeviz.store.raw import read_file

    body = bytes(range(256)) * 5000 + b'{"count": 0}'
    one = tmp_path / "one.json.gz"
    one.write_bytes(gzip.compress(body, mtime=0))
    assert read_file(one) == body
    two = tmp_path / "two.json.gz"
    two.write_bytes(gzip.compress(body[:1000]) + gzip.compress(body[1000:]))
    assert read_file(two) == body
    empty = tmp_path / "empty.json.gz"
    empty.write_bytes(gzip.compress(b""))
    assert read_file(empty) == b""
    # two members of one size: the trailer's size fits the first member alone
    same = tmp_path / "same.json.gz"
    same.write_bytes(gzip.compress(body[:1000]) + gzip.compress(body[1000:2000]))
    assert read_file(same) == body[:2000]


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 22])
def test_pieces_stream_the_exact_bytes_of_any_snapshot_file(store, tmp_path, size):
    """RawStore.pieces gives, in pieces of at most `size`, the bytes read() gives: gzip
    (one member or several, zero padding after them) and uncompressed files alike."""
    from tradeviz.store.raw import _file_pieces

    body = b'{"count":1,"data":[' + bytes(range(32, 127)) * 3000 + b"]}"
    snap = _save(store, body)
    pieces = list(store.pieces(snap, size))
    assert b"".join(pieces) == body == store.read(snap)
    assert max(map(len, pieces)) <= size
    plain = _save(RawStore(store.root, compress=False), body + b" ", key="q2")
    assert b"".join(store.pieces(plain, size)) == body + b" "
    members = tmp_path / "two.json.gz"
    members.write_bytes(gzip.compress(body[:999]) + gzip.compress(body[999:]) + b"\0" * 8)
    assert b"".join(_file_pieces(members, size)) == body


@pytest.mark.parametrize("damage", ["truncated", "bit flip", "other bytes"])
def test_pieces_of_a_damaged_file_end_in_an_error_naming_it(store, damage):
    """A damaged file is a SnapshotError naming the file and the fix, raised at the latest
    when the last piece is out (the consumer must not use what it made of the pieces
    before); a gzip whose CRC fails, one cut short, or other bytes under the same name."""
    from tradeviz.errors import SnapshotError

    body = b'{"count":0,"data":[],"error":"' + b"x" * 200_000 + b'"}'
    snap = _save(store, body)
    path = store.root / snap.path
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "bit flip":
        data[-6] ^= 1  # in the CRC
    else:
        data = bytearray(gzip.compress(body.replace(b"x", b"y"), mtime=0))
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=rf"{snap.path}.*(corrupted|cannot).*raw verify"):
        for _ in store.pieces(snap, 4096):
            pass
