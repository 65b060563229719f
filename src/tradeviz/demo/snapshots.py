"""How the demo stores a synthetic Comtrade answer: the manifest fields a real fetch writes,
marked synthetic. Shared by the product rows (demo/data.py) and the partners view
(demo/partners.py), which therefore never import each other the wrong way round."""

from __future__ import annotations

from tradeviz.demo.priors import load
from tradeviz.store.raw import RawStore, query_key

# "fetched" mid-year after the demo's last Comtrade year, as a real annual fetch would be
DEMO_FETCHED_AT = f"{load().years[-1] + 1}-06-30T00:00:00Z"


def save_demo_comtrade(
    store: RawStore, body: bytes, records: int, params: dict[str, str], **extra: str
) -> None:
    """Store one synthetic annual Comtrade answer with the manifest fields a real fetch
    writes, marked synthetic (`extra`, e.g. the plan, goes after the tier)."""
    store.save(
        "comtrade",
        body,
        "json",
        {
            "endpoint": "synthetic demo (tradeviz demo), no API call",
            "tier": "demo",
            **extra,
            "freq": "A",
            "params": params,
            "query_key": query_key("comtrade", {"freq": "A", **params}),
            "http_status": None,
            "records": records,
            "count": records,
            "complete": True,
            "synthetic": True,
            "fetched_at": DEMO_FETCHED_AT,
        },
    )
