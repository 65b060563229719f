"""`tradeviz report` on the synthetic demo data, opened in a real browser (headless Chromium,
the Debian package, driven by playwright): every page loads from file:// without console
errors or failed requests, every image decodes, every link resolves to a file in the
report, and a screenshot of each page is saved for a person to look at
($TRADEVIZ_SCREENSHOTS, default the test's temporary directory)."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz.cli import main

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    "index.html",
    "KAZ.html",
    "KGZ.html",
    "TJK.html",
    "TKM.html",
    "UZB.html",
    "provenance.html",
]


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    from tradeviz.demo.data import write_demo_raw
    from tradeviz.transform.build import build

    root = tmp_path_factory.mktemp("report-demo") / "data"
    write_demo_raw(root / "raw")
    build(root)
    return root


@pytest.fixture(scope="module")
def report(demo_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report"
    res = CliRunner().invoke(main, ["--data-dir", str(demo_data), "report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"to {out}" in res.output
    return out


def test_report_files_and_content(report, demo_data):
    for page in PAGES:
        text = (report / page).read_text("utf-8")
        assert "SYNTHETIC DEMO DATA" in text, page  # banner on every page of demo data
        assert not re.search(r'(src|href)="(https?:)?//', text), page  # nothing remote
        assert "<script" not in text, page
    index = html.unescape((report / "index.html").read_text("utf-8"))
    # findings are built from the numbers: the CA5 total of the latest year appears in them
    import tradeviz

    ds = tradeviz.open(demo_data)
    t = ds.totals()
    last = t[t["partner"] == "CA5"].iloc[-1]
    from tradeviz.analysis.formatting import usd

    assert f"In {int(last['year'])} China's reported trade" in index
    assert usd(last["total_usd"]) in index
    # every chart is on the index, with its CSV beside it
    charts = sorted(p.stem for p in (report / "charts").glob("*.png"))
    assert len(charts) >= 11
    for name in charts:
        assert f'src="charts/{name}.png"' in index
        assert (report / "charts" / f"{name}.csv").stat().st_size > 0
    # the CSV of a country's totals holds the numbers the API returns
    kaz = pd.read_csv(report / "data" / "KAZ_totals.csv")
    api = ds.totals(partners=["KAZ"])
    assert kaz["total_usd"].tolist() == pytest.approx(api["total_usd"].tolist())
    snaps = pd.read_csv(report / "data" / "snapshots.csv")
    assert set(snaps["sha256"]) == set(ds.provenance["snapshots"])
    assert snaps["fetched_at"].notna().all() and snaps["synthetic"].all()


def test_report_rewrites_whole_and_refuses_missing_tables(demo_data, tmp_path):
    report = tmp_path / "report"
    (report / "charts").mkdir(parents=True)
    (report / ".tradeviz-report").write_text("")  # a previous report: replaced whole
    stray = report / "stray.txt"
    stray.write_text("left over")
    res = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(demo_data),
            "report",
            "--out",
            str(report),
            "--countries",
            "kaz",
            "--years",
            "2020-2024",
        ],
    )
    assert res.exit_code == 0, res.output
    assert not stray.exists()  # the old report was replaced whole
    assert not list(report.parent.glob(".report.*"))  # no staging directory left behind
    assert (report / "KAZ.html").exists() and not (report / "UZB.html").exists()
    data = pd.read_csv(report / "data" / "totals.csv")
    assert set(data["partner"]) == {"KAZ"} and data["year"].min() == 2020
    res = CliRunner().invoke(
        main, ["--data-dir", str(tmp_path / "empty"), "report", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 1
    assert len(res.output.strip().splitlines()) == 1 and "tradeviz build" in res.output
    assert not (tmp_path / "r").exists()
    res = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(demo_data),
            "report",
            "--countries",
            "XYZ",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 2 and "XYZ" in res.output


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="chromium not installed (apt-get install -y chromium; .ci/run installs it)",
)
def test_report_opens_in_chromium(report, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    out = report
    shots = Path(os.environ.get("TRADEVIZ_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)  # a page that never settles fails, not hangs
            problems: list[str] = []
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on(
                "request",
                lambda r: (
                    problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file://", "data:"))
                    else None
                ),
            )
            for name in PAGES:
                page.goto((out / name).as_uri(), wait_until="load")  # every image loaded
                broken = page.evaluate(
                    "[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                    ".map(i => i.src)"
                )
                assert not broken, (name, broken)
                assert page.locator("h1").count() == 1
                assert "SYNTHETIC DEMO DATA" in page.inner_text(".banner")
                for href in page.evaluate(
                    "[...document.querySelectorAll('a[href]')].map(a => a.href)"
                ):
                    url = urlparse(href)
                    assert url.scheme == "file", (name, href)
                    target = Path(unquote(url.path))
                    assert target.is_file(), (name, href)
                    assert out in target.parents, (name, href)
                # nothing wider than the page: tables wrap their text, hashes included
                wide = page.evaluate(
                    "(() => { const m = document.querySelector('main').getBoundingClientRect();"
                    " return [...document.querySelectorAll('table, img')]"
                    ".filter(e => e.getBoundingClientRect().right > m.right + 1)"
                    ".map(e => e.outerHTML.slice(0, 80)); })()"
                )
                assert not wide, (name, wide)
                assert page.evaluate("document.documentElement.scrollWidth") <= 1280, name
                # the contents list is readable: dark link text, every entry named
                unreadable = page.evaluate(
                    "[...document.querySelectorAll('nav.contents a')].filter(a => "
                    "getComputedStyle(a).color === 'rgb(255, 255, 255)' || !a.innerText.trim())"
                    ".length"
                )
                assert unreadable == 0, name
                page.screenshot(path=str(shots / f"{Path(name).stem}.png"), full_page=True)
            assert not problems, problems
        finally:
            browser.close()
    assert len(list(shots.glob("*.png"))) == len(PAGES)


def test_report_pages_have_contents_and_no_blank_charts(report, demo_data):
    """Long pages open with a contents list whose links all land on the page; a chart with
    nothing to draw is a sentence, never an empty image; directions read CHN→KAZ."""
    import tradeviz

    ds = tradeviz.open(demo_data)
    for page in ("index.html", "KAZ.html", "TKM.html"):
        text = (report / page).read_text("utf-8")
        nav = re.search(r'<nav class="contents".*?</nav>', text, re.S)
        assert nav, page
        targets = re.findall(r'href="#([^"]+)"', nav.group(0))
        assert len(targets) >= 8, page
        for target in targets:
            assert f'id="{target}"' in text, (page, target)
    for iso in ("KAZ", "KGZ", "TJK", "TKM", "UZB"):
        text = html.unescape((report / f"{iso}.html").read_text("utf-8"))
        has_ratio = ds.mirror(countries=[iso])["ratio"].notna().any()
        assert (f'src="charts/{iso}/mirror_gaps.png"' in text) == has_ratio, iso
        assert ("No chart: one side reports nothing" in text) == (not has_ratio), iso
        assert f'src="charts/{iso}/total_trade.png"' in text
        assert "->" not in re.sub(r"<[^>]+>", "", text), iso  # CHN→KAZ, one notation
        chapters = re.search(r'<section id="chapters">.*?</section>', text, re.S).group(0)
        if "<table" in chapters:
            assert f"CHN→{iso}" in chapters or f"{iso}→CHN" in chapters


def test_report_pages_have_no_unformatted_numbers(report):
    """Tables show USD in bn/mn, percentages and separators, never 7.03e+10."""
    for page in PAGES:
        text = (report / page).read_text("utf-8")
        assert not re.search(r"\d\.\d+e[+-]\d\d", text), page


STRUCTURE_CHARTS = ("tci", "rca_focus", "price_volume", "potential_agriculture")


def test_report_has_the_structure_section_with_its_findings(report, demo_data):
    """Issue 20: the overview and each country page carry "Structure and complementarity",
    its findings computed from the demo's world layer, its charts with their sidecars and
    the potential table whose CSV holds the API's numbers."""
    import tradeviz
    from tradeviz.analysis.structure_findings import LIMITS, structure_findings, world_level

    ds = tradeviz.open(demo_data)
    assert world_level(ds) == 4  # the demo's world layer is HS4
    index = html.unescape((report / "index.html").read_text("utf-8"))
    assert '<section id="structure">' in index and "Trade complementarity, 2024" in index
    assert index.index('id="structure"') < index.index('id="chart-tci"')
    for name in STRUCTURE_CHARTS:
        assert f'src="charts/{name}.png"' in index
        for ext in ("csv", "json"):
            assert (report / "charts" / f"{name}.{ext}").stat().st_size > 0
    table = pd.read_csv(report / "data" / "structure.csv")
    tci = ds.complementarity("CHN", "KAZ", level=4)
    kaz_row = table[table["country"] == "KAZ"].iloc[0]
    assert kaz_row["tci_china_to"] == pytest.approx(tci["tci"].iloc[-1])
    for iso in ("KAZ", "TKM"):
        page = html.unescape((report / f"{iso}.html").read_text("utf-8"))
        lines = structure_findings(ds, iso)
        assert len(lines) >= 5 and lines[0].startswith("SYNTHETIC")
        for line in lines:
            assert line in page, (iso, line)
        assert f'src="charts/{iso}/tci.png"' in page and LIMITS in page
        for sid in ("structure_rca", "structure_concentration", "structure_potential"):
            assert f'<section id="{sid}">' in page, (iso, sid)
    pot = pd.read_csv(report / "data" / "KAZ_structure_potential.csv", dtype={"hs_code": str})
    api = ds.potential("KAZ", area="agriculture", level=4, n=10)
    api = api[api["year"] == api["year"].max()]
    assert pot["hs_code"].tolist() == api["hs_code"].tolist()
    assert pot["gap_usd"].tolist() == pytest.approx(api["gap_usd"].tolist())


def test_without_a_world_layer_the_section_names_the_fetch_and_draws_nothing(
    demo_data, tmp_path, monkeypatch
):
    import tradeviz
    from tradeviz.analysis import structure_findings as SF
    from tradeviz.analysis.dataset import Dataset
    from tradeviz.charts.registry import wanted
    from tradeviz.report import write_report

    ds = tradeviz.open(demo_data)
    memory = Dataset.from_frames(ds.flows)  # no world layer at all
    assert SF.world_level(memory) is None
    assert SF.structure_findings(memory, "KAZ") == [SF.MISSING]
    assert "--plan world" in SF.MISSING and SF.MISSING.count(". ") == 0  # one sentence
    assert not set(STRUCTURE_CHARTS) & set(wanted(None, memory))
    monkeypatch.setattr(SF, "world_level", lambda ds: None)
    out = tmp_path / "r"
    write_report(ds.filter(countries=["KAZ"]), out)
    for page in ("index.html", "KAZ.html"):
        text = html.unescape((out / page).read_text("utf-8"))
        assert SF.MISSING in text, page
        assert "tci.png" not in text and "rca_focus" not in text, page
    assert not list((out / "charts").rglob("tci.*"))
