"""Renderers for trade levels and shares: totals (with the CA5 panel), growth, China's share
from both sides, IMF against Comtrade, the latest months. Each draws the frame its data
function returned on a new Figure; none selects or reshapes data."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tradeviz.charts.base import (
    COUNTRY_COLORS,
    COUNTRY_NAMES,
    Info,
    direct_label,
    draw_events,
    empty,
    event_key,
    events_in,
    grid_for,
    hide_unused,
    legend_under,
    new_figure,
    panels,
    usd_scale,
    year_axis,
    ylabel_left,
)

CA5 = "CA5"
SINGLE = (11, 5)  # one country's chart: one panel, the page's full width
CLIP_SHARE = 1.05  # the share axis ends here: above 100 % is a mirror gap, not a share


def _with_ca5(info: Info) -> tuple[str, ...]:
    return (*info.countries, CA5) if info.all_countries else info.countries


def _legend_or_key(fig: Figure, spare: list, handles: list, labels: list, key: str) -> None:
    """The legend (and the events key) in the first spare panel, else under the figure."""
    text = f"{key}" if key else ""
    if spare:
        ax = spare[0]
        ax.legend(handles, labels, loc="upper center", frameon=False)
        if text:
            ax.text(
                0.5,
                0.05,
                "Dotted lines: policy events\n" + text,
                ha="center",
                va="bottom",
                fontsize=7.5,
                color="#555555",
                transform=ax.transAxes,
            )
        return
    legend_under(fig, handles, labels)
    if text:  # under the title, where a long title cannot run into it
        fig.text(
            0.01,
            0.935,
            "Dotted lines, policy events: " + text.replace("\n", "; "),
            ha="left",
            va="top",
            fontsize=7.5,
            color="#555555",
        )


def _numbers(data: pd.DataFrame, countries: tuple[str, ...]) -> tuple[dict, str]:
    if data.empty:
        return {}, ""
    lo, hi = float(data["year"].min()), float(data["year"].max()) + 0.5
    return event_key(events_in(lo, hi, countries if CA5 not in countries else None))


def total_trade(data: pd.DataFrame, info: Info) -> Figure:
    """One panel per country (and Central Asia as a whole): exports and imports as lines,
    the balance as bars; the CA5 panel has its own scale."""
    shown = _with_ca5(info)
    nrows, ncols = _grid(shown)
    fig, axes = new_figure(
        info,
        nrows,
        ncols,
        figsize=SINGLE if len(shown) == 1 else None,
        sharex=True,
        legend_below=nrows * ncols == len(shown),
    )
    div, unit = usd_scale(
        data.loc[data["partner"] != CA5, ["exports_usd", "imports_usd"]].abs().max().max()
        if len(data)
        else 0
    )
    numbers, key = _numbers(data, info.countries)
    for ax, iso, d in panels(axes, shown, data, "partner", "no data"):
        dv, un = usd_scale(d["total_usd"].max()) if iso == CA5 else (div, unit)
        color = COUNTRY_COLORS[iso]
        ax.bar(
            d["year"],
            d["balance_usd"] / dv,
            color="#cccccc",
            width=0.7,
            label="Balance (China's surplus)",
        )
        ax.plot(d["year"], d["exports_usd"] / dv, color=color, marker="o", label="China's exports")
        ax.plot(
            d["year"],
            d["imports_usd"] / dv,
            color=color,
            ls="--",
            marker="o",
            label="China's imports",
        )
        ax.axhline(0, color="#555555", lw=0.6)
        _end_labels(ax, d, dv, color)
        ax.set_ylabel(un)
        year_axis(ax, room=2.1)
        draw_events(ax, None if iso == CA5 else (iso,), numbers=numbers)
        if iso == CA5:
            ax.set_title(COUNTRY_NAMES[CA5], fontweight="bold")
    handles = [
        Line2D([], [], color="#555555", marker="o", label="China's exports"),
        Line2D([], [], color="#555555", ls="--", marker="o", label="China's imports"),
        Patch(color="#cccccc", label="Balance (China's surplus)"),
    ]
    spare = hide_unused(axes, len(shown))
    _legend_or_key(fig, spare, handles, [h.get_label() for h in handles], key)
    return fig


def _grid(shown: tuple[str, ...]) -> tuple[int, int]:
    """One full-width panel for one country (its legend under it), else small multiples
    with a spare panel for the legend when there is room."""
    if len(shown) == 1:
        return 1, 1
    return grid_for(len(shown) if len(shown) > 2 else len(shown) + 1)


def _end_labels(ax, d: pd.DataFrame, div: float, color: str) -> None:
    """'exports' and 'imports' written at the lines' last points, the upper one above."""
    last = d.dropna(subset=["exports_usd", "imports_usd"]).tail(1)
    if last.empty:
        return
    r = last.iloc[0]
    span = max(abs(d["exports_usd"]).max(), abs(d["imports_usd"]).max(), 1.0)
    close = abs(r["exports_usd"] - r["imports_usd"]) < span / 10
    up = 1.0 if r["exports_usd"] >= r["imports_usd"] else -1.0
    direct_label(ax, r["year"], r["exports_usd"] / div, "exports", color, 5 * up * close)
    direct_label(ax, r["year"], r["imports_usd"] / div, "imports", color, -5 * up * close)


def trade_growth(data: pd.DataFrame, info: Info) -> Figure:
    """Year-on-year change of total trade per country, as bars around zero."""
    shown = _with_ca5(info)
    nrows, ncols = grid_for(len(shown))
    fig, axes = new_figure(info, nrows, ncols, sharex=True, sharey=True)
    d0 = data.dropna(subset=["yoy"])
    lim = max(0.25, float(d0["yoy"].abs().quantile(0.95)) * 1.15) * 100 if len(d0) else 50
    for ax, iso, d in panels(axes, shown, d0, "partner", "fewer than two years"):
        colors = ["#2b8cbe" if v >= 0 else "#d7301f" for v in d["yoy"]]
        ax.bar(d["year"], d["yoy"] * 100, color=colors, width=0.7)
        ax.axhline(0, color="#555555", lw=0.6)
        ax.set_ylim(-lim, lim)
        for x, v in zip(d["year"], d["yoy"], strict=True):  # cut at the axis: say the value
            if abs(v * 100) > lim:
                ax.annotate(
                    f"{v:+.0%}",
                    (x, lim if v > 0 else -lim),
                    ha="center",
                    va="top" if v > 0 else "bottom",
                    fontsize=6.5,
                    color="white",
                    fontweight="bold",
                    rotation=90,
                    xytext=(0, -3 if v > 0 else 3),
                    textcoords="offset points",
                )
        last = d.iloc[-1]
        cagr = (
            (f"\nCAGR {int(last['base_year'])}–{int(last['year']) % 100:02d}: {last['cagr']:+.1%}")
            if pd.notna(last["cagr"])
            else ""
        )
        name = "Central Asia" if iso == CA5 else COUNTRY_NAMES[iso]
        ax.set_title(name + cagr, fontweight="bold" if iso == CA5 else None)
        ylabel_left(ax, "% change on previous year")
        year_axis(ax)
    hide_unused(axes, len(shown))
    return fig


def china_share(data: pd.DataFrame, info: Info) -> Figure:
    """China's share of each country's trade: the country's own report against China's
    report of the same trade, both over the country's reported World total."""
    single = len(info.countries) == 1
    nrows, ncols = (1, 1) if single else grid_for(len(info.countries) + 1)
    fig, axes = new_figure(
        info,
        nrows,
        ncols,
        figsize=SINGLE if single else None,
        sharex=True,
        sharey=True,
        legend_below=single,
    )
    cols = ["share_partner_reported", "share_china_reported"]
    top = data[cols].max().max() if len(data) else 0.5
    # a share is at most 100 %: a line above it is a mirror gap, clipped and explained
    top = min(max(0.5, float(top) * 1.15 if pd.notna(top) else 0.5), CLIP_SHARE) * 100
    has = data.dropna(subset=cols, how="all")
    numbers, key = _numbers(has, info.countries)
    for ax, iso, d in panels(
        axes, info.countries, has, "country", "the country reports no\ntrade with the World"
    ):
        color = COUNTRY_COLORS[iso]
        ends = d.dropna(subset=cols).tail(1)
        # the upper line's label above, the lower one's below, when the two ends are close
        apart = 0.0 if ends.empty else float(ends[cols[0]].iat[0] - ends[cols[1]].iat[0])
        for col, ls, name, sign in ((cols[0], "-", "own", 1), (cols[1], "--", "China's", -1)):
            ax.plot(
                d["year"],
                (d[col] * 100).clip(upper=top),
                color=color,
                ls=ls,
                marker="o",
                label=name,
            )
            dy = 0.0 if abs(apart) * 100 > top / 12 else (5.0 if apart * sign >= 0 else -5.0)
            last = d.dropna(subset=[col]).tail(1)
            for r in last.itertuples(index=False):
                v = getattr(r, col)
                direct_label(ax, r.year, min(v * 100, top), f"{name} {v:.0%}", color, dy)
        over = d[d[cols[1]] * 100 > top]
        if len(over):
            ax.plot(over["year"], [top] * len(over), ls="none", marker="^", color=color)
            ax.text(
                0.02,
                0.9,
                f"▲ China's report: {over[cols[1]].max():.0%} of the\ncountry's own World "
                "total, more than\nall its trade: a mirror gap, not a share\n"
                f"(line clipped at {top:.0f} %)",
                transform=ax.transAxes,
                va="top",
                fontsize=7,
                color="#444444",
                in_layout=False,
            )
        ax.set_ylim(0, top)
        ylabel_left(ax, "% of the country's trade")
        year_axis(ax, room=2.2 if single else 3.4)
        draw_events(ax, (iso,), numbers=numbers)
    handles = [
        Line2D(
            [], [], color="#555555", marker="o", label="China's share as the country reports it"
        ),
        Line2D(
            [],
            [],
            color="#555555",
            ls="--",
            marker="o",
            label="China-reported trade over the\ncountry's World total",
        ),
    ]
    spare = hide_unused(axes, len(info.countries))
    _legend_or_key(fig, spare, handles, [h.get_label() for h in handles], key)
    return fig


def imf_vs_comtrade(data: pd.DataFrame, info: Info) -> Figure:
    """The two sources' difference in % per country (exports solid, imports dotted): a
    line at zero means they agree."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, sharex=True, sharey=True)
    lim = max(2.0, float(data["difference"].abs().max()) * 100 * 1.2) if len(data) else 5
    for ax, iso, d in panels(axes, info.countries, data, "country", "no years in both sources"):
        for flow, ls in (("export", "-"), ("import", ":")):
            f = d[d["flow"] == flow]
            ax.plot(
                f["year"],
                f["difference"] * 100,
                color=COUNTRY_COLORS[iso],
                ls=ls,
                marker="o",
                label=f"China's {flow}s",
            )
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_ylim(-lim, lim)
        ylabel_left(ax, "IMF vs Comtrade, %")
        year_axis(ax)
    spare = hide_unused(axes, len(info.countries))
    handles = [
        Line2D([], [], color="#555555", marker="o", label="China's exports"),
        Line2D([], [], color="#555555", ls=":", marker="o", label="China's imports"),
    ]
    _legend_or_key(fig, spare, handles, [h.get_label() for h in handles], "")
    if spare and len(data):
        worst = data.loc[data["difference"].abs().idxmax()]
        spare[0].text(
            0.5,
            0.35,
            f"Largest difference: {COUNTRY_NAMES[worst['country']]},\n"
            f"China's {worst['flow']}s {int(worst['year'])}: "
            f"{worst['difference']:+.1%}",
            ha="center",
            fontsize=8,
            transform=spare[0].transAxes,
        )
    return fig


def latest_months(data: pd.DataFrame, info: Info) -> Figure:
    """China's monthly exports and imports with each country over the latest months."""
    fig, axes = new_figure(info, 1, 2, sharey=False)
    d = data[data["partner"] != CA5].copy()
    if len(d):
        d["period_dt"] = pd.to_datetime(d["period"] + "-01")
    for ax, col, what in zip(
        axes, ("exports_usd", "imports_usd"), ("exports", "imports"), strict=True
    ):
        ax.set_title(f"China's {what}")
        if d.empty or d[col].isna().all():
            empty(ax, "no monthly data")
            continue
        div, unit = usd_scale(d[col].max())
        for iso, g in d.groupby("partner", sort=False):
            ax.plot(
                g["period_dt"],
                g[col] / div,
                color=COUNTRY_COLORS[iso],
                marker="o",
                label=COUNTRY_NAMES[iso],
            )
        ax.set_ylabel(unit + " per month")
        ax.tick_params(axis="x", labelrotation=45)
        import matplotlib.dates as mdates

        ax.xaxis.set_major_locator(mdates.MonthLocator(interval=2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right center", frameon=False)
    return fig
