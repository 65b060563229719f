"""Every processed table's columns, described once; schemas and the data dictionary are
generated from here (as PUDL does with its field metadata)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tradeviz.vocab.areas import AREA_KEYS
from tradeviz.vocab.flows import FLOWS, SOURCE_KEYS
from tradeviz.vocab.revisions import HS_REVISIONS


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
    Field("source", "str", "Data source the row was built from.", "",
          "manifest `source`", allowed=SOURCE_KEYS),
    Field("freq", "str", "Frequency: A annual, Q quarterly, M monthly.", "",
          "Comtrade `freqCode`; IMF `FREQUENCY`; WITS always A", allowed=("A", "Q", "M")),
    Field("year", "int16", "Reference year.", "year", "Comtrade `refYear`; IMF/WITS period"),
    Field("month", "Int8", "Reference month 1-12; null for annual data (Comtrade refMonth 52) "
          "and for quarterly data.", "month", "Comtrade `refMonth`", nullable=True),
    Field("quarter", "Int8", "Reference quarter 1-4 for quarterly data, else null.", "quarter",
          "IMF `TIME_PERIOD`", nullable=True),
    Field("reporter", "str", "Reporting country, ISO3.", "",
          "Comtrade `reporterCode` via the Comtrade reference list; WITS `Reporter Name` via "
          "country_converter; IMF `COUNTRY`"),
    Field("partner", "str", "Partner country, ISO3; World is WLD. Never summed with country "
          "rows.", "", "Comtrade `partnerCode` (0 = WLD); WITS `Partner Name`; IMF "
          "`COUNTERPART_COUNTRY` (G001 = WLD)"),
    Field("flow", "str", "Trade flow as the reporter declares it.", "",
          "Comtrade `flowCode` M/X/RM/RX; IMF indicator MG*/XG*; WITS Trade Flow",
          allowed=FLOWS),
    Field("hs_rev", "str", "HS revision the reporter used (H0 = HS1992 ... H6 = HS2022); "
          "null for sources without HS detail.", "", "Comtrade `classificationCode`",
          nullable=True, allowed=HS_REVISIONS),
    Field("hs_code", "str", "HS code as a string with leading zeros: TOTAL, or 2, 4 or 6 "
          "digits.", "", "Comtrade `cmdCode`; TOTAL for IMF and WITS"),
    Field("hs_level", "int8", "Digits of hs_code: 0 for TOTAL, else 2, 4 or 6.", "digits",
          "Comtrade `aggrLevel`", allowed=(0, 2, 4, 6)),
    Field("hs_description", "str", "What the code is: the UN Comtrade description of hs_code "
          "in the row's own revision (hs_rev), without the code prefix; for a code missing "
          "from that revision's list, the API's cmdDesc when the row has it. Charts and "
          "tables label products with `tradeviz.vocab.hs.short_label` (code + trimmed "
          "description).", "", "package HS reference (Comtrade H0-H6 lists); Comtrade "
          "`cmdDesc`", nullable=True),
    Field("hs6_h6", "str", "For HS6 rows: the HS2022 code the row's code converts to, so a "
          "product keeps one code over a long series. Null for other levels and for codes "
          "the reference does not know.", "", "UNSD correlation and conversion tables "
          "(package HS reference)", nullable=True),
    Field("converted", "str", "How hs6_h6 was obtained: exact (same code, 1:1 or n:1: the "
          "whole code goes to one HS2022 code) or approx (the code was split, 1:n or n:n; "
          "assigned to the first HS2022 code of UNSD's conversion table, or the smallest "
          "linked code). Null where hs6_h6 is null.", "", "derived", nullable=True,
          allowed=("exact", "approx")),
    Field("value_usd", "float64", "Trade value: CIF for imports, FOB for exports (as the "
          "reporter values them).", "USD", "Comtrade `primaryValue`; WITS US$ thousand x 1000; "
          "IMF `OBS_VALUE` (full dollars)", non_negative=True),
    Field("cif_usd", "float64", "CIF value where reported.", "USD", "Comtrade `cifvalue`; IMF "
          "MG_CIF_USD", nullable=True, non_negative=True),
    Field("fob_usd", "float64", "FOB value where reported.", "USD", "Comtrade `fobvalue`; IMF "
          "XG_FOB_USD / MG_FOB_USD", nullable=True, non_negative=True),
    Field("net_weight_kg", "float64", "Net weight.", "kg", "Comtrade `netWgt`", nullable=True,
          non_negative=True),
    Field("qty", "float64", "Quantity in qty_unit.", "qty_unit", "Comtrade `qty`",
          nullable=True, non_negative=True),
    Field("qty_unit", "str", "Unit of qty (Comtrade abbreviation, e.g. kg, u).", "",
          "Comtrade `qtyUnitAbbr`", nullable=True),
    Field("is_estimated", "bool", "True when Comtrade marks the value as not reported by the "
          "country (isReported false). Always false for IMF and WITS rows: for IMF read "
          "`derivation`, whose codes the IMF defines.", "", "Comtrade `isReported`"),
    Field("derivation", "str", "IMF derivation attribute (how the value was obtained).", "",
          "IMF `DERIVATION_TYPE`", nullable=True),
    Field("overlap", "str", "IMF overlap attribute.", "", "IMF `OVERLAP`", nullable=True),
    Field("synthetic", "bool", "True when the row comes from synthetic data (demo, emulator, "
          "benchmark), never from a statistics office.", "", "manifest `synthetic`"),
    Field("snapshot", "str", "sha256 of the raw file the row was read from.", "",
          "manifest `sha256`"),
)
FLOWS_KEY = ("source", "freq", "year", "month", "quarter", "reporter", "partner", "flow",
             "hs_rev", "hs_code")
# A flow cell: everything in the key but the product, i.e. one reporter-partner-flow-period.
FLOW_CELL = FLOWS_KEY[:-2]

MIRROR_FIELDS: tuple[Field, ...] = (
    Field("direction", "str", "Which way the goods go: CHN->XXX (China exports) or XXX->CHN "
          "(China imports).", "", "derived"),
    Field("exporter", "str", "Exporting country, ISO3.", "", "flows.reporter / partner"),
    Field("importer", "str", "Importing country, ISO3.", "", "flows.reporter / partner"),
    Field("freq", "str", "Frequency (A or M).", "", "flows.freq", allowed=("A", "M")),
    Field("year", "int16", "Reference year.", "year", "flows.year"),
    Field("month", "Int8", "Reference month, null for annual.", "month", "flows.month",
          nullable=True),
    Field("hs_code", "str", "Product compared: the code at match_level when both sides use "
          "one revision; else the first code the exporter (or, if it reported none, the importer) "
          "reported in the correlation group (see group_id).", "",
          "flows.hs_code"),
    Field("group_id", "str", "When the two sides report in different HS revisions: the "
          "connected group of the UNSD correlation tables between them that the row compares "
          "(`<rev>:<code>` of its first member). Codes linked by any 1:n, n:1 or n:n relation "
          "share a group; a 1:1 code is a group alone. Null when both sides use one "
          "revision.", "", "package HS reference (UNSD correlation tables)", nullable=True),
    Field("exporter_codes", "str", "Codes the exporter reported in the row (comma-separated, "
          "exporter_rev).", "", "flows.hs_code", nullable=True),
    Field("importer_codes", "str", "Codes the importer reported in the row (comma-separated, "
          "importer_rev).", "", "flows.hs_code", nullable=True),
    Field("match_level", "int8", "HS digits at which the two sides were compared (6 or 4; 2 or "
          "0 when only those were fetched).", "digits", "derived", allowed=(0, 2, 4, 6)),
    Field("exporter_rev", "str", "HS revision of the exporter's report.", "", "flows.hs_rev",
          nullable=True),
    Field("importer_rev", "str", "HS revision of the importer's report.", "", "flows.hs_rev",
          nullable=True),
    Field("status", "str", "matched: both sides compared; exporter_only / importer_only: one "
          "side reported nothing for the product (or, across revisions, for the whole "
          "correlation group).", "", "derived",
          allowed=("matched", "exporter_only", "importer_only")),
    Field("exporter_fob_usd", "float64", "Exports as the exporter reports them (FOB).", "USD",
          "flows.value_usd of the exporter's export rows", nullable=True, non_negative=True),
    Field("importer_cif_usd", "float64", "Imports as the importer reports them, CIF: the "
          "reporter's CIF value where it gives one, else its primary value (see "
          "importer_basis).", "USD", "flows.cif_usd, else flows.value_usd, of the importer's "
          "import rows", nullable=True, non_negative=True),
    Field("importer_basis", "str", "cif: every importer row gave a CIF value; value_usd: none "
          "did, so the importer's primary value stands in (then the gap is not purely "
          "CIF/FOB); mixed: some did.", "", "derived", nullable=True,
          allowed=("cif", "value_usd", "mixed")),
    Field("gap_usd", "float64", "importer_cif_usd minus exporter_fob_usd (matched rows).",
          "USD", "derived", nullable=True),
    Field("ratio", "float64", "importer_cif_usd / exporter_fob_usd (matched rows, exporter "
          "value > 0).", "ratio", "derived", nullable=True),
    Field("synthetic", "bool", "True when either side is synthetic data.", "", "flows"),
)
MIRROR_KEY = ("direction", "freq", "year", "month", "hs_code", "match_level", "status",
              "group_id")

FOCUS_FIELDS: tuple[Field, ...] = (
    Field("area", "str", "Focus area (see `tradeviz tags list`).", "", "package tag rules"),
    Field("subarea", "str", "Sub-tag within the area (e.g. ICT category), or empty.", "",
          "package tag rules"),
    Field("match", "str", "full: the whole code is in the area (for an HS2/HS4 row: every "
          "HS6 code under it, in the row's revision, is full in the area); partial: only "
          "part of it is. Charts that attribute value to one area use full rows only and "
          "show partial value as a remainder.", "", "package tag rules and HS reference",
          allowed=("full", "partial")),
    Field("rule_id", "str", "Identifier of the rule that tagged the row.", "",
          "package tag rules"),
    *(f for f in FLOWS_FIELDS if f.name in (
        "source", "freq", "year", "month", "quarter", "reporter", "partner", "flow", "hs_rev",
        "hs_code", "hs_level", "hs_description", "value_usd", "synthetic", "snapshot")),
)
FOCUS_KEY = ("area", "source", "freq", "year", "month", "reporter", "partner", "flow", "hs_rev",
             "hs_code")

COVERAGE_FIELDS: tuple[Field, ...] = (
    *(f for f in FLOWS_FIELDS if f.name in ("source", "freq", "year", "flow", "hs_level")),
    Field("area", "str", "Focus area; `untagged` for leaf rows no rule covers; "
          "`partial_only` for leaf rows tagged in some area but fully in none (value no "
          "area can claim).", "", "package tag rules",
          allowed=(*AREA_KEYS, "untagged", "partial_only")),
    Field("value_usd", "float64", "Value of the leaf rows in the area, full and partial "
          "(areas overlap: a product in two areas counts in both).", "USD",
          "sum of focus.value_usd", non_negative=True),
    Field("full_usd", "float64", "Part of value_usd attributable to the area: rows whose "
          "match is full.", "USD", "sum of focus.value_usd where match = full",
          non_negative=True),
    Field("partial_usd", "float64", "Partial remainder: value_usd of rows only partly in the "
          "area.", "USD", "sum of focus.value_usd where match = partial", non_negative=True),
    Field("total_usd", "float64", "Value of all leaf rows of the source, freq, year, flow and "
          "HS level.", "USD", "sum of flows.value_usd over leaf rows", non_negative=True),
    Field("share", "float64", "value_usd / total_usd.", "ratio", "derived", nullable=True,
          non_negative=True),
    Field("full_share", "float64", "full_usd / total_usd: the share that could be "
          "attributed to the area.", "ratio", "derived", nullable=True, non_negative=True),
)
COVERAGE_KEY = ("source", "freq", "year", "flow", "hs_level", "area")

# -- analysis frames (not files): the columns of Dataset.partners() (issue 13) ----------
PARTNERS_FIELDS: tuple[Field, ...] = (
    Field("country", "str", "The Central Asian country whose partners these are, ISO3.", "",
          "argument"),
    Field("year", "int64", "Reference year (annual data).", "year", "flows.year"),
    Field("side", "str", "Side asked for: reported (the country's own reports), mirror (its "
          "partners' reports) or best (own reports in the years it reported, else mirror).",
          "", "argument", allowed=("reported", "mirror", "best")),
    Field("basis", "str", "Side the row's numbers come from.", "", "derived",
          allowed=("reported", "mirror")),
    Field("flow", "str", "The country's exports, imports, or total (exports + imports). On "
          "the mirror basis the partner's imports are the country's exports and the other way "
          "round.", "", "flows.flow", allowed=("export", "import", "total")),
    Field("partner", "str", "Partner country ISO3; a group key (EU, EAEU, CA5, CHN_CA5); "
          "`unallocated`; or WLD for the total.", "", "flows.partner / flows.reporter"),
    Field("partner_name", "str", "English name of the partner or group.", "",
          "vocab.countries, data/country_groups.yaml"),
    Field("kind", "str", "country; group (sum of the members' rows for the years they were "
          "members, never a reported aggregate row); unallocated (World minus the country "
          "rows, reported basis only: Areas nes and what no partner row accounts for); world "
          "(the World row, or on the mirror basis the sum over reporters).", "", "derived",
          allowed=("country", "group", "unallocated", "world")),
    Field("value_usd", "float64", "Trade value: the TOTAL row, else the sum of the coarsest HS "
          "level fetched. Mirror imports are the partner's exports (FOB), mirror exports the "
          "partner's imports (CIF).", "USD", "flows.value_usd"),
    Field("share", "float64", "value_usd over the world row of the same year, basis and flow; "
          "country rows plus unallocated sum to 1.", "ratio", "derived", nullable=True),
    Field("rank", "Int64", "1 = largest, among countries (kind country) or among groups (kind "
          "group); null for unallocated and world. Ties share a rank.", "", "derived",
          nullable=True),
    Field("n_partners", "int64", "Partner countries with rows in the year, basis and flow; "
          "below 10 the partners plan was not fetched and ranks mean little.", "count",
          "derived"),
    Field("is_estimate", "bool", "True for mirror rows (the country's trade estimated from "
          "its partners' reports, e.g. Turkmenistan) and for values Comtrade marks as "
          "estimated.", "", "basis, flows.is_estimated"),
    Field("synthetic", "bool", "True when the row comes from synthetic data.", "",
          "flows.synthetic"),
)
ANALYSIS_FRAMES = {
    "partners": (PARTNERS_FIELDS, ("country", "year", "basis", "flow", "partner"),
                 "`Dataset.partners(country, years=None, side=\"best\")` "
                 "(tradeviz.analysis.partners): value, share and rank of each partner and "
                 "group in a Central Asian country's exports, imports and total, from the "
                 "partners plan (`tradeviz fetch comtrade --plan partners`). Groups and their "
                 "membership periods: `src/tradeviz/data/country_groups.yaml` (EU28 to 2019, "
                 "EU27 from 2020; EAEU from 2015)."),
}

TABLES = {
    "flows": (FLOWS_FIELDS, FLOWS_KEY,
              "One row per source, frequency, period, reporter, partner, flow, HS revision "
              "and HS code."),
    "mirror": (MIRROR_FIELDS, MIRROR_KEY,
               "China's and each Central Asian partner's reports of the same trade, side by "
               "side, in both directions."),
    "focus": (FOCUS_FIELDS, FOCUS_KEY,
              "Flow rows at the fetched leaf level, one row per focus area they belong to."),
    "focus_coverage": (COVERAGE_FIELDS, COVERAGE_KEY,
                       "Coverage report of the tagging: each focus area's share of leaf-row "
                       "trade value (attributable full part and partial remainder), and the "
                       "untagged share, per source, frequency, year, flow and HS level."),
}


def empty_frame(fields: tuple[Field, ...]) -> pd.DataFrame:
    return pd.DataFrame({f.name: pd.Series(dtype=f.dtype) for f in fields})


def conform(df: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
    """Columns in schema order with schema dtypes (missing nullable columns added)."""
    out = {}
    for f in fields:
        if f.name in df:
            out[f.name] = df[f.name].astype(f.dtype)
        else:
            out[f.name] = pd.Series(index=df.index, dtype=f.dtype)
    return pd.DataFrame(out, index=df.index)


def pandera_schema(table: str):
    """The pandera schema of a table (imported here: the build only needs it after its
    memory peak, and the CLI's other commands never)."""
    import pandera.pandas as pa

    fields, key, _ = TABLES[table]
    columns = {}
    for f in fields:
        checks = []
        if f.allowed is not None:
            checks.append(pa.Check.isin(list(f.allowed)))
        if f.non_negative:
            checks.append(pa.Check.ge(0))
        columns[f.name] = pa.Column(f.dtype, checks=checks, nullable=f.nullable)
    # Key uniqueness as a frame-level check: pandera's `unique=` fails to report duplicates
    # under pandas 3 when key columns hold nulls.
    checks = [pa.Check(lambda df, key=list(key): ~duplicated_keys(df, key),
                       name=f"unique key ({', '.join(key)})")]
    if "hs_code" in columns and "hs_level" in columns:
        checks.append(pa.Check(_hs_code_matches_level, name="hs_code consistent with hs_level",
                               error="hs_code must be TOTAL at level 0, else level digits"))
    return pa.DataFrameSchema(columns, checks=checks, strict=True, name=table)


def duplicated_keys(df: pd.DataFrame, key: list[str]) -> pd.Series:
    """Rows whose key occurs more than once (pandas factorizes each key column, so this
    costs a few integer arrays, not a copy of the table)."""
    return df.duplicated(key, keep=False)


def _hs_code_matches_level(df: pd.DataFrame) -> pd.Series:
    code = df["hs_code"].astype(str)
    level = df["hs_level"].astype(int)
    total = (code == "TOTAL") & (level == 0)
    digits = code.str.fullmatch(r"\d+") & (code.str.len() == level)
    return total | digits


def data_dictionary() -> str:
    """Markdown data dictionary of every processed table, generated from the fields above."""
    lines = ["# Data dictionary", "",
             "Generated from `src/tradeviz/schema.py` by `tradeviz dictionary`; do not edit by "
             "hand. Files live in `$TRADEVIZ_DATA_DIR/processed/`.", ""]
    for table, (fields, key, summary) in TABLES.items():
        lines += [f"## `{table}.parquet`", "", summary, "",
                  f"Key (unique): {', '.join(f'`{k}`' for k in key)}.", "",
                  "| column | type | unit | nullable | description | origin |",
                  "|---|---|---|---|---|---|"]
        for f in fields:
            desc = f.description
            if f.allowed is not None:
                desc += " Allowed: " + ", ".join(f"`{a}`" for a in f.allowed) + "."
            lines.append(f"| `{f.name}` | {f.dtype} | {f.unit} | {'yes' if f.nullable else 'no'}"
                         f" | {desc} | {f.origin} |")
        lines.append("")
    lines += _analysis_frames()
    return "\n".join(lines)


def _analysis_frames() -> list[str]:
    """Sections for frames the analysis returns (not files), e.g. Dataset.partners()."""
    lines = ["# Analysis frames", "", "Returned by `tradeviz.open()` methods, not written to "
             "disk.", ""]
    for name, (fields, key, summary) in ANALYSIS_FRAMES.items():
        lines += [f"## `{name}`", "", summary, "",
                  f"One row per {', '.join(f'`{k}`' for k in key)}.", "",
                  "| column | type | unit | nullable | description | origin |",
                  "|---|---|---|---|---|---|"]
        for f in fields:
            desc = f.description
            if f.allowed is not None:
                desc += " Allowed: " + ", ".join(f"`{a}`" for a in f.allowed) + "."
            lines.append(f"| `{f.name}` | {f.dtype} | {f.unit} | {'yes' if f.nullable else 'no'}"
                         f" | {desc} | {f.origin} |")
        lines.append("")
    return lines
