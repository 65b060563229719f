"""Charts: data functions on small frames with known answers, renderers that draw exactly
that data, the export files, the charts command and its filters, notebooks and the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg

from tradeviz import charts
from tradeviz.analysis.dataset import Dataset
from tradeviz.charts import data as chart_data
from tradeviz.cli import main
from tradeviz.schema import FLOWS_FIELDS, FOCUS_FIELDS, MIRROR_FIELDS, conform
from tradeviz.store.parquet import read_meta
from tradeviz.store.tables import build_meta, read_table, table_files

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIVE = ("KAZ", "KGZ", "TJK", "TKM", "UZB")


def _flow(reporter, partner, flow, year, value, code="TOTAL", rev="H5", syn=False):
    return {
        "source": "comtrade",
        "freq": "A",
        "year": year,
        "month": pd.NA,
        "quarter": pd.NA,
        "reporter": reporter,
        "partner": partner,
        "flow": flow,
        "hs_rev": None if code == "TOTAL" else rev,
        "hs_code": code,
        "hs_level": 0 if code == "TOTAL" else len(code),
        "value_usd": float(value),
        "synthetic": syn,
        "snapshot": "abc",
    }


@pytest.fixture
def small() -> Dataset:
    """China with all five (so the CA5 panel exists), KGZ's own report with China and World,
    and HS6 rows of China's exports to KAZ, one of them only partly in a focus area."""
    rows = []
    for year, scale in {2022: 1.0, 2023: 1.5}.items():
        for i, iso in enumerate(FIVE):
            rows += [
                _flow("CHN", iso, "export", year, (i + 1) * 1e9 * scale),
                _flow("CHN", iso, "import", year, (i + 1) * 0.4e9 * scale),
            ]
        rows += [
            _flow("KGZ", "CHN", "import", year, 1e9 * scale),
            _flow("KGZ", "CHN", "export", year, 0.5e9 * scale),
            _flow("KGZ", "WLD", "import", year, 4e9 * scale),
            _flow("KGZ", "WLD", "export", year, 1e9 * scale),
        ]
    hs = [
        _flow("CHN", "KAZ", "export", 2023, 1.2e9, "271121"),
        _flow("CHN", "KAZ", "export", 2023, 0.2e9, "940540"),
        _flow("CHN", "KAZ", "export", 2023, 0.1e9, "610910"),
    ]
    focus = [
        {**hs[0], "area": "energy", "subarea": "", "match": "full", "rule_id": "r1"},
        {**hs[1], "area": "ecommerce_consumer", "subarea": "", "match": "partial", "rule_id": "r2"},
    ]
    mirror = pd.DataFrame(
        {
            "direction": ["CHN->KGZ", "CHN->KGZ", "KGZ->CHN"],
            "exporter": ["CHN", "CHN", "KGZ"],
            "importer": ["KGZ", "KGZ", "CHN"],
            "freq": "A",
            "year": 2023,
            "month": pd.NA,
            "hs_code": ["8517", "6109", "2616"],
            "match_level": 4,
            "exporter_rev": "H5",
            "importer_rev": "H5",
            "status": "matched",
            "exporter_fob_usd": [6e8, 2e8, 1e8],
            "importer_cif_usd": [1.5e8, 5e7, 1.2e8],
            "gap_usd": 0.0,
            "ratio": 0.0,
            "synthetic": False,
        }
    )
    return Dataset.from_frames(
        conform(pd.DataFrame(rows + hs), FLOWS_FIELDS),
        conform(mirror, MIRROR_FIELDS),
        conform(pd.DataFrame(focus), FOCUS_FIELDS),
        {"synthetic": False, "fetched_at": ["2026-01-05", "2026-01-05"]},
    )


def _panel(chart, title: str):
    return next(a for a in chart.fig.axes if a.get_title(loc="left").startswith(title))


def _rendered(chart):
    """Draw the figure (Agg) so that tick labels and text extents exist."""
    canvas = FigureCanvasAgg(chart.fig)
    canvas.draw()
    return canvas.get_renderer()


def test_total_trade_draws_exactly_its_data_with_a_ca5_panel(small):
    chart = charts.make("total_trade", small)
    assert chart.data.equals(chart_data.total_trade(small))  # the CSV is the data function's
    kgz = chart.data[chart.data.partner == "KGZ"].set_index("year")
    assert kgz.loc[2023, "exports_usd"] == 3e9 and kgz.loc[2023, "balance_usd"] == 1.8e9
    ax = _panel(chart, "Kyrgyzstan")
    assert ax.get_ylabel() == "USD bn"
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "China's exports")
    assert list(line.get_ydata()) == [2.0, 3.0]  # what the CSV holds, in bn
    assert [p.get_height() for p in ax.patches] == pytest.approx([1.2, 1.8])
    ca5 = _panel(chart, "Central Asia")
    total = chart.data[chart.data.partner == "CA5"].set_index("year")["exports_usd"]
    assert total.loc[2023] == pytest.approx(15e9 * 1.5)
    assert "fetched 2026-01-05" in chart.caption and "China-reported" in chart.caption
    assert "SYNTHETIC" not in chart.caption and chart.synthetic is False
    _rendered(chart)
    ticks = [t.get_text() for t in ca5.get_xticklabels() if t.get_text()]
    assert ticks and all(t.isdigit() for t in ticks)  # whole years, never 2022.5


def test_a_country_filter_draws_that_country_alone_and_says_so(small):
    chart = charts.make("total_trade", small.filter(countries="kgz", years="2023"))
    panels = [a.get_title(loc="left") for a in chart.fig.axes if a.get_title(loc="left")]
    assert panels == ["Kyrgyzstan"]
    assert set(chart.data["partner"]) == {"KGZ"} and set(chart.data["year"]) == {2023}
    assert chart.title.endswith("— Kyrgyzstan, 2023")
    assert "Filters: countries KGZ; years 2023." in chart.caption
    assert chart.extra["filters_applied"] == {"years": [2023, 2023], "countries": ["KGZ"]}


def test_china_share_from_both_sides(small):
    chart = charts.china_share(small)
    row = chart.data.set_index(["country", "year"]).loc[("KGZ", 2023)]
    assert row["share_partner_reported"] == pytest.approx(1.5 / 5)
    assert row["share_china_reported"] == pytest.approx((3e9 + 1.2e9) / 7.5e9)
    ax = _panel(chart, "Kyrgyzstan")
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"own", "China's"}  # the country's own report and China's
    assert lines["own"].get_linestyle() == "-" and lines["China's"].get_linestyle() == "--"
    # each line named at its end, beside a legend whose handles are long enough to show
    # the dashes
    texts = [t.get_text() for t in ax.texts]
    assert "own 30%" in texts and "China's 56%" in texts
    legends = [a.get_legend() for a in chart.fig.axes if a.get_legend()] + chart.fig.legends
    assert legends and all(leg.handlelength >= 4 for leg in legends)
    assert "reports no" in " ".join(t.get_text() for t in _panel(chart, "Kazakhstan").texts)


def test_china_share_above_100_is_clipped_and_explained_as_a_mirror_gap():
    """China-reported Kyrgyz trade at 124% of Kyrgyzstan's own world total is no share:
    the axis stops just above 100 %, the line is clipped, marked and explained."""
    from tradeviz.charts.base import Info, style
    from tradeviz.charts.draw_trade import china_share

    data = pd.DataFrame(
        {
            "country": ["KAZ", "KAZ", "KGZ", "KGZ"],
            "year": [2023, 2024, 2023, 2024],
            "share_partner_reported": [0.20, 0.22, 0.31, 0.33],
            "share_china_reported": [0.30, 0.32, 1.17, 1.24],
        }
    )
    with style():
        fig = china_share(data, Info("t", "c", ("KAZ", "KGZ"), all_countries=False))
    kgz = next(a for a in fig.axes if a.get_title(loc="left") == "Kyrgyzstan")
    assert kgz.get_ylim()[1] == pytest.approx(105)  # not blown up to 140 by one line
    dashed = next(ln for ln in kgz.get_lines() if ln.get_label() == "China's")
    assert max(dashed.get_ydata()) == pytest.approx(105)
    note = " ".join(t.get_text() for t in kgz.texts)
    assert "124%" in note and "mirror gap, not a share" in note
    kaz = next(a for a in fig.axes if a.get_title(loc="left") == "Kazakhstan")
    assert "mirror gap" not in " ".join(t.get_text() for t in kaz.texts)


def test_one_country_draws_one_full_width_panel_and_a_blank_chart_says_so(small):
    from tradeviz.charts.base import blank

    for name in ("total_trade", "china_share", "mirror_gaps"):
        chart = charts.make(name, small.filter(countries="KGZ"))
        _rendered(chart)
        shown = [a for a in chart.fig.axes if a.axison]
        assert len(shown) == 1, name
        assert shown[0].get_position().width > 0.8, name  # the page's full width
        assert blank(chart.fig) == "", name
    # Kazakhstan has no mirror rows here: the chart is blank and says why, so a page can
    # print that sentence instead of an empty image
    empty = charts.make("mirror_gaps", small.filter(countries="KAZ"))
    assert blank(empty.fig) == "one side reports nothing, so there is nothing to compare"


def test_mirror_gaps_both_directions(small):
    chart = charts.mirror_gaps(small)
    d = chart.data.set_index("direction")
    assert d.loc["CHN->KGZ", "ratio"] == pytest.approx(0.25)
    assert d.loc["KGZ->CHN", "ratio"] == pytest.approx(1.2)
    ax = _panel(chart, "Kyrgyzstan")
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"CHN→KGZ", "KGZ→CHN"}  # both directions, one notation
    assert lines["CHN→KGZ"].get_linestyle() == "-" and lines["KGZ→CHN"].get_linestyle() == "--"
    texts = [t.get_text() for t in ax.texts]
    assert "CHN→KGZ 2023: 25%" in "\n".join(texts)
    assert "CHN→KGZ" in texts and "KGZ→CHN" in texts  # direct labels at the lines' ends
    legend = next(a.get_legend() for a in chart.fig.axes if a.get_legend())
    assert legend.handlelength >= 4
    chapter_chart = charts.mirror_chapters(small)
    chapters = chapter_chart.data
    assert chapters.loc[chapters.direction == "CHN->KGZ", "chapter"].tolist() == ["85", "61"]
    assert chapters["label"].str.len().le(60).all()
    ticks = [t.get_text() for t in _panel(chapter_chart, "Kyrgyzstan").get_yticklabels()]
    assert ticks[0].startswith("CHN→KGZ 85 Electrical machinery")
    assert ticks[-1].startswith("KGZ→CHN 26 Ores")
    assert not any("China→" in t or "->" in t for t in ticks)


def test_composition_keeps_partial_codes_apart_from_areas(small):
    chart = charts.focus_composition(small)
    d = chart.data[chart.data.year == 2023].set_index("area")["value_usd"]
    assert d["energy"] == 1.2e9 and d["partial"] == 0.2e9 and d["other"] == 0.1e9
    assert "ecommerce_consumer" not in d.index  # a partial code is never drawn as the area
    legend = chart.fig.legends[0]
    assert any(t.get_text().startswith("Partly in a focus area") for t in legend.get_texts())


def test_top_products_labels_and_broken_bar_for_a_dwarfing_product(small):
    chart = charts.top_products(small, "export")
    kaz = chart.data[chart.data.country == "KAZ"]
    assert kaz["hs_code"].tolist() == ["271121", "940540", "610910"]
    ax = _panel(chart, "Kazakhstan")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].replace("\n", " ") == "271121 Natural gas, gaseous state (pipeline gas)"
    assert kaz["description"].iloc[0].startswith("Petroleum gases")  # full text in the CSV
    cols = list(kaz.columns)  # the label right beside the full description, 60 at most
    assert cols.index("label") == cols.index("description") + 1
    assert kaz["label"].str.len().le(60).all()
    # a long label wraps between words: its lines rejoined are the label, word for word
    for label, tick in zip(kaz["label"], labels[: len(kaz)], strict=True):
        assert tick.replace("\n", " ").split()[1:] == label.split()
    widths = [p.get_width() for p in ax.patches]
    assert ax.get_xlabel() == "USD mn"  # the unit of the axis as drawn (0-330 mn) ...
    assert max(widths) < 1200  # ... 1.2 bn is six times the next: its bar is cut ...
    assert any("1.2 bn ▶" in t.get_text() for t in ax.texts)  # ... and its value written
    assert kaz.iloc[0]["share"] == pytest.approx(1.2 / 1.5)  # of the TOTAL row


@pytest.mark.parametrize(
    "name",
    ["total_trade", "china_share", "mirror_gaps", "mirror_chapters", "top_products_exports"],
)
def test_no_text_touches_the_image_edge(small, name):
    """Every title, label, legend entry and caption lies inside the image with a margin."""
    for view in (small, small.filter(countries="KGZ")):
        chart = charts.make(name, view)
        renderer = _rendered(chart)
        width, height = chart.fig.bbox.width, chart.fig.bbox.height
        for text in _drawn_texts(chart.fig):
            box = text.get_window_extent(renderer)
            assert box.x0 >= 3 and box.x1 <= width - 3, (name, text.get_text(), box)
            assert box.y0 >= 2 and box.y1 <= height - 2, (name, text.get_text(), box)


def _drawn_texts(fig) -> list:
    """The texts a reader sees: figure texts and legends, and per shown panel its titles,
    axis labels, texts, legend and the tick labels inside the axis limits."""
    texts = [*fig.texts, *(t for leg in fig.legends for t in leg.get_texts())]
    for ax in fig.axes:
        texts += [*ax.texts, ax.title, ax._left_title, ax._right_title]
        if ax.get_legend():
            texts += ax.get_legend().get_texts()
        if not ax.axison:
            continue
        texts += [ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            texts += [
                t.label1
                for t in axis.get_major_ticks()
                if t.label1.get_visible() and lo <= t.get_loc() <= hi
            ]
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def test_top_products_unit_is_chosen_per_panel():
    """Turkmenistan's top exports (USD 40-120 mn) read in USD mn beside Kazakhstan's in
    USD bn, never 0.000-0.125 'USD bn'."""
    from tradeviz.charts.base import Info, style
    from tradeviz.charts.draw_products import top_products

    rows = [("KAZ", "870323", 1.7e9), ("KAZ", "851713", 0.9e9)]
    rows += [("TKM", "901890", 1.2e8), ("TKM", "851713", 4.5e7)]
    data = pd.DataFrame(
        {
            "country": [r[0] for r in rows],
            "rank": [1, 2, 1, 2],
            "hs_code": [r[1] for r in rows],
            "label": ["Cars; petrol engine, 1500-3000 cc", "Smartphones"] * 2,
            "value_usd": [r[2] for r in rows],
            "area": ["other", "ict", "other", "ict"],
        }
    )
    with style():
        fig = top_products(data, Info("t", "c", ("KAZ", "TKM"), all_countries=False))
    panel = {a.get_title(loc="left"): a for a in fig.axes if a.get_title(loc="left")}
    assert panel["Kazakhstan"].get_xlabel() == "USD bn"
    assert panel["Turkmenistan"].get_xlabel() == "USD mn"
    assert [p.get_width() for p in panel["Turkmenistan"].patches] == pytest.approx([120, 45])


def test_synthetic_flag_is_passed_not_read_from_the_caption(small, tmp_path):
    chart = charts.make("total_trade", small)
    chart.caption = "SYNTHETIC DEMO DATA (a caption edited by hand)"
    charts.export(chart, tmp_path, ("svg",))
    assert json.loads((tmp_path / "total_trade.json").read_text())["synthetic"] is False


def test_events_labelled_once_without_overlap(small):
    ev = charts.events()
    assert {"BRI announced (Astana)", "Xi'an summit", "KAZ joins WTO"} <= set(ev["label"])
    assert ev["source"].str.startswith("https://").all()
    from tradeviz.charts.base import Info, draw_events, new_figure

    fig, (ax,) = new_figure(Info("t", "c"), figsize=(6, 4))
    ax.set_xlim(2008, 2026)
    drawn = draw_events(ax)
    renderer = FigureCanvasAgg(fig).get_renderer()
    texts = [t for t in ax.texts if t.get_text() in set(drawn["label"])]
    assert len(texts) == len(drawn) == len(set(drawn["label"])) >= 5
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_importing_charts_leaves_pyplot_and_the_backend_alone():
    # rcParams["backend"] itself would resolve (and import pyplot): read the raw entry.
    code = (
        "import sys, matplotlib; raw = lambda: dict.__getitem__(matplotlib.rcParams, "
        "'backend'); before = raw(); import tradeviz.charts, tradeviz.charts.registry;"
        "print('matplotlib.pyplot' in sys.modules, raw() == before)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]


def test_chart_png_for_jupyter(small):
    png = charts.make("trade_growth", small)._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from tradeviz.demo.run import run_demo

    root = tmp_path_factory.mktemp("demo")
    report, written = run_demo(
        root / "data", root / "out", notebooks=False, formats=("png", "svg", "pdf"), report=False
    )
    return root, report, written


def test_demo_is_synthetic_everywhere_and_calibrated(demo):
    root, report, _ = demo
    assert report.synthetic
    manifest = [json.loads(x) for x in (root / "data" / "raw" / "manifest.jsonl").open()]
    assert manifest and all(m["synthetic"] for m in manifest)
    processed = root / "data" / "processed"
    assert build_meta(processed)["synthetic"] is True
    assert all(read_meta(p)["synthetic"] is True for p in table_files(processed, "flows"))
    from tradeviz.analysis.checks import compare, load_published

    flows = read_table(root / "data" / "processed", "flows")
    result = compare(flows, load_published())
    assert (result["status"] != "FAIL").all()
    assert (result["status"] == "pass").sum() >= 30
    gas = flows[
        (flows.source == "comtrade")
        & (flows.reporter == "CHN")
        & (flows.partner == "TKM")
        & (flows.flow == "import")
    ]
    assert gas.groupby("hs_code")["value_usd"].sum().idxmax() == "271121"


def test_export_writes_every_promised_file(demo):
    root, _, written = demo
    out = root / "out" / "charts"
    names = set(charts.NAMES)
    assert {
        "total_trade",
        "trade_growth",
        "china_share",
        "focus_composition",
        "top_products_exports",
        "top_products_imports",
        "energy_minerals",
        "agriculture_imports",
        "ict_exports",
        "mirror_gaps",
        "mirror_chapters",
        "imf_vs_comtrade",
        "latest_months",
        "tci",  # structure and complementarity (issue 20): the demo has a world layer
        "rca_focus",
        "price_volume",
        "potential_agriculture",
    } <= names
    for name in names:
        for ext in ("png", "svg", "pdf", "csv", "json"):
            assert (out / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        meta = json.loads((out / f"{name}.json").read_text())
        assert meta["synthetic"] is True and meta["tool"].startswith("tradeviz")
        assert meta["filters"] and "SYNTHETIC" in meta["caption"]
        assert meta["filters_applied"] == {} and meta["snapshots"]
        csv = pd.read_csv(out / f"{name}.csv")
        assert list(csv.columns) == meta["columns"] and len(csv) == meta["rows"]
    assert len(written) == len(names) * 5


def test_chart_csv_sums_to_what_the_bars_show(demo):
    import tradeviz

    root, _, _ = demo
    ds = tradeviz.open(root / "data")
    chart = charts.agriculture_imports(ds)
    ax = chart.fig.axes[0]
    heights = sum(p.get_height() for p in ax.patches)
    div, _ = charts.usd_scale(chart.data.groupby("year")["value_usd"].sum().max())
    assert heights == pytest.approx(chart.data["value_usd"].sum() / div)
    focus = ds.focus
    agri = focus[
        (focus.area == "agriculture") & (focus.reporter == "CHN") & (focus.flow == "import")
    ]
    assert chart.data["value_usd"].sum() == pytest.approx(agri["value_usd"].sum())
    assert set(chart.data["match"]) <= {"full", "partial"}


def test_imf_charts_compare_sources_and_show_latest_months(demo):
    import tradeviz

    root, _, _ = demo
    ds = tradeviz.open(root / "data")
    chart = charts.imf_vs_comtrade(ds)
    assert chart.data["difference"].abs().max() < 0.05  # demo vintages differ by <= 3 %
    assert set(chart.data["country"]) == set(FIVE)
    ax = _panel(chart, "Kazakhstan")
    kaz = chart.data[(chart.data.country == "KAZ") & (chart.data.flow == "export")]
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == pytest.approx((kaz["difference"] * 100).tolist())
    assert "IMF IMTS" in chart.caption and len(chart.sources) == 2
    latest = charts.latest_months(ds)
    assert latest.data["period"].nunique() == 12
    assert latest.data["period"].max() == "2025-09"
    assert latest.caption.split("Source: ")[1].startswith("IMF IMTS")


def test_charts_cli_filters_and_errors(demo, monkeypatch, tmp_path):
    root, _, _ = demo
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(root / "data"))
    res = CliRunner().invoke(
        main,
        [
            "charts",
            "--out",
            str(tmp_path / "c"),
            "--format",
            "svg",
            "--countries",
            "kaz,TKM",
            "--years",
            "2020-2024",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "filters: countries KAZ, TKM; years 2020-2024" in res.output
    assert len(list((tmp_path / "c").glob("*.svg"))) == len(charts.NAMES)
    data = pd.read_csv(tmp_path / "c" / "total_trade.csv")
    assert set(data["partner"]) == {"KAZ", "TKM"} and data["year"].min() == 2020
    meta = json.loads((tmp_path / "c" / "total_trade.json").read_text())
    assert meta["filters_applied"] == {"years": [2020, 2024], "countries": ["KAZ", "TKM"]}
    assert "Kazakhstan, Turkmenistan, 2020–2024" in meta["title"]
    for args, bad, valid in (
        (["--countries", "XYZ"], "'XYZ'", "KAZ, KGZ, TJK, TKM, UZB"),
        (["--years", "abc"], "'abc'", "2015-2024"),
        (["--years", "1990-1995"], "1990-1995", "2014-"),
        (["--areas", "energy,foo"], "'foo'", "critical_minerals"),
        (["--format", "gif"], "'gif'", "png, svg, pdf"),
    ):
        res = CliRunner().invoke(main, ["charts", "--out", str(tmp_path / "d"), *args])
        assert res.exit_code == 2, (args, res.output)
        error = [ln for ln in res.output.splitlines() if "Error" in ln or "error" in ln]
        assert len(error) == 1 and bad in error[0] and valid in error[0], res.output
    assert not (tmp_path / "d").exists()  # nothing written on a bad filter
    res = CliRunner().invoke(main, ["charts", "--out", str(tmp_path / "e"), "--areas", "ict"])
    assert res.exit_code == 0, res.output
    written = {p.stem for p in (tmp_path / "e").glob("*.png")}
    assert "ict_exports" in written and "energy_minerals" not in written


def test_notebooks_committed_without_outputs_and_with_parameters():
    books = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [b.stem for b in books] == [
        "01_overview",
        "02_focus_areas",
        "03_energy_minerals",
        "04_agriculture",
        "05_digital_trade",
        "06_mirror_gaps",
        "07_imf_comparison",
        "08_structure",
    ]
    for book in books:
        nb = nbformat.read(book, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), book
        assert "parameters" in code[0].metadata.get("tags", []), book
        assert "years" in code[0].source and "countries" in code[0].source


def test_notebook_kernel_runs_outside_the_source_folder(demo, tmp_path, monkeypatch):
    """The kernel's IPC sockets go to a scratch directory, not the notebooks' folder (the
    package when installed); a relative --out still lands under the caller's folder; an
    empty source is a one-line MissingInputError."""
    from tradeviz.errors import MissingInputError
    from tradeviz.notebook_runner import run_notebooks

    root, _, _ = demo
    source = tmp_path / "books"
    source.mkdir()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("data_dir = None", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("import os\nprint(os.getcwd())"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.write(nb, source / "01_cwd.ipynb")
    monkeypatch.chdir(tmp_path)
    written = run_notebooks(Path("rel-out"), root / "data", source=source)
    assert written == [Path("rel-out/01_cwd.ipynb"), Path("rel-out/01_cwd.html")]
    assert all((tmp_path / p).is_file() for p in written)
    ran = nbformat.read(tmp_path / written[0], as_version=4)
    kernel_cwd = ran.cells[-1].outputs[0]["text"].strip()
    assert Path(kernel_cwd) != source and not Path(kernel_cwd).exists()  # scratch, removed
    assert sorted(p.name for p in source.iterdir()) == ["01_cwd.ipynb"]
    assert not list(NOTEBOOKS.glob("kernel-ipc-*"))
    with pytest.raises(MissingInputError, match="no notebooks"):
        run_notebooks(tmp_path / "o", root / "data", source=tmp_path)


def test_every_notebook_executes_on_demo_data(demo, tmp_path):
    from tradeviz.notebook_runner import run_notebooks

    root, _, _ = demo
    written = run_notebooks(tmp_path / "nb", root / "data", parameters={"years": [2018, 2024]})
    assert len(written) == 16
    for path in written:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
            assert not [o for o in outputs if o.output_type == "error"], path
            assert any("image/png" in o.get("data", {}) for o in outputs), path
            if path.stem == "08_structure":  # its findings come from the demo's world layer
                text = " ".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
                assert "Trade complementarity, 2024" in text and "not a forecast" in text
        else:
            assert "<html" in path.read_text()[:2000].lower()
