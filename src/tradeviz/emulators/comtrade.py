"""A local UN Comtrade v1 API for tests, benchmarks and trials without network.

What it reproduces, each from the recorded bodies in ../shared/corpus/comtrade/ and the
API notes: the `{elapsedTime, count, data, error}` envelope with the full v1 field set;
the preview cap (500) and keyed cap (100,000), cutting silently and reporting the count it
returned; 401 without a key on /data/v1/get (the recorded body); 429 with Retry-After when
calls come faster than the permitted rate; injected 500s, 429s and truncated bodies;
breakdown rows when customs, transport mode or second partner are not pinned; rows in the
HS revision each reporter used that year (H1…H6 in `classificationCode`); empty results
for years a country did not report. The recorded China 2010 TOTAL query is replayed byte
for byte; everything else is generated, deterministic, and labelled synthetic.

The live limits of issue 22 (`limits.py` beside this module holds their answers): HTTP 414
past `url_limit` characters (the HTTP.sys "Request URL Too Long" page comtradr meets);
`count_mode` "returned" (count = rows returned) or "matches" (count = every match, as a
capped preview may give); a refusal of more than `max_periods` periods per call; 403 "Out
of call volume quota" with no Retry-After, Retry-After in seconds, or an HTTP date
(faults "quota", "quota-retry", "quota-date").
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from werkzeug.wrappers import Request, Response

from tradeviz.emulators import limits
from tradeviz.emulators import partners as partner_panel
from tradeviz.emulators import world as world_panel
from tradeviz.emulators.server import find_corpus
from tradeviz.extract.http import SYNTHETIC_HEADER
from tradeviz.formats import comtrade_v1
from tradeviz.vocab.countries import BY_COMTRADE, CENTRAL_ASIA, CHINA

# The emulator's reporters (and World): Comtrade code -> (ISO3 as Comtrade sends it, name),
# from the country registry and the v1 format's World party.
COUNTRIES: dict[int, tuple[str, str]] = {
    comtrade_v1.WORLD.code: (comtrade_v1.WORLD.iso, comtrade_v1.WORLD.desc),
    **{
        code: (BY_COMTRADE[code].iso3, BY_COMTRADE[code].name)
        for code in (CHINA.comtrade, *(c.comtrade for c in CENTRAL_ASIA), 32, 276)
    },
}
CA = tuple(c.comtrade for c in CENTRAL_ASIA)
FLOW_DESC = comtrade_v1.FLOW_DESC
# Years each reporter has data in Comtrade (Turkmenistan hardly reports; Uzbekistan since 2017).
REPORTS = {
    156: (1992, 2100),
    398: (1995, 2100),
    417: (1995, 2100),
    762: (2000, 2100),
    795: (1997, 2000),
    860: (2017, 2100),
    32: (1990, 2100),
    276: (1990, 2100),
}
# HS6 lines per (reporter side, flow) around 2024; partner-side figures are smaller. Sized
# so that the default plan at HS6, 2019–2021, annual holds about 50,000 rows, the count an
# independent emulator of the same panel gives (issue 12: 49,972).
LINES = {
    (156, "X"): {398: 2500, 417: 2250, 762: 1450, 795: 900, 860: 2150},
    (156, "M"): {398: 250, 417: 95, 762: 55, 795: 25, 860: 155},
    ("CA", "M"): {398: 2350, 417: 1750, 762: 1050, 795: 600, 860: 1950},
    ("CA", "X"): {398: 210, 417: 105, 762: 35, 795: 20, 860: 130},
}
# Lines are not spread evenly over the HS: manufactures (plastics, textiles, footwear, metal
# goods, machinery, vehicles, furniture, toys) hold most of them, food and minerals few.
DENSE_CHAPTERS = {
    39,
    40,
    42,
    48,
    54,
    55,
    60,
    61,
    62,
    63,
    64,
    69,
    70,
    73,
    76,
    82,
    83,
    84,
    85,
    87,
    90,
    94,
    95,
    96,
}


def chapter_weight(code: str) -> float:
    """Relative chance that an HS6 code of this chapter is traded in a cell."""
    chapter = int(code[:2])
    if chapter in DENSE_CHAPTERS:
        return 3.0
    return 0.5 if chapter <= 27 else 1.0


BREAKDOWNS = {
    "customsCode": [("C01", 0.8), ("C04", 0.2)],
    "motCode": [(3100, 0.3), (3200, 0.5), (9110, 0.2)],
    "partner2Code": [(398, 0.4), (860, 0.6)],
}


def revision(reporter: int, year: int) -> str:
    """HS revision a reporter used in a year: China adopts on time, others lag."""
    lag = {156: 0, 398: 0, 417: 1, 762: 2, 795: 3, 860: 1}.get(reporter, 0)
    starts = [(2022, "H6"), (2017, "H5"), (2012, "H4"), (2007, "H3"), (2002, "H2"), (1996, "H1")]
    for start, rev in starts:
        if year >= start + lag:
            return rev
    return "H0"


@dataclass
class Faults:
    """Faults to inject on data calls: a fixed schedule first, then a random rate."""

    schedule: list[str | None] = field(default_factory=list)
    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "truncate")
    seed: int = 7

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def next(self) -> str | None:
        if self.schedule:
            return self.schedule.pop(0)
        if self.rate and self._rng.random() < self.rate:
            return self._rng.choice(self.kinds)
        return None


class ComtradeEmulator:
    """WSGI app; `calls` counts data requests, `log` keeps (path, params) of each."""

    def __init__(
        self,
        corpus: Path | None = None,
        preview_cap: int = 500,
        keyed_cap: int = 100_000,
        rps: float | None = None,
        faults: Faults | None = None,
        scale: float = 1.0,
        valid_keys: Iterable[str] | None = None,
        quota: int | None = None,
        availability: bool = True,
        url_limit: int | None = limits.URL_LIMIT,
        count_mode: str = "returned",
        max_periods: int | None = limits.MAX_PERIODS,
    ):
        self.corpus = (corpus or find_corpus()) / "comtrade"
        self.availability = availability  # serve /{public,data}/v1/getDA (the count probe)
        self.availability_calls = 0
        self.preview_cap = preview_cap
        self.keyed_cap = keyed_cap
        self.rps = rps
        self.faults = faults or Faults()
        self.scale = scale
        self.valid_keys = set(valid_keys) if valid_keys is not None else None
        self.quota = quota
        if count_mode not in limits.COUNT_MODES:
            raise ValueError(f"count_mode must be one of {limits.COUNT_MODES}")
        self.url_limit = url_limit
        self.count_mode = count_mode
        self.max_periods = max_periods
        self.refused = {"414": 0, "periods": 0}  # answers refused for a limit, by kind
        self.calls = 0
        self.log: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self._lock = threading.Lock()
        self._last = 0.0
        self._recorded = json.loads(
            (self.corpus / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json").read_bytes()
        )
        self._recorded_bytes = (
            self.corpus / "data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json"
        ).read_bytes()
        self._hs = self._load_hs()
        self._leaves: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._level_sums: dict[tuple, dict[str, float]] = {}

    # -- reference data --------------------------------------------------------------------
    def _load_hs(self) -> dict[str, object]:
        doc = json.loads(
            (self.corpus / "files_v1_app_reference_HS.R-body.json").read_bytes().decode("utf-8-sig")
        )
        texts = {r["id"]: r["text"] for r in doc["results"]}
        hs6 = sorted(
            r["id"] for r in doc["results"] if r["aggrLevel"] == 6 and "LEGACY" not in r["text"]
        )
        weights = np.array([chapter_weight(c) for c in hs6])
        return {"texts": texts, "hs6": np.array(hs6), "weights": weights / weights.sum()}

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        other = self._not_data(path, request)
        if other is not None:
            return other
        parts = path.strip("/").split("/")
        keyed = path.startswith("/data/v1/get/")
        if not (keyed or path.startswith("/public/v1/preview/")) or len(parts) != 6:
            return _json({"statusCode": 404, "message": "Resource not found"}, 404)
        if parts[3] != "C" or parts[5] != "HS" or parts[4] not in ("A", "M"):
            return _json({"elapsedTime": "0.01 secs", "count": 0, "data": [], "error": ""})
        params = {k.lower(): v for k, v in request.args.items()}
        key = request.headers.get("Ocp-Apim-Subscription-Key") or params.pop(
            "subscription-key", None
        )
        with self._lock:
            self.calls += 1
            self.log.append((path, dict(request.args), {k: v for k, v in request.headers.items()}))
            now = time.monotonic()
            too_fast = self.rps is not None and now - self._last < 0.9 / self.rps
            self._last = now
            fault = self.faults.next()
            over_quota = self.quota is not None and self.calls > self.quota
        refused = self._refuse_key(keyed, key) or self._refuse_for_limits(request, params, fault)
        if refused is not None:
            return refused
        if over_quota:
            return _json(
                {
                    "statusCode": 403,
                    "message": "Out of call volume quota. Quota will be replenished in 23:59:59.",
                },
                403,
            )
        if too_fast or fault == "429":
            resp = _json(
                {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."},
                429,
            )
            resp.headers["Retry-After"] = "1"
            return resp
        if fault == "500":
            return _json({"statusCode": 500, "message": "Internal server error"}, 500)
        cap = self.keyed_cap if keyed else self.preview_cap
        try:
            max_records = min(int(params.get("maxrecords", cap)), cap)
        except ValueError:
            max_records = cap
        body, synthetic = self._data(parts[4], params, max_records, self.count_mode)
        if fault == "truncate":
            body = body[: max(1, len(body) // 2)]
        resp = Response(body, 200, content_type="application/json; charset=utf-8")
        if synthetic:
            resp.headers[SYNTHETIC_HEADER] = "1"
        return resp

    def _refuse_key(self, keyed: bool, key: str | None) -> Response | None:
        """401 on the keyed endpoint without a key (the recorded body) or a wrong one."""
        if keyed and not key:
            body = (self.corpus / "data_v1_get_C_A_HS_401_error.R-body.json").read_bytes()
            return Response(body, 401, content_type="application/json")
        if keyed and self.valid_keys is not None and key not in self.valid_keys:
            return _json(
                {
                    "statusCode": 401,
                    "message": "Access denied due to invalid "
                    "subscription key. Make sure to provide a valid key for an active "
                    "subscription.",
                },
                401,
            )
        return None

    def _refuse_for_limits(
        self, request: Request, params: dict[str, str], fault: str | None
    ) -> Response | None:
        """The live service's limits on a data call (issue 22): URL length, periods per
        call and the call quota's 403 in its three forms; None when the call may go on."""
        if self.url_limit is not None and len(request.url) > self.url_limit:
            with self._lock:
                self.refused["414"] += 1
            return limits.url_too_long()
        periods = _list(params.get("period")) or []
        if self.max_periods is not None and len(periods) > self.max_periods:
            with self._lock:
                self.refused["periods"] += 1
            return limits.too_many_periods(len(periods), self.max_periods)
        if fault in limits.QUOTA_FAULTS:
            return limits.quota_spent(fault)
        return None

    def _not_data(self, path: str, request: Request) -> Response | None:
        """Reference lists and the availability probe (not data calls: uncounted)."""
        if path.startswith("/files/v1/app/reference/"):
            return self._reference(path.rsplit("/", 1)[-1])
        parts = path.strip("/").split("/")
        if len(parts) == 6 and parts[2] == "getDA" and parts[0] in ("public", "data"):
            return self._availability(parts[4], request)
        return None

    def _availability(self, freq: str, request: Request) -> Response:
        """The v1 data-availability list: one row per reporter and period with data, and its
        `totalRecords` (every partner, flow and HS level of the reporter's dataset)."""
        with self._lock:
            self.availability_calls += 1
        if not self.availability:
            return _json({"statusCode": 404, "message": "Resource not found"}, 404)
        params = {k.lower(): v for k, v in request.args.items()}
        reporters = _ints(params.get("reportercode")) or [c for c in COUNTRIES if c]
        periods = _list(params.get("period")) or []
        rows = []
        for reporter in reporters:
            for period in periods:
                total = self.dataset_records(freq, reporter, period)
                if not total:
                    continue
                iso, desc = COUNTRIES.get(reporter, (str(reporter), f"Country {reporter}"))
                rows.append(
                    {
                        "datasetCode": int(f"{reporter}{period}"),
                        "typeCode": "C",
                        "freqCode": freq,
                        "period": period,
                        "reporterCode": reporter,
                        "reporterISO": iso,
                        "reporterDesc": desc,
                        "classificationCode": revision(reporter, int(period[:4])),
                        "classificationSearchCode": "HS",
                        "isOriginalClassification": True,
                        "isExtendedFlowCode": True,
                        "isExtendedPartnerCode": False,
                        "isExtendedPartner2Code": False,
                        "isExtendedCmdCode": True,
                        "isExtendedCustomsCode": False,
                        "isExtendedMotCode": False,
                        "totalRecords": total,
                        "datasetChecksum": total * 7919 % 10**9,
                        "firstReleased": f"{int(period[:4]) + 1}-06-30T00:00:00",
                        "lastReleased": f"{int(period[:4]) + 1}-12-31T00:00:00",
                    }
                )
        body = json.dumps(
            {"elapsedTime": "0.02 secs", "count": len(rows), "data": rows, "error": ""},
            separators=(",", ":"),
        ).encode()
        resp = Response(body, 200, content_type="application/json; charset=utf-8")
        resp.headers[SYNTHETIC_HEADER] = "1"
        return resp

    def dataset_records(self, freq: str, reporter: int, period: str) -> int:
        """Records a reporter's whole dataset holds for a period (0 for years it did not
        report): every partner this emulator knows (World included) and flow, at HS6 plus
        half again for the HS4, HS2 and TOTAL rows above them, plus the partner panel. An
        upper bound of any query on that reporter."""
        year = int(period[:4])
        lo, hi = REPORTS.get(reporter, (1990, 2100))
        if not lo <= year <= hi:
            return 0
        lines = sum(
            self.cell_lines(reporter, partner, flow, year)
            for partner in COUNTRIES
            if partner != reporter
            for flow in FLOW_DESC
        )
        # the partner panel's cells (TOTAL and HS2, annual) on top
        panel = len(partner_panel.PARTNERS) * len(FLOW_DESC) * 100 if freq == "A" else 0
        return int(lines * (0.6 if freq == "M" else 1.0) * 1.5) + panel

    def _reference(self, name: str) -> Response:
        path = self.corpus / f"files_v1_app_reference_{name.removesuffix('.json')}.R-body.json"
        if not path.exists():
            return _json({"statusCode": 404, "message": "Resource not found"}, 404)
        return Response(path.read_bytes(), 200, content_type="application/json")

    # -- data -----------------------------------------------------------------------------
    def _data(
        self, freq: str, params: dict[str, str], cap: int, count_mode: str = "returned"
    ) -> tuple[bytes, bool]:
        """The answer to a data call and whether it is synthetic; with count_mode "matches"
        a capped answer's count is every row that matches, not the rows returned."""
        reporters = _ints(params.get("reportercode"))
        partners = _ints(params.get("partnercode"))
        periods = _list(params.get("period"))
        cmds = _list(params.get("cmdcode")) or ["TOTAL"]
        flows = _list(params.get("flowcode")) or list(FLOW_DESC)
        pinned = {k: params.get(k.lower()) for k in BREAKDOWNS}
        pinned_ok = (
            pinned["customsCode"] == "C00"
            and pinned["motCode"] == "0"
            and pinned["partner2Code"] == "0"
        )
        if self._is_recorded(freq, reporters, partners, periods, cmds, flows) and pinned_ok:
            wanted = [
                r
                for r in self._recorded["data"]
                if r["partnerCode"] in partners and r["flowCode"] in flows
            ]
            if len(wanted) == len(self._recorded["data"]) and cap >= len(wanted):
                return self._recorded_bytes, False
            return _envelope(wanted[:cap]), False
        if reporters is None or periods is None:
            return _envelope([]), True
        if partners is None:
            partners = [
                0,
                *[c for c in {**COUNTRIES, **partner_panel.PARTNERS} if c not in (0, *reporters)],
            ]
        rows: list[dict] = []
        for reporter in reporters:
            for period in periods:
                for partner in partners:
                    for flow in flows:
                        rows.extend(self._cell(freq, reporter, partner, period, flow, cmds, pinned))
                        if len(rows) > cap and count_mode == "returned":
                            break
        desc = params.get("includedesc", "false").lower() == "true"
        out = rows[:cap]
        if not desc:
            out = [{k: v for k, v in r.items() if not k.endswith(("Desc", "ISO"))} for r in out]
        return _envelope(out, len(rows) if count_mode == "matches" else None), True

    def _is_recorded(self, freq, reporters, partners, periods, cmds, flows) -> bool:
        return (
            freq == "A"
            and reporters == [156]
            and periods == ["2010"]
            and cmds == ["TOTAL"]
            and partners is not None
            and set(partners) <= {32, 276}
        )

    def cell_lines(self, reporter: int, partner: int, flow: str, year: int) -> int:
        """How many HS6 lines a reporter has with a partner, flow and year."""
        lo, hi = REPORTS.get(reporter, (1990, 2100))
        if not lo <= year <= hi or reporter == partner:
            return 0
        if partner == 0:
            base = 5000
        elif reporter == 156 and partner in CA:
            base = LINES[(156, "X" if flow in ("X", "RX") else "M")][partner]
        elif reporter in CA and partner == 156:
            base = LINES[("CA", "X" if flow in ("X", "RX") else "M")][reporter]
        else:
            base = 300
        if flow in ("RX", "RM"):
            base = max(1, base // 40)
        growth = 0.55 + 0.45 * min(max((year - 2000) / 24, 0), 1.2)
        return max(1, int(base * growth * self.scale))

    def leaf_values(
        self, freq: str, reporter: int, partner: int, period: str, flow: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic HS6 codes and USD values of one reporter-partner-flow-period."""
        key = (freq, reporter, partner, period, flow)
        got = self._leaves.get(key)
        if got is None:
            got = self._leaves[key] = self._make_leaves(*key)
        return got

    def _make_leaves(
        self, freq: str, reporter: int, partner: int, period: str, flow: str
    ) -> tuple[np.ndarray, np.ndarray]:
        year = int(period[:4])
        n = self.cell_lines(reporter, partner, flow, year)
        if n == 0:
            return np.array([], dtype=str), np.array([])
        seed = int(
            hashlib.sha256(f"{reporter}|{partner}|{flow}|{year}".encode()).hexdigest()[:8], 16
        )
        rng = np.random.default_rng(seed)
        universe = self._hs["hs6"]
        codes = np.sort(
            rng.choice(universe, size=min(n, len(universe)), replace=False, p=self._hs["weights"])
        )
        values = np.round(rng.lognormal(mean=11.5, sigma=2.2, size=len(codes)), 0) + 1
        if freq == "M":
            month = int(period[4:])
            mrng = np.random.default_rng(seed + month)
            keep = mrng.random(len(codes)) < 0.6
            codes, values = codes[keep], np.round(values[keep] / 7.0) + 1
        return codes, values

    def _sums(self, cell: tuple, level: int) -> dict[str, float]:
        """Values of one cell summed by HS code at `level` digits (cached: explicit code
        lists ask for the same cells many times)."""
        key = (*cell, level)
        got = self._level_sums.get(key)
        if got is None:
            codes, values = self.leaf_values(*cell)
            prefixes = np.array([c[:level] for c in codes])
            uniq, inv = np.unique(prefixes, return_inverse=True)
            sums = np.bincount(inv, weights=values)
            got = self._level_sums[key] = dict(zip(uniq.tolist(), sums.tolist(), strict=True))
        return got

    def _cell(
        self,
        freq: str,
        reporter: int,
        partner: int,
        period: str,
        flow: str,
        cmds: Sequence[str],
        pinned: dict[str, str | None],
    ) -> list[dict]:
        # every reporter's World trade by product from the world panel (issue 19); Central
        # Asia's partners and their mirror reports from the partner panel
        panel = world_panel.series(self, freq, reporter, partner, period, flow, cmds)
        if panel is None:
            panel = partner_panel.series(self, freq, reporter, partner, period, flow, cmds)
        codes, values = (
            ((), ())
            if panel is not None
            else self.leaf_values(freq, reporter, partner, period, flow)
        )
        if panel is None and len(codes) == 0:
            return []
        series: dict[str, float] = dict(panel or {})
        cell = (freq, reporter, partner, period, flow)
        for cmd in cmds if panel is None else ():
            if cmd == "TOTAL":
                series["TOTAL"] = float(values.sum())
            elif cmd.startswith("AG"):
                series.update(self._sums(cell, int(cmd[2:])))
            elif cmd in (sums := self._sums(cell, len(cmd))):
                series[cmd] = sums[cmd]
        rev = revision(reporter, int(period[:4]))
        rows = []
        for cmd, value in series.items():
            base = self.row(freq, reporter, partner, period, flow, cmd, value, rev)
            rows.append(base)
            rows.extend(_breakdowns(base, pinned))
        return rows

    def row(
        self,
        freq: str,
        reporter: int,
        partner: int,
        period: str,
        flow: str,
        cmd: str,
        value: float,
        rev: str,
    ) -> dict:
        """One data row with the v1 field set (formats/comtrade_v1.py, shared with the demo)."""
        level = 0 if cmd == "TOTAL" else len(cmd)
        weight = round(value / 3.7, 1) if level == 6 else None
        rep_iso, rep_desc = (
            COUNTRIES.get(reporter)
            or partner_panel.describe(reporter)
            or world_panel.describe(reporter)
            or (str(reporter), f"Country {reporter}")
        )
        par_iso, par_desc = (
            COUNTRIES.get(partner)
            or partner_panel.describe(partner)
            or (str(partner), f"Country {partner}")
        )
        text = (
            "All Commodities"
            if cmd == "TOTAL"
            else str(self._hs["texts"].get(cmd, cmd)).split(" - ", 1)[-1]
        )
        return comtrade_v1.record(
            freq=freq,
            period=period,
            reporter=comtrade_v1.Party(reporter, rep_iso, rep_desc),
            partner=comtrade_v1.Party(partner, par_iso, par_desc),
            flow=flow,
            cmd=cmd,
            cmd_desc=text,
            value=value,
            rev=rev,
            weight=weight,
        )


def _breakdowns(base: dict, pinned: dict[str, str | None]) -> list[dict]:
    """Extra rows the API adds when a breakdown dimension is left open (they double count)."""
    out = []
    for dim, parts in BREAKDOWNS.items():
        if pinned.get(dim) is not None:
            continue
        for code, share in parts:
            row = dict(base)
            row[dim] = code
            row["primaryValue"] = round(base["primaryValue"] * share, 2)
            out.append(row)
    return out


def _envelope(rows: list[dict], count: int | None = None) -> bytes:
    n = len(rows) if count is None else count
    doc = {"elapsedTime": "0.05 secs", "count": n, "data": rows, "error": ""}
    return json.dumps(doc, separators=(",", ":")).encode()


def _json(doc: dict, status: int = 200) -> Response:
    return Response(json.dumps(doc), status, content_type="application/json")


def _list(raw: str | None) -> list[str] | None:
    if raw is None or raw == "":
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def _ints(raw: str | None) -> list[int] | None:
    values = _list(raw)
    return None if values is None else [int(v) for v in values]
