"""The shipped HS reference (vocab.hs), its build script, the describe step and
`tradeviz hs`: checked against facts of the real nomenclature and the corpus it came from."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz.cli import main
from tradeviz.transform.describe import describe
from tradeviz.vocab import hs, labels
from tradeviz.vocab.revisions import HS_REVISIONS

REPO = Path(__file__).resolve().parents[1]


def test_existence_is_per_revision():
    assert hs.exists("851712", "H3") and not hs.exists("851712", "H6")
    assert hs.revisions_of("851771") == ["H6"]
    assert hs.revisions_of("8471") == list(HS_REVISIONS)
    with pytest.raises(hs.UnknownCodeError, match="does not exist in H5; it exists in H6"):
        hs.check_code("851771", "H5")
    with pytest.raises(hs.UnknownCodeError, match="no HS revision"):
        hs.check_code("999998", "H5")


def test_description_parent_unit_level():
    info = hs.check_code("851712", "H3")
    assert info.description == "Telephones for cellular networks or for other wireless networks"
    assert (info.parent, info.level, info.unit, info.is_leaf) == ("8517", 6, "u", True)
    assert hs.description("01", "H0") == "Live animals"  # no "01 - " prefix
    assert hs.unit("0101", "H6") is None  # n/a for headings
    assert hs.parent("0101", "H6") == "01" and hs.level("0101", "H6") == 4


def test_short_labels_read_as_products():
    # the example: HS2022 footwear text, cut mid-word before ("…n.e.c. in heading n…")
    assert hs.short_label("640299", "H6") == "640299 Footwear, rubber or plastic soles and uppers"
    # HS1992-HS2012 fragments get their heading: never a bare "Other"
    assert hs.short_label("851769", "H3").startswith("851769 Telephone sets")
    assert hs.short_label("090111", "H4") == "090111 Coffee; not decaffeinated"
    assert hs.short_label("270112", "H0") == "270112 Coal; bituminous"
    assert hs.short_label("040229", "H0") == (
        "040229 Milk and cream; in powder, granules or other solid forms"
    )  # HS1992 nested subheading 'In powder ... :-- Other' under heading 0402
    # a heading repeated as its own subheading is said once
    assert hs.short_label("260300", "H0") == "260300 Copper ores and concentrates"
    assert hs.description("090111", "H4") == "Not decaffeinated"  # Comtrade's own text
    assert hs.short_label("123456", "H5") == "123456"  # unknown: the bare code
    assert hs.short_label("851771") == hs.short_label("851771", "H6")
    got = hs.short_labels(pd.Series(["H3", "H6", None]), pd.Series(["851712", "851713", "x"]))
    assert got.tolist() == [hs.short_label("851712", "H3"), hs.short_label("851713", "H6"), "x"]
    assert hs.labels_of(pd.Series(["H6"]), pd.Series(["851713"])).tolist() == ["Smartphones"]


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", str(text).lower())


def test_every_hs6_of_every_revision_has_a_label_of_whole_words():
    """Every HS6 of H0-H6 has a label of 1-60 characters, and every word in it is a whole
    word of the code's own text or its heading's (no 'n…', no 'Of Ca…'): checked against
    the descriptions, not against the rules that made the labels."""
    c = hs.codes()
    six = c[c["level"] == 6]
    assert set(six["rev"]) == set(HS_REVISIONS)
    length = six["label"].str.len()
    assert six["label"].notna().all() and length.between(1, labels.LABEL_WIDTH).all()
    text = dict(zip(zip(c["rev"], c["code"], strict=True), c["description"], strict=True))
    overridden = set(zip(labels.overrides()["rev"], labels.overrides()["code"], strict=True))
    bad = []
    for rev, code, parent, label in zip(
        six["rev"], six["code"], six["parent"], six["label"], strict=True
    ):
        if (rev, code) in overridden:
            continue
        source = set(_words(text[(rev, code)] + " " + text.get((rev, parent), "")))
        if any(w not in source for w in _words(label)):
            bad.append((rev, code, label))
    assert not bad, bad[:10]
    # boilerplate never reaches a label
    for junk in (r"n\.e\.c\. in heading", "in item no", r"\[", r"; other(?:$|[,;])"):
        assert not six["label"].str.lower().str.contains(junk).any(), junk
    assert not six["label"].str.fullmatch(r"(?i)others?").any()


def test_label_rules_on_hand_worked_texts():
    shorten = labels.shorten
    # boilerplate and parentheses dropped, the '; ' after the head kept
    assert (
        shorten(
            "Footwear; n.e.c. in heading no. 6402, (other than just covering the ankle), with "
            "outer soles and uppers of rubber or plastics"
        )
        == "Footwear; with outer soles and uppers of rubber or plastics"
    )
    # an exclusion takes its list with it
    assert shorten(
        "Fish; frozen, hake (Merluccius spp., Urophycis spp.), excluding fillets, fish meat "
        "of 0304, and edible fish offal of subheadings 0303.91 to 0303.99"
    ).startswith("Fish; frozen, hake")
    # head and last clause when the leading ones say little
    assert shorten("Copper; refined, unwrought, cathodes and sections of cathodes") == (
        "Copper; refined, cathodes and sections of cathodes"
    )
    # a fragment under its heading; 'Other' alone is the heading
    assert shorten("Natural gas", "Petroleum gases and other gaseous hydrocarbons") == (
        "Petroleum gases and other gaseous hydrocarbons; natural gas"
    )
    assert shorten("Other", "Motorcycles") == "Motorcycles"
    # a subheading that names its goods stands alone when its heading would not fit
    heading = "Inorganic acids and other inorganic oxygen compounds of non-metals"
    assert shorten("Hydrogen fluoride (hydrofluoric acid)", heading) == (
        "Hydrogen fluoride (hydrofluoric acid)"
    )
    # filler goes before any clause does ('by weight'), and words are only ever removed
    assert shorten("Fluorspar; containing by weight 97% or less of calcium fluoride") == (
        "Fluorspar; containing 97% or less of calcium fluoride"
    )
    # after a long clause the last one ends its list ('images or other data'): not kept alone
    got = shorten(
        "Telephone sets; other apparatus for the transmission or reception of voice, "
        "images or other data"
    )
    assert "images or other data" not in got or "voice" in got
    assert shorten("Vehicles; other") == "Vehicles"
    # a text cut in the source ('... of articles of') loses its dangling word
    assert shorten("Parts, trimmings and accessories of articles of") == (
        "Parts, trimmings and accessories of articles"
    )
    # only a single clause longer than the width is cut, at a word, with one ellipsis
    long = "Railway or tramway track fixtures and fittings mechanical signalling safety equipment"
    got = shorten(long)
    assert got.endswith("…") and len(got) <= labels.LABEL_WIDTH
    assert long.startswith(got.removesuffix("…")) and long[len(got) - 1] == " "


def test_label_overrides_are_cited_exist_and_are_applied():
    ov = labels.overrides()
    assert len(ov) >= 30 and ov["source"].str.len().gt(10).all()
    assert ov["label"].str.len().le(labels.LABEL_WIDTH).all()
    c = hs.codes().set_index(["rev", "code"])
    for rev, code, label in zip(ov["rev"], ov["code"], ov["label"], strict=True):
        assert hs.exists(code, rev), (rev, code)
        assert c.loc[(rev, code), "label"] == label
    # the focus areas' key goods read as goods in every revision they exist in
    assert {c.loc[(r, "271121"), "label"] for r in HS_REVISIONS} == {
        "Natural gas, gaseous state (pipeline gas)"
    }


def test_bec_class_and_sna_end_use():
    b = hs.bec("851712", "H3")
    assert b[["bec", "sna_class"]].values.tolist() == [["41", "capital goods"]]
    assert hs.bec("010121", "H6")["sna_class"].iat[0] == "capital goods"  # breeding horses
    assert hs.bec("382360", "H0").empty  # UNSD has no HS1992 table


def test_adjacent_and_chained_correlations():
    prev = hs.correlated("851712", "H3", "H2")
    assert prev[["code", "relation"]].values.tolist() == [["852520", "n:1"]]
    nxt = hs.correlated("852520", "H2", "H3").set_index("code")["relation"]
    assert nxt.to_dict() == {"851712": "1:n", "851761": "n:n", "851762": "n:n", "852560": "1:n"}
    h6 = set(hs.correlated("851712", "H3", "H6")["code"])
    assert {"851713", "851714"} <= h6
    assert set(hs.correlated("382360", "H0", "H6")["code"]) == {"382460"}
    back = hs.correlated("870380", "H5", "H4")
    assert back["code"].tolist() == ["870390"]


def test_groups_join_what_the_tables_link_and_nothing_else():
    g = hs.groups("H2", "H3").set_index(["rev", "code"])["group"]
    assert g[("H2", "852520")] == g[("H3", "851712")] == g[("H3", "851761")]
    assert g[("H2", "010110")] == g[("H3", "010110")]
    assert (g == g[("H2", "010110")]).sum() == 2  # 1:1 code: a group of its own
    h56 = hs.groups("H5", "H6")
    sizes = h56["group"].value_counts()
    assert sizes.max() < 100  # catch-all links (e-waste, display modules) pruned
    g56 = h56.set_index(["rev", "code"])["group"]
    assert g56[("H5", "851712")] == g56[("H6", "851713")] == g56[("H6", "851714")]
    heads = hs.groups("H2", "H3", level=4).set_index(["rev", "code"])["group"]
    assert heads[("H2", "8525")] == heads[("H3", "8517")]


def test_conversion_to_hs2022():
    t = hs.to_latest().set_index(["rev", "code"])
    assert tuple(t.loc[("H3", "851712")]) == ("851713", "approx")  # split 1:n
    assert tuple(t.loc[("H5", "870380")]) == ("870380", "exact")
    assert tuple(t.loc[("H1", "382460")]) == ("382460", "exact")
    assert tuple(t.loc[("H0", "382360")]) == ("382460", "exact")
    assert tuple(t.loc[("H6", "851713")]) == ("851713", "exact")
    assert t.loc[t.index.get_level_values("rev") == "H5", "converted"].eq("exact").mean() > 0.8


def test_search():
    found = hs.search("lithium carbonate", "H6")
    assert found["code"].tolist()[0] == "283691"  # then 283699 "other than lithium ..."
    assert hs.search("no such goods at all", "H6").empty


def test_describe_adds_descriptions_and_hs2022_codes():
    flows = pd.DataFrame(
        {
            "hs_rev": ["H3", "H6", "H5", "H5", "H5"],
            "hs_code": ["851712", "851713", "TOTAL", "8703", "123456"],
            "hs_level": [6, 6, 0, 4, 6],
            "cmd_desc": ["x", "y", "All Commodities", "z", "Synthetic product"],
            "value_usd": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    out = describe(flows)
    assert "cmd_desc" not in out.columns
    assert out["hs_description"].tolist() == [
        "Telephone sets: Telephones for cellular networks or for other wireless networks",
        hs.description("851713", "H6"),
        "All commodities",
        hs.description("8703", "H5"),
        "Synthetic product",
    ]  # cmdDesc only when unknown
    assert out["hs6_h6"].tolist()[:2] == ["851713", "851713"]
    assert out["converted"].tolist()[:2] == ["approx", "exact"]
    assert out["hs6_h6"].iloc[2:].isna().all() and out["converted"].iloc[2:].isna().all()


# ------------------------------------------------------------ against the corpus


@pytest.mark.parametrize("rev", HS_REVISIONS)
def test_package_lists_match_the_comtrade_lists(corpus, rev):
    src = pd.read_csv(corpus / "hs" / f"{rev}.csv", dtype=str, keep_default_na=False)
    src = src[src["code"] != "TOTAL"]
    c = hs.codes()
    mine = c[c["rev"] == rev]
    assert sorted(mine["code"]) == sorted(src["code"])
    row = src[src["code"] == "851712"]
    if len(row):
        assert row["description"].iat[0].endswith(hs.description("851712", rev))


def test_package_correlations_match_unsd_tables(corpus):
    corr = hs.correlation()
    for older, newer in zip(HS_REVISIONS[:-1], HS_REVISIONS[1:], strict=True):
        src = pd.read_csv(
            corpus / "hs" / "correlation_full" / f"{newer}_to_{older}.csv",
            dtype=str,
            keep_default_na=False,
        )
        mine = corr[(corr["newer_rev"] == newer) & (corr["older_rev"] == older)]
        assert set(zip(mine["newer"], mine["older"], mine["relation"], strict=True)) == set(
            zip(src[newer], src[older], src["relation"], strict=True)
        )


def test_build_script_reproduces_the_package_data(corpus, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_hs_reference", REPO / "scripts" / "build_hs_reference.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--corpus", str(corpus / "hs"), "--out", str(tmp_path)]) == 0
    shipped = REPO / "src" / "tradeviz" / "data" / "hs"
    for name in ("codes", "correlation", "conversion", "bec", "to_latest"):
        new = pd.read_parquet(tmp_path / f"{name}.parquet")
        old = pd.read_parquet(shipped / f"{name}.parquet")
        pd.testing.assert_frame_equal(new, old)
    assert sum(p.stat().st_size for p in shipped.glob("*.parquet")) < 3_000_000
    assert mod.main(["--corpus", str(tmp_path / "nowhere")]) == 2
    # to_latest is derived from the tables of --out, and the package's are read again after
    assert hs.to_latest().equals(pd.read_parquet(shipped / "to_latest.parquet"))
    pd.testing.assert_frame_equal(hs.derive_to_latest(), hs.to_latest(), check_dtype=False)


# ------------------------------------------------------------ CLI


def test_cli_show_names_the_code_and_its_successors():
    res = CliRunner().invoke(main, ["hs", "show", "851712", "--rev", "H3"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Telephones for cellular networks" in out and "exists in: H3, H4, H5" in out
    assert "H4 successors" in out and "H2 predecessors (1):" in out and "852520" in out
    assert "H6 successors" in out and "851713 [1:n]" in out and "851714 [1:n]" in out
    assert "SNA end use: capital goods" in out and "ict (full)" in out


def test_cli_show_rejects_a_code_missing_from_the_revision():
    res = CliRunner().invoke(main, ["hs", "show", "851771", "--rev", "H5"])
    assert res.exit_code != 0
    assert "851771" in res.output and "does not exist in H5" in res.output
    assert "it exists in H6" in res.output


def test_cli_map_and_search():
    res = CliRunner().invoke(main, ["hs", "map", "852520", "--from", "H2", "--to", "H6"])
    assert res.exit_code == 0, res.output
    assert "H6 851713 [1:n]" in res.output and "H6 851714 [1:n]" in res.output
    res = CliRunner().invoke(main, ["hs", "search", "lithium carbonate", "--rev", "H5"])
    assert res.exit_code == 0 and "283691" in res.output
    res = CliRunner().invoke(main, ["hs", "map", "8517", "--from", "H3", "--to", "H2"])
    assert res.exit_code != 0 and "HS6" in res.output


def test_links_reach_hs1992_from_a_newer_revision():
    """Chaining down to H0 (the first revision) works and mirrors chaining up from it."""
    down = hs.links("H2", "H0")
    up = hs.links("H0", "H2")
    assert len(down) > 1000
    assert set(zip(down["src"], down["dst"], strict=True)) == set(
        zip(up["dst"], up["src"], strict=True)
    )
    res = CliRunner().invoke(main, ["hs", "map", "851712", "--from", "H3", "--to", "H0"])
    assert res.exit_code == 0, res.output
    assert "852520" in res.output  # mobile phones were 852520 before HS2007
