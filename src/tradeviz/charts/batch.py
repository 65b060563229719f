"""Every chart of a Dataset written to a directory, on up to `jobs` processes: drawing is
CPU-bound and single-threaded in matplotlib, so two cores halve the wall time of
`tradeviz charts`. Each worker reads the same build generation and applies the same
filters, so the files are those a single process writes."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tradeviz.analysis.dataset import Dataset
from tradeviz.charts.export import export
from tradeviz.charts.registry import make, wanted
from tradeviz.errors import InputError
from tradeviz.store.durable import os_errors


def default_jobs() -> int:
    """Worker processes: $TRADEVIZ_JOBS, else the CPUs this process may use, at most 2."""
    env = os.environ.get("TRADEVIZ_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def prepare_out(out: Path, create: bool = True) -> Path:
    """Create the output directory (files in it are overwritten by name, nothing is removed);
    a file at `out` or on its way is one line naming it, not a traceback from a worker."""
    out = Path(out)
    for part in (out, *out.parents):
        if part.exists() and not part.is_dir():
            raise InputError(f"--out {out}: {part} is a file, not a directory; give a directory")
    if create:
        with os_errors(out, "create the directory"):
            out.mkdir(parents=True, exist_ok=True)
    return out


def export_all(
    ds: Dataset,
    out: Path,
    formats: tuple[str, ...] = ("png",),
    raw_manifest: str | None = None,
    areas: list[str] | None = None,
    jobs: int | None = None,
) -> list[str]:
    """Write every chart `wanted(areas)` of `ds` to `out`; returns the chart names written.
    In-memory Datasets (no processed directory) are drawn in this process."""
    names = wanted(areas, ds)  # the structure charts only with a world layer (issue 20)
    prepare_out(out)
    jobs = min(jobs or default_jobs(), len(names))
    if jobs <= 1 or ds.processed is None:
        _draw(ds, names, out, formats, raw_manifest, areas)
        return names
    # Long charts first, dealt round-robin, so the workers finish together.
    chunks = [names[i::jobs] for i in range(jobs)]
    args = (str(ds.processed), ds.origin, str(ds.data_dir), ds.years, ds.countries)
    # spawn: a fresh interpreter per worker (forking a process that holds Arrow threads
    # is unsafe); each reads the tables itself.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_worker, args, chunk, str(out), formats, raw_manifest, areas)
            for chunk in chunks
        ]
        for f in futures:
            f.result()  # re-raises a worker's error here
    return names


def _draw(
    ds: Dataset,
    names: list[str],
    out: Path,
    formats: tuple[str, ...],
    raw_manifest: str | None,
    areas: list[str] | None,
) -> None:
    for name in names:
        chart = make(name, ds, areas)
        export(chart, out, formats, raw_manifest)
        chart.fig.clear()  # free the drawing before the next chart


def _worker(
    args: tuple,
    names: list[str],
    out: str,
    formats: tuple[str, ...],
    raw_manifest: str | None,
    areas: list[str] | None,
) -> None:
    processed, origin, data_dir, years, countries = args
    ds = Dataset(Path(processed), origin, data_dir=Path(data_dir))
    if years or countries:
        ds = ds.filter(years=years, countries=countries)
    _draw(ds, names, Path(out), formats, raw_manifest, areas)
