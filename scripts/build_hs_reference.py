"""Build tradeviz's shipped HS reference (src/tradeviz/data/hs/) from the HS corpus.

Reads ../shared/corpus/hs/ (or --corpus DIR, or $TRADEVIZ_CORPUS_DIR/hs): UN Comtrade's
commodity lists H0…H6 and HS, UNSD's full adjacent-pair correlation tables, UNSD's
conversion tables to HS2022 and the HS -> BEC Rev.4 tables (see that folder's SOURCES.md).
Writes five zstd Parquet files, each checked after writing (row counts, key uniqueness,
known links) and written to a temporary file then renamed, so a failed run leaves the old
files in place:

- codes.parquet        rev, code, description (Comtrade text without its "<code> - " prefix
                       and indentation dashes), parent, is_leaf, level, unit, legacy,
                       readable (the description, a fragment with its heading) and label
                       (at most 60 characters, never cut mid-word: tradeviz.vocab.labels'
                       rules, or the cited override in tradeviz/data/hs_label_overrides.csv),
                       derived by tradeviz.vocab.hs.readable_texts so that no run derives them
- correlation.parquet  newer_rev, older_rev, newer, older, relation (UNSD, newer on the left)
- conversion.parquet   newer_rev, older_rev, newer, older, relation: UNSD's conversion
                       tables for all 21 pairs (one older code per newer code)
- bec.parquet          rev, code, bec, bec_description, sna_class, relation
- to_latest.parquet    rev, code, hs6_h6, converted: each HS6 code's HS2022 code, derived
                       from the three tables above (tradeviz.vocab.hs.derive_to_latest)

Run: `.venv/bin/python scripts/build_hs_reference.py [--corpus DIR] [--out DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tradeviz.vocab import hs
from tradeviz.vocab.hs import readable_texts
from tradeviz.vocab.labels import LABEL_WIDTH, overrides

REVS = ("H0", "H1", "H2", "H3", "H4", "H5", "H6")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "tradeviz" / "data" / "hs"
MAX_TOTAL_BYTES = 5_000_000

# Links the issue and SOURCES.md name; the build fails if one is missing.
REQUIRED_LINKS = (
    ("H3", "851712", "H2", "852520"),  # mobile phones left 8525 for 8517 in HS2007
    ("H6", "851713", "H5", "851712"),
    ("H6", "854143", "H5", "854140"),
    ("H1", "382460", "H0", "382360"),
)


def read_csv(path: Path) -> pd.DataFrame:
    # Everything as text, no NA guessing: "n/a" units and leading zeros are data.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def clean_description(code: pd.Series, text: pd.Series) -> pd.Series:
    """'851712 - --  Telephones ...' -> 'Telephones ...' (Comtrade prefixes and dashes)."""
    prefix = code + " - "
    out = pd.Series(
        [t[len(p) :] if t.startswith(p) else t for t, p in zip(text, prefix, strict=True)],
        index=text.index,
    )
    return out.str.replace(r"^[\s\-–]+", "", regex=True).str.strip()


def codes(corpus: Path) -> pd.DataFrame:
    parts = []
    for rev in REVS:
        df = read_csv(corpus / f"{rev}.csv")
        df = df[df["code"] != "TOTAL"]
        parts.append(
            pd.DataFrame(
                {
                    "rev": rev,
                    "code": df["code"],
                    "description": clean_description(df["code"], df["description"]),
                    "parent": df["parent"],
                    "is_leaf": df["is_leaf"] == "1",
                    "level": df["level"].astype("int8"),
                    "unit": df["unit"].where(df["unit"] != "n/a", None),
                    "legacy": df["description"].str.contains("LEGACY NON-WCO", regex=False),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["readable"], out["label"] = readable_texts(out)
    return out


def _links(folder: Path, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """UNSD tables `<newer>_to_<older>.csv` in `folder`, one row per link, both revisions named."""
    parts = []
    for older, newer in pairs:
        df = read_csv(folder / f"{newer}_to_{older}.csv")
        parts.append(
            pd.DataFrame(
                {
                    "newer_rev": newer,
                    "older_rev": older,
                    "newer": df[newer],
                    "older": df[older],
                    "relation": df["relation"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def correlation(corpus: Path) -> pd.DataFrame:
    """The full correlation tables of each adjacent pair of revisions."""
    return _links(corpus / "correlation_full", list(zip(REVS[:-1], REVS[1:], strict=True)))


def conversion(corpus: Path) -> pd.DataFrame:
    """The conversion tables of every pair of revisions (older, newer)."""
    pairs = [(older, newer) for i, older in enumerate(REVS) for newer in REVS[i + 1 :]]
    return _links(corpus / "correlation", pairs)


def bec(corpus: Path) -> pd.DataFrame:
    parts = []
    for rev in REVS[1:]:  # no UNSD table for HS1992
        df = read_csv(corpus / "bec" / f"{rev}_to_BEC.csv")
        parts.append(
            pd.DataFrame(
                {
                    "rev": rev,
                    "code": df[rev],
                    "bec": df["BEC"],
                    "bec_description": df["bec_description"],
                    "sna_class": df["sna_class"],
                    "relation": df["relation"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def check(tables: dict[str, pd.DataFrame]) -> dict:
    """What must hold of the tables; raises SystemExit naming the first failure."""
    c, corr, conv, b = (tables[k] for k in ("codes", "correlation", "conversion", "bec"))
    problems = []
    if c.duplicated(["rev", "code"]).any():
        problems.append("codes: duplicate (rev, code)")
    six = c[(c["level"] == 6) & ~c["legacy"] & c["code"].str.isdigit() & (c["code"] != "999999")]
    counts = six.groupby("rev").size().to_dict()
    # WCO subheadings per revision (SOURCES.md section 1 and its correction).
    expected = {"H0": 5020, "H1": 5113, "H2": 5224, "H3": 5052, "H4": 5205, "H5": 5387, "H6": 5612}
    if counts != expected:
        problems.append(f"codes: HS6 counts {counts} != {expected}")
    known = set(zip(c["rev"], c["code"], strict=True))
    for side in ("newer", "older"):
        bad = [
            (r, k)
            for r, k in zip(corr[f"{side}_rev"], corr[side], strict=True)
            if (r, k) not in known
        ]
        if bad:
            problems.append(f"correlation: {len(bad)} {side} codes not in the lists: {bad[:5]}")
    links = set(
        zip(corr["newer_rev"], corr["newer"], corr["older_rev"], corr["older"], strict=True)
    )
    for link in REQUIRED_LINKS:
        if link not in links:
            problems.append(f"correlation: required link {link} missing")
    if conv.duplicated(["newer_rev", "older_rev", "newer"]).any():
        problems.append("conversion: a newer code has two targets in one revision")
    ov = overrides()
    unknown = [k for k in zip(ov["rev"], ov["code"], strict=True) if k not in known]
    if unknown:
        problems.append(f"hs_label_overrides.csv: codes not in their revisions: {unknown[:5]}")
    long = c["label"].str.len() > LABEL_WIDTH
    if long.any() or c["label"].isna().any() or c["label"].eq("").any():
        problems.append(f"codes: {int(long.sum())} labels over {LABEL_WIDTH} characters or empty")
    if b.duplicated(["rev", "code", "bec"]).any():
        problems.append("bec: duplicate rows")
    if problems:
        raise SystemExit("HS reference check failed:\n  " + "\n  ".join(problems))
    return {
        "codes": len(c),
        "hs6_per_revision": counts,
        "correlation_links": len(corr),
        "conversion_rows": len(conv),
        "bec_rows": len(b),
    }


def write(df: pd.DataFrame, path: Path) -> None:
    """Parquet (zstd), through a temporary file, then read back and compared."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=19)
    back = pq.read_table(tmp)
    if not back.equals(table):
        tmp.unlink()
        raise SystemExit(f"{path.name}: read-back differs from what was written")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ.get("TRADEVIZ_CORPUS_DIR")
    default = Path(env) / "hs" if env else ROOT.parent / "shared" / "corpus" / "hs"
    ap.add_argument(
        "--corpus",
        type=Path,
        default=default,
        help="folder holding H0.csv … H6.csv, correlation_full/, correlation/, bec/",
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    if not (args.corpus / "H6.csv").exists():
        print(
            f"error: no HS corpus at {args.corpus} (H6.csv missing). Fix: pass --corpus "
            "DIR or set TRADEVIZ_CORPUS_DIR to the folder holding hs/",
            file=sys.stderr,
        )
        return 2
    tables = {
        "codes": codes(args.corpus),
        "correlation": correlation(args.corpus),
        "conversion": conversion(args.corpus),
        "bec": bec(args.corpus),
    }
    summary = check(tables)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out, prefix=".staging-") as staging:
        stage = Path(staging)  # all five written and checked here, then moved in together
        for name, df in tables.items():
            write(df, stage / f"{name}.parquet")
        hs.use_reference_dir(stage)  # derived from the tables just written
        try:
            latest = hs.derive_to_latest()
        finally:
            hs.use_reference_dir(None)
        write(latest, stage / "to_latest.parquet")
        for name in (*tables, "to_latest"):
            os.replace(stage / f"{name}.parquet", args.out / f"{name}.parquet")
    sizes = {p.name: p.stat().st_size for p in sorted(args.out.glob("*.parquet"))}
    if sum(sizes.values()) > MAX_TOTAL_BYTES:
        raise SystemExit(f"package data too large: {sizes}")
    print(json.dumps({**summary, "bytes": sizes}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
