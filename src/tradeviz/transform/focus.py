"""Focus-area tagging: HS codes to the summit's focus areas, by (revision, code).

Rules live in data/focus_rules.yaml (cited, versioned); rule codes are 2-, 4- or 6-digit
prefixes. They are expanded once, against the real HS6 lists of each revision (vocab/hs),
into a table of every tagged (revision, code):

- an HS6 code is tagged by the rules whose prefix it starts with, in the revisions where the
  rule applies: the rule's `revisions` if it names them (then every code must exist in each,
  a test checks), else the revisions in which that rule code exists;
- an HS4 or HS2 code carries an area as `full` only when every HS6 code under it (in that
  revision) is `full` in the area, otherwise `partial` when any is tagged: a chapter is
  never attributed whole to an area unless all its goods are in it.

Tagging flows then finds each distinct (hs_rev, hs_code) of the flows once in that table and
copies the tagged rows by position: no merge, no per-row Python. A build computes the table
for the revisions its flows use only; tag_table() is all seven.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from tradeviz.schema import COVERAGE_FIELDS, FLOW_CELL, FOCUS_FIELDS, conform, text_categorical
from tradeviz.transform.runs import run_starts
from tradeviz.vocab import hs
from tradeviz.vocab.areas import AREA_KEYS as AREAS
from tradeviz.vocab.revisions import HS_REVISIONS

# libyaml's safe loader when PyYAML has it: same documents, ~10x faster than the Python one
# (the rules file took ~80 ms to parse, a tenth of a build's focus step)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TAG_COLUMNS = ["hs_rev", "hs_code", "area", "subarea", "match", "rule_id", "rule_code"]


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    subarea: str
    codes: tuple[str, ...]
    exclude: tuple[str, ...]
    revisions: tuple[str, ...] | None  # None: derived per code from the HS lists
    match: str
    source: str
    kind: str
    source_title: str
    source_url: str
    note: str = ""
    lists: tuple[str, ...] = ()  # critical minerals: the cited lists (title, year)

    def revisions_of(self, code: str) -> tuple[str, ...]:
        """Revisions in which this rule applies `code`."""
        if self.revisions is not None:
            return self.revisions
        return tuple(hs.revisions_of(code))


@dataclass(frozen=True)
class Tag:
    area: str
    subarea: str
    match: str
    rule: Rule
    rule_code: str


@dataclass(frozen=True)
class LineageException:
    rev: str
    code: str  # prefix
    area: str  # an area key, or * for all
    reason: str


class RulesError(ValueError):
    pass


def _rules_doc() -> dict:
    text = resources.files("tradeviz.data").joinpath("focus_rules.yaml").read_text("utf-8")
    return yaml.load(text, Loader=_YAML_LOADER)


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    return parse_rules(_rules_doc())


@lru_cache(maxsize=1)
def lineage_exceptions() -> tuple[LineageException, ...]:
    """Links the lineage check may skip, each with its written reason."""
    out = []
    for raw in _rules_doc().get("lineage_exceptions", []):
        if not str(raw.get("reason", "")).strip():
            raise RulesError(f"lineage exception {raw}: a reason is required")
        if raw.get("area") not in (*AREAS, "*"):
            raise RulesError(f"lineage exception {raw}: unknown area (use an area key or *)")
        for code in raw["codes"]:
            for rev in raw.get("revisions", HS_REVISIONS):
                out.append(LineageException(rev, str(code), raw["area"], raw["reason"]))
    return tuple(out)


def _check_fields(rid: str, raw: dict, sources: dict) -> None:
    """A rule's area, source and match, and its source's kind, are ones the tags know."""
    if raw.get("area") not in AREAS:
        raise RulesError(f"rule {rid}: unknown area {raw.get('area')!r}; use one of {AREAS}")
    if raw.get("source") not in sources:
        raise RulesError(f"rule {rid}: source {raw.get('source')!r} not in `sources`")
    if raw.get("match") not in ("full", "partial"):
        raise RulesError(f"rule {rid}: match must be full or partial")
    if sources[raw["source"]].get("kind") not in ("official", "project"):
        raise RulesError(f"source {raw['source']}: kind must be official or project")


def _rule_code_list(rid: str, codes: list) -> tuple[str, ...]:
    """The codes as strings, each a 2-, 4- or 6-digit prefix."""
    out = tuple(str(c) for c in codes)
    for code in out:
        if not (code.isdigit() and len(code) in (2, 4, 6)):
            raise RulesError(f"rule {rid}: code {code!r} must be a 2, 4 or 6-digit string")
    return out


def _rule_revisions(rid: str, raw: dict) -> tuple[str, ...] | None:
    """The rule's explicit revisions (None: derived per code from the HS lists)."""
    revisions = raw.get("revisions")
    if revisions is None:
        return None
    revisions = tuple(revisions)
    if set(revisions) - set(HS_REVISIONS):
        raise RulesError(f"rule {rid}: unknown revision in {revisions}")
    return revisions


def _rule_lists(rid: str, raw: dict, sources: dict) -> tuple[str, ...]:
    """The cited lists' titles; a critical-minerals rule must cite at least one."""
    lists = tuple(raw.get("lists", []))
    for key in lists:
        if key not in sources:
            raise RulesError(f"rule {rid}: list {key!r} not in `sources`")
    if raw["area"] == "critical_minerals" and not lists:
        raise RulesError(
            f"rule {rid}: a critical-minerals rule must cite `lists` "
            "(the critical-minerals lists, with year, that name it)"
        )
    return tuple(sources[k]["title"] for k in lists)


def _parse_rule(raw: dict, sources: dict) -> Rule:
    """One rule of the rules file, checked (RulesError names the rule)."""
    rid = raw.get("id", "?")
    _check_fields(rid, raw, sources)
    src = sources[raw["source"]]
    codes = _rule_code_list(rid, raw["codes"])
    exclude = _rule_code_list(rid, raw.get("exclude", []))
    revisions = _rule_revisions(rid, raw)
    lists = _rule_lists(rid, raw, sources)
    return Rule(
        rid,
        raw["area"],
        str(raw.get("subarea", "")),
        codes,
        exclude,
        revisions,
        raw["match"],
        raw["source"],
        src["kind"],
        src["title"],
        src["url"],
        str(raw.get("note", "")),
        lists,
    )


def parse_rules(doc: dict) -> tuple[Rule, ...]:
    rules = tuple(_parse_rule(raw, doc["sources"]) for raw in doc["rules"])
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RulesError("duplicate rule ids")
    return rules


# ------------------------------------------------------------ tags of the HS lists
#
# A code is handled as its key "rev|code". In one sorted array of keys, the HS6 codes under a
# prefix are one contiguous range (np.searchsorted), so a rule's codes are found without
# string merges, and the tags are built on integer positions, without per-row Python.

_LAST = "\U0010ffff"  # sorts after every character: key + _LAST closes the key's prefix range
_TAG_FIELDS = ("area", "subarea", "match", "rule_id")  # the focus columns a tag gives


def _spans(start: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) for every j in start[i] .. start[i] + n[i] - 1, in order of i then j."""
    i = np.repeat(np.arange(len(n)), n)
    j = np.arange(int(n.sum())) + np.repeat(start - (np.cumsum(n) - n), n)
    return i, j


def _prefix_hits(keys: np.ndarray, prefixes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) for every key j (of the sorted `keys`) that starts with prefixes[i]."""
    lo = np.searchsorted(keys, np.array(prefixes, dtype=object))
    hi = np.searchsorted(keys, np.array([p + _LAST for p in prefixes], dtype=object))
    return _spans(lo, hi - lo)


def _hs_codes() -> pd.DataFrame:
    """rev, code and level of every HS code (tags need no texts): codes() when it is loaded
    (a build has it), else those three columns alone, ~30 MiB less to read cold."""
    return hs.code_columns("level")


def _six(revs: tuple[str, ...]) -> pd.DataFrame:
    """The HS6 codes of `revs`: rev, code and key "rev|code", sorted by key (revision, then
    code: revisions are all two characters)."""
    c = _hs_codes()
    six = c.loc[(c["level"] == 6) & c["rev"].isin(revs), ["rev", "code"]]
    six = six.assign(key=six["rev"] + "|" + six["code"])
    if not six["key"].is_monotonic_increasing:
        six = six.sort_values("key")
    return six.reset_index(drop=True)


def _revisions_of(rule: Rule, code: str, listed: set[str]) -> tuple[str, ...]:
    """Rule.revisions_of against a set of "rev|code" keys (hs.revisions_of first builds a
    dict of every code, ~70 ms)."""
    if rule.revisions is not None:
        return rule.revisions
    return tuple(rev for rev in HS_REVISIONS if f"{rev}|{code}" in listed)


def _rule_codes(rules: tuple[Rule, ...], revs: tuple[str, ...]) -> pd.DataFrame:
    """One row per rule, rule code and revision (of `revs`) the rule applies it in."""
    c = _hs_codes()
    named = c[c["code"].isin({rc for r in rules for rc in r.codes})]
    listed = set((named["rev"] + "|" + named["code"]).to_numpy(dtype=object))
    rows = [
        (rev, rc, i, len(rc))
        for i, r in enumerate(rules)
        for rc in r.codes
        for rev in _revisions_of(r, rc, listed)
        if rev in revs
    ]
    out = pd.DataFrame(rows, columns=["hs_rev", "prefix", "rule_no", "plen"])
    return out.astype({"hs_rev": "str", "prefix": "str", "rule_no": "int64", "plen": "int64"})


def _excluded(
    rules: tuple[Rule, ...], keys: np.ndarray, revs: tuple[str, ...], hit: pd.DataFrame
) -> np.ndarray:
    """True where the code of a hit (pos: its row in the sorted `keys`) starts with one of
    the `exclude` prefixes of the hit's rule (rule_no)."""
    ex = [(f"{rev}|{x}", i) for i, r in enumerate(rules) for x in r.exclude for rev in revs]
    if not ex:
        return np.zeros(len(hit), dtype=bool)
    which, at = _prefix_hits(keys, [k for k, _ in ex])
    ex_rule = np.array([i for _, i in ex])[which]
    return np.isin(hit["pos"] * len(rules) + hit["rule_no"], at * len(rules) + ex_rule)


def _rule_table(rules: tuple[Rule, ...]) -> pd.DataFrame:
    """Per rule number: its tag fields, area_no (the area's rank by name: tags sort by
    area) and full."""
    t = pd.DataFrame(
        {
            "area": [r.area for r in rules],
            "subarea": [r.subarea for r in rules],
            "match": [r.match for r in rules],
            "rule_id": [r.id for r in rules],
        }
    )
    t["area_no"] = np.searchsorted(sorted(set(t["area"])), t["area"].to_numpy(dtype=object))
    t["full"] = t["match"] == "full"
    return t


def _hs6_tags(rules: tuple[Rule, ...], six: pd.DataFrame) -> pd.DataFrame:
    """Tags of the HS6 codes in `six`, one row per code and area, sorted by code and area:
    TAG_COLUMNS plus pos (the code's row in six), area_no and full. Of a code's rules in an
    area the tag is the first full one, else the first (in rule order; a shorter rule code
    first)."""
    revs = tuple(six["rev"].unique())
    keys = six["key"].to_numpy(dtype=object)
    rc = _rule_codes(rules, revs)
    which, pos = _prefix_hits(keys, list(rc["hs_rev"] + "|" + rc["prefix"]))
    m = rc.iloc[which].assign(pos=pos).reset_index(drop=True)
    m = m[~_excluded(rules, keys, revs, m)]
    info = _rule_table(rules).iloc[m["rule_no"]].reset_index(drop=True)
    m = pd.concat([m.reset_index(drop=True), info], axis=1)
    order = np.lexsort(
        (m["plen"], m["rule_no"], ~m["full"], m["area_no"], m["pos"]),
    )
    m = m.iloc[order]
    m = m[run_starts(m["pos"].to_numpy(), m["area_no"].to_numpy())]
    return m.assign(
        hs_rev=six["rev"].array.take(m["pos"].to_numpy()),
        hs_code=six["code"].array.take(m["pos"].to_numpy()),
        rule_code=m["prefix"],
    ).reset_index(drop=True)


def _rolled_up(six_tags: pd.DataFrame, six: pd.DataFrame, level: int) -> pd.DataFrame:
    """HS4/HS2 tags from their HS6 children: full only when every child is full; subarea,
    rule_id and rule_code of the first tagged child (in code order)."""
    parent_no, _ = pd.factorize(six["rev"] + "|" + six["code"].str[:level])  # sorted: 0, 1, ..
    n_kids = np.bincount(parent_no)
    parent = parent_no[six_tags["pos"].to_numpy()]
    order = np.lexsort((six_tags["area_no"], parent))  # stable: children stay in code order
    t, parent = six_tags.iloc[order], parent[order]
    first = run_starts(parent, t["area_no"].to_numpy())
    n_full = np.bincount(np.cumsum(first) - 1, weights=t["full"], minlength=int(first.sum()))
    t = t[first]
    full = n_full == n_kids[parent[first]]
    return t.assign(
        hs_code=t["hs_code"].str[:level],
        match=pd.array(np.where(full, "full", "partial").astype(object), dtype="str"),
    ).reset_index(drop=True)


@lru_cache(maxsize=8)
def _tag_table_of(revs: tuple[str, ...]) -> pd.DataFrame:
    """tag_table() restricted to the revisions `revs` (same rows, same order): a build tags
    only the revisions its flows use."""
    six = _six(revs)
    tags = _hs6_tags(load_rules(), six)
    parts = [tags, _rolled_up(tags, six, 4), _rolled_up(tags, six, 2)]
    return pd.concat([p[TAG_COLUMNS] for p in parts], ignore_index=True)


def tag_table() -> pd.DataFrame:
    """Every tagged (hs_rev, hs_code) at HS6, HS4 and HS2, one row per area."""
    return _tag_table_of(HS_REVISIONS)


@lru_cache(maxsize=1)
def _tag_index() -> dict[tuple[str, str], list[int]]:
    t = tag_table()
    out: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(t["hs_rev"], t["hs_code"], strict=True)):
        out.setdefault(key, []).append(i)
    return out


def tags_for(rev: str, code: str) -> list[Tag]:
    """Tags of one (revision, code); one per area."""
    rows = _tag_index().get((rev, code), [])
    t = tag_table()
    by_id = {r.id: r for r in load_rules()}
    return [
        Tag(
            t.at[i, "area"],
            t.at[i, "subarea"],
            t.at[i, "match"],
            by_id[t.at[i, "rule_id"]],
            t.at[i, "rule_code"],
        )
        for i in rows
    ]


# ------------------------------------------------------------ tagging flows


def _codes(s: pd.Series, dropna: bool) -> tuple[np.ndarray, int]:
    """Codes 0..n-1 of a column's values, and n; a null is a value, or -1 with `dropna`.
    A plain integer column (year, hs_level) gives its values shifted: no hash table."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu" and len(s):
        codes = s.to_numpy().astype(np.int64)
        lo = int(codes.min())
        codes -= lo
        return codes, int(codes.max()) + 1
    codes, uniques = pd.factorize(s, use_na_sentinel=dropna)
    return codes, len(uniques)


def _dense(ids: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """ids (0 <= id < size) renumbered 0..k-1, and k. A table of the ids seen when they are
    fewer than the rows: pd.factorize sizes its hash table by the row count (~7 MiB for the
    benchmark's 220k rows)."""
    if size > max(len(ids), 2**16):
        no, uniques = pd.factorize(ids)
        return no, len(uniques)
    seen = np.zeros(size, dtype=bool)
    seen[ids] = True
    rank = np.cumsum(seen, dtype=np.int32) - 1  # size < 2**31: half the bytes of intp
    return rank[ids], int(seen.sum())


def _groups(
    flows: pd.DataFrame, columns: list[str], dropna: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group of `columns`, numbered 0, 1, .. (-1: a null, with `dropna`, a row
    groupby(dropna=True) leaves out), and a row of each group to read its values from.
    Factorized columns combined, instead of a groupby on strings."""
    ids = np.zeros(len(flows), dtype=np.int64)
    null = np.zeros(len(flows), dtype=bool)
    size = 1
    for c in columns:
        codes, n = _codes(flows[c], dropna)
        null |= codes < 0
        ids *= n
        ids += codes
        size *= max(n, 1)
        if size > 2**40:  # keep the product of cardinalities in int64
            ids, size = _dense(ids, size)
    ids[null] = 0
    no, k = _dense(ids, size)
    row = np.zeros(k, dtype=np.intp)
    row[no] = np.arange(len(no), dtype=np.int32 if len(no) < 2**31 else np.intp)
    no[null] = -1
    return no, row


def leaf_mask(flows: pd.DataFrame) -> pd.Series:
    """HS rows at the finest level fetched per cell; never TOTAL or World rows."""
    level = flows["hs_level"].to_numpy()
    hs_rows = (
        (level > 0) & (flows["partner"] != "WLD").to_numpy() & flows["hs_rev"].notna().to_numpy()
    )
    if len(np.unique(level[hs_rows])) > 1:  # else every HS row is at its cell's finest level
        cell, _ = _groups(flows, list(FLOW_CELL))
        top = np.full(int(cell.max()) + 1, -1, dtype=level.dtype)
        np.maximum.at(top, cell[hs_rows], level[hs_rows])
        hs_rows &= level == top[cell]
    return pd.Series(hs_rows, index=flows.index)


def leaf_rows(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[leaf_mask(flows)]


def _tag_spans(tags: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The distinct keys "rev|code" of a tag table, each with its first row and row count
    (a key's rows are contiguous)."""
    key_no, keys = pd.factorize(tags["hs_rev"] + "|" + tags["hs_code"])
    return keys, np.flatnonzero(run_starts(key_no)), np.bincount(key_no)


def _row_tags(flows: pd.DataFrame, leaf: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The tag table of the leaf rows' revisions, the tagged leaf rows and, per tagged row,
    its tags' first row in that table and their count. Keys are looked up once per
    distinct (hs_rev, hs_code), not per row."""
    pair, at = _groups(flows, ["hs_rev", "hs_code"])
    used = np.zeros(len(at), dtype=bool)
    used[pair[leaf]] = True
    at = at[used]
    rev = pd.array(flows["hs_rev"].array.take(at), dtype="str")  # text, also from categories
    present = set(pd.unique(rev))
    tags = _tag_table_of(tuple(r for r in HS_REVISIONS if r in present))
    tag_keys, start, count = _tag_spans(tags)
    code = pd.array(flows["hs_code"].array.take(at), dtype="str")
    found = tag_keys.get_indexer(rev + "|" + code)
    tagged, found = np.flatnonzero(used)[found >= 0], found[found >= 0]
    n_tags = np.zeros(len(used), dtype=np.int32)
    n_tags[tagged] = count[found]
    first = np.zeros(len(used), dtype=np.int32)
    first[tagged] = start[found]
    rows = np.flatnonzero(leaf & (n_tags[pair] > 0))
    return tags, rows, np.stack([first[pair[rows]], n_tags[pair[rows]]])


def _focus_frame(
    flows: pd.DataFrame, src: np.ndarray, tags: pd.DataFrame, tag: np.ndarray, compact: bool
) -> pd.DataFrame:
    """FOCUS_FIELDS of flow rows src with their tags (rows `tag` of tags), taken by position
    (`compact`: text columns as categoricals)."""
    cols = {}
    for f in FOCUS_FIELDS:
        if f.name in _TAG_FIELDS and compact:
            cols[f.name] = text_categorical(tags[f.name], tag)  # a few hundred tags
        elif f.name in _TAG_FIELDS:
            cols[f.name] = tags[f.name].array.take(tag)
        elif f.name in flows.columns:
            cols[f.name] = flows[f.name].array.take(src)
    return conform(pd.DataFrame(cols, copy=False), FOCUS_FIELDS, compact)


def build_focus(flows: pd.DataFrame, compact: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """focus rows (one per leaf row and area, with match full/partial, in flows order) and the
    coverage report. Only tagged rows are copied, by position: no merge. `compact`: the
    focus rows' text columns as categoricals (as the build holds and writes them)."""
    leaf = leaf_mask(flows)
    tags, rows, (first, n_tags) = _row_tags(flows, leaf.to_numpy())
    i, tag = _spans(first, n_tags)
    src = rows[i]
    area_no, areas = pd.factorize(tags["area"])
    full = (tags["match"] == "full").to_numpy()
    # coverage first: the memory of its work is free again for the focus frame
    cov = coverage(flows, leaf, src, pd.Categorical.from_codes(area_no[tag], areas), full[tag])
    return _focus_frame(flows, src, tags, tag, compact), cov


def _sums(values: pd.DataFrame, key: np.ndarray, k: int) -> pd.DataFrame:
    """values summed per key (0..k-1; -1 leaves the row out), indexed by the keys present:
    pandas' groupby sum over the same rows in the same order, so the same floats as a
    groupby on the key's columns. The key goes in as a categorical's codes: no hash table
    of the row count (a plain integer key costs ~7 MiB more at 220k rows), every key a
    group (observed=False: no unique of the codes), the empty ones dropped after."""
    by = values.groupby(pd.Categorical.from_codes(key, categories=pd.RangeIndex(k)), observed=False)
    out = by.sum()[by.size().to_numpy() > 0]
    return out.set_axis(out.index.astype(np.int64))


def _cells(flows: pd.DataFrame, leaf: pd.Series, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each flow row's cell of `by` (-1: not a leaf, or a null in `by`, which groupby leaves
    out) and the cells' `by` values, indexed by cell."""
    cell, at = _groups(flows, by, dropna=True)
    cell[~leaf.to_numpy()] = -1
    return cell, pd.DataFrame({c: flows[c].array.take(at) for c in by})


def _area_sums(f: pd.DataFrame, area: pd.Categorical, cell: np.ndarray, k: int) -> pd.DataFrame:
    """Sums of f's columns per cell (0..k-1) and area (columns cell, area, then f's)."""
    n = max(len(area.categories), 1)
    s = _sums(f, np.where(cell >= 0, cell.astype(np.int64) * n + area.codes, -1), k * n)
    return s.assign(cell=s.index // n, area=area.categories.take(s.index % n).array)


def _remainder(s: pd.DataFrame, name: str, partial: bool) -> pd.DataFrame:
    """Value sums per cell as the rows of a pseudo-area (untagged: no part of it partial;
    partial_only: all of it)."""
    part = s["value_usd"] if partial else 0.0
    return s.assign(cell=s.index, area=name, partial_usd=part, full_usd=0.0)


def coverage(
    flows: pd.DataFrame,
    leaf: pd.Series,
    row: np.ndarray,
    area: pd.Categorical,
    full: np.ndarray,
) -> pd.DataFrame:
    """Per source, freq, year, flow and HS level: each area's value, the part attributable
    (full matches) and the partial remainder; plus `untagged` (no tag at all) and
    `partial_only` (tagged, but in no area fully): the value no area can claim.

    One entry of `row`, `area` and `full` per focus row: its flow row (flows' key is
    unique: validate() checks it first), area, and whether its match is full. Sums are
    grouped on integer cells, not on the string columns."""
    by = ["source", "freq", "year", "flow", "hs_level"]
    cell, cells = _cells(flows, leaf, by)
    k = len(cells)
    value = flows[["value_usd"]].reset_index(drop=True)
    tagged = np.zeros(len(flows), dtype=bool)
    tagged[row] = True
    f = value.iloc[row].reset_index(drop=True)
    f["full_usd"] = f["value_usd"].where(full, 0.0)
    f["partial_usd"] = f["value_usd"] - f["full_usd"]
    # rows tagged somewhere but full in no area: one value per flow row, not per tag
    any_full = f["full_usd"].groupby(row).transform("max").to_numpy() > 0
    part_only = np.where(~any_full & run_starts(row), cell[row], -1)
    out = pd.concat(
        [
            _area_sums(f, area, cell[row], k),
            _remainder(_sums(value, np.where(tagged, -1, cell), k), "untagged", False),
            _remainder(_sums(f[["value_usd"]], part_only, k), "partial_only", True),
        ],
        ignore_index=True,
    )
    out = pd.concat([cells.iloc[out["cell"]].reset_index(drop=True), out], axis=1)
    out["total_usd"] = _sums(value, cell, k)["value_usd"].reindex(out["cell"]).to_numpy()
    out["share"] = out["value_usd"] / out["total_usd"]
    out["full_share"] = out["full_usd"] / out["total_usd"]
    out = out.sort_values([*by, "area"], ignore_index=True)
    return conform(out, COVERAGE_FIELDS)


def _excepted(rev: pd.Series, code: pd.Series, area: pd.Series) -> pd.Series:
    """True where (rev, code, area) falls under a lineage exception (code is a prefix)."""
    hit = pd.Series(False, index=code.index)
    for x in lineage_exceptions():
        in_area = (area == x.area) if x.area != "*" else True
        hit |= (rev == x.rev) & in_area & code.str.startswith(x.code)
    return hit


def lineage_violations(tags: pd.DataFrame | None = None) -> pd.DataFrame:
    """HS6 links of adjacent revisions (UNSD correlation) where one side carries an area
    (full or partial) and the other does not, less the listed exceptions: the rules must
    follow goods when their codes change. Columns tagged_rev, tagged_code, area, other_rev,
    other_code. `tags` defaults to the package rules' tag_table()."""
    t = tag_table() if tags is None else tags
    six = t[t["hs_code"].str.len() == 6][["hs_rev", "hs_code", "area"]]
    corr = hs.correlation()
    out = []
    for a, b in (("newer", "older"), ("older", "newer")):
        links = corr.rename(
            columns={f"{a}_rev": "hs_rev", a: "hs_code", f"{b}_rev": "other_rev", b: "other_code"}
        )
        tagged = links.merge(six, on=["hs_rev", "hs_code"])
        other = six.rename(columns={"hs_rev": "other_rev", "hs_code": "other_code"})
        m = tagged.merge(other, on=["other_rev", "other_code", "area"], how="left", indicator=True)
        out.append(
            m[m["_merge"] == "left_only"][["hs_rev", "hs_code", "area", "other_rev", "other_code"]]
        )
    v = pd.concat(out, ignore_index=True)
    skip = _excepted(v["hs_rev"], v["hs_code"], v["area"]) | _excepted(
        v["other_rev"], v["other_code"], v["area"]
    )
    v = v[~skip].rename(columns={"hs_rev": "tagged_rev", "hs_code": "tagged_code"})
    return v.sort_values(["area", "tagged_rev", "tagged_code"], ignore_index=True)
