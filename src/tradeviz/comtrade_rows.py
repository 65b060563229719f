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


def parse_comtrade(body: bytes, snap: Snapshot, path: str, report: ParseReport,
                   iso_lookup: dict[int, str]) -> pd.DataFrame:
    try:
        doc = json.loads(body)
        records = doc["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise SnapshotError(
            f"raw snapshot {path} is not a readable Comtrade response ({exc.__class__.__name__}:"
            f" {exc}). Fix: delete it and run `tradeviz fetch comtrade --refresh`") from None
    raw = pd.DataFrame.from_records(records, columns=COLUMNS)
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
