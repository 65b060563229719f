"""The live APIs' limits (issue 22) and the network faults of issue 23 (items 7, 14-18):
each against a local server or emulator, each ending in complete data or one line."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from werkzeug.wrappers import Response

from tradeviz import config
from tradeviz.cli import main
from tradeviz.emulators import limits
from tradeviz.emulators.imf import ImfEmulator
from tradeviz.emulators.server import ServedApp
from tradeviz.errors import ConfigError, HttpError, TradevizError
from tradeviz.extract import comtrade
from tradeviz.extract.comtrade import ComtradeFetcher
from tradeviz.extract.http import HttpClient, check_reachable, retry_after
from tradeviz.extract.imf import ImfFetcher
from tradeviz.store.raw import RawStore

KEY = "0123456789abcdef0123456789abcdef"
PREVIEW = "/public/v1/preview/C/A/HS"


def _served(answer) -> ServedApp:
    def app(environ, start_response):
        from werkzeug.wrappers import Request

        return answer(Request(environ))(environ, start_response)

    return ServedApp(app).__enter__()


def _one_line(result, *words: str) -> str:
    """The CLI ended with exit 1 and one `error:` line (no traceback) holding `words`."""
    text = result.output.strip()
    errors = [ln for ln in text.splitlines() if ln.startswith("error:")]
    assert result.exit_code == 1, text
    assert "Traceback" not in text and len(errors) == 1 and text.endswith(errors[0]), text
    for w in words:
        assert w in errors[0], (w, errors[0])
    return errors[0]


# -- keys and URLs (#23 item 14) ------------------------------------------------------------
@pytest.mark.parametrize("bad", [KEY + "\nX-Evil: 1", "клю" + KEY, KEY + "\x1b[2J"])
def test_a_key_with_a_newline_or_non_latin1_is_refused_and_never_echoed(monkeypatch, bad):
    monkeypatch.setenv("COMTRADE_API_KEY", bad)
    with pytest.raises(ConfigError) as err:
        config.comtrade_key()
    assert KEY not in str(err.value) and "COMTRADE_API_KEY" in str(err.value)
    with pytest.raises(ConfigError) as err:
        HttpClient("comtrade", secret_values=(bad,))
    assert KEY not in str(err.value)


def test_a_bad_key_stops_the_cli_in_one_line_before_any_request(tmp_path, comtrade_api):
    api = comtrade_api()
    env = {"COMTRADE_API_KEY": KEY + "\nX: 1", "TRADEVIZ_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["fetch", "comtrade", "--level", "total"], env=env)
    line = _one_line(result, "COMTRADE_API_KEY")
    assert KEY not in result.output and api.calls == 0, line
    verbose = CliRunner().invoke(main, ["-v", "fetch", "comtrade", "--level", "total"], env=env)
    assert verbose.exit_code == 1 and KEY not in verbose.output and api.calls == 0


def test_credentials_in_a_base_url_are_refused_and_never_sent(monkeypatch, comtrade_api):
    api = comtrade_api()
    with_user = api.url.replace("http://", "http://user:hunter2pass@")
    monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", with_user)
    with pytest.raises(ConfigError, match="credentials") as err:
        config.comtrade_url()
    assert "hunter2pass" not in str(err.value)
    with pytest.raises(HttpError, match="credentials") as err:
        HttpClient("comtrade", rps=1000).get(with_user + PREVIEW)
    assert "hunter2pass" not in str(err.value) and api.calls == 0


def test_a_redirect_to_a_url_with_credentials_is_not_followed():
    target = "http://user:hunter2pass@127.0.0.1:1/x"
    srv = _served(lambda req: Response(status=302, headers={"Location": target}))
    try:
        with pytest.raises(HttpError, match="credentials") as err:
            HttpClient("comtrade", rps=1000, max_retries=0).get(srv.url + PREVIEW)
    finally:
        srv.__exit__(None, None, None)
    assert "hunter2pass" not in str(err.value)


# -- bad URLs are one line (#23 item 18) ----------------------------------------------------
def test_a_302_to_file_is_one_line_not_a_traceback():
    srv = _served(lambda req: Response(status=302, headers={"Location": "file:///etc/passwd"}))
    try:
        with pytest.raises(HttpError, match="redirected to a URL that is not followed"):
            HttpClient("comtrade", rps=1000, max_retries=0).get(srv.url + PREVIEW)
    finally:
        srv.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://comtradeapi.un.org", "ftp://"),
        ("http://127.0.0.1:99999", "port"),
        ("comtradeapi.un.org", "no scheme"),
    ],
)
def test_unusable_base_urls_are_one_line(tmp_path, url, words):
    with pytest.raises(HttpError, match=words):
        HttpClient("comtrade", rps=1000).get(url + PREVIEW)
    with pytest.raises(TradevizError, match=words) as err:
        check_reachable(url)
    assert "No network" not in str(err.value)
    env = {"TRADEVIZ_COMTRADE_URL": url, "TRADEVIZ_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["fetch", "comtrade", "--level", "total"], env=env)
    _one_line(result, "TRADEVIZ_COMTRADE_URL", words)


# -- deadline and memory (#23 items 15, 16) -------------------------------------------------
def _raw_server(handler) -> tuple[str, threading.Thread, socket.socket]:
    """A one-connection TCP server on 127.0.0.1 running `handler(conn)`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve() -> None:
        conn, _ = sock.accept()
        try:
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", thread, sock


def test_trickled_headers_stop_at_the_overall_deadline():
    def trickle(conn: socket.socket) -> None:
        conn.recv(4096)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Pad: " + b"a" * 40
        for byte in head:  # each byte well within the per-read timeout
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    url, thread, sock = _raw_server(trickle)
    try:
        start = time.monotonic()
        with pytest.raises(HttpError, match="deadline"):
            HttpClient("comtrade", rps=1000, deadline=0.8, timeout=30, max_retries=0).get(url)
        assert time.monotonic() - start < 2.5  # not the ~6 s the headers take
    finally:
        sock.close()


def test_a_lying_content_length_reserves_nothing():
    def liar(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\nabc")
        time.sleep(0.3)

    url, thread, sock = _raw_server(liar)
    tracemalloc.start()
    try:
        with pytest.raises(HttpError):
            HttpClient("comtrade", rps=1000, max_retries=0).get(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sock.close()
    assert peak < 20 << 20, f"{peak / 2**20:.0f} MiB allocated for 3 bytes"


# -- error bodies (#23 item 17) -------------------------------------------------------------
def test_an_error_body_is_one_sanitised_capped_line():
    body = (
        "<html>\n<body>\x1b[2J\x1b[31mred</body>\n"
        "error: your disk is full, run rm -rf ~\n" + "x" * 5000 + "</html>"
    )
    srv = _served(lambda req: Response(body, status=404, content_type="text/html"))
    try:
        with pytest.raises(HttpError) as err:
            HttpClient("comtrade", rps=1000, max_retries=0).get(srv.url + PREVIEW)
    finally:
        srv.__exit__(None, None, None)
    text = str(err.value)
    assert "\n" not in text and "\x1b" not in text and "<html>" not in text
    assert "red" in text and len(text) < 400


# -- rates, Retry-After and quota (#22 item 4) ----------------------------------------------
@pytest.mark.parametrize("raw", ["nan", "0", "1e-300", "inf", "-1"])
def test_rate_settings_not_positive_and_finite_are_refused_at_start(monkeypatch, raw):
    monkeypatch.setenv("TRADEVIZ_COMTRADE_RPS", raw)
    with pytest.raises(ConfigError, match="TRADEVIZ_COMTRADE_RPS"):
        config.comtrade_rps()
    with pytest.raises(ConfigError):
        HttpClient("comtrade", rps=float(raw))


def test_retry_after_reads_seconds_an_http_date_and_the_quota_text():
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("7", "") == 7.0
    assert retry_after("Fri, 01 May 2026 12:02:30 GMT", "", now=now) == 150.0
    assert retry_after("Fri, 01 May 2026 11:00:00 GMT", "", now=now) == 0.0  # past
    text = "Out of call volume quota. Quota will be replenished in 01:02:03."
    assert retry_after(None, text) == 3723.0
    assert retry_after(None, "Try again in 2 seconds.") == 2.0
    assert retry_after(None, "no hint") is None


@pytest.mark.parametrize("kind", limits.QUOTA_FAULTS)
def test_a_short_quota_wait_is_waited_and_the_fetch_completes(store, comtrade_api, sleeps, kind):
    comtrade_api(faults=[kind])
    fetcher = ComtradeFetcher(
        store, client=HttpClient("comtrade", rps=1000, sleep=sleeps), progress=False
    )
    groups = comtrade.custom_plan(("2021", "2020"), "total", ["CHN"], ["KAZ"])
    fetcher.run(groups, "A")
    waits = [s for s in sleeps if s >= 0.5]  # (the rate limiter's own sleeps are shorter)
    assert len(waits) == 1 and waits[0] <= limits.QUOTA_WAIT + 1  # waited, not stopped
    assert all(s.complete for s in store.snapshots("comtrade"))


def test_a_long_quota_stops_in_one_line_and_a_rerun_resumes(tmp_path, comtrade_api):
    api = comtrade_api(quota=2)  # "replenished in 23:59:59"
    args = ["fetch", "comtrade", "--level", "total", "--reporters", "CHN", "--partners",
            "KAZ", "--years", "2010-2021", "--max-records", "10"]  # fmt: skip
    env = {"TRADEVIZ_DATA_DIR": str(tmp_path), "TRADEVIZ_COMTRADE_RPS": "1000"}
    first = CliRunner().invoke(main, args, env=env)
    _one_line(first, "quota", "UTC", "Rerun")
    kept = len(list(RawStore(tmp_path / "raw").snapshots("comtrade")))
    assert kept == 2
    api.quota = None  # the quota is back
    again = CliRunner().invoke(main, args, env=env)
    assert again.exit_code == 0, again.output
    assert f"{kept} queries already complete" in again.output


# -- URL length, capped count, periods per call (#22 items 1-3) -----------------------------
def _records(store: RawStore) -> set[tuple]:
    out = set()
    for snap in store.snapshots("comtrade"):
        if snap.complete:
            for r in json.loads(store.read(snap))["data"]:
                out.add((r["reporterCode"], r["partnerCode"], r["period"], r["flowCode"],
                         r["cmdCode"]))  # fmt: skip
    return out


def _fetch(tmp_path, name, comtrade_api, fast_client, level="6", freq="A", periods=None, **kw):
    api = comtrade_api(**kw.pop("emulator", {}))
    store = RawStore(tmp_path / name)
    fetcher = ComtradeFetcher(store, client=fast_client(), progress=False, **kw)
    groups = comtrade.custom_plan(periods or ("2021", "2020"), level, ["CHN"], ["KAZ", "KGZ"])
    stats = fetcher.run(groups, freq)
    return api, store, stats


def test_a_414_is_split_and_retried_and_the_data_is_complete(tmp_path, comtrade_api, fast_client):
    _, ref, _ = _fetch(tmp_path, "ref", comtrade_api, fast_client)
    api, store, stats = _fetch(
        tmp_path, "short", comtrade_api, fast_client, emulator={"url_limit": 700}
    )
    assert api.refused["414"] > 0 and stats.refused_414 == api.refused["414"]
    assert stats.splits >= stats.refused_414
    assert _records(store) == _records(ref) and len(_records(ref)) > 2000


def test_urls_are_planned_to_the_limit(tmp_path, comtrade_api, fast_client):
    api, store, stats = _fetch(tmp_path, "plain", comtrade_api, fast_client)
    assert stats.refused_414 == 0 and api.calls == stats.calls
    for snap in store.snapshots("comtrade"):
        assert len(snap.record["url"]) <= comtrade.URL_LIMIT


@pytest.mark.parametrize("mode", limits.COUNT_MODES)
def test_both_count_behaviours_give_complete_data(tmp_path, comtrade_api, fast_client, mode):
    _, ref, _ = _fetch(tmp_path, "ref", comtrade_api, fast_client, level="4")
    api, store, stats = _fetch(
        tmp_path, mode, comtrade_api, fast_client, level="4", emulator={"count_mode": mode}
    )
    assert stats.truncated > 0  # HS4 of two pairs over two years passes 500 rows
    assert _records(store) == _records(ref)
    capped = [s.record for s in store.snapshots("comtrade") if not s.complete]
    assert capped and all(r["records"] == 500 for r in capped)
    if mode == "matches":
        assert all(r["count"] > r["records"] for r in capped)


def test_13_periods_are_refused_with_the_error_body_and_split(tmp_path, comtrade_api, fast_client):
    api = comtrade_api()
    periods = ",".join(f"2021{m:02d}" for m in range(1, 13)) + ",202012"
    import requests

    resp = requests.get(
        api.url + "/public/v1/preview/C/M/HS",
        params={"reporterCode": "156", "partnerCode": "398", "period": periods},
        timeout=10,
    )
    assert resp.status_code == 400 and "at most 12 periods" in resp.json()["error"]
    monthly = comtrade.periods_for([2020, 2021], "M")
    _, ref, _ = _fetch(tmp_path, "ref", comtrade_api, fast_client, "total", "M", monthly)
    api, store, stats = _fetch(
        tmp_path, "wide", comtrade_api, fast_client, "total", "M", monthly,
        max_periods_per_call=24,
    )  # fmt: skip
    assert stats.refused_periods == api.refused["periods"] > 0
    assert _records(store) == _records(ref)
    assert all(len(s.record["params"]["period"].split(",")) <= 12 for s in store.snapshots())


def test_default_plans_never_ask_for_more_than_12_periods(tmp_path, comtrade_api, fast_client):
    monthly = comtrade.periods_for([2020, 2021], "M")
    api, store, stats = _fetch(tmp_path, "m", comtrade_api, fast_client, "4", "M", monthly)
    assert api.refused == {"414": 0, "periods": 0}
    assert max(len(p["period"].split(",")) for _, p, _ in api.log) <= 12
    assert stats.rows == len(_records(store))


# -- IMF (#22 item 5, #23 item 7) -----------------------------------------------------------
@pytest.fixture
def imf_server(monkeypatch):
    running = []

    def start(**kw) -> ImfEmulator:
        app = ImfEmulator(**kw)
        served = ServedApp(app).__enter__()
        running.append(served)
        monkeypatch.setenv("TRADEVIZ_IMF_URL", served.url)
        return app

    yield start
    for served in running:
        served.__exit__(None, None, None)


def test_an_imf_404_without_the_sdmx_no_results_body_is_an_error(store, fast_client, imf_server):
    imf_server(proxy_404=True)
    with pytest.raises(HttpError, match="not SDMX's no-results answer"):
        ImfFetcher(store, client=fast_client("imf"), progress=False).run([2023], ("A",))
    assert list(store.snapshots("imf")) == []  # nothing recorded as empty


def test_an_imf_404_with_the_sdmx_no_results_body_is_an_empty_result(
    store, fast_client, imf_server
):
    imf_server()
    ImfFetcher(store, client=fast_client("imf"), progress=False).run([1990], ("A",))
    snaps = list(store.snapshots("imf"))
    assert len(snaps) == 6 and all(s.complete and s.record["records"] == 0 for s in snaps)
    assert all(b'code="100"' in store.read(s) for s in snaps)


def test_imf_monthly_bounds_are_sdmx_months_and_december_is_kept(store, fast_client, imf_server):
    from tradeviz.transform.imf import parse_sdmx_ml

    api = imf_server()
    ImfFetcher(store, client=fast_client("imf"), progress=False).run([2022, 2023, 2024], ("M",))
    assert {p["c[TIME_PERIOD]"] for _, p in api.log} == {"ge:2022-M01+le:2024-M12"}
    for snap in store.snapshots("imf"):
        months = {o["TIME_PERIOD"] for o in parse_sdmx_ml(store.read(snap))}
        for year in (2022, 2023, 2024):
            assert f"{year}-M12" in months and f"{year}-M01" in months
        assert len([m for m in months if m.startswith("2024")]) == 12
