"""formats/comtrade_v1_decode: the fetch's check of a v1 answer keeps raw record slices,
checks every row's types up front, and gives typed rows when they are read."""

from __future__ import annotations

import json

import pytest

from tradeviz.errors import BadResponseError
from tradeviz.extract.v1_rows import InvalidRowsError
from tradeviz.formats import comtrade_v1_decode as v1

ROW = {
    "freqCode": "A",
    "refYear": 2020,
    "period": "2020",
    "reporterCode": 156,
    "partnerCode": 398,
    "flowCode": "M",
    "cmdCode": "010121",
    "classificationCode": "H6",
    "primaryValue": 12.5,
    "cifvalue": None,
    "extra": "ignored",
}


def _body(rows: list[dict], count: int | None = None) -> bytearray:
    doc = {
        "elapsedTime": "0",
        "count": len(rows) if count is None else count,
        "error": "",
        "data": rows,
    }
    return bytearray(json.dumps(doc).encode())  # the HTTP layer hands out a bytearray


def test_rows_are_typed_when_read_and_every_row_is_checked_up_front():
    rows = [{**ROW, "cmdCode": f"0101{i:02d}", "primaryValue": float(i)} for i in range(5)]
    doc = v1.decode(_body(rows))
    assert doc.count == len(doc.data) == 5 and doc.error == ""
    assert [r.cmdCode for r in doc.data] == [f"0101{i:02d}" for i in range(5)]
    assert doc.data[-1].primaryValue == 4.0 and doc.data[1:3][0].cmdCode == "010101"
    assert doc.data[0].cifvalue is None
    bad = [*rows[:3], {**ROW, "reporterCode": "156"}, *rows[3:]]
    with pytest.raises(InvalidRowsError, match=r"\$\.data\[3\]\.reporterCode"):
        v1.decode(_body(bad))  # found before any row is read
    missing = [*rows[:1], {k: v for k, v in ROW.items() if k != "flowCode"}]
    with pytest.raises(InvalidRowsError, match=r"flowCode.*\$\.data\[1\]"):
        v1.decode(_body(missing))


def test_envelope_problems_are_bad_responses():
    with pytest.raises(BadResponseError, match="count 1 but 3"):
        v1.decode(_body([ROW, ROW, ROW], count=1))
    assert v1.decode(_body([ROW], count=3)).count == 3  # a capped answer's every match
    with pytest.raises(BadResponseError, match="not valid JSON"):
        v1.decode(_body([ROW])[:-5])
    with pytest.raises(BadResponseError, match="envelope"):
        v1.decode(bytearray(b'{"data": []}'))
