"""Synthetic raw layer for the offline demo, in the exact Comtrade v1 format at HS6.

What is traded, how large each product is, how shares and prices move and what the mirror
ratios are anchored to is data, not code: tradeviz/data/demo_priors.yaml, every entry with
its source (read by demo/priors.py). This module turns the priors into rows:

- China-reported totals equal the published China Customs figures in the years published
  (the yearly path between them is in the priors); China's imports move as a share of the
  total between the published years.
- Each product's share of its flow follows its prior (and its knots) times a seeded AR(1)
  path, so lines drift as real series do instead of jumping.
- Unit values are the product's 2019 value per HS unit (items for cars, pairs for shoes, kg
  for copper) times its price series and a factor per partner, so they differ by product,
  partner and year.
- Partner-reported mirrors are China's lines times a mirror ratio that drifts from year to
  year around its published anchor, with product-level noise, and chapters a partner is
  known to record short (re-exported garments for Kyrgyzstan, temporary construction
  equipment for Tajikistan) weighted down.

Every snapshot is marked synthetic in the manifest; nothing here is statistics. Records are
written by tradeviz.formats, the same writers the emulators use. The partners view
(demo/partners.py) is written after these rows and reads them back: data imports partners,
never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from tradeviz.demo.partners import write_demo_partners
from tradeviz.demo.priors import Product, load
from tradeviz.demo.snapshots import DEMO_FETCHED_AT, save_demo_comtrade
from tradeviz.demo.world import TKM_CHINA_SHARE, write_demo_world
from tradeviz.formats import comtrade_v1
from tradeviz.formats.comtrade_v1 import WORLD, Party
from tradeviz.formats.imf_sdmx import ImfQuery, render_xml
from tradeviz.store.raw import RawStore
from tradeviz.vocab import hs
from tradeviz.vocab.countries import BY_ISO3, CA_ISO3, WORLD_ISO3

__all__ = ["DEMO_FETCHED_AT", "YEARS", "china_flows", "save_demo_comtrade", "write_demo_raw"]

PRIORS = load()
YEARS = PRIORS.years
CIF = 1.06  # imports are valued CIF, exports FOB: a partner's import unit value is higher
PHI = 0.7  # persistence of every AR(1) path below (shares, unit values, mirrors)
SHARE_SD = 0.08  # yearly shock of a line's share (log)
UNIT_SD = 0.04  # yearly wobble of a unit value around its price series (log)
MIRROR_LINE_SD = 0.08  # product-level mirror discrepancy (log), AR(1) like shares


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


@cache
def _unit(code: str, rev: str) -> str:
    """The HS unit of a code in a revision (kg, u, 2u, m³ ...), kg when the reference has none."""
    unit = hs.unit(code, rev)
    return unit if unit and unit != "n/a" else "kg"


def _ar(rng: np.random.Generator, shape: tuple[int, ...], sd: float) -> np.ndarray:
    """AR(1) paths along the last axis: stationary, steps bounded (shocks clipped at 2 sd)."""
    shocks = np.clip(rng.normal(0.0, sd, shape), -2 * sd, 2 * sd)
    out = np.empty(shape)
    acc = np.zeros(shape[:-1])
    for t in range(shape[-1]):
        acc = PHI * acc + shocks[..., t]
        out[..., t] = acc
    return out


def _interp(year: int, points: dict[int, float]) -> float:
    """Linear between the years given, flat outside them."""
    ys = sorted(points)
    return float(np.interp(year, ys, [points[y] for y in ys]))


def import_share(partner: str, year: int) -> float:
    """China's imports from `partner` as a share of their total trade, moving linearly
    between the years the imports were published."""
    published = PRIORS.raw["imports"][partner]
    return _interp(year, {int(y): v / PRIORS.total(partner, int(y)) for y, v in published.items()})


def china_flows(partner: str, year: int) -> tuple[float, float]:
    """China-reported exports and imports with a partner, USD."""
    total = PRIORS.total(partner, year) * 1e9
    imports = total * import_share(partner, year)
    return total - imports, imports


@cache
def _mirror_paths(seed: int = 21) -> dict[tuple[str, str], np.ndarray]:
    """Partner-reported over China-reported by (partner, partner's flow) for every year: a
    seeded AR(1) drift around the prior, equal to the published anchor in its year."""
    spec = PRIORS.raw["mirror"]
    rng = np.random.default_rng(seed)
    out = {}
    for partner in sorted(k for k in spec if k not in ("drift", "chapters")):
        for flow in ("M", "X"):
            entry = spec[partner][flow]
            walk = _ar(rng, (len(YEARS),), float(spec["drift"]["value"]))
            anchor = entry.get("anchor")
            if anchor is None:
                out[(partner, flow)] = float(entry["ratio"]) * np.exp(walk - walk.mean())
                continue
            year = int(anchor["year"])
            exports, imports = china_flows(partner, year)
            china = {"M": exports, "X": imports}[flow]
            if anchor.get("flow") == "total":
                china = exports + imports
            base = float(anchor["value"]) * 1e9 / china
            out[(partner, flow)] = base * np.exp(walk - walk[YEARS.index(year)])
    return out


@cache
def _china_shares(seed: int = 22) -> dict[str, np.ndarray]:
    """China's share of each reporting partner's trade with the world, by year: the prior
    times a seeded AR(1) drift (the partner's World rows are its China rows over it)."""
    spec = PRIORS.raw["china_share"]
    rng = np.random.default_rng(seed)
    partners = sorted(k for k in spec if k not in ("source", "drift"))
    walks = _ar(rng, (len(partners), len(YEARS)), float(spec["drift"]))
    return {p: float(spec[p]) * np.exp(w) for p, w in zip(partners, walks, strict=True)}


def mirror_ratio(partner: str, flow: str, year: int) -> float | None:
    """The partner's report over China's for the partner's `flow` (M imports from China, X
    exports to China) in `year`; None for a partner that does not report (Turkmenistan)."""
    path = _mirror_paths().get((partner, flow))
    return None if path is None else float(path[YEARS.index(year)])


@dataclass(frozen=True)
class _Lines:
    """The product lines of one China-reported flow with one partner, and their seeded paths
    over the years (rows: lines, columns: years)."""

    products: tuple[Product, ...]
    share_walk: np.ndarray
    unit_factor: np.ndarray  # per line: this partner's price level against the prior
    unit_walk: np.ndarray
    mirror_walk: np.ndarray

    def values(self, year: int, total: float) -> np.ndarray:
        """USD per line: the priors' weights at `year` times the share path, summing to total."""
        t = YEARS.index(year)
        w = np.array([p.weight(year) for p in self.products]) * np.exp(self.share_walk[:, t])
        return total * w / w.sum()

    def unit_values(self, year: int) -> np.ndarray:
        """USD per HS unit per line: 2019 unit value times its price series and wobble."""
        t = YEARS.index(year)
        base = np.array([p.unit_value * PRIORS.price(p.price, year) for p in self.products])
        return base * self.unit_factor * np.exp(self.unit_walk[:, t])


def _tail_products(partner: str, rng: np.random.Generator) -> list[Product]:
    """The long tail of China's exports to `partner`: small lines (each at most max_line of
    the flow) sharing the tail's share, unit values by HS unit scaled per code."""
    tail = PRIORS.tail
    codes = [str(c) for c in tail["codes"]]
    weights = rng.lognormal(0.0, 0.5, len(codes))
    share, cap = float(tail["share"]["value"]), float(tail["max_line"]["value"])
    weights = np.minimum(weights / weights.sum() * share, cap)
    out = []
    for code, w in zip(codes, weights, strict=True):
        per_code = np.random.default_rng(int(code)).lognormal(0.0, 0.6)  # same in every flow
        base = float(tail["unit_value"][_unit(code, "H5")])
        out.append(Product(code, float(w), "goods", base * per_code, "demo"))
    return out


def _plan(rng: np.random.Generator) -> dict[tuple[str, str], _Lines]:
    """The lines of every (partner, China's flow) with their paths, drawn once for all years."""
    plan = {}
    for partner in CA_ISO3:
        exports = [
            replace(p, share=p.share * PRIORS.tilt(partner, p.hs6)) for p in PRIORS.export_mix
        ]
        exports += _tail_products(partner, rng)
        for flow, products in (("X", exports), ("M", list(PRIORS.import_mix[partner]))):
            n = (len(products), len(YEARS))
            plan[(partner, flow)] = _Lines(
                products=tuple(products),
                share_walk=_ar(rng, n, SHARE_SD),
                unit_factor=rng.lognormal(0.0, 0.12, len(products)),
                unit_walk=_ar(rng, n, UNIT_SD),
                mirror_walk=_ar(rng, n, MIRROR_LINE_SD),
            )
    return plan


def _party(iso3: str) -> Party:
    if iso3 == WORLD_ISO3:
        return WORLD
    c = BY_ISO3[iso3]
    return Party(c.comtrade, c.iso3, c.name)


def _row(
    reporter: str,
    partner: str,
    flow: str,
    year: int,
    code: str,
    value: float,
    rev: str,
    qty: float | None = None,
    unit: str | None = None,
) -> dict:
    """One annual v1 record; descriptions say synthetic; HS6 rows carry a quantity in the
    code's HS unit (and the net weight when that unit is kg)."""
    desc = "All Commodities" if code == "TOTAL" else f"HS {code} (synthetic demo)"
    kg = round(qty, 1) if qty is not None and unit == "kg" else None
    rec = comtrade_v1.record(
        freq="A",
        period=str(year),
        reporter=_party(reporter),
        partner=_party(partner),
        flow=flow,
        cmd=code,
        cmd_desc=desc,
        value=value,
        rev=rev,
        weight=kg,
    )
    if qty is not None and unit != "kg":
        rec["qtyUnitCode"] = int(PRIORS.raw["quantity_units"][unit])
        rec["qtyUnitAbbr"] = unit
        rec["qty"] = float(max(round(qty), 1))
    return rec


def _rows(
    reporter: str,
    partner: str,
    flow: str,
    year: int,
    rev: str,
    products: tuple[Product, ...],
    values: np.ndarray,
    unit_values: np.ndarray,
) -> list[dict]:
    """Rows of one flow: whole dollars (the rounding remainder on the largest line)."""
    rounded = np.round(values)
    rounded[int(np.argmax(rounded))] += round(float(values.sum())) - rounded.sum()
    out = []
    for p, v, uv in zip(products, rounded, unit_values, strict=True):
        if v < 1:
            continue
        code = _code_for(p.hs6, rev)
        unit = _unit(code, rev)
        out.append(_row(reporter, partner, flow, year, code, float(v), rev, v / uv, unit))
    return out


def _china_world(year: int) -> tuple[float, float]:
    """China's exports and imports with the world, USD bn, interpolated between the priors'."""
    spec = {int(k): v for k, v in PRIORS.raw["china_world"].items() if k != "source"}
    return _interp(year, {y: v[0] for y, v in spec.items()}), _interp(
        year, {y: v[1] for y, v in spec.items()}
    )


def _partner_lines(
    partner: str, china_flow: str, year: int, lines: _Lines, values: np.ndarray
) -> tuple[str, np.ndarray, float] | None:
    """The partner's own report of one of China's flows: its flow, its values per line (the
    mirror ratio of the year times product noise) and their total; None when it does not
    report."""
    flow = "M" if china_flow == "X" else "X"
    ratio = mirror_ratio(partner, flow, year)
    if ratio is None:
        return None
    mirrored = values * np.exp(lines.mirror_walk[:, YEARS.index(year)])
    if flow == "M":  # chapters the partner records short (transit, temporary equipment)
        short = PRIORS.raw["mirror"]["chapters"].get(partner, {})
        mirrored = mirrored * np.array([short.get(p.hs6[:2], 1.0) for p in lines.products])
    total = ratio * float(values.sum())
    return flow, mirrored * total / mirrored.sum(), total


def _add_hs4(
    into: dict, key: tuple[str, str], products: tuple[Product, ...], values: np.ndarray, rev: str
) -> None:
    """Add one flow's lines, summed to HS4 in revision `rev`, to the slice's World rows."""
    _, got, total = into.get(key, (rev, {}, 0.0))
    for p, v in zip(products, values, strict=True):
        k = _code_for(p.hs6, rev)[:4]
        got[k] = got.get(k, 0.0) + float(v)
    into[key] = (rev, got, total)


def write_demo_raw(raw_root: Path, seed: int = 2023) -> RawStore:
    """Write the synthetic raw layer (one snapshot per plan group and year), then the world
    layer (consistent with these rows), the partners view and the IMF series."""
    store = RawStore(raw_root)
    rng = np.random.default_rng(seed)
    plan = _plan(rng)
    world_slice: dict[int, dict] = {}  # year -> the slice's World rows (demo/world.py)
    for year in YEARS:
        china, partner_side, world = [], [], []
        hs4 = world_slice[year] = {}
        rev = _revision("CHN", year)
        for p in CA_ISO3:
            prev = _revision(p, year)
            own: dict[str, float] = {}
            for china_flow, total in zip(("X", "M"), china_flows(p, year), strict=True):
                lines = plan[(p, china_flow)]
                values = lines.values(year, total)
                unit_values = lines.unit_values(year)
                china += _rows("CHN", p, china_flow, year, rev, lines.products, values, unit_values)
                _add_hs4(hs4, ("CHN", china_flow), lines.products, values, rev)
                mirrored = _partner_lines(p, china_flow, year, lines, values)
                if mirrored is None:  # Turkmenistan does not report: China's report stands in
                    side = "M" if china_flow == "X" else "X"
                    cif = CIF if side == "M" else 1 / CIF
                    _add_hs4(hs4, (p, side), lines.products, values * cif, prev)
                    own_tkm = sum(hs4[(p, side)][1].values())
                    hs4[(p, side)] = (prev, hs4[(p, side)][1], own_tkm / TKM_CHINA_SHARE[side])
                    continue
                flow, pvalues, own[flow] = mirrored
                _add_hs4(hs4, (p, flow), lines.products, pvalues, prev)
                cif = CIF if flow == "M" else 1 / CIF
                partner_side += _rows(
                    p, "CHN", flow, year, prev, lines.products, pvalues, unit_values * cif
                )
            for flow, value in sorted(own.items()):
                share = _china_shares()[p][YEARS.index(year)]
                world.append(_row(p, "WLD", flow, year, "TOTAL", round(value / share), prev))
                hs4[(p, flow)] = (prev, hs4[(p, flow)][1], value / share)
        wx, wm = _china_world(year)
        for flow, value in (("X", wx), ("M", wm)):
            hs4[("CHN", flow)] = (rev, hs4[("CHN", flow)][1], value * 1e9)
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
    write_demo_world(store, world_slice)  # the world layer at HS4 (issue 20)
    write_demo_partners(store)  # the partners view (issue 13), anchored to the rows above
    write_demo_imf(store)
    return store


# Monthly seasonality of trade (January-February dip around the Lunar New Year).
SEASON = np.array([0.8, 0.75, 1.0, 1.02, 1.05, 1.05, 1.03, 1.04, 1.04, 1.0, 1.08, 1.14])
SEASON = SEASON / SEASON.sum()
IMF_LAST = (2025, 9)  # the demo's IMF series run a year past Comtrade's, as IMF data do


def _imf_annual(reporter: str, partner: str, indicator: str, year: int) -> float | None:
    """Annual USD of one IMF series, consistent with the demo's Comtrade figures."""
    y = min(year, YEARS[-1])
    grow = 1.08 ** (year - YEARS[-1]) if year > YEARS[-1] else 1.0
    if reporter == "CHN" and partner != "G001":
        exports, imports = china_flows(partner, y)
        return grow * (exports if indicator == "XG_FOB_USD" else imports)
    if reporter == "CHN":
        x, m = _china_world(y)
        return grow * 1e9 * (x if indicator == "XG_FOB_USD" else m)
    exports, imports = china_flows(reporter, y)
    # Turkmenistan does not report: the IMF estimates it from mirrors (ratios of the demo's)
    m_ratio = mirror_ratio(reporter, "M", y) or 0.5
    x_ratio = mirror_ratio(reporter, "X", y) or 0.9
    if partner == "CHN":
        return grow * (imports * x_ratio if indicator == "XG_FOB_USD" else exports * m_ratio)
    share = _china_shares()[reporter][YEARS.index(y)] if reporter in _china_shares() else 0.2
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
