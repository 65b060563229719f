"""IMF International Trade in Goods by partner (IMTS, formerly DOTS): fetch monthly,
quarterly and annual bilateral totals for the six project countries from the SDMX 3.0 API
into raw snapshots (SDMX-ML, as recorded), including IMF estimates for countries that
rarely report (Turkmenistan).

Fetch only: the query key lives in formats/imf_sdmx.py, the parsers in transform/imf.py.
A 404 is stored as a complete empty result only when its body is SDMX's no-results answer
(error code 100, "No Results Found"); any other 404 (a wrong path, a proxy's page) is an
error and nothing is recorded (issues 22 and 23).
"""

from __future__ import annotations

import logging
import re
import sys

import requests
from tqdm import tqdm

from tradeviz import config
from tradeviz.errors import HttpError
from tradeviz.extract.http import HttpClient
from tradeviz.formats.imf_sdmx import DATAFLOW, INDICATORS, SOURCE, WORLD, ImfQuery
from tradeviz.store.raw import RawStore
from tradeviz.transform.imf import parse_sdmx_ml
from tradeviz.vocab.countries import PROJECT_ISO3

log = logging.getLogger(__name__)

__all__ = ["DATAFLOW", "INDICATORS", "SOURCE", "WORLD", "ImfFetcher", "ImfQuery"]


def _validate(body: bytes) -> list[dict]:
    return parse_sdmx_ml(body)


def is_no_results(body: bytes) -> bool:
    """True when a 404 body is SDMX's "no results" error message (SDMX-ML or SDMX-JSON):
    an error wrapper with the standard code 100 or the text "No Results Found"."""
    text = bytes(body[:4096]).decode("utf-8", "replace")
    wrapper = re.search(r"<(\w+:)?Error[\s>]|\"errors\"\s*:", text)
    said = re.search(r'code\s*[=:]\s*"?100\b|No\s*Results\s*Found', text, re.IGNORECASE)
    return bool(wrapper and said)


class ImfFetcher:
    """One query per reporter and frequency; resumable through the manifest."""

    def __init__(
        self,
        store: RawStore,
        client: HttpClient | None = None,
        refresh: bool = False,
        progress: bool | None = None,
    ):
        self.store = store
        self.client = client or HttpClient(
            SOURCE, rps=config.imf_rps(), max_quota_wait=config.quota_wait()
        )
        self.refresh = refresh
        self.base_url = config.imf_url()
        self.calls = 0
        self.cached = 0
        self.observations = 0
        self._index = {} if refresh else store.latest_by_query(SOURCE)
        self._progress = sys.stderr.isatty() if progress is None else progress

    def run(self, years: list[int], freqs: tuple[str, ...]) -> None:
        self.store.remove_stale_temp_files()
        queries = [ImfQuery(c, f, years[0], years[-1]) for f in freqs for c in PROJECT_ISO3]
        bar = tqdm(total=len(queries), unit="call", desc="imf") if self._progress else None
        try:
            for q in queries:
                self._fetch(q)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(obs=self.observations, refresh=False)
        finally:
            if bar is not None:
                bar.close()

    def _fetch(self, q: ImfQuery) -> None:
        cached = self._index.get(q.identity)
        if cached is not None and cached.complete:
            self.cached += 1
            self.observations += int(cached.record.get("records", 0))
            log.info("imf: kept %s (%s rows)", q.key, cached.record.get("records"))
            return
        url = f"{self.base_url}{DATAFLOW}/{q.key}"
        headers = {"Accept": "application/xml"}
        try:
            got = self.client.get(url, params=q.params(), headers=headers, validate=_validate)
            body, status, rows, synthetic = got.body, got.status, len(got.parsed), got.synthetic
            final_url = got.url
        except HttpError as exc:
            if exc.status != 404:
                raise
            if not is_no_results(exc.body or b""):
                raise HttpError(
                    f"{exc} - not SDMX's no-results answer (a wrong path or a proxy page?); "
                    "nothing recorded. Check TRADEVIZ_IMF_URL and rerun",
                    404,
                ) from None
            # SDMX answers 404 "No Results Found" when a key has no data: an empty result.
            body, status, rows, synthetic = bytes(exc.body or b""), 404, 0, False
            # The URL asked (IMF takes no key, so nothing to scrub).
            final_url = requests.Request("GET", url, params=q.params()).prepare().url
        self.calls += 1
        meta = {
            "endpoint": f"{DATAFLOW}/{q.key}",
            "base_url": self.base_url,
            "params": {"key": q.key, **q.params()},
            "query_key": q.identity,
            "freq": q.freq,
            "http_status": status,
            "url": final_url,
            "records": rows,
            "complete": True,
            "format": "sdmx-ml",
            "synthetic": synthetic,
        }
        self.store.save(SOURCE, body, "xml", meta)
        self.observations += rows
        log.info("imf: fetched %s: %d observations", q.key, rows)
