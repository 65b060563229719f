"""Writing the report as a static site: Jinja templates shipped as package data, HTML tables
from DataFrames, and a directory that appears whole or not at all (built beside its target,
then swapped in), so a reader never opens half a report."""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from tradeviz.errors import InputError

TEMPLATES = "templates"


@dataclass
class Download:
    label: str
    href: str


@dataclass
class Section:
    """One block of a page: a title, a sentence saying what to look at, then one chart or one
    table (or a line saying why there is none), and its CSV."""

    id: str
    title: str
    lead: str = ""
    image: str = ""
    alt: str = ""
    caption: str = ""
    table: str = ""
    empty: str = ""
    downloads: list[Download] = field(default_factory=list)


@lru_cache(maxsize=1)
def _env():
    import jinja2

    root = resources.files("tradeviz.report").joinpath(TEMPLATES)
    loader = jinja2.FunctionLoader(lambda name: root.joinpath(name).read_text("utf-8"))
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, **context) -> str:
    return _env().get_template(template).render(**context)


def stylesheet() -> str:
    return resources.files("tradeviz.report").joinpath(TEMPLATES, "style.css").read_text("utf-8")


def html_table(df: pd.DataFrame, text_cols: tuple[str, ...] = ()) -> str:
    """A plain, escaped HTML table (values already formatted as text); columns in
    `text_cols` are left-aligned, numbers right-aligned."""

    def cell(tag: str, col: str, value) -> str:
        cls = ' class="text"' if col in text_cols else ""
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
        return f"<{tag}{cls}>{html.escape(str(text))}</{tag}>"

    head = "".join(cell("th", c, c) for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(cell("td", c, v) for c, v in zip(df.columns, r, strict=True)) + "</tr>"
        for r in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


MARKER = ".tradeviz-report"  # written into every report: --out may replace only a report
_LEGACY = {"index.html", "provenance.html", "style.css", "charts", "data"}  # before the marker


class OutDirError(InputError):
    """--out names something that is not ours to replace (a file, a folder of the user's)."""


def check_out_dir(target: Path) -> None:
    """A report may go only to a missing or empty directory, or replace a previous report
    (its marker file, or the exact layout of a report from before markers); anything else
    is refused before any work, so a user's folder is never deleted."""
    target = Path(target)
    fix = "give --out a new or empty directory (nothing was changed)"
    if target.is_symlink():
        raise OutDirError(f"--out {target} is a symbolic link: {fix}")
    if not target.exists():
        return
    if not target.is_dir():
        raise OutDirError(f"--out {target} is a file, not a directory: {fix}")
    try:
        names = {entry.name for entry in target.iterdir()}
    except OSError as exc:
        raise OutDirError(f"--out {target} cannot be read ({exc.strerror}): {fix}") from None
    if not names or MARKER in names or _legacy_report(names):
        return
    raise OutDirError(
        f"--out {target} holds files that are not a tradeviz report (no {MARKER} file), and "
        f"a report replaces its directory whole: {fix}"
    )


def _legacy_report(names: set[str]) -> bool:
    pages = {n for n in names if n.endswith(".html") and n[:-5].isupper()}  # KAZ.html ...
    return {"index.html", "provenance.html", "style.css"} <= names and names <= _LEGACY | pages


@contextmanager
def staged_dir(target: Path):
    """Yield an empty directory beside `target`; on success it replaces `target` whole (the
    old report is removed only once the new one is complete), on failure it is deleted.
    `target` must pass check_out_dir (checked here first, and again before the swap)."""
    target = Path(target)
    check_out_dir(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield stage
        (stage / MARKER).write_text(
            "written by `tradeviz report`: this directory is replaced whole by the next "
            "report written here\n",
            encoding="utf-8",
        )
        check_out_dir(target)  # nothing else moved in meanwhile
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(stage, target)
    os.chmod(target, 0o755)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
