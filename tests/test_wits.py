"""WITS imports: injective country mapping, bad files refused with one-line errors, zip bombs
refused before parsing, and a parser that imports no HTTP code (issue 14 item 7)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from tradeviz.cli import main
from tradeviz.errors import SnapshotError
from tradeviz.transform import wits

HEADER = "Reporter Name,Partner Name,Trade Flow,Product Group,Indicator,2019,2020\n"
ROW = "Kazakhstan,{p},Import,  All Products,Import (US$ Thousand),{a},{b}\n"


def _csv(tmp_path, name: str, partners: list[tuple[str, str, str]]):
    path = tmp_path / name
    path.write_bytes(
        b"\xef\xbb\xbf"
        + (
            HEADER
            + "".join(ROW.format(p=f'"{p}"' if "," in p else p, a=a, b=b) for p, a, b in partners)
        ).encode()
    )
    return path


@pytest.fixture
def kazakhstan(corpus):
    return corpus / "wits" / "partner-timeseries" / "Kazakhstan-WITS-Partner-Timeseries.csv"


def test_us_minor_outlying_islands_no_longer_overwrite_the_united_states(kazakhstan):
    frame = wits.read_table(kazakhstan.read_bytes(), "csv", str(kazakhstan))
    rows, _ = wits.parse_frame(frame, str(kazakhstan))
    usa = rows[(rows.partner == "USA")].set_index("year")["value_usd"]
    umi = rows[(rows.partner == "UMI")].set_index("year")["value_usd"]
    assert usa[2002] == pytest.approx(461_457_500, rel=1e-3)  # not UMI's 300 USD
    assert umi[2002] == 300.0
    assert not rows.duplicated(["reporter", "partner", "flow", "year"]).any()


def test_obsolete_entities_keep_codes_of_their_own(kazakhstan):
    frame = wits.read_table(kazakhstan.read_bytes(), "csv", str(kazakhstan))
    rows, unmapped = wits.parse_frame(frame, str(kazakhstan))
    assert {"SUD", "SDN", "BLX", "SCG"} <= set(rows["partner"])
    assert unmapped == ["Other Asia, nes", "Unspecified"]


def test_two_names_on_one_code_stop_the_import_naming_both(data_dir, tmp_path, store):
    path = _csv(
        tmp_path, "clash.csv", [("United States", "1", "2"), ("United States of America", "3", "4")]
    )
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 1
    assert "'United States' and 'United States of America' -> USA" in result.output
    assert list(store.snapshots()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        HEADER.encode(),
        b"\xef\xbb\xbf" + HEADER.encode(),
        (HEADER + ROW.format(p="China", a="", b="")).encode(),
    ],
)
def test_empty_or_header_only_file_is_an_error(data_dir, tmp_path, store, content):
    path = tmp_path / "Kazakhstan.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 1, result.output
    assert "Fix:" in result.output and "Traceback" not in result.output
    assert list(store.snapshots()) == []


def test_a_directory_or_missing_file_is_a_one_line_error(data_dir, tmp_path):
    for arg, words in ((tmp_path, "is a directory"), (tmp_path / "nope.csv", "no such file")):
        result = CliRunner().invoke(main, ["import", "wits", str(arg)])
        assert result.exit_code == 1 and words in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_xlsx_that_unpacks_too_far_is_refused_before_parsing(
    data_dir, tmp_path, monkeypatch, store
):
    monkeypatch.setattr(wits, "MAX_UNPACKED", 1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (4 << 20) + b"</a>")
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(buf.getvalue())
    assert bomb.stat().st_size < 50_000
    calls = []
    monkeypatch.setattr(pd, "read_excel", lambda *a, **k: calls.append(1))
    result = CliRunner().invoke(main, ["import", "wits", str(bomb)])
    assert result.exit_code == 1 and "unpacks to 4 MB" in result.output
    assert calls == [] and list(store.snapshots()) == []


def test_real_xlsx_is_within_the_limit(corpus):
    xlsx = corpus / "wits" / "partner-timeseries" / "Kazakhstan-WITS-Partner-Timeseries.xlsx"
    wits.check_unpacked_size(xlsx.read_bytes(), xlsx.name)
    with pytest.raises(SnapshotError, match="unpacks to"):
        wits.check_unpacked_size(xlsx.read_bytes(), xlsx.name, limit=1000)


def test_wits_parser_imports_no_http_code():
    code = (
        "import sys, tradeviz.transform.wits\n"
        "bad = [m for m in ('requests', 'urllib3', 'tradeviz.extract.http') "
        "if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


RACE_SCRIPT = """
import sys
from tradeviz.store.raw import RawStore
from tradeviz.transform import snapshots
from tradeviz.transform.build_report import BuildReport

store = RawStore(sys.argv[1])
for attempt in range(int(sys.argv[2])):
    # a fresh start each time: no reader imported yet, as in a new `tradeviz build`
    for module in [m for m in sys.modules if m.split(".")[0] == "openpyxl"]:
        del sys.modules[module]
    sys.modules.pop("tradeviz.transform.wits", None)
    report = BuildReport()
    parts = snapshots.parse_all(store, snapshots.current(store, report), report)
    assert sum(p.num_rows for p in parts) == 8522, (attempt, [p.num_rows for p in parts])
print("ok")
"""


def test_xlsx_snapshots_parse_on_the_pool_without_an_import_race(data_dir, corpus, store):
    """Issue 23 item 12: `import wits` of the five real XLSX files, then `build` failed 3 runs
    in 4 ("partially initialized module 'openpyxl'"): two pool threads imported openpyxl at
    once. Each attempt starts with openpyxl unimported, in a process of its own."""
    files = sorted((corpus / "wits" / "partner-timeseries").glob("*.xlsx"))
    assert len(files) == 5
    result = CliRunner().invoke(main, ["import", "wits", *map(str, files)])
    assert result.exit_code == 0, result.output
    run = subprocess.run(
        [sys.executable, "-c", RACE_SCRIPT, str(store.root), "25"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
    built = subprocess.run(
        [sys.executable, "-m", "tradeviz", "build"], capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout + built.stderr
    flows = pd.read_parquet(data_dir / "processed" / "flows.parquet")
    wits_rows = flows[flows["source"] == "wits"]
    assert sorted(set(wits_rows["reporter"])) == ["KAZ", "KGZ", "TJK", "TKM", "UZB"]
    assert len(wits_rows) == 8522
