"""`tradeviz import wits`: World Bank WITS Partner-Timeseries downloads into the raw layer.

The file's exact bytes are stored as a snapshot after they parse (see transform/wits.py for
the format and the country mapping); the build parses them again from the raw layer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tradeviz.errors import TradevizError
from tradeviz.store.durable import os_errors
from tradeviz.store.raw import RawStore, Snapshot, query_key
from tradeviz.transform.wits import parse_frame, read_table

log = logging.getLogger(__name__)

SOURCE = "wits"
MAX_FILE_BYTES = 200 << 20


def read_download(path: Path) -> bytes:
    """The file's bytes, with one-line errors for a missing file, a directory or a huge file."""
    if not path.exists():
        raise TradevizError(
            f"{path}: no such file. Fix: give the path of a WITS "
            "Partner-Timeseries download (.csv or .xlsx)"
        )
    if path.is_dir():
        raise TradevizError(
            f"{path} is a directory. Fix: give the downloaded file itself, "
            f"e.g. {path}/Kazakhstan-WITS-Partner-Timeseries.csv"
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TradevizError(
            f"{path} is {path.stat().st_size / 1e6:,.0f} MB: not a WITS Partner-Timeseries download"
        )
    with os_errors(path, "read"):
        return path.read_bytes()


def import_files(store: RawStore, paths: list[Path]) -> list[tuple[Snapshot, list[str]]]:
    """Check every file, then copy each download's exact bytes into raw/wits with a
    manifest line (nothing is stored when one of the files is bad)."""
    parsed = []
    for path in map(Path, paths):
        data = read_download(path)
        ext = path.suffix.lower().lstrip(".")
        frame = read_table(data, ext, str(path))
        rows, unmapped = parse_frame(frame, str(path))
        parsed.append((path, data, ext, rows, unmapped))
    out = []
    for path, data, ext, rows, unmapped in parsed:
        reporters = sorted(set(rows["reporter"]))
        meta = {
            "endpoint": "wits.worldbank.org Partner-Timeseries download",
            "params": {"file": path.name, "reporters": reporters},
            "query_key": query_key(SOURCE, {"file": path.name, "ext": ext}),
            "records": len(rows),
            "complete": True,
            "http_status": None,
            "format": ext,
            "unmapped_partners": unmapped,
            "synthetic": False,
        }
        out.append((store.save(SOURCE, data, ext, meta), unmapped))
    return out
