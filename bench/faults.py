"""Fault suite (issue 14): every bad input and fault of the issue against the CLI, plus kill
tests, with figures.

Issue 23 adds the storage faults (commands that deleted or followed what was not theirs,
mistyped manifest lines, retired queries that vanished, unusable tables, gzip bombs and
sparse files, symlinks planted where the store writes), the data faults (`data: ...`: WITS
values Infinity, 1e400 and negative, a partner/year row twice, an XLSX formula cell saved
without its value and a billion-laughs XLSX, each refused at import and at build in one line
naming file and row with no record reaching flows; the openpyxl build race of the five real
XLSX files, each build a fresh process; partners() dtypes for every side and country) and
runs the network cases of bench/faults_net.py when that file is there (`cases(suite)` ->
[(name, run)]).

Prints one line per case (handled cleanly or not, and why), then the totals: cases tried,
handled cleanly, records lost, duplicates, files deleted outside raw/, key leaks. Every
figure but the first two must be 0 (and "handled cleanly" must equal "cases tried"); the
exit status is 1 otherwise.

* handled cleanly: the command ended as it should (exit status, a one-line error naming the
  problem, no traceback) and the data left behind is whole;
* records lost: records of a reference run (same plan, no fault) missing from the outcome
  after the documented recovery (rerun, `raw verify --fix`, ...);
* duplicates: manifest lines that repeat a (query key, sha256) pair, i.e. a call made and
  stored twice;
* files deleted outside raw/: files a case put beside the data (a thesis folder, a file a
  manifest path or a symlink points at) that are gone or changed afterwards;
* key leaks: occurrences of the API key in any output, message or file under the data dir.

Kill tests: a real `python -m tradeviz fetch comtrade` subprocess against the emulator is
killed (SIGKILL) at random points, rerun to the end, and its snapshots are compared byte for
byte (query key -> exact uncompressed bytes) with an uninterrupted run.

    .venv/bin/python bench/faults.py [--kills 6] [--seed 14]

Everything runs on 127.0.0.1 (the emulator's data is synthetic) in temporary directories;
about two minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import errno
import gzip
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from tradeviz.cli import main
from tradeviz.emulators.comtrade import ComtradeEmulator
from tradeviz.emulators.server import ServedApp, find_corpus
from tradeviz.store import durable
from tradeviz.store.raw import RawStore
from tradeviz.store.tables import read_table, table_files

KEY = "b3nch-s3cret-key-0123456789abcdef"
FETCH = [
    "fetch",
    "comtrade",
    "--years",
    "2019-2021",
    "--level",
    "total",
    "--reporters",
    "CHN",
    "--partners",
    "KAZ,KGZ,TJK",
    "--max-records",
    "20",
]
KILL_FETCH = [
    "fetch",
    "comtrade",
    "--years",
    "2016-2021",
    "--level",
    "2",
    "--reporters",
    "CHN",
    "--partners",
    "KAZ,KGZ",
    "--max-records",
    "150",
]


@dataclass
class Outcome:
    clean: bool
    note: str = ""
    lost: int = 0
    duplicates: int = 0


class Suite:
    def __init__(self, root: Path, corpus: Path):
        self.root = root
        self.corpus = corpus
        self.outputs: list[str] = []  # every text a user saw, scanned for the key
        self.dirs: list[Path] = []
        self.api = ComtradeEmulator(corpus=corpus, valid_keys={KEY})
        self.served = ServedApp(self.api).__enter__()
        self.reference: dict[str, bytes] | None = None
        self.sentinels: dict[Path, bytes] = {}  # files outside raw/ that must survive

    def sentinel(self, path: Path, content: bytes = b"a user's file") -> Path:
        """A user's file outside raw/; counted as deleted if gone or changed at the end."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.sentinels[path] = content
        return path

    def deleted_outside(self) -> int:
        return sum(
            1
            for path, content in self.sentinels.items()
            if not path.is_file() or path.read_bytes() != content
        )

    # -- helpers -------------------------------------------------------------------------
    def data_dir(self, name: str) -> Path:
        d = self.root / name
        self.dirs.append(d)
        return d

    def env(self, data_dir: Path, url: str | None = None) -> dict[str, str]:
        return {
            "TRADEVIZ_DATA_DIR": str(data_dir),
            "COMTRADE_API_KEY": KEY,
            "TRADEVIZ_COMTRADE_URL": url or self.served.url,
            "TRADEVIZ_COMTRADE_RPS": "500",
            "TRADEVIZ_CORPUS_DIR": str(self.corpus),
        }

    def cli(self, data_dir: Path, *args: str, url: str | None = None):
        result = CliRunner().invoke(main, list(args), env=self.env(data_dir, url))
        self.outputs.append(result.output)
        if result.exception and not isinstance(result.exception, SystemExit):
            self.outputs.append("".join(traceback.format_exception(result.exception)))
        return result

    def proc(self, data_dir: Path, *args: str, **kw) -> subprocess.Popen:
        env = {**os.environ, **self.env(data_dir)}
        return subprocess.Popen(
            [sys.executable, "-m", "tradeviz", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kw,
        )

    def fetched(self, name: str, args: list[str] = FETCH) -> Path:
        d = self.data_dir(name)
        result = self.cli(d, *args)
        assert result.exit_code == 0, result.output
        return d

    @staticmethod
    def contents(data_dir: Path) -> dict[str, bytes]:
        """Query key -> exact bytes of the snapshot a build would read."""
        store = RawStore(data_dir / "raw")
        return {
            s.record["query_key"]: store.read(s)
            for s in store.current_snapshots(["comtrade"])
            if s.complete
        }

    @staticmethod
    def duplicates(data_dir: Path) -> int:
        store = RawStore(data_dir / "raw")
        pairs = Counter((s.record.get("query_key"), s.sha256) for s in store.snapshots())
        return sum(n - 1 for n in pairs.values())

    def lost(self, data_dir: Path) -> int:
        """Records of the reference run missing (or different) in data_dir's raw layer."""
        have = self.contents(data_dir)
        assert self.reference is not None
        return sum(
            len(json.loads(body)["data"])
            for key, body in self.reference.items()
            if have.get(key) != body
        )

    def one_line_error(self, result, *words: str) -> tuple[bool, str]:
        """Exit 1, no traceback, exactly one `error:` line (the last) holding `words`."""
        text = result.output.strip()
        errors = [ln for ln in text.splitlines() if ln.startswith("error:")]
        ok = (
            result.exit_code == 1
            and "Traceback" not in text
            and len(errors) == 1
            and text.endswith(errors[0])
            and all(w in errors[0] for w in words)
        )
        return ok, (errors or text.splitlines() or ["(no output)"])[-1][:110]

    def key_leaks(self) -> int:
        leaks = sum(text.count(KEY) for text in self.outputs)
        for d in self.dirs:
            if d.exists():
                for f in d.rglob("*"):
                    if f.is_file():
                        data = f.read_bytes()
                        if f.name.endswith(".gz"):
                            with suppress(OSError, EOFError):
                                data = gzip.decompress(data)
                        leaks += data.count(KEY.encode())
        return leaks

    def close(self) -> None:
        self.served.__exit__(None, None, None)


@contextmanager
def serve(answer: Callable[[Request], Response]):
    def app(environ, start_response):
        return answer(Request(environ))(environ, start_response)

    served = ServedApp(app).__enter__()
    try:
        yield served
    finally:
        served.__exit__(None, None, None)


@contextmanager
def failing_writes(code: int, after: int):
    real = os.write
    budget = [after]

    def write(fd, data):
        if budget[0] <= 0:
            raise OSError(code, os.strerror(code))
        budget[0] -= 1
        return real(fd, data)

    durable.os.write = write  # durable and raw share the os module: every data write
    try:
        yield
    finally:
        durable.os.write = real


# -- the cases ---------------------------------------------------------------------------
def case_damaged_snapshot_verify_fix(s: Suite) -> Outcome:
    d = s.fetched("damaged")
    store = RawStore(d / "raw")
    snap = next(x for x in store.snapshots() if x.complete)
    path = store.locate(snap)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    ok1, note = s.one_line_error(s.cli(d, "build"), "raw verify --fix")
    fixed = s.cli(d, "raw", "verify", "--fix")
    ok2 = fixed.exit_code == 0 and s.cli(d, "build").exit_code == 0
    return Outcome(ok1 and ok2, note, s.lost(d), s.duplicates(d))


def case_delete_and_refresh(s: Suite) -> Outcome:
    d = s.fetched("refresh")
    store = RawStore(d / "raw")
    store.locate(next(iter(store.snapshots()))).unlink()
    ok = s.cli(d, *FETCH, "--refresh").exit_code == 0 and s.cli(d, "build").exit_code == 0
    return Outcome(ok, "fetch --refresh then build", s.lost(d), 0)


def _flows_bytes(d: Path) -> bytes:
    """The current build's flows table: its partition files, in order, as one string."""
    return b"".join(p.read_bytes() for p in table_files((d / "processed").resolve(), "flows"))


def _manifest_case(s: Suite, name: str, damage: Callable[[bytes], bytes], *words: str) -> Outcome:
    d = s.fetched(name)
    assert s.cli(d, "build").exit_code == 0
    flows = _flows_bytes(d)
    m = d / "raw" / "manifest.jsonl"
    m.write_bytes(damage(m.read_bytes()))
    ok, note = s.one_line_error(s.cli(d, "build"), *words)
    ok &= _flows_bytes(d) == flows
    s.cli(d, "raw", "verify", "--fix", "--no-fetch")
    ok &= s.cli(d, *FETCH).exit_code == 0 and s.cli(d, "build").exit_code == 0
    return Outcome(ok, note, s.lost(d), s.duplicates(d))


def _middle(data: bytes, new: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[1] = new
    return b"\n".join(lines)


def case_malformed_middle_line(s):
    return _manifest_case(s, "middle", lambda b: _middle(b, b.split(b"\n")[1][:30]), "line 2")


def case_non_object_line(s):
    return _manifest_case(s, "nonobject", lambda b: _middle(b, b"[1, 2, 3]"), "not an object")


def case_bom(s):
    return _manifest_case(s, "bom", lambda b: b"\xef\xbb\xbf" + b, "byte-order mark")


def case_empty_manifest(s):
    return _manifest_case(s, "emptymanifest", lambda b: b"", "is empty but")


def case_torn_last_line(s: Suite) -> Outcome:
    d = s.fetched("torn")
    m = d / "raw" / "manifest.jsonl"
    m.write_bytes(m.read_bytes() + b'{"source": "comtrade", "sha2')
    ok = s.cli(d, "build").exit_code == 0 and s.cli(d, *FETCH).exit_code == 0
    ok &= b"sha2\n" not in m.read_bytes() and s.cli(d, "raw", "verify").exit_code == 0
    return Outcome(
        ok, "tolerated with a warning, cut on the next append", s.lost(d), s.duplicates(d)
    )


def case_complete_as_string(s: Suite) -> Outcome:
    d = s.fetched("stringbool")
    m = d / "raw" / "manifest.jsonl"
    m.write_text(m.read_text().replace('"complete": true', '"complete": "false"'))
    snaps = list(RawStore(d / "raw").snapshots())
    return Outcome(all(not x.complete for x in snaps), '"false" read as false')


def case_two_writers(s: Suite) -> Outcome:
    d = s.data_dir("twowriters")
    calls = s.api.calls
    procs = [s.proc(d, *FETCH) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    s.outputs += [o + e for o, e in outs]
    codes = sorted(p.returncode for p in procs)
    refused = [e for (o, e), p in zip(outs, procs, strict=True) if p.returncode == 1]
    ok = codes == [0, 1] and len(refused) == 1 and "holds the data dir" in refused[0]
    ok &= "Traceback" not in refused[0] if refused else False
    single = s.api.calls - calls
    return Outcome(ok, f"one refusal; {single} calls", s.lost(d), s.duplicates(d))


def case_full_disk_fetch(s: Suite) -> Outcome:
    d = s.data_dir("enospc")
    with failing_writes(errno.ENOSPC, after=3):
        result = s.cli(d, *FETCH)
    ok, note = s.one_line_error(result, "disk is full")
    ok &= s.cli(d, "raw", "verify").exit_code == 0
    ok &= s.cli(d, *FETCH).exit_code == 0  # space freed: the rerun completes
    return Outcome(ok, note, s.lost(d), s.duplicates(d))


def case_readonly_build(s: Suite) -> Outcome:
    d = s.fetched("erofs")
    with failing_writes(errno.EROFS, after=1):
        result = s.cli(d, "build")
    ok, note = s.one_line_error(result, "read-only")
    return Outcome(ok, note)


def case_permission_denied(s: Suite) -> Outcome:
    d = s.data_dir("eacces")
    with failing_writes(errno.EACCES, after=1):
        result = s.cli(d, *FETCH)
    return Outcome(*s.one_line_error(result, "permission denied"))


def case_file_as_data_dir(s: Suite) -> Outcome:
    d = s.data_dir("enotdir")
    d.write_text("a file, not a directory")
    return Outcome(*s.one_line_error(s.cli(d / "sub", *FETCH), "directory"))


def case_directory_as_import_file(s: Suite) -> Outcome:
    d = s.data_dir("eisdir")
    return Outcome(*s.one_line_error(s.cli(d, "import", "wits", str(s.root)), "directory"))


def case_failed_build_keeps_generation(s: Suite) -> Outcome:
    d = s.fetched("generation")
    assert s.cli(d, "build").exit_code == 0
    before = {str(p): p.read_bytes() for p in (d / "processed").rglob("*") if p.is_file()}
    import tradeviz.transform.focus as focus

    real = focus.build_focus

    def fail(*a, **k):
        raise focus.RulesError("focus step failed (fault injected)")

    focus.build_focus = fail
    try:
        result = s.cli(d, "build")
    finally:
        focus.build_focus = real
    after = {str(p): p.read_bytes() for p in (d / "processed").rglob("*") if p.is_file()}
    return Outcome(result.exit_code == 1 and after == before, "previous generation intact")


def case_umask(s: Suite) -> Outcome:
    old = os.umask(0o022)
    try:
        d = s.fetched("umask")
    finally:
        os.umask(old)
    modes = {f.stat().st_mode & 0o777 for f in (d / "raw").rglob("*") if f.is_file()}
    return Outcome(modes == {0o644}, f"modes {sorted(oct(m) for m in modes)}")


def _http_case(s: Suite, name: str, answer, *words: str) -> Outcome:
    d = s.data_dir(name)
    with serve(answer) as srv:
        result = s.cli(d, *FETCH, url=srv.url)
    ok, note = s.one_line_error(result, *words)
    stored = list(RawStore(d / "raw").snapshots("comtrade"))
    return Outcome(ok and not stored, note)


def case_cross_host_redirect(s: Suite) -> Outcome:
    seen: list[str] = []

    def thief(req):
        seen.append(req.headers.get("Ocp-Apim-Subscription-Key", ""))
        return Response("{}")

    with serve(thief) as other:
        out = _http_case(
            s,
            "redirect",
            lambda req: Response(status=302, headers={"Location": other.url + "/x"}),
            "another host",
        )
    s.outputs += seen
    out.clean &= not seen
    return out


def case_key_echoed(s: Suite, status: int) -> Outcome:
    body = json.dumps({"statusCode": status, "message": f"backend failed for key {KEY}"})
    return _http_case(s, f"echo{status}", lambda req: Response(body, status=status), str(status))


def case_key_echoed_in_200(s: Suite) -> Outcome:
    body = json.dumps({"count": 0, "data": [], "error": f"debug: key={KEY}"})
    return _http_case(s, "echo200", lambda req: Response(body), "contains the API key")


def case_key_in_url(s: Suite) -> Outcome:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient

    client = HttpClient("comtrade", rps=1000, secret_values=(KEY,))
    try:
        client.get(s.served.url + "/public/v1/preview/C/A/HS", params={"key": KEY})
    except HttpError as exc:
        s.outputs.append(str(exc))
        return Outcome("in a URL" in str(exc), str(exc)[:110])
    return Outcome(False, "sent")


def case_trickle(s: Suite) -> Outcome:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient

    def trickle(req):
        def gen():
            for _ in range(60):
                yield b" "
                time.sleep(0.25)

        return Response(gen(), headers={"Content-Length": "60"})

    with serve(trickle) as srv:
        start = time.monotonic()
        try:
            HttpClient("comtrade", rps=1000, deadline=1.0, max_retries=0).get(srv.url + "/x")
        except HttpError as exc:
            took = time.monotonic() - start
            return Outcome("deadline" in str(exc) and took < 3, f"failed after {took:.1f}s")
    return Outcome(False, "no deadline")


def case_oversize(s: Suite) -> Outcome:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient

    with serve(lambda req: Response(b"x" * 100_000)) as srv:
        try:
            HttpClient("comtrade", rps=1000, max_bytes=10_000, max_retries=0).get(srv.url)
        except HttpError as exc:
            return Outcome("limit" in str(exc), str(exc)[:110])
    return Outcome(False, "accepted")


def case_bad_row_types(s: Suite) -> Outcome:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient
    from tradeviz.extract.v1_rows import validate_v1

    row = {
        "freqCode": "A",
        "refYear": 2020,
        "period": "2020",
        "reporterCode": None,
        "partnerCode": 398,
        "flowCode": "M",
        "cmdCode": "TOTAL",
        "classificationCode": "H5",
        "primaryValue": float("nan"),
    }
    body = json.dumps({"count": 1, "data": [row], "error": ""})
    hits = []
    with serve(lambda req: hits.append(1) or Response(body)) as srv:
        try:
            HttpClient("comtrade", rps=1000, sleep=lambda x: None).get(
                srv.url, params={"period": "2020"}, validate=validate_v1
            )
        except HttpError as exc:
            return Outcome("twice" in str(exc) and len(hits) == 2, str(exc)[:110])
    return Outcome(False, "stored")


def _wits_csv(path: Path, rows: list[str]) -> Path:
    head = "Reporter Name,Partner Name,Trade Flow,Product Group,Indicator,2019\n"
    path.write_bytes(b"\xef\xbb\xbf" + (head + "".join(rows)).encode())
    return path


def case_wits_umi(s: Suite) -> Outcome:
    d = s.data_dir("wits_umi")
    csv = s.corpus / "wits" / "partner-timeseries" / "Kazakhstan-WITS-Partner-Timeseries.csv"
    ok = s.cli(d, "import", "wits", str(csv)).exit_code == 0
    from tradeviz.transform.wits import parse_frame, read_table

    rows, _ = parse_frame(read_table(csv.read_bytes(), "csv", csv.name), csv.name)
    usa = rows[(rows.partner == "USA") & rows.year.isin([2002, 2007, 2013, 2019, 2020])]
    lost = int((usa["value_usd"] < 1e6).sum()) + (5 - len(usa))
    return Outcome(ok and lost == 0, "US Minor Outlying Islands -> UMI", lost)


def case_wits_clash(s: Suite) -> Outcome:
    d = s.data_dir("wits_clash")
    row = "Kazakhstan,{},Import,All Products,Import (US$ Thousand),1\n"
    f = _wits_csv(
        s.root / "clash.csv",
        [row.format("United States"), row.format('"United States of America"')],
    )
    return Outcome(*s.one_line_error(s.cli(d, "import", "wits", str(f)), "overwrite"))


def case_wits_header_only(s: Suite) -> Outcome:
    d = s.data_dir("wits_header")
    f = _wits_csv(s.root / "header.csv", [])
    return Outcome(*s.one_line_error(s.cli(d, "import", "wits", str(f)), "no data rows"))


def case_wits_empty(s: Suite) -> Outcome:
    d = s.data_dir("wits_empty")
    f = s.root / "empty.csv"
    f.write_bytes(b"")
    return Outcome(*s.one_line_error(s.cli(d, "import", "wits", str(f)), "empty"))


def case_xlsx_bomb(s: Suite) -> Outcome:
    d = s.data_dir("bomb")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (80 << 20) + b"</a>")
    f = s.root / "bomb.xlsx"
    f.write_bytes(buf.getvalue())
    return Outcome(*s.one_line_error(s.cli(d, "import", "wits", str(f)), "unpacks to"))


def case_empty_comtrade_body(s: Suite, with_wits: bool) -> Outcome:
    d = s.data_dir(f"emptybody{int(with_wits)}")
    body = (s.corpus / "comtrade" / "data_v1_get_S_A_EB_CHN_2010_empty.R-body.json").read_bytes()
    RawStore(d / "raw").save(
        "comtrade",
        body,
        "json",
        {
            "query_key": "empty",
            "freq": "A",
            "complete": True,
            "records": 0,
            "count": 0,
            "params": {"reporterCode": "156", "partnerCode": "0", "period": "2010"},
        },
    )
    if with_wits:
        csv = s.corpus / "wits" / "partner-timeseries" / "Tajikistan-WITS-Partner-Timeseries.csv"
        s.cli(d, "import", "wits", str(csv))
    return Outcome(*s.one_line_error(s.cli(d, "build"), "planned period(s) A 2010"))


def case_check_wrong_csv(s: Suite) -> Outcome:
    d = s.fetched("checkcsv")
    s.cli(d, "build", "--allow-empty-periods")
    f = s.root / "wrong.csv"
    f.write_text("name,amount\nx,1\n")
    return Outcome(*s.one_line_error(s.cli(d, "check", "--published", str(f)), "columns"))


# -- issue 23: storage faults -------------------------------------------------------------
def _unchanged(s: Suite, result, *words: str, sentinels: tuple[Path, ...] = ()) -> Outcome:
    ok, note = s.one_line_error(result, *words)
    lost = [p for p in sentinels if not p.is_file() or p.read_bytes() != s.sentinels[p]]
    return Outcome(ok and not lost, note)


def case_report_out(s: Suite, kind: str) -> Outcome:
    d = s.fetched(f"reportout-{kind}")
    s.cli(d, "build", "--allow-empty-periods")
    thesis = s.sentinel(s.root / f"thesis-{kind}" / "chapter1.docx", b"two years of work")
    manifest = d / "raw" / "manifest.jsonl"
    s.sentinels[manifest] = manifest.read_bytes()
    target = {"data": d, "thesis": thesis.parent, "file": thesis}[kind]
    result = s.cli(d, "report", "--out", str(target))
    return _unchanged(s, result, "nothing was changed", sentinels=(thesis, manifest))


def case_out_at_a_file(s: Suite, command: str) -> Outcome:
    d = s.fetched(f"outfile-{command}")
    s.cli(d, "build", "--allow-empty-periods")
    target = s.sentinel(s.root / f"{command}-out.png", b"mine")
    return _unchanged(s, s.cli(d, command, "--out", str(target)), "is a file", sentinels=(target,))


def _add_line(d: Path, **change) -> None:
    m = d / "raw" / "manifest.jsonl"
    first = json.loads(m.read_text().splitlines()[0])
    with open(m, "a") as fh:
        fh.write(json.dumps({**first, **change}) + "\n")


def case_path_escape(s: Suite, how: str) -> Outcome:
    d = s.fetched(f"escape-{how}")
    victim = s.sentinel(s.root / f"victim-{how}.txt")
    sha = "0" * 64
    rel = {"dotdot": os.path.relpath(victim, d / "raw"), "absolute": str(victim)}.get(how, "")
    if how == "symlink":
        rel = f"comtrade/{sha}.json"
        (d / "raw" / rel).symlink_to(victim)
    _add_line(d, sha256=sha, path=rel, query_key=f"escape-{how}")
    ok, note = s.one_line_error(s.cli(d, "build", "--allow-empty-periods"), "line")
    ok &= s.cli(d, "raw", "verify").exit_code == 1
    s.cli(d, "raw", "verify", "--fix", "--no-fetch")
    ok &= victim.read_bytes() == s.sentinels[victim]
    build = s.cli(d, "build", "--allow-empty-periods")  # the bad line's query is retired:
    ok &= build.exit_code == 1 and "1 retired query" in build.output  # named, not lost
    allow = ["--allow-retired-missing"]
    ok &= s.cli(d, "build", "--allow-empty-periods", *allow).exit_code == 0
    return Outcome(ok, note, s.lost(d))


@contextmanager
def refused_reads(path: Path):
    """EACCES for `path` (the bench may run as root, whom chmod does not stop)."""
    import builtins
    import pathlib

    real_open, real_read = builtins.open, pathlib.Path.read_bytes

    def guarded(file, *a, **k):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *a, **k)

    def read_bytes(self):
        if str(self) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_read(self)

    builtins.open, pathlib.Path.read_bytes = guarded, read_bytes
    try:
        yield
    finally:
        builtins.open, pathlib.Path.read_bytes = real_open, real_read


def case_unreadable_snapshot(s: Suite) -> Outcome:
    d = s.fetched("unreadable")
    store = RawStore(d / "raw")
    path = store.locate(next(x for x in store.snapshots() if x.complete))
    s.sentinels[path] = path.read_bytes()  # intact: must survive --fix
    with refused_reads(path):
        check = s.cli(d, "raw", "verify")
        fixed = s.cli(d, "raw", "verify", "--fix")
    ok = check.exit_code == 1 and "unreadable" in check.output and "damaged:" not in check.output
    ok &= fixed.exit_code == 1 and "left as it is" in fixed.output and path.is_file()
    return Outcome(ok, "unreadable, kept; --fix exits 1", s.lost(d))


def _wits_import(s: Suite, name: str) -> tuple[Path, RawStore]:
    d = s.data_dir(name)
    f = s.corpus / "wits" / "partner-timeseries" / "Kazakhstan-WITS-Partner-Timeseries.csv"
    assert s.cli(d, "import", "wits", str(f)).exit_code == 0
    return d, RawStore(d / "raw")


def case_wrong_sha_wits(s: Suite) -> Outcome:
    d, store = _wits_import(s, "wrongsha")
    m = store.manifest_path
    line = json.loads(m.read_text())
    m.write_text(json.dumps({**line, "sha256": "ab" * 32}) + "\n")
    path = store.locate(next(store.snapshots()))
    body = path.read_bytes()
    fixed = s.cli(d, "raw", "verify", "--fix")
    ok = fixed.exit_code == 0 and "corrected the sha256" in fixed.output
    ok &= path.read_bytes() == body and s.cli(d, "build", "--allow-empty-periods").exit_code == 0
    return Outcome(ok, "line corrected, the only copy kept, build OK")


def case_damaged_wits(s: Suite) -> Outcome:
    d, store = _wits_import(s, "damagedwits")
    path = store.locate(next(store.snapshots()))
    damaged = path.read_bytes()[:-6] + b"\0" * 6
    path.write_bytes(damaged)
    fixed = s.cli(d, "raw", "verify", "--fix")
    aside = list((d / "raw" / ".set-aside").rglob("*.gz.*"))
    ok = "moved aside" in fixed.output and [p.read_bytes() for p in aside] == [damaged]
    ok &= fixed.exit_code == 1 and "tradeviz import wits" in fixed.output
    return Outcome(ok, "moved aside, never deleted; exit 1 with the import command")


def case_symlinked_lock(s: Suite) -> Outcome:
    d = s.fetched("locklink")
    victim = s.sentinel(s.root / "lock-victim.txt")
    (d / ".tradeviz.lock").unlink()
    (d / ".tradeviz.lock").symlink_to(victim)
    return _unchanged(s, s.cli(d, "build"), "symbolic link", sentinels=(victim,))


def case_last_line_without_newline(s: Suite) -> Outcome:
    d = s.fetched("nonewline")
    m = d / "raw" / "manifest.jsonl"
    m.write_bytes(m.read_bytes().rstrip(b"\n"))
    lines = m.read_bytes().count(b"\n") + 1
    f = s.corpus / "wits" / "partner-timeseries" / "Tajikistan-WITS-Partner-Timeseries.csv"
    ok = s.cli(d, "import", "wits", str(f)).exit_code == 0
    ok &= m.read_bytes().count(b"\n") == lines + 1 and s.cli(d, "raw", "verify").exit_code == 0
    return Outcome(ok, "the line is ended, not cut", s.lost(d))


def case_file_at_processed(s: Suite) -> Outcome:
    d = s.fetched("processedfile")
    s.cli(d, "build", "--allow-empty-periods")
    (d / "processed").unlink()  # the generation link, replaced by a user's file
    notes = s.sentinel(d / "processed", b"my notes")
    return _unchanged(s, s.cli(d, "build"), "move it away", sentinels=(notes,))


def case_retired_never_refetched(s: Suite) -> Outcome:
    d = s.fetched("retired")
    store = RawStore(d / "raw")
    store.locate(next(x for x in store.snapshots() if x.complete)).unlink()
    ok = s.cli(d, "raw", "verify", "--fix", "--no-fetch").exit_code == 0
    ok2, note = s.one_line_error(s.cli(d, "build"), "retired", "--allow-retired-missing")
    ok &= s.cli(d, *FETCH).exit_code == 0 and s.cli(d, "build").exit_code == 0
    return Outcome(ok and ok2, note, s.lost(d))


def case_refetch_fails(s: Suite) -> Outcome:
    d = s.fetched("refetchfails")
    store = RawStore(d / "raw")
    store.locate(next(x for x in store.snapshots() if x.complete)).unlink()
    fixed = s.cli(d, "raw", "verify", "--fix", url="http://127.0.0.1:9")
    ok = fixed.exit_code == 1 and "NOT repaired" in fixed.output and "OK" not in fixed.output
    ok &= s.cli(d, *FETCH).exit_code == 0  # reachable again: the rerun fetches it
    return Outcome(ok, "exit 1, not 'after --fix: OK'", s.lost(d))


def case_mistyped_line(s: Suite, field: str, value) -> Outcome:
    d = s.fetched(f"mistyped-{field}")
    m = d / "raw" / "manifest.jsonl"
    lines = m.read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), field: value})
    m.write_text("\n".join(lines) + "\n")
    ok, note = s.one_line_error(s.cli(d, "build"), "line 1", field)
    check = s.cli(d, "raw", "verify")
    ok &= check.exit_code == 1 and "line 1" in check.output
    s.cli(d, "raw", "verify", "--fix", "--no-fetch")
    named = s.cli(d, "build")  # the set-aside line's query (any source) is named, not lacked
    ok &= named.exit_code == 1 and "1 retired query" in named.output
    ok &= s.cli(d, *FETCH).exit_code == 0 and s.cli(d, "build").exit_code == 0
    return Outcome(ok, note, s.lost(d))


def case_bad_table(s: Suite, how: str, command: str) -> Outcome:
    import pandas as pd

    d = s.fetched(f"table-{how}-{command}")
    s.cli(d, "build", "--allow-empty-periods")
    parts = (d / "processed").resolve() / "flows" / "source=comtrade"
    flows = sorted(parts.glob("year=*/part-0.parquet"))[-1]  # one partition of the table
    body = flows.read_bytes()
    flows.unlink()  # a hard link the previous generation may share: a new file instead
    if how == "text":
        df = pd.read_parquet(io.BytesIO(body))
        df["value_usd"] = df["value_usd"].astype(str)
        df.to_parquet(flows)
    else:
        flows.write_bytes(body[: len(body) // 2])
    args = {"check": ["check", "--strict"]}.get(command, [command, "--out", str(d / "x")])
    return Outcome(*s.one_line_error(s.cli(d, *args), str(flows)))


def case_bomb(s: Suite, sparse: bool) -> Outcome:
    d = s.data_dir(f"bomb-{sparse}")
    store = RawStore(d / "raw", compress=not sparse)
    body = b'{"count":0,"data":[],"pad":"' + os.urandom(60_000).hex().encode() + b'"}'
    snap = store.save("comtrade", body, "json", {"query_key": "q", "params": {}})
    path = store.locate(snap)
    if sparse:
        with open(path, "r+b") as fh:
            fh.truncate(2 << 30)  # 2 GiB, no disk used
    else:
        # 64 MiB of zeros in ~64 KB: small enough to pass the compressed-size check, so
        # the inflater itself must stop at the recorded size
        path.write_bytes(gzip.compress(b"\0" * (64 << 20), compresslevel=9))
    tracemalloc.start()
    try:
        check = s.cli(d, "raw", "verify")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    ok = check.exit_code == 1 and "damaged" in check.output and peak < 32 << 20
    return Outcome(ok, f"damaged; verify's peak {peak / 2**10:,.0f} KiB (traced)")


def case_directory_at_snapshot(s: Suite) -> Outcome:
    d = s.data_dir("dirsnapshot")
    ok = s.cli(d, *FETCH).exit_code == 0
    store = RawStore(d / "raw")
    snap = next(x for x in store.snapshots() if x.complete)
    path = store.locate(snap)
    path.unlink()
    path.mkdir()
    fixed = s.cli(d, "raw", "verify", "--fix")
    line = [ln for ln in fixed.output.splitlines() if str(path) in ln]
    ok &= fixed.exit_code == 1 and bool(line) and ".tmp-" not in fixed.output
    ok &= "Traceback" not in fixed.output
    return Outcome(ok, (line or fixed.output.splitlines() or [""])[-1][:110])


def storage_cases(s: Suite) -> list[tuple[str, Callable[[], Outcome]]]:
    """Issue 23's storage faults, one case per class (named `store: ...`, for --only)."""
    cases = [
        *[
            (f"report --out at a {k} (must refuse)", lambda k=k: case_report_out(s, k))
            for k in ("data", "thesis", "file")
        ],
        *[
            (f"{c} --out at an existing file", lambda c=c: case_out_at_a_file(s, c))
            for c in ("charts", "notebooks")
        ],
        *[
            (f"manifest path out of raw/ ({h})", lambda h=h: case_path_escape(s, h))
            for h in ("dotdot", "absolute", "symlink")
        ],
        ("unreadable snapshot (EACCES) under --fix", lambda: case_unreadable_snapshot(s)),
        ("wrong manifest sha for an intact WITS import", lambda: case_wrong_sha_wits(s)),
        ("damaged WITS import under --fix", lambda: case_damaged_wits(s)),
        ("lock file symlinked to a user's file", lambda: case_symlinked_lock(s)),
        (
            "valid last manifest line without newline",
            lambda: case_last_line_without_newline(s),
        ),
        ("a regular file at processed", lambda: case_file_at_processed(s)),
        ("retired query never fetched again", lambda: case_retired_never_refetched(s)),
        ("--fix whose refetch fails", lambda: case_refetch_fails(s)),
        *[
            (f"manifest line with {f}={v!r}", lambda f=f, v=v: case_mistyped_line(s, f, v))
            for f, v in (
                ("source", "comtrade_v2"),
                ("params", "a=1"),
                ("fetched_at", 17e8),
            )
        ],
        *[
            (f"a flows partition {h} -> {c}", lambda h=h, c=c: case_bad_table(s, h, c))
            for h, c in (
                ("text", "check"),
                ("truncated", "charts"),
                ("truncated", "report"),
            )
        ],
        ("gzip bomb (64 MiB of zeros) as a snapshot", lambda: case_bomb(s, False)),
        ("2 GiB sparse file as a snapshot", lambda: case_bomb(s, True)),
        ("a directory at a snapshot path", lambda: case_directory_at_snapshot(s)),
    ]
    return [(f"store: {name}", run) for name, run in cases]


# -- issue 23: data faults ----------------------------------------------------------------
WITS_DIR = "wits/partner-timeseries"
_WITS_ROW = "Kazakhstan,{},Import,  All Products,Import (US$ Thousand),{},{}\n"


def _wits_rows_csv(s: Suite, name: str, rows: list[tuple[str, str, str]]) -> Path:
    """A Kazakhstan Partner-Timeseries CSV (BOM, 2019 and 2020) with (partner, 2019, 2020)."""
    head = "Reporter Name,Partner Name,Trade Flow,Product Group,Indicator,2019,2020\n"
    body = head + "".join(_WITS_ROW.format(*row) for row in rows)
    path = s.root / name
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    return path


def _wits_xlsx(s: Suite, name: str, cells: dict[str, object]) -> Path:
    """A workbook shaped like a WITS download (Sheet1, then Partner-Timeseries) with
    China's and Russia's 2019 imports; `cells` overrides cells of the data sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Sheet1"
    sheet = book.create_sheet("Partner-Timeseries")
    sheet.append(
        ["Reporter Name", "Partner Name", "Trade Flow", "Product Group", "Indicator", "2019"]
    )
    for partner, value in (("China", "1.5"), ("Russian Federation", "4")):
        sheet.append(["Kazakhstan", partner, "Import", "All Products", "Import (US$ Thousand)"])
        sheet.cell(sheet.max_row, 6, value)
    for ref, value in cells.items():
        sheet[ref] = value
    path = s.root / name
    book.save(path)
    return path


def _billion_laughs(path: Path) -> Path:
    """The workbook with a nested-entity DTD in its data sheet, whose China cell expands
    to 10^9 'lol's (~3 GB) when an XML parser expands entities."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                body = body.replace(b"<t>China</t>", b"<t>&lol9;</t>", 1)
                assert b"&lol9;" in body, "the data sheet holds no inline China cell"
                data = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [' + entities + b"]>" + body
            out.writestr(info, data)
    path.write_bytes(buf.getvalue())
    return path


def _bad_wits_file(s: Suite, kind: str) -> tuple[Path, tuple[str, ...]]:
    """A download with one fault, and the words its error line must hold (file, row)."""
    rows = [("China", "1.5", "2"), ("Russian Federation", "5", "6")]
    if kind in ("Infinity", "1e400", "-5"):
        rows[1] = ("Russian Federation", kind, "6")
        return _wits_rows_csv(s, f"bad-{kind}.csv", rows), ("row 3", repr(kind))
    if kind == "duplicate":
        rows.append(("China", "7", "8"))
        return _wits_rows_csv(s, "bad-dup.csv", rows), ("row 2", "row 4", "China")
    if kind == "formula":
        path = _wits_xlsx(s, "bad-formula.xlsx", {"F3": "=2+3"})  # saved with no value
        return path, ("cell F3", "formula")
    path = _billion_laughs(_wits_xlsx(s, "bad-laughs.xlsx", {}))
    return path, ("not a readable",)


def case_bad_wits_value(s: Suite, kind: str) -> Outcome:
    """Import refuses the file in one line naming it and the row (nothing stored); a
    snapshot of it stored by an import without the checks stops the build the same way,
    naming the snapshot, and the previous tables keep no record of it."""
    import numpy as np

    d = s.data_dir(f"badwits-{kind}")
    good = s.corpus / WITS_DIR / "Tajikistan-WITS-Partner-Timeseries.csv"
    assert s.cli(d, "import", "wits", str(good)).exit_code == 0
    assert s.cli(d, "build", "--allow-empty-periods").exit_code == 0
    before, manifest = _flows_bytes(d), (d / "raw" / "manifest.jsonl").read_bytes()
    path, words = _bad_wits_file(s, kind)
    started = time.monotonic()
    imported = s.cli(d, "import", "wits", str(path))
    took = time.monotonic() - started
    ok, note = s.one_line_error(imported, str(path), *words)
    note = imported.output.strip().splitlines()[-1] if ok else note  # whole, then cut
    ok &= (d / "raw" / "manifest.jsonl").read_bytes() == manifest  # nothing stored
    ext = path.suffix.lstrip(".")
    meta = {"params": {"file": path.name, "reporters": ["KAZ"]}, "complete": True}
    meta |= {"format": ext, "query_key": f"bad-{kind}", "synthetic": False}
    snap = RawStore(d / "raw").save("wits", path.read_bytes(), ext, meta)
    built, words_b = s.cli(d, "build", "--allow-empty-periods"), (snap.path, *words)
    ok_b, note_b = s.one_line_error(built, *words_b)
    table = read_table((d / "processed").resolve(), "flows")
    ok &= ok_b and _flows_bytes(d) == before and "KAZ" not in set(table["reporter"])
    ok &= bool(np.isfinite(table["value_usd"]).all() and (table["value_usd"] >= 0).all())
    shown = (note if ok_b else note_b).replace(f"{s.root}/", "").removeprefix("error: ")
    return Outcome(ok, f"({took:.1f} s) {shown[:120]}")


def case_build_race(s: Suite, runs: int = 4) -> Outcome:
    """Issue 23 item 12: `import wits` of the five real XLSX files then `build`, each build
    a fresh process (openpyxl not yet imported when the parse pool starts), `runs` times."""
    d = s.data_dir("buildrace")
    files = sorted(str(p) for p in (s.corpus / WITS_DIR).glob("*.xlsx"))
    imported = s.cli(d, "import", "wits", *files)
    if imported.exit_code != 0 or len(files) != 5:
        return Outcome(False, f"import of {len(files)} XLSX: {imported.output[-80:]}")
    fails = []
    for _ in range(runs):
        proc = s.proc(d, "build")
        out, err = proc.communicate(timeout=300)
        s.outputs.append(out + err)
        if proc.returncode != 0 or "wits 8,522 rows" not in out:
            fails.append(err + out)
    race = sum("partially initialized module 'openpyxl'" in text for text in fails)
    note = f"{runs - len(fails)}/{runs} builds of the five XLSX OK (wits 8,522 rows)"
    if fails:
        last = (fails[0].strip().splitlines() or ["(no output)"])[-1]
        note += f"; {race} with the openpyxl race; {last}"
    return Outcome(not fails, note)


def case_partner_dtypes(s: Suite) -> Outcome:
    """Issue 23 item 13: partners() of every country and side (and a single year) gives
    each column its dictionary dtype; object dtype (TKM best: value_usd, share) fails."""
    import tradeviz
    from tradeviz.schema import PARTNERS_FIELDS

    d = s.data_dir("partnerdtypes")
    plan = ["fetch", "comtrade", "--plan", "partners", "--years", "2021-2023", "--level", "total"]
    assert s.cli(d, *plan).exit_code == 0
    assert s.cli(d, "build", "--allow-empty-periods").exit_code == 0
    ds, want = tradeviz.open(d), {f.name: f.dtype for f in PARTNERS_FIELDS}
    bad, frames = [], 0
    for country in ("KAZ", "KGZ", "TJK", "TKM", "UZB"):
        for side in ("reported", "mirror", "best"):
            for years in (None, 2023):
                t = ds.partners(country, years=years, side=side)
                frames += 1
                got = {c: str(t[c].dtype) for c in t.columns}
                if got != want or (side == "best" and t.empty):
                    bad.append(f"{country} {side} {years}: " + ", ".join(
                        f"{c} {got.get(c)}" for c in want if got.get(c) != want[c]
                    ))  # fmt: skip
    tkm = ds.partners("TKM", side="best")
    ok = not bad and set(tkm["basis"]) == {"mirror"}  # the branch of the bug: no own reports
    return Outcome(ok, f"{frames} frames, every column its dictionary dtype" if ok else bad[0])


def data_cases(s: Suite) -> list[tuple[str, Callable[[], Outcome]]]:
    """Issue 23's data faults (named `data: ...`, for --only)."""
    cases = [
        *[
            (f"WITS {what} at import and build", lambda k=k: case_bad_wits_value(s, k))
            for k, what in (
                ("Infinity", "value 'Infinity'"),
                ("1e400", "value '1e400'"),
                ("-5", "negative value '-5'"),
                ("duplicate", "partner/year row twice"),
                ("formula", "XLSX formula cell without a cached value"),
                ("laughs", "billion-laughs XLSX"),
            )
        ],
        ("import wits of the five XLSX then build (race)", lambda: case_build_race(s)),
        ("partners() dtypes for every side and country", lambda: case_partner_dtypes(s)),
    ]
    return [(f"data: {name}", run) for name, run in cases]


def net_cases(s: Suite) -> list[tuple[str, Callable[[], Outcome]]]:
    """The network cases of bench/faults_net.py, when that module is there."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    sys.modules.setdefault("faults", sys.modules[__name__])  # one Outcome, one Suite
    try:
        import faults_net
    except ModuleNotFoundError as exc:
        if exc.name != "faults_net":
            raise
        return []
    return list(faults_net.cases(s))


def case_kill(
    s: Suite, rng: random.Random, n: int, clean: dict[str, bytes], clean_lines: int
) -> Outcome:
    d = s.data_dir(f"kill{n}")
    manifest = d / "raw" / "manifest.jsonl"
    proc = s.proc(d, *KILL_FETCH)
    target = rng.randint(0, max(0, clean_lines - 1))  # 0: killed before the first line
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= target:
            break
        time.sleep(rng.uniform(0.001, 0.03))
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    s.outputs.append(out + err)
    rerun = s.proc(d, *KILL_FETCH)
    out, err = rerun.communicate(timeout=120)
    s.outputs.append(out + err)
    have = s.contents(d)
    lost = sum(len(json.loads(b)["data"]) for k, b in clean.items() if have.get(k) != b)
    extra = len(set(have) - set(clean))
    ok = rerun.returncode == 0 and lost == 0 and extra == 0
    ok &= not list((d / "raw").rglob(".tmp-*")) and not finished
    note = (
        f"killed at {target}/{clean_lines} manifest lines; {len(have)} snapshots equal "
        "byte for byte"
        if ok
        else f"lost {lost}, extra {extra}, finished before the kill: {finished}"
    )
    return Outcome(ok, note, lost, s.duplicates(d))


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", default="", help="Run only the cases whose name has this.")
    args = parser.parse_args(argv)
    corpus = find_corpus()
    root = Path(tempfile.mkdtemp(prefix="tradeviz-faults-"))
    s = Suite(root, corpus)
    started = time.monotonic()
    try:
        s.reference = s.contents(s.fetched("reference"))
        cases: list[tuple[str, Callable[[], Outcome]]] = [
            (
                "damaged snapshot -> build error -> raw verify --fix -> build",
                lambda: case_damaged_snapshot_verify_fix(s),
            ),
            ("deleted snapshot -> fetch --refresh -> build", lambda: case_delete_and_refresh(s)),
            ("malformed middle manifest line", lambda: case_malformed_middle_line(s)),
            ("manifest line that is not an object", lambda: case_non_object_line(s)),
            ("UTF-8 BOM on the manifest", lambda: case_bom(s)),
            ("empty manifest with snapshots on disk", lambda: case_empty_manifest(s)),
            ("torn last manifest line", lambda: case_torn_last_line(s)),
            ('"complete": "false" as a string', lambda: case_complete_as_string(s)),
            ("two fetches started together", lambda: case_two_writers(s)),
            ("disk full during fetch (ENOSPC)", lambda: case_full_disk_fetch(s)),
            ("read-only file system during build (EROFS)", lambda: case_readonly_build(s)),
            ("permission denied (EACCES)", lambda: case_permission_denied(s)),
            ("a file where the data dir should be (ENOTDIR)", lambda: case_file_as_data_dir(s)),
            (
                "a directory given as the import file (EISDIR)",
                lambda: case_directory_as_import_file(s),
            ),
            ("build failing after the flows table", lambda: case_failed_build_keeps_generation(s)),
            ("file modes follow the umask", lambda: case_umask(s)),
            ("302 to another host with the key", lambda: case_cross_host_redirect(s)),
            *[
                (f"key echoed in an HTTP {c} body", lambda c=c: case_key_echoed(s, c))
                for c in (401, 404, 500)
            ],
            ("key echoed in a 200 body", lambda: case_key_echoed_in_200(s)),
            ("key put in a URL", lambda: case_key_in_url(s)),
            ("response trickling a byte at a time", lambda: case_trickle(s)),
            ("response over the size limit", lambda: case_oversize(s)),
            ("rows failing the v1 types (null code, NaN)", lambda: case_bad_row_types(s)),
            ("WITS US Minor Outlying Islands vs USA", lambda: case_wits_umi(s)),
            ("WITS two names on one ISO3", lambda: case_wits_clash(s)),
            ("WITS header-only file", lambda: case_wits_header_only(s)),
            ("WITS empty file", lambda: case_wits_empty(s)),
            ("XLSX unpacking to 80 MB", lambda: case_xlsx_bomb(s)),
            ("recorded empty Comtrade body alone", lambda: case_empty_comtrade_body(s, False)),
            ("recorded empty Comtrade body beside WITS", lambda: case_empty_comtrade_body(s, True)),
            ("check --published with the wrong CSV", lambda: case_check_wrong_csv(s)),
            *storage_cases(s),
            *data_cases(s),
            *net_cases(s),
        ]
        clean_dir = s.fetched("kill-clean", KILL_FETCH)
        clean = s.contents(clean_dir)
        clean_lines = (clean_dir / "raw" / "manifest.jsonl").read_bytes().count(b"\n")
        rng = random.Random(args.seed)
        cases += [
            (f"kill test {i + 1}", lambda i=i: case_kill(s, rng, i, clean, clean_lines))
            for i in range(args.kills)
        ]
        tried = cleanly = lost = dups = 0
        for name, run in [c for c in cases if args.only in c[0]]:
            tried += 1
            try:
                out = run()
            except Exception as exc:  # a crash of the case itself is a failure, shown
                out = Outcome(False, f"{type(exc).__name__}: {exc}"[:110])
            cleanly += out.clean
            lost += out.lost
            dups += out.duplicates
            print(f"{'ok  ' if out.clean else 'FAIL'} {name:52} {out.note}", flush=True)
        leaks = s.key_leaks()
        deleted = s.deleted_outside()
    finally:
        s.close()
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"\ncases tried: {tried}\nhandled cleanly: {cleanly}\nrecords lost: {lost}\n"
        f"duplicates: {dups}\nfiles deleted outside raw/: {deleted}\nkey leaks: {leaks}\n"
        f"({time.monotonic() - started:.0f} s)"
    )
    good = cleanly == tried and lost == 0 and dups == 0 and deleted == 0 and leaks == 0
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main_())
