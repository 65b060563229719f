"""Strict check of a Comtrade v1 data body: the envelope and the type of every row field the
build reads. A body that fails is retried once by the HTTP layer, then reported with the
query; it is never stored as a complete snapshot (NaN values, null codes and missing fields
would otherwise surface as a crash or a silent gap at build time).
"""

from __future__ import annotations

import json
import math

from tradeviz.errors import BadResponseError

# field -> accepted JSON types; None in the tuple means null is allowed
REQUIRED: dict[str, tuple] = {
    "freqCode": (str,),
    "refYear": (int,),
    "period": (str, int),
    "reporterCode": (int,),
    "partnerCode": (int,),
    "flowCode": (str,),
    "cmdCode": (str,),
    "classificationCode": (str,),
    "primaryValue": (int, float),
}
OPTIONAL_NUMBERS = ("cifvalue", "fobvalue", "netWgt", "qty")
SHOWN = 3


class InvalidRowsError(BadResponseError):
    """The envelope is whole but rows do not have the v1 types (retried once, then fatal)."""


def validate_v1(body: bytes) -> dict:
    """Parse a v1 data response and check it: the envelope, then every row's types.

    Drop-in for `validate=` of HttpClient.get (raises BadResponseError subclasses)."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadResponseError(f"not valid JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list) or "count" not in doc:
        raise BadResponseError("JSON without the v1 envelope {count, data, error}")
    # a count above the records is a capped answer giving every match (issue 22)
    if not isinstance(doc["count"], int) or doc["count"] < len(doc["data"]):
        raise BadResponseError(f"count {doc['count']} but {len(doc['data'])} records")
    problems = row_problems(doc["data"])
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise InvalidRowsError("rows fail the v1 types: " + "; ".join(problems[:SHOWN]) + more)
    return doc


def row_problems(rows: list) -> list[str]:
    """One message per bad row: which field is missing, null, NaN or of the wrong type."""
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            out.append(f"record {i} is a {type(row).__name__}, not an object")
            continue
        for name, types in REQUIRED.items():
            if name not in row:
                out.append(f"record {i} lacks {name}")
            elif row[name] is None:
                out.append(f"record {i} has {name}=null")
            elif isinstance(row[name], bool) or not isinstance(row[name], types):
                out.append(f"record {i} has {name}={row[name]!r} ({type(row[name]).__name__})")
            elif isinstance(row[name], float) and not math.isfinite(row[name]):
                out.append(f"record {i} has {name}={row[name]}")
        for name in OPTIONAL_NUMBERS:
            value = row.get(name)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                out.append(f"record {i} has {name}={value!r}")
    return out
