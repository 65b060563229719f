"""UN Comtrade API v1: the query parameters every fetch pins, one data record with the v1
field set (in the order of the recorded bodies), and the response envelope.

The demo writes its raw layer with these, the emulator answers with them, and the fetcher
pins the same PINNED parameters, so all three agree by construction."""

from __future__ import annotations

import json
from typing import NamedTuple

# Every data query pins these: totals across customs procedures, transport modes and
# second partners (leaving them open returns breakdown rows that double count), classic
# breakdown mode, and descriptions (partnerISO etc.) in each record.
PINNED: dict[str, str] = {
    "customsCode": "C00",
    "motCode": "0",
    "partner2Code": "0",
    "breakdownMode": "classic",
    "includeDesc": "true",
}

FLOW_DESC: dict[str, str] = {"M": "Import", "X": "Export", "RM": "Re-import", "RX": "Re-export"}
IMPORT_FLOWS = ("M", "RM")  # valued CIF; exports FOB


class Party(NamedTuple):
    """A reporter or partner as a v1 record names it: code, ISO field and description."""

    code: int
    iso: str
    desc: str


WORLD = Party(0, "W00", "World")


def record(
    *,
    freq: str,
    period: str,
    reporter: Party,
    partner: Party,
    flow: str,
    cmd: str,
    cmd_desc: str,
    value: float,
    rev: str,
    weight: float | None,
) -> dict:
    """One data row with the full v1 field set, in the order of the recorded body.

    `period` is YYYY (freq A) or YYYYMM (freq M); `cmd` is TOTAL or an HS code, whose
    length is the aggregation level; `weight` is the net weight in kg (HS6 rows carry it)."""
    year = int(period[:4])
    month = int(period[4:]) if freq == "M" else 52
    level = 0 if cmd == "TOTAL" else len(cmd)
    imp = flow in IMPORT_FLOWS
    return {
        "typeCode": "C",
        "freqCode": freq,
        "refPeriodId": int(f"{year}{(month if freq == 'M' else 1):02d}01"),
        "refYear": year,
        "refMonth": month,
        "period": period,
        "reporterCode": reporter.code,
        "reporterISO": reporter.iso,
        "reporterDesc": reporter.desc,
        "flowCode": flow,
        "flowDesc": FLOW_DESC[flow],
        "partnerCode": partner.code,
        "partnerISO": partner.iso,
        "partnerDesc": partner.desc,
        "partner2Code": 0,
        "partner2ISO": "W00",
        "partner2Desc": "World",
        "classificationCode": rev,
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "cmdCode": cmd,
        "cmdDesc": cmd_desc,
        "aggrLevel": level,
        "isLeaf": level == 6,
        "customsCode": "C00",
        "customsDesc": "TOTAL CPC",
        "mosCode": "0",
        "motCode": 0,
        "motDesc": "TOTAL MOT",
        "qtyUnitCode": 8 if level == 6 else -1,
        "qtyUnitAbbr": "kg" if level == 6 else "N/A",
        "qty": weight,
        "isQtyEstimated": False,
        "altQtyUnitCode": -1,
        "altQtyUnitAbbr": "N/A",
        "altQty": None,
        "isAltQtyEstimated": False,
        "netWgt": weight,
        "isNetWgtEstimated": False,
        "grossWgt": None,
        "isGrossWgtEstimated": False,
        "cifvalue": value if imp else None,
        "fobvalue": None if imp else value,
        "primaryValue": value,
        "legacyEstimationFlag": 0,
        "isReported": True,
        "isAggregate": partner.code == 0,
    }


def envelope(rows: list[dict], elapsed: str = "0.05 secs") -> bytes:
    """The `{elapsedTime, count, data, error}` body of a data response, compact JSON."""
    doc = {"elapsedTime": elapsed, "count": len(rows), "data": rows, "error": ""}
    return json.dumps(doc, separators=(",", ":")).encode()
