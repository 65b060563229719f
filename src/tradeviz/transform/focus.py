"""Focus-area tagging: HS codes to the summit's focus areas, by (revision, code).

Rules live in data/focus_rules.yaml (cited, versioned). A rule code is a prefix: a rule at
HS4 tags every HS6 code under it. When only coarser codes were fetched, a finer rule that
falls under a fetched code tags it as `partial` (the code holds other goods too).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml

from tradeviz.schema import COVERAGE_FIELDS, FLOW_CELL, FOCUS_FIELDS, conform
from tradeviz.vocab.areas import AREA_KEYS as AREAS
from tradeviz.vocab.revisions import HS_REVISIONS


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    subarea: str
    codes: tuple[str, ...]
    exclude: tuple[str, ...]
    revisions: tuple[str, ...]
    match: str
    source: str
    kind: str
    source_title: str
    source_url: str
    note: str = ""


@dataclass(frozen=True)
class Tag:
    area: str
    subarea: str
    match: str
    rule: Rule
    rule_code: str


class RulesError(ValueError):
    pass


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    text = resources.files("tradeviz.data").joinpath("focus_rules.yaml").read_text("utf-8")
    return parse_rules(yaml.safe_load(text))


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
        for code in codes + tuple(str(c) for c in raw.get("exclude", [])):
            if not (code.isdigit() and len(code) in (2, 4, 6)):
                raise RulesError(f"rule {rid}: code {code!r} must be a 2, 4 or 6-digit string")
        revisions = tuple(raw.get("revisions", HS_REVISIONS))
        if set(revisions) - set(HS_REVISIONS):
            raise RulesError(f"rule {rid}: unknown revision in {revisions}")
        rules.append(Rule(rid, raw["area"], str(raw.get("subarea", "")), codes,
                          tuple(str(c) for c in raw.get("exclude", [])), revisions,
                          raw["match"], raw["source"], src["kind"], src["title"], src["url"],
                          str(raw.get("note", ""))))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RulesError("duplicate rule ids")
    return tuple(rules)


def tags_for(rev: str, code: str, rules: tuple[Rule, ...] | None = None) -> list[Tag]:
    """Tags of one (revision, code); one per area, `full` winning over `partial`."""
    if code == "TOTAL" or not code.isdigit():
        return []
    best: dict[str, Tag] = {}
    for rule in rules or load_rules():
        if rev not in rule.revisions:
            continue
        for rc in rule.codes:
            if code.startswith(rc):  # rule at or above the code's level
                if any(code.startswith(x) for x in rule.exclude):
                    continue
                partly_excluded = any(x.startswith(code) and len(x) > len(code)
                                      for x in rule.exclude)
                match = "partial" if partly_excluded else rule.match
            elif rc.startswith(code):  # finer rule under a coarser fetched code
                match = "partial"
            else:
                continue
            tag = Tag(rule.area, rule.subarea, match, rule, rc)
            old = best.get(rule.area)
            if old is None or (old.match == "partial" and match == "full"):
                best[rule.area] = tag
            break
    return list(best.values())


def leaf_mask(flows: pd.DataFrame) -> pd.Series:
    """HS rows at the finest level fetched per cell; never TOTAL or World rows."""
    hs = (flows["hs_level"] > 0) & (flows["partner"] != "WLD") & flows["hs_rev"].notna()
    top = flows["hs_level"].where(hs).groupby([flows[c] for c in FLOW_CELL], dropna=False) \
        .transform("max")
    return hs & (flows["hs_level"] == top)


def leaf_rows(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[leaf_mask(flows)]


def build_focus(flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """focus rows (one per leaf row and area) and the coverage report per year.

    Only rows that some rule tags are copied (with all focus columns); totals and untagged
    sums come from narrow selections, so a large table is not duplicated here."""
    leaf = leaf_mask(flows)
    key = ["hs_rev", "hs_code"]
    pairs = flows.loc[leaf, key].drop_duplicates()
    tag_rows = [
        {"hs_rev": rev, "hs_code": code, "area": t.area, "subarea": t.subarea,
         "match": t.match, "rule_id": t.rule.id}
        for rev, code in pairs.itertuples(index=False) for t in tags_for(rev, code)
    ]
    tags = pd.DataFrame(tag_rows, columns=[*key, "area", "subarea", "match", "rule_id"])
    tagged_pairs = pd.MultiIndex.from_frame(tags[key].drop_duplicates())
    tagged = leaf & pd.MultiIndex.from_frame(flows[key]).isin(tagged_pairs)
    needed = [f.name for f in FOCUS_FIELDS if f.name in flows.columns]
    # An inner merge keeps the left rows' order (flows are sorted by key), and tags come in
    # rule order: the same flows always give the same rows in the same order, unsorted.
    focus = conform(flows.loc[tagged, needed].merge(tags, on=key, how="inner"), FOCUS_FIELDS)
    return focus, coverage(flows, leaf, tagged, focus)


def coverage(flows: pd.DataFrame, leaf: pd.Series, tagged: pd.Series,
             focus: pd.DataFrame) -> pd.DataFrame:
    """Share of leaf trade value in each area, and untagged, per source, freq, year, flow.
    A row is untagged when its (hs_rev, hs_code) has no tag at all."""
    by = ["source", "freq", "year", "flow"]
    narrow = flows.loc[leaf, [*by, "value_usd"]]
    total = narrow.groupby(by)["value_usd"].sum().rename("total_usd")
    untagged = narrow[~tagged[leaf]].groupby(by)["value_usd"].sum()
    area = focus.groupby([*by, "area"])["value_usd"].sum().rename("value_usd")
    partial = focus[focus["match"] == "partial"].groupby([*by, "area"])["value_usd"].sum()
    out = area.to_frame().join(partial.rename("partial_usd")).reset_index()
    extra = untagged.rename("value_usd").reset_index().assign(area="untagged")
    out = pd.concat([out, extra], ignore_index=True)
    out = out.merge(total.reset_index(), on=by, how="left")
    out["partial_usd"] = out["partial_usd"].fillna(0.0)
    out["share"] = out["value_usd"] / out["total_usd"]
    out = out.sort_values([*by, "area"], ignore_index=True)
    return conform(out, COVERAGE_FIELDS)
