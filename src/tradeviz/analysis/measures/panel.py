"""A SYNTHETIC world panel in the world table's columns (world_contract: processed/world),
for tests and the measures bench, which need a large world in seconds: about 200 real
reporters over a real HS list, skewed product mixes (each country's top few products carry
most of its exports, as in real data), quantities with their HS units, and bilateral
China-Central Asia product rows in the flows table's columns. Every row has
synthetic=True; nothing here is statistics."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tradeviz.vocab.countries import CA_ISO3, CHINA, COUNTRIES

PROJECT = (CHINA.iso3, *CA_ISO3)
SNAPSHOT = "synthetic-measures-panel"


def _reporters(n: int) -> list[str]:
    rest = [c.iso3 for c in COUNTRIES if c.kind == "country" and c.iso3 not in PROJECT]
    return [*PROJECT, *rest[: max(0, n - len(PROJECT))]]


def _codes(level: int, rev: str) -> pd.DataFrame:
    from tradeviz.vocab import hs

    c = hs.code_columns("level", "unit")
    c = c[(c["rev"] == rev) & (c["level"] == level)]
    return c.reset_index(drop=True)


def _mix(rng, n_rep: int, n_prod: int, alpha: float, density: tuple[float, float]) -> np.ndarray:
    """Reporter x product weights: Pareto-tailed (a few products carry most), each reporter
    trading a random share of the products."""
    w = rng.pareto(alpha, size=(n_rep, n_prod)) + 1e-3
    keep = rng.random((n_rep, n_prod)) < rng.uniform(*density, size=(n_rep, 1))
    w = np.where(keep, w, 0.0)
    return w / w.sum(axis=1, keepdims=True)


def synthetic_world(
    n_reporters: int = 200,
    years: range | list[int] = range(2019, 2024),
    level: int = 6,
    rev: str = "H5",
    seed: int = 20,
) -> pd.DataFrame:
    """The world table's rows (every reporter's exports and imports with the World by
    product), synthetic. Sizes are log-normal; prices drift by product and year; about 1 %
    of quantity units switch to another unit in a year, so unit changes are exercised."""
    rng = np.random.default_rng(seed)
    reps = np.array(_reporters(n_reporters))
    codes = _codes(level, rev)
    n_r, n_p = len(reps), len(codes)
    size = rng.lognormal(23, 1.6, size=n_r)  # ~USD 10 bn median
    base = {
        "export": _mix(rng, n_r, n_p, 0.7, (0.15, 0.6)),
        "import": _mix(rng, n_r, n_p, 2.0, (0.5, 0.9)),
    }
    price = rng.lognormal(1.5, 1.2, size=n_p)
    unit = codes["unit"].fillna("kg").replace("", "kg").to_numpy(dtype=object)
    parts = []
    for t, year in enumerate(years):
        drift = price * np.exp(rng.normal(0.03 * t, 0.1, size=n_p))
        for flow, mix in base.items():
            grow = np.exp(rng.normal(0.04 * t, 0.15, size=mix.shape))
            val = size[:, None] * mix * grow
            r, p = np.nonzero(val > 0)
            v = val[r, p]
            qty = v / drift[p] * np.exp(rng.normal(0, 0.05, size=len(v)))
            u = unit[p].copy()
            u[rng.random(len(v)) < 0.01] = "u"
            kg = np.where(unit[p] == "kg", qty, qty * rng.lognormal(0, 0.5, size=len(v)))
            parts.append(
                _frame(year, level, rev, flow, reps[r], codes["code"].to_numpy()[p], v, kg, qty, u)
            )
    out = pd.concat(parts, ignore_index=True)
    for col in ("source", "freq", "reporter", "partner", "flow", "hs_rev", "hs_code", "qty_unit"):
        out[col] = out[col].astype("category")  # text as categoricals: 5 M rows stay small
    return out


def _frame(year, level, rev, flow, reporter, code, value, kg, qty, unit) -> pd.DataFrame:
    n = len(value)

    def const(text: str) -> pd.Categorical:
        return pd.Categorical.from_codes(np.zeros(n, dtype="int8"), [text])

    return pd.DataFrame(
        {
            "source": const("comtrade"),
            "freq": const("A"),
            "year": np.full(n, year, dtype="int64"),
            "level": np.full(n, level, dtype="int64"),
            "reporter": pd.Categorical(reporter),
            "partner": const("WLD"),
            "flow": const(flow),
            "hs_rev": const(rev),
            "hs_code": pd.Categorical(code),
            "value_usd": value,
            "net_weight_kg": kg,
            "qty": qty,
            "qty_unit": pd.Categorical(unit),
            "is_estimated": np.zeros(n, dtype=bool),
            "synthetic": np.ones(n, dtype=bool),
            "snapshot": const(SNAPSHOT),
        }
    )


def synthetic_bilateral(world: pd.DataFrame, seed: int = 21) -> pd.DataFrame:
    """China <-> each Central Asian country by product, in the flows table's columns, drawn
    from the world rows: each side sells the other a random part of its exports, and each
    report of the same trade is given by both sides (the importer's about 5 % higher, CIF).
    Turkmenistan reports nothing, as in the real data."""
    from tradeviz.analysis.measures.world import to_hs2022
    from tradeviz.schema import FLOWS_FIELDS, conform

    rng = np.random.default_rng(seed)
    ex = world[(world["flow"] == "export") & world["reporter"].isin(PROJECT)]
    parts = []
    for c in CA_ISO3:
        for seller, buyer in ((c, CHINA.iso3), (CHINA.iso3, c)):
            rows = ex[ex["reporter"] == seller]
            keep = rng.random(len(rows)) < (0.3 if seller == c else 0.5)
            rows = rows[keep]
            frac = rng.beta(0.6, 3.0, size=len(rows))
            for rep, flow, uplift in ((seller, "export", 1.0), (buyer, "import", 1.05)):
                if rep == "TKM":
                    continue
                parts.append(
                    pd.DataFrame(
                        {
                            "source": "comtrade",
                            "freq": "A",
                            "year": rows["year"].to_numpy(),
                            "reporter": rep,
                            "partner": buyer if rep == seller else seller,
                            "flow": flow,
                            "hs_rev": rows["hs_rev"].astype(str).to_numpy(),
                            "hs_code": rows["hs_code"].astype(str).to_numpy(),
                            "hs_level": rows["level"].to_numpy(),
                            "value_usd": rows["value_usd"].to_numpy() * frac * uplift,
                            "net_weight_kg": rows["net_weight_kg"].to_numpy() * frac,
                            "qty": rows["qty"].to_numpy() * frac,
                            "qty_unit": rows["qty_unit"].astype(str).to_numpy(),
                            "is_estimated": False,
                            "synthetic": True,
                            "snapshot": SNAPSHOT,
                        }
                    )
                )
    out = pd.concat(parts, ignore_index=True)
    out["hs6_h6"] = to_hs2022(out["hs_rev"], out["hs_code"]).astype(str)  # as the build does
    return conform(out, FLOWS_FIELDS)


def in_memory_world(panel: dict[int, pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """`ds.world(level, years, reporters, flow)` of the world contract over in-memory frames
    by HS level (years a (first, last) pair), raising what the store's accessor raises for a
    level it does not hold: a Dataset of synthetic frames answers like one over the store."""
    from tradeviz.errors import WorldLayerMissingError

    def world(level: int = 6, years=None, reporters=None, flow=None) -> pd.DataFrame:
        if level not in panel:
            raise WorldLayerMissingError(
                f"no world layer at HS{level}: run `tradeviz fetch comtrade --plan world "
                f"--level {level}` then `tradeviz build`"
            )
        w = panel[level]
        keep = np.ones(len(w), dtype=bool)
        if years is not None:
            keep &= w["year"].between(*years).to_numpy()
        if reporters is not None:
            keep &= w["reporter"].isin(reporters).to_numpy()
        if flow is not None:
            keep &= (w["flow"] == flow).to_numpy()
        return w[keep]

    return world
