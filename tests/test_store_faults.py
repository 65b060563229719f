"""Issue 23, storage side: commands that deleted or followed what was not theirs, manifest
lines that crashed a build while `raw verify` said OK, silent losses, and reads that held a
whole (or a bomb's) body in memory. Each test fails on the code before the fix."""

from __future__ import annotations

import errno
import gzip
import json
import os
import tracemalloc

import pytest
from click.testing import CliRunner

import tradeviz
from tradeviz.cli import main
from tradeviz.errors import SnapshotError
from tradeviz.store import verify as v
from tradeviz.store.durable import StorageError
from tradeviz.store.lock import LOCK_NAME, lock
from tradeviz.store.processed import Generation, TableError
from tradeviz.store.raw import MANIFEST, ManifestError, RawStore, sha256_hex

FETCH = [
    "fetch",
    "comtrade",
    "--years",
    "2020-2021",
    "--level",
    "total",
    "--reporters",
    "CHN",
    "--partners",
    "KAZ,TJK",
    "--max-records",
    "10",
]
BODY = b'{"elapsedTime":"0","count":0,"data":[],"error":""}'


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line_error(result, *words: str) -> None:
    """Exit 1, one `error:` line (or click's usage line) naming `words`, no traceback."""
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.lower().startswith("error")]
    assert len(lines) == 1, result.output
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture
def fetched(data_dir, comtrade_api, monkeypatch):
    comtrade_api()
    monkeypatch.setenv("TRADEVIZ_COMTRADE_RPS", "1000")
    assert run(*FETCH).exit_code == 0
    result = run("build")
    assert result.exit_code == 0, result.output
    return data_dir


def _manifest_lines(data_dir) -> list[dict]:
    text = (data_dir / "raw" / MANIFEST).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _append_line(data_dir, record: dict) -> None:
    with open(data_dir / "raw" / MANIFEST, "a") as fh:
        fh.write(json.dumps(record) + "\n")


def _wits(store: RawStore, body: bytes = b"Reporter,Partner,1\nx,y,1\n"):
    meta = {"params": {"file": "k.csv", "reporters": ["KAZ"]}, "query_key": "w1"}
    return store.save("wits", body, "csv", meta)


# -- 1. report --out never deletes a user's directory ----------------------------------
@pytest.mark.parametrize("kind", ["data_dir", "thesis", "file"])
def test_report_out_refuses_what_is_not_a_report(fetched, tmp_path, kind):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.docx").write_text("two years of work")
    target = {"data_dir": fetched, "thesis": thesis, "file": thesis / "chapter1.docx"}[kind]
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    result = run("report", "--out", str(target))
    one_line_error(result, str(target), "nothing was changed")
    after = sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()
    assert after == before
    assert (fetched / "raw" / MANIFEST).is_file() and (thesis / "chapter1.docx").is_file()


@pytest.mark.parametrize("command", ["charts", "notebooks"])
def test_charts_and_notebooks_out_at_a_file_is_one_line(fetched, tmp_path, command):
    target = tmp_path / "a-file.png"
    target.write_bytes(b"mine")
    one_line_error(run(command, "--out", str(target)), str(target), "is a file")
    assert target.read_bytes() == b"mine"


# -- 2. no manifest path is followed out of raw/ -----------------------------------------
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_verify_fix_never_touches_a_file_outside_raw(fetched, tmp_path, how):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"a user's file")
    line = dict(_manifest_lines(fetched)[0])
    sha = "0" * 64
    if how == "dotdot":
        rel = os.path.relpath(victim, fetched / "raw")
    elif how == "absolute":
        rel = str(victim)
    else:  # a symlink inside raw/ that leads out
        rel = f"comtrade/{sha}.json"
        (fetched / "raw" / rel).symlink_to(victim)
    _append_line(fetched, {**line, "sha256": sha, "path": rel, "query_key": "escape"})
    one_line_error(run("build"), "line")
    check = run("raw", "verify")
    assert check.exit_code == 1
    assert ("leaves raw/" in check.output) or ("leads out of raw/" in check.output)
    run("raw", "verify", "--fix", "--no-fetch")
    assert victim.read_bytes() == b"a user's file"


# -- 3. --fix deletes nothing intact ---------------------------------------------------
def test_unreadable_snapshot_is_not_called_corrupted_nor_deleted(fetched, monkeypatch):
    store = RawStore(fetched / "raw")
    snap = next(s for s in store.snapshots() if s.complete)
    path = store.locate(snap)
    real_open = open

    def refusing_open(file, *args, **kwargs):  # EACCES for that file (root ignores chmod)
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda p: refusing_open(p, "rb").read())
    check = run("raw", "verify")
    assert check.exit_code == 1 and "unreadable" in check.output and "damaged: " not in check.output
    fixed = run("raw", "verify", "--fix")
    assert fixed.exit_code == 1 and "left as it is" in fixed.output
    assert "retired line" not in fixed.output
    monkeypatch.undo()
    assert path.is_file() and snap.sha256 in {s.sha256 for s in store.snapshots()}


def test_wrong_manifest_sha_keeps_the_file_matching_its_name(data_dir):
    store = RawStore(data_dir / "raw")
    snap = _wits(store)
    path = store.locate(snap)
    line = {**json.loads(store.manifest_path.read_text()), "sha256": "ab" * 32}
    store.manifest_path.write_text(json.dumps(line) + "\n")  # a hand edit gone wrong
    result = v.verify(store)
    assert [f.status for f in result.findings] == ["mislabelled"]
    report = v.fix(store, result)
    assert path.is_file() and sha256_hex(gzip.decompress(path.read_bytes())) == snap.sha256
    assert report.relabelled and not report.retired and not report.commands
    assert v.verify(store).healthy
    assert [s.sha256 for s in store.current_snapshots(["wits"])] == [snap.sha256]


def test_damaged_wits_import_is_moved_aside_never_deleted(data_dir):
    store = RawStore(data_dir / "raw")
    path = store.locate(_wits(store))
    damaged = path.read_bytes()[:-6] + b"\x00" * 6  # CRC and size gone
    path.write_bytes(damaged)
    report = v.fix(store, v.verify(store))
    assert not path.exists() and len(report.moved) == 1
    moved = report.moved[0][1]
    assert moved.read_bytes() == damaged and v.SET_ASIDE in moved.parts
    assert report.commands == ["tradeviz import wits k.csv"]


# -- 4. files the store creates are opened with O_NOFOLLOW ----------------------------
def test_symlinked_lock_file_does_not_truncate_its_target(data_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    data_dir.mkdir()
    (data_dir / LOCK_NAME).symlink_to(victim)
    with pytest.raises(StorageError, match="symbolic link"), lock(data_dir):
        pass
    assert victim.read_text() == "precious"


def test_symlinked_manifest_is_not_appended_to(store, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    store.root.mkdir(parents=True)
    store.manifest_path.symlink_to(victim)
    with pytest.raises(StorageError, match="symbolic link"):
        store.save("comtrade", BODY, "json", {"query_key": "q", "params": {}})
    assert victim.read_text() == "precious"


# -- 5. a valid last line without its newline is data, not a torn tail ------------------
def test_valid_last_line_without_newline_survives_the_next_append(store):
    first = store.save("comtrade", BODY, "json", {"query_key": "q1", "params": {}})
    store.manifest_path.write_bytes(store.manifest_path.read_bytes().rstrip(b"\n"))
    store.save("comtrade", BODY + b" ", "json", {"query_key": "q2", "params": {}})
    keys = [s.record["query_key"] for s in store.snapshots()]
    assert keys == ["q1", "q2"] and first.sha256 in {s.sha256 for s in store.snapshots()}
    assert store.manifest_path.read_bytes().count(b"\n") == 2


# -- 6. a regular file at processed is refused -------------------------------------------
def test_a_file_at_processed_is_never_replaced(fetched):
    link = fetched / "processed"
    link.unlink()
    link.write_text("my notes")
    one_line_error(run("build"), str(link), "move it away")
    assert link.read_text() == "my notes"
    with pytest.raises(StorageError):
        Generation(fetched)


def test_a_user_folder_at_processed_is_never_moved(data_dir):
    (data_dir / "processed").mkdir(parents=True)
    (data_dir / "processed" / "notes.txt").write_text("mine")
    with pytest.raises(StorageError, match="no tradeviz tables"):
        Generation(data_dir)
    assert (data_dir / "processed" / "notes.txt").read_text() == "mine"


# -- 8. retired queries never fetched again do not vanish silently -------------------
def test_build_names_retired_missing_queries_unless_allowed(fetched):
    store = RawStore(fetched / "raw")
    snap = next(s for s in store.snapshots() if s.complete)
    store.locate(snap).unlink()
    assert run("raw", "verify", "--fix", "--no-fetch").exit_code == 0
    result = run("build")
    one_line_error(result, "1 retired query", f"manifest line {snap.line}", "--allow-retired")
    allowed = run("build", "--allow-retired-missing")
    assert allowed.exit_code == 0 and "WARNING: 1 retired query" in allowed.output


def test_fix_whose_refetch_fails_exits_1(fetched, monkeypatch):
    store = RawStore(fetched / "raw")
    store.locate(next(s for s in store.snapshots() if s.complete)).unlink()
    monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", "http://127.0.0.1:9")  # nothing listens
    fixed = run("raw", "verify", "--fix")
    assert fixed.exit_code == 1, fixed.output
    assert "after --fix: OK" not in fixed.output and "NOT repaired" in fixed.output


# -- 10. every manifest line's fields are validated ------------------------------------
@pytest.mark.parametrize(
    "change, words",
    [
        ({"source": "comtrade_v2"}, "source 'comtrade_v2'"),
        ({"params": "reporterCode=156"}, "params="),
        ({"fetched_at": 1700000000}, "fetched_at=1700000000"),
        ({"records": -3}, "negative"),
    ],
)
def test_mistyped_manifest_lines_are_reported_by_verify_and_build(fetched, change, words):
    lines = _manifest_lines(fetched)
    lines[0].update(change)
    (fetched / "raw" / MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in lines))
    check = run("raw", "verify")
    assert check.exit_code == 1 and "line 1" in check.output and words in check.output
    one_line_error(run("build"), "line 1", words)


# -- 11. readers resolve the generation once and say when a table is unusable ---------
def test_open_resolves_the_generation_once(fetched, monkeypatch):
    first = (fetched / "processed").resolve()
    assert run("build").exit_code == 0  # a second generation, kept as the previous one
    second = (fetched / "processed").resolve()
    assert first != second
    for part in (first / "mirror").glob("year=*/part-0.parquet"):
        part.unlink()  # the generation a switch would go back to (second keeps its links)
    link, calls = fetched / "processed", []
    real_is_file = type(link).is_file

    def switching_is_file(path):  # a build switches processed/ back once open() checked
        found = real_is_file(path)
        if path.name.endswith(".parquet"):
            calls.append(path)
            if len(calls) == 3:
                tmp = fetched / "link.tmp"
                tmp.symlink_to(os.readlink(link).replace(second.name, first.name))
                os.replace(tmp, link)
        return found

    monkeypatch.setattr(type(link), "is_file", switching_is_file)
    ds = tradeviz.open(fetched)
    monkeypatch.undo()
    assert ds.processed == second  # the generation it checked is the one it reads
    assert len(ds._frames.table("mirror")) > 0


def test_truncated_or_text_tables_are_one_line_in_readers(fetched):
    import pandas as pd

    parts = (fetched / "processed").resolve() / "flows" / "source=comtrade"
    flows = sorted(parts.glob("year=*/part-0.parquet"))[-1]  # one partition of the table
    good = flows.read_bytes()
    df = pd.read_parquet(flows)
    df["value_usd"] = df["value_usd"].astype(str)
    flows.unlink()  # a hard link the previous generation may share: write a new file
    df.to_parquet(flows)
    check = run("check", "--strict")
    one_line_error(check, "value_usd")
    with pytest.raises(TableError, match="value_usd"):
        tradeviz.open(fetched)
    flows.unlink()
    flows.write_bytes(good[: len(good) // 2])
    one_line_error(run("charts", "--out", str(fetched.parent / "c")), str(flows))
    one_line_error(run("report", "--out", str(fetched.parent / "r")), str(flows))
    one_line_error(run("check"), str(flows))


# -- 16. reads stream and stop at the recorded size ------------------------------------
def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_bomb_is_damage_not_a_memory_spike(store):
    body = b'{"count":0,"data":[],"pad":"' + os.urandom(60_000).hex().encode() + b'"}'
    snap = store.save("comtrade", body, "json", {"query_key": "q", "params": {}})
    path = store.locate(snap)
    path.write_bytes(gzip.compress(b"\x00" * (64 << 20), compresslevel=9))  # 64 MiB inside
    assert path.stat().st_size < len(body)  # passes the compressed-size check
    result = []
    assert _peak(lambda: result.append(v.verify(store))) < 8 << 20
    assert [f.status for f in result[0].findings] == ["damaged"]
    assert "more than the" in result[0].findings[0].detail

    def read():
        with pytest.raises(SnapshotError, match="more than the"):
            store.read(snap)

    def pieces():
        with pytest.raises(SnapshotError, match="more than the"):
            list(store.pieces(snap))

    assert _peak(read) < 8 << 20 and _peak(pieces) < 8 << 20


def test_sparse_plain_snapshot_is_not_read_whole(data_dir):
    store = RawStore(data_dir / "raw", compress=False)
    snap = store.save("comtrade", BODY, "json", {"query_key": "q", "params": {}})
    with open(store.locate(snap), "r+b") as fh:
        fh.truncate(256 << 20)  # a 256 MiB sparse file
    result = []
    assert _peak(lambda: result.append(v.verify(store))) < 8 << 20
    assert [f.status for f in result[0].findings] == ["damaged"]


# -- 18. a directory at a snapshot path is named, not a temporary file ----------------
def test_directory_at_snapshot_path_names_the_snapshot(store):
    digest = sha256_hex(BODY)
    target = store.root / "comtrade" / f"{digest}.json.gz"
    target.mkdir(parents=True)
    with pytest.raises(StorageError) as err:
        store.save("comtrade", BODY, "json", {"query_key": "q", "params": {}})
    assert str(target) in str(err.value) and ".tmp-" not in str(err.value)
    assert not list(target.parent.glob(".tmp-*"))


def test_manifest_error_names_the_line_for_a_path_outside(store):
    store.save("comtrade", BODY, "json", {"query_key": "q", "params": {}})
    line = json.loads(store.manifest_path.read_text())
    line["path"] = "/etc/passwd"
    store.manifest_path.write_text(json.dumps(line) + "\n")
    with pytest.raises(ManifestError, match="line 1 has path '/etc/passwd'"):
        store.manifest()


def test_a_line_set_aside_by_fix_is_named_by_build_until_fetched_again(fetched):
    lines = _manifest_lines(fetched)
    complete = next(i for i, r in enumerate(lines) if r.get("complete", True) is True)
    lines[complete]["fetched_at"] = 1700000000  # set aside by --fix, with its query key
    (fetched / "raw" / MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in lines))
    fixed = run("raw", "verify", "--fix", "--no-fetch")
    assert "set 1 malformed manifest line(s) aside" in fixed.output
    one_line_error(run("build"), "1 retired query", "comtrade")
    assert run(*FETCH).exit_code == 0  # the rerun fetches the query again
    assert run("build").exit_code == 0


def test_a_line_with_an_unknown_source_set_aside_by_fix_is_named_by_build(fetched):
    """A mistyped source (`comtrade_v2`) is set aside by --fix; the query it held is then
    absent from every build, so the build names it (which source it was is unknown)."""
    lines = _manifest_lines(fetched)
    complete = next(i for i, r in enumerate(lines) if r.get("complete", True) is True)
    lines[complete]["source"] = "comtrade_v2"
    (fetched / "raw" / MANIFEST).write_text("".join(json.dumps(r) + "\n" for r in lines))
    fixed = run("raw", "verify", "--fix", "--no-fetch")
    assert "set 1 malformed manifest line(s) aside" in fixed.output
    result = run("build")
    one_line_error(result, "1 retired query", "comtrade_v2", f"manifest line {len(lines)}")
    assert "tradeviz fetch comtrade_v2" not in result.output and "rerun it" in result.output
    allowed = run("build", "--allow-retired-missing")
    assert allowed.exit_code == 0 and "WARNING: 1 retired query" in allowed.output
    assert run(*FETCH).exit_code == 0  # the rerun fetches the query again (same key)
    assert run("build").exit_code == 0
