"""Offline demo: a synthetic raw layer (exact Comtrade v1 format, calibrated to published
totals), then build, charts, notebooks and the HTML report. Everything it writes is
labelled synthetic.

The demo replaces the raw layer of its data directory whole, so it refuses a directory
that holds anything but its own synthetic snapshots (a real fetch is never overwritten)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tradeviz import config
from tradeviz.demo.data import write_demo_raw
from tradeviz.errors import DataDirError
from tradeviz.store.lock import lock
from tradeviz.transform.build import BuildReport, build

DEFAULT_DEMO_DIR = config.DEFAULT_DEMO_DIR


def demo_data_dir(explicit: Path | None = None) -> Path:
    """The demo's data directory: `explicit` (demo --data-dir), else the global --data-dir or
    $TRADEVIZ_DATA_DIR when set, else ./demo-data."""
    return Path(explicit) if explicit is not None else (config.data_dir_given() or DEFAULT_DEMO_DIR)


def check_demo_dir(data_dir: Path) -> None:
    """DataDirError unless `data_dir/raw` is absent, empty, or holds only synthetic
    snapshots (a previous demo or emulator run)."""
    from tradeviz.store.raw import RawStore

    raw = data_dir / "raw"
    if not raw.exists() or not any(raw.iterdir()):
        return
    fix = (
        "choose another directory with --data-dir (the demo's default is ./demo-data), "
        "or unset TRADEVIZ_DATA_DIR"
    )
    store = RawStore(raw)
    if not store.manifest_path.exists():
        raise DataDirError(
            f"{raw} holds files but no manifest.jsonl, so the demo cannot tell "
            f"they are synthetic and will not replace them; {fix}"
        )
    real = [s for s in store.snapshots() if s.record.get("synthetic") is not True]
    if real:
        raise DataDirError(
            f"{data_dir} holds {len(real)} non-synthetic raw snapshot(s) "
            f"(e.g. {real[0].path}); the demo replaces the raw layer whole "
            f"and will not overwrite real data; {fix}"
        )


def run_demo(
    data_dir: Path | None,
    out: Path,
    notebooks: bool = True,
    formats: tuple[str, ...] = ("png",),
    report: bool = True,
) -> tuple[BuildReport, list[Path]]:
    """Write the synthetic raw layer into `data_dir` (see demo_data_dir), build, export the
    charts to out/charts, with `notebooks` run the notebooks into out/notebooks, and with
    `report` write the HTML report to out/report."""
    data_dir = demo_data_dir(data_dir)
    if notebooks:
        from tradeviz.notebook_runner import DEMO_SKIP, require_notebook_extra

        require_notebook_extra(DEMO_SKIP)  # fail before any work, not at the end
    # Raw and processed are written under the data dir's writer lock, like fetch and build:
    # a concurrent fetch or build into the same directory fails at once naming the holder.
    # Charts, notebooks and the report only read, so they run after the lock is released.
    with lock(data_dir, "tradeviz demo"):
        check_demo_dir(data_dir)
        raw = data_dir / "raw"
        if raw.exists():
            shutil.rmtree(raw)  # the demo layer is regenerated whole, never mixed
        write_demo_raw(raw)
        build_report = build(data_dir)
    import tradeviz
    from tradeviz.charts.batch import export_all

    ds = tradeviz.open(data_dir)
    names = export_all(ds, out / "charts", formats, ds.provenance.get("raw_manifest_sha256"))
    written = [
        out / "charts" / f"{name}.{ext}" for name in names for ext in (*formats, "csv", "json")
    ]
    if notebooks:
        from tradeviz.notebook_runner import run_notebooks

        written += run_notebooks(out / "notebooks", data_dir)
    if report:
        from tradeviz.report import write_report

        written += write_report(ds, out / "report")
    return build_report, written
