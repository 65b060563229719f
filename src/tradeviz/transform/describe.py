"""Say what each flow row's product is, and give HS6 rows one code across revisions.

The three columns come back as categoricals (the build's compact table); the flows table
in schema dtypes decodes them.

Adds to flows (vectorised: merges on the package HS reference, no per-row Python):
- `hs_description`: the description of (hs_rev, hs_code) in the row's own revision; for a
  code that revision's list lacks, the API's `cmdDesc` when the row carries it (`cmd_desc`);
- `hs6_h6` and `converted`: the HS2022 code of an HS6 row (vocab.hs.to_latest), so charts of
  one product over many years do not lose it when its code changes.

Everything is worked out once per distinct (hs_rev, hs_code) pair (a few thousand, against
hundreds of thousands of rows) and taken back to the rows by position.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.schema import text_categorical
from tradeviz.vocab import hs


def _pairs(flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct (hs_rev, hs_code) pair, each row's pair number)."""
    rev, revs = pd.factorize(flows["hs_rev"], use_na_sentinel=False)
    code, codes = pd.factorize(flows["hs_code"], use_na_sentinel=False)
    pair = rev.astype(np.int64) * max(len(codes), 1) + code
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    return first, inverse


def describe(flows: pd.DataFrame) -> pd.DataFrame:
    """`flows` with hs_description, hs6_h6 and converted set (other columns untouched)."""
    if flows.empty:
        out = flows.assign(
            hs_description=pd.Series(dtype="str", index=flows.index),
            hs6_h6=pd.Series(dtype="str", index=flows.index),
            converted=pd.Series(dtype="str", index=flows.index),
        )
        return out.drop(columns=["cmd_desc"], errors="ignore")
    first, inverse = _pairs(flows)
    rev = flows["hs_rev"].iloc[first].astype(object).reset_index(drop=True)
    code = flows["hs_code"].iloc[first].astype(object).reset_index(drop=True)
    total = (code == "TOTAL").to_numpy()
    desc = hs.descriptions(rev, code)
    if "cmd_desc" in flows.columns:  # the API's text, first one given for the pair
        api = flows["cmd_desc"].groupby(inverse).first().reindex(range(len(first)))
        desc = desc.fillna(pd.Series(api.to_numpy(), index=desc.index).where(~total))
    desc = desc.where(~total, "All commodities")
    revs = tuple(sorted(set(rev.dropna())))
    table = hs.to_latest_of(revs).set_index(["rev", "code"])[["hs6_h6", "converted"]]
    got = table.reindex(pd.MultiIndex.from_arrays([rev, code]))
    six = (flows["hs_level"] == 6).to_numpy()

    def spread(values: np.ndarray, only_six: bool) -> pd.Series:
        """Per-pair values to the rows, as a categorical (each text stored once)."""
        row = np.where(six, inverse, -1) if only_six else inverse
        return pd.Series(text_categorical(values, row), index=flows.index)

    out = flows.assign(
        hs_description=spread(desc.to_numpy(), False),
        hs6_h6=spread(got["hs6_h6"].to_numpy(), True),
        converted=spread(got["converted"].to_numpy(), True),
    )
    return out.drop(columns=["cmd_desc"], errors="ignore")
