"""Say what each flow row's product is, and give HS6 rows one code across revisions.

Adds to flows (vectorised: merges on the package HS reference, no per-row Python):
- `hs_description`: the description of (hs_rev, hs_code) in the row's own revision; for a
  code that revision's list lacks, the API's `cmdDesc` when the row carries it (`cmd_desc`);
- `hs6_h6` and `converted`: the HS2022 code of an HS6 row (vocab.hs.to_latest), so charts of
  one product over many years do not lose it when its code changes.
"""

from __future__ import annotations

import pandas as pd

from tradeviz.vocab import hs


def describe(flows: pd.DataFrame) -> pd.DataFrame:
    """`flows` with hs_description, hs6_h6 and converted set (other columns untouched)."""
    rev = flows["hs_rev"].astype(object)
    code = flows["hs_code"].astype(object)
    desc = hs.descriptions(rev, code)
    if "cmd_desc" in flows.columns:
        desc = desc.fillna(flows["cmd_desc"].where(flows["hs_code"] != "TOTAL"))
    desc = desc.where(flows["hs_code"] != "TOTAL", "All commodities")
    conv = hs.to_latest()
    table = conv.set_index(["rev", "code"])[["hs6_h6", "converted"]]
    keys = pd.MultiIndex.from_arrays([rev, code])
    got = table.reindex(keys)
    six = (flows["hs_level"] == 6).to_numpy()
    out = flows.assign(
        hs_description=desc.astype("str"),
        hs6_h6=pd.Series(got["hs6_h6"].to_numpy(), index=flows.index).where(six),
        converted=pd.Series(got["converted"].to_numpy(), index=flows.index).where(six))
    return out.drop(columns=["cmd_desc"], errors="ignore")
