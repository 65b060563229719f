"""The field's standard trade measures as pure functions over DataFrames in the world
table's columns (issue 20); formulas and citations in each docstring and docs/measures.md.
The Dataset methods (ds.rca, ds.complementarity, ...) are in tradeviz.analysis.structure."""

from tradeviz.analysis.measures.complementarity import (
    complementarity,
    intensity,
    intra_industry,
    similarity,
)
from tradeviz.analysis.measures.complexity import complexity_tables, mean_pci, run_ecomplexity
from tradeviz.analysis.measures.potential import potential
from tradeviz.analysis.measures.prices import price_volume
from tradeviz.analysis.measures.specialisation import concentration, rca
from tradeviz.analysis.measures.world import (
    NOT_COUNTRIES,
    MeasureInputError,
    WorldTotals,
    by_product,
    product_values,
    shares,
    to_hs2022,
)

__all__ = [
    "NOT_COUNTRIES",
    "MeasureInputError",
    "WorldTotals",
    "by_product",
    "complementarity",
    "complexity_tables",
    "concentration",
    "intensity",
    "intra_industry",
    "mean_pci",
    "potential",
    "price_volume",
    "product_values",
    "rca",
    "run_ecomplexity",
    "shares",
    "similarity",
    "to_hs2022",
]
