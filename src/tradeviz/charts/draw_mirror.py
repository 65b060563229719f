"""Renderers for mirror statistics: the gap in both directions per country, and the HS
chapters that explain most of it."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tradeviz.charts.base import (
    COUNTRY_COLORS,
    COUNTRY_NAMES,
    Info,
    grid_for,
    hide_unused,
    new_figure,
    panels,
    short,
    usd_scale,
    year_axis,
    ylabel_left,
)

CHINA = "CHN"


def mirror_gaps(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, the importer's report as % of the exporter's for both directions: 100 %
    means the two sides agree. Solid: goods China exports; dashed: goods China imports."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, sharex=True, sharey=True)
    has = data.dropna(subset=["ratio"])
    top = max(150.0, float(has["ratio"].quantile(0.95)) * 100 * 1.15) if len(has) else 200
    for ax, iso, d in panels(
        axes, info.countries, has, "country", "one side reports nothing:\nno comparison"
    ):
        color = COUNTRY_COLORS[iso]
        notes = []
        for exporter, ls, what in ((CHINA, "-", "China→"), (iso, "--", "→China")):
            f = d[d["exporter"] == exporter].sort_values("year")
            if f.empty:
                notes.append(f"{what}: not reported")
                continue
            ax.plot(f["year"], (f["ratio"] * 100).clip(upper=top), color=color, ls=ls, marker="o")
            last = f.iloc[-1]
            notes.append(f"{what} {int(last['year'])}: {last['ratio']:.0%}")
        ax.axhline(100, color="#555555", lw=0.8)
        ax.set_ylim(0, top)
        ylabel_left(ax, "importer's report, % of exporter's")
        ax.text(0.02, 0.97, "\n".join(notes), transform=ax.transAxes, va="top", fontsize=7.5)
        year_axis(ax)
    spare = hide_unused(axes, len(info.countries))
    handles = [
        Line2D(
            [],
            [],
            color="#555555",
            marker="o",
            label="China's exports: partner's reported imports (CIF)\n"
            "as % of China's reported exports (FOB)",
        ),
        Line2D(
            [],
            [],
            color="#555555",
            ls="--",
            marker="o",
            label="China's imports: China's reported imports (CIF)\n"
            "as % of the partner's reported exports (FOB)",
        ),
    ]
    if spare:
        spare[0].legend(handles=handles, loc="center", frameon=False, fontsize=8)
    else:
        fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize=8)
    return fig


def mirror_chapters(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, the chapters with the largest gaps in the latest year, both directions:
    bars right of zero are where the importer reports more than the exporter."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, figsize=(13, 7.5))
    for ax, iso, d in panels(
        axes, info.countries, data, "country", "one side reports nothing:\nno comparison"
    ):
        div, unit = usd_scale(d["gap_usd"].abs().max())  # each panel its own scale
        rows = d.sort_values(
            ["exporter", "rank"],
            key=lambda s: s.map({CHINA: 0}).fillna(1) if s.name == "exporter" else s,
        )
        labels = [
            f"{'China→' if e == CHINA else '→China'} {ch} {short(desc, 22)}"
            for e, ch, desc in zip(
                rows["exporter"], rows["chapter"], rows["description"], strict=True
            )
        ]
        colors = [COUNTRY_COLORS[iso] if e == CHINA else "#8c8c8c" for e in rows["exporter"]]
        ax.barh(labels, rows["gap_usd"] / div, color=colors)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.invert_yaxis()
        ax.set_xlabel(f"gap, {unit}")
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
    spare = hide_unused(axes, len(info.countries))
    if spare and len(data):
        spare[0].text(
            0.5,
            0.5,
            f"Year {int(data['year'].max())}.\nGap = what the importer "
            "reports\nminus what the exporter reports.\nColoured: goods China "
            "exports;\ngrey: goods China imports.\nShare of each direction's gap "
            "in the CSV.",
            ha="center",
            va="center",
            fontsize=8.5,
            transform=spare[0].transAxes,
        )
    return fig


__all__ = ["COUNTRY_NAMES", "mirror_chapters", "mirror_gaps"]
