"""The shared HTTP layer against a local server: retries, Retry-After, typed errors."""

from __future__ import annotations

import pytest

from tradeviz.errors import AuthError, HttpError, QuotaExceededError
from tradeviz.extract.http import USER_AGENT, HttpClient, RateLimiter
from tradeviz.extract.v1_rows import validate_v1 as validate_body

PREVIEW = "/public/v1/preview/C/A/HS"
Q = {
    "reporterCode": "156",
    "partnerCode": "398",
    "period": "2020",
    "cmdCode": "TOTAL",
    "flowCode": "M",
    "customsCode": "C00",
    "motCode": "0",
    "partner2Code": "0",
}


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
    with pytest.raises(QuotaExceededError, match=r"returns at .* UTC .*Rerun the same command"):
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


# -- secrets, redirects, bounded work (issue 14) -------------------------------------------
import json  # noqa: E402
import time  # noqa: E402

from werkzeug.wrappers import Request, Response  # noqa: E402

from tradeviz.emulators.server import ServedApp  # noqa: E402

KEY = "s3cret-KEY-123"
HEADER = {"Ocp-Apim-Subscription-Key": KEY}
GOOD = json.dumps(
    {
        "elapsedTime": "0",
        "count": 1,
        "error": "",
        "data": [
            {
                "freqCode": "A",
                "refYear": 2020,
                "period": "2020",
                "reporterCode": 156,
                "partnerCode": 398,
                "flowCode": "M",
                "cmdCode": "TOTAL",
                "classificationCode": "H5",
                "primaryValue": 12.5,
            }
        ],
    }
).encode()


class Recorder:
    """A WSGI app answering from a function of the request; keeps every request's headers."""

    def __init__(self, answer):
        self.answer = answer
        self.seen: list[dict] = []

    def __call__(self, environ, start_response):
        req = Request(environ)
        self.seen.append({"url": req.url, "headers": dict(req.headers)})
        return self.answer(req)(environ, start_response)


def _served(answer) -> tuple[ServedApp, Recorder]:
    app = Recorder(answer)
    return ServedApp(app).__enter__(), app


def test_cross_host_redirect_is_refused_and_key_never_sent_there(fast_client):
    other, other_app = _served(lambda req: Response(GOOD))
    home, _ = _served(lambda req: Response(status=302, headers={"Location": other.url + "/steal"}))
    try:
        client = fast_client(secret_values=(KEY,))
        with pytest.raises(HttpError, match="redirected to another host.*refused") as err:
            client.get(home.url + PREVIEW, params=Q, headers=HEADER)
        assert KEY not in str(err.value)
        assert other_app.seen == []  # not even a request without the key
    finally:
        home.__exit__(None, None, None)
        other.__exit__(None, None, None)


def test_same_host_redirect_is_followed_and_final_url_recorded(fast_client):
    def answer(req):
        if req.path == PREVIEW:
            return Response(status=307, headers={"Location": "/moved" + PREVIEW})
        return Response(GOOD)

    home, app = _served(answer)
    try:
        got = fast_client(secret_values=(KEY,)).get(home.url + PREVIEW, params=Q, headers=HEADER)
        assert got.status == 200 and "/moved/" in got.url and KEY not in got.url
        assert [s["headers"].get("Ocp-Apim-Subscription-Key") for s in app.seen] == [KEY, KEY]
    finally:
        home.__exit__(None, None, None)


@pytest.mark.parametrize("status", [401, 404, 500])
def test_key_echoed_in_error_bodies_is_scrubbed(fast_client, status):
    body = json.dumps({"statusCode": status, "message": f"backend failed for key {KEY}"})
    home, _ = _served(lambda req: Response(body, status=status))
    try:
        with pytest.raises(HttpError) as err:
            fast_client(secret_values=(KEY,), max_retries=1).get(
                home.url + PREVIEW, params=Q, headers=HEADER
            )
        assert KEY not in str(err.value) and "***" in str(err.value)
    finally:
        home.__exit__(None, None, None)


def test_key_echoed_in_a_200_body_is_refused_not_stored(fast_client):
    home, _ = _served(
        lambda req: Response(GOOD.replace(b'"error": ""', f'"error": "{KEY}"'.encode()))
    )
    try:
        with pytest.raises(HttpError, match="contains the API key") as err:
            fast_client(secret_values=(KEY,)).get(home.url + PREVIEW, params=Q, headers=HEADER)
        assert KEY not in str(err.value)
    finally:
        home.__exit__(None, None, None)


@pytest.mark.parametrize("where", ["params", "url"])
def test_key_in_url_is_refused_before_any_request(fast_client, where):
    home, app = _served(lambda req: Response(GOOD))
    try:
        client = fast_client(secret_values=(KEY,))
        with pytest.raises(HttpError, match="in a URL") as err:
            if where == "params":
                client.get(home.url + PREVIEW, params={**Q, "subscription-key": KEY})
            else:
                client.get(home.url + PREVIEW + "?subscription-key=" + KEY)
        assert KEY not in str(err.value) and app.seen == []
    finally:
        home.__exit__(None, None, None)


def test_trickling_response_fails_after_the_deadline(fast_client):
    def trickle(req):
        def gen():
            for _ in range(100):
                yield b" "
                time.sleep(0.2)

        return Response(gen(), headers={"Content-Length": "100"})

    home, _ = _served(trickle)
    try:
        start = time.monotonic()
        with pytest.raises(HttpError, match="deadline"):
            fast_client(deadline=0.8, timeout=5, max_retries=1).get(home.url + PREVIEW)
        assert time.monotonic() - start < 5  # two attempts of 0.8 s, not 20 s each
    finally:
        home.__exit__(None, None, None)


def test_response_over_the_size_limit_is_refused(fast_client):
    home, _ = _served(lambda req: Response(b"x" * 5000))
    try:
        with pytest.raises(HttpError, match="limit"):
            fast_client(max_bytes=1000, max_retries=0).get(home.url + PREVIEW)
    finally:
        home.__exit__(None, None, None)


@pytest.mark.parametrize(
    "bad",
    [
        {"primaryValue": float("nan")},
        {"reporterCode": None},
        {"cmdCode": None},
        {"primaryValue": "12"},
    ],
)
def test_rows_failing_v1_types_are_retried_once_then_reported(fast_client, bad):
    doc = json.loads(GOOD)
    doc["data"][0].update(bad)
    body = json.dumps(doc).encode()  # NaN is written as the bare token NaN
    home, app = _served(lambda req: Response(body))
    try:
        with pytest.raises(HttpError, match="fail the v1 types twice") as err:
            fast_client().get(home.url + PREVIEW, params=Q, validate=validate_body)
        assert len(app.seen) == 2 and "reporterCode=156" in str(err.value)
    finally:
        home.__exit__(None, None, None)


def test_row_missing_a_field_is_reported():
    from tradeviz.extract.v1_rows import InvalidRowsError

    doc = json.loads(GOOD)
    del doc["data"][0]["flowCode"]
    with pytest.raises(InvalidRowsError, match="lacks flowCode"):
        validate_body(json.dumps(doc).encode())
    assert validate_body(GOOD)["count"] == 1


def _body(n: int) -> bytes:
    """n bytes that are not one repeated chunk, so a misplaced chunk shows."""
    return bytes((i * 7 + i // 65536) % 251 for i in range(n))


@pytest.mark.parametrize("mode", ["length", "gzip", "chunked"])
def test_large_body_is_read_exactly_into_one_buffer(fast_client, mode):
    import gzip

    body = _body(300_000)  # several 64 KiB reads, not a multiple of one

    def answer(req):
        if mode == "length":
            return Response(body, headers={"Content-Length": str(len(body))})
        if mode == "gzip":  # Content-Length is the compressed size, not the body's
            packed = gzip.compress(body)
            return Response(
                packed, headers={"Content-Encoding": "gzip", "Content-Length": str(len(packed))}
            )
        return Response(iter([body[:100_000], body[100_000:]]))  # no length: chunked

    home, _ = _served(answer)
    try:
        got = fast_client(max_retries=0).get(home.url + PREVIEW)
    finally:
        home.__exit__(None, None, None)
    assert isinstance(got.body, bytearray)  # the read buffer itself, not a joined copy
    assert len(got.body) == len(body) and got.body == body
