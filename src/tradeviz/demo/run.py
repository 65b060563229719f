"""Offline demo: a synthetic raw layer (exact Comtrade v1 format, calibrated to published
totals), then build, charts and notebooks. Everything it writes is labelled synthetic."""

from __future__ import annotations

import shutil
from pathlib import Path

from tradeviz.demo.data import write_demo_raw
from tradeviz.transform.build import BuildReport, build


def run_demo(data_dir: Path, out: Path, notebooks: bool = True,
             formats: tuple[str, ...] = ("png",)) -> tuple[BuildReport, list[Path]]:
    from tradeviz.charts import Tables, all_charts, export

    raw = data_dir / "raw"
    if raw.exists():
        shutil.rmtree(raw)  # the demo layer is regenerated whole, never mixed
    write_demo_raw(raw)
    report = build(data_dir)
    tables = Tables.load(data_dir / "processed")
    written: list[Path] = []
    for chart in all_charts(tables):
        written += export(chart, out / "charts", formats)
    if notebooks:
        from tradeviz.notebook_runner import run_notebooks

        written += run_notebooks(out / "notebooks", data_dir)
    return report, written
