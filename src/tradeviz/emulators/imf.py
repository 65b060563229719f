"""A local IMF SDMX 3.0 API (IMTS dataflow) for tests and trials without network.

Replays the recorded USA query byte for byte; other keys get generated series in the same
StructureSpecificData layout (or SDMX-JSON 2.0 when asked for JSON), labelled synthetic,
written by formats/imf_sdmx.py (the demo writes its raw layer with the same writers).
Values are full US dollars with SCALE="6" as a display hint, as in the real service.
Answers 404 when a key matches no series, and injects 429/500 faults like the Comtrade
emulator. Turkmenistan's own series carry DERIVATION_TYPE="E" (IMF estimate).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from werkzeug.wrappers import Request, Response

from tradeviz.emulators.comtrade import Faults
from tradeviz.emulators.server import find_corpus
from tradeviz.extract.http import SYNTHETIC_HEADER
from tradeviz.formats.imf_sdmx import render_json, render_xml

__all__ = ["ImfEmulator", "render_json", "render_xml"]

RECORDED_KEY = "USA.XG_FOB_USD.G001+G998.A"
RECORDED_FILE = "api.imf.org_sdmx3_data_IMTS_USA.XG_FOB_USD.G001+G998.A.body.xml"
SIZES = {"CHN": 4000, "KAZ": 80, "KGZ": 8, "TJK": 5, "TKM": 12, "UZB": 30, "USA": 3000}


class ImfEmulator:
    def __init__(self, corpus: Path | None = None, faults: Faults | None = None):
        self.corpus = (corpus or find_corpus()) / "imf" / "openbb"
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
        span = request.args.get("c[TIME_PERIOD]", "ge:2000-01-01+le:2030-12-31")
        if key == RECORDED_KEY:
            return Response(
                (self.corpus / RECORDED_FILE).read_bytes(), 200, content_type="application/xml"
            )
        series = self.series(key, span)
        if not series:
            return Response(
                '<?xml version="1.0"?><message:Error xmlns:message="x">'
                "NoResultsFound</message:Error>",
                404,
                content_type="application/xml",
            )
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
        out = []
        for c in countries:
            for ind in indicators:
                for p in partners:
                    for f in freqs:
                        if c == p or (ind == "MG_FOB_USD" and c != "KAZ"):
                            continue  # only some reporters give imports FOB
                        obs = _observations(c, ind, p, f, lo, hi)
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
