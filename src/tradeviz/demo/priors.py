"""The demo's priors (tradeviz/data/demo_priors.yaml) read into plain tables: what each
country trades with China, how shares and prices move, the anchors. The numbers live in the
cited data file, not here; this module only reads and interpolates them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import yaml

from tradeviz.errors import TradevizError


class DemoPriorsError(TradevizError):
    """The demo priors file is inconsistent (a missing source, a wrong length)."""


@dataclass(frozen=True)
class Product:
    """One product line of a mix: its code (as of HS2017), relative share, price series,
    USD per HS unit in 2019, and share multipliers by year."""

    hs6: str
    share: float
    price: str
    unit_value: float
    source: str
    knots: dict[int, float] = field(default_factory=dict)

    def weight(self, year: int) -> float:
        """The share scaled by the knots at `year` (linear between knots, flat outside)."""
        if not self.knots:
            return self.share
        ys = sorted(self.knots)
        return self.share * float(np.interp(year, ys, [self.knots[y] for y in ys]))


@dataclass(frozen=True)
class Priors:
    raw: dict
    years: tuple[int, ...]
    import_mix: dict[str, tuple[Product, ...]]
    export_mix: tuple[Product, ...]

    @property
    def sources(self) -> dict[str, str]:
        return self.raw["sources"]

    def total(self, partner: str, year: int) -> float:
        """China-reported total trade with `partner` in `year`, USD bn."""
        return float(self.raw["totals"][partner][self.years.index(year)])

    def price(self, family: str, year: int) -> float:
        """A price series at `year` over its 2019 value; gas is priced on oil with a lag
        (mean of this and last year), as long-term pipeline contracts are."""
        if family == "gas":
            prev = max(year - 1, self.years[0])
            return (self.price("oil", year) + self.price("oil", prev)) / 2
        values = self.raw["prices"][family]["values"]
        return float(values[self.years.index(year)] / values[self.years.index(2019)])

    def tilt(self, partner: str, hs6: str) -> float:
        factors = self.raw["export_tilt"].get(partner, {}).get("factors", {})
        return float(factors.get(hs6[:2], 1.0))

    @property
    def tail(self) -> dict:
        return self.raw["export_tail"]


def _product(entry: dict, where: str, sources: dict) -> Product:
    if entry.get("source") not in sources:
        raise DemoPriorsError(f"demo priors: {where} {entry.get('hs6')} has no known source")
    return Product(
        hs6=str(entry["hs6"]),
        share=float(entry["share"]),
        price=str(entry["price"]),
        unit_value=float(entry["unit_value"]),
        source=str(entry["source"]),
        knots={int(k): float(v) for k, v in (entry.get("knots") or {}).items()},
    )


@cache
def load() -> Priors:
    """The shipped priors (tradeviz/data/demo_priors.yaml), checked by `parse`."""
    text = resources.files("tradeviz.data").joinpath("demo_priors.yaml").read_text("utf-8")
    return parse(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def parse(raw: dict) -> Priors:
    """Priors from the parsed file, checked: every product and price series has a known
    source, every yearly series one value per year, every price named exists."""
    first, last = raw["years"]
    years = tuple(range(first, last + 1))
    sources = raw["sources"]
    series = [(f"totals {k}", v) for k, v in raw["totals"].items() if k != "source"]
    series += [(f"prices {k}", v["values"]) for k, v in raw["prices"].items()]
    for name, values in series:
        if len(values) != len(years):
            raise DemoPriorsError(f"demo priors: {name} has {len(values)} values, not {len(years)}")
    for name, p in raw["prices"].items():
        if p.get("source") not in sources:
            raise DemoPriorsError(f"demo priors: prices {name} has no known source")
    imports = {
        country: tuple(_product(e, f"import_mix {country}", sources) for e in entries)
        for country, entries in raw["import_mix"].items()
    }
    exports = tuple(_product(e, "export_mix", sources) for e in raw["export_mix"])
    priced = {p.price for p in exports} | {p.price for mix in imports.values() for p in mix}
    unknown = sorted(priced - set(raw["prices"]) - {"gas"})  # gas is priced on oil
    if unknown:
        raise DemoPriorsError(f"demo priors: products priced on unknown series {unknown}")
    return Priors(raw=raw, years=years, import_mix=imports, export_mix=exports)
