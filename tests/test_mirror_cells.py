"""Mirror cells on integer codes (issue 12): sums of repeated codes, a side's revision when
its first row has none, monthly cells in order, and the empty table's schema."""

from __future__ import annotations

import pandas as pd

from tradeviz.schema import MIRROR_FIELDS
from tradeviz.transform.mirror import build_mirror

BASE = {
    "source": "comtrade",
    "freq": "A",
    "year": 2019,
    "month": pd.NA,
    "hs_level": 6,
    "synthetic": False,
    "cif_usd": float("nan"),
}


def row(flow: str, code: str, value: float, rev: str | None = "H5", **kw) -> dict:
    china_reports = flow == "export"
    return {
        **BASE,
        "reporter": "CHN" if china_reports else "UZB",
        "partner": "UZB" if china_reports else "CHN",
        "flow": flow,
        "hs_rev": rev,
        "hs_code": code,
        "value_usd": value,
        **kw,
    }


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    return df.astype({"month": "Int8", "hs_rev": "str", "hs_level": "int8"})


def test_repeated_codes_are_summed_and_listed_once():
    m = build_mirror(
        frame(
            [
                row("export", "870380", 2.5),
                row("export", "870380", 4.0),
                row("import", "870380", 7.0, cif_usd=7.5),
            ]
        )
    )
    assert len(m) == 1
    r = m.iloc[0]
    assert r["exporter_fob_usd"] == 6.5 and r["exporter_codes"] == "870380"
    assert r["importer_cif_usd"] == 7.5 and r["importer_basis"] == "cif"
    assert r["gap_usd"] == 1.0 and r["status"] == "matched"


def test_a_side_takes_the_revision_of_its_first_row_that_has_one():
    m = build_mirror(
        frame(
            [
                row("export", "851713", 5.0, rev=None, year=2022),
                row("export", "851713", 50.0, rev="H6", year=2022),
                row("import", "851712", 40.0, rev="H5", year=2022),
            ]
        )
    )
    assert len(m) == 1  # H6 against H5: one correlation group
    r = m.iloc[0]
    assert (r["exporter_rev"], r["importer_rev"]) == ("H6", "H5")
    assert r["exporter_codes"] == "851713" and r["importer_codes"] == "851712"
    assert r["exporter_fob_usd"] == 55.0 and pd.notna(r["group_id"])


def test_monthly_cells_sort_after_annual_ones_and_by_month():
    m = build_mirror(
        frame(
            [
                row("export", "010121", 1.0, freq="M", month=11),
                row("export", "010121", 2.0, freq="M", month=2),
                row("import", "010121", 3.0),
            ]
        )
    )
    assert m[["freq", "month"]].astype(object).values.tolist() == [
        ["A", pd.NA],
        ["M", 2],
        ["M", 11],
    ]
    assert m["status"].tolist() == ["importer_only", "exporter_only", "exporter_only"]


def test_no_rows_give_the_empty_table_with_its_schema():
    m = build_mirror(frame([row("export", "010121", 1.0)]).iloc[:0])
    assert m.empty
    assert list(m.columns) == [f.name for f in MIRROR_FIELDS]
    assert [str(t) for t in m.dtypes] == [
        str(pd.Series(dtype=f.dtype).dtype) for f in MIRROR_FIELDS
    ]
