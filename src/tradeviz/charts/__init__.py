"""Charts for people. Each chart is a pure data function of a Dataset (`charts.data`: the
plotted DataFrame, which the CSV export writes) and a renderer that draws it on a
matplotlib Figure made without pyplot (`draw_trade`, `draw_products`, `draw_mirror`), in
the shipped style `tradeviz.mplstyle`; `registry` pairs them with titles, captions and
sources, `export` writes PNG/SVG/PDF + CSV + JSON sidecar.

    import tradeviz
    from tradeviz import charts
    ds = tradeviz.open().filter(years="2018-2024", countries="KAZ")
    charts.total_trade(ds)            # a Chart: .fig, .data, .caption; shows in Jupyter
    charts.export(charts.make("mirror_gaps", ds), Path("out"), ("png", "svg"))

Importing this package never switches the matplotlib backend.
"""

from __future__ import annotations

from collections.abc import Callable

from tradeviz.analysis.dataset import Dataset
from tradeviz.charts.base import Chart, Info, events, usd_scale
from tradeviz.charts.export import FORMATS, export
from tradeviz.charts.registry import NAMES, SPECS, make, wanted
from tradeviz.charts.registry import all_charts as _all_charts


def all_charts(ds: Dataset, areas: list[str] | None = None) -> list[Chart]:
    """Every chart of a Dataset, optionally only the area charts about `areas`."""
    return _all_charts(ds, areas)


def _chart_function(name: str) -> Callable[..., Chart]:
    def chart(ds: Dataset, **kw) -> Chart:
        return make(name, ds, **kw)

    chart.__name__ = name
    chart.__doc__ = f"The `{name}` chart of a Dataset: `charts.make({name!r}, ds)`."
    return chart


total_trade = _chart_function("total_trade")
trade_growth = _chart_function("trade_growth")
china_share = _chart_function("china_share")
focus_composition = _chart_function("focus_composition")
energy_minerals = _chart_function("energy_minerals")
agriculture_imports = _chart_function("agriculture_imports")
ict_exports = _chart_function("ict_exports")
mirror_gaps = _chart_function("mirror_gaps")
mirror_chapters = _chart_function("mirror_chapters")
imf_vs_comtrade = _chart_function("imf_vs_comtrade")
latest_months = _chart_function("latest_months")


def top_products(ds: Dataset, flow: str = "export") -> Chart:
    """China's top products, `flow` export or import: top_products(ds, "export")."""
    return make(f"top_products_{flow}s", ds)


__all__ = [
    "FORMATS",
    "NAMES",
    "SPECS",
    "Chart",
    "Info",
    "agriculture_imports",
    "all_charts",
    "china_share",
    "energy_minerals",
    "events",
    "export",
    "focus_composition",
    "ict_exports",
    "imf_vs_comtrade",
    "latest_months",
    "make",
    "mirror_chapters",
    "mirror_gaps",
    "top_products",
    "total_trade",
    "trade_growth",
    "usd_scale",
    "wanted",
]
