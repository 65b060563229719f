"""Published-figures check: China-reported totals in flows.parquet against the China
Customs headline figures shipped with the package (tradeviz/data/published_totals.csv).

Each figure is checked within its own tolerance: 2 %, or more when the figure as published
is too coarse for 2 % (0.08 bn is 0.075-0.085 bn, so ±6.25 %): `rounding_usd` is the unit of
its last published digit (for a figure computed from two published ones, the sum of both
units), and the tolerance is max(2 %, rounding_usd / 2 / value). Figures taken from UN
Comtrade itself (`independent` false) are marked and never counted as independent
confirmation: agreeing with the source we built from proves only that we read it right.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from tradeviz.analysis.totals import pair_totals
from tradeviz.errors import TradevizError
from tradeviz.vocab.countries import CA_ISO3

TOLERANCE = 0.02
COLUMNS = ["figure", "year", "reporter", "partner", "flow", "value_usd", "source"]
FLOWS = {"total", "export", "import"}


class PublishedFiguresError(TradevizError):
    """The published-figures CSV cannot be used (wrong columns or values)."""


def published_path() -> Path:
    """The published-figures table shipped inside the package."""
    return Path(str(resources.files("tradeviz.data").joinpath("published_totals.csv")))


def load_published(path: Path | None = None) -> pd.DataFrame:
    """Published figures: the shipped table, or `path` (same columns) when given."""
    path = Path(path) if path is not None else published_path()
    fix = (
        f"Fix: give a CSV with the columns {', '.join(COLUMNS)} (optional: rounding_usd, "
        f"independent, source_url), like {published_path()}"
    )
    if not path.is_file():
        raise PublishedFiguresError(f"{path}: published figures file missing or not a file. " + fix)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PublishedFiguresError(f"{path} is not a readable CSV ({exc}). {fix}") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise PublishedFiguresError(
            f"{path} lacks the columns {missing} (found {list(df.columns)[:8]}). {fix}"
        )
    try:
        df["year"] = df["year"].astype(int)
        df["value_usd"] = df["value_usd"].astype(float)
        rounding = df["rounding_usd"] if "rounding_usd" in df else pd.Series("0", df.index)
        df["rounding_usd"] = pd.to_numeric(rounding.replace("", "0"))
    except ValueError as exc:
        raise PublishedFiguresError(
            f"{path}: year, value_usd and rounding_usd must be numbers ({exc}). {fix}"
        ) from None
    bad_flows = sorted(set(df["flow"]) - FLOWS)
    if bad_flows:
        raise PublishedFiguresError(
            f"{path}: flow must be one of {sorted(FLOWS)}, found {bad_flows}. {fix}"
        )
    if "independent" in df:
        df["independent"] = df["independent"].str.strip().str.lower() != "false"
    else:
        df["independent"] = True
    # a figure taken from UN Comtrade can never confirm a table built from UN Comtrade
    df["independent"] &= ~df["source"].str.contains("comtrade", case=False)
    return df


def tolerance_for(value_usd: float, rounding_usd: float) -> float:
    """max(2 %, half the rounding unit relative to the figure)."""
    if value_usd <= 0:
        return TOLERANCE
    return max(TOLERANCE, rounding_usd / 2 / value_usd)


def compare(
    flows: pd.DataFrame, published: pd.DataFrame, tolerance: float = TOLERANCE
) -> pd.DataFrame:
    """Rows: figure, ours, published, difference (share), tolerance, status (pass/FAIL/no
    data), independent (False for figures from UN Comtrade itself)."""
    china = flows[
        (flows["source"] == "comtrade") & (flows["freq"] == "A") & (flows["reporter"] == "CHN")
    ]
    totals = pair_totals(china)
    rows = []
    for fig in published.itertuples(index=False):
        partners = list(CA_ISO3) if fig.partner == "CA5" else [fig.partner]
        flows_wanted = ["export", "import"] if fig.flow == "total" else [fig.flow]
        sel = totals[
            (totals["year"] == fig.year)
            & totals["partner"].isin(partners)
            & totals["flow"].isin(flows_wanted)
        ]
        have = set(zip(sel["partner"], sel["flow"], strict=True))
        complete = all((p, f) in have for p in partners for f in flows_wanted)
        ours = float(sel["value_usd"].sum()) if complete else None
        diff = None if ours is None else ours / fig.value_usd - 1
        tol = max(tolerance, tolerance_for(fig.value_usd, getattr(fig, "rounding_usd", 0)))
        status = "no data" if ours is None else ("pass" if abs(diff) <= tol else "FAIL")
        rows.append(
            {
                "figure": fig.figure,
                "ours_usd": ours,
                "published_usd": fig.value_usd,
                "difference": diff,
                "tolerance": tol,
                "status": status,
                "independent": bool(getattr(fig, "independent", True)),
                "source": fig.source,
            }
        )
    return pd.DataFrame(rows)


def format_table(result: pd.DataFrame) -> str:
    def bn(v: float | None) -> str:
        return "-" if v is None or pd.isna(v) else f"{v / 1e9:,.3f} bn"

    lines = [
        f"{'figure':34} {'ours':>14} {'published':>14} {'diff':>8} {'within':>7} "
        f"{'confirms':>12}  status"
    ]
    for r in result.itertuples(index=False):
        diff = "-" if r.difference is None or pd.isna(r.difference) else f"{r.difference:+.1%}"
        kind = "yes" if r.independent else "no: Comtrade"
        lines.append(
            f"{r.figure:34} {bn(r.ours_usd):>14} {bn(r.published_usd):>14} "
            f"{diff:>8} {r.tolerance:>7.1%} {kind:>12}  {r.status}"
        )
    indep = result[result["independent"]]
    same = result[~result["independent"]]
    counts = indep["status"].value_counts().to_dict()
    lines.append(
        f"independent figures: pass {counts.get('pass', 0)}, FAIL "
        f"{counts.get('FAIL', 0)}, no data {counts.get('no data', 0)} (each within "
        f"its tolerance: {TOLERANCE:.0%}, or wider where the figure is rounded "
        "coarser)"
    )
    if len(same):
        sc = same["status"].value_counts().to_dict()
        lines.append(
            f"figures from UN Comtrade itself (a reading check, not a confirmation): "
            f"pass {sc.get('pass', 0)}, FAIL {sc.get('FAIL', 0)}, no data "
            f"{sc.get('no data', 0)}"
        )
    return "\n".join(lines)
