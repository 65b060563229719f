"""Chart functions on small frames, the export files, notebooks and the offline demo."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz import charts
from tradeviz.cli import main
from tradeviz.store.parquet import read_meta

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _flow(reporter, partner, flow, year, value, code="TOTAL", rev="H5", syn=False):
    return {"source": "comtrade", "freq": "A", "year": year, "month": pd.NA, "quarter": pd.NA,
            "reporter": reporter, "partner": partner, "flow": flow, "hs_rev": rev,
            "hs_code": code, "hs_level": 0 if code == "TOTAL" else len(code),
            "value_usd": float(value), "synthetic": syn, "snapshot": "abc"}


@pytest.fixture
def small_flows() -> pd.DataFrame:
    rows = []
    for year, (x, m) in {2022: (3e9, 1e9), 2023: (4e9, 1.5e9)}.items():
        rows += [_flow("CHN", "KGZ", "export", year, x),
                 _flow("CHN", "KGZ", "import", year, m),
                 _flow("KGZ", "CHN", "import", year, x / 4),
                 _flow("KGZ", "CHN", "export", year, m),
                 _flow("KGZ", "WLD", "import", year, x / 2),
                 _flow("KGZ", "WLD", "export", year, m * 2)]
    return pd.DataFrame(rows)


def test_total_trade_plots_exports_imports_balance(small_flows):
    ctx = charts.Context(False, ["2026-01-05", "2026-01-05"])
    chart = charts.total_trade(small_flows, ctx)
    kgz = chart.data[chart.data.country == "KGZ"].set_index("year")
    assert kgz.loc[2023, "exports_usd"] == 4e9 and kgz.loc[2023, "balance_usd"] == 2.5e9
    ax = next(a for a in chart.fig.axes if a.get_title(loc="left") == "Kyrgyzstan")
    assert ax.get_ylabel() == "USD bn"
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "China's exports")
    assert list(line.get_ydata()) == [3.0, 4.0]  # what the CSV holds, in bn
    bars = [p.get_height() for p in ax.patches]
    assert bars == pytest.approx([2.0, 2.5])
    assert "fetched 2026-01-05" in chart.caption and "China-reported" in chart.caption
    assert "SYNTHETIC" not in chart.caption
    kaz = next(a for a in chart.fig.axes if a.get_title(loc="left") == "Kazakhstan")
    assert "no data" in [t.get_text() for t in kaz.texts]


def test_china_share_from_world_rows(small_flows):
    chart = charts.china_share(small_flows, charts.Context(True))
    row = chart.data.set_index("year").loc[2023]
    assert row["china_share"] == pytest.approx((1e9 + 1.5e9) / (2e9 + 3e9))
    assert "SYNTHETIC DEMO DATA" in chart.caption
    ax = chart.fig.axes[0]
    assert ax.get_ylabel().startswith("%")
    assert "No data reported" in " ".join(t.get_text() for t in ax.texts)


def test_usd_scale_and_mirror_chart():
    assert charts.usd_scale(2.5e9) == (1e9, "USD bn")
    assert charts.usd_scale(3e6) == (1e6, "USD mn")
    mirror = pd.DataFrame({
        "direction": ["CHN->KGZ"] * 2, "exporter": "CHN", "importer": "KGZ", "freq": "A",
        "year": [2023, 2023], "month": pd.NA, "hs_code": ["8517", "6109"],
        "exporter_fob_usd": [6e8, 2e8], "importer_cif_usd": [1.5e8, 5e7]})
    chart = charts.mirror_gaps(mirror, charts.Context())
    assert chart.data["ratio"].tolist() == [4.0]
    ax = next(a for a in chart.fig.axes if a.get_title(loc="left") == "Kyrgyzstan")
    assert ax.get_ylabel() == "USD mn"
    assert "China reports 4.0x" in " ".join(t.get_text() for t in ax.texts)


def test_imf_charts_compare_sources_and_show_latest_months(demo):
    root, _, _ = demo
    tables = charts.Tables.load(root / "data" / "processed")
    chart = charts.imf_vs_comtrade(tables.flows, tables.ctx)
    assert chart.data["difference"].abs().max() < 0.05  # demo vintages differ by <= 3 %
    assert set(chart.data["country"]) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert "IMF IMTS" in chart.caption and len(chart.sources) == 2
    latest = charts.latest_months(tables.flows, tables.ctx)
    assert latest.data["period"].nunique() == 12
    assert latest.data["period"].max() == "2025-09"
    assert latest.caption.split("Source: ")[1].startswith("IMF IMTS")


def test_events_are_cited_data():
    ev = charts.events()
    assert {"BRI announced (Astana)", "Xi'an summit", "KAZ joins WTO"} <= set(ev["label"])
    assert ev["source"].str.startswith("https://").all()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from tradeviz.demo.run import run_demo

    root = tmp_path_factory.mktemp("demo")
    report, written = run_demo(root / "data", root / "out", notebooks=False,
                               formats=("png", "svg", "pdf"), report=False)
    return root, report, written


def test_demo_is_synthetic_everywhere_and_calibrated(demo):
    root, report, _ = demo
    assert report.synthetic
    manifest = [json.loads(x) for x in (root / "data" / "raw" / "manifest.jsonl").open()]
    assert manifest and all(m["synthetic"] for m in manifest)
    assert read_meta(root / "data" / "processed" / "flows.parquet")["synthetic"] is True
    from tradeviz.analysis.checks import compare, load_published

    flows = pd.read_parquet(root / "data" / "processed" / "flows.parquet")
    result = compare(flows, load_published())
    assert (result["status"] != "FAIL").all()
    assert (result["status"] == "pass").sum() >= 30
    gas = flows[(flows.source == "comtrade") & (flows.reporter == "CHN")
                & (flows.partner == "TKM") & (flows.flow == "import")]
    assert gas.groupby("hs_code")["value_usd"].sum().idxmax() == "271121"


def test_export_writes_every_promised_file(demo):
    root, _, written = demo
    out = root / "out" / "charts"
    names = {c for c in ("total_trade", "china_share", "focus_composition",
                         "top_products_exports", "top_products_imports", "energy_minerals",
                         "agriculture_imports", "ict_exports", "mirror_gaps",
                         "imf_vs_comtrade", "latest_months")}
    for name in names:
        for ext in ("png", "svg", "pdf", "csv", "json"):
            assert (out / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        meta = json.loads((out / f"{name}.json").read_text())
        assert meta["synthetic"] is True and meta["tool"].startswith("tradeviz")
        assert meta["filters"] and "SYNTHETIC" in meta["caption"]
    assert len(written) == len(names) * 5


def test_chart_csv_sums_to_what_the_bars_show(demo):
    root, _, _ = demo
    tables = charts.Tables.load(root / "data" / "processed")
    chart = charts.agriculture_imports(tables.focus, tables.ctx)
    ax = chart.fig.axes[0]
    heights = sum(p.get_height() for p in ax.patches)
    div, _ = charts.usd_scale(chart.data.groupby("year")["value_usd"].sum().max())
    assert heights == pytest.approx(chart.data["value_usd"].sum() / div)
    focus = tables.focus
    agri = focus[(focus.area == "agriculture") & (focus.reporter == "CHN")
                 & (focus.flow == "import")]
    assert chart.data["value_usd"].sum() == pytest.approx(agri["value_usd"].sum())


def test_charts_cli_formats_and_errors(demo, monkeypatch, tmp_path):
    root, _, _ = demo
    monkeypatch.setenv("TRADEVIZ_DATA_DIR", str(root / "data"))
    res = CliRunner().invoke(main, ["charts", "--out", str(tmp_path / "c"), "--format",
                                    "svg", "--countries", "KAZ,TKM", "--years", "2020-2024"])
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "c").glob("*.svg"))) == 11
    data = pd.read_csv(tmp_path / "c" / "total_trade.csv")
    assert set(data["country"]) == {"KAZ", "TKM"} and data["year"].min() == 2020
    res = CliRunner().invoke(main, ["charts", "--out", str(tmp_path / "d"), "--format", "gif"])
    assert res.exit_code != 0 and "png, svg, pdf" in res.output


def test_notebooks_committed_without_outputs_and_with_parameters():
    books = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [b.stem for b in books] == ["01_overview", "02_focus_areas", "03_energy_minerals",
                                       "04_agriculture", "05_digital_trade", "06_mirror_gaps",
                                       "07_imf_comparison"]
    for book in books:
        nb = nbformat.read(book, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), book
        assert "parameters" in code[0].metadata.get("tags", []), book
        assert "years" in code[0].source and "countries" in code[0].source


def test_every_notebook_executes_on_demo_data(demo, tmp_path):
    from tradeviz.notebook_runner import run_notebooks

    root, _, _ = demo
    written = run_notebooks(tmp_path / "nb", root / "data",
                            parameters={"years": [2018, 2024]})
    assert len(written) == 14
    for path in written:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
            assert not [o for o in outputs if o.output_type == "error"], path
            assert any("image/png" in o.get("data", {}) for o in outputs), path
        else:
            assert "<html" in path.read_text()[:2000].lower()
