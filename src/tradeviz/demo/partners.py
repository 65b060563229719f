"""The demo's partners view (issue 13): synthetic partner rows for the offline demo, in the
exact Comtrade v1 format, as the partners plan (`tradeviz fetch comtrade --plan partners`)
would fetch them at TOTAL.

Anchored to the demo's own raw layer (read back from the store, so it agrees with
whatever demo/data.py wrote): each reporting country's World and China rows stay as they
are, and what World holds beyond China is spread over its other partners with shares
calibrated to the published pattern (Russia, the EU members, Türkiye, the neighbours,
Korea, Switzerland and the United Kingdom for gold …), 1.2 % "Areas, nes" and 0.5 % that
no partner row accounts for. Turkmenistan does not report: its trade exists only in the
mirror rows its partners report (its World is China's report over China's usual share).
Every snapshot is marked synthetic; nothing here is statistics.
"""

from __future__ import annotations

import json

import numpy as np

from tradeviz.demo.snapshots import save_demo_comtrade
from tradeviz.formats import comtrade_v1
from tradeviz.formats.comtrade_v1 import Party
from tradeviz.store.raw import RawStore
from tradeviz.vocab.countries import BY_COMTRADE, BY_ISO3, CA_ISO3, CHINA

NES = Party(899, "_X", "Areas, nes")
NES_SHARE = 0.012
UNREPORTED_SHARE = 0.005  # World minus every partner row, "Areas, nes" included
CIF = 1.06
# Largest partners other than China, % of the reporter's exports and imports (around
# 2023, from the countries' published trade by partner, rounded; synthetic calibration).
MAIN: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "KAZ": (
        {
            "ITA": 15,
            "RUS": 10,
            "NLD": 7,
            "TUR": 4,
            "UZB": 4,
            "FRA": 4,
            "CHE": 3,
            "KOR": 2,
            "KGZ": 2,
            "ESP": 2,
            "POL": 1,
        },
        {
            "RUS": 30,
            "DEU": 5,
            "KOR": 4,
            "USA": 3,
            "TUR": 3,
            "UZB": 2.5,
            "ITA": 2,
            "BLR": 1.5,
            "FRA": 1.5,
            "JPN": 1.5,
        },
    ),
    "KGZ": (
        {"GBR": 25, "RUS": 14, "KAZ": 14, "UZB": 8, "TUR": 6, "ARE": 4, "CHE": 3},
        {"RUS": 25, "KAZ": 9, "TUR": 4, "UZB": 3, "KOR": 2, "DEU": 2, "USA": 1.5, "BLR": 1},
    ),
    "TJK": (
        {"KAZ": 22, "CHE": 18, "RUS": 10, "TUR": 10, "UZB": 8, "AFG": 5, "IRN": 3},
        {"RUS": 30, "KAZ": 17, "UZB": 6, "TUR": 4, "IRN": 2, "BLR": 2, "DEU": 1.5},
    ),
    "UZB": (
        {"RUS": 15, "CHE": 12, "KAZ": 10, "TUR": 8, "KGZ": 4, "AFG": 4, "GBR": 3, "TJK": 2},
        {
            "RUS": 18,
            "KAZ": 8,
            "KOR": 6,
            "TUR": 6,
            "DEU": 4,
            "TKM": 2,
            "IND": 2,
            "BLR": 1.5,
            "LTU": 1,
        },
    ),
    "TKM": (
        {"TUR": 6, "UZB": 4, "AFG": 3, "RUS": 2, "GEO": 1.5, "IRN": 1.5},
        {"TUR": 22, "RUS": 16, "ARE": 9, "DEU": 5, "IRN": 4, "UZB": 3, "KAZ": 3, "BLR": 2},
    ),
}
# China's share of Turkmenistan's exports and imports, to size its World from China's side.
TKM_CHINA = (0.78, 0.20)
# Smaller partners each country also trades with.
TAIL = (
    "AZE",
    "GEO",
    "ARM",
    "UKR",
    "BLR",
    "LTU",
    "LVA",
    "EST",
    "POL",
    "CZE",
    "AUT",
    "HUN",
    "ROU",
    "BGR",
    "GRC",
    "BEL",
    "SWE",
    "FIN",
    "DNK",
    "NOR",
    "ESP",
    "GBR",
    "USA",
    "CAN",
    "JPN",
    "KOR",
    "IND",
    "PAK",
    "IRN",
    "AFG",
    "ARE",
    "SAU",
    "ISR",
    "EGY",
    "MYS",
    "VNM",
    "THA",
    "SGP",
    "HKG",
    "MNG",
    "BRA",
    "FRA",
    "DEU",
    "ITA",
    "NLD",
    "CHE",
    "TUR",
)
MIRROR_REPORTERS = (
    "RUS",
    "TUR",
    "DEU",
    "ITA",
    "NLD",
    "FRA",
    "KOR",
    "USA",
    "ARE",
    "IRN",
    "AFG",
    "GEO",
    "AZE",
    "UKR",
    "BLR",
    "POL",
    "CHE",
    "GBR",
    "JPN",
    "IND",
    "LTU",
    "ESP",
    "CZE",
    "AUT",
    "BEL",
)


def _party(iso3: str) -> Party:
    c = BY_ISO3[iso3]
    return Party(c.comtrade, c.iso3, c.name)


def _anchors(store: RawStore) -> dict[tuple[str, int, str, str], float]:
    """(reporter, year, partner, flow) -> value of the demo's World and China rows."""
    out: dict[tuple[str, int, str, str], float] = {}
    for snap in store.snapshots("comtrade"):
        if snap.record.get("plan") == "world":
            continue  # HS4 rows, no anchor: decoding them took most of this
        for r in json.loads(store.read(snap))["data"]:
            if r["freqCode"] != "A" or r["flowCode"] not in ("X", "M"):
                continue
            rep = (
                BY_COMTRADE[r["reporterCode"]].iso3
                if r["reporterCode"] in BY_COMTRADE
                else str(r["reporterCode"])
            )
            par = (
                "WLD"
                if r["partnerCode"] == 0
                else (BY_COMTRADE[r["partnerCode"]].iso3 if r["partnerCode"] in BY_COMTRADE else "")
            )
            wanted = (rep in CA_ISO3 and par in ("WLD", CHINA.iso3)) or (
                rep == CHINA.iso3 and par in CA_ISO3
            )
            # one level per cell: World at TOTAL, the China pairs at the demo's HS6
            level = 0 if par == "WLD" else 6
            if wanted and r["aggrLevel"] == level:
                key = (rep, int(r["refYear"]), par, r["flowCode"])
                out[key] = out.get(key, 0.0) + float(r["primaryValue"])
    return out


def partner_values(
    country: str, flow: str, world: float, china: float, rng: np.random.Generator
) -> dict[str, float]:
    """The country's trade with each partner other than China (and "_X" for Areas, nes),
    so that China + partners + 0.5 % unreported = World."""
    main = MAIN[country][0 if flow == "X" else 1]
    target = world * (1 - NES_SHARE - UNREPORTED_SHARE) - china
    if target <= 0:
        return {"_X": world * NES_SHARE}
    values = {iso: world * pct / 100 * rng.uniform(0.9, 1.1) for iso, pct in main.items()}
    fixed = sum(values.values())
    if fixed > 0.85 * target:  # China already takes most: the main partners shrink
        values = {k: v * 0.85 * target / fixed for k, v in values.items()}
        fixed = 0.85 * target
    tail = [t for t in TAIL if t not in values and t != country]
    picked = rng.choice(tail, size=min(len(tail), 24), replace=False)
    weights = rng.lognormal(0.0, 1.0, len(picked))
    values.update(
        zip(picked.tolist(), ((target - fixed) * weights / weights.sum()).tolist(), strict=True)
    )
    values["_X"] = world * NES_SHARE
    return values


def partner_rows(store: RawStore, seed: int = 13) -> dict[tuple[str, int], list[dict]]:
    """v1 records by (plan group, year): own reports of the four reporting countries with
    every partner but China and World (those the demo has), and other reporters' mirror
    reports of their trade with the five."""
    anchors = _anchors(store)
    rng = np.random.default_rng(seed)
    years = sorted({y for (_, y, _, _) in anchors})
    out: dict[tuple[str, int], list[dict]] = {}
    for year in years:
        own, mirror = [], []
        for country in CA_ISO3:
            for flow in ("X", "M"):
                china = anchors.get((country, year, CHINA.iso3, flow))
                world = anchors.get((country, year, "WLD", flow))
                reports = world is not None and china is not None
                if not reports:  # Turkmenistan: China's report over China's usual share
                    china_flow = "M" if flow == "X" else "X"
                    china = anchors.get((CHINA.iso3, year, country, china_flow))
                    if china is None:
                        continue
                    china = china / CIF if flow == "X" else china * CIF
                    world = china / TKM_CHINA[0 if flow == "X" else 1]
                values = partner_values(country, flow, world, china, rng)
                for partner, value in values.items():
                    if reports:
                        own.append(_record(country, partner, flow, year, value))
                    elif partner in MIRROR_REPORTERS:
                        # what the partner reports: its imports (CIF) or its exports to TKM
                        back = "M" if flow == "X" else "X"
                        noisy = value * rng.uniform(0.93, 1.07) * (CIF if back == "M" else 1)
                        mirror.append(_record(partner, country, back, year, noisy))
                if reports:
                    for partner in MIRROR_REPORTERS:
                        if partner in values:
                            back = "M" if flow == "X" else "X"
                            noisy = (
                                values[partner]
                                * rng.uniform(0.93, 1.07)
                                * (CIF if back == "M" else 1)
                            )
                            mirror.append(_record(partner, country, back, year, noisy))
        out[("partners-total", year)] = _dedupe(own)
        out[("partners-mirror", year)] = _dedupe(mirror)
    return out


def _record(reporter: str, partner: str, flow: str, year: int, value: float) -> dict:
    par = NES if partner == "_X" else _party(partner)
    return comtrade_v1.record(
        freq="A",
        period=str(year),
        reporter=_party(reporter),
        partner=par,
        flow=flow,
        cmd="TOTAL",
        cmd_desc="All Commodities",
        value=float(round(value)),
        rev="H6" if year >= 2022 else "H5",
        weight=None,
    )


def _dedupe(rows: list[dict]) -> list[dict]:
    """One record per reporter, partner and flow (the first written wins)."""
    seen: dict[tuple, dict] = {}
    for r in rows:
        seen.setdefault((r["reporterCode"], r["partnerCode"], r["flowCode"]), r)
    return list(seen.values())


def write_demo_partners(store: RawStore, seed: int = 13) -> int:
    """Append the partners view to the demo's raw layer (one snapshot per plan group and
    year, marked synthetic); returns the records written."""
    written = 0
    ca = ",".join(str(BY_ISO3[c].comtrade) for c in CA_ISO3)
    for (group, year), rows in partner_rows(store, seed).items():
        if group == "partners-total":
            reporters = ca
            partners = ",".join(sorted({str(r["partnerCode"]) for r in rows}, key=int))
        else:
            reporters = ",".join(sorted({str(r["reporterCode"]) for r in rows}, key=int))
            partners = ca
        params = {
            "reporterCode": reporters,
            "partnerCode": partners,
            "period": str(year),
            "cmdCode": "TOTAL",
            "flowCode": "M,X,RM,RX",
            **comtrade_v1.PINNED,
        }
        save_demo_comtrade(
            store,
            comtrade_v1.envelope(rows, elapsed="0.00 secs"),
            len(rows),
            params,
            plan=group,
        )
        written += len(rows)
    return written
