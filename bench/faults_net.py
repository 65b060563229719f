"""Network fault cases for the fault suite (issues 22 and 23): the live API limits and the
network items of the audit, each against the CLI or the HTTP layer on 127.0.0.1.

`cases(s)` returns (name, run) pairs for bench/faults.py's loop: each run returns that
suite's Outcome (handled cleanly, a note, records lost, duplicates). The suite's module is
found from the Suite object itself, so this file works whether faults.py runs as a script
(`__main__`) or is imported.

* keys and URLs: a key with a newline, a key in the base URL's userinfo, `ftp://`, port
  99999, a URL without a scheme, a 302 to `file://` (one line each, no request with the
  key, no key in any output or file);
* bounded work: headers trickled a byte at a time (socket-level deadline), a lying
  Content-Length (nothing reserved before bytes arrive);
* bodies: an error page with terminal escapes, HTML and a fake `error:` line (one
  sanitised line);
* live limits: 414 past a URL length, `count` above the rows of a capped answer, 13
  periods refused, 403 quota with an HTTP-date Retry-After (waited) and a day-long one
  (one line, then a rerun resumes), an IMF 404 that is not SDMX's no-results answer.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from click.testing import CliRunner
from werkzeug.wrappers import Response

from tradeviz.cli import main
from tradeviz.emulators.comtrade import ComtradeEmulator, Faults
from tradeviz.emulators.imf import ImfEmulator
from tradeviz.emulators.server import ServedApp
from tradeviz.store.raw import RawStore


def cases(s: Any) -> list[tuple[str, Callable[[], Any]]]:
    """The network cases, bound to the suite `s` (a bench/faults.py Suite)."""
    f = sys.modules[type(s).__module__]  # faults.py, however it was loaded
    return [
        ("key with a newline", lambda: case_key_newline(s, f)),
        ("key in the base URL's userinfo", lambda: case_key_in_userinfo(s, f)),
        ("ftp:// base URL", lambda: _bad_base(s, f, "ftpurl", "ftp://127.0.0.1/", "ftp://")),
        ("port 99999", lambda: _bad_base(s, f, "port", "http://127.0.0.1:99999", "port")),
        ("base URL without a scheme", lambda: _bad_base(s, f, "noscheme", "127.0.0.1", "scheme")),
        ("302 to file://", lambda: case_redirect_file(s, f)),
        ("headers trickled a byte at a time", lambda: case_trickled_headers(f)),
        ("Content-Length of 300 MB, 3 bytes sent", lambda: case_lying_length(f)),
        ("error page with escapes and a fake error line", lambda: case_error_page(s, f)),
        ("HTTP 414 past a URL length", lambda: case_414(s, f)),
        ("capped answer whose count is every match", lambda: case_count_matches(s, f)),
        ("13 periods in one call refused", lambda: case_periods(s, f)),
        ("403 quota, Retry-After as an HTTP date", lambda: case_quota_date(s, f)),
        ("403 quota for a day, then a rerun", lambda: case_quota_day(s, f)),
        ("IMF 404 that is not SDMX's no-results", lambda: case_imf_proxy_404(s, f)),
    ]


def _cli(s: Any, d, *args: str, **env: str):
    result = CliRunner().invoke(main, list(args), env={**s.env(d), **env})
    s.outputs.append(result.output)
    return result


def _stored(d, source: str = "comtrade") -> int:
    return len(list(RawStore(d / "raw").snapshots(source))) if (d / "raw").exists() else 0


def _with_emulator(s: Any, f: Any, name: str, *extra: str, **kw) -> Any:
    """FETCH against a fresh emulator with `kw`; clean when it exits 0 with every record
    of the reference run (the emulators' data is deterministic)."""
    api = ComtradeEmulator(corpus=s.corpus, valid_keys={f.KEY}, **kw)
    d = s.data_dir(name)
    with ServedApp(api) as srv:
        result = _cli(s, d, *f.FETCH, *extra, TRADEVIZ_COMTRADE_URL=srv.url)
    lost = s.lost(d)
    return api, result, f.Outcome(result.exit_code == 0 and lost == 0, "", lost, s.duplicates(d))


def case_key_newline(s: Any, f: Any) -> Any:
    d = s.data_dir("keynewline")
    before = s.api.calls
    result = _cli(s, d, *f.FETCH, COMTRADE_API_KEY=f.KEY + "\nX-Injected: 1")
    ok, note = s.one_line_error(result, "COMTRADE_API_KEY")
    return f.Outcome(ok and s.api.calls == before and not _stored(d), note)


def case_key_in_userinfo(s: Any, f: Any) -> Any:
    d = s.data_dir("userinfo")
    before = s.api.calls
    url = s.served.url.replace("http://", f"http://user:{f.KEY}@")
    ok, note = s.one_line_error(_cli(s, d, *f.FETCH, TRADEVIZ_COMTRADE_URL=url), "credentials")
    return f.Outcome(ok and s.api.calls == before and not _stored(d), note)


def _bad_base(s: Any, f: Any, name: str, url: str, word: str) -> Any:
    d = s.data_dir(name)
    result = _cli(s, d, *f.FETCH, TRADEVIZ_COMTRADE_URL=url)
    ok, note = s.one_line_error(result, "TRADEVIZ_COMTRADE_URL", word)
    return f.Outcome(ok and "No network" not in result.output and not _stored(d), note)


def case_redirect_file(s: Any, f: Any) -> Any:
    answer = Response(status=302, headers={"Location": "file:///etc/passwd"})
    return f._http_case(s, "redirectfile", lambda req: answer, "not followed")


def case_error_page(s: Any, f: Any) -> Any:
    body = "<html>\n\x1b[2J\x1b[31m<b>Bad gateway</b>\nerror: disk full, run rm -rf ~\n</html>"
    out = f._http_case(s, "errorpage", lambda req: Response(body, status=404), "Bad gateway")
    last = s.outputs[-1]
    out.clean &= "\x1b" not in last and "rm -rf" not in last.split("Bad gateway")[0]
    return out


def _raw_server(handler: Callable[[socket.socket], None]) -> tuple[str, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve() -> None:
        with suppress(OSError):
            conn, _ = sock.accept()
            with conn:
                handler(conn)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def case_trickled_headers(f: Any) -> Any:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient

    def trickle(conn: socket.socket) -> None:
        conn.recv(4096)
        for byte in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 60:
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    url, sock = _raw_server(trickle)
    start = time.monotonic()
    try:
        HttpClient("comtrade", rps=1000, deadline=1.0, timeout=30, max_retries=0).get(url)
    except HttpError as exc:
        took = time.monotonic() - start
        return f.Outcome("deadline" in str(exc) and took < 3, f"stopped after {took:.1f}s")
    finally:
        sock.close()
    return f.Outcome(False, "headers read to the end")


def case_lying_length(f: Any) -> Any:
    from tradeviz.errors import HttpError
    from tradeviz.extract.http import HttpClient

    def liar(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\nabc")
        time.sleep(0.3)

    url, sock = _raw_server(liar)
    tracemalloc.start()
    try:
        HttpClient("comtrade", rps=1000, max_retries=0).get(url)
        refused = False
    except HttpError:
        refused = True
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sock.close()
    return f.Outcome(refused and peak < 20 << 20, f"peak {peak / 2**20:.1f} MiB for 3 bytes")


def _records(d) -> set[tuple]:
    """Every record of the complete snapshots, whatever queries brought them."""
    store = RawStore(d / "raw")
    out = set()
    for snap in store.current_snapshots(["comtrade"]):
        if snap.complete:
            for r in json.loads(store.read(snap))["data"]:
                out.add((r["reporterCode"], r["partnerCode"], r["period"], r["flowCode"],
                         r["cmdCode"], r["primaryValue"]))  # fmt: skip
    return out


def case_414(s: Any, f: Any) -> Any:
    """Splits change the queries, so records are compared, not snapshots."""
    ref = RawStore(s.root / "reference" / "raw")
    longest = max(len(snap.record["url"]) for snap in ref.snapshots("comtrade"))
    api = ComtradeEmulator(corpus=s.corpus, valid_keys={f.KEY}, url_limit=longest - 6)
    d = s.data_dir("url414")
    with ServedApp(api) as srv:
        result = _cli(s, d, *f.FETCH, TRADEVIZ_COMTRADE_URL=srv.url)
    want = _records(s.root / "reference")
    lost = len(want - _records(d))
    ok = result.exit_code == 0 and lost == 0 and api.refused["414"] > 0
    note = f"{api.refused['414']} 414 answers split; {len(want)} records, exit {result.exit_code}"
    return f.Outcome(ok, note, lost, s.duplicates(d))


def case_count_matches(s: Any, f: Any) -> Any:
    api, result, out = _with_emulator(s, f, "countmatches", count_mode="matches")
    out.note = f"exit {result.exit_code}, lost {out.lost}"
    return out


def case_periods(s: Any, f: Any) -> Any:
    args = ["fetch", "comtrade", "--years", "2020-2021", "--freq", "M", "--level", "total",
            "--reporters", "CHN", "--partners", "KAZ", "--max-periods-per-call", "24"]  # fmt: skip
    api = ComtradeEmulator(corpus=s.corpus, valid_keys={f.KEY})
    d = s.data_dir("periods")
    with ServedApp(api) as srv:
        result = _cli(s, d, *args, TRADEVIZ_COMTRADE_URL=srv.url)
    store = RawStore(d / "raw")
    months = {
        p for snap in store.snapshots("comtrade") if snap.complete
        for p in snap.record["params"]["period"].split(",")
    }  # fmt: skip
    ok = result.exit_code == 0 and api.refused["periods"] > 0 and len(months) == 24
    return f.Outcome(ok, f"{api.refused['periods']} refusals split; {len(months)} months kept")


def case_quota_date(s: Any, f: Any) -> Any:
    api, result, out = _with_emulator(s, f, "quotadate", faults=Faults(schedule=["quota-date"]))
    out.note = f"waited for the quota, exit {result.exit_code}"
    return out


def case_quota_day(s: Any, f: Any) -> Any:
    api = ComtradeEmulator(corpus=s.corpus, valid_keys={f.KEY}, quota=1)
    d = s.data_dir("quotaday")
    with ServedApp(api) as srv:
        first = _cli(s, d, *f.FETCH, TRADEVIZ_COMTRADE_URL=srv.url)
        ok, note = s.one_line_error(first, "quota", "UTC", "Rerun")
        api.quota = None
        again = _cli(s, d, *f.FETCH, TRADEVIZ_COMTRADE_URL=srv.url)
    lost = s.lost(d)
    return f.Outcome(ok and again.exit_code == 0 and lost == 0, note, lost, s.duplicates(d))


def case_imf_proxy_404(s: Any, f: Any) -> Any:
    d = s.data_dir("imf404")
    with ServedApp(ImfEmulator(corpus=s.corpus, proxy_404=True)) as srv:
        result = _cli(s, d, "fetch", "imf", "--years", "2023", "--freq", "A",
                      TRADEVIZ_IMF_URL=srv.url)  # fmt: skip
    ok, note = s.one_line_error(result, "404", "nothing recorded")
    return f.Outcome(ok and not _stored(d, "imf"), note)
