"""Charts of structure and complementarity (issue 20): TCI in both directions over time, an
RCA heat map of the focus-area products, China's imports split into prices and volumes,
and the agricultural export-potential table. Each is a Chart written by charts.export with
its CSV and JSON sidecars. Data come from the Dataset methods of analysis/structure.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tradeviz.analysis import structure_findings as SF
from tradeviz.analysis.dataset import Dataset
from tradeviz.charts.base import (
    COUNTRY_COLORS,
    COUNTRY_NAMES,
    Chart,
    Info,
    caption,
    grid_for,
    hide_unused,
    new_figure,
    panels,
    style,
    usd_scale,
    wrap,
    year_axis,
    ylabel_left,
)
from tradeviz.vocab.countries import CA_ISO3, CHINA

CHN = CHINA.iso3
WORLD_SIDE = "reporters' own reports with the World (world layer)"


# ------------------------------------------------------------------------------ data
def _level(ds: Dataset, level: int | None) -> int:
    """The level asked for, else the finest the world layer holds (the one-line missing-layer
    error at HS6 when it holds none)."""
    from tradeviz.analysis.structure_findings import world_level

    return level or world_level(ds) or 6


def _countries(ds: Dataset, countries) -> tuple[str, ...]:
    return tuple(countries or ds.countries or CA_ISO3)


def tci_data(ds: Dataset, countries=None, level: int | None = None) -> pd.DataFrame:
    """TCI China->country and country->China per year, one row each (the view's countries,
    the world layer's finest level unless given)."""
    countries, level = _countries(ds, countries), _level(ds, level)
    parts = [
        ds.complementarity(a, b, level=level) for c in countries for a, b in ((CHN, c), (c, CHN))
    ]
    out = pd.concat(parts, ignore_index=True)
    out["country"] = np.where(out["exporter"] == CHN, out["importer"], out["exporter"])
    return out


def rca_data(
    ds: Dataset, countries=None, level: int | None = None, per_country: int = 4
) -> pd.DataFrame:
    """Latest-year RCA of the focus-area products: for each country, its `per_country`
    focus-area products of highest RCA (among those over 0.1 % of its exports), and every
    country's RCA in the union of those products (0 where it exports none)."""
    from tradeviz.analysis.structure import _area_text

    countries, level = _countries(ds, countries), _level(ds, level)
    tags = _area_text(level)
    frames = {c: ds.rca(c, level=level) for c in countries}
    year = max(int(f["year"].max()) for f in frames.values() if len(f))
    picked: list[str] = []
    for f in frames.values():
        f = f[(f["year"] == year) & f["hs_code"].isin(list(tags))]
        f = f[f["value_usd"] > 0.001 * f["reporter_total_usd"]]
        picked += [k for k in f.nlargest(per_country, "rca")["hs_code"] if k not in picked]
    rows = []
    for c, f in frames.items():
        f = f[f["year"] == year].set_index("hs_code")
        for k in picked:
            rca = float(f["rca"].get(k, 0.0))
            rows.append({"country": c, "year": year, "hs_code": k, "rca": rca})
    out = pd.DataFrame(rows)
    out["rca_sym"] = (out["rca"] - 1) / (out["rca"] + 1)
    out["areas"] = out["hs_code"].map(tags)
    from tradeviz.analysis.structure import _descriptions

    out["description"] = out["hs_code"].map(_descriptions()).fillna("")
    out["synthetic"] = bool(any(f["synthetic"].any() for f in frames.values() if len(f)))
    return out


def price_volume_data(ds: Dataset, countries=None, flow: str = "import") -> pd.DataFrame:
    """China's imports from (or exports to) each country: value change split into price
    and volume points, per year."""
    countries = _countries(ds, countries)
    parts = [ds.price_volume(CHN, c, flow) for c in countries]
    out = pd.concat(parts, ignore_index=True)
    out["country"] = out["partner"]
    return out


def potential_data(
    ds: Dataset, countries=None, area: str = "agriculture", n: int = 3, level: int | None = None
) -> pd.DataFrame:
    """Latest year's `n` largest potential gaps in China per country, in one focus area."""
    countries, level = _countries(ds, countries), _level(ds, level)
    parts = []
    for c in countries:
        p = SF.potential(ds, c, level, n, area)
        if len(p):
            parts.append(p[p["year"] == p["year"].max()])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ----------------------------------------------------------------------------- drawing
def tci_figure(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, TCI of China's exports with its imports (solid) and of its exports
    with China's imports (dashed), 0-100."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, sharex=True, sharey=True)
    for ax, iso, d in panels(axes, info.countries, data, "country", "no world-layer rows"):
        color = COUNTRY_COLORS[iso]
        notes = []
        for ex, ls, what in ((CHN, "-", "China→"), (iso, "--", "→China")):
            f = d[d["exporter"] == ex].sort_values("year")
            if f.empty:
                notes.append(f"{what}: no report")
                continue
            ax.plot(f["year"], f["tci"], color=color, ls=ls, marker="o")
            notes.append(f"{what} {int(f['year'].iat[-1])}: {f['tci'].iat[-1]:.0f}")
        ax.set_ylim(0, 100)
        ylabel_left(ax, "TCI (0-100)")
        ax.text(0.02, 0.97, "\n".join(notes), transform=ax.transAxes, va="top", fontsize=8)
        year_axis(ax)
    spare = hide_unused(axes, len(info.countries))
    handles = [
        Line2D(
            [], [], color="#555555", marker="o", label="China's exports vs the country's imports"
        ),
        Line2D(
            [],
            [],
            color="#555555",
            ls="--",
            marker="o",
            label="the country's exports vs China's imports",
        ),
    ]
    target = spare[0] if spare else axes[-1]
    target.legend(handles=handles, loc="center", frameon=False, fontsize=8.5)
    return fig


def rca_figure(data: pd.DataFrame, info: Info) -> Figure:
    """Heat map: focus-area products (rows) x countries (columns), coloured by symmetric
    RCA (blue: specialised, RCA > 1), with the RCA written in each cell."""
    codes = list(dict.fromkeys(data["hs_code"]))
    cols = [c for c in info.countries if c in set(data["country"])]
    grid = data.pivot(index="hs_code", columns="country", values="rca_sym").reindex(codes)[cols]
    rca = data.pivot(index="hs_code", columns="country", values="rca").reindex(codes)[cols]
    fig, (ax,) = new_figure(info, figsize=(10, 0.38 * len(codes) + 2.2))
    im = ax.imshow(grid.to_numpy(), cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), [COUNTRY_NAMES[c] for c in cols])
    ax.xaxis.tick_top()
    desc = data.drop_duplicates("hs_code").set_index("hs_code")
    labels = [
        f"{k} {wrap(desc.at[k, 'description'], 34, lines=1)} [{_area_short(desc.at[k, 'areas'])}]"
        for k in codes
    ]
    ax.set_yticks(range(len(codes)), labels, fontsize=8)
    ax.grid(False)
    for (i, j), v in np.ndenumerate(rca.to_numpy()):
        text = "–" if v == 0 else ("<0.1" if v < 0.05 else f"{v:.1f}" if v < 100 else f"{v:.0f}")
        dark = abs(grid.to_numpy()[i, j]) > 0.6
        ax.text(
            j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "#222222"
        )
    bar = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("symmetric RCA (RCA-1)/(RCA+1); numbers: RCA, – none exported")
    return fig


def _area_short(areas: str) -> str:
    return "; ".join(a.replace("_", " ") for a in str(areas or "").split("; ")[:1]) or "-"


def price_volume_figure(data: pd.DataFrame, info: Info) -> Figure:
    """Per country, each year's change of China's imports split into price points (unit
    values) and volume points, stacked; the dot is the total change (over products with
    usable quantities: coverage under the year)."""
    nrows, ncols = grid_for(len(info.countries) + 1)
    fig, axes = new_figure(info, nrows, ncols, sharex=True)
    d_all = data.dropna(subset=["value_change"])
    for ax, _iso, d in panels(
        axes, info.countries, d_all, "country", "no HS6 rows with\nquantities"
    ):
        d = d.sort_values("year")
        p, v = d["price_points"].to_numpy(), d["volume_points"].to_numpy()
        pos_v = np.where(v > 0, v, 0)
        neg_v = np.where(v < 0, v, 0)
        ax.bar(d["year"], v, color="#6baed6", width=0.7)
        ax.bar(d["year"], p, bottom=np.where(p >= 0, pos_v, neg_v), color="#fd8d3c", width=0.7)
        ax.plot(d["year"], d["value_change"], "o", color="#222222", ms=4)
        ax.axhline(0, color="#555555", lw=0.6)
        for x, cov in zip(d["year"], d["coverage"], strict=True):
            if cov >= 0.995:  # full coverage goes without saying (the legend says so)
                continue
            ax.annotate(
                f"{cov:.0%}",
                (x, 0),
                xytext=(0, -10),
                textcoords="offset points",
                ha="center",
                fontsize=6.5,
                color="#666666",
            )
        ylabel_left(ax, "change on previous year, % points")
        year_axis(ax)
    spare = hide_unused(axes, len(info.countries))
    handles = [
        Patch(color="#fd8d3c", label="from unit values (prices)"),
        Patch(color="#6baed6", label="from volumes"),
        Line2D([], [], color="#222222", marker="o", ls="", label="value change, %"),
        Patch(
            color="none",
            label="grey % under a bar: coverage, the share\nof value with usable quantities "
            "(none: all)",
        ),
    ]
    target = spare[0] if spare else axes[-1]
    target.legend(handles=handles, loc="center", frameon=False, fontsize=8.5)
    return fig


def potential_figure(data: pd.DataFrame, info: Info) -> Figure:
    """The potential table as bars: for each country its largest gaps, potential (light)
    beside China's actual imports (dark), with the gap written out."""
    d = data.sort_values(["country", "gap_usd"], ascending=[True, False]).reset_index(drop=True)
    fig, (ax,) = new_figure(info, figsize=(10, 0.42 * max(len(d), 1) + 2.2))
    if d.empty:
        ax.text(0.5, 0.5, "no potential rows", ha="center", transform=ax.transAxes)
        return fig
    div, unit = usd_scale(float(d[["potential_usd", "actual_usd"]].max().max()))
    y = np.arange(len(d))[::-1]
    colors = [COUNTRY_COLORS[c] for c in d["country"]]
    ax.barh(y + 0.18, d["potential_usd"] / div, height=0.36, color=colors, alpha=0.35)
    ax.barh(y - 0.18, d["actual_usd"] / div, height=0.36, color=colors)
    labels = [
        f"{COUNTRY_NAMES[c]}: {k} {wrap(t, 30, lines=1)}"
        for c, k, t in zip(d["country"], d["hs_code"], d["description"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    for yy, pot, gap in zip(y, d["potential_usd"], d["gap_usd"], strict=True):
        ax.text(
            pot / div,
            yy + 0.18,
            f"  gap {gap / div:,.1f} {unit.removeprefix('USD ')}",
            va="center",
            fontsize=7.5,
        )
    ax.set_xlabel(unit)
    ax.set_xlim(0, float(d["potential_usd"].max() / div) * 1.35)
    ax.legend(
        handles=[
            Patch(
                color="#999999",
                alpha=0.35,
                label="potential: China's imports x the country's world-export share",
            ),
            Patch(color="#999999", label="China's actual imports from the country"),
        ],
        loc="lower right",
        frameon=False,
        fontsize=8,
    )
    return fig


# ----------------------------------------------------------------------------- charts
def _chart(ds: Dataset, name: str, title: str, side: str, data: pd.DataFrame, draw) -> Chart:
    syn = bool(ds.synthetic or (len(data) and data.get("synthetic", pd.Series([False])).any()))
    cap = caption(
        side, synthetic=syn, fetched_at=ds.provenance.get("fetched_at"), filters=ds.filters
    )
    info = Info(title, cap, CA_ISO3, syn)
    with style():
        fig = draw(data, info)
    return Chart(
        name,
        title,
        fig,
        data,
        cap,
        ds.filters,
        ds.provenance.get("snapshots", []),
        ("comtrade",),
        syn,
    )


def structure_charts(ds: Dataset, level: int | None = None) -> list[Chart]:
    """The four charts of the structure section, drawn from `ds`."""
    tci = tci_data(ds, level=level)
    rca = rca_data(ds, level=level)
    pv = price_volume_data(ds)
    pot = potential_data(ds, level=level)
    year = int(rca["year"].max()) if len(rca) else None
    return [
        _chart(
            ds,
            "tci",
            "Trade complementarity with China, both directions (Michaely/WITS)",
            WORLD_SIDE,
            tci,
            tci_figure,
        ),
        _chart(
            ds,
            "rca_focus",
            f"Revealed comparative advantage in focus-area products, {year}",
            WORLD_SIDE,
            rca,
            rca_figure,
        ),
        _chart(
            ds,
            "price_volume",
            "China's imports from each country: prices or volumes?",
            "China-reported imports, HS6 quantities (Fisher, chain-linked)",
            pv,
            price_volume_figure,
        ),
        _chart(
            ds,
            "potential_agriculture",
            "Agricultural export potential in China: the largest gaps (market-share method)",
            "China-reported imports; world shares from reporters' exports",
            pot,
            potential_figure,
        ),
    ]


def write_structure_charts(
    ds: Dataset, out: Path, formats=("png",), level: int | None = None
) -> list[Path]:
    """Each chart with its CSV and JSON sidecar (charts.export)."""
    from tradeviz.charts.export import export

    return [p for ch in structure_charts(ds, level) for p in export(ch, out, tuple(formats))]
