"""Typed decoding of a Comtrade v1 data envelope with msgspec: one pass over the bytes, no
dict per record, unknown fields skipped, and the types of the fields the build reads
checked on the way (those of `tradeviz.extract.v1_rows.REQUIRED`, the single definition).

Used by the fetcher to check a response before it is stored: a 100,000-row answer then
costs a fraction of its size in memory, not six times it as `json.loads` does. The records
are kept as raw JSON slices of the body (no copy) and checked one at a time, so the typed
rows of a whole answer never exist at once (they took 0.6 x the body); `.data` decodes a
row again when it is read. No HTTP here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

import msgspec

from tradeviz.errors import BadResponseError
from tradeviz.extract.v1_rows import OPTIONAL_NUMBERS, REQUIRED, InvalidRowsError


def _union(types: tuple) -> Any:
    return types[0] if len(types) == 1 else Union[types]  # noqa: UP007 (runtime union)


@functools.cache
def _types() -> tuple[type, type]:
    fields: list[tuple] = [(name, _union(types)) for name, types in REQUIRED.items()]
    fields += [(name, float | None, None) for name in OPTIONAL_NUMBERS]
    row = msgspec.defstruct("V1Row", fields, forbid_unknown_fields=False, gc=False)
    envelope = msgspec.defstruct(
        "V1Envelope",
        [("count", int), ("data", list[msgspec.Raw]), ("error", str | None, None)],
        forbid_unknown_fields=False,
    )
    return row, envelope


@functools.cache
def _row_decoder() -> msgspec.json.Decoder:
    return msgspec.json.Decoder(_types()[0])


def row_fields() -> tuple[str, ...]:
    """Names of the decoded row fields, in struct order."""
    return _types()[0].__struct_fields__


class Rows(Sequence):
    """The records of an envelope, each decoded to a typed row when read."""

    def __init__(self, raw: list[msgspec.Raw]):
        self._raw = raw

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, i):  # noqa: ANN001 (int or slice, as list)
        if isinstance(i, slice):
            return [_row(r, k) for k, r in zip(range(len(self._raw))[i], self._raw[i], strict=True)]
        return _row(self._raw[i], i % max(len(self._raw), 1))

    def __iter__(self) -> Iterator[Any]:
        for k, raw in enumerate(self._raw):
            yield _row(raw, k)


@dataclass
class Envelope:
    count: int
    data: Rows
    error: str | None


def _row(raw: msgspec.Raw, k: int) -> Any:
    """Record k typed; InvalidRowsError naming `$.data[k]` as a whole decode would."""
    try:
        return _row_decoder().decode(raw)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = f"$.data[{k}]"
        text = (
            text.replace("`$", f"`{where}", 1) if " - at `$" in text else f"{text} - at `{where}`"
        )
        raise InvalidRowsError(f"rows fail the v1 types: {text}") from None


def decode(body: bytes) -> Envelope:
    """The envelope: `.count`, `.data` (rows with attributes), `.error`.

    Raises BadResponseError when the body is not a whole v1 envelope or its count is below
    its records (a count above them is a capped answer: issue 22), and InvalidRowsError
    (retried once by the HTTP layer) when a row's field is missing, null where a value is
    required, or of the wrong type."""
    _, envelope = _types()
    try:
        doc = msgspec.json.decode(body, type=envelope)
    except msgspec.ValidationError as exc:
        where = str(exc)
        if "$.data[" in where:
            raise InvalidRowsError(f"rows fail the v1 types: {where}") from None
        raise BadResponseError(
            f"JSON without the v1 envelope {{count, data, error}}: {where}"
        ) from None
    except msgspec.DecodeError as exc:
        raise BadResponseError(f"not valid JSON (DecodeError: {exc})") from None
    if doc.count < len(doc.data):  # a larger count is a capped answer's every match
        raise BadResponseError(f"count {doc.count} but {len(doc.data)} records")
    for k, raw in enumerate(doc.data):  # every row checked now; none kept
        _row(raw, k)
    return Envelope(doc.count, Rows(doc.data), doc.error)
