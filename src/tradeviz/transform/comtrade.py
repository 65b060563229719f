"""Comtrade v1 snapshots to flow rows: typed columns, codes as strings, breakdowns dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pj

from tradeviz.errors import SnapshotError
from tradeviz.store.raw import Snapshot
from tradeviz.vocab.countries import BY_COMTRADE, WORLD_ISO3
from tradeviz.vocab.flows import FLOW_NAMES

COLUMNS = [
    "freqCode",
    "refYear",
    "refMonth",
    "reporterCode",
    "reporterISO",
    "partnerCode",
    "partnerISO",
    "partner2Code",
    "flowCode",
    "classificationCode",
    "cmdCode",
    "cmdDesc",
    "aggrLevel",
    "customsCode",
    "motCode",
    "primaryValue",
    "cifvalue",
    "fobvalue",
    "netWgt",
    "qty",
    "qtyUnitAbbr",
    "isReported",
]


@dataclass
class ParseReport:
    breakdown_rows: int = 0
    other_flow_rows: int = 0
    unknown_codes: set = field(default_factory=set)


# Types of the needed fields; the fast reader parses only these and ignores the rest.
ARROW_SCHEMA = pa.schema(
    [
        ("freqCode", pa.string()),
        ("refYear", pa.int64()),
        ("refMonth", pa.int64()),
        ("reporterCode", pa.int64()),
        ("reporterISO", pa.string()),
        ("partnerCode", pa.int64()),
        ("partnerISO", pa.string()),
        ("partner2Code", pa.int64()),
        ("flowCode", pa.string()),
        ("classificationCode", pa.string()),
        ("cmdCode", pa.string()),
        ("cmdDesc", pa.string()),
        ("aggrLevel", pa.int64()),
        ("customsCode", pa.string()),
        ("motCode", pa.int64()),
        ("primaryValue", pa.float64()),
        ("cifvalue", pa.float64()),
        ("fobvalue", pa.float64()),
        ("netWgt", pa.float64()),
        ("qty", pa.float64()),
        ("qtyUnitAbbr", pa.string()),
        ("isReported", pa.bool_()),
    ]
)


def read_frame(body: bytes | list[bytes]) -> pd.DataFrame:
    """The needed columns of a v1 response: pyarrow's JSON reader on the whole envelope
    when it can take the body, else the record-by-record reader. Either way the envelope's `count`
    must equal the rows read. Given a one-item list, the bytes are released early."""
    holder = body if isinstance(body, list) else [body]
    del body
    fast, keep = _read_arrow(holder)
    if fast is not None:
        return fast.to_pandas()
    return pd.DataFrame(read_columns([keep]), columns=COLUMNS)


_SELECTED = pa.schema([ARROW_SCHEMA.field(c) for c in COLUMNS])
ENVELOPE_SCHEMA = pa.schema(
    [("count", pa.int64()), ("data", pa.list_(pa.struct(list(ARROW_SCHEMA))))]
)


def _read_arrow(holder: list[bytes]) -> tuple[pa.Table | None, bytes | None]:
    """The whole envelope read by pyarrow as one JSON line, typed by ENVELOPE_SCHEMA (the
    record fields the build does not need are skipped), then the `data` list flattened
    into columns: no text is rewritten and no record becomes a Python object.

    A body pyarrow cannot take (a field of another type, not an object, count unlike the
    records) returns None with the bytes handed back, for the
    record-by-record reader. On success the original bytes are already released."""
    body = holder.pop()
    try:
        table = pj.read_json(
            pa.BufferReader(body),
            read_options=pj.ReadOptions(use_threads=False, block_size=len(body) + 1),
            parse_options=pj.ParseOptions(
                explicit_schema=ENVELOPE_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None, body
    if table.num_rows != 1:
        return None, body
    count = table.column("count")[0].as_py()
    data = table.column("data").combine_chunks()
    if count is None or not data.is_valid()[0].as_py():
        return None, body
    rows = data.flatten()
    if len(rows) != count:
        return None, body
    del body, table
    columns = {name: rows.field(name) for name in COLUMNS}
    return pa.table(columns, schema=_SELECTED), None


_DECODER = json.JSONDecoder()
_WS = " \t\r\n"
CHUNK = 8388608  # bytes of the response decoded to text at a time


def read_columns(body: bytes | list[bytes]) -> dict[str, list]:
    """The `data` records of a v1 envelope as one list per needed column.

    A 100,000-row response never exists as 100,000 dicts, nor as one decoded string: text
    is decoded 8 MB at a time and records are decoded one by one (the build's peak memory
    was otherwise dominated by them). The rest of the envelope is parsed too, and its
    `count` must equal the records read. Given a one-item list, the bytes are taken out of
    it so that no caller keeps them alive."""
    if isinstance(body, list):
        body = body.pop()
    marker = body.find(b'"data":[')
    if marker < 0:  # not compact JSON (e.g. pretty-printed): parse it whole
        doc = json.loads(body)
        records = doc["data"]
        if doc.get("count") != len(records):
            raise ValueError(f"count {doc.get('count')} but {len(records)} records")
        return {c: [r.get(c) for r in records] for c in COLUMNS}
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    appenders = [(c, cols[c].append) for c in COLUMNS]
    pos = marker + len(b'"data":[')  # next byte not yet decoded
    text, k, n = "", 0, 0

    def refill() -> bool:
        nonlocal text, k, pos
        if pos >= len(body):
            return False
        cut = min(len(body), pos + CHUNK)
        if cut < len(body):  # end the chunk after a '}' (ASCII: a safe UTF-8 boundary)
            brace = body.rfind(b"}", pos, cut)
            cut = brace + 1 if brace >= 0 else cut
        text = text[k:] + body[pos:cut].decode("utf-8")
        k, pos = 0, cut
        return True

    expect_record = True
    while True:
        while k < len(text) and text[k] in _WS:
            k += 1
        if k >= len(text):
            if refill():
                continue
            raise ValueError("data array is not closed")
        ch = text[k]
        if ch == "]":
            break
        if ch == "," and not expect_record:
            k += 1
            expect_record = True
            continue
        if not expect_record:
            raise ValueError(f"unexpected {ch!r} after record {n}")
        try:
            record, k = _DECODER.raw_decode(text, k)
        except json.JSONDecodeError:
            if refill():  # the record may straddle the chunk end
                continue
            raise
        if not isinstance(record, dict):
            raise ValueError(f"record {n + 1} is not an object")
        get = record.get
        for col, append in appenders:
            append(get(col))
        n += 1
        expect_record = False
    close = pos - len(text[k:].encode("utf-8"))  # byte offset of the closing ']'
    envelope = json.loads(body[:marker] + b'"data":null' + body[close + 1 :])
    if envelope.get("count") != n:
        raise ValueError(f"count {envelope.get('count')} but {n} records")
    return cols


def parse_comtrade(
    body: bytes | list[bytes], snap: Snapshot, path: str, report: ParseReport
) -> pd.DataFrame:
    """Rows of one snapshot; pass the bytes in a one-item list to let them be freed early."""
    holder = body if isinstance(body, list) else [body]
    del body
    try:
        raw = read_frame(holder)
    except (ValueError, UnicodeDecodeError, IndexError, AttributeError) as exc:
        raise SnapshotError(
            f"raw snapshot {path} is not a readable Comtrade response ({exc.__class__.__name__}:"
            f" {exc}). Fix: delete it and run `tradeviz fetch comtrade --refresh`"
        ) from None
    if raw.empty:
        return raw
    breakdown = (
        (raw["customsCode"].fillna("C00") != "C00")
        | (raw["motCode"].fillna(0) != 0)
        | (raw["partner2Code"].fillna(0) != 0)
    )
    report.breakdown_rows += int(breakdown.sum())
    unknown_flow = ~raw["flowCode"].isin(list(FLOW_NAMES))
    report.other_flow_rows += int((unknown_flow & ~breakdown).sum())
    raw = raw[~breakdown & ~unknown_flow]
    month = raw["refMonth"].astype("Int64")
    month = month.where(month != 52)
    out = pd.DataFrame(
        {
            "source": "comtrade",
            "freq": raw["freqCode"].astype(str),
            "year": raw["refYear"].astype("int16"),
            "month": month.astype("Int8"),
            "quarter": pd.array([pd.NA] * len(raw), dtype="Int8"),
            "reporter": _iso(raw["reporterCode"], raw["reporterISO"], report),
            "partner": _iso(raw["partnerCode"], raw["partnerISO"], report),
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
            # the API's own text: describe() falls back to it for codes the reference lacks,
            # then drops it (not a flows column)
            "cmd_desc": raw["cmdDesc"].astype("str"),
        }
    )
    return out


def _iso(codes: pd.Series, isos: pd.Series, report: ParseReport) -> pd.Series:
    """ISO3 of Comtrade country codes: our six and World by code, others from the row's own
    ISO field (present because every fetch sends includeDesc=true)."""
    known = {0: WORLD_ISO3, **{c: k.iso3 for c, k in BY_COMTRADE.items()}}
    mapped = codes.map(known).fillna(isos.where(~isos.isin(["W00", None, ""]), np.nan))
    missing = codes[mapped.isna()]
    report.unknown_codes |= set(missing.astype(int).tolist())
    return mapped.astype("str")
