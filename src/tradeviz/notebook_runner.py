"""Execute the analysis notebooks with parameters (papermill) and export HTML (nbconvert).

The executed HTML reads as a report: code cells are hidden unless `with_code` is set. Runs
are quiet: the kernel talks over IPC (no "running over TCP without encryption" warning),
papermill's progress lines stay at debug level, every chart image carries alt text (no
nbconvert accessibility warning), and a failing cell is reported in one line naming the
notebook, the cell and the error, with the executed notebook kept for the full traceback.
"""

from __future__ import annotations

import base64
import html
import logging
import tempfile
import time
from pathlib import Path

from tradeviz.errors import MissingExtraError, MissingInputError, TradevizError

log = logging.getLogger(__name__)

# nbconvert's lab template without the scripts it loads from a CDN (require.js, MathJax,
# Mermaid): the notebooks use none, and the HTML then opens offline without errors.
OFFLINE = "tradeviz_offline.html.j2"
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


class NotebookError(TradevizError):
    """A notebook cell raised: names the notebook, the cell and the error."""


# What executing and exporting the notebooks imports: the `notebooks` extra.
NOTEBOOK_MODULES = ("papermill", "nbformat", "nbconvert", "jupyter_client")
DEMO_SKIP = "`tradeviz demo --no-notebooks` makes the demo without them"


def require_notebook_extra(skip: str | None = None) -> None:
    """MissingExtraError naming the pip command, and `skip` (how to do without notebooks,
    e.g. DEMO_SKIP) when given, if a module of the `notebooks` extra is missing: checked
    before any work, not after the tables and charts are made."""
    import importlib

    for module in NOTEBOOK_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            also = f"; or {skip}" if skip else ""
            raise MissingExtraError(
                f"executing the notebooks needs {module}, which is not installed; install it "
                f"with: pip install 'tradeviz[notebooks]'{also}"
            ) from exc


def notebooks_dir() -> Path:
    """The analysis notebooks shipped inside the package (tradeviz/notebooks)."""
    from importlib import resources

    return Path(str(resources.files("tradeviz").joinpath("notebooks")))


def check_tables(data_dir: Path | None) -> Path:
    """The resolved data directory, or the same one-line error `tradeviz.open()` and every
    CLI command give when its tables are missing: checked before any kernel starts."""
    import tradeviz
    from tradeviz.analysis.dataset import resolve_data_dir

    tradeviz.open(data_dir)  # raises TablesMissingError naming the directory and the fix
    return resolve_data_dir(data_dir)[0]


def run_notebooks(
    out: Path,
    data_dir: Path | None,
    source: Path | None = None,
    parameters: dict | None = None,
    with_code: bool = False,
) -> list[Path]:
    """Run every notebook in `source` against `data_dir`; write executed .ipynb and .html
    (code hidden unless `with_code`). Returns the files written, in order."""
    require_notebook_extra()
    import nbformat
    import papermill as pm

    resolved = check_tables(data_dir)
    source = source or notebooks_dir()
    books = sorted(p for p in source.glob("[0-9][0-9]_*.ipynb"))
    if not books:
        raise MissingInputError(
            f"no notebooks (NN_name.ipynb) in {source}; pass a folder "
            "that holds the numbered analysis notebooks"
        )
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    params = {"data_dir": str(resolved.resolve()), **(parameters or {})}
    written = []
    # The kernel runs in a scratch directory: its IPC sockets (kernel-ipc-N) are created in
    # the working directory, which must be neither the package (read-only when installed,
    # and the checkout otherwise) nor the user's folder. Paths are absolute because papermill
    # changes the process's working directory while it executes.
    with tempfile.TemporaryDirectory(prefix="tradeviz-kernel-") as scratch:
        for book in books:
            target = out.resolve() / book.name
            t0 = time.perf_counter()
            try:
                pm.execute_notebook(
                    str(book.resolve()),
                    str(target),
                    parameters=params,
                    cwd=scratch,
                    kernel_name="python3",
                    progress_bar=False,
                    kernel_manager_class=_ipc_kernel_manager(),
                )
            except pm.PapermillExecutionError as exc:
                raise NotebookError(
                    f"{book.name}, cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                    f"(full traceback in {target})"
                ) from None
            html_path = target.with_suffix(".html")
            _write_html(nbformat.read(target, as_version=4), html_path, with_code)
            log.info("notebook %s: %.1f s", book.stem, time.perf_counter() - t0)
            written += [out / book.name, out / html_path.name]
    return written


def _write_html(nb, path: Path, with_code: bool) -> None:
    import jinja2
    from nbconvert import HTMLExporter

    from tradeviz.store.parquet import write_text_atomic

    _add_alt_text(nb)
    exporter = HTMLExporter(
        exclude_input=not with_code,
        exclude_input_prompt=not with_code,
        exclude_output_prompt=not with_code,
        extra_loaders=[jinja2.DictLoader({OFFLINE: OFFLINE_TEMPLATE})],
        template_file=OFFLINE,
    )
    body, _ = exporter.from_notebook_node(nb)
    write_text_atomic(path, body)


def _add_alt_text(nb) -> None:
    """Give every PNG output an HTML rendering with alt text: the `alt` the notebook set in
    the output's metadata (see tradeviz.analysis.display), else the notebook's title."""
    title = next(
        (
            c.source.splitlines()[0].lstrip("# ").strip()
            for c in nb.cells
            if c.cell_type == "markdown" and c.source.strip()
        ),
        "chart",
    )
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            png = data.get("image/png")
            if not png or "text/html" in data:
                continue
            if isinstance(png, bytes):
                png = base64.b64encode(png).decode()
            alt = output.get("metadata", {}).get("image/png", {}).get("alt") or f"{title}: chart"
            data["text/html"] = (
                f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png.strip()}">'
            )


def _ipc_kernel_manager():
    """A kernel manager whose kernel talks over IPC sockets in its working directory (local
    only, and no "running over TCP without encryption" warning on every run) and is not
    interrupted when it is shut down after the last cell."""
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.transport = "ipc"

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts before every shutdown; by then every cell has
            # finished, and the interrupt only makes the kernel log "KeyboardInterrupt
            # caught in kernel". Interrupts while a cell runs (timeouts) still go through.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return IpcKernelManager
