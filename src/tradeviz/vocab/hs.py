"""The HS nomenclature of every revision, as shipped in tradeviz/data/hs/ (built from UN
Comtrade's lists and UNSD's tables by scripts/build_hs_reference.py).

One place answers: does code C exist in revision R; its description, parent, level, unit;
its BEC Rev.4 class and SNA end use; the codes it correlates with in another revision
(adjacent UNSD tables, chained), with the relation; the connected correlation groups the
mirror compares over; each code's HS2022 equivalent for long series. A bare code is never
an identifier: every look-up takes the revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from tradeviz.errors import TradevizError
from tradeviz.vocab.revisions import HS_REVISIONS, LATEST

# A newer code linked to more older codes than this is a catch-all of UNSD's table (HS2022
# e-waste 8549xx and display modules 8524xx link to 483-1019 HS2017 codes; HS2017 MCOs
# 854231-9 to 159): for groups and conversion only its conversion-table link is kept,
# otherwise every group of the two revisions would merge into one.
HUB_DEGREE = 100


class UnknownCodeError(TradevizError):
    """An HS code that does not exist in the revision it was given in."""


@dataclass(frozen=True)
class HsCode:
    rev: str
    code: str
    description: str
    parent: str
    level: int
    unit: str | None
    is_leaf: bool


_REFERENCE_DIR: Path | None = None  # None: the package data


def use_reference_dir(folder: Path | None) -> None:
    """Read the reference tables from `folder` (None: the package's), every cache of this
    module cleared (caches built from them elsewhere, e.g. focus tags, are not):
    scripts/build_hs_reference.py derives to_latest from the tables it has just built."""
    global _REFERENCE_DIR
    _REFERENCE_DIR = folder
    for value in list(globals().values()):
        if hasattr(value, "cache_clear"):
            value.cache_clear()


def _read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
    if _REFERENCE_DIR is not None:
        return pd.read_parquet(_REFERENCE_DIR / f"{name}.parquet", columns=columns)
    path = resources.files("tradeviz.data").joinpath("hs").joinpath(f"{name}.parquet")
    with path.open("rb") as fh:
        return pd.read_parquet(fh, columns=columns)


@lru_cache(maxsize=1)
def codes() -> pd.DataFrame:
    """Every code of every revision: rev, code, description, parent, is_leaf, level, unit,
    legacy (Comtrade's non-WCO breakdowns), readable (the description, with its heading's
    first clause where the text is a fragment) and label (the short text charts and tables
    show, vocab.labels). The two
    derived texts are computed by readable_texts() when the package data is built, not at
    every start."""
    return _read("codes")


def code_columns(*columns: str) -> pd.DataFrame:
    """rev, code and `columns` of codes(): from codes() when it is loaded, else those
    columns alone (a cold CLI or build reads no texts it does not need)."""
    return codes() if codes.cache_info().currsize else _code_columns(columns)


@lru_cache(maxsize=4)
def _code_columns(columns: tuple[str, ...]) -> pd.DataFrame:
    return _read("codes", ["rev", "code", *columns])


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], int]:
    df = codes()
    return {k: i for i, k in enumerate(zip(df["rev"], df["code"], strict=True))}


@lru_cache(maxsize=1)
def correlation() -> pd.DataFrame:
    """UNSD's full correlation of each adjacent pair: newer_rev, older_rev, newer, older,
    relation (newer on the left: n:1 = several newer codes to one older code)."""
    return _read("correlation")


@lru_cache(maxsize=1)
def conversion() -> pd.DataFrame:
    """UNSD's conversion tables (one older code per newer code), all 21 pairs."""
    return _read("conversion")


@lru_cache(maxsize=1)
def bec_table() -> pd.DataFrame:
    return _read("bec")


def exists(code: str, rev: str) -> bool:
    return (rev, code) in _index()


def revisions_of(code: str) -> list[str]:
    """The revisions in which `code` exists (in order)."""
    return [r for r in HS_REVISIONS if (r, code) in _index()]


def check_code(code: str, rev: str) -> HsCode:
    """The code's record, or UnknownCodeError naming the revisions where it exists."""
    i = _index().get((rev, code))
    if i is None:
        where = revisions_of(code)
        hint = f"it exists in {', '.join(where)}" if where else "it exists in no HS revision H0-H6"
        raise UnknownCodeError(
            f"HS code {code!r} does not exist in {rev}; {hint}. "
            "Fix: pass --rev with one of those revisions, or "
            f"`tradeviz hs search` for the goods"
        )
    row = codes().iloc[i]
    unit = row["unit"] if isinstance(row["unit"], str) else None
    return HsCode(
        rev, code, row["description"], row["parent"], int(row["level"]), unit, bool(row["is_leaf"])
    )


def description(code: str, rev: str) -> str:
    return check_code(code, rev).description


def parent(code: str, rev: str) -> str:
    return check_code(code, rev).parent


def unit(code: str, rev: str) -> str | None:
    return check_code(code, rev).unit


def level(code: str, rev: str) -> int:
    return check_code(code, rev).level


def hs6_under(prefix: str, rev: str) -> list[str]:
    """The WCO HS6 codes of `rev` under a 2- or 4-digit prefix (or the code itself)."""
    c = codes()
    sel = (c["rev"] == rev) & (c["level"] == 6) & ~c["legacy"] & c["code"].str.startswith(prefix)
    return sorted(c.loc[sel, "code"])


def bec(code: str, rev: str) -> pd.DataFrame:
    """BEC Rev.4 classes of an HS6 code (several for `n:n` codes): bec, bec_description,
    sna_class (capital / intermediate / consumption goods, or not classified), relation.
    Empty for HS1992 (UNSD publishes no HS1992 table) and for codes above HS6."""
    check_code(code, rev)
    b = bec_table()
    return b[(b["rev"] == rev) & (b["code"] == code)].reset_index(drop=True)


def readable_texts(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(readable, label) texts. HS1992-HS2012 subheading texts are fragments ('Other',
    'Not decaffeinated') that only make sense under their heading; HS2017+ texts stand alone
    ('Coffee; not roasted or decaffeinated'). A fragment gets its heading's first clause:
    readable 'Coffee: Not decaffeinated'. The label is the short form charts and tables show
    (tradeviz.vocab.labels: at most LABEL_WIDTH characters, never cut mid-word, a cited
    override where one exists)."""
    from tradeviz.vocab.labels import labels  # noqa: PLC0415 (labels imports nothing of hs)

    text = df["description"].str.replace(r"\s+", " ", regex=True).str.strip()
    by_key = pd.Series(text.to_numpy(), index=pd.MultiIndex.from_arrays([df["rev"], df["code"]]))
    ptext = pd.Series(
        by_key.reindex(pd.MultiIndex.from_arrays([df["rev"], df["parent"]])).to_numpy(),
        index=df.index,
    )
    if ptext.notna().any():
        clause = ptext.str.split(r"[,;:(]", n=1, regex=True).str[0].str.strip()
    else:  # no parent text at all (descriptions() of HS2 codes alone)
        clause = pd.Series(pd.NA, index=df.index, dtype="str")
    fragment = (
        (df["level"] == 6)
        & ~text.str.contains(r"[;:]", regex=True)
        & clause.fillna("").str.len().gt(0)
    )
    # HS1992-style 'Coal, whether or not pulverised ... :-- Bituminous coal': the part
    # after the last colon is the subheading, the text's own first clause the heading
    nested = (df["level"] == 6) & text.str.contains(r":\s*-", regex=True)
    clause_4 = clause
    clause = clause.where(~nested, text.str.split(r"[,;:(]", n=1, regex=True).str[0].str.strip())
    # the label's heading: the heading's first clause, and a nested subheading's own text
    # ('Milk and cream; in powder, granules...'); under a bare 'Other' the whole heading
    inner = text.str.rsplit(":", n=1).str[0].str.strip(" :-").where(nested, "")
    rest = inner.str.replace(r"^Other(?:,\s*|\s*$)", "", regex=True)
    text = text.where(~nested, text.str.rsplit(":", n=1).str[-1].str.lstrip("- ").str.strip())
    bare = text.str.fullmatch(r"(?i)others?\.?") & rest.eq("")
    under = rest.ne("") & (rest.ne(inner) | inner.str.match(r"(?:Of|In|With|Not|For) "))
    heading = clause_4.where(~bare, ptext)
    heading = heading.where(~under, clause_4 + "; " + rest).where(~nested | under | bare, inner)
    fragment |= nested
    readable = text.where(~fragment, clause + ": " + text)
    label = labels(df["rev"], df["code"], text, heading.where(fragment))
    return readable, label


def short_label(code: str, rev: str | None = None) -> str:
    """'code + label' for charts and tables; the bare code when unknown. Without `rev`, the
    latest revision that has the code."""
    if rev is None:
        where = revisions_of(code)
        rev = where[-1] if where else None
    i = _index().get((rev, code)) if rev else None
    return code if i is None else f"{code} {codes()['label'].iat[i]}"


def labels_of(rev: pd.Series, code: pd.Series) -> pd.Series:
    """The label (at most LABEL_WIDTH characters, no code) for columns of revisions and
    codes; null where the reference does not know the code."""
    c = code_columns("label")
    table = pd.Series(c["label"].to_numpy(), index=pd.MultiIndex.from_arrays([c["rev"], c["code"]]))
    keys = pd.MultiIndex.from_arrays([rev.astype(object), code.astype(object)])
    return pd.Series(table.reindex(keys).to_numpy(), index=code.index, dtype="str")


def short_labels(rev: pd.Series, code: pd.Series) -> pd.Series:
    """Vectorised short_label over columns (e.g. a frame's hs_rev and hs_code)."""
    label = labels_of(rev, code)
    return (code.astype(str) + " " + label).where(label.notna(), code.astype(str))


def descriptions(rev: pd.Series, code: pd.Series) -> pd.Series:
    """Readable descriptions for columns of revisions and codes (null where unknown)."""
    c = code_columns("readable")
    table = pd.Series(
        c["readable"].to_numpy(), index=pd.MultiIndex.from_arrays([c["rev"], c["code"]])
    )
    keys = pd.MultiIndex.from_arrays([rev.astype(object), code.astype(object)])
    return pd.Series(table.reindex(keys).to_numpy(), index=code.index, dtype="str")


def search(text: str, rev: str = LATEST, limit: int = 50) -> pd.DataFrame:
    """Codes of `rev` whose description contains every word of `text` (case-insensitive)."""
    c = codes()
    sel = c["rev"] == rev
    for word in text.lower().split():
        sel &= c["description"].str.lower().str.contains(word, regex=False)
    return c.loc[sel, ["code", "level", "description"]].head(limit).reset_index(drop=True)


# ------------------------------------------------------------------ correlation chains


def _flip(relation: pd.Series) -> pd.Series:
    return relation.map({"1:1": "1:1", "1:n": "n:1", "n:1": "1:n", "n:n": "n:n"})


@lru_cache(maxsize=32)
def _step(a: str, b: str, pruned: bool) -> pd.DataFrame:
    """Links of adjacent revisions a -> b: columns src, dst, relation (src:dst). Cached:
    groups() and links() chain the same few steps (callers never modify the frame)."""
    newer, older = (a, b) if HS_REVISIONS.index(a) > HS_REVISIONS.index(b) else (b, a)
    corr = correlation()
    t = corr[(corr["newer_rev"] == newer) & (corr["older_rev"] == older)]
    if pruned:
        t = t[~_hub_links(t, newer, older)]
    if a == newer:
        return pd.DataFrame({"src": t["newer"], "dst": t["older"], "relation": t["relation"]})
    return pd.DataFrame({"src": t["older"], "dst": t["newer"], "relation": _flip(t["relation"])})


def _hub_links(t: pd.DataFrame, newer: str, older: str) -> np.ndarray:
    """Links of a catch-all code (more than HUB_DEGREE older codes) that are not its
    conversion-table link. Only the few hub codes' links are looked up in the table."""
    hub = (t.groupby("newer")["older"].transform("size") > HUB_DEGREE).to_numpy(copy=True)
    if not hub.any():
        return hub
    conv = conversion()
    conv = conv[(conv["newer_rev"] == newer) & (conv["older_rev"] == older)]
    keep = pd.MultiIndex.from_frame(conv[["newer", "older"]])
    in_conv = pd.MultiIndex.from_frame(t.loc[hub, ["newer", "older"]]).isin(keep)
    hub[np.flatnonzero(hub)[in_conv]] = False
    return hub


@lru_cache(maxsize=64)
def links(from_rev: str, to_rev: str, pruned: bool = False) -> pd.DataFrame:
    """Codes of `from_rev` linked to codes of `to_rev` through UNSD's adjacent correlation
    tables, chained: columns src, dst, relation (1:1, 1:n, n:1, n:n seen from src). Adjacent
    pairs keep UNSD's relation; chained pairs get it from the composed links. `pruned` keeps
    only the conversion link of catch-all codes (see HUB_DEGREE)."""
    i, j = HS_REVISIONS.index(from_rev), HS_REVISIONS.index(to_rev)
    if i == j:
        c = codes()
        six = c.loc[(c["rev"] == from_rev) & (c["level"] == 6), "code"]
        return pd.DataFrame({"src": six, "dst": six, "relation": "1:1"}).reset_index(drop=True)
    step = 1 if j > i else -1
    revs = [HS_REVISIONS[k] for k in range(i, j + step, step)]  # also down to HS1992
    out = _step(revs[0], revs[1], pruned)
    if len(revs) == 2:
        return out.reset_index(drop=True)
    for a, b in zip(revs[1:-1], revs[2:], strict=True):
        nxt = _step(a, b, pruned)[["src", "dst"]].rename(columns={"src": "mid", "dst": "to"})
        out = out[["src", "dst"]].rename(columns={"dst": "mid"}).merge(nxt, on="mid")
        out = out[["src", "to"]].rename(columns={"to": "dst"}).drop_duplicates()
    many_dst = out.groupby("src")["dst"].transform("size") > 1
    many_src = out.groupby("dst")["src"].transform("size") > 1
    out["relation"] = np.where(many_src, "n", "1") + ":" + np.where(many_dst, "n", "1")
    return out.sort_values(["src", "dst"]).reset_index(drop=True)


def correlated(code: str, rev: str, to_rev: str) -> pd.DataFrame:
    """The codes of `to_rev` that `code` (in `rev`) correlates with: code, relation,
    description."""
    check_code(code, rev)
    t = links(rev, to_rev)
    t = t[t["src"] == code].rename(columns={"dst": "code"})[["code", "relation"]]
    t["description"] = descriptions(pd.Series(to_rev, index=t.index), t["code"])
    return t.reset_index(drop=True)


def _components(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label (smallest node index) of n nodes joined by edges u-v."""
    label = np.arange(n)
    while True:
        old = label.copy()
        m = np.minimum(label[u], label[v])
        np.minimum.at(label, u, m)
        np.minimum.at(label, v, m)
        label = label[label]
        if np.array_equal(label, old):
            return label


def groups(rev_a: str, rev_b: str, level: int = 6) -> pd.DataFrame:
    """Connected groups of codes of two revisions at `level` digits: codes linked through
    any 1:n, n:1 or n:n relation of the chained tables share a group (catch-all links
    pruned, see HUB_DEGREE). Columns rev, code, group ("<rev>:<code>" of the group's first
    member, revision order then code). Codes of both revisions are all present, unlinked
    ones alone in their group. The same frame for (a, b) and (b, a): computed once."""
    i, j = sorted((HS_REVISIONS.index(rev_a), HS_REVISIONS.index(rev_b)))
    return _groups(HS_REVISIONS[i : j + 1], level)


@lru_cache(maxsize=64)
def _groups(revs: tuple[str, ...], level: int) -> pd.DataFrame:
    """groups() of the first and last of adjacent revisions `revs` (oldest first). Nodes
    are numbered revision by revision, each revision's codes sorted, so a group's smallest
    node number is its first member; edges are pairs of node numbers."""
    pairs = zip(revs[:-1], revs[1:], strict=True)
    steps = [_step(b, a, pruned=True) for a, b in pairs]
    cut = [(s["src"].str.slice(0, level), s["dst"].str.slice(0, level)) for s in steps]
    nodes = _group_nodes(revs, cut, level)
    start = np.cumsum([0, *(len(n) for n in nodes)])
    u = [start[k + 1] + nodes[k + 1].get_indexer(newer) for k, (newer, _) in enumerate(cut)]
    v = [start[k] + nodes[k].get_indexer(older) for k, (_, older) in enumerate(cut)]
    none = np.zeros(0, dtype=np.intp)
    label = _components(np.concatenate([none, *u]), np.concatenate([none, *v]), int(start[-1]))
    names = np.concatenate(
        [(f"{r}:" + n).to_numpy(dtype=object) for r, n in zip(revs, nodes, strict=True)]
    )
    ends = sorted({0, len(revs) - 1})
    out = pd.DataFrame(
        {
            "rev": _texts([np.full(len(nodes[k]), revs[k], dtype=object) for k in ends]),
            "code": _texts([nodes[k].to_numpy(dtype=object) for k in ends]),
            "group": _texts([names[label[start[k] : start[k + 1]]] for k in ends]),
        }
    )
    # one revision (no links): rev and code have always been object columns then
    return out if steps else out.astype({"rev": object, "code": object})


def _group_nodes(revs: tuple[str, ...], cut: list, level: int) -> list[pd.Index]:
    """Per revision, sorted: its codes at `level` and the codes its links name (`cut`:
    per step between adjacent revisions, the newer and the older side's codes)."""
    nodes = []
    for k, rev in enumerate(revs):
        named = [cut[k - 1][0]] if k else []  # the newer side of the step from below
        named += [cut[k][1]] if k < len(cut) else []  # the older side of the step above
        codes_k = pd.concat([_codes_at(rev, level), *named]).unique()
        nodes.append(pd.Index(codes_k).sort_values())
    return nodes


def _texts(parts: list[np.ndarray]) -> pd.api.extensions.ExtensionArray:
    """Object arrays of texts joined into one str column (empty when there are none)."""
    return pd.array(np.concatenate([np.zeros(0, dtype=object), *parts]), dtype="str")


def _codes_at(rev: str, level: int) -> pd.Series:
    """The codes of `rev` at `level` digits (a cold build's first groups() reads no
    texts)."""
    c = code_columns("level")
    return c.loc[(c["rev"] == rev) & (c["level"] == level), "code"]


@lru_cache(maxsize=1)
def to_latest() -> pd.DataFrame:
    """Each HS6 code of every revision with its HS2022 code: rev, code, hs6_h6, converted.
    `exact` when the code's pruned chain reaches one HS2022 code (1:1 or n:1); `approx` when
    it was split (1:n or n:n): then the first target in UNSD's conversion table (the smallest
    HS2022 code converted back to it), else the smallest linked code. Shipped precomputed
    (derive_to_latest(), run by scripts/build_hs_reference.py)."""
    return _read("to_latest")


@lru_cache(maxsize=16)
def to_latest_of(revs: tuple[str, ...]) -> pd.DataFrame:
    """to_latest() for the given revisions only (same rows and order)."""
    t = to_latest()
    return t[t["rev"].isin(list(revs))].reset_index(drop=True)


def derive_to_latest() -> pd.DataFrame:
    """to_latest() worked out from the code lists, correlation and conversion tables:
    HS2022 first, then HS1992 … HS2017."""
    order = [LATEST, *HS_REVISIONS[:-1]]
    return pd.concat([_to_latest_rev(r) for r in order], ignore_index=True)


@lru_cache(maxsize=len(HS_REVISIONS))
def _to_latest_rev(rev: str) -> pd.DataFrame:
    if rev == LATEST:
        c = codes()
        return pd.DataFrame(
            {"rev": LATEST, "code": c.loc[(c["rev"] == LATEST) & (c["level"] == 6), "code"]}
        ).assign(hs6_h6=lambda d: d["code"], converted="exact")
    conv = conversion()
    t = links(rev, LATEST, pruned=True)
    n = t.groupby("src")["dst"].agg(["size", "min"])
    back = (
        conv[(conv["newer_rev"] == LATEST) & (conv["older_rev"] == rev)]
        .groupby("older")["newer"]
        .min()
    )
    first = back.reindex(n.index).fillna(n["min"])
    return pd.DataFrame(
        {
            "rev": rev,
            "code": n.index,
            "hs6_h6": first.to_numpy(),
            "converted": np.where(n["size"] == 1, "exact", "approx"),
        }
    )
