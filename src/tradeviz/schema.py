"""Every processed table's columns, described once; schemas and the data dictionary are
generated from here (as PUDL does with its field metadata)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.flows import FLOWS, SOURCE_KEYS
from tradeviz.vocab.revisions import HS_REVISIONS

if TYPE_CHECKING:  # pandas loads when a frame is made: the world build runs without it
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Field:
    name: str
    dtype: str  # pandas dtype name
    description: str
    unit: str = ""
    origin: str = ""
    nullable: bool = False
    allowed: tuple | None = None
    non_negative: bool = False


FLOWS_FIELDS: tuple[Field, ...] = (
    Field(
        "source",
        "str",
        "Data source the row was built from.",
        "",
        "manifest `source`",
        allowed=SOURCE_KEYS,
    ),
    Field(
        "freq",
        "str",
        "Frequency: A annual, Q quarterly, M monthly.",
        "",
        "Comtrade `freqCode`; IMF `FREQUENCY`; WITS always A",
        allowed=("A", "Q", "M"),
    ),
    Field("year", "int16", "Reference year.", "year", "Comtrade `refYear`; IMF/WITS period"),
    Field(
        "month",
        "Int8",
        "Reference month 1-12; null for annual data (Comtrade refMonth 52) and for quarterly data.",
        "month",
        "Comtrade `refMonth`",
        nullable=True,
    ),
    Field(
        "quarter",
        "Int8",
        "Reference quarter 1-4 for quarterly data, else null.",
        "quarter",
        "IMF `TIME_PERIOD`",
        nullable=True,
    ),
    Field(
        "reporter",
        "str",
        "Reporting country, ISO3.",
        "",
        "Comtrade `reporterCode` via the Comtrade reference list; WITS `Reporter Name` via "
        "country_converter; IMF `COUNTRY`",
    ),
    Field(
        "partner",
        "str",
        "Partner country, ISO3; World is WLD. Never summed with country rows.",
        "",
        "Comtrade `partnerCode` (0 = WLD); WITS `Partner Name`; IMF "
        "`COUNTERPART_COUNTRY` (G001 = WLD)",
    ),
    Field(
        "flow",
        "str",
        "Trade flow as the reporter declares it.",
        "",
        "Comtrade `flowCode` M/X/RM/RX; IMF indicator MG*/XG*; WITS Trade Flow",
        allowed=FLOWS,
    ),
    Field(
        "hs_rev",
        "str",
        "HS revision the reporter used (H0 = HS1992 ... H6 = HS2022); "
        "null for sources without HS detail.",
        "",
        "Comtrade `classificationCode`",
        nullable=True,
        allowed=HS_REVISIONS,
    ),
    Field(
        "hs_code",
        "str",
        "HS code as a string with leading zeros: TOTAL, or 2, 4 or 6 digits.",
        "",
        "Comtrade `cmdCode`; TOTAL for IMF and WITS",
    ),
    Field(
        "hs_level",
        "int8",
        "Digits of hs_code: 0 for TOTAL, else 2, 4 or 6.",
        "digits",
        "Comtrade `aggrLevel`",
        allowed=(0, 2, 4, 6),
    ),
    Field(
        "hs_description",
        "str",
        "What the code is: the UN Comtrade description of hs_code "
        "in the row's own revision (hs_rev), without the code prefix; HS1992-HS2012 "
        "subheading texts that are fragments ('Other', 'Not decaffeinated') get their "
        "heading's first clause ('Coffee: Not decaffeinated'); for a code missing "
        "from that revision's list, the API's cmdDesc when the row has it. Charts and "
        "tables label products with `tradeviz.vocab.hs.short_label` (code + a label of "
        "at most 60 characters, never cut mid-word).",
        "",
        "package HS reference (Comtrade H0-H6 lists); Comtrade `cmdDesc`",
        nullable=True,
    ),
    Field(
        "hs6_h6",
        "str",
        "For HS6 rows: the HS2022 code the row's code converts to, so a "
        "product keeps one code over a long series. Null for other levels and for codes "
        "the reference does not know.",
        "",
        "UNSD correlation and conversion tables (package HS reference)",
        nullable=True,
    ),
    Field(
        "converted",
        "str",
        "How hs6_h6 was obtained: exact (same code, 1:1 or n:1: the "
        "whole code goes to one HS2022 code) or approx (the code was split, 1:n or n:n; "
        "assigned to the first HS2022 code of UNSD's conversion table, or the smallest "
        "linked code). Null where hs6_h6 is null.",
        "",
        "derived",
        nullable=True,
        allowed=("exact", "approx"),
    ),
    Field(
        "value_usd",
        "float64",
        "Trade value: CIF for imports, FOB for exports (as the reporter values them).",
        "USD",
        "Comtrade `primaryValue`; WITS US$ thousand x 1000; IMF `OBS_VALUE` (full dollars)",
        non_negative=True,
    ),
    Field(
        "cif_usd",
        "float64",
        "CIF value where reported.",
        "USD",
        "Comtrade `cifvalue`; IMF MG_CIF_USD",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "fob_usd",
        "float64",
        "FOB value where reported.",
        "USD",
        "Comtrade `fobvalue`; IMF XG_FOB_USD / MG_FOB_USD",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "net_weight_kg",
        "float64",
        "Net weight.",
        "kg",
        "Comtrade `netWgt`",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "qty",
        "float64",
        "Quantity in qty_unit.",
        "qty_unit",
        "Comtrade `qty`",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "qty_unit",
        "str",
        "Unit of qty (Comtrade abbreviation, e.g. kg, u).",
        "",
        "Comtrade `qtyUnitAbbr`",
        nullable=True,
    ),
    Field(
        "is_estimated",
        "bool",
        "True when Comtrade marks the value as not reported by the "
        "country (isReported false). Always false for IMF and WITS rows: for IMF read "
        "`derivation`, whose codes the IMF defines.",
        "",
        "Comtrade `isReported`",
    ),
    Field(
        "derivation",
        "str",
        "IMF derivation attribute (how the value was obtained).",
        "",
        "IMF `DERIVATION_TYPE`",
        nullable=True,
    ),
    Field("overlap", "str", "IMF overlap attribute.", "", "IMF `OVERLAP`", nullable=True),
    Field(
        "synthetic",
        "bool",
        "True when the row comes from synthetic data (demo, emulator, "
        "benchmark), never from a statistics office.",
        "",
        "manifest `synthetic`",
    ),
    Field(
        "snapshot", "str", "sha256 of the raw file the row was read from.", "", "manifest `sha256`"
    ),
)
FLOWS_KEY = (
    "source",
    "freq",
    "year",
    "month",
    "quarter",
    "reporter",
    "partner",
    "flow",
    "hs_rev",
    "hs_code",
)
# A flow cell: everything in the key but the product, i.e. one reporter-partner-flow-period.
FLOW_CELL = FLOWS_KEY[:-2]

MIRROR_FIELDS: tuple[Field, ...] = (
    Field(
        "direction",
        "str",
        "Which way the goods go: CHN->XXX (China exports) or XXX->CHN (China imports).",
        "",
        "derived",
    ),
    Field("exporter", "str", "Exporting country, ISO3.", "", "flows.reporter / partner"),
    Field("importer", "str", "Importing country, ISO3.", "", "flows.reporter / partner"),
    Field("freq", "str", "Frequency (A or M).", "", "flows.freq", allowed=("A", "M")),
    Field("year", "int16", "Reference year.", "year", "flows.year"),
    Field(
        "month", "Int8", "Reference month, null for annual.", "month", "flows.month", nullable=True
    ),
    Field(
        "hs_code",
        "str",
        "Product compared: the code at match_level when both sides use "
        "one revision; else the first code the exporter (or, if it reported none, the importer) "
        "reported in the correlation group (see group_id).",
        "",
        "flows.hs_code",
    ),
    Field(
        "group_id",
        "str",
        "When the two sides report in different HS revisions: the "
        "connected group of the UNSD correlation tables between them that the row compares "
        "(`<rev>:<code>` of its first member). Codes linked by any 1:n, n:1 or n:n relation "
        "share a group; a 1:1 code is a group alone. Null when both sides use one "
        "revision.",
        "",
        "package HS reference (UNSD correlation tables)",
        nullable=True,
    ),
    Field(
        "exporter_codes",
        "str",
        "Codes the exporter reported in the row (comma-separated, exporter_rev).",
        "",
        "flows.hs_code",
        nullable=True,
    ),
    Field(
        "importer_codes",
        "str",
        "Codes the importer reported in the row (comma-separated, importer_rev).",
        "",
        "flows.hs_code",
        nullable=True,
    ),
    Field(
        "match_level",
        "int8",
        "HS digits at which the two sides were compared (6 or 4; 2 or "
        "0 when only those were fetched).",
        "digits",
        "derived",
        allowed=(0, 2, 4, 6),
    ),
    Field(
        "exporter_rev",
        "str",
        "HS revision of the exporter's report.",
        "",
        "flows.hs_rev",
        nullable=True,
    ),
    Field(
        "importer_rev",
        "str",
        "HS revision of the importer's report.",
        "",
        "flows.hs_rev",
        nullable=True,
    ),
    Field(
        "status",
        "str",
        "matched: both sides compared; exporter_only / importer_only: one "
        "side reported nothing for the product (or, across revisions, for the whole "
        "correlation group).",
        "",
        "derived",
        allowed=("matched", "exporter_only", "importer_only"),
    ),
    Field(
        "exporter_fob_usd",
        "float64",
        "Exports as the exporter reports them (FOB).",
        "USD",
        "flows.value_usd of the exporter's export rows",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "importer_cif_usd",
        "float64",
        "Imports as the importer reports them, CIF: the "
        "reporter's CIF value where it gives one, else its primary value (see "
        "importer_basis).",
        "USD",
        "flows.cif_usd, else flows.value_usd, of the importer's import rows",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "importer_basis",
        "str",
        "cif: every importer row gave a CIF value; value_usd: none "
        "did, so the importer's primary value stands in (then the gap is not purely "
        "CIF/FOB); mixed: some did.",
        "",
        "derived",
        nullable=True,
        allowed=("cif", "value_usd", "mixed"),
    ),
    Field(
        "gap_usd",
        "float64",
        "importer_cif_usd minus exporter_fob_usd (matched rows).",
        "USD",
        "derived",
        nullable=True,
    ),
    Field(
        "ratio",
        "float64",
        "importer_cif_usd / exporter_fob_usd (matched rows, exporter value > 0).",
        "ratio",
        "derived",
        nullable=True,
    ),
    Field("synthetic", "bool", "True when either side is synthetic data.", "", "flows"),
)
MIRROR_KEY = ("direction", "freq", "year", "month", "hs_code", "match_level", "status", "group_id")

FOCUS_FIELDS: tuple[Field, ...] = (
    Field("area", "str", "Focus area (see `tradeviz tags list`).", "", "package tag rules"),
    Field(
        "subarea",
        "str",
        "Sub-tag within the area (e.g. ICT category), or empty.",
        "",
        "package tag rules",
    ),
    Field(
        "match",
        "str",
        "full: the whole code is in the area (for an HS2/HS4 row: every "
        "HS6 code under it, in the row's revision, is full in the area); partial: only "
        "part of it is. Charts that attribute value to one area use full rows only and "
        "show partial value as a remainder.",
        "",
        "package tag rules and HS reference",
        allowed=("full", "partial"),
    ),
    Field("rule_id", "str", "Identifier of the rule that tagged the row.", "", "package tag rules"),
    *(
        f
        for f in FLOWS_FIELDS
        if f.name
        in (
            "source",
            "freq",
            "year",
            "month",
            "quarter",
            "reporter",
            "partner",
            "flow",
            "hs_rev",
            "hs_code",
            "hs_level",
            "hs_description",
            "value_usd",
            "synthetic",
            "snapshot",
        )
    ),
)
FOCUS_KEY = (
    "area",
    "source",
    "freq",
    "year",
    "month",
    "reporter",
    "partner",
    "flow",
    "hs_rev",
    "hs_code",
)

COVERAGE_FIELDS: tuple[Field, ...] = (
    *(f for f in FLOWS_FIELDS if f.name in ("source", "freq", "year", "flow", "hs_level")),
    Field(
        "area",
        "str",
        "Focus area; `untagged` for leaf rows no rule covers; "
        "`partial_only` for leaf rows tagged in some area but fully in none (value no "
        "area can claim).",
        "",
        "package tag rules",
        allowed=(*AREA_KEYS, "untagged", "partial_only"),
    ),
    Field(
        "value_usd",
        "float64",
        "Value of the leaf rows in the area, full and partial "
        "(areas overlap: a product in two areas counts in both).",
        "USD",
        "sum of focus.value_usd",
        non_negative=True,
    ),
    Field(
        "full_usd",
        "float64",
        "Part of value_usd attributable to the area: rows whose match is full.",
        "USD",
        "sum of focus.value_usd where match = full",
        non_negative=True,
    ),
    Field(
        "partial_usd",
        "float64",
        "Partial remainder: value_usd of rows only partly in the area.",
        "USD",
        "sum of focus.value_usd where match = partial",
        non_negative=True,
    ),
    Field(
        "total_usd",
        "float64",
        "Value of all leaf rows of the source, freq, year, flow and HS level.",
        "USD",
        "sum of flows.value_usd over leaf rows",
        non_negative=True,
    ),
    Field(
        "share",
        "float64",
        "value_usd / total_usd.",
        "ratio",
        "derived",
        nullable=True,
        non_negative=True,
    ),
    Field(
        "full_share",
        "float64",
        "full_usd / total_usd: the share that could be attributed to the area.",
        "ratio",
        "derived",
        nullable=True,
        non_negative=True,
    ),
)
COVERAGE_KEY = ("source", "freq", "year", "flow", "hs_level", "area")

# -- the world layer (issue 19): every reporter's trade with the World, by product -------
WORLD_FIELDS: tuple[Field, ...] = (
    Field("source", "str", "Data source the row was built from.", "", "manifest `source`"),
    Field("freq", "str", "Frequency (A annual).", "", "Comtrade `freqCode`", allowed=("A", "M")),
    Field(
        "year",
        "int64",
        "Reference year (a partition: year=<y> in the path).",
        "year",
        "Comtrade `refYear`",
    ),
    Field(
        "level",
        "int64",
        "HS level of hs_code, 2, 4 or 6 digits (a partition: level=<L> in the path).",
        "",
        "Comtrade `aggrLevel`",
        allowed=(2, 4, 6),
    ),
    Field(
        "reporter",
        "str",
        "Reporting country, ISO3: a country, never World or an area/aggregate code.",
        "",
        "Comtrade `reporterCode`/`reporterISO`",
    ),
    Field("partner", "str", "Always WLD (the World).", "", "Comtrade `partnerCode` 0"),
    Field(
        "flow", "str", "export or import.", "", "Comtrade `flowCode`", allowed=("export", "import")
    ),
    Field(
        "hs_rev",
        "str",
        "HS revision the reporter used (H0-H6).",
        "",
        "Comtrade `classificationCode`",
    ),
    Field(
        "hs_code", "str", "HS code at `level` digits of that revision.", "", "Comtrade `cmdCode`"
    ),
    Field(
        "value_usd",
        "float64",
        "Trade value: FOB for exports, CIF for imports, as the reporter values them.",
        "USD",
        "Comtrade `primaryValue`",
        non_negative=True,
    ),
    Field("net_weight_kg", "float64", "Net weight.", "kg", "Comtrade `netWgt`", nullable=True),
    Field("qty", "float64", "Quantity in qty_unit.", "qty_unit", "Comtrade `qty`", nullable=True),
    Field("qty_unit", "str", "Unit of qty.", "", "Comtrade `qtyUnitAbbr`", nullable=True),
    Field(
        "is_estimated",
        "bool",
        "True when Comtrade marks the value as not reported by the country.",
        "",
        "Comtrade `isReported`",
    ),
    Field(
        "synthetic",
        "bool",
        "True when the row comes from synthetic data (emulator, benchmark).",
        "",
        "manifest `synthetic`",
    ),
    Field(
        "snapshot", "str", "sha256 of the raw file the row was read from.", "", "manifest `sha256`"
    ),
)
WORLD_KEY = ("source", "freq", "year", "level", "reporter", "flow", "hs_rev", "hs_code")
WORLD_PARTITIONS = ("level", "year")  # directories world/level=<L>/year=<y>/

# -- analysis frames (not files): the columns of Dataset.partners() (issue 13) ----------
PARTNERS_FIELDS: tuple[Field, ...] = (
    Field(
        "country",
        "str",
        "The Central Asian country whose partners these are, ISO3.",
        "",
        "argument",
    ),
    Field("year", "int64", "Reference year (annual data).", "year", "flows.year"),
    Field(
        "side",
        "str",
        "Side asked for: reported (the country's own reports), mirror (its "
        "partners' reports) or best (own reports in the years it reported, else mirror).",
        "",
        "argument",
        allowed=("reported", "mirror", "best"),
    ),
    Field(
        "basis",
        "str",
        "Side the row's numbers come from.",
        "",
        "derived",
        allowed=("reported", "mirror"),
    ),
    Field(
        "flow",
        "str",
        "The country's exports, imports, or total (exports + imports). On "
        "the mirror basis the partner's imports are the country's exports and the other way "
        "round.",
        "",
        "flows.flow",
        allowed=("export", "import", "total"),
    ),
    Field(
        "partner",
        "str",
        "Partner country ISO3; a group key (EU, EAEU, CA5, CHN_CA5); "
        "`unallocated`; or WLD for the total.",
        "",
        "flows.partner / flows.reporter",
    ),
    Field(
        "partner_name",
        "str",
        "English name of the partner or group.",
        "",
        "vocab.countries, data/country_groups.yaml",
    ),
    Field(
        "kind",
        "str",
        "country; group (sum of the members' rows for the years they were "
        "members, never a reported aggregate row); unallocated (World minus the country "
        "rows, reported basis only: Areas nes and what no partner row accounts for); world "
        "(the World row, or on the mirror basis the sum over reporters).",
        "",
        "derived",
        allowed=("country", "group", "unallocated", "world"),
    ),
    Field(
        "value_usd",
        "float64",
        "Trade value: the TOTAL row, else the sum of the coarsest HS "
        "level fetched. Mirror imports are the partner's exports (FOB), mirror exports the "
        "partner's imports (CIF).",
        "USD",
        "flows.value_usd",
    ),
    Field(
        "share",
        "float64",
        "value_usd over the world row of the same year, basis and flow; "
        "country rows plus unallocated sum to 1.",
        "ratio",
        "derived",
        nullable=True,
    ),
    Field(
        "rank",
        "Int64",
        "1 = largest, among countries (kind country) or among groups (kind "
        "group); null for unallocated and world. Ties share a rank.",
        "",
        "derived",
        nullable=True,
    ),
    Field(
        "n_partners",
        "int64",
        "Partner countries with rows in the year, basis and flow; "
        "below 10 the partners plan was not fetched and ranks mean little.",
        "count",
        "derived",
    ),
    Field(
        "is_estimate",
        "bool",
        "True for mirror rows (the country's trade estimated from "
        "its partners' reports, e.g. Turkmenistan) and for values Comtrade marks as "
        "estimated.",
        "",
        "basis, flows.is_estimated",
    ),
    Field(
        "synthetic", "bool", "True when the row comes from synthetic data.", "", "flows.synthetic"
    ),
)
ANALYSIS_FRAMES = {
    "partners": (
        PARTNERS_FIELDS,
        ("country", "year", "basis", "flow", "partner"),
        '`Dataset.partners(country, years=None, side="best")` '
        "(tradeviz.analysis.partners): value, share and rank of each partner and "
        "group in a Central Asian country's exports, imports and total, from the "
        "partners plan (`tradeviz fetch comtrade --plan partners`). Groups and their "
        "membership periods: `src/tradeviz/data/country_groups.yaml` (EU28 to 2019, "
        "EU27 from 2020; EAEU from 2015).",
    ),
}


# -- analysis frames (not files): the columns of the Dataset methods of tradeviz.open() ---
# (issue 10; tradeviz/analysis/dataset.py). Charts draw these frames; their CSVs hold them.
def _usd(name: str, desc: str, origin: str = "derived", nullable: bool = True) -> Field:
    return Field(name, "float64", desc, "USD", origin, nullable=nullable)


def _ratio(name: str, desc: str) -> Field:
    return Field(name, "float64", desc, "ratio", "derived", nullable=True)


_ISO = Field("country", "str", "Central Asian country, ISO3.", "", "argument / filter")
_YEAR = Field("year", "int64", "Reference year.", "year", "flows.year")
_REPORTER = Field(
    "reporter", "str", "Reporting country, ISO3 (whose report the numbers are).", "", "argument"
)
_FLOW2 = Field(
    "flow",
    "str",
    "Trade flow as the reporter declares it.",
    "",
    "flows.flow",
    allowed=("export", "import"),
)
_SIDES = (
    _usd(
        "exporter_fob_usd",
        "What the exporter reports exporting (FOB); empty when it reports nothing.",
        "mirror.exporter_fob_usd",
    ),
    _usd(
        "importer_cif_usd",
        "What the importer reports importing (CIF); empty when it reports nothing.",
        "mirror.importer_cif_usd",
    ),
)
TOTALS_FIELDS: tuple[Field, ...] = (
    _REPORTER,
    Field(
        "partner",
        "str",
        "Partner ISO3, WLD (World), or CA5: the five Central Asian "
        "countries together (China as reporter; periods where all five have both flows).",
        "",
        "flows.partner",
    ),
    _YEAR,
    Field(
        "month",
        "Int8",
        "Month 1-12 (freq M), null for annual totals.",
        "month",
        "flows.month",
        nullable=True,
    ),
    Field(
        "source",
        "str",
        "Source of the numbers: comtrade (annual; monthly where fetched) "
        "or imf (monthly otherwise); `comtrade+imf` on a CA5 row mixing both.",
        "",
        "flows.source",
    ),
    _usd(
        "exports_usd",
        "Reporter's exports (FOB): the TOTAL row, else the sum of the coarsest HS level fetched.",
        "flows.value_usd",
    ),
    _usd("imports_usd", "Reporter's imports (CIF), as exports_usd.", "flows.value_usd"),
    _usd("total_usd", "exports_usd + imports_usd."),
    _usd("balance_usd", "exports_usd - imports_usd (the reporter's surplus when positive)."),
    Field("synthetic", "bool", "True when the numbers are synthetic.", "", "flows.synthetic"),
)
GROWTH_FIELDS: tuple[Field, ...] = (
    Field(
        "(key columns)",
        "str",
        "The series: reporter, partner, measure (export, import, "
        'total) for `of="totals"`; reporter, flow, area, match for `of="areas"`; '
        'reporter, partner, flow, hs_code for `of="products"`.',
        "",
        "argument",
    ),
    _YEAR,
    Field(
        "base_year",
        "int64",
        "First year of the series in the window (CAGR base).",
        "year",
        "derived",
    ),
    _usd("value_usd", "Value of the series in the year.", "the underlying method", nullable=False),
    _usd("change_usd", "value_usd minus the previous year's (empty when that year is missing)."),
    _ratio(
        "yoy",
        "Year-on-year change: value / previous year's - 1 (empty when the previous "
        "year is missing or zero).",
    ),
    _ratio(
        "cagr",
        "Compound annual growth from base_year to year: (value / base value) ^ (1 / years) - 1.",
    ),
)
SHARES_FIELDS: tuple[Field, ...] = (
    _ISO,
    _YEAR,
    _usd(
        "partner_reported_china_usd",
        "The country's own report of its trade with China (exports + imports).",
        "flows (reporter = country, partner = CHN)",
    ),
    _usd(
        "china_reported_usd",
        "China's report of its trade with the country.",
        "flows (reporter = CHN)",
    ),
    _usd(
        "partner_world_usd",
        "The country's own report of its trade with the World.",
        "flows (reporter = country, partner = WLD)",
    ),
    _ratio(
        "share_partner_reported",
        "partner_reported_china_usd / partner_world_usd: China's share as the country reports it.",
    ),
    _ratio(
        "share_china_reported",
        "china_reported_usd / partner_world_usd: China's report "
        "over the country's World total (mirror view; can exceed the partner-reported share "
        "where China reports more).",
    ),
)
_LABEL = Field(
    "label",
    "str",
    "The description shortened for charts and tables: at most 60 characters, never cut "
    "mid-word (boilerplate dropped, or a cited override).",
    "",
    "vocab.labels",
)
TOP_PRODUCTS_FIELDS: tuple[Field, ...] = (
    _REPORTER,
    _ISO,
    _FLOW2,
    _YEAR,
    Field("rank", "int64", "1 = largest value.", "", "derived"),
    Field("hs_rev", "str", "HS revision of the row.", "", "flows.hs_rev"),
    Field("hs_code", "str", "HS6 code (string, leading zeros).", "", "flows.hs_code"),
    Field(
        "description",
        "str",
        "Full description from the HS reference (vocab.hs, a fragment with its heading); "
        "the flows' own text when the code is not in it, else empty.",
        "",
        "vocab.hs.descriptions",
    ),
    _LABEL,
    Field(
        "areas",
        "str",
        "Every focus area tagging the code, `; `-separated, `(partial)` "
        "when the code also holds other goods.",
        "",
        "focus",
    ),
    Field(
        "area",
        "str",
        "Area the product is drawn in: its first fully covering area, else "
        "`partial`, else `other`.",
        "",
        "focus",
    ),
    _usd("value_usd", "Value in the year.", "flows.value_usd", nullable=False),
    _ratio("share", "value_usd over the bilateral total of the flow and year."),
    _usd(
        "prev_value_usd",
        "Previous year's value of the same code (empty across an HS "
        "revision change unless the code maps 1:1).",
        "flows.value_usd",
    ),
    _ratio("change", "value_usd / prev_value_usd - 1."),
    Field("qty", "float64", "Quantity in qty_unit.", "qty_unit", "flows.qty", nullable=True),
    Field("qty_unit", "str", "Unit of qty.", "", "flows.qty_unit", nullable=True),
    Field(
        "unit_value_usd",
        "float64",
        "value_usd / qty where the unit is usable (not N/A, qty > 0).",
        "USD per qty_unit",
        "derived",
        nullable=True,
    ),
)
_AREA = Field(
    "area",
    "str",
    "Focus area key, `other` for untagged trade.",
    "",
    "focus.area",
    allowed=(*AREA_KEYS, "other"),
)
BY_AREA_FIELDS: tuple[Field, ...] = (
    _REPORTER,
    _YEAR,
    _FLOW2,
    _AREA,
    Field(
        "match",
        "str",
        "full: codes the area covers wholly (counted in their first such "
        "area); partial: the remainder, codes only partly in the area; none: other trade. "
        "The rows of a year and flow sum to its total.",
        "",
        "focus.match",
        allowed=("full", "partial", "none"),
    ),
    _usd("value_usd", "Value of the leaf rows in the bucket.", "flows.value_usd", nullable=False),
    _usd("total_usd", "Value of all leaf rows of the year and flow."),
    _ratio("share", "value_usd / total_usd."),
)
AREA_DETAIL_FIELDS: tuple[Field, ...] = (
    _AREA,
    _FLOW2,
    _YEAR,
    Field("by", "str", "What `group` holds.", "", "argument", allowed=("partner", "subarea")),
    Field("group", "str", "Partner ISO3 or sub-area.", "", "focus.partner / focus.subarea"),
    Field(
        "match",
        "str",
        "full or partial (see focus.match).",
        "",
        "focus.match",
        allowed=("full", "partial"),
    ),
    _usd(
        "value_usd",
        "Value tagged with the area (a code in two areas counts in both).",
        "focus.value_usd",
        nullable=False,
    ),
)
MONTHLY_FIELDS: tuple[Field, ...] = (
    _REPORTER,
    TOTALS_FIELDS[1],
    Field("period", "str", "Month as YYYY-MM.", "", "derived"),
    _YEAR,
    Field("month", "int64", "Month 1-12.", "month", "flows.month"),
    *(
        f
        for f in TOTALS_FIELDS
        if f.name in ("source", "exports_usd", "imports_usd", "total_usd", "balance_usd")
    ),
)
YTD_FIELDS: tuple[Field, ...] = (
    _REPORTER,
    TOTALS_FIELDS[1],
    Field(
        "measure",
        "str",
        "exports, imports or total.",
        "",
        "derived",
        allowed=("exports", "imports", "total"),
    ),
    Field("year", "int64", "Latest year with monthly data.", "year", "flows.year"),
    Field(
        "months",
        "int64",
        "Months in the year to date (1 to the latest month).",
        "months",
        "derived",
    ),
    Field("period", "str", "The months compared, e.g. 2025-01 to 2025-09.", "", "derived"),
    _usd("ytd_usd", "Sum over the months of the year."),
    _usd("prev_ytd_usd", "Sum over the same months of the previous year."),
    _ratio("change", "ytd_usd / prev_ytd_usd - 1."),
    TOTALS_FIELDS[4],
)
IMF_VS_COMTRADE_FIELDS: tuple[Field, ...] = (
    _ISO,
    _FLOW2,
    _YEAR,
    _usd(
        "comtrade_usd",
        "China-reported annual value, UN Comtrade.",
        "flows (comtrade, A)",
        nullable=False,
    ),
    _usd(
        "imf_usd",
        "China-reported value, IMF IMTS monthly summed over a complete year.",
        "flows (imf, M)",
        nullable=False,
    ),
    _ratio("difference", "imf_usd / comtrade_usd - 1."),
)
_DIRECTION = (
    Field("direction", "str", "CHN->XXX or XXX->CHN.", "", "mirror.direction"),
    Field("exporter", "str", "Exporting country, ISO3.", "", "mirror.exporter"),
    Field("importer", "str", "Importing country, ISO3.", "", "mirror.importer"),
)
MIRROR_SUMMARY_FIELDS: tuple[Field, ...] = (
    _ISO,
    *_DIRECTION,
    _YEAR,
    *_SIDES,
    _usd("gap_usd", "importer_cif_usd - exporter_fob_usd (empty when a side reports nothing)."),
    _ratio("ratio", "importer_cif_usd / exporter_fob_usd."),
    _ratio("matched_share", "Share of exporter_fob_usd in products both sides reported."),
)
MIRROR_CHAPTERS_FIELDS: tuple[Field, ...] = (
    _ISO,
    *_DIRECTION,
    _YEAR,
    Field("rank", "int64", "1 = largest absolute gap in the direction.", "", "derived"),
    Field("chapter", "str", "HS chapter (2 digits).", "", "mirror.hs_code"),
    Field("description", "str", "Chapter description (HS reference).", "", "vocab.hs"),
    _LABEL,
    *_SIDES,
    _usd(
        "gap_usd",
        "importer_cif_usd - exporter_fob_usd over the chapter (a side's missing "
        "products count as zero).",
        nullable=False,
    ),
    _ratio("share_of_gap", "gap_usd over the direction's whole gap."),
)
DATASET_FRAMES = {
    "totals": (
        TOTALS_FIELDS,
        ("reporter", "partner", "year", "month"),
        '`Dataset.totals(reporter="CHN", partners=None, years=None, freq="A")`.',
    ),
    "growth": (
        GROWTH_FIELDS,
        ("(key columns)", "year"),
        '`Dataset.growth(of="totals"|"areas"|"products", start=None, end=None, **kwargs)`.',
    ),
    "shares": (
        SHARES_FIELDS,
        ("country", "year"),
        "`Dataset.shares(years=None, "
        "countries=None)`: China's share of each country's trade, both sides.",
    ),
    "top_products": (
        TOP_PRODUCTS_FIELDS,
        ("country", "flow", "year", "rank"),
        '`Dataset.top_products(country, flow="export", year=None, n=10, reporter="CHN")`.',
    ),
    "by_area": (
        BY_AREA_FIELDS,
        ("year", "flow", "area", "match"),
        '`Dataset.by_area(reporter="CHN", partners=None, years=None, flow=None, '
        "areas=None)`: each leaf row counted once.",
    ),
    "area_detail": (
        AREA_DETAIL_FIELDS,
        ("year", "group", "match"),
        '`Dataset.area_detail(area, flow, by="partner")`: one area\'s rows.',
    ),
    "monthly": (
        MONTHLY_FIELDS,
        ("partner", "period"),
        '`Dataset.monthly(reporter="CHN", partners=None, months=12)`.',
    ),
    "year_to_date": (
        YTD_FIELDS,
        ("partner", "measure"),
        '`Dataset.year_to_date(reporter="CHN", partners=None)`.',
    ),
    "imf_vs_comtrade": (
        IMF_VS_COMTRADE_FIELDS,
        ("country", "flow", "year"),
        "`Dataset.imf_vs_comtrade(years=None)`.",
    ),
    "mirror_summary": (
        MIRROR_SUMMARY_FIELDS,
        ("direction", "year"),
        '`Dataset.mirror(freq="A", countries=None, years=None)`: both directions per year.',
    ),
    "mirror_chapters": (
        MIRROR_CHAPTERS_FIELDS,
        ("direction", "rank"),
        "`Dataset.mirror_chapters(year=None, n=5)`: the chapters that explain most of each gap.",
    ),
}
ANALYSIS_FRAMES.update(DATASET_FRAMES)


# -- measure frames (issue 20; tradeviz/analysis/structure.py, formulas in docs/measures.md) --
# Kept in one block: the world layer's and others' schema edits go elsewhere in this file.
def _measure_text(name: str, desc: str, origin: str = "argument") -> Field:
    return Field(name, "str", desc, "", origin)


_M_BASIS = _measure_text(
    "basis", "Whose reports the numbers are (world layer, flows, mirror), in words.", "derived"
)
_M_SYN = Field("synthetic", "bool", "True when any input row is synthetic.", "", "synthetic")
_M_YEAR = Field("year", "int64", "Reference year.", "year", "world.year / flows.year")
_M_CODE = Field("hs_code", "str", "HS code at the level asked (2, 4 or 6 digits).", "", "hs_code")
_M_COUNTRY = _measure_text("country", "The country asked about, ISO3.")
_M_EXPORTER = _measure_text("exporter", "Exporting country, ISO3.")
_M_IMPORTER = _measure_text("importer", "Importing country, ISO3.")
_M_N = Field("n_products", "int64", "Products in the computation.", "count", "derived")


def _m_usd(name: str, desc: str, origin: str = "world.value_usd") -> Field:
    return Field(name, "float64", desc, "USD", origin, nullable=True)


def _m_num(name: str, desc: str, unit: str = "") -> Field:
    return Field(name, "float64", desc, unit, "derived", nullable=True)


RCA_FIELDS: tuple[Field, ...] = (
    _M_COUNTRY,
    _M_YEAR,
    _M_CODE,
    _m_usd("value_usd", "X_ik: the country's exports of the product to the World."),
    _m_usd("reporter_total_usd", "X_i: the country's total exports (sum over products)."),
    _m_usd("world_product_usd", "X_wk: every reporting country's exports of the product."),
    _m_usd("world_total_usd", "X_w: every reporting country's exports (no aggregate rows)."),
    _m_num("rca", "Balassa RCA (X_ik / X_i) / (X_wk / X_w); above 1: specialised.", "ratio"),
    _m_num("rca_sym", "Symmetric RCA (RCA - 1) / (RCA + 1), in [-1, 1).", "index"),
    _M_BASIS,
    _M_SYN,
)
TCI_FIELDS: tuple[Field, ...] = (
    _M_EXPORTER,
    _M_IMPORTER,
    _M_YEAR,
    _m_num("tci", "Trade complementarity 100 (1 - sum_k |m_ik - x_jk| / 2), 0-100.", "index"),
    _M_N,
    _M_BASIS,
    _M_SYN,
)
TCI_PRODUCT_FIELDS: tuple[Field, ...] = (
    _M_EXPORTER,
    _M_IMPORTER,
    _M_YEAR,
    _M_CODE,
    _m_num("import_share", "m_ik: the product's share of the importer's imports.", "share"),
    _m_num("export_share", "x_jk: the product's share of the exporter's exports.", "share"),
    _m_num("contribution", "100 min(m_ik, x_jk): points of the index; they sum to tci.", "points"),
    _M_BASIS,
    _M_SYN,
)
INTENSITY_FIELDS: tuple[Field, ...] = (
    _M_EXPORTER,
    _M_IMPORTER,
    _M_YEAR,
    _m_usd("exports_to_partner_usd", "x_ij: exports to the importer (see basis).", "flows"),
    _m_usd("exporter_total_usd", "X_i: the exporter's exports to the World."),
    _m_usd("partner_imports_usd", "x_wj: the importer's imports from the World (CIF)."),
    _m_usd("world_total_usd", "X_w: every reporting country's exports."),
    _m_num("intensity", "Trade intensity (x_ij / X_i) / (x_wj / X_w).", "ratio"),
    _m_num("intensity_excl", "As intensity, the exporter left out of x_wj and X_w.", "ratio"),
    _M_BASIS,
    _M_SYN,
)
ESI_FIELDS: tuple[Field, ...] = (
    _measure_text("a", "First exporter, ISO3."),
    _measure_text("b", "Second exporter, ISO3."),
    _measure_text("market", "The market compared in: WLD (World) or an ISO3."),
    _M_YEAR,
    _m_num("esi", "Finger-Kreinin export similarity 100 sum_k min(x_ak, x_bk), 0-100.", "index"),
    _M_N,
    _M_BASIS,
    _M_SYN,
)
CONCENTRATION_FIELDS: tuple[Field, ...] = (
    _M_COUNTRY,
    _measure_text("flow", "export or import (with the World)."),
    _M_YEAR,
    _m_usd("value_usd", "The country's trade in the flow (sum over products)."),
    _M_N,
    Field("n_above", "int64", "Products above USD 100,000 (UNCTAD).", "count", "derived"),
    _m_num("hhi", "Herfindahl-Hirschman index sum_k s_k^2 of product shares, (0, 1].", "index"),
    _m_num("hhi_norm", "Normalised HHI (HHI - 1/N) / (1 - 1/N); 1 for one product.", "index"),
    _m_num("top1_share", "Share of the largest product.", "share"),
    _m_num("top3_share", "Share of the largest 3 products.", "share"),
    _m_num("top10_share", "Share of the largest 10 products.", "share"),
    _M_BASIS,
    _M_SYN,
)
_M_A = _measure_text("a", "The reporter whose trade is measured, ISO3.")
_M_B = _measure_text("b", "Its partner, ISO3.")
GL_FIELDS: tuple[Field, ...] = (
    _M_A,
    _M_B,
    _M_YEAR,
    _m_usd("exports_usd", "a's exports to b (sum over products).", "flows.value_usd"),
    _m_usd("imports_usd", "a's imports from b.", "flows.value_usd"),
    _m_num("gl", "Grubel-Lloyd, trade-weighted: sum(X+M-|X-M|) / sum(X+M), 0-1.", "index"),
    _M_N,
    _M_BASIS,
    _M_SYN,
)
GL_PRODUCT_FIELDS: tuple[Field, ...] = (
    _M_A,
    _M_B,
    _M_YEAR,
    _M_CODE,
    _m_usd("exports_usd", "X_k: a's exports of the product to b.", "flows.value_usd"),
    _m_usd("imports_usd", "M_k: a's imports of the product from b.", "flows.value_usd"),
    _m_num("gl", "Grubel-Lloyd 1 - |X_k - M_k| / (X_k + M_k), 0-1.", "index"),
    _M_BASIS,
    _M_SYN,
)
PRICE_VOLUME_FIELDS: tuple[Field, ...] = (
    _measure_text("reporter", "Reporting country, ISO3."),
    _measure_text("partner", "Partner ISO3, or WLD (world layer)."),
    _measure_text("flow", "export or import."),
    _M_YEAR,
    _m_usd("value_usd", "The flow's value in the year (all products).", "value_usd"),
    _m_usd("matched_usd", "Value of the products used in the link to this year."),
    _m_num("coverage", "matched_usd / value_usd: share of value with usable quantities.", "share"),
    _m_num("link_value", "Value relative of the link over the products used.", "ratio"),
    _m_num("link_price", "Fisher unit-value relative sqrt(Laspeyres x Paasche).", "ratio"),
    _m_num("link_volume", "Fisher volume relative, link_value / link_price.", "ratio"),
    _m_num("value_change", "100 (link_value - 1).", "%"),
    _m_num("price_points", "Points of value_change from unit values (log split).", "points"),
    _m_num("volume_points", "Points of value_change from volumes; the two sum to it.", "points"),
    _m_num("value_index", "Chained value index, first year 100; = price x volume / 100.", "index"),
    _m_num("price_index", "Chained Fisher unit-value index, first year 100.", "index"),
    _m_num("volume_index", "Chained Fisher volume index, first year 100.", "index"),
    Field("n_products", "Int64", "Products used in the link.", "count", "derived", nullable=True),
    Field(
        "n_unit_change",
        "Int64",
        "Products left out: unit changed and no net weight.",
        "count",
        "derived",
        nullable=True,
    ),
    Field(
        "n_no_quantity",
        "Int64",
        "Products left out: no usable quantity.",
        "count",
        "derived",
        nullable=True,
    ),
    Field(
        "n_outliers",
        "Int64",
        "Products left out: a unit value outside 1/10-10x its median.",
        "count",
        "derived",
        nullable=True,
    ),
    _M_BASIS,
    _M_SYN,
)
POTENTIAL_FIELDS: tuple[Field, ...] = (
    _M_COUNTRY,
    _M_YEAR,
    _M_CODE,
    _measure_text(
        "description", "Short HS description (latest revision with the code).", "vocab.hs"
    ),
    _m_usd("market_imports_usd", "M_k: China's imports of the product from the World."),
    _m_usd("country_exports_usd", "X_ck: the country's exports of the product to the World."),
    _m_usd("world_exports_usd", "X_wk: every reporting country's exports of the product."),
    _m_num("world_share", "X_ck / X_wk: the country's share of world exports.", "share"),
    _m_usd(
        "potential_usd", "M_k x X_ck / X_wk: what it would sell China at that share.", "derived"
    ),
    _m_usd("actual_usd", "China's reported imports of the product from the country.", "flows"),
    _m_usd("gap_usd", "potential_usd - actual_usd (room to grow when positive).", "derived"),
    _m_num("realised", "actual_usd / potential_usd.", "ratio"),
    _measure_text("areas", "Focus areas tagging the code, `; `-separated, `(partial)`.", "focus"),
    _M_BASIS,
    _M_SYN,
)
COMPLEXITY_FIELDS: tuple[Field, ...] = (
    _M_COUNTRY,
    _M_YEAR,
    _m_usd("value_usd_world", "The country's exports to the World."),
    _m_usd("covered_usd_world", "Of which products with a PCI."),
    _m_num("mean_pci_world", "Trade-weighted mean PCI of its exports to the World.", "PCI"),
    _m_usd("value_usd_china", "China's reported imports from the country.", "flows"),
    _m_usd("covered_usd_china", "Of which products with a PCI.", "flows"),
    _m_num("mean_pci_china", "Trade-weighted mean PCI of what it sells China.", "PCI"),
    _m_num("eci", "The country's Economic Complexity Index (ecomplexity).", "ECI"),
    _M_BASIS,
    _M_SYN,
)
MEASURE_FRAMES = {
    "rca": (
        RCA_FIELDS,
        ("country", "year", "hs_code"),
        "`Dataset.rca(country, level=6, years=None)`.",
    ),
    "complementarity": (
        TCI_FIELDS,
        ("exporter", "importer", "year"),
        "`Dataset.complementarity(exporter, importer, years=None, level=6)`.",
    ),
    "complementarity_products": (
        TCI_PRODUCT_FIELDS,
        ("exporter", "importer", "year", "hs_code"),
        "`Dataset.complementarity(..., by_product=True)`: each product's contribution.",
    ),
    "intensity": (
        INTENSITY_FIELDS,
        ("exporter", "importer", "year"),
        "`Dataset.intensity(exporter, importer, years=None)`.",
    ),
    "similarity": (
        ESI_FIELDS,
        ("a", "b", "market", "year"),
        "`Dataset.similarity(a, b, market=None, years=None, level=6)`.",
    ),
    "concentration": (
        CONCENTRATION_FIELDS,
        ("country", "flow", "year"),
        "`Dataset.concentration(country, flow, years=None, level=6)`.",
    ),
    "intra_industry": (
        GL_FIELDS,
        ("a", "b", "year"),
        "`Dataset.intra_industry(a, b, years=None, level=6)`.",
    ),
    "intra_industry_products": (
        GL_PRODUCT_FIELDS,
        ("a", "b", "year", "hs_code"),
        "`Dataset.intra_industry(..., by_product=True)`.",
    ),
    "price_volume": (
        PRICE_VOLUME_FIELDS,
        ("reporter", "partner", "flow", "year"),
        "`Dataset.price_volume(reporter, partner, flow, years=None, codes=None)`.",
    ),
    "potential": (
        POTENTIAL_FIELDS,
        ("country", "year", "hs_code"),
        "`Dataset.potential(country, areas=None, years=None, level=6, n=20)`: simple "
        "market-share method after ITC's Export Potential idea (limits: docs/measures.md).",
    ),
    "complexity": (
        COMPLEXITY_FIELDS,
        ("country", "year"),
        "`Dataset.complexity(country, years=None, level=4)`: PCI and ECI from `ecomplexity`.",
    ),
}
ANALYSIS_FRAMES.update(MEASURE_FRAMES)

TABLES = {
    "flows": (
        FLOWS_FIELDS,
        FLOWS_KEY,
        "One row per source, frequency, period, reporter, partner, flow, HS revision and HS code.",
    ),
    "mirror": (
        MIRROR_FIELDS,
        MIRROR_KEY,
        "China's and each Central Asian partner's reports of the same trade, side by "
        "side, in both directions.",
    ),
    "focus": (
        FOCUS_FIELDS,
        FOCUS_KEY,
        "Flow rows at the fetched leaf level, one row per focus area they belong to.",
    ),
    "focus_coverage": (
        COVERAGE_FIELDS,
        COVERAGE_KEY,
        "Coverage report of the tagging: each focus area's share of leaf-row "
        "trade value (attributable full part and partial remainder), and the "
        "untagged share, per source, frequency, year, flow and HS level.",
    ),
    "world": (
        WORLD_FIELDS,
        WORLD_KEY,
        "Every reporter's exports and imports with the World by product (issue 19), one "
        "hive-partitioned dataset: world/level=<L>/year=<y>/part-0.parquet, read with "
        '`Dataset.world()` or `ds.sql("... from world")`.',
    ),
}


# Each schema dtype's Arrow type, for files written without pandas (the world layer, empty
# tables): a test checks it against what pandas writes for the same dtype.
ARROW_TYPES = {
    "str": "string",
    "float64": "float64",
    "bool": "bool_",
    "int64": "int64",
    "int16": "int16",
    "int8": "int8",
    "Int8": "int8",
}


def arrow_schema(fields: tuple[Field, ...], without: tuple[str, ...] = ()):  # noqa: ANN201
    """The Arrow schema of `fields` (less `without`, e.g. partition columns) as a
    pyarrow.Schema, made without pandas."""
    import pyarrow as pa

    kept = [f for f in fields if f.name not in without]
    return pa.schema([pa.field(f.name, getattr(pa, ARROW_TYPES[f.dtype])()) for f in kept])


def empty_frame(fields: tuple[Field, ...]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({f.name: pd.Series(dtype=f.dtype) for f in fields})


def conform(df: pd.DataFrame, fields: tuple[Field, ...], compact: bool = False) -> pd.DataFrame:
    """Columns in schema order with schema dtypes (missing nullable columns added).
    `compact`: text columns as categoricals instead (see pandera_schema)."""
    import pandas as pd

    out = {}
    for f in fields:
        text = compact and f.dtype == "str"
        if f.name not in df:
            out[f.name] = pd.Series(index=df.index, dtype="category" if text else f.dtype)
        elif text and not isinstance(df[f.name].dtype, pd.CategoricalDtype):
            out[f.name] = df[f.name].astype("str").astype("category")
        else:
            out[f.name] = df[f.name] if text else df[f.name].astype(f.dtype)
    return pd.DataFrame(out, index=df.index)


def text_categorical(values: object, at: np.ndarray) -> pd.Categorical:
    """values[at] as a categorical of the distinct texts of `values`, sorted (missing where
    a position is below 0, or the value is missing): what a compact frame holds in a text
    column, each text stored once however many rows take it."""
    import numpy as np
    import pandas as pd

    ids, texts = pd.factorize(pd.Series(values, dtype="str"), sort=True)
    at = np.asarray(at)
    codes = np.where(at >= 0, ids[np.maximum(at, 0)], -1) if len(ids) else np.full(len(at), -1)
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype="str"))


def pandera_schema(table: str, compact: bool = False):
    """The pandera schema of a table (imported here: the build only needs it after its
    memory peak, and the CLI's other commands never). `compact`: text columns are
    categoricals (the build's in-memory flows table), every other check unchanged."""
    import pandera.pandas as pa

    fields, key, _ = TABLES[table]
    columns = {}
    for f in fields:
        checks = []
        if f.allowed is not None:
            checks.append(pa.Check.isin(list(f.allowed)))
        if f.non_negative:
            checks.append(pa.Check.ge(0))
        dtype = f.dtype
        if compact and f.dtype == "str":
            # checked here, not as pandera's "category" dtype: that copies every category
            # into a Python tuple (the flows table has tens of thousands)
            dtype = None
            checks.insert(0, pa.Check(_categorical_text, name="categorical of str"))
        columns[f.name] = pa.Column(dtype, checks=checks, nullable=f.nullable)
    # Key uniqueness as a frame-level check: pandera's `unique=` fails to report duplicates
    # under pandas 3 when key columns hold nulls.
    checks = [
        pa.Check(
            lambda df, key=list(key): ~duplicated_keys(df, key),
            name=f"unique key ({', '.join(key)})",
        )
    ]
    if "hs_code" in columns and "hs_level" in columns:
        checks.append(
            pa.Check(
                _hs_code_matches_level,
                name="hs_code consistent with hs_level",
                error="hs_code must be TOTAL at level 0, else level digits",
            )
        )
    return pa.DataFrameSchema(columns, checks=checks, strict=True, name=table)


def _categorical_text(column: pd.Series) -> bool:
    import pandas as pd

    dtype = column.dtype
    if not isinstance(dtype, pd.CategoricalDtype):
        return False
    return dtype.categories.dtype == "str" or len(dtype.categories) == 0  # (all missing)


def duplicated_keys(df: pd.DataFrame, key: list[str]) -> pd.Series:
    """Rows whose key occurs more than once (pandas factorizes each key column, so this
    costs a few integer arrays, not a copy of the table)."""
    return df.duplicated(key, keep=False)


def _hs_code_matches_level(df: pd.DataFrame) -> pd.Series:
    import pandas as pd

    if isinstance(df["hs_code"].dtype, pd.CategoricalDtype):  # each distinct code once
        df = df[["hs_code", "hs_level"]].drop_duplicates()
    code = df["hs_code"].astype(str)
    level = df["hs_level"].astype(int)
    total = (code == "TOTAL") & (level == 0)
    digits = code.str.fullmatch(r"\d+") & (code.str.len() == level)
    return total | digits


def data_dictionary() -> str:
    """Markdown data dictionary of every processed table, generated from the fields above."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `src/tradeviz/schema.py` by `tradeviz dictionary`; do not edit by "
        "hand. Files live in `$TRADEVIZ_DATA_DIR/processed/`.",
        "",
    ]
    from tradeviz.store.processed import PARTITIONS

    by = {**PARTITIONS, "world": WORLD_PARTITIONS}
    for table, (fields, key, summary) in TABLES.items():
        parts = "/".join(f"{k}=…" for k in by.get(table, ()))
        lines += _field_table(
            f"`{table}/{parts}/` (hive-partitioned)" if parts else f"`{table}.parquet`",
            summary,
            f"Key (unique): {', '.join(f'`{k}`' for k in key)}.",
            fields,
        )
    lines += _analysis_frames()
    return "\n".join(lines)


def _analysis_frames() -> list[str]:
    """Sections for frames the analysis returns (not files), e.g. Dataset.partners()."""
    lines = [
        "# Analysis frames",
        "",
        "Returned by `tradeviz.open()` methods, not written to disk.",
        "",
    ]
    for name, (fields, key, summary) in ANALYSIS_FRAMES.items():
        lines += _field_table(
            f"`{name}`", summary, f"One row per {', '.join(f'`{k}`' for k in key)}.", fields
        )
    return lines


def _field_table(title: str, summary: str, key_line: str, fields) -> list[str]:
    """One dictionary section: heading, summary, key, and a row per field."""
    lines = [
        f"## {title}",
        "",
        summary,
        "",
        key_line,
        "",
        "| column | type | unit | nullable | description | origin |",
        "|---|---|---|---|---|---|",
    ]
    for f in fields:
        desc = f.description
        if f.allowed is not None:
            desc += " Allowed: " + ", ".join(f"`{a}`" for a in f.allowed) + "."
        lines.append(
            f"| `{f.name}` | {f.dtype} | {f.unit} | {'yes' if f.nullable else 'no'}"
            f" | {desc} | {f.origin} |"
        )
    lines.append("")
    return lines
