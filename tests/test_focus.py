"""Focus-area rules: revision-aware lookups, the traps in the HS reference note, the CLI,
and focus.parquet against flows.parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz.cli import main
from tradeviz.extract import comtrade, comtrade_reference
from tradeviz.transform.build import build
from tradeviz.transform.focus import AREAS, RulesError, load_rules, parse_rules, tags_for


def areas(rev: str, code: str) -> dict[str, str]:
    return {t.area: t.match for t in tags_for(rev, code)}


def test_every_rule_code_exists_in_the_comtrade_hs_reference(corpus):
    doc = json.loads((corpus / "comtrade" / "files_v1_app_reference_HS.R-body.json")
                     .read_bytes().decode("utf-8-sig"))
    known = {r["id"] for r in doc["results"] if "LEGACY" not in r["text"]}
    missing = [(r.id, c) for r in load_rules() for c in (*r.codes, *r.exclude)
               if c not in known]
    assert not missing


# Codes that exist only from, or only up to, a revision (hs-focus-areas.md section 0.2).
REVISION_WINDOWS = {
    "851713": ("H6", "H6"), "851714": ("H6", "H6"), "851712": ("H0", "H5"),
    "854142": ("H6", "H6"), "854143": ("H6", "H6"), "854140": ("H0", "H5"),
    "870380": ("H5", "H6"), "870340": ("H5", "H6"), "870460": ("H6", "H6"),
    "382360": ("H0", "H2"), "382460": ("H3", "H6"), "852411": ("H6", "H6"),
    "811230": ("H0", "H5"), "853951": ("H6", "H6"), "853950": ("H5", "H5"),
}


def test_rules_never_claim_a_code_outside_the_revisions_it_exists_in():
    order = ["H0", "H1", "H2", "H3", "H4", "H5", "H6"]
    for rule in load_rules():
        for code in rule.codes:
            if code in REVISION_WINDOWS:
                lo, hi = REVISION_WINDOWS[code]
                valid = set(order[order.index(lo):order.index(hi) + 1])
                assert set(rule.revisions) <= valid, (rule.id, code, rule.revisions)


def test_pipeline_gas_is_energy_with_a_cited_source():
    (tag,) = tags_for("H6", "271121")
    assert (tag.area, tag.subarea, tag.match) == ("energy", "natural gas, pipeline", "full")
    assert tag.rule.source_url.startswith("https://") and tag.rule.kind == "official"


def test_vermiculite_is_never_lithium():
    for rev in ("H0", "H3", "H5", "H6"):
        assert "critical_minerals" not in areas(rev, "253010")
    assert areas("H5", "253090") == {"critical_minerals": "partial"}


def test_chapter_03_is_never_agriculture_but_01_24_are():
    for code in ("03", "0302", "030211", "160411", "230120"):
        assert "agriculture" not in areas("H5", code), code
    assert areas("H5", "100199")["agriculture"] == "full"
    assert areas("H5", "520100")["agriculture"] == "full"  # raw cotton, Annex 1
    assert areas("H5", "16")["agriculture"] == "partial"  # chapter holds fish preparations
    assert areas("H5", "160300")["agriculture"] == "partial"


def test_sorbitol_moves_from_382360_to_382460():
    assert areas("H2", "382360") == {"agriculture": "full"}
    assert areas("H5", "382360") == {}
    assert areas("H3", "382460") == {"agriculture": "full"}
    assert areas("H2", "382460") == {}


def test_phones_pv_and_evs_follow_their_revisions():
    assert areas("H5", "851712")["ict"] == "full"
    assert "ict" not in areas("H6", "851712")
    assert areas("H6", "851713")["ict"] == "full" and areas("H6", "851714")["ict"] == "full"
    assert areas("H5", "854140")["new_energy_equipment"] == "partial"
    assert areas("H6", "854143")["new_energy_equipment"] == "full"
    assert "new_energy_equipment" not in areas("H6", "854140")
    assert areas("H5", "870380")["new_energy_equipment"] == "full"
    assert "new_energy_equipment" not in areas("H4", "870380")
    assert "new_energy_equipment" not in areas("H4", "870390")


def test_heading_8524_reuse():
    assert areas("H6", "852411")["ict"] == "full"  # flat panel display modules
    assert areas("H1", "852410") == {}  # gramophone records


def test_tags_are_multi_valued_and_roll_up_as_partial():
    assert areas("H5", "284410") == {"energy": "full", "critical_minerals": "full"}
    assert areas("H5", "2711") == {"energy": "partial"}  # HS6 rules under a fetched HS4
    assert areas("H5", "27")["energy"] == "partial"
    assert areas("H5", "TOTAL") == {}


def test_bad_rules_are_rejected_with_the_rule_named():
    doc = {"sources": {"s": {"kind": "official", "title": "t", "url": "u"}},
           "rules": [{"id": "x", "area": "energy", "codes": [271121], "match": "full",
                      "source": "s"}]}
    assert parse_rules(doc)[0].codes == ("271121",)
    doc["rules"][0]["codes"] = ["27112"]
    with pytest.raises(RulesError, match="rule x"):
        parse_rules(doc)
    doc["rules"][0].update(codes=["271121"], area="space")
    with pytest.raises(RulesError, match="unknown area"):
        parse_rules(doc)


def test_every_area_has_rules_and_every_rule_a_kind():
    rules = load_rules()
    assert {r.area for r in rules} == set(AREAS)
    assert all(r.kind in ("official", "project") and r.source_url for r in rules)


def test_cli_explain_and_list():
    out = CliRunner().invoke(main, ["tags", "explain", "271121"]).output
    assert "energy (natural gas, pipeline)" in out and "source (official)" in out
    out = CliRunner().invoke(main, ["tags", "explain", "253010", "--rev", "H5"]).output
    assert "no focus area" in out
    out = CliRunner().invoke(main, ["tags", "list", "ict", "--rev", "H6"]).output
    assert "851713" in out and "851712," not in out


def test_fetch_reference_lists(data_dir, store, fast_client, comtrade_api):
    comtrade_api()
    got = comtrade_reference.fetch_reference(store, fast_client())
    assert set(got) == {"HS"}  # per-revision lists are not served by the emulator
    ref = comtrade_reference.load_reference(store, "HS")
    assert len(ref) == 8262 and ref["code"].str.len().isin([2, 4, 5, 6]).all()


def test_focus_parquet_equals_leaf_rows_of_flows(data_dir, store, fast_client, comtrade_api):
    comtrade_api()
    fetcher = comtrade.ComtradeFetcher(store, client=fast_client(), api_key="k",
                                       progress=False)
    fetcher.run(comtrade.default_plan(("2022", "2016"), "6"), "A")
    build(data_dir)
    flows = pd.read_parquet(data_dir / "processed" / "flows.parquet")
    focus = pd.read_parquet(data_dir / "processed" / "focus.parquet")
    cov = pd.read_parquet(data_dir / "processed" / "focus_coverage.parquet")
    assert not focus.empty and set(focus["hs_level"]) == {6}
    assert "WLD" not in set(focus["partner"]) and "TOTAL" not in set(focus["hs_code"])
    leaves = flows[(flows.hs_level == 6) & (flows.partner != "WLD")]
    for area, rows in focus.groupby("area"):
        keys = rows[["year", "reporter", "partner", "flow", "hs_rev", "hs_code"]]
        joined = leaves.merge(keys, on=list(keys.columns))
        assert rows["value_usd"].sum() == pytest.approx(joined["value_usd"].sum(), rel=1e-12)
        assert cov.loc[cov.area == area, "value_usd"].sum() == pytest.approx(
            rows["value_usd"].sum(), rel=1e-12)
    # tags follow the row's revision: 851713 only tagged in H6 rows
    assert set(focus.loc[focus.hs_code == "851713", "hs_rev"]) <= {"H6"}
    per_year = cov.groupby(["source", "freq", "year", "flow"])
    for _, g in per_year:
        untagged = g.loc[g.area == "untagged", "value_usd"].sum()
        assert 0 < untagged < g["total_usd"].iloc[0]
