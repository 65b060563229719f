"""The answers the live UN Comtrade service gives when a call passes one of its limits
(issue 22), for the emulator: each a werkzeug Response.

* 414 past a URL length: comtradr issue #103 (May 2026) met "HTTP 414 URI Too Long" on an
  all-partner list; a 2026 crawl saw 1,923 characters served and 2,436 refused, so the
  emulator refuses past 2,048. The body is the HTTP.sys page ("Request URL Too Long")
  that comtradr's `comtrade_error_body` looks for.
* more than 12 periods in one call: comtradr's vignette and un-comtrade-sdk name the
  limit; no public client records the live body, so the emulator answers 400 with the
  v1 envelope and the limit in `error` (the fetcher keys on the status and "period").
* 403 "Out of call volume quota": the Azure APIM body ([report] in apis.md 1.7), with no
  Retry-After, with Retry-After in seconds, or with an HTTP date (RFC 9110).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from werkzeug.wrappers import Response

URL_LIMIT = 2048
MAX_PERIODS = 12
COUNT_MODES = ("returned", "matches")
QUOTA_FAULTS = ("quota", "quota-retry", "quota-date")
QUOTA_WAIT = 2  # seconds a quota fault says the quota returns in

URL_TOO_LONG_BODY = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">'
    "\r\n<HTML><HEAD><TITLE>Request URL Too Long</TITLE>\r\n"
    '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    "<BODY><h2>Request URL Too Long</h2>\r\n<hr><p>HTTP Error 414. The request URL is too "
    "long.</p>\r\n</BODY></HTML>\r\n"
)


def url_too_long() -> Response:
    return Response(URL_TOO_LONG_BODY, 414, content_type="text/html; charset=us-ascii")


def too_many_periods(asked: int, most: int) -> Response:
    doc = {
        "elapsedTime": "0.01 secs",
        "count": 0,
        "data": [],
        "error": f"Too many periods: {asked} given, at most {most} periods per call allowed.",
    }
    return Response(json.dumps(doc), 400, content_type="application/json")


def quota_spent(kind: str, now: datetime | None = None) -> Response:
    """403 quota answer: "quota" names the wait only in its text, "quota-retry" adds
    Retry-After in seconds, "quota-date" Retry-After as an HTTP date."""
    hms = f"{QUOTA_WAIT // 3600:02d}:{QUOTA_WAIT % 3600 // 60:02d}:{QUOTA_WAIT % 60:02d}"
    doc = {
        "statusCode": 403,
        "message": f"Out of call volume quota. Quota will be replenished in {hms}.",
    }
    resp = Response(json.dumps(doc), 403, content_type="application/json")
    if kind == "quota-retry":
        resp.headers["Retry-After"] = str(QUOTA_WAIT)
    elif kind == "quota-date":
        at = (now or datetime.now(UTC)) + timedelta(seconds=QUOTA_WAIT)
        resp.headers["Retry-After"] = format_datetime(at, usegmt=True)
    return resp
