"""Published-figures check: China-reported totals in the flows table against the China
Customs headline figures shipped with the package (tradeviz/data/published_totals.csv).

Each figure is checked within its own tolerance: 2 %, or more when the figure as published
is too coarse for 2 % (0.08 bn is 0.075-0.085 bn, so ±6.25 %): `rounding_usd` is the unit of
its last published digit (for a figure computed from two published ones, the sum of both
units), and the tolerance is max(2 %, rounding_usd / 2 / value).

Only some agreements confirm anything, and the table says which (column `basis`):
- `comtrade`: a figure taken from UN Comtrade itself: agreeing with the source we built
  from proves only that we read it right;
- `derived`: arithmetic of other published figures (`derived` true in the CSV: an export
  figure as total minus imports, a region total as the sum of the five); it adds nothing
  beyond the figures it is made of;
- `synthetic`: the tables are synthetic (the demo), made *from* these figures, so
  agreement shows only that the calibration held;
- `independent`: the rest, the only ones counted as confirmation.
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
        f"independent, derived, source_url), like {published_path()}"
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

    def flag(column: str, default: bool) -> pd.Series:
        if column not in df:
            return pd.Series(default, df.index)
        text = df[column].str.strip().str.lower()
        return text == "true" if not default else text != "false"

    # a figure taken from UN Comtrade can never confirm a table built from UN Comtrade
    comtrade = ~flag("independent", True) | df["source"].str.contains("comtrade", case=False)
    df["derived"] = flag("derived", False)
    df["basis"] = "independent"
    df.loc[comtrade, "basis"] = "comtrade"
    df.loc[df["derived"], "basis"] = "derived"
    df["independent"] = df["basis"] == "independent"
    return df


def tables_to_check(chosen: Path | None) -> tuple[Path, str | None]:
    """The processed tables `tradeviz check` reads, and a note to print when they are not
    the ones asked for: the chosen data directory's; with none chosen, the tables charts,
    report and notebooks open (the checkout's data/, else after `make demo` the demo's
    demo-data/, the note then says so)."""
    if chosen is not None:
        return Path(chosen) / "processed", None
    from tradeviz import config
    from tradeviz.analysis.dataset import resolve_data_dir

    path, origin = resolve_data_dir(None)
    note = f"checking {origin}" if path.name == config.DEFAULT_DEMO_DIR.name else None
    return path / "processed", note


def tolerance_for(value_usd: float, rounding_usd: float) -> float:
    """max(2 %, half the rounding unit relative to the figure)."""
    if value_usd <= 0:
        return TOLERANCE
    return max(TOLERANCE, rounding_usd / 2 / value_usd)


def compare(
    flows: pd.DataFrame, published: pd.DataFrame, tolerance: float = TOLERANCE
) -> pd.DataFrame:
    """Rows: figure, ours, published, difference (share), tolerance, status (pass/FAIL/no
    data), basis (independent, derived, comtrade, or synthetic when our rows are) and
    independent (the basis is independent: the only rows that confirm anything)."""
    china = flows[
        (flows["source"] == "comtrade") & (flows["freq"] == "A") & (flows["reporter"] == "CHN")
    ]
    totals = pair_totals(china)
    # synthetic tables (the demo) were made from these figures: no figure can confirm them
    synthetic = "synthetic" in china and bool(china["synthetic"].any())
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
        basis = "synthetic" if synthetic else getattr(fig, "basis", "independent")
        rows.append(
            {
                "figure": fig.figure,
                "ours_usd": ours,
                "published_usd": fig.value_usd,
                "difference": diff,
                "tolerance": tol,
                "status": status,
                "basis": basis,
                "independent": basis == "independent",
                "source": fig.source,
            }
        )
    return pd.DataFrame(rows)


KIND = {
    "independent": "yes",
    "derived": "no: derived",
    "comtrade": "no: Comtrade",
    "synthetic": "no: SYNTHETIC",
}


def _counts(rows: pd.DataFrame) -> str:
    c = rows["status"].value_counts().to_dict()
    return f"pass {c.get('pass', 0)}, FAIL {c.get('FAIL', 0)}, no data {c.get('no data', 0)}"


def format_table(result: pd.DataFrame) -> str:
    """The comparison as text: one line per figure, then counts by basis; only independent
    figures are counted as confirmation, and synthetic tables are said to be so first."""

    def bn(v: float | None) -> str:
        return "-" if v is None or pd.isna(v) else f"{v / 1e9:,.3f} bn"

    basis = result["basis"] if "basis" in result else pd.Series("independent", result.index)
    lines = []
    if (basis == "synthetic").any():
        lines += [
            "SYNTHETIC data: these tables were made from the published figures below (the demo",
            "is calibrated to them), so agreeing with them confirms nothing; the check shows",
            "only that the calibration held.",
        ]
    lines.append(
        f"{'figure':34} {'ours':>14} {'published':>14} {'diff':>8} {'within':>7} "
        f"{'confirms':>13}  status"
    )
    for r, kind in zip(result.itertuples(index=False), basis, strict=True):
        diff = "-" if r.difference is None or pd.isna(r.difference) else f"{r.difference:+.1%}"
        lines.append(
            f"{r.figure:34} {bn(r.ours_usd):>14} {bn(r.published_usd):>14} "
            f"{diff:>8} {r.tolerance:>7.1%} {KIND[kind]:>13}  {r.status}"
        )
    indep = result[basis == "independent"]
    lines.append(
        f"independent figures: {_counts(indep)} (each within its tolerance: {TOLERANCE:.0%}, "
        "or wider where the figure is rounded coarser)"
    )
    notes = {
        "synthetic": "figures the synthetic data were made from (a calibration check, "
        "not a confirmation)",
        "derived": "derived figures (arithmetic of other published figures, not counted "
        "as independent)",
        "comtrade": "figures from UN Comtrade itself (a reading check, not a confirmation)",
    }
    for kind, text in notes.items():
        rows = result[basis == kind]
        if len(rows):
            lines.append(f"{text}: {_counts(rows)}")
    return "\n".join(lines)
