"""Published-figures check: China-reported totals in flows.parquet against the China
Customs headline figures shipped with the package (tradeviz/data/published_totals.csv)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from tradeviz.analysis.totals import pair_totals
from tradeviz.errors import MissingInputError
from tradeviz.vocab.countries import CA_ISO3

TOLERANCE = 0.02


def published_path() -> Path:
    """The published-figures table shipped inside the package."""
    return Path(str(resources.files("tradeviz.data").joinpath("published_totals.csv")))


def load_published(path: Path | None = None) -> pd.DataFrame:
    """Published figures: the shipped table, or `path` (same columns) when given."""
    path = Path(path) if path is not None else published_path()
    if not path.exists():
        raise MissingInputError(f"{path}: published figures file missing; pass --published "
                                "FILE or reinstall tradeviz (it ships the default table)")
    return pd.read_csv(path, dtype={"year": int, "value_usd": float}, keep_default_na=False)


def compare(flows: pd.DataFrame, published: pd.DataFrame,
            tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Rows: figure, ours, published, difference (share), status (pass/FAIL/no data)."""
    china = flows[(flows["source"] == "comtrade") & (flows["freq"] == "A")
                  & (flows["reporter"] == "CHN")]
    totals = pair_totals(china)
    rows = []
    for fig in published.itertuples(index=False):
        partners = list(CA_ISO3) if fig.partner == "CA5" else [fig.partner]
        flows_wanted = ["export", "import"] if fig.flow == "total" else [fig.flow]
        sel = totals[(totals["year"] == fig.year) & totals["partner"].isin(partners)
                     & totals["flow"].isin(flows_wanted)]
        have = set(zip(sel["partner"], sel["flow"], strict=True))
        complete = all((p, f) in have for p in partners for f in flows_wanted)
        ours = float(sel["value_usd"].sum()) if complete else None
        diff = None if ours is None else ours / fig.value_usd - 1
        status = "no data" if ours is None else ("pass" if abs(diff) <= tolerance else "FAIL")
        rows.append({"figure": fig.figure, "ours_usd": ours, "published_usd": fig.value_usd,
                     "difference": diff, "status": status, "source": fig.source})
    return pd.DataFrame(rows)


def format_table(result: pd.DataFrame) -> str:
    def bn(v: float | None) -> str:
        return "-" if v is None or pd.isna(v) else f"{v / 1e9:,.3f} bn"

    lines = [f"{'figure':34} {'ours':>14} {'published':>14} {'diff':>8}  status"]
    for r in result.itertuples(index=False):
        diff = "-" if r.difference is None or pd.isna(r.difference) else f"{r.difference:+.1%}"
        lines.append(f"{r.figure:34} {bn(r.ours_usd):>14} {bn(r.published_usd):>14} "
                     f"{diff:>8}  {r.status}")
    counts = result["status"].value_counts().to_dict()
    lines.append(f"pass within {TOLERANCE:.0%}: {counts.get('pass', 0)}, FAIL: "
                 f"{counts.get('FAIL', 0)}, no data: {counts.get('no data', 0)}")
    return "\n".join(lines)
