"""Mirror reconciliation: what the exporter reports (FOB) beside what the importer reports
(CIF), for China and each Central Asian partner, in both directions.

Sides are compared at the finest HS level both fetched. When both report in one HS
revision, codes compare directly. When they report in different revisions, they are
compared over the connected groups of UNSD's correlation tables between those revisions
(vocab.hs.groups): codes linked through any 1:n, n:1 or n:n relation form one group, a 1:1
code is a group alone, and each row keeps the group id and the codes each side reported
(hs_code is then the first code the exporter reported in the group).
matched / exporter_only / importer_only then mean: both sides, or one side only, reported
something in the group.

The importer's side is its CIF value where it reports one (`cif_usd`), else its primary
value (`importer_basis` says which), so the gap is the CIF/FOB gap it claims to be.
Everything is merges and group-bys: no per-row Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeviz.schema import MIRROR_FIELDS, conform
from tradeviz.vocab import hs
from tradeviz.vocab.countries import CA_ISO3, CHINA

GROUP = ["exporter", "importer", "freq", "year", "month"]


# the flows columns the comparison reads: the sides copy these only, not descriptions etc.
USED = [
    "freq",
    "year",
    "month",
    "reporter",
    "partner",
    "flow",
    "hs_rev",
    "hs_code",
    "hs_level",
    "value_usd",
    "cif_usd",
    "synthetic",
]


def _sides(flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    china, ca = CHINA.iso3, list(CA_ISO3)
    rep, par = flows["reporter"], flows["partner"]
    pair = ((rep == china) & par.isin(ca)) | (rep.isin(ca) & (par == china))
    pair &= (flows["source"] == "comtrade") & flows["freq"].isin(["A", "M"])
    used = [c for c in USED if c in flows.columns]
    exp = flows.loc[pair & (flows["flow"] == "export"), used]
    imp = flows.loc[pair & (flows["flow"] == "import"), used]
    exp["month"], imp["month"] = exp["month"].astype("Int8"), imp["month"].astype("Int8")
    exp = exp.assign(exporter=exp["reporter"], importer=exp["partner"], has_cif=True)
    cif = imp["cif_usd"] if "cif_usd" in imp.columns else pd.Series(np.nan, index=imp.index)
    imp = imp.assign(
        exporter=imp["partner"],
        importer=imp["reporter"],
        value_usd=cif.fillna(imp["value_usd"]),
        has_cif=cif.notna(),
    )
    return exp, imp


CELL = "cell"  # integer id of a comparison cell (GROUP), the same on both sides


def _with_cells(
    exp: pd.DataFrame, imp: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Both sides with the integer id of their cell instead of its five key columns, and
    the cells (GROUP columns by id): group-bys and joins then key on one integer."""
    both = pd.concat([exp[GROUP], imp[GROUP]], ignore_index=True)
    ids = both.groupby(GROUP, dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(ids, return_index=True)[1]
    cells = both.iloc[first].set_axis(pd.Index(ids[first], name=CELL))
    drop = [*GROUP, "reporter", "partner", "flow"]
    exp = exp.drop(columns=drop).assign(cell=ids[: len(exp)])
    imp = imp.drop(columns=drop).assign(cell=ids[len(exp) :])
    return exp, imp, cells


def _finest(side: pd.DataFrame) -> pd.DataFrame:
    """Per cell, only the rows at the finest level fetched (levels are partitions)."""
    top = side.groupby(CELL)["hs_level"].transform("max")
    return side[side["hs_level"] == top]


def _levels(exp: pd.DataFrame, imp: pd.DataFrame) -> pd.DataFrame:
    """Per comparison cell (by id): each side's level and revision, and the level compared
    at."""
    e = exp.groupby(CELL).agg(e_level=("hs_level", "max"), e_rev=("hs_rev", "first"))
    i = imp.groupby(CELL).agg(i_level=("hs_level", "max"), i_rev=("hs_rev", "first"))
    lv = e.join(i, how="outer")
    lv["match_level"] = lv[["e_level", "i_level"]].min(axis=1).astype(int)
    both = lv["e_rev"].notna() & lv["i_rev"].notna()
    lv["grouped"] = both & (lv["e_rev"] != lv["i_rev"]) & (lv["match_level"] > 0)
    return lv


def _keyed(side: pd.DataFrame, lv: pd.DataFrame, rev_col: str) -> pd.DataFrame:
    """Side rows with `code` at match_level and `key` (the code, or its group id)."""
    got = lv.loc[side[CELL].to_numpy(), ["match_level", "grouped", "e_rev", "i_rev"]]
    got.index = side.index
    side = side.assign(**{c: got[c] for c in got.columns})
    lvl = side["match_level"].to_numpy()
    # string column operations only: np.select would make a Python object of every code
    code = side["hs_code"].astype("str").str.slice(0, 6)
    for level, cut in ((4, 4), (2, 2)):
        if (lvl == level).any():
            code = code.where(lvl != level, code.str.slice(0, cut))
    side["code"] = code.where(lvl != 0, "TOTAL")
    side["key"] = side["code"]
    side["group_id"] = pd.Series(pd.NA, index=side.index, dtype="object")
    grouped = side[side["grouped"]]
    for (e_rev, i_rev, level), part in grouped.groupby(["e_rev", "i_rev", "match_level"]):
        g = hs.groups(e_rev, i_rev, int(level))
        g = g[g["rev"] == part[rev_col].iloc[0]].set_index("code")["group"]
        ids = g.reindex(part["code"]).to_numpy()
        # a code no table knows stays alone, under its own id
        ids = np.where(pd.isna(ids), part[rev_col] + ":" + part["code"], ids)
        side.loc[part.index, "group_id"] = ids
        side.loc[part.index, "key"] = ids
    return side


def _rolled(side: pd.DataFrame, prefix: str) -> pd.DataFrame:
    by = [CELL, "match_level", "key"]
    out = (
        side.groupby(by, dropna=False)
        .agg(
            value=("value_usd", "sum"),
            syn=("synthetic", "max"),
            n_cif=("has_cif", "sum"),
            n=("has_cif", "size"),
            group_id=("group_id", "first"),
            first=("code", "min"),
        )
        .reset_index()
    )
    # codes reported per key: one code almost always; join only the keys with several
    codes = side[[*by, "code"]].drop_duplicates().sort_values("code")
    several = codes.groupby(by, dropna=False)["code"].transform("size") > 1
    joined = pd.concat(
        [
            codes[~several].rename(columns={"code": "codes"}),
            codes[several]
            .groupby(by, dropna=False)["code"]
            .agg(",".join)
            .rename("codes")
            .reset_index(),
        ],
        ignore_index=True,
    )
    out = out.merge(joined, on=by, how="left")
    return out.rename(
        columns={
            c: f"{prefix}_{c}" for c in ("value", "syn", "n_cif", "n", "group_id", "codes", "first")
        }
    )


def build_mirror(flows: pd.DataFrame) -> pd.DataFrame:
    """The mirror table. Cells of different partner countries never meet (every step joins
    on exporter and importer), so a large table is compared one Central Asian country at a
    time: the intermediates then take a fraction of the memory."""
    exp, imp = _sides(flows)
    china = CHINA.iso3
    e_of = exp["exporter"].where(exp["exporter"] != china, exp["importer"])
    i_of = imp["exporter"].where(imp["exporter"] != china, imp["importer"])
    countries = sorted(set(e_of.unique()) | set(i_of.unique()))
    pieces = [(exp[e_of == c], imp[i_of == c]) for c in countries]
    if len(exp) + len(imp) < CHUNK_ROWS or any(e.empty or i.empty for e, i in pieces):
        pieces = [(exp, imp)]  # small, or a side missing somewhere: one comparison
    del exp, imp, e_of, i_of
    done = []
    while pieces:  # each piece's inputs released once compared, its extra columns at once
        e, i = pieces.pop(0)
        done.append(conform(_compared(e, i), MIRROR_FIELDS))
        del e, i
    out = pd.concat(done, ignore_index=True)
    del done
    return out.sort_values(["direction", "freq", "year", "month", "hs_code"], ignore_index=True)


CHUNK_ROWS = 50_000  # side rows above which the comparison goes country by country


def _compared(exp: pd.DataFrame, imp: pd.DataFrame) -> pd.DataFrame:
    """Mirror rows of the given exporter and importer sides (not yet conformed)."""
    exp, imp, cells = _with_cells(exp, imp)
    exp, imp = _finest(exp), _finest(imp)
    lv = _levels(exp, imp)
    e = _rolled(_keyed(exp, lv, "e_rev"), "e")
    i = _rolled(_keyed(imp, lv, "i_rev"), "i")
    out = e.merge(i, on=[CELL, "match_level", "key"], how="outer")
    out = out.join(lv[["e_rev", "i_rev"]], on=CELL).join(cells, on=CELL)
    out["group_id"] = out["e_group_id"].fillna(out["i_group_id"])
    # a group is named by the first code the exporter reported in it (else the importer)
    out["hs_code"] = out["key"].where(out["group_id"].isna(), out["e_first"].fillna(out["i_first"]))
    out["status"] = np.select(
        [out["e_value"].isna(), out["i_value"].isna()],
        ["importer_only", "exporter_only"],
        "matched",
    )
    matched = out["status"] == "matched"
    out["exporter_fob_usd"] = out["e_value"]
    out["importer_cif_usd"] = out["i_value"]
    out["gap_usd"] = (out["i_value"] - out["e_value"]).where(matched)
    out["ratio"] = (out["i_value"] / out["e_value"]).where(matched & (out["e_value"] > 0))
    out["importer_basis"] = np.select(
        [out["i_n"].isna(), out["i_n_cif"] == out["i_n"], out["i_n_cif"] == 0],
        [None, "cif", "value_usd"],
        "mixed",
    )
    out["direction"] = out["exporter"] + "->" + out["importer"]
    out["synthetic"] = out["e_syn"].fillna(False).astype(bool) | out["i_syn"].fillna(False).astype(
        bool
    )
    return out.rename(
        columns={
            "e_rev": "exporter_rev",
            "i_rev": "importer_rev",
            "e_codes": "exporter_codes",
            "i_codes": "importer_codes",
        }
    )
