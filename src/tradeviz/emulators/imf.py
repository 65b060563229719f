"""A local IMF SDMX 3.0 API (IMTS dataflow) for tests and trials without network.

Replays the recorded USA query byte for byte; other keys get generated series in the same
StructureSpecificData layout (or SDMX-JSON 2.0 when asked for JSON), labelled synthetic,
written by formats/imf_sdmx.py (the demo writes its raw layer with the same writers).
Values are full US dollars with SCALE="6" as a display hint, as in the real service.
Answers 404 with SDMX's no-results error message (code 100) when a key matches no series,
or, with `proxy_404`, a proxy's HTML 404 page for every data call (not a no-results
answer); and injects 429/500 faults like the Comtrade emulator. Period bounds are read as
SDMX 3.0 does, in either form (`YYYY-MM-DD`, `YYYY-Mmm`, `YYYY-Qq`, `YYYY`): a period is
kept when it overlaps them. Turkmenistan's own series carry DERIVATION_TYPE="E" (IMF
estimate).
"""

from __future__ import annotations

import calendar
import hashlib
import re
import threading
from datetime import date
from pathlib import Path

from werkzeug.wrappers import Request, Response

from tradeviz.emulators.comtrade import Faults
from tradeviz.emulators.server import find_corpus
from tradeviz.extract.http import SYNTHETIC_HEADER
from tradeviz.formats.imf_sdmx import render_json, render_xml

__all__ = ["ImfEmulator", "render_json", "render_xml"]

RECORDED_KEY = "USA.XG_FOB_USD.G001+G998.A"
RECORDED_FILE = "api.imf.org_sdmx3_data_IMTS_USA.XG_FOB_USD.G001+G998.A.body.xml"
NO_RESULTS = (
    '<?xml version="1.0" encoding="UTF-8"?><message:Error '
    'xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message" '
    'xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">'
    '<message:ErrorMessage code="100"><common:Text xml:lang="en">No Results Found'
    "</common:Text></message:ErrorMessage></message:Error>"
)
PROXY_404 = "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
SIZES = {"CHN": 4000, "KAZ": 80, "KGZ": 8, "TJK": 5, "TKM": 12, "UZB": 30, "USA": 3000}


class ImfEmulator:
    def __init__(
        self, corpus: Path | None = None, faults: Faults | None = None, proxy_404: bool = False
    ):
        self.corpus = (corpus or find_corpus()) / "imf" / "openbb"
        self.proxy_404 = proxy_404
        self.faults = faults or Faults()
        self.calls = 0
        self.log: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        prefix = "/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/"
        if not request.path.startswith(prefix):
            return Response("<Error>not found</Error>", 404, content_type="application/xml")
        key = request.path[len(prefix) :].split("/", 1)[-1]
        with self._lock:
            self.calls += 1
            self.log.append((request.path, dict(request.args)))
            fault = self.faults.next()
        if fault == "429":
            return Response("Too many requests", 429, headers={"Retry-After": "1"})
        if fault == "500":
            return Response("<Error>Internal</Error>", 500, content_type="application/xml")
        if self.proxy_404:
            return Response(PROXY_404, 404, content_type="text/html")
        span = request.args.get("c[TIME_PERIOD]", "ge:2000-01-01+le:2030-12-31")
        if key == RECORDED_KEY:
            return Response(
                (self.corpus / RECORDED_FILE).read_bytes(), 200, content_type="application/xml"
            )
        series = self.series(key, span)
        if not series:
            return Response(NO_RESULTS, 404, content_type="application/xml")
        wants_json = "json" in request.headers.get("Accept", "")
        body = render_json(series) if wants_json else render_xml(series)
        body_bytes = body.encode()
        if fault == "truncate":
            body_bytes = body_bytes[: len(body_bytes) // 2]
        return Response(
            body_bytes,
            200,
            headers={SYNTHETIC_HEADER: "1"},
            content_type="application/json" if wants_json else "application/xml",
        )

    def series(self, key: str, span: str) -> list[dict]:
        try:
            countries, indicators, partners, freqs = (p.split("+") for p in key.split("."))
        except ValueError:
            return []
        lo, hi = _span(span)
        first, last = _bounds(span)
        out = []
        for c in countries:
            for ind in indicators:
                for p in partners:
                    for f in freqs:
                        if c == p or (ind == "MG_FOB_USD" and c != "KAZ"):
                            continue  # only some reporters give imports FOB
                        obs = [
                            o
                            for o in _observations(c, ind, p, f, lo, hi)
                            if _overlaps(o["TIME_PERIOD"], first, last)
                        ]
                        if obs:
                            out.append(
                                {
                                    "COUNTRY": c,
                                    "INDICATOR": ind,
                                    "COUNTERPART_COUNTRY": p,
                                    "FREQUENCY": f,
                                    "OVERLAP": "OL",
                                    "SCALE": "6",
                                    "obs": obs,
                                }
                            )
        return out


def _span(span: str) -> tuple[int, int]:
    parts = dict(p.split(":", 1) for p in span.replace(" ", "+").split("+") if ":" in p)
    return int(parts.get("ge", "2000")[:4]), int(parts.get("le", "2030")[:4])


def _dates(text: str) -> tuple[date, date]:
    """First and last day of a period or bound: 2024, 2024-Q4, 2024-M12, 2024-12-31."""
    y = int(text[:4])
    if m := re.fullmatch(r"\d{4}-M(\d\d)", text):
        month = int(m.group(1))
        return date(y, month, 1), date(y, month, calendar.monthrange(y, month)[1])
    if m := re.fullmatch(r"\d{4}-Q(\d)", text):
        q = int(m.group(1))
        end = 3 * q
        return date(y, end - 2, 1), date(y, end, calendar.monthrange(y, end)[1])
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        day = date.fromisoformat(text)
        return day, day
    return date(y, 1, 1), date(y, 12, 31)


def _bounds(span: str) -> tuple[date, date]:
    parts = dict(p.split(":", 1) for p in span.replace(" ", "+").split("+") if ":" in p)
    first = _dates(parts["ge"])[0] if "ge" in parts else date(1900, 1, 1)
    last = _dates(parts["le"])[1] if "le" in parts else date(2100, 12, 31)
    return first, last


def _overlaps(period: str, first: date, last: date) -> bool:
    start, end = _dates(period)
    return end >= first and start <= last


def _observations(c: str, ind: str, p: str, f: str, lo: int, hi: int) -> list[dict]:
    seed = int(hashlib.sha256(f"{c}{ind}{p}{f}".encode()).hexdigest()[:6], 16)
    size = SIZES.get(c, 50) * (40 if p == "G001" else 1) * 1e8 * (1 + seed % 7 / 10)
    periods = []
    for y in range(max(lo, 2000), min(hi, 2025) + 1):
        if f == "A":
            periods.append((str(y), 1.0))
        elif f == "Q":
            periods += [(f"{y}-Q{q}", 0.25) for q in range(1, 5)]
        else:
            periods += [(f"{y}-M{m:02d}", 1 / 12) for m in range(1, 13) if (y, m) <= (2025, 9)]
    derivation = "E" if c == "TKM" else "M"
    return [
        {
            "TIME_PERIOD": t,
            "OBS_VALUE": str(round(size * share * (1 + (y_i % 5) / 20))),
            "DERIVATION_TYPE": derivation,
        }
        for y_i, (t, share) in enumerate(periods)
    ]
