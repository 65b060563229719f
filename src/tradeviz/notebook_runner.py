"""Execute the analysis notebooks with parameters (papermill) and export HTML (nbconvert)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def notebooks_dir() -> Path:
    """The analysis notebooks shipped inside the package (tradeviz/notebooks)."""
    from importlib import resources

    return Path(str(resources.files("tradeviz").joinpath("notebooks")))


def run_notebooks(out: Path, data_dir: Path, source: Path | None = None,
                  parameters: dict | None = None) -> list[Path]:
    """Run every notebook in `source` against `data_dir`; write executed .ipynb and .html."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    source = source or notebooks_dir()
    books = sorted(p for p in source.glob("[0-9][0-9]_*.ipynb"))
    if not books:
        raise FileNotFoundError(f"no notebooks (NN_name.ipynb) in {source}")
    out.mkdir(parents=True, exist_ok=True)
    params = {"data_dir": str(Path(data_dir).resolve()), **(parameters or {})}
    written = []
    for book in books:
        target = out / book.name
        log.info("notebook %s", book.name)
        pm.execute_notebook(str(book), str(target), parameters=params, cwd=str(source),
                            kernel_name="python3", progress_bar=False)
        body, _ = HTMLExporter().from_notebook_node(nbformat.read(target, as_version=4))
        html = target.with_suffix(".html")
        html.write_text(body, encoding="utf-8")
        written += [target, html]
    return written
