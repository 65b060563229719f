"""Runs of equal rows in sorted arrays: where groups start, for the integer group-bys of
assemble, mirror and focus (no hash table, no pandas group-by)."""

from __future__ import annotations

import numpy as np


def run_starts(*cols: np.ndarray) -> np.ndarray:
    """True where a row differs from the previous one in any of `cols` (sorted data: the
    first row of each group)."""
    new = np.zeros(len(cols[0]), dtype=bool)
    new[:1] = True
    for c in cols:
        new[1:] |= c[1:] != c[:-1]
    return new
