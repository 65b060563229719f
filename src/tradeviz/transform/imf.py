"""IMF IMTS (formerly DOTS) responses to canonical flow rows: raw bytes in, DataFrame out.
No HTTP here: `tradeviz build` imports this, never the fetcher in extract/imf.py.

SDMX-ML (the recorded format) is read with the standard library's XML reader, since a
StructureSpecificData message is flat (Series elements with dimension attributes, Obs
children). SDMX-JSON 2.0 data messages and legacy DOTS CompactData JSON are read too. Unit
trap: IMTS OBS_VALUE is in full US dollars (SCALE is a display hint only); legacy DOTS
values are millions (UNIT_MULT 6).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pandas as pd

from tradeviz.errors import BadResponseError, SnapshotError
from tradeviz.store.raw import Snapshot
from tradeviz.vocab.countries import WORLD_ISO3, iso2_to_iso3

PARTNER_CODES = {"G001": WORLD_ISO3, "W00": WORLD_ISO3}
# IMTS indicator prefix (DOTS ones start with T) -> the canonical `flow` column.
FLOW_OF = {"XG": "export", "MG": "import", "TXG": "export", "TMG": "import"}


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
            base = {
                d["id"]: d["values"][int(i)].get("id", d["values"][int(i)].get("value"))
                for d, i in zip(series_dims, skey.split(":"), strict=True)
            }
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
            rows.append(
                {
                    "COUNTRY": s["@REF_AREA"],
                    "INDICATOR": s["@INDICATOR"].removeprefix("T"),
                    "COUNTERPART_COUNTRY": s["@COUNTERPART_AREA"],
                    "FREQUENCY": s["@FREQ"],
                    "TIME_PERIOD": o["@TIME_PERIOD"],
                    "OBS_VALUE": None if value is None else str(Decimal(value) * 10**mult),
                    "iso2": True,
                }
            )
    return rows


def parse_body(body: bytes, fmt: str | None = None) -> list[dict]:
    """Observations of a body in any of the three formats (`fmt` from the manifest, else
    sniffed from the first bytes)."""
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
        return iso2_to_iso3(code) or code
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
        recs.append(
            {
                "freq": freq,
                "year": year,
                "month": month,
                "quarter": quarter,
                "reporter": _iso3(str(r["COUNTRY"]), bool(r.get("iso2"))),
                "partner": _iso3(str(r["COUNTERPART_COUNTRY"]), bool(r.get("iso2"))),
                "flow": FLOW_OF[trade],
                "valuation": valuation,
                "value": float(Decimal(str(value))),
                "derivation": r.get("DERIVATION_TYPE"),
                "overlap": r.get("OVERLAP"),
            }
        )
    if not recs:
        return pd.DataFrame()
    df = pd.DataFrame(recs)
    key = ["freq", "year", "month", "quarter", "reporter", "partner", "flow"]
    wide = df.pivot_table(
        index=key, columns="valuation", values="value", aggfunc="first", dropna=False
    ).reset_index()
    wide = wide.dropna(subset=[c for c in ("CIF", "FOB") if c in wide], how="all")
    attrs = (
        df.sort_values("valuation")
        .groupby(key, dropna=False)
        .agg(derivation=("derivation", "first"), overlap=("overlap", "first"))
        .reset_index()
    )
    wide = wide.merge(attrs, on=key, how="left")
    cif = wide["CIF"] if "CIF" in wide else pd.Series(float("nan"), index=wide.index)
    fob = wide["FOB"] if "FOB" in wide else pd.Series(float("nan"), index=wide.index)
    n = len(wide)
    return pd.DataFrame(
        {
            "source": "imf",
            "freq": wide["freq"],
            "year": wide["year"].astype("int16"),
            "month": wide["month"].astype("Int8"),
            "quarter": wide["quarter"].astype("Int8"),
            "reporter": wide["reporter"],
            "partner": wide["partner"],
            "flow": wide["flow"],
            "hs_rev": pd.Series([None] * n, dtype="str"),
            "hs_code": "TOTAL",
            "hs_level": pd.Series([0] * n, dtype="int8"),
            "value_usd": cif.where(wide["flow"] == "import", fob).fillna(cif).fillna(fob),
            "cif_usd": cif,
            "fob_usd": fob,
            "is_estimated": False,
            "derivation": wide["derivation"].astype("str"),
            "overlap": wide["overlap"].astype("str"),
            "synthetic": bool(snap.record.get("synthetic", False)),
            "snapshot": snap.sha256,
        }
    )


def parse_imf(body: bytes, snap: Snapshot, path: str) -> pd.DataFrame:
    """One raw IMF snapshot (any of the three formats) to canonical flow rows."""
    try:
        rows = parse_body(body, snap.record.get("format"))
    except BadResponseError as exc:
        raise SnapshotError(
            f"raw snapshot {path} is not a readable IMF response ({exc}). "
            "Fix: delete it and run `tradeviz fetch imf --refresh`"
        ) from None
    return rows_to_flows(rows, snap)
