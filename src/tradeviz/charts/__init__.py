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
from tradeviz.charts.compat import Context, Tables, dataset_from, filtered
from tradeviz.charts.export import FORMATS, export
from tradeviz.charts.registry import NAMES, SPECS, make, wanted
from tradeviz.charts.registry import all_charts as _all_charts


def all_charts(source: Dataset | Tables, areas: list[str] | None = None) -> list[Chart]:
    """Every chart of a Dataset (or of the former Tables), optionally only the area charts
    about `areas`."""
    ds = source.ds if isinstance(source, Tables) else source
    return _all_charts(ds, areas)


def _chart_function(name: str) -> Callable[..., Chart]:
    def chart(source, *frames, **kw) -> Chart:
        if isinstance(source, Dataset):
            return make(name, source, **kw)
        if isinstance(source, Tables):
            return make(name, source.ds, **kw)
        ctx = next((f for f in frames if isinstance(f, Context)), kw.pop("ctx", None))
        return make(name, dataset_from((source, *frames), ctx))

    chart.__name__ = name
    chart.__doc__ = f"The `{name}` chart of a Dataset (or, as before, of table frames)."
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


def top_products(source, *rest) -> Chart:
    """China's top products, `flow` export or import: top_products(ds, "export"), or as
    before top_products(flows, focus, ctx, "export")."""
    flow = next((r for r in rest if isinstance(r, str)), "export")
    name = f"top_products_{flow}s"
    if isinstance(source, Dataset | Tables):
        return make(name, source.ds if isinstance(source, Tables) else source)
    frames = tuple(r for r in rest if not isinstance(r, str | Context))
    ctx = next((r for r in rest if isinstance(r, Context)), None)
    return make(name, dataset_from((source, *frames), ctx))


__all__ = ["FORMATS", "NAMES", "SPECS", "Chart", "Context", "Info", "Tables",
           "agriculture_imports", "all_charts", "china_share", "energy_minerals", "events",
           "export", "filtered", "focus_composition", "ict_exports", "imf_vs_comtrade",
           "latest_months", "make", "mirror_chapters", "mirror_gaps", "top_products",
           "total_trade", "trade_growth", "usd_scale", "wanted"]
