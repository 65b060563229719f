"""Renderers for mirror statistics: the gap in both directions per country, and the HS
chapters that explain most of it."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tradeviz.analysis.formatting import direction
from tradeviz.charts.base import (
    COUNTRY_COLORS,
    COUNTRY_NAMES,
    Info,
    direct_label,
    grid_for,
    hide_unused,
    legend_under,
    new_figure,
    panel_scale,
    panels,
    wrap,
    year_axis,
    ylabel_left,
)

CHINA = "CHN"


def mirror_gaps(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, the importer's report as % of the exporter's for both directions: 100 %
    means the two sides agree. Solid: goods China exports (CHN→KAZ); dashed: goods China
    imports (KAZ→CHN); each line named at its end. One outlying year does not stretch the
    shared axis: values above it are clipped, marked ▲ and written out."""
    single = len(info.countries) == 1
    nrows, ncols = (1, 1) if single else grid_for(len(info.countries) + 1)
    fig, axes = new_figure(
        info,
        nrows,
        ncols,
        figsize=(11, 5) if single else None,
        sharex=True,
        sharey=True,
        legend_below=single,
    )
    has = data.dropna(subset=["ratio"])
    top = max(150.0, float(has["ratio"].quantile(0.95)) * 100 * 1.15) if len(has) else 200
    for ax, iso, d in panels(
        axes,
        info.countries,
        has,
        "country",
        "one side reports nothing,\nso there is nothing to compare",
    ):
        color = COUNTRY_COLORS[iso]
        notes = []
        for exporter, importer, ls in ((CHINA, iso, "-"), (iso, CHINA, "--")):
            what = direction(exporter, importer)
            f = d[d["exporter"] == exporter].sort_values("year")
            if f.empty:
                notes.append(f"{what}: not reported")
                continue
            pct = f["ratio"] * 100
            ax.plot(f["year"], pct.clip(upper=top), color=color, ls=ls, marker="o", label=what)
            last = f.iloc[-1]
            direct_label(ax, last["year"], min(last["ratio"] * 100, top), what, color)
            notes.append(f"{what} {int(last['year'])}: {last['ratio']:.0%}")
            over = f[pct > top]
            if len(over):
                ax.plot(over["year"], [top] * len(over), ls="none", marker="^", color=color)
                values = zip(over["year"], over["ratio"], strict=True)
                notes.append(
                    f"▲ {what} above the axis: " + ", ".join(f"{int(y)} {r:.0%}" for y, r in values)
                )
        ax.axhline(100, color="#555555", lw=0.8)
        ax.set_ylim(0, top)
        ylabel_left(ax, "importer's report, % of exporter's")
        ax.text(
            0.02,
            0.97,
            "\n".join(notes),
            transform=ax.transAxes,
            va="top",
            fontsize=7.5,
            in_layout=False,
        )
        year_axis(ax, room=2.4 if single else 3.6)
    spare = hide_unused(axes, len(info.countries))
    handles = [
        Line2D(
            [],
            [],
            color="#555555",
            marker="o",
            label="CHN→partner, China's exports: partner's reported imports (CIF)\n"
            "as % of China's reported exports (FOB)",
        ),
        Line2D(
            [],
            [],
            color="#555555",
            ls="--",
            marker="o",
            label="partner→CHN, China's imports: China's reported imports (CIF)\n"
            "as % of the partner's reported exports (FOB)",
        ),
    ]
    if spare:
        spare[0].legend(handles=handles, loc="center", frameon=False, fontsize=8)
    elif single:
        legend_under(fig, handles)
    else:
        fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize=8)
    return fig


def _bar_label(exporter: str, importer: str, chapter: str, label: str) -> str:
    """'CHN→KAZ 84 Machinery and mechanical appliances' on at most three lines."""
    return wrap(f"{direction(exporter, importer)} {chapter} {label}", 34, 3)


def mirror_chapters(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, the chapters with the largest gaps in the latest year, both directions:
    bars right of zero are where the importer reports more than the exporter. Each panel
    has its own unit (USD bn or mn), named on its axis."""
    nrows, ncols = grid_for(len(info.countries) + 1, 2 if len(info.countries) > 1 else 3)
    fig, axes = new_figure(info, nrows, ncols, figsize=(13, 4.8 * nrows + 1.2))
    for ax, iso, d in panels(
        axes,
        info.countries,
        data,
        "country",
        "one side reports nothing,\nso there is nothing to compare",
    ):
        div, unit = panel_scale(d["gap_usd"])  # each panel its own scale
        rows = d.sort_values(
            ["exporter", "rank"],
            key=lambda s: s.map({CHINA: 0}).fillna(1) if s.name == "exporter" else s,
        )
        text = rows["label"] if "label" in rows else rows["description"]
        labels = [
            _bar_label(e, i, ch, str(t))
            for e, i, ch, t in zip(
                rows["exporter"], rows["importer"], rows["chapter"], text, strict=True
            )
        ]
        colors = [COUNTRY_COLORS[iso] if e == CHINA else "#8c8c8c" for e in rows["exporter"]]
        bars = ax.barh(labels, rows["gap_usd"] / div, color=colors)
        # each bar's value written at its end: a gap too small to see still reads
        values = rows["gap_usd"] / div
        texts = [f"{v:+.2f}" if abs(v) < 10 else f"{v:+,.0f}" for v in values]
        ax.bar_label(bars, labels=texts, fontsize=6.5, padding=2)
        ax.margins(x=0.12)
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
            "exports (CHN→…);\ngrey: goods China imports (…→CHN).\nEach panel has its "
            "own scale (USD bn or mn).\nShare of each direction's gap in the CSV.",
            ha="center",
            va="center",
            fontsize=8.5,
            transform=spare[0].transAxes,
        )
    return fig


__all__ = ["COUNTRY_NAMES", "mirror_chapters", "mirror_gaps"]
