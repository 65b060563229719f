"""World Bank WITS "Partner-Timeseries" downloads (CSV with BOM, or XLSX): raw bytes to rows.

The files hold a reporter's imports from every partner, all products, in US$ thousand.
Partner names are mapped to ISO3 with country_converter, after WITS_NAMES (names it maps
wrongly or not at all: US Minor Outlying Islands, and obsolete entities that keep codes of
their own). The mapping must be injective within a file: two names that land on one code
would overwrite each other's values, so the import stops naming both. Names that are not
countries ("Unspecified", "Other Asia, nes") are listed by the import and the build, never
dropped silently. Every value must be a finite, non-negative number, each partner and year
must come once, and an XLSX formula cell must carry its computed value; otherwise the
import (and a build reading a snapshot stored before these checks) stops naming the file and
row, as a number silently lost, doubled or infinite would be wrong in every table built.
No HTTP here: the build imports this module.
"""

from __future__ import annotations

import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from tradeviz.errors import SnapshotError, TradevizError
from tradeviz.store.raw import Snapshot
from tradeviz.vocab.countries import to_iso3

ID_COLUMNS = ["Reporter Name", "Partner Name", "Trade Flow", "Product Group", "Indicator"]
# Lower-case WITS name -> code. Obsolete entities keep WITS's own code (not a current ISO3),
# so they never merge into their successor's row.
WITS_NAMES = {
    "world": "WLD",
    "united states minor outlying i": "UMI",
    "us msc.pac.i": "PUS",  # US Miscellaneous Pacific Islands (WITS code, obsolete)
    "fm sudan": "SUD",  # Sudan before South Sudan's secession in 2011 (WITS code)
    "belgium-luxembourg": "BLX",  # Belgium-Luxembourg Economic Union, until 1998
    "netherlands antilles": "ANT",  # dissolved 2010 (ISO 3166-3)
    "serbia, fr(serbia/montenegro)": "SCG",  # Serbia and Montenegro, until 2006 (ISO 3166-3)
    "occ.pal.terr": "PSE",
}
MAX_UNPACKED = 64 << 20  # a WITS workbook unpacks to a few MB; refuse zip bombs before parsing
DATA_SHEET = "Partner-Timeseries"  # the sheet read (else the first one)
FIX_VALUE = (
    "Fix: correct the file (or download it again from WITS) and run `tradeviz import wits` on it"
)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def name_to_iso3(name: str) -> str | None:
    special = WITS_NAMES.get(name.strip().lower())
    return special or to_iso3(name)


def check_unpacked_size(data: bytes, name: str, limit: int | None = None) -> None:
    """An XLSX is a ZIP: sum the declared sizes of its members before anything unpacks it."""
    limit = limit or MAX_UNPACKED
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise SnapshotError(
            f"{name} is not a readable XLSX file (not a ZIP archive). Fix: "
            "download it again from WITS"
        ) from None
    if total > limit:
        raise SnapshotError(
            f"{name} unpacks to {total / 1e6:,.0f} MB (limit "
            f"{limit / 1e6:,.0f} MB): not a WITS download; refused before "
            "parsing"
        )


def _data_sheet_part(zf: zipfile.ZipFile) -> tuple[str, str] | None:
    """(sheet name, ZIP member) of the sheet read_table reads: Partner-Timeseries, else the
    first sheet (the workbook's sheet list and its relationships say which member)."""
    sheets = ET.fromstring(zf.read("xl/workbook.xml")).iter(f"{_MAIN}sheet")
    ordered = [(s.get("name", ""), s.get(f"{_REL}id", "")) for s in sheets]
    if not ordered:
        return None
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels")).iter(f"{_PKG_REL}Relationship")
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    sheet, rid = next((s for s in ordered if s[0] == DATA_SHEET), ordered[0])
    target = targets.get(rid, "")
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return sheet, posixpath.normpath(part)


def check_formula_values(data: bytes, name: str) -> None:
    """A formula cell saved without its computed value (a workbook written by a program
    that does not calculate) reads as empty, so its number would vanish: stop, naming the
    cell. Formula cells that carry their value are read as that value."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            found = _data_sheet_part(zf)
            if found is None or found[1] not in zf.namelist():
                return  # pandas reports a workbook without sheets
            sheet, part = found
            with zf.open(part) as fh:
                for _, cell in ET.iterparse(fh):
                    if cell.tag != f"{_MAIN}c":
                        continue
                    value = cell.find(f"{_MAIN}v")
                    if cell.find(f"{_MAIN}f") is not None and not (
                        value is not None and (value.text or "").strip()
                    ):
                        raise SnapshotError(
                            f"{name}: cell {cell.get('r', '?')} of sheet {sheet!r} holds a "
                            "formula saved without its value, so its number would be lost. "
                            "Fix: open the file in a spreadsheet program, let it calculate, "
                            "save it, and import it again"
                        )
                    cell.clear()
    except (KeyError, ET.ParseError, zipfile.BadZipFile) as exc:
        raise SnapshotError(
            f"{name} is not a readable XLSX workbook ({type(exc).__name__}: "
            f"{str(exc)[:120]}). Fix: download it again from WITS"
        ) from None


def read_table(data: bytes, ext: str, name: str) -> pd.DataFrame:
    """The Partner-Timeseries sheet as strings (values kept exact for Decimal conversion)."""
    if not data.strip():
        raise SnapshotError(
            f"{name} is empty. Fix: download it again from WITS (Partner-Timeseries, CSV or XLSX)"
        )
    try:
        if ext == "csv":
            frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
        elif ext == "xlsx":
            check_unpacked_size(data, name)
            check_formula_values(data, name)
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str)
            frame = sheets.get(DATA_SHEET)
            if frame is None:
                frame = next(iter(sheets.values()))
        else:
            raise TradevizError(f"{name}: WITS import reads .csv or .xlsx files, not .{ext}")
    except (ValueError, UnicodeDecodeError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise SnapshotError(
            f"{name} is not a readable WITS download ({' '.join(str(exc).split())[:200]}). "
            "Fix: download "
            "it again from WITS (Partner-Timeseries, CSV or XLSX)"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ID_COLUMNS if c not in frame.columns]
    if missing:
        raise SnapshotError(
            f"{name} lacks the WITS Partner-Timeseries columns {missing}; found "
            f"{list(frame.columns)[:8]}. Fix: export the Partner-Timeseries "
            "table from WITS"
        )
    if frame.empty:
        raise SnapshotError(
            f"{name} has the WITS header but no data rows. Fix: download it "
            "again from WITS with at least one year selected"
        )
    return frame


def check_injective(iso: dict[str, str | None], name: str) -> None:
    """Two source names on one code would overwrite each other: stop, naming both."""
    by_code: dict[str, list[str]] = {}
    for source_name, code in iso.items():
        if code is not None:
            by_code.setdefault(code, []).append(source_name)
    clashes = {code: names for code, names in by_code.items() if len(names) > 1}
    if clashes:
        text = "; ".join(
            f"{' and '.join(repr(n) for n in sorted(names))} -> {code}"
            for code, names in sorted(clashes.items())
        )
        raise SnapshotError(
            f"{name}: different names map to one country code ({text}), so "
            "their values would overwrite each other. Fix: add the right code "
            "for the extra name to WITS_NAMES in tradeviz/transform/wits.py"
        )


def parse_frame(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Wide WITS table to long rows (reporter, partner, year, value_usd)."""
    years = [c for c in frame.columns if re.fullmatch(r"\d{4}", c)]
    flows = set(frame["Trade Flow"].dropna().str.strip().str.lower())
    if flows - {"import", "export"}:
        raise SnapshotError(f"{name}: unexpected Trade Flow values {sorted(flows)}")
    units = set(frame["Indicator"].dropna())
    if any("thousand" not in u.lower() for u in units):
        raise SnapshotError(f"{name}: expected values in US$ Thousand, found {sorted(units)}")
    long = frame.melt(
        id_vars=ID_COLUMNS,
        value_vars=years,
        var_name="year",
        value_name="value",
        ignore_index=False,  # the frame's row number, for errors naming the row
    ).dropna(subset=["value"])
    long = long[long["value"].str.strip() != ""]
    if long.empty:
        raise SnapshotError(
            f"{name} holds no values (no year column with a number). Fix: "
            "download it again from WITS with at least one year selected"
        )
    names = sorted(set(long["Partner Name"]) | set(long["Reporter Name"]))
    iso = {n: name_to_iso3(n) for n in names}
    check_injective({n: iso[n] for n in set(long["Partner Name"])}, name)
    unmapped = sorted(n for n, v in iso.items() if v is None)
    for reporter in set(long["Reporter Name"]):
        if iso[reporter] is None:
            raise SnapshotError(f"{name}: reporter {reporter!r} is not a known country name")
    long = long[long["Partner Name"].map(iso).notna()]
    rows = pd.DataFrame(
        {
            "reporter": long["Reporter Name"].map(iso).astype(str).values,
            "partner": long["Partner Name"].map(iso).astype(str).values,
            "flow": long["Trade Flow"].str.strip().str.lower().values,
            "year": long["year"].astype(int).values,
            "value_usd": usd_values(long, name),
        }
    )
    check_unique(rows, long, name)
    return rows, unmapped


def _row(long: pd.DataFrame, at: int) -> str:
    """Row (as a spreadsheet numbers it: the header is row 1), partner and year of long[at]."""
    row = long.iloc[at]
    return f"row {int(long.index[at]) + 2} ({row['Partner Name']!r}, {row['year']})"


def usd_values(long: pd.DataFrame, name: str) -> np.ndarray:
    """The values in US$ (the file gives thousands), exact through Decimal; a value that is
    not a number, not finite (Infinity, NaN, 1e400, which overflows) or negative stops the
    import, naming the file and row."""
    texts = [str(v).strip() for v in long["value"]]
    usd = np.empty(len(texts))
    for at, text in enumerate(texts):
        try:
            usd[at] = float(Decimal(text) * 1000)
        except (InvalidOperation, OverflowError):
            raise SnapshotError(
                f"{name}, {_row(long, at)}: {text[:40]!r} is not a number. {FIX_VALUE}"
            ) from None
    bad = np.flatnonzero(~np.isfinite(usd) | (usd < 0))
    if len(bad):
        at = int(bad[0])
        what = "is not a finite number" if not np.isfinite(usd[at]) else "is negative"
        raise SnapshotError(
            f"{name}, {_row(long, at)}: {texts[at][:40]!r} {what}; a trade value is a "
            f"finite amount of at least 0 US$ thousand. {FIX_VALUE}"
        )
    return usd + 0.0  # "-0" is 0


def check_unique(rows: pd.DataFrame, long: pd.DataFrame, name: str) -> None:
    """Two rows for one reporter, partner, flow and year (a repeated partner, or two product
    groups in one file) would leave one value in flows, silently: stop, naming both rows."""
    dup = rows.duplicated(["reporter", "partner", "flow", "year"], keep=False).to_numpy()
    if not dup.any():
        return
    first = rows[dup].iloc[0]
    same = np.flatnonzero(
        dup
        & (rows["partner"] == first["partner"]).to_numpy()
        & (rows["flow"] == first["flow"]).to_numpy()
        & (rows["year"] == first["year"]).to_numpy()
        & (rows["reporter"] == first["reporter"]).to_numpy()
    )
    where = " and ".join(_row(long, int(at)) for at in same[:3])
    raise SnapshotError(
        f"{name}: {where} are the same reporter, partner, flow and year ({first['reporter']}, "
        f"{first['partner']}, {first['flow']}, {first['year']}); one value would silently "
        "replace the other. Fix: keep one row per partner (one Product Group per file) and import "
        "the file again"
    )


def parse_wits(body: bytes, snap: Snapshot, path: str) -> pd.DataFrame:
    """A stored snapshot's rows, checked as at import (it may predate a check): an error
    names the snapshot and the download it was imported from."""
    params = snap.record.get("params")
    source = params.get("file") if isinstance(params, dict) else None
    name = f"{path} (imported from {source})" if source else path
    frame = read_table(body, snap.record.get("format", path.rsplit(".", 1)[-1]), name)
    rows, _ = parse_frame(frame, name)
    n = len(rows)
    return pd.DataFrame(
        {
            "source": "wits",
            "freq": "A",
            "year": rows["year"].astype("int16"),
            "month": pd.array([pd.NA] * n, dtype="Int8"),
            "quarter": pd.array([pd.NA] * n, dtype="Int8"),
            "reporter": rows["reporter"],
            "partner": rows["partner"],
            "flow": rows["flow"],
            "hs_rev": pd.Series([None] * n, dtype="str"),
            "hs_code": "TOTAL",
            "hs_level": pd.Series([0] * n, dtype="int8"),
            "value_usd": rows["value_usd"],
            "cif_usd": rows["value_usd"].where(rows["flow"] == "import"),
            "fob_usd": rows["value_usd"].where(rows["flow"] == "export"),
            "is_estimated": False,
            "synthetic": bool(snap.record.get("synthetic", False)),
            "snapshot": snap.sha256,
        }
    )
