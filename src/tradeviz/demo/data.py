"""Synthetic raw layer for the offline demo, in the exact Comtrade v1 format at HS6.

Calibrated so that China-reported totals equal the published China Customs figures
(data/reference/published_totals.csv, transcribed below with interpolation between them),
with a plausible product mix (pipeline gas dominates imports from Turkmenistan; copper,
uranium, ferro-alloys and crude from Kazakhstan; consumer goods, machinery and vehicles in
China's exports). Partner-reported mirrors are China's figures times typical mirror
ratios. Every snapshot is marked synthetic in the manifest; nothing here is statistics.
Records and bodies are written by tradeviz.formats, the same writers the emulators use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tradeviz.formats import comtrade_v1
from tradeviz.formats.comtrade_v1 import WORLD, Party
from tradeviz.formats.imf_sdmx import ImfQuery, render_xml
from tradeviz.store.raw import RawStore, query_key
from tradeviz.vocab.countries import BY_ISO3, CA_ISO3, WORLD_ISO3

YEARS = tuple(range(2014, 2025))
# China-reported total trade with each partner, USD bn (published where available).
TOTALS = {
    "KAZ": [22.4, 14.3, 13.1, 18.0, 19.88, 22.0, 21.4, 25.2, 31.2, 41.02, 43.82],
    "KGZ": [5.3, 4.3, 5.7, 5.4, 5.61, 6.3, 2.9, 7.5, 15.5, 19.8, 22.71],
    "TJK": [2.5, 1.85, 1.76, 1.37, 1.504, 1.67, 1.06, 1.8, 2.6, 3.926, 3.86],
    "TKM": [10.5, 8.6, 5.9, 6.9, 8.4, 9.1, 6.5, 7.4, 11.2, 10.6, 10.65],
    "UZB": [4.3, 3.5, 3.6, 4.2, 6.3, 7.6, 6.6, 8.1, 9.8, 14.0, 13.78],
}
# China's imports where published (2014 Comtrade, 2023 GACC), else a typical share.
IMPORTS = {
    ("KAZ", 2014): 9.739792558,
    ("KGZ", 2014): 0.055347918,
    ("TJK", 2014): 0.047698839,
    ("TKM", 2014): 9.516158297,
    ("UZB", 2014): 1.59772651,
    ("KAZ", 2023): 16.3,
    ("KGZ", 2023): 0.08,
    ("TJK", 2023): 0.25,
    ("TKM", 2023): 9.6,
    ("UZB", 2023): 1.6,
}
IMPORT_SHARE = {"KAZ": 0.42, "KGZ": 0.02, "TJK": 0.05, "TKM": 0.9, "UZB": 0.2}
# Partner-reported / China-reported, by the partner's flow (mirror gaps, see the note).
MIRROR = {"KAZ": (0.55, 0.85), "KGZ": (0.25, 0.9), "TJK": (0.5, 0.9), "UZB": (0.9, 0.95)}
# China's share of each partner's total trade (partner-reported World rows).
CHINA_SHARE = {"KAZ": 0.2, "KGZ": 0.3, "TJK": 0.15, "UZB": 0.19}
CHINA_WORLD = {2014: (2342, 1959), 2024: (3577, 2587)}  # exports, imports, USD bn

# Main products of China's imports from each partner: (code, share of the flow).
IMPORT_MIX = {
    "TKM": [("271121", 0.97), ("520100", 0.01)],
    "KAZ": [
        ("740311", 0.2),
        ("270900", 0.15),
        ("284410", 0.12),
        ("720241", 0.08),
        ("271121", 0.06),
        ("260300", 0.05),
        ("790111", 0.05),
        ("100199", 0.03),
        ("720211", 0.02),
        ("120400", 0.02),
        ("261100", 0.01),
    ],
    "UZB": [
        ("271121", 0.35),
        ("520512", 0.2),
        ("740311", 0.1),
        ("284410", 0.1),
        ("520100", 0.05),
        ("080620", 0.02),
        ("081340", 0.01),
    ],
    "KGZ": [
        ("261690", 0.3),
        ("740400", 0.1),
        ("260300", 0.1),
        ("080211", 0.05),
        ("410150", 0.05),
        ("510111", 0.03),
    ],
    "TJK": [("261690", 0.3), ("260800", 0.2), ("261710", 0.15), ("520100", 0.1), ("080620", 0.03)],
}
# China's exports to every partner: (code, share); H6/H5-only codes are swapped by year.
EXPORT_MIX = [
    ("870323", 0.04),
    ("870421", 0.04),
    ("870380", 0.03),
    ("842952", 0.02),
    ("851712", 0.04),
    ("847130", 0.02),
    ("730419", 0.015),
    ("854140", 0.01),
    ("850760", 0.01),
    ("610910", 0.04),
    ("620342", 0.03),
    ("640299", 0.05),
    ("940360", 0.02),
    ("950300", 0.01),
    ("841510", 0.015),
    ("850440", 0.01),
    ("720839", 0.01),
    ("392690", 0.02),
    ("401120", 0.015),
    ("848180", 0.01),
    ("730820", 0.01),
    ("860900", 0.005),
    ("852872", 0.01),
    ("420292", 0.01),
    ("870899", 0.015),
    ("330499", 0.005),
    ("071290", 0.003),
    ("090240", 0.002),
]
# The long tail: codes that exist unchanged in HS2012, HS2017 and HS2022 (H4-H6), the
# revisions the demo writes (tests/test_demo.py checks every row against its revision).
TAIL = [
    "030389",
    "040221",
    "060290",
    "090111",
    "170199",
    "190590",
    "210690",
    "220300",
    "251710",
    "252329",
    "281511",
    "300490",
    "310210",
    "340290",
    "380892",
    "390120",
    "400121",
    "440799",
    "481910",
    "520942",
    "540752",
    "560749",
    "600632",
    "630790",
    "681099",
    "700992",
    "721420",
    "722840",
    "730611",
    "731815",
    "760429",
    "820551",
    "841810",
    "842199",
    "843149",
    "845011",
    "847990",
    "850211",
    "851631",
    "853690",
    "854449",
    "870899",
    "871640",
    "900490",
    "901890",
    "940599",
    "961900",
]


def _revision(reporter: str, year: int) -> str:
    if reporter == "CHN" or reporter == "KAZ":
        return "H6" if year >= 2022 else ("H5" if year >= 2017 else "H4")
    return "H5" if year >= 2017 else "H4"


def _code_for(code: str, rev: str) -> str:
    """The code a product carries in a revision (the demo's mix uses H5 codes)."""
    if rev == "H6":
        return {"851712": "851713", "854140": "854143"}.get(code, code)
    if rev == "H4" and code in ("870380", "870323"):
        return "870390" if code == "870380" else code
    return code


def _split(
    total: float, mix: list[tuple[str, float]], rng: np.random.Generator, rev: str
) -> dict[str, float]:
    values: dict[str, float] = {}
    main = sum(share for _, share in mix)
    for code, share in mix:
        c = _code_for(code, rev)
        values[c] = values.get(c, 0.0) + total * share * rng.uniform(0.9, 1.1)
    rest = total - sum(values.values())
    tail = [c for c in TAIL if c not in values]
    weights = rng.dirichlet(np.ones(len(tail)) * 0.5) * max(rest, 0.0)
    for code, w in zip(tail, weights, strict=True):
        values[code] = values.get(code, 0.0) + float(w)
    del main
    # round to whole dollars, putting the rounding remainder on the largest line
    out = {c: float(round(v)) for c, v in values.items() if v >= 1}
    top = max(out, key=out.get)
    out[top] += round(total) - sum(out.values())
    return out


def _interp(year: int, table: dict[int, tuple[float, float]]) -> tuple[float, float]:
    (y0, (x0, m0)), (y1, (x1, m1)) = sorted(table.items())
    t = (year - y0) / (y1 - y0)
    return x0 + t * (x1 - x0), m0 + t * (m1 - m0)


def _party(iso3: str) -> Party:
    if iso3 == WORLD_ISO3:
        return WORLD
    c = BY_ISO3[iso3]
    return Party(c.comtrade, c.iso3, c.name)


def _row(
    reporter: str, partner: str, flow: str, year: int, code: str, value: float, rev: str
) -> dict:
    """One annual v1 record; descriptions say synthetic, weights at a demo unit value."""
    desc = "All Commodities" if code == "TOTAL" else f"HS {code} (synthetic demo)"
    weight = round(value / 2.9, 1) if len(code) == 6 and code != "TOTAL" else None
    return comtrade_v1.record(
        freq="A",
        period=str(year),
        reporter=_party(reporter),
        partner=_party(partner),
        flow=flow,
        cmd=code,
        cmd_desc=desc,
        value=value,
        rev=rev,
        weight=weight,
    )


def china_flows(partner: str, year: int) -> tuple[float, float]:
    """China-reported exports and imports with a partner, USD."""
    total = TOTALS[partner][YEARS.index(year)] * 1e9
    imports = (
        IMPORTS.get((partner, year), TOTALS[partner][YEARS.index(year)] * IMPORT_SHARE[partner])
        * 1e9
    )
    return total - imports, imports


DEMO_FETCHED_AT = f"{YEARS[-1] + 1}-06-30T00:00:00Z"


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


def write_demo_raw(raw_root: Path, seed: int = 2023) -> RawStore:
    """Write the synthetic raw layer (one snapshot per plan group and year)."""
    store = RawStore(raw_root)
    rng = np.random.default_rng(seed)
    ca = list(CA_ISO3)
    for year in YEARS:
        china, partner_side, world = [], [], []
        for p in ca:
            exports, imports = china_flows(p, year)
            rev = _revision("CHN", year)
            for code, v in _split(exports, EXPORT_MIX, rng, rev).items():
                china.append(_row("CHN", p, "X", year, code, v, rev))
            for code, v in _split(imports, IMPORT_MIX[p], rng, rev).items():
                china.append(_row("CHN", p, "M", year, code, v, rev))
            if p in MIRROR:  # Turkmenistan does not report
                prev = _revision(p, year)
                m_ratio, x_ratio = MIRROR[p]
                for code, v in _split(exports * m_ratio, EXPORT_MIX, rng, prev).items():
                    partner_side.append(_row(p, "CHN", "M", year, code, v, prev))
                for code, v in _split(imports * x_ratio, IMPORT_MIX[p], rng, prev).items():
                    partner_side.append(_row(p, "CHN", "X", year, code, v, prev))
                share = CHINA_SHARE[p] * rng.uniform(0.9, 1.1)
                world.append(
                    _row(p, "WLD", "M", year, "TOTAL", round(exports * m_ratio / share), prev)
                )
                world.append(
                    _row(p, "WLD", "X", year, "TOTAL", round(imports * x_ratio / share), prev)
                )
        wx, wm = _interp(year, CHINA_WORLD)
        world.append(_row("CHN", "WLD", "X", year, "TOTAL", round(wx * 1e9), "H6"))
        world.append(_row("CHN", "WLD", "M", year, "TOTAL", round(wm * 1e9), "H6"))
        groups = [
            ("156", "398,417,762,795,860", "AG6", china),
            ("398,417,762,795,860", "156", "AG6", partner_side),
            ("156,398,417,762,795,860", "0", "TOTAL", world),
        ]
        for reporters, partners, cmd, rows in groups:
            params = {
                "reporterCode": reporters,
                "partnerCode": partners,
                "period": str(year),
                "cmdCode": cmd,
                "flowCode": "M,X,RM,RX",
                **comtrade_v1.PINNED,
            }
            body = comtrade_v1.envelope(rows, elapsed="0.00 secs")
            save_demo_comtrade(store, body, len(rows), params)
    from tradeviz.demo.partners import write_demo_partners

    write_demo_partners(store)  # the partners view (issue 13), anchored to the rows above
    write_demo_imf(store)
    return store


# Monthly seasonality of trade (January-February dip around the Lunar New Year).
SEASON = np.array([0.8, 0.75, 1.0, 1.02, 1.05, 1.05, 1.03, 1.04, 1.04, 1.0, 1.08, 1.14])
SEASON = SEASON / SEASON.sum()
IMF_LAST = (2025, 9)  # the demo's IMF series run a year past Comtrade's, as IMF data do


def _imf_annual(reporter: str, partner: str, indicator: str, year: int) -> float | None:
    """Annual USD of one IMF series, consistent with the demo's Comtrade figures."""
    y = min(year, 2024)
    grow = 1.08 ** (year - 2024) if year > 2024 else 1.0
    if reporter == "CHN" and partner != "G001":
        exports, imports = china_flows(partner, y)
        return grow * (exports if indicator == "XG_FOB_USD" else imports)
    if reporter == "CHN":
        x, m = _interp(y, CHINA_WORLD)
        return grow * 1e9 * (x if indicator == "XG_FOB_USD" else m)
    exports, imports = china_flows(reporter, y)
    m_ratio, x_ratio = MIRROR.get(reporter, (0.5, 0.9))  # TKM: IMF estimates from mirrors
    if partner == "CHN":
        return grow * (imports * x_ratio if indicator == "XG_FOB_USD" else exports * m_ratio)
    share = CHINA_SHARE.get(reporter, 0.2)
    return grow * (
        imports * x_ratio / share if indicator == "XG_FOB_USD" else exports * m_ratio / share
    )


def write_demo_imf(store: RawStore, seed: int = 2025) -> None:
    """Monthly IMF IMTS series 2014-01 to 2025-09 in the SDMX-ML layout of the real API."""
    rng = np.random.default_rng(seed)
    for country in ("CHN", *CA_ISO3):
        query = ImfQuery(country, "M", YEARS[0], IMF_LAST[0])
        partners = [p for p in (*CA_ISO3, "CHN") if p != country] + ["G001"]
        if country != "CHN":
            partners = ["CHN", "G001"]
        series = []
        for partner in partners:
            for indicator in ("XG_FOB_USD", "MG_CIF_USD"):
                obs = []
                for year in range(YEARS[0], IMF_LAST[0] + 1):
                    annual = _imf_annual(country, partner, indicator, year)
                    noise = rng.uniform(0.97, 1.03)  # IMF and Comtrade vintages differ
                    for m in range(1, 13):
                        if (year, m) > IMF_LAST:
                            break
                        obs.append(
                            {
                                "TIME_PERIOD": f"{year}-M{m:02d}",
                                "OBS_VALUE": str(round(annual * SEASON[m - 1] * noise)),
                                "DERIVATION_TYPE": "E" if country == "TKM" else "M",
                            }
                        )
                series.append(
                    {
                        "COUNTRY": country,
                        "INDICATOR": indicator,
                        "COUNTERPART_COUNTRY": partner,
                        "FREQUENCY": "M",
                        "OVERLAP": "OL",
                        "SCALE": "6",
                        "obs": obs,
                    }
                )
        body = render_xml(series).encode()
        store.save(
            "imf",
            body,
            "xml",
            {
                "endpoint": "synthetic demo (tradeviz demo), no API call",
                "params": {"key": query.key, **query.params()},
                "query_key": query.identity,
                "freq": "M",
                "http_status": None,
                "complete": True,
                "format": "sdmx-ml",
                "records": sum(len(s["obs"]) for s in series),
                "synthetic": True,
                "fetched_at": "2025-11-15T00:00:00Z",
            },
        )
