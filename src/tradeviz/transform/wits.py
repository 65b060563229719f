"""World Bank WITS "Partner-Timeseries" downloads (CSV with BOM, or XLSX) into the raw layer.

The files hold a reporter's imports from every partner, all products, in US$ thousand.
Partner names are mapped to ISO3 with country_converter; names it cannot map (regions,
"Unspecified", "Other Asia, nes") are listed by the import and the build, never dropped
silently.
"""

from __future__ import annotations

import io
import logging
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from tradeviz.errors import SnapshotError, TradevizError
from tradeviz.store.raw import RawStore, Snapshot, query_key
from tradeviz.vocab.countries import to_iso3

log = logging.getLogger(__name__)

SOURCE = "wits"
ID_COLUMNS = ["Reporter Name", "Partner Name", "Trade Flow", "Product Group", "Indicator"]
SPECIAL_NAMES = {"world": "WLD"}


def read_table(data: bytes, ext: str, name: str) -> pd.DataFrame:
    """The Partner-Timeseries sheet as strings (values kept exact for Decimal conversion)."""
    try:
        if ext == "csv":
            frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
        elif ext == "xlsx":
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str)
            frame = sheets.get("Partner-Timeseries")
            if frame is None:
                frame = next(iter(sheets.values()))
        else:
            raise TradevizError(f"{name}: WITS import reads .csv or .xlsx files, not .{ext}")
    except (ValueError, UnicodeDecodeError, KeyError, OSError) as exc:
        raise SnapshotError(f"{name} is not a readable WITS download ({exc}). Fix: download "
                            "it again from WITS (Partner-Timeseries, CSV or XLSX)") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ID_COLUMNS if c not in frame.columns]
    if missing:
        raise SnapshotError(f"{name} lacks the WITS Partner-Timeseries columns {missing}; found "
                            f"{list(frame.columns)[:8]}. Fix: export the Partner-Timeseries "
                            "table from WITS")
    return frame


def name_to_iso3(name: str) -> str | None:
    special = SPECIAL_NAMES.get(name.strip().lower())
    return special or to_iso3(name)


def import_files(store: RawStore, paths: list[Path]) -> list[tuple[Snapshot, list[str]]]:
    """Copy each download's exact bytes into raw/wits with a manifest line."""
    out = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        data = path.read_bytes()
        ext = path.suffix.lower().lstrip(".")
        frame = read_table(data, ext, str(path))
        rows, unmapped = parse_frame(frame, str(path))
        reporters = sorted(set(rows["reporter"]))
        meta = {"endpoint": "wits.worldbank.org Partner-Timeseries download",
                "params": {"file": path.name, "reporters": reporters},
                "query_key": query_key(SOURCE, {"file": path.name, "ext": ext}),
                "records": len(rows), "complete": True, "http_status": None,
                "format": ext, "unmapped_partners": unmapped, "synthetic": False}
        out.append((store.save(SOURCE, data, ext, meta), unmapped))
    return out


def parse_frame(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Wide WITS table to long rows (reporter, partner, year, value_usd)."""
    years = [c for c in frame.columns if re.fullmatch(r"\d{4}", c)]
    flows = set(frame["Trade Flow"].dropna().str.strip().str.lower())
    if flows - {"import", "export"}:
        raise SnapshotError(f"{name}: unexpected Trade Flow values {sorted(flows)}")
    units = set(frame["Indicator"].dropna())
    if any("thousand" not in u.lower() for u in units):
        raise SnapshotError(f"{name}: expected values in US$ Thousand, found {sorted(units)}")
    long = frame.melt(id_vars=ID_COLUMNS, value_vars=years, var_name="year",
                      value_name="value").dropna(subset=["value"])
    long = long[long["value"].str.strip() != ""]
    names = sorted(set(long["Partner Name"]) | set(long["Reporter Name"]))
    iso = {n: name_to_iso3(n) for n in names}
    unmapped = sorted(n for n, v in iso.items() if v is None)
    for reporter in set(long["Reporter Name"]):
        if iso[reporter] is None:
            raise SnapshotError(f"{name}: reporter {reporter!r} is not a known country name")
    long = long[long["Partner Name"].map(iso).notna()]
    try:
        usd = [float(Decimal(v.strip()) * 1000) for v in long["value"]]
    except InvalidOperation as exc:
        raise SnapshotError(f"{name}: a value is not a number ({exc})") from None
    rows = pd.DataFrame({
        "reporter": long["Reporter Name"].map(iso).astype(str).values,
        "partner": long["Partner Name"].map(iso).astype(str).values,
        "flow": long["Trade Flow"].str.strip().str.lower().values,
        "year": long["year"].astype(int).values,
        "value_usd": usd,
    })
    return rows, unmapped


def parse_wits(body: bytes, snap: Snapshot, path: str) -> pd.DataFrame:
    frame = read_table(body, snap.record.get("format", path.rsplit(".", 1)[-1]), path)
    rows, _ = parse_frame(frame, path)
    n = len(rows)
    return pd.DataFrame({
        "source": "wits", "freq": "A", "year": rows["year"].astype("int16"),
        "month": pd.array([pd.NA] * n, dtype="Int8"),
        "quarter": pd.array([pd.NA] * n, dtype="Int8"),
        "reporter": rows["reporter"], "partner": rows["partner"], "flow": rows["flow"],
        "hs_rev": pd.Series([None] * n, dtype="str"), "hs_code": "TOTAL",
        "hs_level": pd.Series([0] * n, dtype="int8"), "value_usd": rows["value_usd"],
        "cif_usd": rows["value_usd"].where(rows["flow"] == "import"),
        "fob_usd": rows["value_usd"].where(rows["flow"] == "export"),
        "is_estimated": False, "synthetic": bool(snap.record.get("synthetic", False)),
        "snapshot": snap.sha256,
    })
