"""IMF International Trade in Goods by partner (IMTS, formerly DOTS): monthly, quarterly
and annual bilateral totals, including IMF estimates for countries that rarely report
(Turkmenistan).

Fetched from the SDMX 3.0 API as SDMX-ML (the recorded format); parsed with the standard
library's XML reader, since a StructureSpecificData message is flat (Series elements with
dimension attributes, Obs children). SDMX-JSON 2.0 data messages and legacy DOTS
CompactData JSON are read too. Unit trap: IMTS OBS_VALUE is in full US dollars (SCALE is a
display hint only); legacy DOTS values are millions (UNIT_MULT 6).
"""

from __future__ import annotations

import json
import logging
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from tqdm import tqdm

from tradeviz import config
from tradeviz.errors import BadResponseError, HttpError, SnapshotError
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore, Snapshot, query_key
from tradeviz.vocab.countries import ALL_SIX, to_iso3

log = logging.getLogger(__name__)

SOURCE = "imf"
DATAFLOW = "/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/+"
INDICATORS = ("XG_FOB_USD", "MG_CIF_USD", "MG_FOB_USD")
WORLD = "G001"
PARTNER_CODES = {"G001": "WLD", "W00": "WLD"}
FLOW_OF = {"XG": "export", "MG": "import", "TXG": "export", "TMG": "import"}


@dataclass(frozen=True)
class ImfQuery:
    reporter: str
    freq: str
    start: int
    end: int

    @property
    def key(self) -> str:
        partners = "+".join([c.iso3 for c in ALL_SIX if c.iso3 != self.reporter] + [WORLD])
        return f"{self.reporter}.{'+'.join(INDICATORS)}.{partners}.{self.freq}"

    def params(self) -> dict[str, str]:
        return {"c[TIME_PERIOD]": f"ge:{self.start}-01-01+le:{self.end}-12-31",
                "dimensionAtObservation": "TIME_PERIOD", "detail": "full"}

    @property
    def identity(self) -> str:
        return query_key(SOURCE, {"key": self.key, **self.params()})


def parse_sdmx_ml(body: bytes) -> list[dict]:
    """StructureSpecificData: one dict per observation with series and obs attributes."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadResponseError(f"not well-formed SDMX-ML ({exc})") from None
    rows = []
    found_dataset = False
    for elem in root.iter():
        if elem.tag.endswith("DataSet"):
            found_dataset = True
            for series in elem:
                if not series.tag.endswith("Series"):
                    continue
                for obs in series:
                    if obs.tag.endswith("Obs"):
                        rows.append({**series.attrib, **obs.attrib})
    if not found_dataset and not any(t in root.tag for t in ("Error", "NoResults")):
        raise BadResponseError("SDMX-ML message without a DataSet")
    return rows


def parse_sdmx_json(body: bytes) -> list[dict]:
    """SDMX-JSON 2.0 data message: series keyed 'i:j:k', observations [value, attr idx...]."""
    try:
        doc = json.loads(body)
        data = doc["data"]
        structure = data["structures"][0]
        dims = structure["dimensions"]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise BadResponseError(f"not an SDMX-JSON data message ({exc})") from None
    series_dims = dims["series"]
    obs_dims = dims["observation"]
    attrs = structure.get("attributes", {})
    series_attrs = attrs.get("series", [])
    obs_attrs = attrs.get("observation", [])

    def attr_value(spec: dict, idx):
        if idx is None:
            return None
        values = spec.get("values", [])
        if isinstance(idx, int) and values:
            v = values[idx]
            return v.get("id", v.get("value"))
        return idx

    rows = []
    for dataset in data.get("dataSets", []):
        for skey, series in dataset.get("series", {}).items():
            base = {d["id"]: d["values"][int(i)].get("id", d["values"][int(i)].get("value"))
                    for d, i in zip(series_dims, skey.split(":"), strict=True)}
            for spec, idx in zip(series_attrs, series.get("attributes", []), strict=False):
                base[spec["id"]] = attr_value(spec, idx)
            for okey, values in series.get("observations", {}).items():
                row = dict(base)
                for d, i in zip(obs_dims, okey.split(":"), strict=True):
                    row[d["id"]] = d["values"][int(i)].get("value", d["values"][int(i)].get("id"))
                row["OBS_VALUE"] = values[0] if values else None
                for spec, idx in zip(obs_attrs, values[1:], strict=False):
                    row[spec["id"]] = attr_value(spec, idx)
                rows.append(row)
    return rows


def parse_dots_json(body: bytes) -> list[dict]:
    """Legacy DOTS CompactData JSON; values scaled to full dollars by UNIT_MULT."""
    try:
        doc = json.loads(body)
        if "ErrorDetails" in doc:
            raise BadResponseError(f"DOTS error: {doc['ErrorDetails']}")
        series = doc["CompactData"]["DataSet"].get("Series", [])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise BadResponseError(f"not a DOTS CompactData message ({exc})") from None
    if isinstance(series, dict):
        series = [series]
    rows = []
    for s in series:
        obs = s.get("Obs", [])
        if isinstance(obs, dict):
            obs = [obs]
        mult = int(s.get("@UNIT_MULT", "0"))
        for o in obs:
            value = o.get("@OBS_VALUE")
            rows.append({
                "COUNTRY": s["@REF_AREA"], "INDICATOR": s["@INDICATOR"].removeprefix("T"),
                "COUNTERPART_COUNTRY": s["@COUNTERPART_AREA"], "FREQUENCY": s["@FREQ"],
                "TIME_PERIOD": o["@TIME_PERIOD"],
                "OBS_VALUE": None if value is None else str(Decimal(value) * 10 ** mult),
                "iso2": True,
            })
    return rows


def parse_body(body: bytes, fmt: str | None = None) -> list[dict]:
    head = body.lstrip()[:200]
    if fmt == "sdmx-ml" or head.startswith(b"<"):
        return parse_sdmx_ml(body)
    if fmt == "dots-json" or b"CompactData" in head:
        return parse_dots_json(body)
    return parse_sdmx_json(body)


def _period(freq: str, text: str) -> tuple[int, int | None, int | None]:
    """'2023', '2023-Q2', '2023-M04' or '2023-04' to (year, month, quarter)."""
    year = int(text[:4])
    rest = text[4:].lstrip("-")
    if freq == "M" and rest:
        return year, int(rest.lstrip("M")), None
    if freq == "Q" and rest:
        return year, None, int(rest.lstrip("Q"))
    return year, None, None


def _iso3(code: str, iso2: bool) -> str:
    if code in PARTNER_CODES:
        return PARTNER_CODES[code]
    if iso2:
        return to_iso3(code, src="ISO2") or code
    return code


def rows_to_flows(rows: list[dict], snap: Snapshot) -> pd.DataFrame:
    """Observations to flow rows: one per reporter, partner, period and flow; imports CIF
    and FOB indicators side by side (value_usd = CIF where given, else FOB)."""
    recs = []
    for r in rows:
        value = r.get("OBS_VALUE")
        if value in (None, "", "NaN"):
            continue
        indicator = str(r["INDICATOR"])
        trade, valuation = indicator.split("_")[0], indicator.split("_")[1]
        if trade not in FLOW_OF:
            continue
        freq = str(r.get("FREQUENCY") or r.get("FREQ"))
        year, month, quarter = _period(freq, str(r["TIME_PERIOD"]))
        recs.append({
            "freq": freq, "year": year, "month": month, "quarter": quarter,
            "reporter": _iso3(str(r["COUNTRY"]), bool(r.get("iso2"))),
            "partner": _iso3(str(r["COUNTERPART_COUNTRY"]), bool(r.get("iso2"))),
            "flow": FLOW_OF[trade], "valuation": valuation, "value": float(Decimal(str(value))),
            "derivation": r.get("DERIVATION_TYPE"), "overlap": r.get("OVERLAP"),
        })
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    key = ["freq", "year", "month", "quarter", "reporter", "partner", "flow"]
    wide = df.pivot_table(index=key, columns="valuation", values="value", aggfunc="first",
                          dropna=False).reset_index()
    wide = wide.dropna(subset=[c for c in ("CIF", "FOB") if c in wide], how="all")
    attrs = df.sort_values("valuation").groupby(key, dropna=False).agg(
        derivation=("derivation", "first"), overlap=("overlap", "first")).reset_index()
    wide = wide.merge(attrs, on=key, how="left")
    cif = wide["CIF"] if "CIF" in wide else pd.Series(float("nan"), index=wide.index)
    fob = wide["FOB"] if "FOB" in wide else pd.Series(float("nan"), index=wide.index)
    n = len(wide)
    return pd.DataFrame({
        "source": "imf", "freq": wide["freq"], "year": wide["year"].astype("int16"),
        "month": wide["month"].astype("Int8"), "quarter": wide["quarter"].astype("Int8"),
        "reporter": wide["reporter"], "partner": wide["partner"], "flow": wide["flow"],
        "hs_rev": pd.Series([None] * n, dtype="str"), "hs_code": "TOTAL",
        "hs_level": pd.Series([0] * n, dtype="int8"),
        "value_usd": cif.where(wide["flow"] == "import", fob).fillna(cif).fillna(fob),
        "cif_usd": cif, "fob_usd": fob, "is_estimated": False,
        "derivation": wide["derivation"].astype("str"),
        "overlap": wide["overlap"].astype("str"),
        "synthetic": bool(snap.record.get("synthetic", False)), "snapshot": snap.sha256,
    })


def parse_imf(body: bytes, snap: Snapshot, path: str) -> pd.DataFrame:
    try:
        rows = parse_body(body, snap.record.get("format"))
    except BadResponseError as exc:
        raise SnapshotError(f"raw snapshot {path} is not a readable IMF response ({exc}). "
                            "Fix: delete it and run `tradeviz fetch imf --refresh`") from None
    return rows_to_flows(rows, snap)


def _validate(body: bytes) -> list[dict]:
    return parse_sdmx_ml(body)


class ImfFetcher:
    """One query per reporter and frequency; resumable through the manifest."""

    def __init__(self, store: RawStore, client: HttpClient | None = None,
                 refresh: bool = False, progress: bool | None = None):
        self.store = store
        self.client = client or HttpClient(SOURCE, rps=config.imf_rps())
        self.refresh = refresh
        self.base_url = config.imf_url()
        self.calls = 0
        self.cached = 0
        self.observations = 0
        self._index = {} if refresh else store.latest_by_query(SOURCE)
        self._progress = sys.stderr.isatty() if progress is None else progress

    def run(self, years: list[int], freqs: tuple[str, ...]) -> None:
        self.store.remove_stale_temp_files()
        queries = [ImfQuery(c.iso3, f, years[0], years[-1]) for f in freqs for c in ALL_SIX]
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
        except HttpError as exc:
            if exc.status != 404:
                raise
            # SDMX answers 404 "NoResultsFound" when a key has no data: an empty result.
            body, status, rows, synthetic = b"<NoResultsFound/>", 404, 0, False
        self.calls += 1
        meta = {"endpoint": f"{DATAFLOW}/{q.key}", "base_url": self.base_url,
                "params": {"key": q.key, **q.params()}, "query_key": q.identity,
                "freq": q.freq, "http_status": status, "records": rows, "complete": True,
                "format": "sdmx-ml",
                "synthetic": synthetic}
        self.store.save(SOURCE, body, "xml", meta)
        self.observations += rows
        log.info("imf: fetched %s: %d observations", q.key, rows)
