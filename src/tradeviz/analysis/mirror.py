"""Mirror: China's and each partner's reports of the same trade side by side, per year,
and the HS chapters that explain most of each gap. Functions of a Dataset
(analysis.dataset), whose methods check the arguments and call these."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeviz.analysis.arguments import check_year
from tradeviz.analysis.products import hs_description
from tradeviz.analysis.readable import with_labels
from tradeviz.vocab.countries import CHINA
from tradeviz.vocab.revisions import LATEST as LATEST_REV

if TYPE_CHECKING:
    from tradeviz.analysis.dataset import Dataset


# ------------------------------------------------------------------------------ mirror
def mirror(ds: Dataset, freq: str = "A", countries=None, years=None) -> pd.DataFrame:
    """Both directions of each China–country pair per year: the exporter's reported
    exports (FOB) beside the importer's reported imports (CIF), gap (importer minus
    exporter) and ratio (importer / exporter). A side that reports nothing for the
    direction and year leaves gap and ratio empty. Headings listed as
    `unmatched_revision` are left out of both sides."""
    a = ds._check(freq=freq, countries=countries, years=years)
    m = _mirror_rows(ds, a.freq, a.countries, a.years)
    if m.empty:
        return pd.DataFrame(columns=MIRROR_COLUMNS)
    g = m.groupby(["direction", "exporter", "importer", "year"], as_index=False)[
        ["exporter_fob_usd", "importer_cif_usd", "_matched_fob"]
    ].sum(min_count=1)
    g = g.rename(columns={"_matched_fob": "matched_usd"})
    g["country"] = np.where(g["exporter"] == CHINA.iso3, g["importer"], g["exporter"])
    g["gap_usd"] = g["importer_cif_usd"] - g["exporter_fob_usd"]
    g["ratio"] = g["importer_cif_usd"] / g["exporter_fob_usd"].where(g["exporter_fob_usd"] > 0)
    g["matched_share"] = g["matched_usd"] / g["exporter_fob_usd"].where(g["exporter_fob_usd"] > 0)
    g["year"] = g["year"].astype(int)
    return g[MIRROR_COLUMNS].sort_values(["country", "direction", "year"], ignore_index=True)


def mirror_chapters(
    ds: Dataset, year: int | None = None, n: int = 5, countries=None, freq: str = "A"
) -> pd.DataFrame:
    """The HS chapters that explain most of each direction's gap in `year` (default:
    the latest year both sides report): per chapter the two sides, gap, its share of
    the direction's gap, ranked by absolute gap; directions where one side reports
    nothing are left out."""
    a = ds._check(year=year, n=n, countries=countries, freq=freq)
    n = a.n
    m = _mirror_rows(ds, a.freq, a.countries, None)
    both = (
        m.groupby(["direction", "year"])[["exporter_fob_usd", "importer_cif_usd"]].transform(
            "count"
        )
        > 0
    )  # each side reported something in the direction-year
    m = m[both.all(axis=1)] if len(m) else m
    year = check_year("year", a.year, m["year"].unique(), "the mirror rows both sides report")
    if m.empty:
        return with_labels(pd.DataFrame(columns=CHAPTER_COLUMNS), "chapter", LATEST_REV)
    year = int(m["year"].max()) if year is None else year
    m = m[m["year"] == year]
    if m.empty:
        return with_labels(pd.DataFrame(columns=CHAPTER_COLUMNS), "chapter", LATEST_REV)
    m = m.assign(
        chapter=m["hs_code"].astype(str).str[:2],
        exporter_fob_usd=m["exporter_fob_usd"].fillna(0.0),
        importer_cif_usd=m["importer_cif_usd"].fillna(0.0),
    )
    g = m.groupby(["direction", "exporter", "importer", "year", "chapter"], as_index=False)[
        ["exporter_fob_usd", "importer_cif_usd"]
    ].sum()
    g["gap_usd"] = g["importer_cif_usd"] - g["exporter_fob_usd"]
    g["direction_gap_usd"] = g.groupby("direction")["gap_usd"].transform("sum")
    g["share_of_gap"] = g["gap_usd"] / g["direction_gap_usd"].where(g["direction_gap_usd"] != 0)
    g = g.assign(_abs=g["gap_usd"].abs()).sort_values(
        ["direction", "_abs"], ascending=[True, False]
    )
    g["rank"] = g.groupby("direction").cumcount() + 1
    g = g[g["rank"] <= n].copy()
    g["country"] = np.where(g["exporter"] == CHINA.iso3, g["importer"], g["exporter"])
    g["description"] = [hs_description(c, LATEST_REV) for c in g["chapter"]]
    g["year"] = g["year"].astype(int)
    return with_labels(g[CHAPTER_COLUMNS].reset_index(drop=True), "chapter", LATEST_REV)


def _mirror_rows(
    ds: Dataset, freq: str, countries: list[str] | None, years: tuple[int, ...] | None
) -> pd.DataFrame:
    """Mirror rows of the view (arguments already checked)."""
    m = ds.mirror_table
    cas = ds._ca(countries)
    m = m[
        (m["freq"] == freq)
        & (m["status"] != "unmatched_revision")
        & (m["exporter"].isin(cas) | m["importer"].isin(cas))
    ]
    if years:
        m = m[m["year"].isin(years)]
    return m.assign(
        _matched_fob=m["exporter_fob_usd"].where(m["status"] == "matched", 0.0).fillna(0.0)
    )


MIRROR_COLUMNS = [
    "country",
    "direction",
    "exporter",
    "importer",
    "year",
    "exporter_fob_usd",
    "importer_cif_usd",
    "gap_usd",
    "ratio",
    "matched_share",
]


CHAPTER_COLUMNS = [
    "country",
    "direction",
    "exporter",
    "importer",
    "year",
    "rank",
    "chapter",
    "description",
    "exporter_fob_usd",
    "importer_cif_usd",
    "gap_usd",
    "share_of_gap",
]
