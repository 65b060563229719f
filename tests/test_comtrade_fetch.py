"""The Comtrade fetcher end to end against the local emulator (real HTTP, parsing, retries)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tradeviz.errors import TruncatedResultError
from tradeviz.extract import comtrade
from tradeviz.extract.comtrade import ComtradeFetcher, Query
from tradeviz.store.raw import RawStore, read_file, sha256_hex

RECORDED = "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json"


def _fetcher(store, fast_client, **kw) -> ComtradeFetcher:
    return ComtradeFetcher(store, client=fast_client(), progress=False, **kw)


def _complete(store: RawStore) -> list[dict]:
    return [s.record for s in store.snapshots("comtrade") if s.complete]


def test_emulated_rows_have_the_recorded_v1_fields_and_types(corpus, comtrade_api):
    recorded = json.loads((corpus / "comtrade" / RECORDED).read_bytes())
    api = comtrade_api()
    row = api.row("A", 156, 398, "2020", "X", "854143", 1234.0, "H6")
    real = recorded["data"][0]
    assert list(row) == list(real)  # same fields, same order
    for key, value in real.items():
        if value is not None and row[key] is not None:
            assert type(row[key]) is type(value), key


def test_recorded_query_is_replayed_byte_for_byte(corpus, store, fast_client, comtrade_api):
    comtrade_api()
    groups = comtrade.custom_plan(("2010",), "total", ["CHN"], ["32", "276"])
    stats = _fetcher(store, fast_client).run(groups, "A")
    assert stats.calls == 1 and stats.rows == 4
    (snap,) = list(store.snapshots("comtrade"))
    assert snap.sha256 == sha256_hex((corpus / "comtrade" / RECORDED).read_bytes())
    assert snap.record["synthetic"] is False


def test_every_call_pins_breakdowns_and_sends_the_cap(store, fast_client, comtrade_api):
    api = comtrade_api()
    groups = comtrade.default_plan(("2021", "2020"), "2")
    _fetcher(store, fast_client).run(groups, "A")
    assert api.calls >= 3
    for path, params, _ in api.log:
        assert path == "/public/v1/preview/C/A/HS"
        assert params["customsCode"] == "C00" and params["motCode"] == "0"
        assert params["partner2Code"] == "0" and params["breakdownMode"] == "classic"
        assert params["includeDesc"] == "true" and params["maxRecords"] == "500"


def test_unpinned_queries_return_breakdown_rows_that_double_count(comtrade_api, fast_client):
    api = comtrade_api()
    base = {
        "reporterCode": "156",
        "partnerCode": "795",
        "period": "2020",
        "cmdCode": "TOTAL",
        "flowCode": "M",
    }
    pinned = fast_client().get(
        api.url + "/public/v1/preview/C/A/HS",
        params={**base, **comtrade.PINNED},
        validate=comtrade.validate_body,
    )
    loose = fast_client().get(
        api.url + "/public/v1/preview/C/A/HS", params=base, validate=comtrade.validate_body
    )
    total = pinned.parsed["data"][0]["primaryValue"]
    assert pinned.parsed["count"] == 1
    assert loose.parsed["count"] > 1
    assert sum(r["primaryValue"] for r in loose.parsed["data"]) > 1.5 * total


def test_preview_cap_truncation_is_split_never_stored_complete(store, fast_client, comtrade_api):
    api = comtrade_api()
    groups = comtrade.custom_plan(("2020",), "4", ["CHN"], ["KAZ", "KGZ"])
    fetcher = _fetcher(store, fast_client)
    stats = fetcher.run(groups, "A")
    records = [s.record for s in store.snapshots("comtrade")]
    truncated = [r for r in records if not r["complete"]]
    assert truncated and stats.truncated == len(truncated)
    assert all(r["count"] == 500 for r in truncated)
    assert all(r["count"] < 500 for r in records if r["complete"])
    # the complete pieces hold exactly the rows the API has for the whole query
    truth = Query("A", (156,), (398, 417), ("2020",), ("AG4",))
    full = api._data("A", {k.lower(): v for k, v in truth.params().items()}, 10**9)[0]
    expected = json.loads(full)["count"]
    assert expected > 500
    assert sum(r["records"] for r in _complete(store)) == expected == stats.rows


def test_hs6_split_falls_back_to_chapters(store, fast_client, comtrade_api):
    comtrade_api()
    groups = comtrade.custom_plan(("2021",), "6", ["CHN"], ["TKM"])
    fetcher = _fetcher(store, fast_client)
    fetcher.run(groups, "A")
    explicit = [r for r in _complete(store) if not r["params"]["cmdCode"].startswith("AG")]
    assert explicit, "HS6 rows over the cap must be fetched chapter by chapter"
    assert any(s.source == "comtrade_reference" for s in store.snapshots())
    assert all(len(r["params"]["cmdCode"]) < 3000 for r in explicit)


def test_unsplittable_truncation_is_an_error(store, fast_client, comtrade_api):
    comtrade_api()
    groups = comtrade.custom_plan(("2020",), "total", ["CHN"], ["KAZ"])
    fetcher = _fetcher(store, fast_client, max_records=1)
    with pytest.raises(TruncatedResultError, match="cannot be split"):
        fetcher.run(groups, "A")
    assert not _complete(store)


def test_rerun_makes_no_call_and_refresh_refetches(store, fast_client, comtrade_api):
    api = comtrade_api()
    groups = comtrade.default_plan(("2020", "2019"), "2")
    first = _fetcher(store, fast_client).run(groups, "A")
    calls = api.calls
    second = _fetcher(store, fast_client).run(groups, "A")
    assert api.calls == calls and second.calls == 0
    assert second.rows == first.rows
    third = _fetcher(store, fast_client, refresh=True).run(groups, "A")
    assert third.calls == first.calls


def test_empty_result_is_a_complete_snapshot(store, fast_client, comtrade_api):
    api = comtrade_api()
    groups = comtrade.custom_plan(("2020",), "total", ["TKM"], ["CHN"])  # TKM did not report
    stats = _fetcher(store, fast_client).run(groups, "A")
    (snap,) = list(store.snapshots("comtrade"))
    assert stats.calls == 1 and snap.complete and snap.record["count"] == 0
    _fetcher(store, fast_client).run(groups, "A")
    assert api.calls == 1


def test_rows_come_in_the_revision_reported(store, fast_client, comtrade_api):
    comtrade_api()
    periods = comtrade.periods_for(range(2010, 2024), "A")
    _fetcher(store, fast_client).run(comtrade.custom_plan(periods, "total", ["CHN"], ["KAZ"]), "A")
    revs = set()
    for snap in store.snapshots("comtrade"):
        revs |= {r["classificationCode"] for r in json.loads(store.read(snap))["data"]}
    assert {"H3", "H4", "H5", "H6"} <= revs


def test_key_goes_in_header_and_never_to_disk_or_logs(
    store, fast_client, comtrade_api, caplog, data_dir
):
    key = "tv-secret-0123456789"
    api = comtrade_api(valid_keys={key}, faults=["500", "429"])
    caplog.set_level(logging.DEBUG)
    fetcher = _fetcher(store, fast_client, api_key=key)
    fetcher.run(comtrade.default_plan(("2021",), "2"), "A")
    for path, params, headers in api.log:
        assert path.startswith("/data/v1/get/")
        assert headers["Ocp-Apim-Subscription-Key"] == key
        assert key not in json.dumps(params)
    assert key not in caplog.text
    for f in Path(data_dir).rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes(), f


def test_wrong_key_message_never_contains_the_key(store, fast_client, comtrade_api):
    comtrade_api(valid_keys={"right"})
    fetcher = _fetcher(store, fast_client, api_key="wrong-key-xyz")
    with pytest.raises(Exception) as err:
        fetcher.run(comtrade.default_plan(("2021",), "total"), "A")
    assert "invalid subscription key" in str(err.value)
    assert "wrong-key-xyz" not in str(err.value)


def test_default_years_are_last_ten_complete_years():
    assert comtrade.parse_years(None, date(2026, 11, 27)) == list(range(2016, 2026))
    assert comtrade.parse_years("2019-2021") == [2019, 2020, 2021]
    with pytest.raises(ValueError, match="--years"):
        comtrade.parse_years("2021-2019")
    assert comtrade.periods_for([2025], "M", date(2025, 4, 2)) == ("202503", "202502", "202501")


def test_killed_fetch_leaves_no_partial_snapshot_and_resumes(tmp_path, comtrade_api):
    api = comtrade_api(valid_keys={"tv-kill-test-key-0001"})
    env = {
        **os.environ,
        "TRADEVIZ_DATA_DIR": str(tmp_path / "killed"),
        "TRADEVIZ_COMTRADE_URL": api.url,
        "TRADEVIZ_COMTRADE_RPS": "200",
        "COMTRADE_API_KEY": "tv-kill-test-key-0001",
    }
    cmd = [
        sys.executable,
        "-m",
        "tradeviz",
        "fetch",
        "comtrade",
        "--years",
        "2019-2021",
        "--level",
        "2",
        "--max-records",
        "150",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "killed" / "raw" / "manifest.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_text().count("\n") >= 8:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "fetch finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = RawStore(tmp_path / "killed" / "raw")
    for f in (tmp_path / "killed" / "raw" / "comtrade").iterdir():
        if not f.name.startswith(".tmp-"):
            # every snapshot whole: named by the sha256 of its uncompressed bytes
            assert sha256_hex(read_file(f)) == f.name.split(".")[0]
    before = {s.record["query_key"] for s in store.snapshots("comtrade")}
    calls_before = api.calls
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    resumed_calls = api.calls - calls_before
    assert not list((tmp_path / "killed" / "raw").rglob(".tmp-*"))
    after = {s.record["query_key"] for s in store.snapshots("comtrade")}
    # a clean, uninterrupted run of the same plan
    env_clean = {**env, "TRADEVIZ_DATA_DIR": str(tmp_path / "clean")}
    calls_before = api.calls
    subprocess.run(cmd, env=env_clean, check=True, capture_output=True)
    clean_calls = api.calls - calls_before
    clean = {
        s.record["query_key"] for s in RawStore(tmp_path / "clean" / "raw").snapshots("comtrade")
    }
    assert after == clean
    assert resumed_calls <= clean_calls - len(before) + 1  # only what was missing
    assert resumed_calls < clean_calls


def test_emulator_default_panel_is_the_realistic_size(comtrade_api):
    """Issue 12 measured 49,972 rows for the default plan at HS6, 2019-2021, annual; the
    emulator's panel is sized to match (its cells, not its values, drive call counts)."""
    api = comtrade_api()
    periods = comtrade.periods_for([2019, 2020, 2021], "A")
    rows = 0
    for g in comtrade.default_plan(periods, "6"):
        for period in periods:
            q = Query("A", g.reporters, g.partners, (period,), (g.cmd,))
            body, _ = api._data("A", {k.lower(): v for k, v in q.params().items()}, 10**9)
            rows += json.loads(body)["count"]
    assert 45_000 <= rows <= 55_000


def test_emulator_availability_counts_bound_the_data(comtrade_api, fast_client):
    api = comtrade_api()
    got = fast_client().get(
        api.url + "/public/v1/getDA/C/A/HS",
        params={"reporterCode": "156,795", "period": "2020,2021"},
    )
    rows = json.loads(got.body)["data"]
    assert {(r["reporterCode"], r["period"]) for r in rows} == {(156, "2020"), (156, "2021")}
    q = Query("A", (156,), (398, 417, 762, 795, 860), ("2021",), ("AG6",))
    body, _ = api._data("A", {k.lower(): v for k, v in q.params().items()}, 10**9)
    total = next(r["totalRecords"] for r in rows if r["period"] == "2021")
    assert json.loads(body)["count"] < total
    bare = comtrade_api(availability=False)  # a server without the endpoint
    import requests

    assert requests.get(bare.url + "/public/v1/getDA/C/A/HS", timeout=10).status_code == 404


def test_manifest_records_final_url_after_same_host_redirect(
    store, fast_client, corpus, monkeypatch
):
    """A same-host redirect is followed; the manifest names where the bytes came from
    (the final URL, with its query) and never the key, which travels in a header."""
    from tradeviz.emulators.comtrade import ComtradeEmulator
    from tradeviz.emulators.server import ServedApp

    key = "tv-secret-redirect-42"
    api = ComtradeEmulator(corpus=corpus, valid_keys={key})

    def moved(environ, start_response):
        path = environ["PATH_INFO"]
        if not path.startswith("/moved/"):
            query = environ.get("QUERY_STRING", "")
            start_response(
                "307 Temporary Redirect",
                [("Location", "/moved" + path + ("?" + query if query else ""))],
            )
            return [b""]
        environ["PATH_INFO"] = path[len("/moved") :]
        return api(environ, start_response)

    with ServedApp(moved) as served:
        monkeypatch.setenv("TRADEVIZ_COMTRADE_URL", served.url)
        _fetcher(store, fast_client, api_key=key).run(
            comtrade.default_plan(("2021",), "total"), "A"
        )
    records = [s.record for s in store.snapshots("comtrade")]
    assert records
    for rec in records:
        assert rec["url"].startswith(served.url + "/moved/data/v1/get/C/A/HS?")
        assert "reporterCode=" in rec["url"] and key not in rec["url"]
    assert key.encode() not in store.manifest_path.read_bytes()
