"""The build's lean paths into the HS reference give what the full tables give, and the
shipped derived texts are what readable_texts() derives now."""

from __future__ import annotations

import pandas as pd

from tradeviz.vocab import hs


def _lean_descriptions(rev: pd.Series, code: pd.Series) -> pd.Series:
    hs.codes.cache_clear()  # read the package data again
    return hs.descriptions(rev, code)


def test_shipped_texts_are_derived_by_readable_texts():
    """codes.parquet carries readable/label precomputed: they must equal what the function
    gives on the shipped descriptions (a stale file fails here, and in the script's
    reproduction test)."""
    c = hs.codes()
    readable, label = hs.readable_texts(c)
    assert list(readable) == list(c["readable"])
    assert list(label) == list(c["label"])
    coffee = c[(c["rev"] == "H3") & (c["code"] == "090112")].iloc[0]
    assert coffee["readable"] == "Coffee: Decaffeinated"  # not roasted, a fragment in HS2007


def test_descriptions_of_a_few_codes_equal_the_full_table():
    full = hs.codes()
    readable = full.set_index(["rev", "code"])["readable"]
    cases = [
        full[full["level"] == 2].head(40),  # chapters alone: no parent text at all
        full[(full["level"] == 6) & (full["rev"] == "H3")].sample(300, random_state=3),
        full.sample(2000, random_state=4),
    ]
    for part in cases:
        got = _lean_descriptions(
            part["rev"].reset_index(drop=True), part["code"].reset_index(drop=True)
        )
        want = readable.reindex(pd.MultiIndex.from_frame(part[["rev", "code"]])).to_numpy()
        assert got.isna().sum() == 0 and list(got) == list(want)
    # fragments carry their heading's clause on the lean path too
    frag = full[(full["rev"] == "H3") & (full["code"] == "090112")]
    got = _lean_descriptions(frag["rev"], frag["code"]).iloc[0]
    assert got.startswith("Coffee") and got == frag["readable"].iloc[0]


def test_to_latest_of_some_revisions_is_those_rows_of_to_latest():
    every = hs.to_latest()
    some = hs.to_latest_of(("H3", "H6"))
    assert set(some["rev"]) == {"H3", "H6"}
    want = every[every["rev"].isin(["H3", "H6"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, want)
    assert hs.to_latest_of(("X9",)).empty  # a revision no table knows: nothing converted
