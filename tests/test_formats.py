"""tradeviz.formats writes what the real APIs write: a Comtrade v1 record has the recorded
body's fields in the recorded order and values of the same kind, and the demo, the emulator
and the fetcher share one definition of the pinned parameters."""

from __future__ import annotations

import json

from tradeviz.emulators.comtrade import ComtradeEmulator
from tradeviz.extract import comtrade as fetch_comtrade
from tradeviz.formats import comtrade_v1
from tradeviz.formats.comtrade_v1 import WORLD, Party

RECORDED = "comtrade/data_v1_get_C_A_HS_CHN_2010_TOTAL.R-body.json"


def _recorded(corpus) -> dict:
    return json.loads((corpus / RECORDED).read_text())


def test_record_matches_the_recorded_row_field_for_field(corpus):
    doc = _recorded(corpus)
    real = doc["data"][0]  # China's 2010 imports from Argentina, TOTAL
    ours = comtrade_v1.record(
        freq="A",
        period="2010",
        reporter=Party(156, "CHN", real["reporterDesc"]),
        partner=Party(real["partnerCode"], "ARG", real["partnerDesc"]),
        flow="M",
        cmd="TOTAL",
        cmd_desc=real["cmdDesc"],
        value=real["primaryValue"],
        rev=real["classificationCode"],
        weight=None,
    )
    assert list(ours) == list(real)  # same fields, same order
    same = [
        "typeCode",
        "freqCode",
        "refPeriodId",
        "refYear",
        "refMonth",
        "period",
        "reporterCode",
        "reporterISO",
        "flowCode",
        "flowDesc",
        "partnerCode",
        "partnerISO",
        "partner2Code",
        "partner2ISO",
        "cmdCode",
        "aggrLevel",
        "isLeaf",
        "customsCode",
        "motCode",
        "primaryValue",
    ]
    assert {k: ours[k] for k in same} == {k: real[k] for k in same}
    assert list(json.loads(comtrade_v1.envelope([ours]))) == list(doc)


def test_monthly_hs6_record():
    row = comtrade_v1.record(
        freq="M",
        period="202303",
        reporter=Party(398, "KAZ", "Kazakhstan"),
        partner=WORLD,
        flow="RX",
        cmd="271121",
        cmd_desc="gas",
        value=10.0,
        rev="H6",
        weight=2.5,
    )
    assert (row["refPeriodId"], row["refMonth"], row["aggrLevel"], row["isLeaf"]) == (
        20230301,
        3,
        6,
        True,
    )
    assert (row["fobvalue"], row["cifvalue"], row["flowDesc"]) == (10.0, None, "Re-export")
    assert row["isAggregate"] and row["qtyUnitAbbr"] == "kg" and row["netWgt"] == 2.5


def test_one_definition_of_pinned_parameters(corpus):
    assert fetch_comtrade.PINNED is comtrade_v1.PINNED
    emu = ComtradeEmulator(corpus=corpus)
    row = emu.row("A", 156, 398, "2023", "X", "TOTAL", 5.0, "H6")
    assert row == comtrade_v1.record(
        freq="A",
        period="2023",
        reporter=Party(156, "CHN", "China"),
        partner=Party(398, "KAZ", "Kazakhstan"),
        flow="X",
        cmd="TOTAL",
        cmd_desc="All Commodities",
        value=5.0,
        rev="H6",
        weight=None,
    )
