"""`tradeviz doctor`: a handful of tiny calls that show, before a long fetch, what the live
services accept today (issue 22).

One row per probe: the keyless Comtrade preview, the same with 12 periods (the documented
periods-per-call limit) and with a URL padded to the planned length limit, the keyed data
endpoint and whether the key is accepted (only with COMTRADE_API_KEY set; the key is sent in
its header and never printed), the availability endpoint, one reference file, one IMF
IMTS series and WITS reachability. Each is one GET through the shared HTTP layer with no
retry and a short deadline, so the whole check takes seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tradeviz import config
from tradeviz.errors import ConfigError, HttpError, TradevizError
from tradeviz.extract.http import HttpClient, check_reachable, sanitize
from tradeviz.formats.comtrade_v1 import PINNED
from tradeviz.formats.imf_sdmx import DATAFLOW

DEADLINE = 20.0  # seconds per probe
# A tiny query: China's exports to Kazakhstan, all goods.
ONE = {"reporterCode": "156", "partnerCode": "398", "cmdCode": "TOTAL", "flowCode": "X"}
DEFAULT_WITS_URL = "https://wits.worldbank.org"


@dataclass
class Probe:
    """One row of the table."""

    endpoint: str
    status: str = "-"  # the HTTP status, or what stopped the call
    latency_ms: float | None = None
    observed: str = ""  # the limit or answer observed
    key: str = ""  # keyed rows: "yes" / "no"
    ok: bool = False
    essential: bool = False  # a fetch cannot run without it


def wits_url() -> str:
    """WITS base URL (TRADEVIZ_WITS_URL): only its reachability is checked."""
    import os

    from tradeviz.extract.urls import url_problem

    url = os.environ.get("TRADEVIZ_WITS_URL", "").strip() or DEFAULT_WITS_URL
    if problem := url_problem(url):
        raise ConfigError(f"TRADEVIZ_WITS_URL is not a usable base URL: {problem}")
    return url.rstrip("/")


def _get(client: HttpClient, probe: Probe, url: str, headers: dict | None = None) -> bytes | None:
    """GET `url` into `probe` (status, latency); the body, or None when not a 200."""
    start = time.monotonic()
    try:
        got = client.get(url, headers=headers)
    except HttpError as exc:
        probe.latency_ms = (time.monotonic() - start) * 1000
        probe.status = str(exc.status) if exc.status else "no answer"
        probe.observed = sanitize(str(exc).split(": ", 1)[-1], 70)
        return None
    probe.latency_ms = (time.monotonic() - start) * 1000
    probe.status = str(got.status)
    probe.ok = True
    return bytes(got.body)


def _rows(body: bytes | None) -> tuple[int, int] | None:
    try:
        doc = json.loads(body or b"")
        return int(doc["count"]), len(doc["data"])
    except (ValueError, KeyError, TypeError):
        return None


def comtrade_probes(client: HttpClient, key: str | None, url_limit: int) -> list[Probe]:
    base = config.comtrade_url()
    preview = f"{base}/public/v1/preview/C/A/HS"
    one = {**ONE, **PINNED, "period": "2021", "maxRecords": "500"}
    out = []

    p = Probe("comtrade preview (no key)", essential=key is None)
    got = _rows(_get(client, p, f"{preview}?{urlencode(one, safe=',')}"))
    if p.ok:
        p.observed = f"{got[1]} row(s), count {got[0]}" if got else "not a v1 answer"
        p.ok = got is not None
    out.append(p)

    periods = ",".join(str(y) for y in range(2010, 2022))
    p = Probe("comtrade preview, 12 periods")
    got = _rows(_get(client, p, f"{preview}?{urlencode({**one, 'period': periods}, safe=',')}"))
    if p.ok:
        p.observed = f"12 periods accepted ({got[1] if got else '?'} rows)"
    out.append(p)

    p = Probe("comtrade preview, long URL")
    long_url = _long_url(preview, one, url_limit)
    _get(client, p, long_url)
    if p.ok:
        p.observed = f"URL of {len(long_url):,} characters accepted"
    elif p.status == "414":
        p.observed = f"414 at {len(long_url):,} characters: lower TRADEVIZ_COMTRADE_URL_LIMIT"
    out.append(p)

    if key:
        p = Probe("comtrade data (keyed)", essential=True)
        got = _rows(
            _get(
                client,
                p,
                f"{base}/data/v1/get/C/A/HS?{urlencode(one, safe=',')}",
                headers={"Ocp-Apim-Subscription-Key": key},
            )
        )
        p.key = "yes" if p.ok else ("no" if p.status in ("401", "403") else "?")
        if p.ok:
            p.observed = f"{got[1]} row(s), cap 100,000" if got else "not a v1 answer"
        out.append(p)

    p = Probe("comtrade availability (getDA)")
    kind = "data" if key else "public"
    headers = {"Ocp-Apim-Subscription-Key": key} if key else None
    got = _rows(
        _get(client, p, f"{base}/{kind}/v1/getDA/C/A/HS?reporterCode=156&period=2021", headers)
    )
    if p.ok:
        p.observed = f"{got[1]} dataset(s)" if got else "not a v1 answer"
    out.append(p)

    p = Probe("comtrade reference file")
    body = _get(client, p, f"{base}/files/v1/app/reference/Reporters.json")
    if p.ok:
        try:
            p.observed = f"{len(json.loads(bytes(body).decode('utf-8-sig'))['results'])} reporters"
        except (ValueError, KeyError, TypeError):
            p.observed, p.ok = "not a reference list", False
    out.append(p)
    return out


def _long_url(preview: str, one: dict[str, str], url_limit: int) -> str:
    """A query as long as the planner's limit allows, shaped like the calls that meet 414
    (comtradr #103: an all-partner list): every country as partner, then HS headings
    (0101, 0102, ...) up to the limit; one row asked for, so the answer stays tiny."""
    from tradeviz.extract.comtrade.plan import every_country

    params = {**one, "partnerCode": ",".join(map(str, every_country())), "maxRecords": "1"}
    headings = [f"{ch:02d}{h:02d}" for ch in range(1, 98) for h in range(1, 100)]
    params["cmdCode"] = "TOTAL"
    base = f"{preview}?{urlencode(params, safe=',')}"
    room = url_limit - len(base)
    extra = []
    for code in headings:
        if room < len(code) + 1:
            break
        extra.append(code)
        room -= len(code) + 1
    params["cmdCode"] = ",".join(["TOTAL", *extra])
    return f"{preview}?{urlencode(params, safe=',')}"


def imf_probe(client: HttpClient) -> Probe:
    p = Probe("imf IMTS series")
    query = urlencode({"c[TIME_PERIOD]": "ge:2022-01-01+le:2022-12-31", "detail": "full"})
    url = f"{config.imf_url()}{DATAFLOW}/CHN.XG_FOB_USD.G001.A?{query}"
    body = _get(client, p, url, {"Accept": "application/xml"})
    if p.ok:
        p.observed = "SDMX data" if body and b"Obs" in body else "an answer without data"
    return p


def wits_probe(client: HttpClient) -> Probe:
    p = Probe("wits (reachability)")
    _get(client, p, wits_url() + "/")
    if not p.ok and p.status.isdigit():  # any HTTP answer means it is reachable
        p.ok, p.observed = True, "reachable"
    elif p.ok:
        p.observed = "reachable"
    return p


def run(key: str | None) -> list[Probe]:
    """Every probe, in table order. Raises TradevizError, in one line, when offline."""
    base = config.comtrade_url()
    try:
        check_reachable(base, timeout=5.0)
    except TradevizError as exc:
        raise TradevizError(f"doctor: offline, no probe made: {exc}") from None
    secrets = (key,) if key else ()

    def client(source: str) -> HttpClient:
        return HttpClient(
            source, rps=1000.0, max_retries=0, deadline=DEADLINE, secret_values=secrets
        )

    comtrade = client("comtrade")
    return [
        *comtrade_probes(comtrade, key, config.comtrade_url_limit()),
        imf_probe(client("imf")),
        wits_probe(client("wits")),
    ]


def table(probes: list[Probe]) -> str:
    """The probes as a fixed-width text table."""
    head = ("endpoint", "HTTP", "latency", "limit observed / answer", "key accepted")
    rows = [
        (
            p.endpoint,
            p.status,
            f"{p.latency_ms:.0f} ms" if p.latency_ms is not None else "-",
            p.observed or "-",
            p.key or "-",
        )
        for p in probes
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
