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

Tagging flows is then one merge on (hs_rev, hs_code): no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml

from tradeviz.schema import COVERAGE_FIELDS, FLOW_CELL, FLOWS_KEY, FOCUS_FIELDS, conform
from tradeviz.vocab import hs
from tradeviz.vocab.areas import AREA_KEYS as AREAS
from tradeviz.vocab.revisions import HS_REVISIONS

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
    return yaml.safe_load(text)


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


def parse_rules(doc: dict) -> tuple[Rule, ...]:
    sources = doc["sources"]
    rules = []
    for raw in doc["rules"]:
        rid = raw.get("id", "?")
        if raw.get("area") not in AREAS:
            raise RulesError(f"rule {rid}: unknown area {raw.get('area')!r}; use one of {AREAS}")
        if raw.get("source") not in sources:
            raise RulesError(f"rule {rid}: source {raw.get('source')!r} not in `sources`")
        if raw.get("match") not in ("full", "partial"):
            raise RulesError(f"rule {rid}: match must be full or partial")
        src = sources[raw["source"]]
        if src.get("kind") not in ("official", "project"):
            raise RulesError(f"source {raw['source']}: kind must be official or project")
        codes = tuple(str(c) for c in raw["codes"])
        exclude = tuple(str(c) for c in raw.get("exclude", []))
        for code in codes + exclude:
            if not (code.isdigit() and len(code) in (2, 4, 6)):
                raise RulesError(f"rule {rid}: code {code!r} must be a 2, 4 or 6-digit string")
        revisions = raw.get("revisions")
        if revisions is not None:
            revisions = tuple(revisions)
            if set(revisions) - set(HS_REVISIONS):
                raise RulesError(f"rule {rid}: unknown revision in {revisions}")
        lists = tuple(raw.get("lists", []))
        for key in lists:
            if key not in sources:
                raise RulesError(f"rule {rid}: list {key!r} not in `sources`")
        if raw["area"] == "critical_minerals" and not lists:
            raise RulesError(
                f"rule {rid}: a critical-minerals rule must cite `lists` "
                "(the critical-minerals lists, with year, that name it)"
            )
        rules.append(
            Rule(
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
                tuple(sources[k]["title"] for k in lists),
            )
        )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RulesError("duplicate rule ids")
    return tuple(rules)


def _rule_codes(rules: tuple[Rule, ...]) -> pd.DataFrame:
    """One row per rule, rule code and revision the rule applies it in."""
    rows = [
        (rev, rc, i, len(rc))
        for i, r in enumerate(rules)
        for rc in r.codes
        for rev in r.revisions_of(rc)
    ]
    return pd.DataFrame(rows, columns=["hs_rev", "prefix", "rule_no", "plen"])


def _hs6_tags(rules: tuple[Rule, ...]) -> pd.DataFrame:
    """Tags of every HS6 code of every revision (one row per code and area)."""
    c = hs.codes_plain()
    six = c.loc[c["level"] == 6, ["rev", "code"]].rename(
        columns={"rev": "hs_rev", "code": "hs_code"}
    )
    rc = _rule_codes(rules)
    parts = []
    for n in (2, 4, 6):
        parts.append(
            six.assign(prefix=six["hs_code"].str[:n]).merge(
                rc[rc["plen"] == n], on=["hs_rev", "prefix"]
            )
        )
    t = pd.concat(parts, ignore_index=True)
    excl = pd.DataFrame(
        [(i, x) for i, r in enumerate(rules) for x in r.exclude], columns=["rule_no", "x"]
    )
    if len(excl):
        hit = (
            pd.concat(
                [
                    t[["rule_no", "hs_code"]]
                    .reset_index()
                    .assign(x=lambda d, n=n: d["hs_code"].str[:n])
                    for n in (2, 4, 6)
                ]
            )
            .merge(excl, on=["rule_no", "x"])["index"]
            .unique()
        )
        t = t.drop(index=hit)
    t["area"] = [rules[i].area for i in t["rule_no"]]
    t["match"] = [rules[i].match for i in t["rule_no"]]
    # one tag per (code, area): full before partial, then rule order
    t = t.sort_values(
        ["hs_rev", "hs_code", "area", "match", "rule_no"],
        key=lambda s: s.map({"full": 0, "partial": 1}) if s.name == "match" else s,
    )
    t = t.drop_duplicates(["hs_rev", "hs_code", "area"])
    t["subarea"] = [rules[i].subarea for i in t["rule_no"]]
    t["rule_id"] = [rules[i].id for i in t["rule_no"]]
    t = t.rename(columns={"prefix": "rule_code"})
    return t[TAG_COLUMNS].reset_index(drop=True)


def _rolled_up(six: pd.DataFrame, level: int) -> pd.DataFrame:
    """HS4/HS2 tags from their HS6 children: full only when every child is full."""
    c = hs.codes_plain()
    kids = c[(c["level"] == 6)][["rev", "code"]]
    n_kids = kids.groupby([kids["rev"], kids["code"].str[:level]]).size().rename("n")
    t = six.assign(parent=six["hs_code"].str[:level], full=six["match"] == "full")
    g = t.groupby(["hs_rev", "parent", "area"], sort=True)
    agg = g.agg(
        n_full=("full", "sum"),
        subarea=("subarea", "first"),
        rule_id=("rule_id", "first"),
        rule_code=("rule_code", "first"),
    ).reset_index()
    n = n_kids.reindex(pd.MultiIndex.from_frame(agg[["hs_rev", "parent"]])).to_numpy()
    agg["match"] = ["full" if f == k else "partial" for f, k in zip(agg["n_full"], n, strict=True)]
    return agg.rename(columns={"parent": "hs_code"})[TAG_COLUMNS]


@lru_cache(maxsize=1)
def tag_table() -> pd.DataFrame:
    """Every tagged (hs_rev, hs_code) at HS6, HS4 and HS2, one row per area."""
    six = _hs6_tags(load_rules())
    return pd.concat([six, _rolled_up(six, 4), _rolled_up(six, 2)], ignore_index=True)


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


def leaf_mask(flows: pd.DataFrame) -> pd.Series:
    """HS rows at the finest level fetched per cell; never TOTAL or World rows."""
    hs_rows = (flows["hs_level"] > 0) & (flows["partner"] != "WLD") & flows["hs_rev"].notna()
    top = (
        flows["hs_level"]
        .where(hs_rows)
        .groupby([flows[c] for c in FLOW_CELL], dropna=False)
        .transform("max")
    )
    return hs_rows & (flows["hs_level"] == top)


def leaf_rows(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[leaf_mask(flows)]


def build_focus(flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """focus rows (one per leaf row and area, with match full/partial) and the coverage
    report. Only tagged rows are copied; one merge, in flows order."""
    leaf = leaf_mask(flows)
    key = ["hs_rev", "hs_code"]
    tags = tag_table().drop(columns="rule_code")
    needed = [f.name for f in FOCUS_FIELDS if f.name in flows.columns]
    tagged_keys = pd.MultiIndex.from_frame(tags[key].drop_duplicates())
    tagged = leaf & pd.MultiIndex.from_frame(flows[key].astype(object)).isin(tagged_keys)
    # An inner merge keeps the left rows' order (flows are sorted by key).
    focus = conform(flows.loc[tagged, needed].merge(tags, on=key, how="inner"), FOCUS_FIELDS)
    return focus, coverage(flows, leaf, tagged, focus)


def coverage(
    flows: pd.DataFrame, leaf: pd.Series, tagged: pd.Series, focus: pd.DataFrame
) -> pd.DataFrame:
    """Per source, freq, year, flow and HS level: each area's value, the part attributable
    (full matches) and the partial remainder; plus `untagged` (no tag at all) and
    `partial_only` (tagged, but in no area fully): the value no area can claim."""
    by = ["source", "freq", "year", "flow", "hs_level"]
    narrow = flows.loc[leaf, [*by, "value_usd"]]
    total = narrow.groupby(by)["value_usd"].sum().rename("total_usd")
    untagged = narrow[~tagged[leaf]].groupby(by)["value_usd"].sum()
    f = focus.assign(full_usd=focus["value_usd"].where(focus["match"] == "full", 0.0))
    f["partial_usd"] = f["value_usd"] - f["full_usd"]
    area = f.groupby([*by, "area"])[["value_usd", "full_usd", "partial_usd"]].sum()
    # rows tagged somewhere but full in no area: one value per flow row, not per tag
    row_key = [c for c in FLOWS_KEY if c in focus.columns]
    any_full = f.groupby(row_key, dropna=False, sort=False)["full_usd"].transform("max") > 0
    part_only = f[~any_full].drop_duplicates(row_key).groupby(by)["value_usd"].sum()
    extra = [
        s.rename("value_usd").reset_index().assign(area=name, partial_usd=0.0, full_usd=0.0)
        for name, s in (("untagged", untagged), ("partial_only", part_only))
    ]
    extra[1]["partial_usd"] = extra[1]["value_usd"]
    out = pd.concat([area.reset_index(), *extra], ignore_index=True)
    out = out.merge(total.reset_index(), on=by, how="left")
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
