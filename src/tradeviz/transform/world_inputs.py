"""Which raw snapshots feed the world layer, and which of its partitions each can fill:
read from the manifest line alone (no pandas, no parsing), so the build can split its
inputs before the parse starts."""

from __future__ import annotations

from tradeviz.store.raw import Snapshot


def is_world(snap: Snapshot) -> bool:
    """A Comtrade answer with partner World by product (what `--plan world` stores): it
    feeds the world table, not the flows table."""
    params = snap.record.get("params") or {}
    return (
        snap.source == "comtrade"
        and str(params.get("partnerCode", "")) == "0"
        and str(params.get("cmdCode", "TOTAL")) != "TOTAL"
        and str(snap.record.get("freq", "A")) == "A"
    )


def covers(snap: Snapshot) -> list[tuple[int, int]]:
    """(level, year) partitions a world snapshot's query can hold rows of."""
    params = snap.record.get("params") or {}
    levels = set()
    for code in str(params.get("cmdCode", "")).split(","):
        code = code.strip()
        if code.startswith("AG") and code[2:].isdigit():
            levels.add(int(code[2:]))
        elif code and code != "TOTAL":
            levels.add(len(code))
    years = {int(p.strip()[:4]) for p in str(params.get("period", "")).split(",") if p.strip()}
    return sorted((level, year) for level in levels & {2, 4, 6} for year in years)
