"""Renderers for products and focus areas: composition by area (the partial remainder drawn
as such), top products (labels code + description; a dwarfing product's bar broken and its
value written), energy and minerals, agriculture, ICT."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from tradeviz.charts.base import (
    COUNTRY_COLORS,
    COUNTRY_NAMES,
    Info,
    draw_events,
    empty,
    fmt_usd,
    grid_for,
    hide_unused,
    new_figure,
    panels,
    usd_scale,
    wrap,
    year_axis,
)
from tradeviz.vocab.areas import AREA_KEYS, COLORS, LABELS

PARTIAL_COLOR = "#f2f2f2"
PARTIAL_HATCH = "////"
PARTIAL_LABEL = "Partly in a focus area\n(codes that also hold other goods)"
ICT_COLORS = {
    "communication equipment": "#1f77b4",
    "computers and peripheral equipment": "#17becf",
    "consumer electronic equipment": "#9467bd",
    "electronic components": "#aec7e8",
    "miscellaneous ICT goods": "#393b79",
}
MINERAL_COLORS = {"Copper": "#b87333", "Uranium": "#4daf4a", "Other critical minerals": "#7f7f7f"}
DWARF = 3.0  # a bar more than this many times the next one gets a broken axis
LABEL_LINE = 42  # characters per line of a product label beside its bar


def focus_composition(data: pd.DataFrame, info: Info) -> Figure:
    """Stacked value and share per year: fully attributed areas in their colours, the partial
    remainder hatched, other trade light grey."""
    fig, axes = new_figure(info, 1, 2)
    if data.empty:
        for ax in axes:
            empty(ax, "no HS-level rows")
        return fig
    order = [a for a in (*AREA_KEYS, "partial", "other") if a in set(data["area"])]
    table = data.pivot_table(
        index="year", columns="area", values="value_usd", aggfunc="sum", fill_value=0.0
    )[order]
    share = table.div(table.sum(axis=1), axis=0) * 100
    div, unit = usd_scale(table.sum(axis=1).max())
    labels = {**LABELS, "partial": PARTIAL_LABEL, "other": "Other trade"}
    colors = {**COLORS, "partial": PARTIAL_COLOR, "other": "#d9d9d9"}
    for ax, tab, ylabel in (
        (axes[0], table / div, unit),
        (axes[1], share, "% of China–Central Asia trade"),
    ):
        bottom = None
        for area in order:
            vals = tab[area]
            ax.bar(
                tab.index,
                vals,
                bottom=bottom,
                width=0.75,
                color=colors[area],
                hatch=PARTIAL_HATCH if area == "partial" else None,
                edgecolor="#999999" if area == "partial" else "white",
                linewidth=0.4,
                label=labels[area],
            )
            bottom = vals if bottom is None else bottom + vals
        ax.set_ylabel(ylabel)
        year_axis(ax)
    axes[0].set_title("Value (China's exports + imports)")
    axes[1].set_title("Share")
    axes[1].set_ylim(0, 100)
    draw_events(axes[0])
    handles, labs = axes[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labs[::-1], loc="outside right center", frameon=False, fontsize=8.5)
    return fig


def _area_color(area: str) -> str:
    return PARTIAL_COLOR if area == "partial" else COLORS.get(area, COLORS["other"])


def _label(code: str, label: str) -> str:
    """'640299 Footwear, rubber or plastic soles and uppers' wrapped between words."""
    return wrap(f"{code} {label}".strip(), LABEL_LINE, 3)


def _barh_broken(
    ax: Axes,
    labels: list[str],
    values: pd.Series,
    colors: list[str],
    hatches: list[str | None],
) -> str:
    """Horizontal bars of USD `values`; when the largest dwarfs the next one, its bar is
    cut at the axis end, marked with a break and its value written on it. The unit (USD
    bn or mn) fits the axis as drawn, not the cut bar; returns it."""
    usd = [float(v) for v in values]
    ordered = sorted(usd, reverse=True)
    cut = len(ordered) > 1 and ordered[1] > 0 and ordered[0] > DWARF * ordered[1]
    div, unit = usd_scale(ordered[1] * 1.6 if cut else (ordered[0] if ordered else 0.0))
    vals = [v / div for v in usd]
    limit = vals[usd.index(ordered[1])] * 1.6 if cut else (max(vals) * 1.05 if vals else 1)
    shown = [min(v, limit) for v in vals]
    bars = ax.barh(labels, shown, color=colors, edgecolor="#999999", linewidth=0.4)
    for bar, hatch in zip(bars, hatches, strict=True):
        if hatch:
            bar.set_hatch(hatch)
    ax.set_xlim(0, limit * 1.02)
    if cut:
        i = usd.index(ordered[0])
        y = bars[i].get_y() + bars[i].get_height() / 2
        ax.plot([limit * 0.90, limit * 0.93], [y - 0.45, y + 0.45], color="white", lw=3)
        ax.text(
            limit * 0.86,
            y,
            f"{fmt_usd(ordered[0])} ▶",
            ha="right",
            va="center",
            fontsize=7.5,
            color="white",
            fontweight="bold",
        )
    ax.invert_yaxis()
    return unit


def top_products(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, its top products as horizontal bars coloured by focus area (hatched
    when only partly in one); labels are HS code + label (wrapped, never cut mid-word);
    each panel in its own unit (USD bn or mn)."""
    nrows, ncols = grid_for(len(info.countries) + 1, 2)
    fig, axes = new_figure(info, nrows, ncols, figsize=(13, 3.6 * nrows + 1.2))
    for ax, _iso, d in panels(axes, info.countries, data, "country", "no product rows"):
        d = d.sort_values("rank")
        text = d["label"] if "label" in d else d["description"]
        labels = [_label(c, str(t)) for c, t in zip(d["hs_code"], text, strict=True)]
        unit = _barh_broken(  # each panel in its own unit
            ax,
            labels,
            d["value_usd"],
            [_area_color(a) for a in d["area"]],
            [PARTIAL_HATCH if a == "partial" else None for a in d["area"]],
        )
        ax.set_xlabel(unit)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
    spare = hide_unused(axes, len(info.countries))
    used = [a for a in (*AREA_KEYS, "partial", "other") if a in set(data.get("area", []))]
    handles = [
        Patch(
            facecolor=_area_color(a),
            edgecolor="#999999",
            hatch=PARTIAL_HATCH if a == "partial" else None,
            label=PARTIAL_LABEL.split("\n")[0] if a == "partial" else LABELS[a],
        )
        for a in used
    ]
    if spare:
        spare[0].legend(
            handles=handles, loc="center", frameon=False, title="Focus area", fontsize=8.5
        )
    elif handles:
        fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize=8)
    return fig


def _stacked(ax: Axes, data: pd.DataFrame, by: str, colors: dict, names: dict | None) -> None:
    """Bars per year stacked by `by`; full matches in colour, the partial remainder of all
    series on top, hatched. Legend under the axes."""
    full = data[data["match"] == "full"].pivot_table(
        index="year", columns=by, values="value_usd", aggfunc="sum", fill_value=0.0
    )
    partial = data[data["match"] == "partial"].groupby("year")["value_usd"].sum()
    years = sorted(set(full.index) | set(partial.index))
    full = full.reindex(years, fill_value=0.0)
    partial = partial.reindex(years, fill_value=0.0)
    div, unit = usd_scale((full.sum(axis=1) + partial).max())
    bottom = pd.Series(0.0, index=years)
    for col in full.columns:
        ax.bar(
            years,
            full[col] / div,
            bottom=bottom,
            width=0.75,
            color=colors.get(col, "#999999"),
            label=(names or {}).get(col, col),
        )
        bottom = bottom + full[col] / div
    if partial.sum() > 0:
        ax.bar(
            years,
            partial / div,
            bottom=bottom,
            width=0.75,
            color=PARTIAL_COLOR,
            hatch=PARTIAL_HATCH,
            edgecolor="#999999",
            linewidth=0.4,
            label="Partly in the area (code also holds other goods)",
        )
        bottom = bottom + partial / div
    ax.set_ylabel(unit)
    ax.set_ylim(0, float(bottom.max()) * 1.15 if len(bottom) else 1)
    year_axis(ax)
    ax.legend(  # bars need no long handle: two short columns stay inside the figure
        loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8.5, handlelength=2
    )


def energy_minerals(data: pd.DataFrame, info: Info) -> Figure:
    fig, axes = new_figure(info, 1, 2)
    gas = data[data["panel"] == "pipeline gas"]
    mins = data[data["panel"] == "critical minerals"]
    axes[0].set_title("Natural gas by pipeline (HS 271121), by exporting country")
    if gas.empty:
        empty(axes[0], "no pipeline-gas imports")
    else:
        _stacked(axes[0], gas, "series", COUNTRY_COLORS, COUNTRY_NAMES)
        draw_events(axes[0], tuple(sorted(set(gas["series"]))))
    axes[1].set_title("Critical minerals (copper, uranium, other)")
    if mins.empty:
        empty(axes[1], "no critical-mineral imports")
    else:
        _stacked(axes[1], mins, "series", MINERAL_COLORS, None)
    return fig


def _one_area(
    data: pd.DataFrame, info: Info, by: str, colors: dict, names: dict | None, message: str
) -> Figure:
    fig, (ax,) = new_figure(info, figsize=(10, 6))
    if data.empty:
        empty(ax, message)
        return fig
    _stacked(ax, data, by, colors, names)
    draw_events(ax, info.countries)
    return fig


def agriculture_imports(data: pd.DataFrame, info: Info) -> Figure:
    return _one_area(
        data, info, "country", COUNTRY_COLORS, COUNTRY_NAMES, "no agricultural imports"
    )


def ict_exports(data: pd.DataFrame, info: Info) -> Figure:
    return _one_area(data, info, "category", ICT_COLORS, None, "no ICT exports")


__all__ = [
    "agriculture_imports",
    "energy_minerals",
    "focus_composition",
    "ict_exports",
    "top_products",
]
