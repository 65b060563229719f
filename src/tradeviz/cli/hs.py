"""`tradeviz hs`: what an HS code is, in which revisions it exists, and what it maps to."""

from __future__ import annotations

import click

from tradeviz.cli.options import HS_CODE, REVISION
from tradeviz.vocab.revisions import HS_REVISIONS, LATEST

REV = REVISION  # H0…H6 or HS1992…HS2022, any case -> "H0"…"H6"


@click.group("hs")
def hs_group() -> None:
    """The HS nomenclature of every revision (UN Comtrade lists, UNSD correlation and
    HS-to-BEC tables, shipped with the package)."""


@hs_group.command("show")
@click.argument("code", type=HS_CODE, metavar="CODE")
@click.option(
    "--rev",
    type=REV,
    default=LATEST,
    show_default=True,
    help="Revision the code is read in (H0 = HS1992 … H6 = HS2022).",
)
def hs_show(code: str, rev: str) -> None:
    """Description, level, parent, unit, existence per revision, BEC class, focus areas and
    the codes CODE correlates with in the adjacent revisions."""
    from tradeviz.transform.focus import tags_for
    from tradeviz.vocab import hs

    info = hs.check_code(code, rev)
    click.echo(f"{code} ({rev}): {info.description}")
    parent = hs.short_label(info.parent, rev) if info.parent != "TOTAL" else "TOTAL"
    click.echo(f"  level HS{info.level}, parent {parent}, unit {info.unit or 'n/a'}")
    click.echo("  exists in: " + ", ".join(hs.revisions_of(code)))
    if info.level == 6:
        b = hs.bec(code, rev)
        if b.empty:
            click.echo("  BEC Rev.4: none (UNSD publishes no table for this code and revision)")
        for r in b.itertuples(index=False):
            click.echo(
                f"  BEC Rev.4 {r.bec}: {r.bec_description}; SNA end use: {r.sna_class or 'n/a'}"
            )
    tags = tags_for(rev, code)
    click.echo("  focus areas: " + (", ".join(f"{t.area} ({t.match})" for t in tags) or "none"))
    if info.level != 6:
        return
    i = HS_REVISIONS.index(rev)
    steps = [(i - 1, "predecessors"), (i + 1, "successors")]
    if i + 1 < len(HS_REVISIONS) - 1:  # and where it ends up in HS2022, through the chain
        steps.append((len(HS_REVISIONS) - 1, "successors"))
    for j, word in steps:
        if 0 <= j < len(HS_REVISIONS):
            other = HS_REVISIONS[j]
            linked = hs.correlated(code, rev, other)
            click.echo(f"  {other} {word} ({len(linked)}):")
            for r in linked.head(12).itertuples(index=False):
                click.echo(f"    {r.code} [{r.relation}] {r.description}")
            if len(linked) > 12:
                click.echo(
                    f"    … {len(linked) - 12} more: `tradeviz hs map {code} "
                    f"--from {rev} --to {other}`"
                )


@hs_group.command("map")
@click.argument("code", type=HS_CODE, metavar="CODE")
@click.option("--from", "from_rev", type=REV, required=True, help="Revision of CODE.")
@click.option("--to", "to_rev", type=REV, required=True, help="Revision to map to.")
def hs_map(code: str, from_rev: str, to_rev: str) -> None:
    """The codes of --to that CODE (in --from) correlates with, through UNSD's adjacent
    correlation tables chained revision by revision, with the relation (1:1, 1:n, n:1, n:n
    seen from CODE)."""
    from tradeviz.vocab import hs

    info = hs.check_code(code, from_rev)
    if info.level != 6:
        raise click.UsageError(
            f"{code} is an HS{info.level} code; the correlation tables "
            "link HS6 codes: map one of its subheadings"
        )
    click.echo(f"{code} ({from_rev}): {info.description}")
    linked = hs.correlated(code, from_rev, to_rev)
    if linked.empty:
        click.echo(f"  no {to_rev} code in UNSD's tables")
    for r in linked.itertuples(index=False):
        click.echo(f"  {to_rev} {r.code} [{r.relation}] {r.description}")


@hs_group.command("search")
@click.argument("text")
@click.option("--rev", type=REV, default=LATEST, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def hs_search(text: str, rev: str, limit: int) -> None:
    """Codes of --rev whose description holds every word of TEXT (any case)."""
    from tradeviz.vocab import hs

    found = hs.search(text, rev, limit)
    if found.empty:
        click.echo(f"no {rev} code matches {text!r}")
    for r in found.itertuples(index=False):
        click.echo(f"{r.code:6}  HS{r.level}  {r.description}")
