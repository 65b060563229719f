"""Comtrade v1 snapshots to flow rows: typed columns, codes as strings, breakdowns dropped."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from tradeviz.errors import SnapshotError
from tradeviz.store.raw import Snapshot
from tradeviz.vocab.countries import BY_COMTRADE, WORLD_ISO3
from tradeviz.vocab.flows import FLOW_NAMES

if TYPE_CHECKING:
    import pandas as pd

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

    def add(self, other: ParseReport) -> None:
        self.breakdown_rows += other.breakdown_rows
        self.other_flow_rows += other.other_flow_rows
        self.unknown_codes |= other.unknown_codes


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
    """read_table() as pandas: the needed raw columns (for inspection and tests)."""
    return read_table(body).to_pandas()


_SELECTED = pa.schema([ARROW_SCHEMA.field(c) for c in COLUMNS])
ENVELOPE_SCHEMA = pa.schema(
    [("count", pa.int64()), ("data", pa.list_(pa.struct(list(ARROW_SCHEMA))))]
)


def _read_arrow(holder: list[bytes]) -> tuple[pa.Table | None, bytes | None]:
    """The needed columns of a v1 envelope read by pyarrow, typed by ARROW_SCHEMA (record
    fields the build does not need are skipped); no record becomes a Python object.

    A compact body (the API's: no line breaks) is split into its records by msgspec, a
    real JSON parser, so a "},{" inside a string is data, not a boundary; the records are
    parsed as JSON lines, block by block, on PARSE_THREADS threads (pyarrow releases the
    GIL). Memory: the body and a few blocks, not a second copy of it. Any other body is
    read whole as one JSON document. A body pyarrow cannot take (a field of another type,
    not an object, count unlike the records) returns None with the bytes handed back, for
    the record-by-record reader. On success the original bytes are already released."""
    body = holder.pop()
    if not _OBJECT_FIRST.match(body):
        return None, body  # pyarrow's reader crashes on some documents that are not objects
    if _pretty(body):
        return _read_whole(body)
    records = _records(body)
    if records is None:
        return None, body  # the record-by-record reader says what is wrong
    try:
        table = _parse_lines(records)
    except _ARROW_REJECTS:
        return None, body
    return table, None


_OBJECT_FIRST = re.compile(rb"\s*\{")
_ARROW_REJECTS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def _pretty(body: bytes) -> bool:
    """Line breaks inside the body (pretty-printed): a record may span lines."""
    end = len(body)
    while end and body[end - 1] in b"\r\n":
        end -= 1
    return body.find(b"\n", 0, end) >= 0 or body.find(b"\r", 0, end) >= 0


def _records(body: bytes) -> list | None:
    """The `data` records of a compact envelope as raw JSON slices of the body (no copy),
    or None when the body is not one: no envelope, count unlike the records, or a record
    that is not an object (pyarrow's line reader crashes on a leading `null`:
    apache/arrow#47409)."""
    import msgspec

    try:
        envelope = _envelope_decoder().decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    records = envelope.data
    if envelope.count != len(records):
        return None
    if not all(memoryview(r)[:1] == b"{" for r in records):
        return None
    return records


@functools.cache
def _envelope_decoder():  # noqa: ANN202 (msgspec imported lazily)
    import msgspec

    envelope = msgspec.defstruct(
        "RecordsEnvelope",
        [("count", int), ("data", list[msgspec.Raw])],
        forbid_unknown_fields=False,
    )
    return msgspec.json.Decoder(envelope)


BLOCK_RECORDS = 2000  # records per JSON-lines block (~2.5 MB of a v1 response)
PARSE_THREADS = 2


def _parse_lines(records: list) -> pa.Table:
    """Records parsed as JSON lines, block by block on a thread pool, in order."""
    blocks = (records[i : i + BLOCK_RECORDS] for i in range(0, len(records), BLOCK_RECORDS))
    tables = list(parse_pool().map(_parse_block, blocks))
    return pa.concat_tables(tables) if tables else _SELECTED.empty_table()


def _parse_block(records: list) -> pa.Table:
    return _read_json(b"\n".join(records), _SELECTED)


def _read_json(text: bytes, schema: pa.Schema) -> pa.Table:
    """`text` read by pyarrow in one block on this thread, typed by `schema`; fields the
    schema lacks are skipped."""
    return pj.read_json(
        pa.BufferReader(text),
        read_options=pj.ReadOptions(use_threads=False, block_size=len(text) + 1),
        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )


RECORD_BREAK = b'},{"'  # between two records of a compact body (or inside a text: see read_stream)
STREAM_AHEAD = 2  # runs of one body parsed at a time
_HEAD_LIMIT = 1 << 20  # bytes searched for the envelope's "data":[
_TAIL_LIMIT = 1 << 16  # bytes after the last record searched for the envelope's end
_CARRY_LIMIT = 8 << 20  # bytes without a record boundary: not a compact v1 body


def read_stream(pieces: Iterable[bytes]) -> list[pa.Table] | None:
    """The needed columns of a compact v1 envelope, parsed as its pieces arrive (e.g.
    `RawStore.pieces`: decompressed as read), so the body is never held whole. Each piece,
    after the start of the record the previous one cut, is parsed up to its last `},{"`
    as a document `{"data":[...]}` of its own, by pyarrow's JSON reader on the parse
    pool: the runs' tables, in order.

    A piece cut at a `},{"` that ends a text would end its document inside a string,
    which no JSON reader accepts; the rest of the envelope is parsed for its `count`,
    which must equal the rows read; and a row without any needed field (an object from
    after the data array) is no record. So whatever this reader cannot place (a
    pretty-printed body, records not joined by `},{"`, a cut inside a text, a record that
    is not an object, a field of another type) returns None, and the caller reads the
    body whole with read_table(), which takes it or says what is wrong."""
    it = iter(pieces)
    head = _head(it)
    if head is None:
        return None
    prefix, rest = head
    pool, inflight, runs = parse_pool(), deque(), []

    def parse(*run: object) -> None:
        if len(inflight) >= STREAM_AHEAD:
            runs.append(inflight.popleft().result())
        inflight.append(pool.submit(_parse_run, *run))

    carry = b""  # the start of a record the previous piece cut
    try:
        for piece in itertools.chain([rest], it):
            # the records up to the last boundary, as a document of their own: the `,{`
            # of that boundary is overwritten with `]}` (no further copy)
            text = bytearray().join((_RUN_OPEN, carry, piece))
            last = text.rfind(RECORD_BREAK)
            if last < 0:
                carry = bytes(text[len(_RUN_OPEN) :])
                if len(carry) > _CARRY_LIMIT:  # records not joined by `},{"`: read it whole
                    return None
                continue
            carry = bytes(text[last + 2 :])
            text[last + 1 : last + 3] = b"]}"
            parse(text, last + 3)
            if runs and runs[-1] is None:
                return None
        end = _data_end(prefix, carry)
        if end is None:
            return None
        records, count = end
        if records:
            parse(_RUN_OPEN + records + b"]}")
        while inflight:
            runs.append(inflight.popleft().result())
    finally:
        for pending in inflight:
            pending.cancel()
    if any(r is None for r in runs) or count != sum(r.num_rows for r in runs):
        return None
    if runs and _empty_rows(pa.concat_tables(runs)):  # an object from after the data array
        return None
    return runs


def _empty_rows(table: pa.Table) -> bool:
    """Whether a row has none of the needed fields (every v1 record has them). Checked
    once per body: per run, its ~40 Arrow calls each waited for the GIL while the main
    thread imported pandas (the build took 0.4 s longer)."""
    if not table.num_rows:
        return False
    found = functools.reduce(pc.or_, (pc.is_valid(c) for c in table.columns))
    return not pc.all(found).as_py()


def _head(it: Iterator[bytes]) -> tuple[bytes, bytes] | None:
    """(the envelope up to its "data":[ , the bytes after it) from the first pieces; None
    unless the body is a compact object whose data array starts with a record or ends."""
    head = b""
    for piece in it:
        head += piece
        at = head.find(b'"data":[')
        if 0 <= at < len(head) - len(b'"data":['):  # and the byte after it
            prefix, rest = head[:at], head[at + len(b'"data":[') :]
            compact = not (b"\n" in prefix or b"\r" in prefix)
            if compact and _OBJECT_FIRST.match(prefix) and rest[:1] in (b"{", b"]"):
                return prefix, rest
            return None
        if len(head) > _HEAD_LIMIT:
            return None
    return None


def _data_end(prefix: bytes, buf: bytes) -> tuple[bytes, object] | None:
    """(the last records, the envelope's count) from the body's last bytes: the data array
    ends at the last `]` after which the rest completes the envelope as JSON."""
    pos, stop = len(buf), max(-1, len(buf) - _TAIL_LIMIT)
    while (pos := buf.rfind(b"]", 0, pos)) > stop:
        try:
            envelope = json.loads(prefix + b'"data":null' + buf[pos + 1 :])
        except ValueError:
            continue
        records = buf[:pos]
        if not isinstance(envelope, dict) or (records and not records.endswith(b"}")):
            return None
        return records, envelope.get("count")
    return None


_RUN_OPEN = b'{"data":['
_RUN_SCHEMA = pa.schema([ENVELOPE_SCHEMA.field("data")])


def _parse_run(text: bytes | bytearray, stop: int | None = None) -> pa.Table | None:
    """The records of `{"data":[{...},{...}]}` (`text[:stop]`) read by pyarrow; None when
    it cannot take them."""
    doc = pa.py_buffer(text)
    read = _data_records(doc if stop is None else doc[:stop], _RUN_SCHEMA)
    return None if read is None else read[1]


def _data_records(text: bytes | pa.Buffer, schema: pa.Schema) -> tuple[pa.Table, pa.Table] | None:
    """(the document's one row, its `data` records as the needed columns) of a JSON object
    read by pyarrow and typed by `schema`; None when pyarrow cannot take it, it is not one
    object with a `data` list, or a record is not an object."""
    try:
        table = _read_json(text, schema)
    except _ARROW_REJECTS:
        return None
    if table.num_rows != 1:
        return None
    data = table.column("data").combine_chunks()
    if not data.is_valid()[0].as_py():
        return None
    rows = data.flatten()
    if rows.null_count:  # a record that is not an object
        return None
    return table, pa.table({name: rows.field(name) for name in COLUMNS}, schema=_SELECTED)


_POOL_LOCK = threading.Lock()


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(PARSE_THREADS, thread_name_prefix="tradeviz-parse")


def parse_pool() -> ThreadPoolExecutor:
    """The threads that parse blocks of records (one pool per process)."""
    with _POOL_LOCK:
        return _pool()


def _read_whole(body: bytes) -> tuple[pa.Table | None, bytes | None]:
    """The whole envelope read by pyarrow as one JSON document, typed by ENVELOPE_SCHEMA,
    then the `data` list flattened into columns. None (bytes handed back) for a body that
    is not an object, a `count` unlike the records, or a record that is not an object."""
    if not _OBJECT_FIRST.match(body):
        return None, body
    read = _data_records(body, ENVELOPE_SCHEMA)
    if read is None or read[0].column("count")[0].as_py() != read[1].num_rows:
        return None, body
    return read[1], None


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


def read_table(body: bytes | list[bytes], split: bool = True) -> pa.Table:
    """The needed columns of a v1 response as Arrow, typed by ARROW_SCHEMA: pyarrow's JSON
    reader when it can take the body (records split in blocks, or the envelope whole),
    else the record-by-record reader with each column cast to its type. Given a one-item
    list, the bytes are released early."""
    holder = body if isinstance(body, list) else [body]
    del body
    fast, keep = _read_arrow(holder) if split else _read_whole(holder.pop())
    if fast is not None:
        return fast
    columns = read_columns([keep])
    return pa.table([_typed(columns.pop(f.name), f.type) for f in _SELECTED], schema=_SELECTED)


def _typed(values: list, kind: pa.DataType) -> pa.Array:
    """One column of the record-by-record reader as `kind` (a number sent as text, or text
    sent as a number, is converted as pandas would)."""
    try:
        return pa.array(values, type=kind, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        import pandas as pd

        series = pd.Series(values, dtype=object)
        if pa.types.is_string(kind):
            return pa.array(series.where(series.isna(), series.astype(str)), type=kind)
        return pa.array(pd.to_numeric(series), from_pandas=True).cast(kind)


def parse_comtrade(
    body: bytes | list[bytes], snap: Snapshot, path: str, report: ParseReport
) -> pa.Table:
    """Flow rows of one snapshot's whole body as Arrow, repetitive strings
    dictionary-encoded (the parts of a large build then take a fraction of the final
    table's memory until they are joined). Pass the bytes in a one-item list to let them
    be freed early."""
    holder = body if isinstance(body, list) else [body]
    del body
    with _naming(path):
        return flow_rows(read_table(holder), snap, report)


def parse_comtrade_stream(
    pieces: Iterable[bytes], snap: Snapshot, path: str, report: ParseReport
) -> pa.Table | None:
    """parse_comtrade() of a body given in pieces, never held whole (read_stream); None
    when the body has to be read whole instead. The runs become flow rows together, once
    the body is read: one conversion per body, not per run, keeps the parse threads off
    the GIL while the build's main thread imports pandas."""
    with _naming(path):
        runs = read_stream(pieces)
        if runs is None:
            return None
        raw = pa.concat_tables(runs) if runs else _SELECTED.empty_table()
        del runs
        return flow_rows(raw, snap, report)


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """A body that cannot be parsed is a SnapshotError naming its file and the fix."""
    try:
        yield
    except (
        ValueError,
        UnicodeDecodeError,
        IndexError,
        AttributeError,
        KeyError,
        TypeError,
        pa.ArrowException,
    ) as exc:
        raise SnapshotError(
            f"raw snapshot {path} is not a readable Comtrade response ({exc.__class__.__name__}:"
            f" {exc}). Fix: delete it and run `tradeviz fetch comtrade --refresh`"
        ) from None


def flow_rows(raw: pa.Table, snap: Snapshot, report: ParseReport) -> pa.Table:
    """Typed v1 columns to flows columns: breakdown rows (customs procedure, transport mode,
    second partner) and flows other than imports, exports, re-imports and re-exports are
    dropped and counted; codes stay strings. Vectorised in Arrow, no row becomes Python."""
    breakdown = pc.or_(
        pc.or_(
            pc.not_equal(pc.fill_null(raw["customsCode"], "C00"), "C00"),
            pc.not_equal(pc.fill_null(raw["motCode"], 0), 0),
        ),
        pc.not_equal(pc.fill_null(raw["partner2Code"], 0), 0),
    )
    flow_codes, flow_labels = _flow_vocab()
    known_flow = pc.fill_null(pc.is_in(raw["flowCode"], flow_codes), False)
    report.breakdown_rows += pc.sum(breakdown).as_py() or 0
    report.other_flow_rows += (
        pc.sum(pc.and_(pc.invert(known_flow), pc.invert(breakdown))).as_py() or 0
    )
    keep = pc.and_(known_flow, pc.invert(breakdown))
    if not pc.all(keep).as_py():  # a filter copies every column: only when rows go
        raw = raw.filter(keep)
    n = raw.num_rows
    month = raw["refMonth"]
    qty_unit = raw["qtyUnitAbbr"]
    columns = {
        "source": _constant("comtrade", n),
        "freq": raw["freqCode"],
        "year": raw["refYear"].cast(pa.int16()),
        "month": pc.if_else(pc.equal(month, 52), None, month).cast(pa.int8()),
        "quarter": pa.nulls(n, pa.int8()),
        "reporter": _iso(raw["reporterCode"], raw["reporterISO"], report),
        "partner": _iso(raw["partnerCode"], raw["partnerISO"], report),
        "flow": pc.take(flow_labels, pc.index_in(raw["flowCode"], flow_codes)),
        "hs_rev": raw["classificationCode"],
        "hs_code": raw["cmdCode"],
        "hs_level": raw["aggrLevel"].cast(pa.int8()),
        "value_usd": raw["primaryValue"],
        "cif_usd": raw["cifvalue"],
        "fob_usd": raw["fobvalue"],
        "net_weight_kg": raw["netWgt"],
        "qty": raw["qty"],
        "qty_unit": pc.if_else(pc.equal(qty_unit, "N/A"), None, qty_unit),
        "is_estimated": pc.invert(pc.fill_null(raw["isReported"], True)),
        "synthetic": pa.repeat(bool(snap.record.get("synthetic", False)), n),
        "snapshot": _constant(snap.sha256, n),
        # the API's own text: describe() falls back to it for codes the reference lacks,
        # then drops it (not a flows column)
        "cmd_desc": raw["cmdDesc"],
    }
    return compact(pa.table(columns))


@functools.cache
def _flow_vocab() -> tuple[pa.Array, pa.Array]:
    """(v1 flow codes, flows names) as Arrow, built on first use (pa.array imports pandas:
    not at import time, so the build can start parsing before pandas is loaded)."""
    return pa.array(list(FLOW_NAMES)), pa.array(list(FLOW_NAMES.values()))


def _constant(value: str, n: int) -> pa.DictionaryArray:
    """A column of one repeated string, stored once."""
    return pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), n), pa.array([value]))


def compact(table: pa.Table) -> pa.Table:
    """String columns dictionary-encoded (codes, names and flags repeat across rows), each
    in one chunk with one dictionary (chunks encoded one by one would repeat their common
    values in every chunk's dictionary)."""
    columns = [_one_dictionary(c) for c in table.columns]
    return pa.table(columns, names=table.column_names)


def _one_dictionary(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.combine_chunks().dictionary_encode()
    return column


def _iso(codes: pa.ChunkedArray, isos: pa.ChunkedArray, report: ParseReport) -> pa.ChunkedArray:
    """ISO3 of Comtrade country codes: our six and World by code, others from the row's own
    ISO field (present because every fetch sends includeDesc=true)."""
    known_codes, known_iso, no_iso = _country_vocab()
    by_code = pc.take(known_iso, pc.index_in(codes, known_codes))
    own = pc.if_else(pc.is_in(isos, no_iso), None, isos)
    mapped = pc.coalesce(by_code, own)
    missing = pc.filter(codes, pc.is_null(mapped))
    # a row with neither a code nor an ISO field is reported as code -1
    report.unknown_codes |= {-1 if c is None else int(c) for c in pc.unique(missing).to_pylist()}
    return mapped


@functools.cache
def _country_vocab() -> tuple[pa.Array, pa.Array, pa.Array]:
    """(codes mapped by code: our six and World, their ISO3, ISO fields that name none)."""
    known = {0: WORLD_ISO3, **{c: k.iso3 for c, k in BY_COMTRADE.items()}}
    return (
        pa.array(list(known), pa.int64()),
        pa.array(list(known.values()), pa.string()),
        pa.array(["W00", ""], pa.string()),
    )
