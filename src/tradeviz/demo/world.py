"""The demo's SYNTHETIC world layer (issue 20): every reporter's exports and imports with the
World at HS4, as the raw snapshots `fetch comtrade --plan world --level 4` stores (partner 0,
cmdCode AG4, all reporters, one answer per year), so `tradeviz build` makes the world table.

How the rows are made, so the measures have something plausible to measure:
- about 200 reporters (the rules of the Comtrade emulator's world panel: the registry's
  countries less those that never report), each with a size-driven total and a skewed
  HS4 mix (a power-law HS6 mix summed to HS4) plus a part spread over staples;
- China and the five Central Asian countries are consistent with the demo's bilateral rows:
  a product's exports to the World are its exports to China (the reporter's own report, or
  China's for Turkmenistan, which does not report) plus a rest-of-world part, and their
  totals are the demo's World TOTAL rows (China's: the priors' china_world). The rest
  follows each country's known specialisms (SPECIALISMS below: Kazakhstan's crude oil,
  copper, ferroalloys and uranium, Turkmenistan's gas, ...), then a long tail.
Every snapshot is marked synthetic and every row's description says so. Nothing here is
statistics.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import cache, lru_cache

import numpy as np

from tradeviz.demo.snapshots import save_demo_comtrade
from tradeviz.formats import comtrade_v1
from tradeviz.store.raw import RawStore
from tradeviz.vocab import countries
from tradeviz.vocab.countries import BY_COMTRADE, BY_ISO3, CA_ISO3

LEVEL = 4
# The world layer's years: the demo's last six (enough for TCI over time; every year would
# double the demo's run time for little more to see).
N_YEARS = 6
MIX_SCALE = 0.08  # share of the emulator's HS6 lines a non-slice reporter trades (row count)
TAIL_CAP = 0.05  # a tail line's most, as a share of the rest of the world's trade in it
# ... and at most this RCA (its share of the reporter's trade over its share of world
# trade): a small economy's 5 % of a small heading would be an RCA in the hundreds
# (Kyrgyzstan's stationery fittings showed 141), which only real specialisms reach
TAIL_RCA = 10.0
TAIL_LINES = 300  # HS4 lines of the long tail of each slice reporter's rest-of-world trade
# Rest-of-world shares of the slice's known specialisms (HS4, demo assumptions; the tail
# takes what is left). Codes exist unchanged in HS 2012, 2017 and 2022.
SPECIALISMS: dict[tuple[str, str], dict[str, float]] = {
    ("KAZ", "X"): {
        "2709": 0.50,
        "7403": 0.07,
        "7202": 0.06,
        "2844": 0.04,
        "2711": 0.04,
        "1001": 0.03,
        "2601": 0.02,
        "7601": 0.02,
        "1101": 0.01,
        "1003": 0.005,
        "1512": 0.005,
        "1206": 0.004,
        "0104": 0.002,
    },
    ("TKM", "X"): {
        "2711": 0.62,
        "2710": 0.08,
        "2709": 0.06,
        "5201": 0.04,
        "3102": 0.03,
        "5205": 0.02,
    },
    ("UZB", "X"): {
        "7108": 0.30,
        "5205": 0.07,
        "2711": 0.05,
        "7403": 0.05,
        "0806": 0.03,
        "5201": 0.02,
        "3102": 0.02,
    },
    ("KGZ", "X"): {"7108": 0.42, "2616": 0.10, "7404": 0.04, "0713": 0.03, "2603": 0.03},
    ("TJK", "X"): {"7601": 0.22, "2616": 0.16, "5201": 0.09, "7108": 0.06, "2608": 0.05},
    ("CHN", "X"): {
        "8517": 0.09,
        "8471": 0.07,
        "8542": 0.05,
        "8507": 0.03,
        "8541": 0.02,
        "8528": 0.02,
        "9403": 0.02,
        "8703": 0.02,
        "6110": 0.01,
        "8504": 0.02,
    },
    ("CHN", "M"): {
        "8542": 0.15,
        "2709": 0.12,
        "2601": 0.06,
        "2711": 0.03,
        "1201": 0.02,
        "8703": 0.02,
        "7403": 0.02,
        "2603": 0.02,
        "7108": 0.02,
        "5201": 0.002,
        "1001": 0.0015,
        "1003": 0.001,
        "5101": 0.001,
        "1512": 0.0005,
        "1206": 0.0003,
        "0104": 0.0001,
    },
    ("KAZ", "M"): {"8703": 0.05, "8471": 0.02, "3004": 0.03, "8517": 0.02},
    ("TKM", "M"): {"7304": 0.06, "8429": 0.04, "1001": 0.03},
    ("UZB", "M"): {"8703": 0.04, "2711": 0.03, "1001": 0.04, "3004": 0.03},
    ("KGZ", "M"): {"2710": 0.08, "8703": 0.06, "6204": 0.03},
    ("TJK", "M"): {"2710": 0.08, "1001": 0.07, "1101": 0.03},
}
# China's share of Turkmenistan's World trade (no own report, so not in the priors'
# china_share): most of its gas goes to China, its imports come from many partners.
TKM_CHINA_SHARE = {"X": 0.70, "M": 0.25}


# ------------------------------------------------------------- the other reporters' panel
# The same rules as the Comtrade emulator's world panel (emulators/world.py), restated here
# because the demo must not import the emulators (they need werkzeug and the HTTP stack).
NEVER_REPORTS = 0.15  # share of countries with no data at all
MISSING_YEAR = 0.04  # share of the other countries' years without data
DENSE_CHAPTERS = frozenset(
    (39, 40, 42, 48, 54, 55, 60, 61, 62, 63, 64, 69, 70, 73, 76, 82, 83, 84, 85, 87, 90, 94, 95, 96)
)


def _hash(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the parts."""
    return _hash(*parts) / 2**32


@cache
def reporters() -> tuple[int, ...]:
    """Comtrade codes of the panel's reporters: every current country of the registry but
    those that never report (China and the five always included)."""
    slice_codes = {BY_ISO3[c].comtrade for c in ("CHN", *CA_ISO3)}
    every = sorted({c.comtrade for c in countries.COUNTRIES if c.kind == "country"})
    return tuple(c for c in every if c in slice_codes or _unit("never", c) >= NEVER_REPORTS)


def _reports(code: int, year: int) -> bool:
    return _unit("year", code, year) >= MISSING_YEAR


def _size(code: int) -> float:
    """A reporter's economic size, 0 (smallest) to 1 (largest), fixed per country."""
    return _unit("size", code) ** 1.5


def _revision(code: int, year: int) -> str:
    """The HS revision an other reporter uses in a year (a few lag behind)."""
    for start, rev in ((2022, "H6"), (2017, "H5"), (2012, "H4")):
        if year >= start:
            return rev
    return "H3"


@cache
def _hs6(rev: str) -> tuple[np.ndarray, np.ndarray]:
    """The HS6 codes of a revision and each one's chance of being traded (manufactures more
    often than food and minerals)."""
    from tradeviz.vocab import hs

    ref = hs.code_columns("level", "legacy")
    six = (ref["rev"] == rev) & (ref["level"] == 6) & ~ref["legacy"].astype(bool)
    codes = np.sort(ref.loc[six, "code"].to_numpy(str))
    chapters = np.array([int(c[:2]) for c in codes])
    weights = np.where(np.isin(chapters, list(DENSE_CHAPTERS)), 3.0, 1.0)
    weights = np.where(~np.isin(chapters, list(DENSE_CHAPTERS)) & (chapters <= 27), 0.5, weights)
    return codes, weights / weights.sum()


@lru_cache(maxsize=4096)
def _leaves(code: int, flow: str, year: int) -> tuple[np.ndarray, np.ndarray]:
    """HS6 codes and relative values (summing to 1) of an other reporter's flow: a power-law
    mix, stable over the years, steeper for exports and for small countries."""
    universe, chance = _hs6(_revision(code, year))
    size = _size(code)
    share = (0.1 + 0.7 * size) if flow == "X" else (0.35 + 0.6 * size)
    n = max(5, min(len(universe), int(len(universe) * share * MIX_SCALE)))
    rng = np.random.default_rng(_hash("mix", code, flow))
    ranked = universe[rng.choice(len(universe), size=n, replace=False, p=chance)]
    steep = (1.6 - 0.5 * size) if flow == "X" else (1.0 - 0.2 * size)
    weights = np.arange(1, n + 1, dtype=float) ** -steep
    drift = np.random.default_rng(_hash("drift", code, flow, year))
    weights *= drift.lognormal(0.0, 0.25, n)
    keep = drift.random(n) > 0.03  # a few lines come and go between years
    keep[:3] = True
    return ranked[keep], weights[keep] / weights[keep].sum()


@cache
def _common_hs4() -> np.ndarray:
    """HS4 codes present in the 2012, 2017 and 2022 revisions (the slice's tail draws
    from them, so a code is valid whichever revision a year uses)."""
    from tradeviz.vocab import hs

    ref = hs.code_columns("level")
    four = ref[ref["level"] == 4]
    sets = [set(four.loc[four["rev"] == r, "code"].astype(str)) for r in ("H4", "H5", "H6")]
    return np.array(sorted(set.intersection(*sets)))


def _hs4(codes: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for c, w in zip(codes.tolist(), weights.tolist(), strict=True):
        out[c[:4]] += w
    return dict(out)


def _rest_mix(iso: str, flow: str) -> dict[str, float]:
    """A slice reporter's rest-of-world mix (HS4 -> weight, summing to 1): its specialisms,
    then a power-law tail over codes the rest of the world trades (drawn in proportion to
    the square root of their world value, so a tail line is never most of world trade),
    stable over the years."""
    top = SPECIALISMS.get((iso, flow), {})
    rng = np.random.default_rng(_seed(iso, flow))
    pool_codes, pool_weights = _world_pool(flow)
    keep = ~np.isin(pool_codes, list(top))
    pool, p = pool_codes[keep], np.sqrt(pool_weights[keep])
    tail = rng.choice(pool, size=min(TAIL_LINES, len(pool)), replace=False, p=p / p.sum())
    # China's tail is flat (a diversified exporter), the five's steep (a few goods lead)
    w = np.arange(1, len(tail) + 1, dtype=float) ** -(0.7 if iso == "CHN" else 1.1)
    w *= (1.0 - sum(top.values())) / w.sum()
    return {**top, **dict(zip(tail.tolist(), w.tolist(), strict=True))}


@cache
def _world_pool(flow: str) -> tuple[np.ndarray, np.ndarray]:
    """HS4 codes common to the three revisions and the rest of the world's value of each
    (`flow`, the first world year), for drawing the slice's tails."""
    year = _first_year()
    common = set(_common_hs4())
    sums: dict[str, float] = defaultdict(float)
    slice_codes = {BY_ISO3[c].comtrade for c in ("CHN", *CA_ISO3)}
    for code in reporters():
        if code in BY_COMTRADE and code not in slice_codes and _reports(code, year):
            for k, v in _other_reporter(code, flow, year)[1].items():
                if k in common:
                    sums[k] += v
    codes = np.array(sorted(sums))
    return codes, np.array([sums[k] for k in codes])


def _seed(*parts: object) -> int:
    return _hash("demo-world", *parts)


# Goods most countries trade (HS4): every other reporter trades a random part of them, so
# the world's value of wheat, oil or cars is not left to the sparse mixes alone.
STAPLES = [
    "0102",
    "0104",
    "0201",
    "0202",
    "0203",
    "0207",
    "0303",
    "0402",
    "0406",
    "0409",
    "0713",
    "0805",
    "0806",
    "0901",
    "1001",
    "1003",
    "1005",
    "1101",
    "1201",
    "1206",
    "1507",
    "1512",
    "1701",
    "2204",
    "2208",
    "2304",
    "2402",
    "2601",
    "2603",
    "2616",
    "2709",
    "2710",
    "2711",
    "2844",
    "3004",
    "3102",
    "4101",
    "4102",
    "5101",
    "5201",
    "5205",
    "7108",
    "7202",
    "7403",
    "7601",
    "8471",
    "8517",
    "8542",
    "8703",
    "8708",
    # ores and metals the five export (so their RCA is measured against a world market)
    "2607",
    "2608",
    "2613",
    "2615",
    "2617",
    "7404",
    "7110",
    "8001",
    "8108",
]
STAPLE_SHARE = 0.15  # of an other reporter's trade
# Real trade has many exporters of nearly every product: the larger economies export almost
# every HS4 heading. Each other reporter spreads BROAD_SHARE of its exports over a part of
# all HS4 headings (the larger, the more: none below BROAD_FROM size, ~95 % at the top),
# weighted by a heading's world size (_broad_weights), so no heading's world exports rest
# on the sparse mixes alone and RCAs stay in the range real HS4 RCAs take (RCA, potential
# and complexity read the world's exports by product; imports keep the sparse mixes).
BROAD_SHARE = 0.35
BROAD_FROM = 0.3  # size below which a reporter trades only its own mix and the staples
BROAD_SIGMA = 0.7  # spread of the headings' world sizes (log-normal)


# Headings that carry a large part of world exports, with roughly their share of it (demo
# assumptions in the order of magnitude of recent years' world trade): crude oil, fuels,
# gas, chips, cars, phones, computers, medicines, gold; and a few the five's RCAs are read
# against (iron ore, copper, aluminium, wheat). The other headings share the rest.
HEAVY = {
    "2709": 0.065,
    "2710": 0.035,
    "2711": 0.025,
    "8542": 0.04,
    "8703": 0.035,
    "8517": 0.03,
    "8471": 0.025,
    "3004": 0.025,
    "7108": 0.02,
    "8708": 0.018,
    "2601": 0.008,
    "7403": 0.005,
    "7601": 0.003,
    "1201": 0.003,
    "2603": 0.003,
    "1001": 0.002,
}


@cache
def _broad_weights() -> tuple[np.ndarray, np.ndarray]:
    """HS4 headings common to the three revisions and each one's world size (fixed): HEAVY's
    shares (the other parts of a reporter's trade add less to them), the rest log-normal."""
    codes = _common_hs4()
    w = np.array([np.exp(BROAD_SIGMA * _normal("heading", k)) for k in codes.tolist()])
    heavy = np.array([1.5 * HEAVY.get(k, 0.0) for k in codes.tolist()])
    w = np.where(heavy > 0, 0.0, w)
    return codes, heavy + (1 - heavy.sum()) * w / w.sum()


def _normal(*parts: object) -> float:
    """A deterministic standard normal number for the parts."""
    return float(np.random.default_rng(_hash(*parts)).standard_normal())


def _broad(code: int, flow: str, year: int) -> dict[str, float]:
    """HS4 -> weight (summing to 1, or empty) of a reporter's spread over all headings."""
    size = _size(code)
    cover = 0.95 * (size - BROAD_FROM) / (1 - BROAD_FROM)
    if cover <= 0 or flow != "X":  # the measures read the world's exports by product
        return {}
    codes, world = _broad_weights()
    rng = np.random.default_rng(_seed("broad", code, flow))  # which headings: fixed
    keep = rng.random(len(codes)) < cover
    w = world[keep] * rng.lognormal(0.0, 0.8, int(keep.sum()))
    w *= np.random.default_rng(_seed("broad", code, flow, year)).lognormal(0.0, 0.1, len(w))
    return dict(zip(codes[keep].tolist(), (w / w.sum()).tolist(), strict=True))


def _other_reporter(code: int, flow: str, year: int) -> tuple[str, dict[str, float]]:
    """(revision, HS4 -> USD) of a reporter outside the slice: the emulator's size-driven
    total and skewed mix, summed to HS4, with parts of it spread over the staples and, for
    all but the smallest, over most headings (_broad)."""
    rev = _revision(code, year)
    codes, weights = _leaves(code, flow, year)
    base = 10 ** (8.3 + 3.6 * _size(code))
    total = base * 1.035 ** (year - 2015) * (0.85 + 0.3 * _unit("balance", code, flow))
    broad = _broad(code, flow, year)
    own = 1 - STAPLE_SHARE - (BROAD_SHARE if broad else 0.0)
    out = {k: total * own * w for k, w in _hs4(codes, weights).items()}
    for k, w in broad.items():
        out[k] = out.get(k, 0.0) + total * BROAD_SHARE * w
    rng = np.random.default_rng(_seed("staples", code, flow))  # which staples: fixed
    picked = [k for k in STAPLES if rng.random() < 0.6]
    w = rng.lognormal(0.0, 1.0, len(picked))
    w *= np.random.default_rng(_seed("staples", code, flow, year)).lognormal(0.0, 0.1, len(w))
    for k, v in zip(picked, total * STAPLE_SHARE * w / w.sum(), strict=True):
        out[k] = out.get(k, 0.0) + float(v)
    return rev, out


def slice_values(
    iso: str,
    flow: str,
    year: int,
    with_china: dict[str, float],
    total: float,
    others: dict[str, float],
) -> dict[str, float]:
    """HS4 -> USD of a slice reporter's trade with the World: its trade with China
    (`with_china`, HS4 -> USD) plus the rest of `total` spread over its rest-of-world mix.
    A tail line is at most TAIL_CAP of the other reporters' trade in it (`others`) and at
    most RCA TAIL_RCA against them (what is over goes to the specialisms), every product's
    World value is at least its China value, and the values sum to total."""
    rest = max(total - sum(with_china.values()), 0.0)
    rng = np.random.default_rng(_seed(iso, flow, year))
    mix = _rest_mix(iso, flow)
    w = np.array(list(mix.values())) * rng.lognormal(0.0, 0.1, len(mix))
    parts = dict(zip(mix, rest * w / w.sum(), strict=True))
    top = SPECIALISMS.get((iso, flow), {})
    over, world = 0.0, sum(others.values())
    for k in parts:
        cap = TAIL_CAP * others.get(k, 0.0)
        if world > 0:
            cap = min(cap, TAIL_RCA * total * others.get(k, 0.0) / world)
        if k not in top and parts[k] > cap:
            over, parts[k] = over + parts[k] - cap, cap
    heads = list(top) or [max(parts, key=parts.get)]
    head_w = np.array([parts[k] for k in heads])
    for k, v in zip(heads, over * head_w / head_w.sum(), strict=True):
        parts[k] += float(v)
    out = dict(with_china)
    for k, v in parts.items():
        out[k] = out.get(k, 0.0) + float(v)
    return out


def _first_year() -> int:
    from tradeviz.demo.priors import load

    return load().years[-N_YEARS]


def _party(code: int) -> comtrade_v1.Party:
    c = BY_COMTRADE[code]
    return comtrade_v1.Party(c.comtrade, c.iso3, c.name)


def _records(code: int, flow: str, year: int, rev: str, values: dict[str, float]) -> list[dict]:
    """v1 records of one reporter-flow-year at HS4, whole dollars (remainder on the largest)."""
    keys = sorted(values)
    vals = np.array([values[k] for k in keys])
    rounded = np.round(vals)
    if len(rounded):
        rounded[int(np.argmax(rounded))] += round(float(vals.sum())) - rounded.sum()
    reporter = _party(code)
    return [
        comtrade_v1.record(
            freq="A",
            period=str(year),
            reporter=reporter,
            partner=comtrade_v1.WORLD,
            flow=flow,
            cmd=k,
            cmd_desc=f"HS {k} (synthetic demo)",
            value=float(v),
            rev=rev,
            weight=None,
        )
        for k, v in zip(keys, rounded, strict=True)
        if v >= 1
    ]


def write_demo_world(
    store: RawStore, slice_rows: dict[int, dict[tuple[str, str], tuple[str, dict, float]]]
) -> int:
    """Store one world snapshot per year (the demo's last N_YEARS) at HS4; `slice_rows`
    maps year -> (ISO3, flow) -> (revision, HS4 -> USD with China, World total USD) for China
    and the five. Returns the rows written."""
    written = 0
    codes = [c for c in reporters() if c in BY_COMTRADE]
    for year in sorted(slice_rows)[-N_YEARS:]:
        rows: list[dict] = []
        sums: dict[str, dict[str, float]] = {"X": defaultdict(float), "M": defaultdict(float)}
        for code in codes:
            iso = BY_COMTRADE[code].iso3
            if iso in ("CHN", *CA_ISO3) or not _reports(code, year):
                continue
            for flow in ("X", "M"):
                rev, values = _other_reporter(code, flow, year)
                for k, v in values.items():
                    sums[flow][k] += v
                rows += _records(code, flow, year, rev, values)
        for (iso, flow), (rev, with_china, total) in sorted(slice_rows[year].items()):
            values = slice_values(iso, flow, year, with_china, total, sums[flow])
            rows += _records(BY_ISO3[iso].comtrade, flow, year, rev, values)
        params = {
            "reporterCode": ",".join(str(c) for c in codes),
            "partnerCode": "0",
            "period": str(year),
            "cmdCode": f"AG{LEVEL}",
            "flowCode": "M,X,RM,RX",
            **comtrade_v1.PINNED,
        }
        body = comtrade_v1.envelope(rows, elapsed="0.00 secs")
        save_demo_comtrade(store, body, len(rows), params, plan="world")
        written += len(rows)
    return written


__all__ = ["LEVEL", "N_YEARS", "TKM_CHINA_SHARE", "slice_values", "write_demo_world"]
