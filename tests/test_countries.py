"""The country registry (vocab/countries.py, data/countries.csv): every Comtrade partner with
ISO3, Comtrade code and M49, the project's six at their codes, and the shipped CSV equal to
what scripts/build_country_reference.py builds from the corpus."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from tradeviz.errors import InputError
from tradeviz.vocab import countries as c

REPO = Path(__file__).resolve().parents[1]


def test_project_countries_keep_their_codes():
    assert [(k.iso3, k.comtrade, k.m49) for k in c.ALL_SIX] == [
        ("CHN", 156, 156),
        ("KAZ", 398, 398),
        ("KGZ", 417, 417),
        ("TJK", 762, 762),
        ("TKM", 795, 795),
        ("UZB", 860, 860),
    ]
    assert c.CA_ISO3 == ("KAZ", "KGZ", "TJK", "TKM", "UZB")
    assert c.CHINA.name == "China" and c.BY_COMTRADE[398].iso3 == "KAZ"


@pytest.mark.parametrize(
    ("iso3", "comtrade", "m49"),
    [
        ("RUS", 643, 643),
        ("TUR", 792, 792),
        ("KOR", 410, 410),
        ("IRN", 364, 364),
        ("DEU", 276, 276),
        ("POL", 616, 616),
        ("AFG", 4, 4),
        # Comtrade's own codes where they differ from M49
        ("FRA", 251, 250),
        ("IND", 699, 356),
        ("USA", 842, 840),
        ("CHE", 757, 756),
        ("NOR", 579, 578),
    ],
)
def test_partners_have_comtrade_and_m49_codes(iso3, comtrade, m49):
    got = c.BY_ISO3[iso3]
    assert (got.comtrade, got.m49) == (comtrade, m49)
    assert c.comtrade_code(iso3.lower()) == comtrade
    assert c.BY_M49[m49].iso3 == iso3


def test_historical_codes_map_to_their_iso3_but_not_as_current():
    assert c.BY_COMTRADE[58].iso3 == "BEL" and not c.BY_COMTRADE[58].current
    assert c.BY_ISO3["BEL"].comtrade == 56
    assert 490 not in c.BY_COMTRADE  # "Other Asia, nes" is an area, not a country
    assert any(k.comtrade == 490 and k.kind == "area" for k in c.ALL)


def test_world_and_unknown_codes():
    assert c.comtrade_code("wld") == 0 and c.name("WLD") == "World"
    with pytest.raises(InputError, match="'XYZ'.*tradeviz countries"):
        c.comtrade_code("XYZ")
    with pytest.raises(ValueError):  # InputError is a ValueError for library callers
        c.comtrade_code("XYZ")


def test_iso2_lookup_without_country_converter():
    assert c.iso2_to_iso3("KZ") == "KAZ" and c.iso2_to_iso3("NA") == "NAM"
    assert c.iso2_to_iso3("B0") is None


def test_other_languages_fall_back_to_english():
    assert c.BY_ISO3["KAZ"].name_in("zh") == "Kazakhstan"
    assert c.name("KAZ", "ru") == "Kazakhstan"


def test_shipped_csv_is_what_the_script_builds(corpus, tmp_path):
    out = tmp_path / "countries.csv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_country_reference.py"),
            "--corpus",
            str(corpus),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    shipped = resources.files("tradeviz").joinpath("data/countries.csv").read_bytes()
    assert out.read_bytes() == shipped
    reporters = pd.read_csv(corpus / "hs" / "reporter.csv", dtype=str, keep_default_na=False)
    current = reporters[
        (reporters["exit_year"] == "") & reporters["iso_3"].str.fullmatch(r"[A-Z]{3}")
    ]
    assert set(current["iso_3"]) <= set(c.BY_ISO3)  # every reporter Comtrade has today


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("kazakstan", "KAZ"),
        ("Kazakhstan", "KAZ"),
        ("kyrgyz", "KGZ"),
        ("turkiye", "TUR"),
        ("Türkiye", "TUR"),
        ("russia", "RUS"),
        ("korea", "KOR"),
        ("KAS", "KAZ"),
        ("kz", "KAZ"),
    ],
)
def test_suggestions_match_names_as_well_as_codes(text, first):
    assert c.suggest(text)[0] == first


def test_suggestions_are_never_codes_that_merely_share_letters():
    assert c.suggest("XYZ") == []  # once "ZWE, ZMB, ZAF, YEM, UZB"
    assert c.suggest("kazakstan", among=c.CA_ISO3) == ["KAZ"]
    assert c.suggest("china", among=c.CA_ISO3) == []  # not among the five
    assert c.suggest("") == []
