"""Fetch retired snapshots' queries again (for `tradeviz raw verify --fix`).

A Comtrade manifest line stores its query's parameters, so the exact same query (same query
key) is rebuilt and run through the fetcher; other sources get the command that refetches
them.
"""

from __future__ import annotations

import logging

from tradeviz import config
from tradeviz.errors import TradevizError
from tradeviz.store.raw import RawStore, Snapshot
from tradeviz.store.verify import refetch_command

log = logging.getLogger(__name__)


def comtrade_query(record: dict):
    """The Query a Comtrade manifest line was fetched with (its key checked), or None."""
    from tradeviz.extract.comtrade import Query

    params = record.get("params") or {}
    try:
        query = Query(
            freq=str(record.get("freq", "A")),
            reporters=tuple(int(x) for x in str(params["reporterCode"]).split(",")),
            partners=tuple(int(x) for x in str(params["partnerCode"]).split(",")),
            periods=tuple(str(params["period"]).split(",")),
            cmd=tuple(str(params["cmdCode"]).split(",")),
            flows=tuple(str(params["flowCode"]).split(",")),
        )
    except (KeyError, ValueError):
        return None
    return query if query.key == record.get("query_key") else None


def refetch(store: RawStore, snaps: list[Snapshot]) -> tuple[list[str], list[str]]:
    """(descriptions of the queries fetched again, commands for those that were not)."""
    from tradeviz.extract.comtrade import ComtradeFetcher

    done: list[str] = []
    commands: set[str] = set()
    fetchers: dict[int | None, ComtradeFetcher] = {}
    for snap in snaps:
        query = comtrade_query(snap.record) if snap.source == "comtrade" else None
        if query is None:
            commands.add(refetch_command(snap))
            continue
        cap = snap.record.get("max_records")
        if cap not in fetchers:
            fetchers[cap] = ComtradeFetcher(
                store, api_key=config.comtrade_key(), max_records=cap, progress=False
            )
        try:
            fetchers[cap]._fetch(query)  # the fetcher's one-query step: same key, same cap
        except TradevizError as exc:
            log.warning("comtrade: could not refetch %s: %s", query.describe(), exc)
            commands.add(refetch_command(snap))
            continue
        done.append(query.describe())
    return done, sorted(commands)
