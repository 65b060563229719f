"""Chart files: the figure in each format, the CSV of exactly what it plots, and a JSON
sidecar (sources, snapshot hashes, filters applied, tool, synthetic flag). Every file is
written to a temporary name and renamed."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tradeviz import __version__
from tradeviz.charts.base import Chart, style
from tradeviz.store.durable import atomic_write_bytes

FORMATS = ("png", "svg", "pdf")


def export(
    chart: Chart, out: Path, formats: tuple[str, ...] = ("png",), raw_manifest: str | None = None
) -> list[Path]:
    """Write `chart` to `out` in each format, with its CSV and JSON sidecar."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown chart format {bad[0]!r}; use {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    if len(formats) > 1:
        freeze_layout(chart.fig)
    written = []
    for fmt in formats:
        buf = io.BytesIO()
        with style():
            chart.fig.savefig(buf, format=fmt, metadata=_metadata(chart, fmt))
        path = out / f"{chart.name}.{fmt}"
        atomic_write_bytes(path, buf.getvalue())
        written.append(path)
    csv = out / f"{chart.name}.csv"
    atomic_write_bytes(csv, chart.data.to_csv(index=False).encode("utf-8"))
    sidecar = {
        "chart": chart.name,
        "title": chart.title,
        "caption": chart.caption,
        "synthetic": chart.synthetic,
        "sources": list(chart.sources),
        "snapshots": chart.snapshots,
        "raw_manifest_sha256": raw_manifest,
        "filters": chart.filters,
        "filters_applied": chart.extra.get("filters_applied", {}),
        "tool": f"tradeviz {__version__}",
        "data_file": csv.name,
        "columns": list(chart.data.columns),
        "rows": len(chart.data),
        "formats": list(formats),
    }
    meta = out / f"{chart.name}.json"
    atomic_write_bytes(meta, json.dumps(sidecar, indent=2, default=str).encode("utf-8"))
    return [*written, csv, meta]


def freeze_layout(fig) -> None:
    """Lay the figure out once and keep that layout: with a layout engine attached, every
    savefig draws twice (a layout pass, then the real one), so several formats would
    repeat the layout pass each."""
    if fig.get_layout_engine() is None:
        return
    with style():
        fig.draw_without_rendering()
    fig.set_layout_engine(None)


def _metadata(chart: Chart, fmt: str) -> dict | None:
    """Title in the file's own metadata; PDF/SVG creation dates left out so files repeat."""
    if fmt == "png":
        return {"Title": chart.title, "Software": f"tradeviz {__version__}"}
    if fmt == "pdf":
        return {"Title": chart.title, "Creator": f"tradeviz {__version__}", "CreationDate": None}
    return {"Title": chart.title, "Date": None}
