"""`tradeviz tags` and `dictionary`: focus-area rules and the data dictionary."""

from __future__ import annotations

from pathlib import Path

import click

from tradeviz.cli.options import AREA, HS_CODE, REVISION


@click.group()
def tags() -> None:
    """Focus-area tags of HS codes (rules shipped as cited data)."""


@tags.command("explain")
@click.argument("code", type=HS_CODE, metavar="CODE")
@click.option(
    "--rev",
    default="H6",
    show_default=True,
    type=REVISION,
    help="HS revision the code is read in (H0 = HS1992 … H6 = HS2022).",
)
def tags_explain(code: str, rev: str) -> None:
    """Which focus areas CODE belongs to in revision --rev, by which rule and source.
    A code that does not exist in --rev is an error naming the revisions it exists in."""
    from tradeviz.transform.focus import tags_for
    from tradeviz.vocab import hs

    info = hs.check_code(code, rev)
    click.echo(f"{code} ({rev}): {info.description}")
    found = tags_for(rev, code)
    if not found:
        click.echo("  no focus area")
        return
    for t in found:
        r = t.rule
        sub = f" ({t.subarea})" if len(code) == 6 else ""
        click.echo(f"  {t.area}{sub}, match {t.match}")
        how = (
            f"code {t.rule_code}"
            if len(code) == 6
            else (f"{'every' if t.match == 'full' else 'some'} HS6 code under {code} in {rev}")
        )
        click.echo(f"    rule {r.id}: {how}" + (f"; {r.note}" if r.note else ""))
        click.echo(f"    source ({r.kind}): {r.source_title} <{r.source_url}>")
        for title in r.lists:
            click.echo(f"    listed in: {title}")


@tags.command("list")
@click.argument("area", type=AREA)
@click.option(
    "--rev",
    default="H6",
    show_default=True,
    type=REVISION,
    help="HS revision (H0 = HS1992 … H6 = HS2022).",
)
def tags_list(area: str, rev: str) -> None:
    """The codes (prefixes) of AREA that apply in revision --rev, with rule, match and
    source kind."""
    from tradeviz.transform.focus import load_rules

    for r in load_rules():
        codes = [c for c in r.codes if rev in r.revisions_of(c)]
        if r.area == area and codes:
            excl = f" except {','.join(r.exclude)}" if r.exclude else ""
            click.echo(f"{r.id:34} {r.match:7} {r.kind:8} {r.subarea}: {', '.join(codes)}{excl}")


@click.command("dictionary")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("docs/data_dictionary.md"),
    show_default=True,
)
def dictionary_cmd(out: Path) -> None:
    """Write the data dictionary of every processed table (generated from the schema)."""
    from tradeviz.schema import data_dictionary
    from tradeviz.store.parquet import write_text_atomic

    write_text_atomic(out, data_dictionary())
    click.echo(f"wrote {out}")
