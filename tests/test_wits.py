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
from tradeviz.store.tables import read_table
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
from tradeviz.store.tables import read_table

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
    flows = read_table(data_dir / "processed", "flows")
    wits_rows = flows[flows["source"] == "wits"]
    assert sorted(set(wits_rows["reporter"])) == ["KAZ", "KGZ", "TJK", "TKM", "UZB"]
    assert len(wits_rows) == 8522


def _rows_csv(tmp_path, rows: list[tuple[str, str, str]], name: str = "k.csv"):
    """A Kazakhstan Partner-Timeseries CSV with the given (partner, 2019, 2020) rows."""
    return _csv(tmp_path, name, rows)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Infinity", "'Infinity' is not a finite number"),
        ("-Infinity", "'-Infinity' is not a finite number"),
        ("1e400", "'1e400' is not a finite number"),  # finite as text, inf as a float
        ("-5", "'-5' is negative"),
        ("-0.001", "'-0.001' is negative"),
        ("1.2.3", "'1.2.3' is not a number"),
    ],
)
def test_a_value_that_is_not_a_finite_non_negative_number_stops_the_import(
    data_dir, tmp_path, store, value, words
):
    """Issue 23 item 9: Infinity and 1e400 became inf in flows.parquet; a negative value
    was stored and broke every later build with a schema error naming no file."""
    path = _rows_csv(tmp_path, [("China", "1.5", "2"), ("Russian Federation", value, "3")])
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 1, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"{path}, row 3 ('Russian Federation', 2019): {words}" in line
    assert "Fix:" in line
    assert list(store.snapshots()) == []


def test_a_malformed_csv_is_one_line(data_dir, tmp_path):
    path = _rows_csv(tmp_path, [("China", "1", "2"), ("Russian Federation", "12,5", "2")])
    result = CliRunner().invoke(main, ["import", "wits", str(path)])  # a decimal comma
    assert result.exit_code == 1 and "Expected 7 fields in line 3, saw 8" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_zero_and_tiny_values_are_kept_exactly(tmp_path):
    path = _rows_csv(tmp_path, [("China", "0", "-0"), ("Russian Federation", "0.001", "1e-3")])
    frame = wits.read_table(path.read_bytes(), "csv", str(path))
    rows, _ = wits.parse_frame(frame, str(path))
    got = rows.set_index(["partner", "year"])["value_usd"]
    assert got[("CHN", 2019)] == 0.0 and got[("CHN", 2020)] == 0.0
    assert str(got[("CHN", 2020)]) == "0.0"  # not -0.0
    assert got[("RUS", 2019)] == got[("RUS", 2020)] == 1.0


def test_a_partner_given_twice_stops_the_import_naming_both_rows(data_dir, tmp_path, store):
    """Issue 23 item 9: a repeated partner row kept one of its values silently."""
    path = _rows_csv(tmp_path, [("China", "1", "2"), ("Russian Federation", "5", "6"),
                                ("China", "7", "8")])  # fmt: skip
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 1, result.output
    assert "row 2 ('China', 2019) and row 4 ('China', 2019)" in result.output
    assert "(KAZ, CHN, import, 2019)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(store.snapshots()) == []


def _xlsx(tmp_path, cells: dict[str, object], name: str = "k.xlsx"):
    """A two-sheet workbook like a WITS download (an empty Sheet1, then the data sheet)
    with China's 2019 and 2020 imports; `cells` overrides cells of the data sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Sheet1"
    sheet = book.create_sheet("Partner-Timeseries")
    sheet.append(HEADER.strip().split(","))
    sheet.append(["Kazakhstan", "China", "Import", "  All Products", "Import (US$ Thousand)",
                  "1.5", "2"])  # fmt: skip
    sheet.append(["Kazakhstan", "Russian Federation", "Import", "  All Products",
                  "Import (US$ Thousand)", "4", "5"])  # fmt: skip
    for ref, value in cells.items():
        sheet[ref] = value
    path = tmp_path / name
    book.save(path)
    return path


def _with_cached_value(path, value: str):
    """The workbook with every formula's cached value filled in (openpyxl writes none)."""
    src = zipfile.ZipFile(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v></v>", f"<v>{value}</v>".encode())
                data = data.replace(b"<v />", f"<v>{value}</v>".encode())
            out.writestr(info, data)
    path.write_bytes(buf.getvalue())
    return path


def test_a_formula_cell_without_its_value_stops_the_import(data_dir, tmp_path, store):
    """Issue 23 item 9: pandas reads such a cell as empty, so the value was dropped."""
    path = _xlsx(tmp_path, {"G3": "=2+3"})
    assert b"<f>" in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 1, result.output
    assert "cell G3 of sheet 'Partner-Timeseries' holds a formula saved without" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(store.snapshots()) == []
    _with_cached_value(path, "5")  # as a spreadsheet program saves it: read as the value
    result = CliRunner().invoke(main, ["import", "wits", str(path)])
    assert result.exit_code == 0, result.output
    frame = wits.read_table(path.read_bytes(), "xlsx", path.name)
    rows, _ = wits.parse_frame(frame, path.name)
    assert rows.set_index(["partner", "year"]).loc[("RUS", 2020), "value_usd"] == 5000.0
    assert len(rows) == 4


def test_a_formula_in_another_sheet_is_not_read_and_not_refused(tmp_path):
    from openpyxl import load_workbook

    path = _xlsx(tmp_path, {})
    book = load_workbook(path)
    book["Sheet1"]["A1"] = "=1+1"
    book.save(path)
    rows, _ = wits.parse_frame(wits.read_table(path.read_bytes(), "xlsx", "k"), "k")
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5", "row 3 ('Russian Federation', 2019): '-5' is negative"),
        ("Infinity", "row 3 ('Russian Federation', 2019): 'Infinity' is not a finite number"),
        (None, "row 2 ('China', 2019) and row 4 ('China', 2019) are the same reporter"),
    ],
)
def test_build_names_the_snapshot_and_row_of_a_value_stored_before_the_checks(
    data_dir, tmp_path, store, value, words
):
    """Issue 23 item 9: a snapshot stored by an import without these checks failed every
    build with a schema error naming no file (or put inf or one of two values in flows)."""
    rows = [("China", "1", "2"), ("Russian Federation", value or "5", "6")]
    if value is None:
        rows.append(("China", "7", "8"))
    path = _rows_csv(tmp_path, rows)
    meta = {"params": {"file": "k.csv", "reporters": ["KAZ"]}, "complete": True,
            "format": "csv", "query_key": "k", "synthetic": False}  # fmt: skip
    snap = store.save("wits", path.read_bytes(), "csv", meta)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "unexpected error" not in result.output
    assert f"{snap.path} (imported from k.csv)" in result.output and words in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (data_dir / "processed").exists()
