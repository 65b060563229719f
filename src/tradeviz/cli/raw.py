"""`tradeviz raw verify [--fix] [--no-fetch]`, `tradeviz raw compact`: check, repair and
compress the raw layer."""

from __future__ import annotations

import sys

import click

from tradeviz import config


@click.group("raw")
def raw() -> None:
    """Check, repair and compress the raw snapshots under $TRADEVIZ_DATA_DIR/raw."""


@raw.command("verify")
@click.option(
    "--fix",
    is_flag=True,
    help="Retire damaged, missing or invalid snapshots (a damaged file is deleted when it "
    "can be fetched again, else moved to raw/.set-aside/), correct lines whose sha256 is "
    "wrong for an intact file, set malformed manifest lines aside (a backup is kept) and "
    "fetch the retired queries again. Exit 1 when something could not be repaired.",
)
@click.option("--no-fetch", is_flag=True, help="With --fix: only retire, do not refetch.")
def verify_cmd(fix: bool, no_fetch: bool) -> None:
    """Check every manifest line and snapshot: field types, paths inside raw/, sha256 of the
    exact bytes, parse, record count, completeness; list orphan and temporary files. Exit 1
    when damage is found (and not fixed)."""
    from tradeviz.store import verify as v
    from tradeviz.store.raw import RawStore

    store = RawStore(config.raw_dir())
    result = v.verify(store)
    click.echo(result.table())
    for problem in result.manifest_problems:
        click.echo(f"  manifest: {problem}")
    for f in result.damaged:
        click.echo(f"  {f.status}: line {f.snap.line} {f.snap.source} {f.detail}")
    for path in result.orphans:
        click.echo(f"  orphan (no manifest line; kept): {path}")
    for path in result.temp_files:
        click.echo(f"  temporary file: {path}")
    if result.healthy:
        click.echo("raw layer OK")
        return
    if not fix:
        click.echo(
            "damage found. Fix: `tradeviz raw verify --fix` (add --no-fetch to only "
            "retire the damaged lines)"
        )
        sys.exit(1)
    from tradeviz.store.lock import lock

    with lock(config.data_dir()):
        refetch = None
        if not no_fetch:
            from tradeviz.extract.refetch import refetch
        report = v.fix(store, result, refetch=refetch)
    if report.manifest_backup:
        click.echo(
            f"set {report.lines_set_aside} malformed manifest line(s) aside; the "
            f"original is kept as {report.manifest_backup}"
        )
    for f in report.retired:
        click.echo(f"retired line {f.snap.line} ({f.status}): {f.snap.path}")
    for f in report.relabelled:
        click.echo(f"corrected the sha256 of line {f.snap.line} (file intact): {f.snap.path}")
    for src, dst in report.moved:
        click.echo(f"moved aside (cannot be fetched again, so never deleted): {src} -> {dst}")
    for f in report.left:
        click.echo(f"left as it is: line {f.snap.line} {f.detail}")
    for what in report.refetched:
        click.echo(f"fetched again: {what}")
    if report.temp_removed:
        click.echo(f"removed {report.temp_removed} temporary file(s) of finished processes")
    for cmd in report.commands:
        click.echo(f"to fetch again, run: {cmd}")
    after = v.verify(store)
    if after.healthy and not report.commands:
        click.echo("raw layer OK")
        return
    if after.healthy and no_fetch:  # retired as asked; the queries are the user's to fetch
        click.echo("after --fix: damaged lines retired; fetch their queries again (see above)")
        return
    if not after.healthy:
        for f in after.damaged:
            click.echo(f"  still {f.status}: line {f.snap.line} {f.snap.source} {f.detail}")
    why = "damage left" if not after.healthy else "queries not fetched again: a build lacks them"
    click.echo(f"after --fix: NOT repaired ({why}; see above)")
    sys.exit(1)


@raw.command("compact")
def compact_cmd() -> None:
    """Compress uncompressed snapshots in place (gzip; each file converted atomically, the
    sha256 in the manifest stays that of the exact uncompressed bytes)."""
    from tradeviz.store.lock import lock
    from tradeviz.store.raw import RawStore

    store = RawStore(config.raw_dir())
    converted = saved = 0
    with lock(config.data_dir()):
        seen: set[str] = set()
        for snap in store.snapshots():
            path = store.locate(snap)
            if path is None or str(path) in seen:
                continue
            seen.add(str(path))
            before = path.stat().st_size
            if store.compact(snap):
                converted += 1
                saved += before - store.locate(snap).stat().st_size
    click.echo(f"compacted {converted} snapshot(s), {saved / 1e6:,.1f} MB saved")
