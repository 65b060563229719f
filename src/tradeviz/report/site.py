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


@contextmanager
def staged_dir(target: Path):
    """Yield an empty directory beside `target`; on success it replaces `target` whole (the
    old report is removed only once the new one is complete), on failure it is deleted."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield stage
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
