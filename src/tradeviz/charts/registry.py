"""Every chart as (data function, renderer, title, caption side, sources, selection), and
`make()`, which runs one on a Dataset: data first, then drawing in the shipped style."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from tradeviz.analysis.dataset import Dataset
from tradeviz.analysis.filters import check_areas
from tradeviz.charts import data as D
from tradeviz.charts import draw_mirror as M
from tradeviz.charts import draw_products as P
from tradeviz.charts import draw_trade as T
from tradeviz.charts import partners as partner_charts
from tradeviz.charts import structure as S
from tradeviz.charts.base import Chart, Info, caption, describe_filters, style, title_suffix
from tradeviz.vocab.countries import CA_ISO3
from tradeviz.vocab.flows import SOURCE_NAMES, SOURCES


@dataclass(frozen=True)
class Spec:
    name: str
    data: Callable[..., pd.DataFrame]
    draw: Callable[[pd.DataFrame, Info], Figure]
    title: str | Callable[[pd.DataFrame], str]
    side: str
    sources: tuple[str, ...] = ("comtrade",)
    selection: dict = field(default_factory=dict)
    areas: tuple[str, ...] = ()  # the focus areas the chart is about (--areas skips others)
    needs_world: bool = False  # drawn only when the tables hold a world layer (issue 19)


def _latest(data: pd.DataFrame) -> str:
    return str(int(data["year"].max())) if len(data) else "no data"


def _span(data: pd.DataFrame) -> str:
    return f"{data['period'].min()} to {data['period'].max()}" if len(data) else "no data"


CHN_BOTH = "China-reported (exports FOB, imports CIF)"
SPECS: tuple[Spec, ...] = (
    Spec(
        "total_trade",
        D.total_trade,
        T.total_trade,
        "China's trade with Central Asia: exports, imports and balance",
        CHN_BOTH,
        selection={"reporter": "CHN", "flows": ["export", "import"]},
    ),
    Spec(
        "trade_growth",
        D.trade_growth,
        T.trade_growth,
        "China–Central Asia trade: change on the previous year",
        CHN_BOTH + "; exports + imports",
        selection={"reporter": "CHN", "measure": "total"},
    ),
    Spec(
        "china_share",
        D.china_share,
        T.china_share,
        "China's share of each Central Asian country's goods trade, from both sides",
        "each country's own report (China and World rows) and China's report of the same "
        "trade, both over the country's World total",
        selection={"reporters": ["CHN", *CA_ISO3], "partners": ["CHN", "WLD"]},
    ),
    Spec(
        "focus_composition",
        D.focus_composition,
        P.focus_composition,
        "China–Central Asia trade by focus area",
        "China-reported HS leaf rows; a code counts once, in its first fully covering area; "
        "codes only partly in an area are the hatched remainder",
        selection={"reporter": "CHN", "leaf_rows_only": True, "attribution": "match=full"},
    ),
    Spec(
        "top_products_exports",
        lambda ds: D.top_products(ds, "export"),
        P.top_products,
        lambda d: f"China's top products exported to each country, {_latest(d)}",
        "China-reported exports (FOB), HS6 as reported (revision in the CSV); a bar cut "
        "with ▶ is longer than drawn (value written on it)",
        selection={"reporter": "CHN", "flow": "export", "top": 8},
    ),
    Spec(
        "top_products_imports",
        lambda ds: D.top_products(ds, "import"),
        P.top_products,
        lambda d: f"China's top products imported from each country, {_latest(d)}",
        "China-reported imports (CIF), HS6 as reported (revision in the CSV); a bar cut "
        "with ▶ is longer than drawn (value written on it)",
        selection={"reporter": "CHN", "flow": "import", "top": 8},
    ),
    Spec(
        "energy_minerals",
        D.energy_minerals,
        P.energy_minerals,
        "Energy and minerals: China's imports from Central Asia",
        "China-reported imports (CIF); hatched, where drawn: codes only partly in the area",
        selection={"reporter": "CHN", "flow": "import"},
        areas=("energy", "critical_minerals"),
    ),
    Spec(
        "agriculture_imports",
        D.agriculture_imports,
        P.agriculture_imports,
        "China's agricultural imports from Central Asia (WTO Agreement on Agriculture scope)",
        "China-reported imports (CIF); AoA Annex 1 products, fish excluded",
        selection={"reporter": "CHN", "flow": "import", "area": "agriculture"},
        areas=("agriculture",),
    ),
    Spec(
        "ict_exports",
        D.ict_exports,
        P.ict_exports,
        "China's ICT goods exports to Central Asia, by category",
        "China-reported exports (FOB); OECD/UNCTAD ICT goods, core blocks",
        selection={"reporter": "CHN", "flow": "export", "area": "ict"},
        areas=("ict",),
    ),
    Spec(
        "mirror_gaps",
        D.mirror_gaps,
        M.mirror_gaps,
        "Mirror gaps in both directions: what the importer reports against the exporter",
        "both sides' reports (mirror table); products compared at HS6, or HS4 across HS "
        "revisions; headings whose scope changed between revisions left out",
        selection={"directions": "both", "freq": "A"},
    ),
    Spec(
        "mirror_chapters",
        D.mirror_chapters,
        M.mirror_chapters,
        lambda d: f"Which HS chapters explain the mirror gaps, {_latest(d)}",
        "both sides' reports (mirror table); top 5 chapters by absolute gap per direction",
        selection={"directions": "both", "freq": "A", "top": 5},
    ),
    Spec(
        "imf_vs_comtrade",
        D.imf_vs_comtrade,
        T.imf_vs_comtrade,
        "UN Comtrade vs. IMF: how far apart the two sources are (both China-reported)",
        "China-reported; IMF monthly summed over complete years, compared with Comtrade annual",
        sources=("comtrade", "imf"),
        selection={"reporter": "CHN", "sources": ["comtrade", "imf"]},
    ),
    Spec(
        "latest_months",
        D.latest_months,
        T.latest_months,
        lambda d: f"Latest 12 months: China's monthly trade with Central Asia ({_span(d)})",
        "China-reported, monthly (exports FOB, imports CIF); Comtrade monthly where "
        "fetched, else IMF",
        sources=("imf",),
        selection={"reporter": "CHN", "freq": "M", "months": 12},
    ),
)
# Who trades with Central Asia and each country's largest partners (issue 13)
SPECS = (*SPECS, *(Spec(**args) for args in partner_charts.SPEC_ARGS))
# Structure and complementarity (issue 20), measured on the world layer's finest level
SPECS = (
    *SPECS,
    Spec(
        "tci",
        S.tci_data,
        S.tci_figure,
        "Trade complementarity with China, both directions (Michaely/WITS)",
        S.WORLD_SIDE + "; bilateral rows as each side reports them",
        selection={"measure": "TCI", "partner": "CHN", "level": "finest in the world layer"},
        needs_world=True,
    ),
    Spec(
        "rca_focus",
        S.rca_data,
        S.rca_figure,
        lambda d: f"Revealed comparative advantage in focus-area products, {_latest(d)}",
        S.WORLD_SIDE,
        selection={"measure": "RCA (Balassa)", "products": "focus areas, top 4 per country"},
        needs_world=True,
    ),
    Spec(
        "price_volume",
        S.price_volume_data,
        S.price_volume_figure,
        "China's imports from each country: prices or volumes?",
        "China-reported imports, HS6 quantities (Fisher, chain-linked)",
        selection={"reporter": "CHN", "flow": "import", "measure": "Fisher price/volume"},
        needs_world=True,
    ),
    Spec(
        "potential_agriculture",
        S.potential_data,
        S.potential_figure,
        "Agricultural export potential in China: the largest gaps (market-share method)",
        "China-reported imports; world shares from reporters' exports (world layer); an "
        "upper bound, not a forecast",
        selection={"market": "CHN", "area": "agriculture", "top": 3},
        areas=("agriculture",),
        needs_world=True,
    ),
)
BY_NAME: dict[str, Spec] = {s.name: s for s in SPECS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def make(name: str, ds: Dataset, areas: list[str] | None = None) -> Chart:
    """One chart of `ds` (a filtered view draws only its countries and years): its data,
    then its figure, title and caption saying which filters applied."""
    spec = BY_NAME[name]
    areas = check_areas(areas)
    data = spec.data(ds, areas) if spec.name == "focus_composition" else spec.data(ds)
    applied = {**ds.filters, **({"areas": areas} if areas else {})}
    title = spec.title(data) if callable(spec.title) else spec.title
    title += title_suffix(applied)
    src = " and ".join(SOURCE_NAMES[s] for s in spec.sources)
    meta = ds.meta
    text = caption(
        spec.side,
        synthetic=ds.synthetic,
        fetched_at=meta.get("fetched_at"),
        source=src,
        filters=applied,
        tool=meta.get("tool") or caption_tool(),
    )
    countries = tuple(ds.countries or CA_ISO3)
    info = Info(title, text, countries, ds.synthetic, len(countries) == len(CA_ISO3))
    with style():
        fig = spec.draw(data, info)
    flows = ds.flows
    snaps = sorted(
        set(flows.loc[flows["source"].isin(spec.sources), "snapshot"].dropna().astype(str))
    )
    return Chart(
        spec.name,
        title,
        fig,
        data,
        text,
        {**spec.selection, **applied},
        snaps,
        tuple(SOURCES[s] for s in spec.sources),
        ds.synthetic,
        {"filters_applied": applied, "filters_text": describe_filters(applied)},
    )


def caption_tool() -> str:
    from tradeviz import __version__

    return f"tradeviz {__version__}"


def wanted(areas: list[str] | None, ds: Dataset | None = None) -> list[str]:
    """Chart names to draw: all, or with --areas only the area charts about a chosen area
    (charts about no particular area are always drawn). Given `ds`, the structure charts
    only when it holds a world layer (the report says which fetch provides it)."""
    picked = set(check_areas(areas) or [])
    names = [s for s in SPECS if not picked or not s.areas or picked & set(s.areas)]
    if ds is not None and any(s.needs_world for s in names):
        from tradeviz.analysis.structure_findings import world_level

        if world_level(ds) is None:
            names = [s for s in names if not s.needs_world]
    return [s.name for s in names]


def all_charts(ds: Dataset, areas: list[str] | None = None) -> list[Chart]:
    return [make(name, ds, areas) for name in wanted(areas, ds)]
