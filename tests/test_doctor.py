"""`tradeviz doctor` against the local emulators, and offline (issue 22 item 6)."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from tradeviz.cli import main
from tradeviz.emulators.imf import ImfEmulator
from tradeviz.emulators.server import ServedApp

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def imf_url(corpus):
    served = ServedApp(ImfEmulator(corpus=corpus)).__enter__()
    yield served.url
    served.__exit__(None, None, None)


def _doctor(api, imf_url: str, key: str = ""):
    env = {
        "TRADEVIZ_COMTRADE_URL": api.url,
        "TRADEVIZ_IMF_URL": imf_url,
        "TRADEVIZ_WITS_URL": imf_url,
        "COMTRADE_API_KEY": key,
    }
    return CliRunner().invoke(main, ["doctor"], env=env)


def _row(output: str, endpoint: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(endpoint))


def test_keyless_table_shows_status_latency_and_the_limits(comtrade_api, imf_url):
    api = comtrade_api()
    result = _doctor(api, imf_url)
    assert result.exit_code == 0, result.output
    head = result.output.splitlines()[0]
    for column in ("endpoint", "HTTP", "latency", "limit observed", "key accepted"):
        assert column in head
    assert "12 periods accepted" in _row(result.output, "comtrade preview, 12 periods")
    long_url = _row(result.output, "comtrade preview, long URL")
    assert " 200 " in long_url and "characters accepted" in long_url
    assert " ms " in _row(result.output, "comtrade preview (no key)")
    assert "SDMX data" in _row(result.output, "imf IMTS series")
    assert "reachable" in _row(result.output, "wits")
    assert "keyed" not in result.output  # no key, no keyed probe
    assert api.calls == 3  # the three preview probes are the only data calls


def test_keyed_probe_says_whether_the_key_is_accepted_and_never_prints_it(comtrade_api, imf_url):
    api = comtrade_api(valid_keys={KEY})
    good = _doctor(api, imf_url, KEY)
    assert good.exit_code == 0 and _row(good.output, "comtrade data (keyed)").endswith("yes")
    bad_key = "f" * 32
    bad = _doctor(api, imf_url, bad_key)
    assert bad.exit_code == 1 and _row(bad.output, "comtrade data (keyed)").endswith("no")
    assert bad.output.strip().splitlines()[-1].startswith("error: doctor:")
    assert KEY not in good.output and bad_key not in bad.output


def test_a_url_limit_below_the_plan_shows_as_414(comtrade_api, imf_url):
    api = comtrade_api(url_limit=1200)
    result = _doctor(api, imf_url)
    assert "414 at" in _row(result.output, "comtrade preview, long URL")
    assert result.exit_code == 0  # the fetch still runs: it splits on 414


def test_offline_is_one_line_and_non_zero():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"TRADEVIZ_COMTRADE_URL": f"http://127.0.0.1:{port}"}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: doctor: offline")
