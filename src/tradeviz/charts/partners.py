"""Who trades with Central Asia (issue 13): per country, the shares of China, Russia, the
EU, Türkiye and the rest of the world over time, with the year China became first partner
marked; and a rank table of each country's largest partners in the latest year.

Data functions take a Dataset and return exactly what is drawn; renderers take that frame
and the chart Info. `SPEC_ARGS` is what the chart registry turns into its Specs. Years on
mirror data (the country did not report: Turkmenistan in most years) are hatched and
labelled as estimates; years with fewer than MIN_PARTNERS partner countries (the partners
plan not fetched) are left out, and the panel says so.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tradeviz.analysis.partners import (
    HEADLINE_COLUMNS,
    MIN_PARTNERS,
    china_first_year,
    headline_shares,
)
from tradeviz.charts.base import (
    COUNTRY_NAMES,
    Info,
    empty,
    grid_for,
    hide_unused,
    new_figure,
    wrap,
    year_axis,
    ylabel_left,
)
from tradeviz.vocab.countries import CA_ISO3

HEADLINE_COLORS = {
    "CHN": "#c0392b",
    "RUS": "#2c3e50",
    "EU": "#2e86de",
    "TUR": "#e67e22",
    "rest": "#cfd8dc",
}
HEADLINE_LABELS = {
    "CHN": "China",
    "RUS": "Russia",
    "EU": "EU (members of the year)",
    "TUR": "Türkiye",
    "rest": "Rest of the world (incl. unallocated)",
}
NO_PARTNERS = f"fewer than {MIN_PARTNERS} partners:\nrun tradeviz fetch comtrade\n--plan partners"
TOP = 8
# the rank table's columns: the data of the partner_ranks chart and its CSV
RANK_COLUMNS = [
    "country",
    "year",
    "rank",
    "partner",
    "partner_name",
    "value_usd",
    "share",
    "basis",
    "is_estimate",
    "synthetic",
]


def _countries(ds) -> list[str]:
    return list(ds.countries or CA_ISO3)


def who_trades_data(ds) -> pd.DataFrame:
    """Per country and year: share of China, Russia, the EU, Türkiye and the rest in its
    total trade (own reports where it reported, else partners' mirror reports), with
    basis, is_estimate and the year China became first partner (`china_first`, "not yet")."""
    frames = []
    for iso in _countries(ds):
        table = ds.partners(iso, side="best")
        table = table[table["n_partners"] >= MIN_PARTNERS]
        if table.empty:
            continue
        first = china_first_year(pd.DataFrame(), iso, sides=("best",), table=table).iloc[0]
        shares = headline_shares(table)
        shares["china_first"] = first["label"]
        shares["china_first_year"] = first["first_year"]
        frames.append(shares)
    if not frames:
        return pd.DataFrame(columns=[*HEADLINE_COLUMNS, "china_first", "china_first_year"])
    return pd.concat(frames, ignore_index=True)


def who_trades_draw(data: pd.DataFrame, info: Info) -> Figure:
    """Stacked shares per country; mirror-estimate years hatched; China's first year as a
    dashed line."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, sharex=True, sharey=True)
    order = ["CHN", "RUS", "EU", "TUR", "rest"]
    for ax, iso in zip(axes, info.countries, strict=False):
        d = data[data["country"] == iso]
        name = COUNTRY_NAMES.get(iso, iso)
        if d.empty:
            ax.set_title(name, loc="left", fontsize=11)
            empty(ax, NO_PARTNERS)
            continue
        wide = (
            d.pivot_table(index="year", columns="partner", values="share")
            .reindex(columns=order)
            .fillna(0.0)
            .clip(lower=0)
            * 100
        )
        years = wide.index.to_numpy()
        estimate = d.groupby("year")["is_estimate"].any().reindex(wide.index)
        bottom = pd.Series(0.0, index=wide.index)
        for code in order:
            ax.bar(
                years,
                wide[code],
                bottom=bottom,
                width=0.85,
                color=HEADLINE_COLORS[code],
                edgecolor="white",
                linewidth=0.3,
                label=HEADLINE_LABELS[code],
            )
            bottom += wide[code]
        for year, is_est in estimate.items():
            if is_est:
                ax.bar(
                    year, 100, width=0.85, fill=False, hatch="///", edgecolor="#555555", linewidth=0
                )
        first = d["china_first_year"].iloc[0]
        label = str(d["china_first"].iloc[0])
        if pd.notna(first) and not label.endswith("or earlier"):
            ax.axvline(int(first) - 0.5, color="black", ls="--", lw=1.2)
            ax.annotate(
                f"China first\n(single countries)\nfrom {int(first)}",
                (int(first) - 0.5, 97),
                xytext=(3, 0),
                textcoords="offset points",
                fontsize=7.5,
                va="top",
            )
        basis = (
            "mirror estimates"
            if estimate.all()
            else ("partly mirror estimates" if estimate.any() else "own reports")
        )
        # first among single countries: the EU bar (27 members summed) may be larger
        headline = (
            f"China first among single countries since {label}"
            if label[0].isdigit()
            else (
                "China not yet first among single countries"
                if label == "not yet"
                else f"China first among single countries: {label}"
            )
        )
        ax.set_title(f"{name}\n{wrap(headline, 42)}\n{basis}", loc="left", fontsize=9.5)
        ax.set_ylim(0, 100)
        ylabel_left(ax, "% of total trade")
        year_axis(ax)
    spare = hide_unused(axes, len(info.countries))
    handles = [Patch(color=HEADLINE_COLORS[c], label=HEADLINE_LABELS[c]) for c in order]
    handles.append(
        Patch(
            fill=False,
            hatch="///",
            edgecolor="#555555",
            label="mirror estimate (partners' reports)",
        )
    )
    if spare:
        spare[0].legend(handles=handles, loc="center", frameon=False, fontsize=8.5)
    else:
        fig.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    return fig


def rank_table_data(ds, top: int = TOP) -> pd.DataFrame:
    """Each country's `top` largest partner countries by total trade in its latest year
    with partner data, with share, basis and whether it is an estimate."""
    frames = []
    for iso in _countries(ds):
        t = ds.partners(iso, side="best")
        t = t[(t["flow"] == "total") & (t["kind"] == "country") & (t["n_partners"] >= MIN_PARTNERS)]
        if t.empty:
            continue
        latest = t[t["year"] == t["year"].max()].sort_values("rank").head(top)
        frames.append(latest[RANK_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=RANK_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def rank_table_draw(data: pd.DataFrame, info: Info) -> Figure:
    """One small table per country: rank, partner, share; estimates marked with *."""
    nrows, ncols = grid_for(len(info.countries))
    fig, axes = new_figure(info, nrows, ncols)
    for ax, iso in zip(axes, info.countries, strict=False):
        d = data[data["country"] == iso]
        name = COUNTRY_NAMES.get(iso, iso)
        ax.axis("off")
        if d.empty:
            ax.set_title(name, loc="left", fontsize=11)
            empty(ax, NO_PARTNERS)
            continue
        estimate = bool(d["is_estimate"].any())
        year = int(d["year"].iloc[0])
        ax.set_title(
            f"{name}, {year}" + (" (mirror estimates*)" if estimate else " (own report)"),
            loc="left",
            fontsize=10,
        )
        cells = [
            [
                str(int(r.rank)),
                wrap(str(r.partner_name), 24, 1) + ("*" if r.is_estimate else ""),
                f"{r.share:.1%}",
            ]
            for r in d.itertuples(index=False)
        ]
        table = ax.table(
            cellText=cells,
            colLabels=["#", "partner", "share"],
            colWidths=[0.09, 0.62, 0.24],  # short of the panel's edge
            loc="upper center",
            cellLoc="left",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8.5)
        for (row, _), cell in table.get_celld().items():
            cell.set_edgecolor("#dddddd")
            if row and d.iloc[row - 1]["partner"] == "CHN":
                cell.set_facecolor("#fdecea")
    hide_unused(axes, len(info.countries))
    return fig


SIDE = (
    "each country's own report where it reported that year, else its partners' mirror "
    "reports (estimates: hatched or *); shares of its World total, partner rows that do "
    "not add up to World counted in the rest; EU = members of each year (EU28 to 2019, "
    "EU27 from 2020), summed from member rows"
)

# (name, data, draw, title, side, selection): the registry makes Specs of these.
SPEC_ARGS: tuple[dict, ...] = (
    {
        "name": "who_trades",
        "data": who_trades_data,
        "draw": who_trades_draw,
        "title": "Who trades with Central Asia: China, Russia, the EU, Türkiye and the rest",
        "side": SIDE,
        "selection": {
            "reporters": "each country, else every partner (mirror)",
            "partners": "all",
            "flow": "total",
            "side": "best",
        },
    },
    {
        "name": "partner_ranks",
        "data": rank_table_data,
        "draw": rank_table_draw,
        "title": lambda d: (
            "Largest partners of each Central Asian country, latest year"
            + (f" ({int(d['year'].max())})" if len(d) else "")
        ),
        "side": SIDE,
        "selection": {"flow": "total", "side": "best", "top": TOP},
    },
)
