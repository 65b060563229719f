"""UN Comtrade reference lists (HS codes per revision) kept in the raw layer.

The combined list `HS.json` holds every code of every revision; `H0.json`…`H6.json` hold
one revision each. The query planner takes the HS codes of a level from HS.json to ask for
large cells in code lists, and the focus-area rules are checked against them.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from tradeviz import config
from tradeviz.errors import BadResponseError, HttpError
from tradeviz.extract.http import HttpClient
from tradeviz.store.raw import RawStore, Snapshot, query_key
from tradeviz.vocab.revisions import HS_REVISIONS

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

SOURCE = "comtrade_reference"
DEFAULT_LISTS = ("HS", *HS_REVISIONS)


def _validate(body: bytes) -> dict:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadResponseError(f"reference list is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise BadResponseError("reference list has no 'results' array")
    return doc


def fetch_reference(
    store: RawStore,
    client: HttpClient,
    names: tuple[str, ...] = DEFAULT_LISTS,
    refresh: bool = False,
) -> dict[str, Snapshot]:
    """Download reference lists into the raw layer (skipping those already there)."""
    have = latest_reference(store)
    out: dict[str, Snapshot] = {}
    for name in names:
        if name in have and not refresh:
            out[name] = have[name]
            continue
        path = f"/files/v1/app/reference/{name}.json"
        try:
            got = client.get(config.comtrade_url() + path, validate=_validate)
        except HttpError as exc:
            if exc.status == 404:
                log.warning(
                    "reference list %s.json is not served by %s (HTTP 404); skipped",
                    name,
                    config.comtrade_url(),
                )
                continue
            raise
        meta = {
            "endpoint": path,
            "reference": name,
            "params": {"name": name},
            "query_key": query_key(SOURCE, {"name": name}),
            "http_status": got.status,
            "url": got.url,
            "records": len(got.parsed["results"]),
            "complete": True,
            "base_url": config.comtrade_url(),
        }
        out[name] = store.save(SOURCE, got.body, "json", meta)
    return out


def latest_reference(store: RawStore) -> dict[str, Snapshot]:
    return {s.record["reference"]: s for s in store.latest_by_query(SOURCE).values()}


def parse_reference(body: bytes) -> pd.DataFrame:
    """Reference JSON to a frame: code (str), text, parent, level (int), is_leaf (bool)."""
    import pandas as pd  # not at import: a keyed fetch never needs it (fetch memory)

    doc = _validate(body)
    frame = pd.DataFrame(doc["results"])
    return pd.DataFrame(
        {
            "code": frame["id"].astype(str),
            "text": frame["text"].astype(str),
            "parent": frame["parent"].astype(str),
            "level": frame["aggrLevel"].astype(int),
            "is_leaf": frame["isLeaf"].astype(str).isin(["1", "true", "True"]),
        }
    )


def load_reference(store: RawStore, name: str = "HS") -> pd.DataFrame | None:
    snap = latest_reference(store).get(name)
    return None if snap is None else parse_reference(store.read(snap))
