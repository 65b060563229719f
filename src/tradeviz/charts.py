"""Charts for people: functions that take processed tables and return a Chart (a matplotlib
Figure plus exactly the data it plots). Every chart has a title, USD units scaled to bn or
mn, a caption naming source, reporter side and fetch date (and "synthetic demo data" when
it is), stable colours per country and focus area, and policy events from data/events.yaml.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # scripts and the CLI render off-screen; Jupyter inline
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tradeviz import __version__  # noqa: E402
from tradeviz.analysis.totals import pair_totals  # noqa: E402
from tradeviz.schema import FLOWS_KEY  # noqa: E402
from tradeviz.store.parquet import read_meta  # noqa: E402
from tradeviz.transform.focus import AREAS, leaf_rows  # noqa: E402
from tradeviz.vocab.areas import AREA_KEYS, COLORS, LABELS  # noqa: E402
from tradeviz.vocab.countries import ALL_SIX, CA_ISO3, CHINA  # noqa: E402
from tradeviz.vocab.flows import SOURCES  # noqa: E402

COUNTRY_COLORS = {"KAZ": "#1f77b4", "KGZ": "#d62728", "TJK": "#2ca02c", "TKM": "#9467bd",
                  "UZB": "#ff7f0e", "CHN": "#8c564b"}
COUNTRY_NAMES = {c.iso3: c.name for c in ALL_SIX}
AREA_COLORS = COLORS
AREA_LABELS = LABELS
ICT_COLORS = {"communication equipment": "#1f77b4",
              "computers and peripheral equipment": "#17becf",
              "consumer electronic equipment": "#9467bd", "electronic components": "#aec7e8",
              "miscellaneous ICT goods": "#393b79"}
PRIMARY_ORDER = AREA_KEYS
SIZE = (11, 6.5)
IMF_SOURCE = SOURCES["imf"]


@dataclass
class Context:
    """What captions need: provenance from the Parquet metadata."""

    synthetic: bool = False
    fetched_at: list[str] = field(default_factory=list)
    tool: str = f"tradeviz {__version__}"

    @classmethod
    def from_parquet(cls, path: Path) -> Context:
        meta = read_meta(path)
        return cls(bool(meta.get("synthetic")), list(meta.get("fetched_at", [])),
                   meta.get("tool", f"tradeviz {__version__}"))


@dataclass
class Chart:
    name: str
    title: str
    fig: Figure
    data: pd.DataFrame
    caption: str
    filters: dict
    snapshots: list[str]
    sources: tuple[str, ...] = (SOURCES["comtrade"],)


@dataclass
class Tables:
    flows: pd.DataFrame
    mirror: pd.DataFrame
    focus: pd.DataFrame
    ctx: Context

    @classmethod
    def load(cls, processed: Path) -> Tables:
        missing = [n for n in ("flows", "mirror", "focus")
                   if not (processed / f"{n}.parquet").exists()]
        if missing:
            raise FileNotFoundError(f"{processed}: {', '.join(missing)}.parquet missing; run "
                                    "`tradeviz build` (or `tradeviz demo`) first")
        return cls(pd.read_parquet(processed / "flows.parquet"),
                   pd.read_parquet(processed / "mirror.parquet"),
                   pd.read_parquet(processed / "focus.parquet"),
                   Context.from_parquet(processed / "flows.parquet"))


def filtered(tables: Tables, years: tuple[int, int] | None = None,
             countries: list[str] | None = None) -> Tables:
    """The same tables restricted to a year range and to some Central Asian countries
    (China and World rows are kept, as every chart needs them)."""
    keep = set(countries or CA_ISO3) | {CHINA.iso3, "WLD"}

    def cut(df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
        mask = df[a].isin(keep) & df[b].isin(keep)
        if years:
            mask &= df["year"].between(*years)
        return df[mask]

    return Tables(cut(tables.flows, "reporter", "partner"),
                  cut(tables.mirror, "exporter", "importer"),
                  cut(tables.focus, "reporter", "partner"), tables.ctx)


@lru_cache(maxsize=1)
def events() -> pd.DataFrame:
    text = resources.files("tradeviz.data").joinpath("events.yaml").read_text("utf-8")
    rows = yaml.safe_load(text)["events"]
    out = pd.DataFrame(rows)
    out["x"] = [int(d[:4]) + (int(d[5:7]) - 1) / 12 for d in out["date"]]
    return out


def usd_scale(max_value: float) -> tuple[float, str]:
    """Divisor and unit label so that axis numbers stay short."""
    if max_value >= 1e9:
        return 1e9, "USD bn"
    if max_value >= 1e6:
        return 1e6, "USD mn"
    return 1.0, "USD"


def caption(ctx: Context, side: str, synthetic: bool = False,
            source: str = "UN Comtrade") -> str:
    fetched = ""
    if ctx.fetched_at:
        a, b = ctx.fetched_at
        fetched = f"; fetched {a}" + ("" if a == b else f" to {b}")
    text = f"Source: {source}, {side}{fetched}. Chart: {ctx.tool}."
    if ctx.synthetic or synthetic:
        text = "SYNTHETIC DEMO DATA, not statistics. " + text
    return text


def _figure(title: str, nrows: int = 1, ncols: int = 1, **kw) -> tuple[Figure, list]:
    fig, axes = plt.subplots(nrows, ncols, figsize=kw.pop("figsize", SIZE), squeeze=False,
                             layout="constrained", **kw)
    plt.close(fig)  # owned by the Chart, shown once where it is displayed, never leaked
    fig.get_layout_engine().set(rect=(0, 0.045, 1, 0.955))
    fig.suptitle(title, fontsize=14, fontweight="bold", x=0.01, ha="left")
    return fig, [ax for row in axes for ax in row]


def _finish(fig: Figure, text: str) -> None:
    """Caption at the bottom, with room kept for it: one line per ~190 characters."""
    lines = 1 + len(text) // 190
    fig.get_layout_engine().set(rect=(0, 0.02 + 0.025 * lines, 1, 0.955 - 0.02 - 0.025
                                      * lines + 0.045))
    fig.text(0.01, 0.012, text, fontsize=8, ha="left", va="bottom", color="#444444",
             wrap=True)


def _draw_events(ax, countries: tuple[str, ...] | None = None, label: bool = True) -> None:
    lo, hi = ax.get_xlim()
    ev = events()
    shown = 0
    for r in ev.itertuples(index=False):
        if not lo <= r.x <= hi:
            continue
        if countries and r.countries and not set(r.countries) & set(countries):
            continue
        ax.axvline(r.x, color="#999999", lw=0.8, ls=":", zorder=0)
        if label:
            ax.annotate(r.label, (r.x, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(2, -4 - 10 * (shown % 2)), textcoords="offset points",
                        fontsize=7, color="#666666", va="top", ha="left")
        shown += 1


def _empty(ax, message: str) -> None:
    """Say why a panel is empty; leaves shared axes of other panels untouched."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=10, color="#888888")
    ax.set_frame_on(False)
    ax.tick_params(left=False, labelleft=False, bottom=False, labelbottom=False)


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _country_panels(axes, data: pd.DataFrame, sort_by: str, empty_message: str):
    """Small multiples: yields (axes, country, its rows) for each Central Asian country with
    rows; every panel gets the country's name, and empty panels say why they are empty."""
    for ax, iso in zip(axes, CA_ISO3, strict=False):
        rows = data[data["country"] == iso].sort_values(sort_by)
        ax.set_title(COUNTRY_NAMES[iso], fontsize=11, loc="left")
        if rows.empty:
            _empty(ax, empty_message)
            continue
        yield ax, iso, rows


def _annual(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[(flows["source"] == "comtrade") & (flows["freq"] == "A")]


def _snapshots(*frames: pd.DataFrame) -> list[str]:
    out: set[str] = set()
    for f in frames:
        if "snapshot" in f:
            out |= set(f["snapshot"].dropna().astype(str))
    return sorted(out)


# ----------------------------------------------------------------------------------- charts
def total_trade(flows: pd.DataFrame, ctx: Context) -> Chart:
    """China's exports, imports and balance with each Central Asian country (China-reported)."""
    f = _annual(flows)
    f = f[(f["reporter"] == CHINA.iso3) & f["partner"].isin(CA_ISO3)
          & f["flow"].isin(["export", "import"])]
    t = pair_totals(f).pivot_table(index=["partner", "year"], columns="flow",
                                   values="value_usd", aggfunc="sum").reset_index()
    for col in ("export", "import"):
        if col not in t:
            t[col] = 0.0
    data = pd.DataFrame({"country": t["partner"], "year": t["year"].astype(int),
                         "exports_usd": t["export"].fillna(0),
                         "imports_usd": t["import"].fillna(0)})
    data["balance_usd"] = data["exports_usd"] - data["imports_usd"]
    title = "China's trade with Central Asia, by country"
    fig, axes = _figure(title, 2, 3, sharex=True)
    div, unit = usd_scale(data[["exports_usd", "imports_usd"]].abs().max().max()
                          if len(data) else 0)
    for ax, iso, d in _country_panels(axes, data, "year", "no data"):
        color = COUNTRY_COLORS[iso]
        ax.bar(d["year"], d["balance_usd"] / div, color="#cccccc", width=0.7,
               label="Balance (China's surplus)")
        ax.plot(d["year"], d["exports_usd"] / div, color=color, lw=2, marker="o", ms=3,
                label="China's exports")
        ax.plot(d["year"], d["imports_usd"] / div, color=color, lw=2, ls="--", marker="o",
                ms=3, label="China's imports")
        ax.axhline(0, color="#555555", lw=0.6)
        ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
        _draw_events(ax, (iso,), label=False)
    legend_ax = axes[5]
    legend_ax.axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    legend_ax.legend(handles, labels, loc="center", frameon=False)
    legend_ax.text(0.5, 0.15, "Dotted lines: policy events\n(BRI, WTO accessions, summits)",
                   ha="center", fontsize=8, color="#666666", transform=legend_ax.transAxes)
    text = caption(ctx, "China-reported (exports FOB, imports CIF)")
    _finish(fig, text)
    return Chart("total_trade", title, fig, data, text,
                 {"reporter": "CHN", "partners": list(CA_ISO3), "flows": ["export", "import"]},
                 _snapshots(f))


def china_share(flows: pd.DataFrame, ctx: Context) -> Chart:
    """China's share of each Central Asian country's total trade (partner-reported)."""
    f = _annual(flows)
    f = f[f["reporter"].isin(CA_ISO3) & f["partner"].isin([CHINA.iso3, "WLD"])
          & f["flow"].isin(["export", "import"])]
    t = pair_totals(f).groupby(["reporter", "partner", "year"])["value_usd"].sum().unstack(
        "partner")
    data = pd.DataFrame(columns=["country", "year", "with_china_usd", "with_world_usd",
                                 "china_share"])
    if {"CHN", "WLD"} <= set(t.columns):
        t = t.dropna(subset=["CHN", "WLD"]).reset_index()
        data = pd.DataFrame({"country": t["reporter"], "year": t["year"].astype(int),
                             "with_china_usd": t["CHN"], "with_world_usd": t["WLD"]})
        data["china_share"] = data["with_china_usd"] / data["with_world_usd"]
    title = "China's share of each Central Asian country's total goods trade"
    fig, (ax,) = _figure(title, figsize=(10, 6))
    if data.empty:
        _empty(ax, "no partner-reported data with China and World")
    else:
        for iso, d in data.groupby("country"):
            d = d.sort_values("year")
            ax.plot(d["year"], d["china_share"] * 100, color=COUNTRY_COLORS[iso], lw=2,
                    marker="o", ms=4, label=COUNTRY_NAMES[iso])
            last = d.iloc[-1]
            ax.annotate(f"{last['china_share']:.0%}", (last["year"], last["china_share"] * 100),
                        xytext=(5, 0), textcoords="offset points", fontsize=8, va="center",
                        color=COUNTRY_COLORS[iso])
        ax.set_ylabel("% of the country's exports + imports")
        ax.set_ylim(0, max(50, data["china_share"].max() * 115))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=5)
        _draw_events(ax)
        missing = sorted(set(CA_ISO3) - set(data["country"]))
        if missing:
            ax.text(0.99, 0.02, "No data reported: " + ", ".join(COUNTRY_NAMES[m]
                                                                 for m in missing),
                    transform=ax.transAxes, ha="right", fontsize=8, color="#666666")
    text = caption(ctx, "reported by each Central Asian country (China and World rows)")
    _finish(fig, text)
    return Chart("china_share", title, fig, data, text,
                 {"reporters": list(CA_ISO3), "partners": ["CHN", "WLD"]}, _snapshots(f))


def primary_area(focus: pd.DataFrame) -> pd.DataFrame:
    """One area per leaf row (first in PRIMARY_ORDER), so stacked charts never double count."""
    rank = {a: i for i, a in enumerate(PRIMARY_ORDER)}
    keys = list(FLOWS_KEY)
    f = focus.assign(_rank=focus["area"].map(rank)).sort_values("_rank", kind="stable")
    return f.drop_duplicates(keys)[[*keys, "area", "subarea"]]


def focus_composition(flows: pd.DataFrame, focus: pd.DataFrame, ctx: Context) -> Chart:
    """China–Central Asia trade (China-reported, both flows) by focus area: value and share."""
    leaves = leaf_rows(_annual(flows))
    leaves = leaves[(leaves["reporter"] == CHINA.iso3) & leaves["partner"].isin(CA_ISO3)
                    & leaves["flow"].isin(["export", "import"])]
    keys = list(FLOWS_KEY)
    tagged = leaves.merge(primary_area(focus).drop(columns="subarea"), on=keys, how="left")
    tagged["area"] = tagged["area"].fillna("other")
    table = tagged.pivot_table(index="year", columns="area", values="value_usd",
                               aggfunc="sum", fill_value=0.0)
    order = [a for a in (*PRIMARY_ORDER, "other") if a in table.columns]
    table = table[order]
    share = table.div(table.sum(axis=1), axis=0)
    data = table.stack().rename("value_usd").reset_index()
    data["share"] = share.stack().values
    title = "China–Central Asia trade by focus area"
    fig, axes = _figure(title, 1, 2)
    if table.empty:
        for ax in axes:
            _empty(ax, "no HS-level rows")
    else:
        div, unit = usd_scale(table.sum(axis=1).max())
        colors = [AREA_COLORS[a] for a in order]
        labels = [AREA_LABELS[a] for a in order]
        axes[0].stackplot(table.index, (table / div).T.values, colors=colors, labels=labels)
        axes[0].set_ylabel(unit)
        axes[0].set_title("Value (exports + imports)", loc="left", fontsize=11)
        axes[1].stackplot(share.index, (share * 100).T.values, colors=colors)
        axes[1].set_ylabel("% of China–Central Asia trade")
        axes[1].set_ylim(0, 100)
        axes[1].set_title("Share", loc="left", fontsize=11)
        for ax in axes:
            ax.grid(axis="y", alpha=0.3)
            ax.set_xlim(table.index.min(), table.index.max())
            _draw_events(ax, label=ax is axes[0])
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles[::-1], labels[::-1], loc="outside right center", frameon=False,
                   fontsize=9)
    text = caption(ctx, "China-reported HS leaf rows; a product in several areas counts in the "
                   "first of the legend's order")
    _finish(fig, text)
    return Chart("focus_composition", title, fig, data, text,
                 {"reporter": "CHN", "partners": list(CA_ISO3), "leaf_rows_only": True},
                 _snapshots(leaves))


def top_products(flows: pd.DataFrame, focus: pd.DataFrame, ctx: Context, flow: str,
                 n: int = 8) -> Chart:
    """China's top HS products with each country in the latest year (China-reported)."""
    leaves = leaf_rows(_annual(flows))
    leaves = leaves[(leaves["reporter"] == CHINA.iso3) & leaves["partner"].isin(CA_ISO3)
                    & (leaves["flow"] == flow)]
    year = int(leaves["year"].max()) if len(leaves) else None
    rows = leaves[leaves["year"] == year] if year else leaves
    keys = list(FLOWS_KEY)
    rows = rows.merge(primary_area(focus), on=keys, how="left")
    rows["area"] = rows["area"].fillna("other")
    top = (rows.sort_values("value_usd", ascending=False).groupby("partner").head(n)
           .assign(rank=lambda d: d.groupby("partner").cumcount() + 1))
    data = top[["partner", "year", "hs_rev", "hs_code", "area", "subarea", "value_usd",
                "rank"]].rename(
        columns={"partner": "country"}).reset_index(drop=True)
    verb = "exports to" if flow == "export" else "imports from"
    title = f"China's top {n} products: {verb} each country, {year}"
    fig, axes = _figure(title, 2, 3)
    div, unit = usd_scale(data["value_usd"].max() if len(data) else 0)
    for ax, _iso, d in _country_panels(axes, data, "value_usd", "no data"):
        labels = [f"{c} {'' if pd.isna(sub) else _short(sub)}".strip()
                  for c, sub in zip(d["hs_code"], d["subarea"], strict=True)]
        ax.barh(labels, d["value_usd"] / div, color=[AREA_COLORS[a] for a in d["area"]])
        ax.set_xlabel(unit)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[5].axis("off")
    used = [a for a in (*PRIMARY_ORDER, "other") if a in set(data["area"])]
    handles = [plt.Rectangle((0, 0), 1, 1, color=AREA_COLORS[a]) for a in used]
    axes[5].legend(handles, [AREA_LABELS[a] for a in used], loc="center", frameon=False,
                   title="Focus area", fontsize=9)
    text = caption(ctx, f"China-reported {flow}s, HS6 codes as reported (revision in the CSV)")
    _finish(fig, text)
    return Chart(f"top_products_{flow}s", title, fig, data, text,
                 {"reporter": "CHN", "flow": flow, "year": year, "top": n},
                 _snapshots(rows))


def _area_rows(focus: pd.DataFrame, area: str, flow: str) -> pd.DataFrame:
    f = focus[(focus["source"] == "comtrade") & (focus["freq"] == "A")
              & (focus["reporter"] == CHINA.iso3) & focus["partner"].isin(CA_ISO3)
              & (focus["flow"] == flow) & (focus["area"] == area)]
    return f


def _stacked_bars(ax, table: pd.DataFrame, colors: dict, labels: dict | None = None):
    """Stacked bars with the legend under the axes, where it cannot hide bars or events."""
    div, unit = usd_scale(table.sum(axis=1).max() if len(table) else 0)
    bottom = None
    for col in table.columns:
        vals = table[col] / div
        ax.bar(table.index, vals, bottom=bottom, color=colors.get(col, "#999999"),
               label=(labels or {}).get(col, col), width=0.75)
        bottom = vals if bottom is None else bottom + vals
    ax.set_ylabel(unit)
    ax.set_ylim(0, float(bottom.max()) * 1.12 if bottom is not None else 1)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.07),
              ncol=min(len(table.columns), 3))


def energy_minerals(focus: pd.DataFrame, ctx: Context) -> Chart:
    """China's imports of pipeline gas and of critical minerals from Central Asia."""
    gas = _area_rows(focus, "energy", "import")
    gas = gas[gas["hs_code"] == "271121"]
    gas_t = gas.pivot_table(index="year", columns="partner", values="value_usd",
                            aggfunc="sum", fill_value=0.0)
    mins = _area_rows(focus, "critical_minerals", "import")
    groups = {"copper": "Copper", "uranium": "Uranium"}
    mins = mins.assign(series=mins["subarea"].map(groups).fillna("Other critical minerals"))
    min_t = mins.pivot_table(index="year", columns="series", values="value_usd",
                             aggfunc="sum", fill_value=0.0)
    data = pd.concat([
        gas_t.stack().rename("value_usd").reset_index().rename(columns={"partner": "series"})
        .assign(panel="pipeline gas (HS 271121) by exporting country"),
        min_t.stack().rename("value_usd").reset_index().assign(panel="critical minerals"),
    ], ignore_index=True)[["panel", "year", "series", "value_usd"]]
    title = "Energy and minerals: China's imports from Central Asia"
    fig, axes = _figure(title, 1, 2)
    if gas_t.empty:
        _empty(axes[0], "no pipeline-gas imports")
    else:
        _stacked_bars(axes[0], gas_t, COUNTRY_COLORS, COUNTRY_NAMES)
        _draw_events(axes[0], ("TKM", "UZB", "KAZ"))
    axes[0].set_title("Natural gas by pipeline (HS 271121)", loc="left", fontsize=11)
    if min_t.empty:
        _empty(axes[1], "no critical-mineral imports")
    else:
        _stacked_bars(axes[1], min_t, {"Copper": "#b87333", "Uranium": "#4daf4a",
                                       "Other critical minerals": "#7f7f7f"})
    axes[1].set_title("Critical minerals (copper, uranium, other)", loc="left", fontsize=11)
    text = caption(ctx, "China-reported imports (CIF); minerals include partial HS matches")
    _finish(fig, text)
    return Chart("energy_minerals", title, fig, data, text,
                 {"reporter": "CHN", "flow": "import", "areas": ["energy", "critical_minerals"]},
                 _snapshots(gas, mins))


def _area_by_year(focus: pd.DataFrame, ctx: Context, *, name: str, area: str, flow: str,
                  by: str, label: str, title: str, colors: dict, names: dict | None,
                  empty: str, side: str) -> Chart:
    """One focus area's China-reported flow per year, stacked by `by` (partner or sub-area)."""
    f = _area_rows(focus, area, flow)
    t = f.pivot_table(index="year", columns=by, values="value_usd", aggfunc="sum",
                      fill_value=0.0)
    data = t.stack().rename("value_usd").reset_index().rename(columns={by: label})
    fig, (ax,) = _figure(title, figsize=(10, 6))
    if t.empty:
        _empty(ax, empty)
    else:
        _stacked_bars(ax, t, colors, names)
        _draw_events(ax)
    text = caption(ctx, side)
    _finish(fig, text)
    return Chart(name, title, fig, data, text,
                 {"reporter": "CHN", "flow": flow, "area": area}, _snapshots(f))


def agriculture_imports(focus: pd.DataFrame, ctx: Context) -> Chart:
    """China's agricultural imports (WTO AoA products) from each Central Asian country."""
    return _area_by_year(
        focus, ctx, name="agriculture_imports", area="agriculture", flow="import",
        by="partner", label="country", colors=COUNTRY_COLORS, names=COUNTRY_NAMES,
        title="China's agricultural imports from Central Asia (WTO Agreement on Agriculture "
              "scope)", empty="no agricultural imports",
        side="China-reported imports (CIF); AoA Annex 1 products, fish excluded")


def ict_exports(focus: pd.DataFrame, ctx: Context) -> Chart:
    """China's ICT goods exports to Central Asia by OECD/UNCTAD category."""
    return _area_by_year(
        focus, ctx, name="ict_exports", area="ict", flow="export", by="subarea",
        label="category", colors=ICT_COLORS, names=None,
        title="China's ICT goods exports to Central Asia, by category",
        empty="no ICT exports",
        side="China-reported exports (FOB); OECD/UNCTAD ICT goods, core blocks")


def mirror_gaps(mirror: pd.DataFrame, ctx: Context) -> Chart:
    """China-reported exports against what each partner reports importing from China."""
    m = mirror[(mirror["freq"] == "A") & mirror["direction"].str.startswith("CHN->")]
    t = m.groupby(["importer", "year"]).agg(
        china_reported_usd=("exporter_fob_usd", "sum"),
        partner_reported_usd=("importer_cif_usd", "sum")).reset_index()
    t = t[(t["china_reported_usd"] > 0) & (t["partner_reported_usd"] > 0)]
    t["ratio"] = t["china_reported_usd"] / t["partner_reported_usd"]
    data = t.rename(columns={"importer": "country"})
    title = "Mirror gaps: China's reported exports vs. partners' reported imports from China"
    fig, axes = _figure(title, 2, 3, sharex=True)
    div, unit = usd_scale(data[["china_reported_usd", "partner_reported_usd"]].max().max()
                          if len(data) else 0)
    for ax, iso, d in _country_panels(axes, data, "year", "partner reports no imports\nfrom China"):
        color = COUNTRY_COLORS[iso]
        ax.fill_between(d["year"], d["partner_reported_usd"] / div,
                        d["china_reported_usd"] / div, color=color, alpha=0.15)
        ax.plot(d["year"], d["china_reported_usd"] / div, color=color, lw=2,
                label="China-reported exports (FOB)")
        ax.plot(d["year"], d["partner_reported_usd"] / div, color=color, lw=2, ls="--",
                label="Partner-reported imports (CIF)")
        last = d.iloc[-1]
        ax.text(0.03, 0.92, f"{int(last['year'])}: China reports {last['ratio']:.1f}x",
                transform=ax.transAxes, fontsize=8, va="top")
        ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
    axes[5].axis("off")
    axes[5].legend(*axes[0].get_legend_handles_labels(), loc="center", frameon=False,
                   fontsize=9)
    text = caption(ctx, "both sides' reports (mirror table); products compared at HS6, or "
                   "HS4 across HS revisions")
    _finish(fig, text)
    return Chart("mirror_gaps", title, fig, data, text,
                 {"direction": "CHN->partner", "freq": "A"}, [])


def _imf_monthly(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[(flows["source"] == "imf") & (flows["freq"] == "M")
                 & (flows["reporter"] == CHINA.iso3) & flows["partner"].isin(CA_ISO3)
                 & flows["flow"].isin(["export", "import"])]


def imf_vs_comtrade(flows: pd.DataFrame, ctx: Context) -> Chart:
    """China-reported annual totals with each country: UN Comtrade against IMF IMTS
    (months summed; only years with all twelve months)."""
    ct = _annual(flows)
    ct = pair_totals(ct[(ct["reporter"] == CHINA.iso3) & ct["partner"].isin(CA_ISO3)
                        & ct["flow"].isin(["export", "import"])])
    ct = ct.groupby(["partner", "flow", "year"])["value_usd"].sum().rename("comtrade_usd")
    m = _imf_monthly(flows)
    full = m.groupby(["partner", "flow", "year"]).agg(imf_usd=("value_usd", "sum"),
                                                      months=("month", "nunique"))
    full = full[full["months"] == 12]["imf_usd"]
    data = pd.concat([ct, full], axis=1, join="inner").reset_index().rename(
        columns={"partner": "country"})
    data["difference"] = data["imf_usd"] / data["comtrade_usd"] - 1
    title = "China's trade with Central Asia: UN Comtrade vs. IMF (both China-reported)"
    fig, axes = _figure(title, 2, 3, sharex=True)
    div, unit = usd_scale(data[["comtrade_usd", "imf_usd"]].max().max() if len(data) else 0)
    for ax, iso, d in _country_panels(axes, data, "year", "no years in both sources"):
        for flow, style in (("export", "-"), ("import", ":")):
            f = d[d["flow"] == flow]
            ax.plot(f["year"], f["comtrade_usd"] / div, color=COUNTRY_COLORS[iso], lw=2,
                    ls=style, label=f"Comtrade, China's {flow}s")
            ax.plot(f["year"], f["imf_usd"] / div, color="#333333", lw=1, ls=style,
                    marker="o", ms=3, label=f"IMF, China's {flow}s")
        ax.set_ylabel(unit)
        ax.grid(axis="y", alpha=0.3)
    axes[5].axis("off")
    if len(data):
        worst = data.loc[data["difference"].abs().idxmax()]
        axes[5].text(0.5, 0.2, f"Largest difference: {COUNTRY_NAMES[worst['country']]} "
                     f"{worst['flow']}s {int(worst['year'])}, {worst['difference']:+.1%}",
                     ha="center", fontsize=8, transform=axes[5].transAxes)
    handles, labels = next((a.get_legend_handles_labels() for a in axes[:5] if a.lines),
                           ([], []))
    axes[5].legend(handles, labels, loc="center", frameon=False, fontsize=9)
    text = caption(ctx, "China-reported; Comtrade annual, IMF monthly summed",
                   source="UN Comtrade and IMF IMTS")
    _finish(fig, text)
    return Chart("imf_vs_comtrade", title, fig, data, text,
                 {"reporter": "CHN", "sources": ["comtrade", "imf"]}, _snapshots(m),
                 (IMF_SOURCE, "UN Comtrade API v1 (comtradeapi.un.org)"))


def latest_months(flows: pd.DataFrame, ctx: Context, months: int = 12) -> Chart:
    """The latest twelve months of China's trade with each country (IMF, monthly)."""
    m = _imf_monthly(flows).copy()
    m["period"] = pd.to_datetime(dict(year=m["year"], month=m["month"].astype(int), day=1))
    last = m["period"].max()
    window = m[m["period"] > last - pd.DateOffset(months=months)] if len(m) else m
    data = window.groupby(["partner", "period", "flow"])["value_usd"].sum().reset_index()
    data = data.rename(columns={"partner": "country"})
    span = (f"{data['period'].min():%b %Y} to {data['period'].max():%b %Y}" if len(data)
            else "no data")
    title = f"Latest {months} months: China's monthly trade with Central Asia ({span})"
    fig, axes = _figure(title, 1, 2)
    for ax, flow in zip(axes, ("export", "import"), strict=True):
        d = data[data["flow"] == flow]
        ax.set_title(f"China's {flow}s", loc="left", fontsize=11)
        if d.empty:
            _empty(ax, "no IMF monthly data")
            continue
        div, unit = usd_scale(data["value_usd"].max())
        for iso, g in d.groupby("country"):
            ax.plot(g["period"], g["value_usd"] / div, color=COUNTRY_COLORS[iso], lw=2,
                    marker="o", ms=3, label=COUNTRY_NAMES[iso])
        ax.set_ylabel(unit + " per month")
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside right center", frameon=False, fontsize=9)
    data = data.assign(period=data["period"].dt.strftime("%Y-%m"))
    text = caption(ctx, "China-reported, monthly (exports FOB, imports CIF)",
                   source="IMF IMTS")
    _finish(fig, text)
    return Chart("latest_months", title, fig, data, text,
                 {"reporter": "CHN", "source": "imf", "freq": "M", "months": months},
                 _snapshots(window), (IMF_SOURCE,))


def all_charts(tables: Tables) -> list[Chart]:
    ctx = tables.ctx
    return [
        total_trade(tables.flows, ctx),
        china_share(tables.flows, ctx),
        focus_composition(tables.flows, tables.focus, ctx),
        top_products(tables.flows, tables.focus, ctx, "export"),
        top_products(tables.flows, tables.focus, ctx, "import"),
        energy_minerals(tables.focus, ctx),
        agriculture_imports(tables.focus, ctx),
        ict_exports(tables.focus, ctx),
        mirror_gaps(tables.mirror, ctx),
        imf_vs_comtrade(tables.flows, ctx),
        latest_months(tables.flows, ctx),
    ]


def export(chart: Chart, out: Path, formats: tuple[str, ...] = ("png",),
           raw_manifest: str | None = None) -> list[Path]:
    """Write the chart in each format, the CSV of exactly what it plots, a JSON sidecar."""
    from tradeviz.store.parquet import write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out / f"{chart.name}.{fmt}"
        chart.fig.savefig(path, dpi=150 if fmt == "png" else None)
        written.append(path)
    csv = out / f"{chart.name}.csv"
    write_text_atomic(csv, chart.data.to_csv(index=False))
    sidecar = {
        "chart": chart.name, "title": chart.title, "caption": chart.caption,
        "sources": list(chart.sources),
        "snapshots": chart.snapshots, "raw_manifest_sha256": raw_manifest,
        "filters": chart.filters, "tool": f"tradeviz {__version__}",
        "synthetic": "SYNTHETIC" in chart.caption, "data_file": csv.name,
        "formats": list(formats),
    }
    meta = out / f"{chart.name}.json"
    write_text_atomic(meta, json.dumps(sidecar, indent=2, default=str))
    plt.close(chart.fig)
    return [*written, csv, meta]


__all__ = ["AREAS", "Chart", "Context", "Tables", "all_charts", "export"]
