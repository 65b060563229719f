"""Build src/tradeviz/data/countries.csv, the country registry shipped with tradeviz, from
UN Comtrade's reporter and partner lists in the recorded corpus (hs/reporter.csv,
hs/partner.csv; see their SOURCES.md).

    python scripts/build_country_reference.py [--corpus ../shared/corpus]

One row per Comtrade partner code except World (0): countries (a real ISO3 code) and the
areas Comtrade reports as partners ("Other Asia, nes", bunkers, free zones...). Columns:

- comtrade: Comtrade's numeric code (M49-based, but France is 251, India 699, USA 842...);
- iso3, iso2: as Comtrade gives them (areas have Comtrade's own pseudo codes, e.g. S19);
- m49: the UN M49 / ISO 3166 numeric code of the country (empty for areas), from
  country_converter (for dissolved states, their former M49 code, which Comtrade kept);
  equals `comtrade` for most countries; empty for a few territories with no M49 code;
- kind: country | area | group (the European Union);
- current: 1 for the code in use today (its ISO3 looks up to this row), 0 for
  historical codes (Belgium-Luxembourg until 1998, ...) and second codes;
- reporter: 1 if the code is also a Comtrade reporter;
- entry_year, exit_year: as Comtrade gives them;
- name_en: Comtrade's English name. Other languages go in further `name_<lang>` columns
  (e.g. name_zh, name_ru); the registry reads every `name_*` column.

The script checks what it writes (unique codes, one current row per ISO3, the project's six
countries at their known codes, every current reporter present) and writes atomically.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "tradeviz" / "data" / "countries.csv"
PROJECT = {"CHN": 156, "KAZ": 398, "KGZ": 417, "TJK": 762, "TKM": 795, "UZB": 860}
# Comtrade codes whose M49 differs, checked by hand against the UN M49 overview
# (unstats.un.org/unsd/methodology/m49).
M49_EXPECTED = {251: 250, 699: 356, 757: 756, 842: 840, 579: 578}
COLUMNS = [
    "comtrade",
    "iso3",
    "iso2",
    "m49",
    "kind",
    "current",
    "reporter",
    "entry_year",
    "exit_year",
    "name_en",
]


def read(path: Path) -> pd.DataFrame:
    # NA is Namibia's ISO2 code: read every cell as text, no NA guessing.
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.apply(lambda s: s.str.strip())


def build(corpus: Path) -> pd.DataFrame:
    partners = read(corpus / "hs" / "partner.csv")
    reporters = read(corpus / "hs" / "reporter.csv")
    rep_codes = set(reporters["id"].astype(int))
    df = partners[partners["id"] != "0"].copy()
    # Reporters missing from the partner list (should be none) are added.
    extra = reporters[~reporters["id"].isin(df["id"])]
    df = pd.concat([df, extra], ignore_index=True)
    out = pd.DataFrame(
        {
            "comtrade": df["id"].astype(int),
            "iso3": df["iso_3"],
            "iso2": df["iso_2"],
            "entry_year": df["entry_year"],
            "exit_year": df["exit_year"],
            "name_en": df["country"],
        }
    )
    is_country = out["iso3"].str.fullmatch(r"[A-Z]{3}") & (out["iso2"] != "")
    out["kind"] = is_country.map({True: "country", False: "area"})
    out.loc[out["iso3"] == "EUR", "kind"] = "group"  # European Union, a reporter since 1999
    out["reporter"] = out["comtrade"].isin(rep_codes).astype(int)
    out["current"] = 0
    open_rows = out[(out["exit_year"] == "") & is_country]
    for _iso, grp in open_rows.groupby("iso3"):
        # Two open codes (France 250/251, Switzerland 756/757): the one Comtrade reports under.
        best = grp.sort_values(["reporter", "comtrade"], ascending=[False, False]).index[0]
        out.loc[best, "current"] = 1
    out["m49"] = _m49(out)
    return out[COLUMNS].sort_values("comtrade").reset_index(drop=True)


def _m49(out: pd.DataFrame) -> pd.Series:
    import country_converter as coco

    # Its table read directly (its own loader breaks under pandas 3, see vocab/countries.py).
    table = pd.read_csv(
        Path(coco.__file__).parent / "country_data.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    by_iso = {r.ISO3: str(int(r.ISOnumeric)) for r in table.itertuples() if r.ISOnumeric}

    def m49(r: pd.Series) -> str:
        if r["kind"] != "country":
            return ""
        if r["exit_year"] and r["iso3"] not in by_iso:
            # Dissolved states (Czechoslovakia, GDR, ...) kept their M49 code as Comtrade code.
            return str(r["comtrade"])
        return by_iso.get(r["iso3"], "")

    return out.apply(m49, axis=1)


def check(out: pd.DataFrame, reporters: pd.DataFrame) -> list[str]:
    problems = []
    if out["comtrade"].duplicated().any():
        problems.append(f"duplicate comtrade codes: {out[out['comtrade'].duplicated()]}")
    cur = out[out["current"] == 1]
    if cur["iso3"].duplicated().any():
        problems.append(
            f"ISO3 with two current rows: {sorted(cur[cur['iso3'].duplicated()]['iso3'])}"
        )
    by_iso = cur.set_index("iso3")["comtrade"]
    for iso, code in PROJECT.items():
        if by_iso.get(iso) != code:
            problems.append(f"{iso}: current code {by_iso.get(iso)}, expected {code}")
    m49 = out.set_index("comtrade")["m49"]
    for code, expected in M49_EXPECTED.items():
        if m49.get(code) != str(expected):
            problems.append(f"comtrade {code}: m49 {m49.get(code)!r}, expected {expected}")
    open_reps = reporters[
        (reporters["exit_year"] == "") & reporters["iso_3"].str.fullmatch(r"[A-Z]{3}")
    ]
    missing = set(open_reps["iso_3"]) - set(cur["iso3"])
    if missing:
        problems.append(f"current reporters without a current row: {sorted(missing)}")
    for iso in ("RUS", "TUR", "KOR", "IRN", "DEU", "FRA", "ITA", "POL", "USA", "IND"):
        if iso not in by_iso:
            problems.append(f"{iso} missing")
    bad = out[(out["kind"] == "country") & ~out["iso3"].str.fullmatch(r"[A-Z]{3}")]
    if not bad.empty:
        problems.append(f"countries without ISO3: {bad['comtrade'].tolist()}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("TRADEVIZ_CORPUS_DIR", "../shared/corpus")),
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    out = build(args.corpus)
    problems = check(out, read(args.corpus / "hs" / "reporter.csv"))
    if problems:
        print("not written:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    tmp = args.out.with_suffix(".csv.tmp")
    out.to_csv(tmp, index=False, lineterminator="\n")
    # Read back what was written: same rows, codes still text with leading zeros intact.
    back = pd.read_csv(tmp, dtype=str, keep_default_na=False)
    if len(back) != len(out) or not re.fullmatch(r"\d+", "".join(back["comtrade"])):
        tmp.unlink()
        print("read-back check failed; not written", file=sys.stderr)
        return 1
    os.replace(tmp, args.out)
    n_cur = int((out["current"] == 1).sum())
    print(
        f"wrote {args.out}: {len(out)} partner codes, {n_cur} current countries, "
        f"{int((out['kind'] == 'area').sum())} areas"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
