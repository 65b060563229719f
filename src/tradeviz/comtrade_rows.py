"""Comtrade v1 snapshots to flow rows: typed columns, codes as strings, breakdowns dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .countries import BY_COMTRADE, WORLD_ISO3
from .errors import SnapshotError
from .raw_store import Snapshot
from .schema import FLOW_NAMES

COLUMNS = ["freqCode", "refYear", "refMonth", "reporterCode", "reporterISO", "partnerCode",
           "partnerISO", "partner2Code", "flowCode", "classificationCode", "cmdCode",
           "aggrLevel", "customsCode", "motCode", "primaryValue", "cifvalue", "fobvalue",
           "netWgt", "qty", "qtyUnitAbbr", "isReported"]


@dataclass
class ParseReport:
    breakdown_rows: int = 0
    other_flow_rows: int = 0
    unknown_codes: set = field(default_factory=set)


_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def read_columns(body: bytes | list[bytes]) -> dict[str, list]:
    """The `data` records of a v1 envelope as one list per needed column.

    Decodes one record at a time, so a 100,000-row response never exists as 100,000 dicts
    (the build's peak memory is otherwise dominated by them). The rest of the envelope is
    parsed too, and its `count` must equal the records read. Given a one-item list, the
    bytes are taken out of it, so they are freed once decoded."""
    if isinstance(body, list):
        body = body.pop()
    text = body.decode("utf-8")
    del body
    start = text.find('"data":[')
    if start < 0:
        raise ValueError("no data array")
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    appenders = [(c, cols[c].append) for c in COLUMNS]
    i = start + len('"data":[')
    n = 0
    while True:
        while text[i] in _WS:
            i += 1
        if text[i] == "]":
            break
        record, i = _DECODER.raw_decode(text, i)
        get = record.get
        for col, append in appenders:
            append(get(col))
        n += 1
        while text[i] in _WS:
            i += 1
        if text[i] == ",":
            i += 1
        elif text[i] != "]":
            raise ValueError(f"unexpected {text[i]!r} after record {n}")
    envelope = json.loads(text[:start] + '"data":null' + text[i + 1:])
    if envelope.get("count") != n:
        raise ValueError(f"count {envelope.get('count')} but {n} records")
    return cols


def parse_comtrade(body: bytes | list[bytes], snap: Snapshot, path: str, report: ParseReport,
                   iso_lookup: dict[int, str]) -> pd.DataFrame:
    """Rows of one snapshot; pass the bytes in a one-item list to let them be freed early."""
    holder = body if isinstance(body, list) else [body]
    del body
    try:
        cols = read_columns(holder)
    except (ValueError, UnicodeDecodeError, IndexError, AttributeError) as exc:
        raise SnapshotError(
            f"raw snapshot {path} is not a readable Comtrade response ({exc.__class__.__name__}:"
            f" {exc}). Fix: delete it and run `tradeviz fetch comtrade --refresh`") from None
    raw = pd.DataFrame(cols, columns=COLUMNS)
    del cols
    if raw.empty:
        return raw
    breakdown = ((raw["customsCode"].fillna("C00") != "C00") | (raw["motCode"].fillna(0) != 0)
                 | (raw["partner2Code"].fillna(0) != 0))
    report.breakdown_rows += int(breakdown.sum())
    unknown_flow = ~raw["flowCode"].isin(list(FLOW_NAMES))
    report.other_flow_rows += int((unknown_flow & ~breakdown).sum())
    raw = raw[~breakdown & ~unknown_flow]
    month = raw["refMonth"].astype("Int64")
    month = month.where(month != 52)
    out = pd.DataFrame({
        "source": "comtrade",
        "freq": raw["freqCode"].astype(str),
        "year": raw["refYear"].astype("int16"),
        "month": month.astype("Int8"),
        "quarter": pd.array([pd.NA] * len(raw), dtype="Int8"),
        "reporter": _iso(raw["reporterCode"], raw["reporterISO"], iso_lookup, report),
        "partner": _iso(raw["partnerCode"], raw["partnerISO"], iso_lookup, report),
        "flow": raw["flowCode"].map(FLOW_NAMES),
        "hs_rev": raw["classificationCode"].astype(str),
        "hs_code": raw["cmdCode"].astype(str),
        "hs_level": raw["aggrLevel"].astype("int8"),
        "value_usd": raw["primaryValue"].astype("float64"),
        "cif_usd": raw["cifvalue"].astype("float64"),
        "fob_usd": raw["fobvalue"].astype("float64"),
        "net_weight_kg": raw["netWgt"].astype("float64"),
        "qty": raw["qty"].astype("float64"),
        "qty_unit": raw["qtyUnitAbbr"].where(raw["qtyUnitAbbr"] != "N/A").astype("str"),
        "is_estimated": ~raw["isReported"].fillna(True).astype(bool),
        "synthetic": bool(snap.record.get("synthetic", False)),
        "snapshot": snap.sha256,
    })
    return out


def _iso(codes: pd.Series, isos: pd.Series, lookup: dict[int, str],
         report: ParseReport) -> pd.Series:
    known = {0: WORLD_ISO3, **{c: k.iso3 for c, k in BY_COMTRADE.items()}, **lookup}
    mapped = codes.map(known)
    from_rows = isos.where(~isos.isin(["W00", None, ""]), np.nan) if isos is not None else None
    if from_rows is not None:
        mapped = mapped.fillna(from_rows)
    missing = codes[mapped.isna()]
    report.unknown_codes |= set(missing.astype(int).tolist())
    return mapped.astype("str")
