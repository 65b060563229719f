"""The shared HTTP layer against a local server: retries, Retry-After, typed errors."""

from __future__ import annotations

import pytest

from tradeviz.errors import AuthError, HttpError, QuotaExceededError
from tradeviz.extract.comtrade import validate_body
from tradeviz.extract.http import USER_AGENT, HttpClient, RateLimiter

PREVIEW = "/public/v1/preview/C/A/HS"
Q = {"reporterCode": "156", "partnerCode": "398", "period": "2020", "cmdCode": "TOTAL",
     "flowCode": "M", "customsCode": "C00", "motCode": "0", "partner2Code": "0"}


def test_retries_500_then_succeeds(comtrade_api, fast_client, sleeps):
    api = comtrade_api(faults=["500", "500"])
    client = fast_client()
    got = client.get(api.url + PREVIEW, params=Q, validate=validate_body)
    assert got.status == 200 and got.attempts == 3
    assert got.parsed["count"] == 1
    assert len(sleeps) == 2 and sleeps[1] > 0  # exponential back-off, with jitter


def test_429_waits_retry_after(comtrade_api, fast_client, sleeps):
    api = comtrade_api(faults=["429"])
    got = fast_client().get(api.url + PREVIEW, params=Q, validate=validate_body)
    assert got.attempts == 2
    assert sleeps == [1.0]  # the emulator's Retry-After: 1


def test_truncated_body_is_retried_not_returned(comtrade_api, fast_client):
    api = comtrade_api(faults=["truncate"])
    got = fast_client().get(api.url + PREVIEW, params=Q, validate=validate_body)
    assert got.attempts == 2 and got.parsed["count"] == 1


def test_gives_up_with_clear_message(comtrade_api, fast_client):
    api = comtrade_api(faults=["500"] * 10)
    with pytest.raises(HttpError, match="giving up after 3 attempts.*Rerun"):
        fast_client(max_retries=2).get(api.url + PREVIEW, params=Q, validate=validate_body)


def test_401_without_key_is_typed_and_says_what_to_do(comtrade_api, fast_client):
    api = comtrade_api()
    with pytest.raises(AuthError) as err:
        fast_client().get(api.url + "/data/v1/get/C/A/HS", params=Q)
    assert err.value.status == 401
    assert "missing subscription key" in str(err.value)
    assert "COMTRADE_API_KEY" in str(err.value)


def test_quota_403_is_typed(comtrade_api, fast_client):
    api = comtrade_api(quota=1)
    client = fast_client()
    client.get(api.url + PREVIEW, params=Q)
    with pytest.raises(QuotaExceededError, match="rerun tomorrow"):
        client.get(api.url + PREVIEW, params=Q)


def test_user_agent_names_project(comtrade_api, fast_client):
    api = comtrade_api()
    fast_client().get(api.url + PREVIEW, params=Q)
    assert api.log[-1][2]["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("tradeviz/")


def test_rate_limiter_spaces_calls():
    clock = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    limiter = RateLimiter(2.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.5, 0.5]


def test_emulator_rate_limit_is_honoured_by_client(comtrade_api):
    api = comtrade_api(rps=2.0)
    client = HttpClient("comtrade", rps=1000.0)  # deliberately faster than permitted
    client.get(api.url + PREVIEW, params=Q)
    got = client.get(api.url + PREVIEW, params=Q)  # too fast: 429, real wait, retry
    assert got.status == 200 and got.attempts == 2


def test_unreachable_host_points_to_the_offline_demo():
    import socket

    from tradeviz.errors import TradevizError
    from tradeviz.extract.http import check_reachable

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TradevizError, match="make demo"):
        check_reachable(f"http://127.0.0.1:{port}", timeout=1)
