"""Mirror reconciliation: direct comparison within one HS revision, correlation groups
across revisions (UNSD tables), CIF on the importer's side, and sums against the raw layer."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeviz.store.tables import read_table
from tradeviz.transform.build import build
from tradeviz.transform.mirror import build_mirror
from tradeviz.vocab import hs

BASE = {
    "source": "comtrade",
    "freq": "A",
    "year": 2008,
    "month": pd.NA,
    "quarter": pd.NA,
    "hs_level": 6,
    "synthetic": False,
    "cif_usd": float("nan"),
}


def export(rev: str, code: str, value: float, **kw) -> dict:
    return {
        **BASE,
        "reporter": "CHN",
        "partner": "KGZ",
        "flow": "export",
        "hs_rev": rev,
        "hs_code": code,
        "value_usd": value,
        **kw,
    }


def import_(rev: str, code: str, value: float, cif: float | None = None, **kw) -> dict:
    return {
        **BASE,
        "reporter": "KGZ",
        "partner": "CHN",
        "flow": "import",
        "hs_rev": rev,
        "hs_code": code,
        "value_usd": value,
        "cif_usd": float("nan") if cif is None else cif,
        **kw,
    }


def test_h3_against_h2_pairs_mobile_phones_in_one_group():
    m = build_mirror(
        pd.DataFrame(
            [
                export(
                    "H3", "851712", 100.0
                ),  # China reports HS2007: telephones for cellular networks
                import_("H2", "852520", 90.0, cif=95.0),  # Kyrgyzstan reports HS2002: transceivers
                export("H3", "010110", 5.0),
                import_("H2", "010110", 6.0, cif=6.5),  # 1:1 horses
            ]
        )
    )
    phones = m[m["exporter_codes"] == "851712"]
    assert len(phones) == 1
    row = phones.iloc[0]
    assert row["importer_codes"] == "852520" and row["status"] == "matched"
    assert row["hs_code"] == "851712" and row["match_level"] == 6
    assert (row["exporter_rev"], row["importer_rev"]) == ("H3", "H2")
    assert row["importer_cif_usd"] == 95.0 and row["importer_basis"] == "cif"
    assert row["gap_usd"] == -5.0 and row["ratio"] == pytest.approx(0.95)
    g = hs.groups("H2", "H3").set_index(["rev", "code"])["group"]
    assert row["group_id"] == g[("H2", "852520")] == g[("H3", "851712")]
    horses = m[m["hs_code"] == "010110"].iloc[0]
    assert horses["status"] == "matched" and horses["gap_usd"] == 1.5
    assert horses["group_id"] != row["group_id"]


def test_h6_against_h5_smartphones_meet_the_older_code():
    m = build_mirror(
        pd.DataFrame(
            [
                export("H6", "851713", 50.0, year=2022),
                export("H6", "851714", 5.0, year=2022),
                import_("H5", "851712", 40.0, year=2022),
            ]
        )
    )
    assert len(m) == 1, m  # display-module catch-all links do not pull in other goods
    row = m.iloc[0]
    assert row["exporter_codes"] == "851713,851714" and row["importer_codes"] == "851712"
    assert row["exporter_fob_usd"] == 55.0 and row["gap_usd"] == -15.0
    assert row["importer_basis"] == "value_usd"  # no CIF reported: flagged


def test_one_side_only_within_groups_and_no_group_within_one_revision():
    m = build_mirror(
        pd.DataFrame(
            [
                export("H3", "851712", 100.0),
                import_("H2", "100190", 8.0),
                export("H5", "870380", 9.0, year=2019),
                import_("H5", "870380", 10.0, cif=11.0, year=2019),
                export("H5", "870390", 3.0, year=2019),
                import_("H5", "870321", 2.0, cif=2.2, year=2019),
                import_("H5", "870322", 1.0, year=2019),
            ]
        )
    )
    by = m.set_index(["year", "hs_code"])
    assert by.loc[(2008, "851712"), "status"] == "exporter_only"
    assert by.loc[(2008, "100190"), "status"] == "importer_only"
    assert by.loc[(2008, "100190"), "group_id"] == "H2:100190"
    same = m[m["year"] == 2019]
    assert same["group_id"].isna().all()  # one revision: codes compare directly
    assert by.loc[(2019, "870380"), "gap_usd"] == 2.0  # CIF 11 against FOB 9
    assert by.loc[(2019, "870390"), "status"] == "exporter_only"
    assert by.loc[(2019, "870321"), "importer_basis"] == "cif"
    assert by.loc[(2019, "870322"), "importer_basis"] == "value_usd"


def test_mixed_importer_basis_is_flagged():
    m = build_mirror(
        pd.DataFrame(
            [
                export("H3", "851712", 100.0),
                import_("H2", "852520", 60.0, cif=61.0),
                import_("H2", "844351", 30.0),
            ]
        )
    )
    row = m[m["exporter_codes"] == "851712"].iloc[0]
    assert row["importer_codes"] == "844351,852520"  # one UNSD group in H2/H3
    assert row["importer_basis"] == "mixed" and row["importer_cif_usd"] == 91.0


@pytest.fixture
def fetched(default_plan_hs4):
    """Default plan at HS4 for two years, via the emulator (conftest)."""
    return default_plan_hs4


def test_mirror_sums_equal_raw_exports_and_imports(fetched):
    build(fetched)
    mirror = read_table(fetched / "processed", "mirror")
    flows = read_table(fetched / "processed", "flows")
    china_x = flows[
        (flows.reporter == "CHN")
        & (flows.flow == "export")
        & (flows.partner != "WLD")
        & (flows.hs_level == 4)
    ]
    ca_m = flows[(flows.partner == "CHN") & (flows.flow == "import") & (flows.hs_level == 4)]
    out = mirror[mirror.direction.str.startswith("CHN->")]
    assert out["exporter_fob_usd"].sum() == pytest.approx(china_x["value_usd"].sum(), rel=1e-12)
    importer = ca_m["cif_usd"].fillna(ca_m["value_usd"]).sum()
    assert out["importer_cif_usd"].sum() == pytest.approx(importer, rel=1e-12)
    assert {"CHN->KAZ", "KAZ->CHN"} <= set(mirror["direction"])
    matched = mirror[mirror.status == "matched"]
    assert (matched["gap_usd"] == matched["importer_cif_usd"] - matched["exporter_fob_usd"]).all()
    assert set(mirror["status"]) <= {"matched", "exporter_only", "importer_only"}


def test_the_builds_compact_mirror_holds_the_same_table(fetched):
    """build_mirror(compact=True), as the build holds it (text columns categorical, taken
    from the flows table's categoricals), decodes to build_mirror's table: here on the
    emulator's fetch, and on a cell compared across revisions (group names beside codes)."""
    from tradeviz.schema import MIRROR_FIELDS, conform

    build(fetched)
    flows = read_table(fetched / "processed", "flows")
    grouped = pd.DataFrame(
        [
            export("H3", "851712", 100.0),
            import_("H2", "852520", 90.0, cif=95.0),
            export("H3", "010110", 5.0),
        ]
    )
    for frame in (flows, grouped, flows.iloc[:0]):
        text = [c for c in frame.columns if frame[c].dtype == "str"]
        compact = frame.astype(dict.fromkeys(text, "category"))
        for c in text:  # as the build's: categories no row uses
            compact[c] = compact[c].cat.add_categories(["ZZZ-unused"])
        held = build_mirror(compact, compact=True)
        assert all(
            isinstance(held[f.name].dtype, pd.CategoricalDtype)
            for f in MIRROR_FIELDS
            if f.dtype == "str"
        )
        pd.testing.assert_frame_equal(conform(held, MIRROR_FIELDS), build_mirror(frame))
