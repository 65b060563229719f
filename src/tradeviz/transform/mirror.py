"""Mirror reconciliation: what the exporter reports (FOB) beside what the importer reports
(CIF), for China and each Central Asian partner, in both directions.

Sides are compared at the finest HS level both fetched. When the two sides report in
different HS revisions, HS6 rows are compared at HS4, and headings whose scope changed
between the two revisions (package file hs_changed_headings.csv) are listed as
`unmatched_revision` with both values but no gap: never joined blindly.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from tradeviz.schema import MIRROR_FIELDS, conform
from tradeviz.vocab.countries import CA_ISO3, CHINA
from tradeviz.vocab.revisions import HS_REVISIONS

GROUP = ["exporter", "importer", "freq", "year", "month"]


@lru_cache(maxsize=1)
def changed_headings() -> pd.DataFrame:
    with resources.files("tradeviz.data").joinpath("hs_changed_headings.csv").open() as fh:
        return pd.read_csv(fh, dtype=str)


def heading_changed(heading: str, rev_a: str, rev_b: str) -> bool:
    """True when `heading` changed scope in a revision after the older and up to the newer."""
    lo, hi = sorted((HS_REVISIONS.index(rev_a), HS_REVISIONS.index(rev_b)))
    table = changed_headings()
    for changed_in in table.loc[table["heading"] == heading, "changed_in"]:
        if lo < HS_REVISIONS.index(changed_in) <= hi:
            return True
    return False


def _sides(flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = flows[(flows["source"] == "comtrade") & flows["freq"].isin(["A", "M"])]
    china, ca = CHINA.iso3, list(CA_ISO3)
    exp = f[(f["flow"] == "export") & (((f["reporter"] == china) & f["partner"].isin(ca))
                                       | (f["reporter"].isin(ca) & (f["partner"] == china)))]
    imp = f[(f["flow"] == "import") & (((f["reporter"] == china) & f["partner"].isin(ca))
                                       | (f["reporter"].isin(ca) & (f["partner"] == china)))]
    exp = exp.assign(exporter=exp["reporter"], importer=exp["partner"])
    imp = imp.assign(exporter=imp["partner"], importer=imp["reporter"])
    return exp, imp


def _finest(side: pd.DataFrame) -> pd.DataFrame:
    """Per group, only the rows at the finest level fetched (levels are partitions)."""
    top = side.groupby(GROUP, dropna=False)["hs_level"].transform("max")
    return side[side["hs_level"] == top]


def build_mirror(flows: pd.DataFrame) -> pd.DataFrame:
    flows = flows.assign(month=flows["month"].astype("Int8"))
    exp, imp = _sides(flows)
    exp, imp = _finest(exp), _finest(imp)
    cols = [*GROUP, "hs_rev", "hs_code", "hs_level", "value_usd", "synthetic"]
    exp, imp = exp[cols], imp[cols]
    e_lvl = exp.groupby(GROUP, dropna=False).agg(e_level=("hs_level", "max"),
                                                 e_rev=("hs_rev", "first"))
    i_lvl = imp.groupby(GROUP, dropna=False).agg(i_level=("hs_level", "max"),
                                                 i_rev=("hs_rev", "first"))
    levels = e_lvl.join(i_lvl, how="outer").reset_index()
    levels["match_level"] = levels[["e_level", "i_level"]].min(axis=1).fillna(
        levels[["e_level", "i_level"]].max(axis=1))
    same_rev = levels["e_rev"].fillna("") == levels["i_rev"].fillna("")
    both = levels["e_level"].notna() & levels["i_level"].notna()
    to_hs4 = both & ~same_rev & (levels["match_level"] == 6)
    levels.loc[to_hs4, "match_level"] = 4
    levels["match_level"] = levels["match_level"].astype(int)
    keep = [*GROUP, "match_level", "e_rev", "i_rev"]

    def rolled(side: pd.DataFrame) -> pd.DataFrame:
        side = side.merge(levels[keep], on=GROUP, how="left")
        lvl = side["match_level"]
        code = side["hs_code"].astype(str)
        side["code"] = np.where(lvl == 0, "TOTAL",
                                [c[:n] for c, n in zip(code, lvl, strict=True)])
        return side.groupby([*GROUP, "match_level", "code"], dropna=False).agg(
            value=("value_usd", "sum"), synthetic=("synthetic", "max")).reset_index()

    e = rolled(exp).rename(columns={"value": "exporter_fob_usd", "synthetic": "e_syn"})
    i = rolled(imp).rename(columns={"value": "importer_cif_usd", "synthetic": "i_syn"})
    out = e.merge(i, on=[*GROUP, "match_level", "code"], how="outer")
    out = out.merge(levels[keep], on=[*GROUP, "match_level"], how="left")
    out["status"] = np.select(
        [out["exporter_fob_usd"].isna(), out["importer_cif_usd"].isna()],
        ["importer_only", "exporter_only"], "matched")
    revs_differ = out["e_rev"].notna() & out["i_rev"].notna() & (out["e_rev"] != out["i_rev"])
    check = revs_differ & out["match_level"].isin([4, 6])
    changed = [heading_changed(c[:4], a, b) if m else False
               for c, a, b, m in zip(out["code"], out["e_rev"].fillna("H0"),
                                     out["i_rev"].fillna("H0"), check, strict=True)]
    out.loc[np.array(changed, dtype=bool), "status"] = "unmatched_revision"
    matched = out["status"] == "matched"
    out["gap_usd"] = (out["importer_cif_usd"] - out["exporter_fob_usd"]).where(matched)
    out["ratio"] = (out["importer_cif_usd"] / out["exporter_fob_usd"]).where(
        matched & (out["exporter_fob_usd"] > 0))
    out["direction"] = out["exporter"] + "->" + out["importer"]
    out["synthetic"] = out["e_syn"].fillna(False).astype(bool) | out["i_syn"].fillna(
        False).astype(bool)
    out = out.rename(columns={"code": "hs_code", "e_rev": "exporter_rev",
                              "i_rev": "importer_rev"})
    out = conform(out, MIRROR_FIELDS)
    return out.sort_values(["direction", "freq", "year", "month", "hs_code"],
                           ignore_index=True)
